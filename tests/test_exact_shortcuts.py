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
from battgen.passes.holders import _in_boxes
from battgen.passes.layout.grouping import _hull_candidates


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


def test_hull_candidates_make_the_same_hull():
    rng = np.random.default_rng(5)
    for _ in range(300):  # lattices: many points on one line, the hull's edges full of them
        pts = rng.integers(0, 6, (int(rng.integers(3, 60)), 2)) * rng.choice([1.0, 0.1, 18.65]) + rng.choice(
            [0.0, 1e-3]
        )
        module = np.unique(rng.integers(0, 3, len(pts)), return_inverse=True)[1]
        full = [shapely.convex_hull(shapely.multipoints(pts[module == k])) for k in np.unique(module)]
        corners = _hull_candidates(pts, module)
        fast = shapely.convex_hull(shapely.multipoints(pts[corners], indices=module[corners]))
        for a, b in zip(full, fast, strict=True):
            if a.geom_type == "Polygon":
                assert a.equals_exact(b, 0.0)
            else:  # a line of points: its hull a line, the same whichever way it runs
                assert shapely.normalize(a).equals_exact(shapely.normalize(b), 0.0)


def test_points_in_boxes_are_what_the_tree_finds():
    rng = np.random.default_rng(9)
    xy = np.round(rng.uniform(0.0, 100.0, (2000, 2)), 1)  # many on the boxes' edges
    tree = shapely.STRtree(shapely.points(xy))
    discs_ = shapely.buffer(shapely.points(xy[:50]), 7.3)
    counts = _in_boxes(xy, shapely.bounds(discs_))
    assert counts.tolist() == [len(tree.query(d)) for d in discs_]
    hits = _in_boxes(xy, shapely.bounds(discs_), each=True)
    assert [np.flatnonzero(h).tolist() for h in hits] == [sorted(tree.query(d).tolist()) for d in discs_]
