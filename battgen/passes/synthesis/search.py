"""Synthesis's search (the package's docstring says what synthesis does as a whole).

This module holds ``synthesize``, the grid's bounds (``_search_box``), the ranking and the Pareto
front, the requirements that bind the choice, and the margins worth a warning. The estimates
are ``synthesis.grid``'s, the explanation of a "no" ``synthesis.explain``'s.
"""

from __future__ import annotations

import math

import numpy as np

from battgen.core import ir
from battgen.core import units as u
from battgen.core.diagnostics import Diagnostic, Severity
from battgen.core.limits import MAX_PARALLEL, MAX_SERIES
from battgen.passes.synthesis.candidate import Candidate, Synthesis
from battgen.passes.synthesis.capacity import envelope_capacity
from battgen.passes.synthesis.describe import _DIMS, CONSTRAINT_ORDER
from battgen.passes.synthesis.explain import _beyond_cell_limit, explain
from battgen.passes.synthesis.grid import _Grid

# --- the search ---------------------------------------------------------------------------


def synthesize(pack: ir.Pack, placed_capacity: int | None = None) -> Synthesis:
    """Every architecture of ``pack`` on the S×P grid: the best for its objective, the Pareto
    runners-up, or why none meets the requirements. ``placed_capacity``: the cells the layout
    pass found room for, replacing the area bound (the design loop's second look)."""
    s_top, p_top = _search_box(pack)
    series = np.arange(1, s_top + 1, dtype=np.int64)[:, None]
    parallel = np.arange(1, p_top + 1, dtype=np.int64)[None, :]
    grid = _Grid(pack, series, parallel, placed_capacity)
    masks = grid.masks()
    feasible = np.ones(grid.shape, dtype=bool)
    for mask in masks.values():
        feasible &= mask
    module_options = grid.module_options
    evaluated = int(series.size * parallel.size * max(module_options.shape[1], 1))
    capacity = grid.capacity
    objective = grid.objective()
    diagnostics: list[Diagnostic] = []
    chosen = None
    runners: list[Candidate] = []
    if feasible.any():
        order = _ranked(objective, grid, feasible)
        best = order[0]
        chosen_index = (best // grid.shape[1], best % grid.shape[1])
        binding = _binding(grid, masks, objective, chosen_index)
        chosen = grid.candidate(chosen_index, True, binding)
        for index in _pareto(grid, order[1:400]):
            runners.append(grid.candidate((index // grid.shape[1], index % grid.shape[1]), True, ()))
            if len(runners) >= 6:
                break
        diagnostics.extend(_thin_margins(pack, chosen))
    else:  # why: battgen's own cell limit first (no requirement asked for it), else the requirements
        too_big = _beyond_cell_limit(pack, grid, masks)
        diagnostics.extend([too_big] if too_big is not None else explain(pack, grid, masks))
    return Synthesis(
        pack=pack.name,
        chosen=chosen,
        runners_up=tuple(runners),
        evaluated=evaluated,
        feasible_count=int(feasible.sum()),
        envelope_capacity=capacity,
        diagnostics=tuple(diagnostics),
    )


def alternatives(pack: ir.Pack, count: int, max_cells: int | None = None) -> tuple[Candidate, ...]:
    """The ``count`` best feasible architectures after synthesis's choice, in the order of the
    pack's objective, each needing at most ``max_cells`` cells (the design loop's next tries;
    the same search as ``synthesize``, milliseconds)."""
    s_top, p_top = _search_box(pack)
    series = np.arange(1, s_top + 1, dtype=np.int64)[:, None]
    parallel = np.arange(1, p_top + 1, dtype=np.int64)[None, :]
    grid = _Grid(pack, series, parallel)
    feasible = np.ones(grid.shape, dtype=bool)
    for mask in grid.masks().values():
        feasible &= mask
    if max_cells is not None:
        feasible &= np.broadcast_to(grid.cells, grid.shape) <= max_cells
    order = _ranked(grid.objective(), grid, feasible)
    out = []
    for index in order[: count + 1]:
        out.append(grid.candidate((index // grid.shape[1], index % grid.shape[1]), True, ()))
    return tuple(out)


def evaluate_fixed(pack: ir.Pack, series: int, parallel: int, modules: int | None = None) -> Candidate:
    """The estimate of one given architecture, feasible or not (validation and hover); ``modules``:
    its module count when known (else what synthesis would pick)."""
    grid = _Grid(pack, np.array([[series]]), np.array([[parallel]]), modules=modules)
    masks = grid.masks()
    ok = all(bool(m[0, 0]) for m in masks.values())
    failed = tuple(name for name, m in masks.items() if not m[0, 0])
    return grid.candidate((0, 0), ok, failed)


def _search_box(pack: ir.Pack) -> tuple[int, int]:
    cell = pack.cell
    req = pack.requirements
    highs = [pack.series or 0, sum(pack.module_series or ())]
    for name, per_cell in (
        ("voltage", cell.nominal_voltage),
        ("max_voltage", cell.max_voltage),
        ("min_voltage", cell.min_voltage),
    ):
        bound = req.get(name)
        if bound is not None:
            for end in (bound.low, bound.high):
                if end is not None:
                    highs.append(math.ceil(1.25 * end / per_cell))
    s_top = max(highs) if max(highs) > 0 else 200
    s_top = int(min(max(s_top, 8), MAX_SERIES))
    s_low = 1
    voltage = req.get("voltage")
    if voltage is not None and voltage.low is not None:
        s_low = max(int(voltage.low / cell.nominal_voltage), 1)
    p_highs = [pack.parallel or 0, 8]
    energy = req.get("energy") or req.get("usable_energy")
    if energy is not None:
        target = energy.low if energy.low is not None else energy.high
        if target is not None:  # a bound states one end at least
            p_highs.append(math.ceil(2.0 * target / (s_low * cell.energy)))
    for name in ("power", "continuous_power"):
        bound = req.get(name)
        if bound is not None and bound.low is not None:
            p_highs.append(math.ceil(2.0 * bound.low / (s_low * cell.nominal_voltage * cell.max_discharge_current)))
    capacity = envelope_capacity(pack)
    if capacity:
        p_highs.append(capacity // s_low + 2)
    p_top = int(min(max(p_highs), MAX_PARALLEL))
    return s_top, max(p_top, 1)


def _ranked(objective: np.ndarray, grid: _Grid, feasible: np.ndarray) -> np.ndarray:
    """Feasible flat indices, best first; ties go to fewer cells, then lower S."""
    flat = np.flatnonzero(feasible)
    cells = np.broadcast_to(grid.cells, grid.shape).ravel()[flat]
    series = np.broadcast_to(grid.series, grid.shape).ravel()[flat]
    values = np.round(objective.ravel()[flat], 9)
    order = np.lexsort((series, cells, values))
    return flat[order]


def _pareto(grid: _Grid, indices: np.ndarray) -> list[int]:
    """Those of ``indices`` (best first) not dominated in (mass, volume, cost, −energy)."""
    if indices.size == 0:
        return []
    table = np.stack(
        [np.broadcast_to(a, grid.shape).ravel()[indices] for a in (grid.mass, grid.volume, grid.cost, -grid.energy)],
        axis=1,
    )
    better_or_equal = (table[:, None, :] <= table[None, :, :]).all(axis=2)
    strictly = (table[:, None, :] < table[None, :, :]).any(axis=2)
    dominated = (better_or_equal & strictly).any(axis=0)
    return [int(i) for i in indices[~dominated]]


def _binding(
    grid: _Grid, masks: dict[str, np.ndarray], objective: np.ndarray, index: tuple[int, int]
) -> tuple[str, ...]:
    """The requirements that stop a better design: those violated by the neighbours of the
    chosen S×P that would score better on the objective."""
    i, j = index
    best = objective[i, j]
    names: set[str] = set()
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            a, b = i + di, j + dj
            if (di, dj) == (0, 0) or not (0 <= a < grid.shape[0] and 0 <= b < grid.shape[1]):
                continue
            if objective[a, b] >= best:
                continue
            for name, mask in masks.items():
                if not mask[a, b]:
                    names.add(name)
    return tuple(n for n in CONSTRAINT_ORDER if n in names)


# Requirements whose margin can erode (tolerances, ageing); voltage limits are met exactly by
# design (S × cell limit) and are not warned about.
# A current limit bounds the current drawn, not the pack's capability, so it has no margin here.
MARGIN_CHECKED = ("energy", "usable_energy", "power", "continuous_power", "mass", "volume", "cost", "cycles")


def _thin_margins(pack: ir.Pack, chosen: Candidate) -> list[Diagnostic]:
    out = []
    for name, bound in pack.requirements.items():
        if name not in MARGIN_CHECKED:
            continue
        value = chosen.value(name)
        for end, sign in ((bound.low, 1), (bound.high, -1)):
            if end is None or end == 0:
                continue
            margin = max(sign * (value - end) / abs(end), 0.0)
            if 0 <= margin < 0.01 and bound.low != bound.high:
                dim = _DIMS.get(name, u.DIMENSIONLESS)
                out.append(
                    Diagnostic(
                        "W501",
                        f"`{name}` is met with {margin:.1%} margin "
                        f"({u.format_quantity(value, dim)} vs {u.format_quantity(end, dim)})",
                        bound.span,
                        "ageing and tolerances may eat this margin",
                        Severity.WARNING,
                    )
                )
    return out
