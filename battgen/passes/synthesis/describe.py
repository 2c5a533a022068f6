"""The words synthesis says a requirement or a limit with when it explains a "no" or warns of a
thin margin: the order requirements are named in (``CONSTRAINT_ORDER``), their dimensions, where
in the source each is stated (``_span_of``), what it means in words (``_describe_limit``), and the
grid's value for it (``_grid_value``) and its best candidate's label (``_best_label``)."""

from __future__ import annotations

import numpy as np

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Span
from battgen.core.limits import MAX_CELLS
from battgen.passes.synthesis.capacity import split_floor
from battgen.passes.synthesis.grid import _Grid

CONSTRAINT_ORDER = (
    "series",
    "parallel",
    "voltage",
    "max_voltage",
    "min_voltage",
    "modules",
    "module_voltage",
    "energy",
    "usable_energy",
    "power",
    "continuous_power",
    "current",
    "peak_current",
    "charge_current",
    "charge_power",
    "mass",
    "volume",
    "cost",
    "cycles",
    "envelope",
)

# the dimension of every requirement, from the schema (the one place requirements are declared)
_DIMS = {prop.name: prop.dim for prop in sc.PACK if prop.ops != sc.SET_ONLY}


def _span_of(pack: ir.Pack, name: str) -> Span:
    if name in pack.requirements:
        return pack.requirements[name].span
    if name in pack.property_spans:
        return pack.property_spans[name]
    return pack.name_span


def _grid_value(grid: _Grid, name: str) -> np.ndarray | None:
    values = {
        "voltage": grid.nominal_voltage,
        "max_voltage": grid.max_voltage,
        "min_voltage": grid.min_voltage,
        "energy": grid.energy,
        "usable_energy": grid.usable_energy,
        "power": grid.peak_power,
        "continuous_power": grid.continuous_power,
        "mass": grid.mass,
        "volume": grid.volume,
        "cost": grid.cost,
        "current": grid.limited_current("current"),
        "peak_current": grid.peak_current,
        "charge_current": grid.charge_current,
        "charge_power": grid.charge_power,
        "envelope": grid.cells,
        "series": grid.series,
        "parallel": grid.parallel,
    }
    value = values.get(name)
    return None if value is None else np.broadcast_to(value, grid.shape)


def _describe_limit(pack: ir.Pack, grid: _Grid, name: str) -> str:
    """What a constraint means in words, for "limited by ..."."""
    req = pack.requirements
    if name == "envelope":
        layout = "hex" if pack.layout in ("hex", "auto") else "square"
        if pack.cell.format.kind != "cylindrical":
            layout = "rows"
        envelope = pack.envelope.name if pack.envelope is not None else "?"  # limits only with one
        if grid.placed:
            return f"`envelope = {envelope}` (the layout pass found room for {grid.capacity:,} cells)"
        pieces = split_floor(pack)
        if pieces is not None:
            return (
                f"`envelope = {envelope}` (its floor is cut into {pieces.count} pieces and the cells of "
                f"a string must touch, so they stay in one piece: the largest holds at most {grid.capacity:,} "
                f"cells, {layout} packing)"
            )
        return f"`envelope = {envelope}` (holds at most {grid.capacity:,} cells, {layout} packing)"
    if name == "cells":
        return f"battgen's limit of {MAX_CELLS:,} cells a pack (MAX_CELLS)"
    if name in ("series", "parallel"):
        return f"`{name} = {getattr(pack, name)}`"
    if name == "modules":
        bound = pack.modules
        text = "`modules`" if bound is None else f"`modules` ({_bound_text(bound, u.DIMENSIONLESS)})"
        if pack.module_series:
            text = f"`module_series` (S = {sum(pack.module_series)} in {len(pack.module_series)} modules)"
        if "module_voltage" in req:
            high = req["module_voltage"].high
            text += f" with `module_voltage <= {u.format_quantity(high, u.VOLTAGE)}`" if high is not None else ""
        return text
    bound = req.get(name)
    return f"`{name} {_bound_text(bound, _DIMS.get(name, u.DIMENSIONLESS))}`" if bound else f"`{name}`"


def _bound_text(bound: ir.Bound, dim: u.Dim) -> str:
    fmt = (lambda v: f"{v:g}") if dim == u.DIMENSIONLESS else (lambda v: u.format_quantity(v, dim))
    if bound.low is not None and bound.high is not None:
        if bound.low == bound.high:
            return f"= {fmt(bound.low)}"
        return f"in {fmt(bound.low)} .. {fmt(bound.high)}"
    if bound.low is not None:
        return f">= {fmt(bound.low)}"
    return f"<= {fmt(bound.high)}"


def _lowercase_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text and not text.startswith("`") else text


def _best_label(grid: _Grid, mask: np.ndarray, value: np.ndarray, largest: bool) -> str:
    value = np.broadcast_to(value, grid.shape)
    masked = np.where(mask, value, -np.inf if largest else np.inf)
    flat = int(np.argmax(masked) if largest else np.argmin(masked))
    i, j = flat // grid.shape[1], flat % grid.shape[1]
    return f"{int(grid.series[i, 0])}s{int(grid.parallel[0, j])}p"
