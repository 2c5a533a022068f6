"""One requirement that cannot be met while the others can: the E502 that says by how much (the
best any design meeting the others reaches), and the requirement that caps it (``_limiter``),
named as a related span; a target that only the envelope's room stops says the cells it needs."""

from __future__ import annotations

import numpy as np

from battgen.core import ir
from battgen.core import units as u
from battgen.core.diagnostics import Diagnostic, Related
from battgen.passes.synthesis.describe import (
    _DIMS,
    _best_label,
    _bound_text,
    _describe_limit,
    _grid_value,
    _span_of,
)
from battgen.passes.synthesis.grid import _Grid


def _needs_more_cells(
    pack: ir.Pack, grid: _Grid, masks: dict[str, np.ndarray], name: str, diagnostic: Diagnostic
) -> Diagnostic:
    """ "energy >= 90 kWh needs 5,184 cells (96s54p); the envelope holds at most 4,120 (hex
    packing) — the largest feasible is 71.5 kWh"; for a fixed setting (``parallel = 6``), the
    cells it needs and what the envelope holds."""
    without_envelope = np.ones(grid.shape, dtype=bool)
    for other, mask in masks.items():
        if other != "envelope":
            without_envelope &= mask
    cells = np.broadcast_to(grid.cells, grid.shape)
    need = int(cells[without_envelope].min())
    need_label = _best_label(grid, without_envelope, -cells.astype(float), largest=True)
    envelope = (Related(_span_of(pack, "envelope"), "the envelope that limits it"),)
    bound = pack.requirements.get(name)
    if bound is None:  # `series`, `parallel` or `modules` fixed, and only the envelope in the way
        message = (
            f"{_describe_limit(pack, grid, name)} needs {need:,} cells ({need_label}); "
            f"{_describe_limit(pack, grid, 'envelope')}"
        )
        return Diagnostic(
            "E502",
            message,
            diagnostic.span,
            "fewer cells in series or parallel, or give the pack more room",
            related=envelope,
        )
    dim = _DIMS.get(name, u.DIMENSIONLESS)
    value = _grid_value(grid, name)
    assert value is not None  # a requirement synthesis screens has its grid (``_grid_value``)
    within = np.ones(grid.shape, dtype=bool)
    for other, mask in masks.items():
        if other != name:
            within &= mask
    largest = bool(bound.low is not None)
    best = float(value[within].max() if largest else value[within].min())
    end = bound.low if largest else bound.high  # a target's low end, else a limit's high end
    assert end is not None  # a bound states one end at least
    ends = f">= {u.format_quantity(end, dim)}" if largest else f"<= {u.format_quantity(end, dim)}"
    message = (
        f"`{name} {ends}` needs {need:,} cells ({need_label}); {_describe_limit(pack, grid, 'envelope')} — "
        f"the {'largest' if largest else 'smallest'} feasible is {u.format_quantity(best, dim)}"
    )
    return Diagnostic(
        "E502",
        message,
        diagnostic.span,
        f"lower the target to {u.format_quantity(best, dim)}, or give the pack more room",
        related=envelope,
    )


def _single_failure(
    pack: ir.Pack, grid: _Grid, masks: dict[str, np.ndarray], name: str, others: np.ndarray, names: list[str]
) -> Diagnostic:
    span = _span_of(pack, name)
    value = _grid_value(grid, name)
    bound = pack.requirements.get(name)
    dim = _DIMS.get(name, u.DIMENSIONLESS)
    if name == "envelope":
        need = int(np.broadcast_to(grid.cells, grid.shape)[others].min())
        limiter = _limiter(pack, grid, masks, others, name, names)
        message = (
            f"the requirements need at least {need:,} cells ({_best_label(grid, others, grid.cells, True)}); "
            f"{_describe_limit(pack, grid, 'envelope')}"
        )
        hint = "a larger envelope, a bigger cell, or lower targets"
        return _with_related(Diagnostic("E502", message, span, hint), pack, limiter, "needs the cells")
    if bound is None or value is None:
        return Diagnostic(
            "E502",
            f"{_describe_limit(pack, grid, name)} cannot be met with the other requirements",
            span,
            "relax it or the requirements it conflicts with",
        )
    if bound.low is not None and not (value[others] >= bound.low * (1 - 1e-9)).any():
        best = float(value[others].max())
        label = _best_label(grid, others, value, largest=True)
        shortfall = (bound.low - best) / bound.low
        limiter = _limiter(pack, grid, masks, others, name, names)
        limited = f" — limited by {_describe_limit(pack, grid, limiter)}" if limiter else ""
        message = (
            f"`{name} >= {u.format_quantity(bound.low, dim)}` cannot be met: the most any design meeting "
            f"the other requirements reaches is {u.format_quantity(best, dim)} ({label}), "
            f"{shortfall:.1%} short{limited}"
        )
        hint = f"lower the target to {u.format_quantity(best, dim)}" + (f" or relax `{limiter}`" if limiter else "")
        return _with_related(Diagnostic("E502", message, span, hint), pack, limiter, "this limits it")
    if bound.high is not None and (value[others] <= bound.high * (1 + 1e-9)).any():
        return _window_missed(pack, grid, masks, name, others, names, value, bound, dim)
    assert bound.high is not None  # its low end is met (above), so it is the high end that fails
    best = float(value[others].min())
    label = _best_label(grid, others, value, largest=False)
    excess = (best - bound.high) / bound.high
    limiter = _limiter(pack, grid, masks, others, name, names)
    limited = f" — forced by {_describe_limit(pack, grid, limiter)}" if limiter else ""
    message = (
        f"`{name} <= {u.format_quantity(bound.high, dim)}` cannot be met: the least any design meeting the "
        f"other requirements reaches is {u.format_quantity(best, dim)} ({label}), {excess:.1%} over{limited}"
    )
    hint = f"raise the limit to {u.format_quantity(best, dim)}" + (f" or relax `{limiter}`" if limiter else "")
    return _with_related(Diagnostic("E502", message, span, hint), pack, limiter, "this forces it")


def _window_missed(
    pack: ir.Pack,
    grid: _Grid,
    masks: dict[str, np.ndarray],
    name: str,
    others: np.ndarray,
    names: list[str],
    value: np.ndarray,
    bound: ir.Bound,
    dim: u.Dim,
) -> Diagnostic:
    """A range requirement (``voltage in 332 V .. 368 V``) that designs meeting the others
    straddle without landing inside: the nearest below and above."""
    assert bound.low is not None and bound.high is not None  # a window has both ends
    vals = value[others]
    below = vals[vals < bound.low * (1 - 1e-9)]
    above = vals[vals > bound.high * (1 + 1e-9)]
    near = []
    if below.size:
        near.append(f"{u.format_quantity(float(below.max()), dim)} below")
    if above.size:
        near.append(f"{u.format_quantity(float(above.min()), dim)} above")
    limiter = _limiter(pack, grid, masks, others, name, names)
    limited = f" — the steps are set by {_describe_limit(pack, grid, limiter)}" if limiter else ""
    message = (
        f"`{name} {_bound_text(bound, dim)}` cannot be met: the designs meeting the other requirements miss the "
        f"window, the nearest being {' and '.join(near)}{limited}"
    )
    hint = "widen the window" + (f" or relax `{limiter}`" if limiter else "")
    return _with_related(Diagnostic("E502", message, _span_of(pack, name), hint), pack, limiter, "this sets the steps")


def _with_related(diagnostic: Diagnostic, pack: ir.Pack, limiter: str | None, note: str) -> Diagnostic:
    if not limiter:
        return diagnostic
    span = _span_of(pack, limiter)
    if span == diagnostic.span:
        return diagnostic
    return Diagnostic(
        diagnostic.code,
        diagnostic.message,
        diagnostic.span,
        diagnostic.hint,
        diagnostic.severity,
        related=(Related(span, note),),
    )


def _limiter(
    pack: ir.Pack, grid: _Grid, masks: dict[str, np.ndarray], others: np.ndarray, name: str, names: list[str]
) -> str | None:
    """Which other requirement, when dropped too, lets ``name`` be met: the one that caps it."""
    target = masks[name]
    for other in names:
        if other == name:
            continue
        relaxed = np.ones(grid.shape, dtype=bool)
        for n in names:
            if n not in (name, other):
                relaxed &= masks[n]
        if (relaxed & target).any():
            return other
    return None
