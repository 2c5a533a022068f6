"""The fast paths give what the plain ones give, to the bit: design.json must not change when a
stage gets faster (same source, same bytes)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import shapely

from battgen.core import serialize
from battgen.passes.drawn import discs


@pytest.mark.parametrize("quad_segs", [2, 8, 16])
def test_discs_are_the_points_buffers_to_the_bit(quad_segs):
    rng = np.random.default_rng(7)
    xy = np.concatenate([rng.uniform(-2500.0, 2500.0, (500, 2)), rng.uniform(-1e-3, 1e-3, (20, 2))])
    for radius in (9.05, 10.75, 0.3):
        fast = discs(xy, radius, quad_segs)
        plain = shapely.buffer(shapely.points(xy), radius, quad_segs=quad_segs)
        assert np.array_equal(shapely.get_coordinates(fast), shapely.get_coordinates(plain))
        assert shapely.equals_exact(fast, plain, 0.0).all()
    assert len(discs(np.empty((0, 2)), 1.0, 8)) == 0


@dataclasses.dataclass(frozen=True)
class _Cell:
    index: int
    x: float
    name: str
    spread: tuple[float, ...]
    worst: float | None


def _plain(value):
    """``to_jsonable`` as it was, item by item (the reference the fast paths must match)."""
    if isinstance(value, float):
        return serialize._float(value)
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def test_records_and_float_runs_serialise_as_item_by_item():
    rng = np.random.default_rng(3)
    values = [float(v) for v in rng.normal(0.0, 1e3, 40)] + [0.0, -0.0, math.nan, math.inf, 1 / 3, 1e-300] * 5
    cells = tuple(
        _Cell(
            k,
            values[k % len(values)],
            f"c{k % 3}",
            tuple(values[k : k + 20]),
            None if k % 4 else values[k % len(values)],
        )
        for k in range(200)
    )
    data = {"cells": cells, "column": values * 3, "short": values[:3], "mixed": [1, 2.5, "a", None]}
    assert serialize.to_jsonable(data) == _plain(data)
    assert serialize.dumps(serialize.to_jsonable(data)) == serialize.dumps(_plain(data))
