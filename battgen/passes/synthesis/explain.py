"""Explaining a "no": when no architecture meets the requirements, which requirement cannot be
met, by how much, and what limits it — E501 (several conflict), E502 (one cannot be met), E503 (two
conflict), E504 (beyond battgen's cell limit) — each said on the source that states it."""

from __future__ import annotations

import numpy as np

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Diagnostic, Related
from battgen.core.limits import MAX_CELLS
from battgen.passes.synthesis.describe import (
    CONSTRAINT_ORDER,
    _best_label,
    _bound_text,
    _describe_limit,
    _lowercase_first,
    _span_of,
)
from battgen.passes.synthesis.grid import _Grid
from battgen.passes.synthesis.shortfall import _limiter, _needs_more_cells, _single_failure

# --- explaining a "no" --------------------------------------------------------------------


def explain(pack: ir.Pack, grid: _Grid, masks: dict[str, np.ndarray]) -> list[Diagnostic]:
    """Why no architecture works, as diagnostics on the requirements that cannot be met.

    For each requirement, the other requirements together define what is still possible;
    if that set is not empty, this requirement alone is the one that fails, and the best
    value in that set says by how much. The requirement that caps that best value is named
    too (a conflict, with both spans)."""
    names = [n for n in CONSTRAINT_ORDER if n in masks] + [n for n in masks if n not in CONSTRAINT_ORDER]
    uneven = _uneven_modules(pack, grid)
    if uneven is not None:
        return [uneven]
    too_small = _fixed_beyond_envelope(pack, grid, masks)
    if too_small is not None:
        return [too_small]
    out = _each_said_once(pack, grid, masks, _single_failures(pack, grid, masks, names))
    if out:
        return out
    return [_conflicting_pair(pack, grid, masks, names)]


def _fixed_beyond_envelope(pack: ir.Pack, grid: _Grid, masks: dict[str, np.ndarray]) -> Diagnostic | None:
    """E502 on fixed counts (`series = 4`, `parallel = 6`) that no envelope-sized pack can have:
    the envelope is the reason, whatever else is asked; None when there are none such."""
    fixed = [n for n in ("series", "parallel") if n in masks and getattr(pack, n) is not None]
    if fixed and "envelope" in masks:
        settings = np.ones(grid.shape, dtype=bool)
        for n in fixed:
            settings &= masks[n]
        if settings.any() and not (settings & masks["envelope"]).any():
            cells = np.broadcast_to(grid.cells, grid.shape)
            need = int(cells[settings].min())
            label = _best_label(grid, settings, -cells.astype(float), largest=True)
            said = " and ".join(_describe_limit(pack, grid, n) for n in fixed)
            return Diagnostic(
                "E502",
                f"{said} need{'s' if len(fixed) == 1 else ''} at least {need:,} cells ({label}); "
                f"{_describe_limit(pack, grid, 'envelope')}",
                _span_of(pack, fixed[-1]),
                "fewer cells in series or parallel, or give the pack more room",
                related=(Related(_span_of(pack, "envelope"), "the envelope that limits it"),),
            )
    return None


def _single_failures(
    pack: ir.Pack, grid: _Grid, masks: dict[str, np.ndarray], names: list[str]
) -> dict[str, tuple[Diagnostic, str | None]]:
    """Each requirement that alone fails where the others together still leave designs: its
    diagnostic and the requirement that caps it (``_limiter``; None if none does)."""
    failures: dict[str, tuple[Diagnostic, str | None]] = {}
    for name in names:
        others = np.ones(grid.shape, dtype=bool)
        for other in names:
            if other != name:
                others &= masks[other]
        if not others.any():
            continue
        limiter = _limiter(pack, grid, masks, others, name, names)
        failures[name] = (_single_failure(pack, grid, masks, name, others, names), limiter)
    return failures


def _each_said_once(
    pack: ir.Pack, grid: _Grid, masks: dict[str, np.ndarray], failures: dict[str, tuple[Diagnostic, str | None]]
) -> list[Diagnostic]:
    """The ``failures`` as said: one capped by the envelope as the cells it needs
    (``_needs_more_cells``), two that each fail only because of the other as one conflict (E503),
    the rest as they are."""
    out: list[Diagnostic] = []
    merged: set[str] = set()
    for name, (diagnostic, limiter) in failures.items():
        if name in merged:
            continue
        partner = failures.get(limiter) if limiter else None
        if name == "envelope" and limiter in failures:
            continue  # said on the requirement that needs the cells (below)
        if limiter == "envelope":
            out.append(_needs_more_cells(pack, grid, masks, name, diagnostic))
            continue
        if partner is not None and limiter is not None and partner[1] == name:
            # two requirements that each fail only because of the other: one conflict, said on
            # the requirement (a target) rather than on a fixed setting such as `parallel = 10`
            if name not in pack.requirements and limiter in pack.requirements:
                name, limiter = limiter, name
                diagnostic, partner = partner[0], failures[limiter]
            merged.update((name, limiter))
            out.append(
                Diagnostic(
                    "E503",
                    f"{_describe_limit(pack, grid, name)} and {_describe_limit(pack, grid, limiter)} conflict: "
                    f"{_lowercase_first(diagnostic.message)}",
                    diagnostic.span,
                    hint=f"{diagnostic.hint}; or {partner[0].hint.split(' or ')[0]}",
                    related=(Related(_span_of(pack, limiter), partner[0].message),),
                )
            )
            continue
        out.append(diagnostic)
    return out


def _conflicting_pair(pack: ir.Pack, grid: _Grid, masks: dict[str, np.ndarray], names: list[str]) -> Diagnostic:
    """No single requirement is to blame: E503 on the pair that conflicts most directly, else E501
    naming them all."""
    for a_index, a in enumerate(names):
        for b in names[a_index + 1 :]:
            rest = np.ones(grid.shape, dtype=bool)
            for other in names:
                if other not in (a, b):
                    rest &= masks[other]
            if (
                rest.any()
                and not (rest & masks[a] & masks[b]).any()
                and (rest & masks[a]).any()
                and (rest & masks[b]).any()
            ):
                return Diagnostic(
                    "E503",
                    f"{_describe_limit(pack, grid, a)} and {_describe_limit(pack, grid, b)} cannot both be met "
                    f"by any {pack.cell.name} pack",
                    _span_of(pack, a),
                    hint="relax one of them",
                    related=(Related(_span_of(pack, b), "conflicts with this"),),
                )
    return Diagnostic(
        "E501",
        f"no {pack.cell.name} pack meets the requirements together: " + ", ".join(f"`{n}`" for n in names),
        pack.name_span,
        hint="several requirements conflict; relax the tightest (try removing one at a time)",
    )


def _uneven_modules(pack: ir.Pack, grid: _Grid) -> Diagnostic | None:
    """E503 when a fixed ``series`` does not split into the ``modules`` declared (equal modules,
    no ``module_voltage`` in the way): said on ``modules``, the hint the list of sizes that would
    declare it (as equal as they go: floor and ceiling) and the counts that divide S."""
    bound, series = pack.modules, pack.series
    if bound is None or series is None or pack.module_series or "module_voltage" in pack.requirements:
        return None
    row = np.flatnonzero(grid.series[:, 0] == series)
    if row.size == 0 or grid.module_options[row[0]].any():
        return None
    count = int(grid.module_counts[0][0])  # the fewest the bound allows (a string's)
    if count > series:
        return None
    base, extra = divmod(series, count)
    sizes = [base + 1] * extra + [base] * (count - extra)
    strings = pack.strings
    low = 1 if bound.low is None else bound.low
    high = sc.MAX_MODULES if bound.high is None else bound.high
    dividing = [m * strings for m in range(1, series + 1) if series % m == 0 and 1 < m * strings <= 4 * high]
    near = sorted(dividing, key=lambda m: (abs(m - low), m))[:3]
    return Diagnostic(
        "E503",
        f"`series = {series}` and `modules` ({_bound_text(bound, u.DIMENSIONLESS)}) conflict: {series} series groups "
        f"do not split into {count * strings} equal modules ({series} / {count} = {series / count:.3g})",
        _span_of(pack, "modules"),
        f"declare the modules' sizes, `module_series = [{', '.join(str(k) for k in sizes)}]`"
        + (f", or a module count that divides {series} ({', '.join(str(m) for m in sorted(near))})" if near else ""),
        related=(Related(_span_of(pack, "series"), f"S = {series} here"),),
    )


def _beyond_cell_limit(pack: ir.Pack, grid: _Grid, masks: dict[str, np.ndarray]) -> Diagnostic | None:
    """E504 when the requirements together are met only by packs of more than ``MAX_CELLS``
    cells, said on the requirement that needs them; None otherwise."""
    if "cells" not in masks:
        return None
    rest = [n for n in masks if n != "cells"]
    others = np.ones(grid.shape, dtype=bool)
    for name in rest:
        others &= masks[name]
    if not others.any() or (others & masks["cells"]).any():
        return None
    cells = np.broadcast_to(grid.cells, grid.shape)
    need = int(cells[others].min())
    label = _best_label(grid, others, -cells.astype(float), largest=True)
    driver = _limiter(pack, grid, masks, others, "cells", rest + ["cells"])
    said = f"{_describe_limit(pack, grid, driver)} needs" if driver else "the requirements need"
    return Diagnostic(
        "E504",
        f"{said} at least {need:,} cells ({label}); battgen builds at most {MAX_CELLS:,} cells a pack (MAX_CELLS)",
        _span_of(pack, driver) if driver else pack.name_span,
        "lower the target, or use a larger cell; docs/limits.md lists battgen's limits and why",
    )
