"""Placing one candidate: the floor, its sites, a grouping of them, and the Layout — or why not.

``place(pack, candidate) -> Layout | Diagnostic`` is pure and deterministic. It takes the
floor (``floor``), the best site arrangement on it (``sites``; relaxed off the lattice when the
lattice is short), groups the sites (``grouping``: the best arrangement first, then up to three
runners-up that hold the cells too) and builds the Layout (``build``). E601 when the envelope
cannot hold the cells, E602 when the groups cannot be made contiguous.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from shapely.geometry import box

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Related, Span
from battgen.passes.layout.build import _build, _fmt_mm
from battgen.passes.layout.floor import Floor, floor
from battgen.passes.layout.grouping import _group, _largest_island, _Plan, _plan
from battgen.passes.layout.growth import _group_relaxed
from battgen.passes.layout.sites import Arrangement, SiteSearch, _search, _site_search_for, sites_for
from battgen.passes.layout.types import Layout
from battgen.passes.synthesis import Candidate


def _envelope_span(pack: ir.Pack) -> Span:
    """Where the pack names its envelope (the pack's name when it names none)."""
    return pack.property_spans.get("envelope", pack.name_span)


def place(pack: ir.Pack, candidate: Candidate) -> Layout | Diagnostic:
    """Place ``candidate``'s S×P cells in the pack's envelope (pure, deterministic)."""
    plan = _plan(candidate)
    fl = floor(pack, plan.cells)
    ss = _search(pack, fl)
    if fl.virtual:
        grow = 0
        while ss.count < plan.cells and grow < 12:
            side = fl.outline.bounds[2] * 1.15
            outline = box(0.0, 0.0, side, side)
            fl = replace(fl, outline=outline, inner=outline, usable=outline)
            ss = _search(pack, fl)
            grow += 1
    return _place_with(pack, candidate, plan, fl, ss)


def _place_with(pack: ir.Pack, candidate: Candidate, plan: _Plan, fl: Floor, ss: SiteSearch) -> Layout | Diagnostic:
    """``place`` once the floor and its best sites are known: the checks that refuse the
    candidate (E601, E602), then the groupings tried."""
    cell = pack.cell.format
    name = pack.envelope.name if pack.envelope else "(none)"
    if fl.layers <= 0:
        return Diagnostic(
            "E601",
            f"the envelope cannot hold the cells: `{name}` is {_fmt_mm(fl.height)} high and a {pack.cell.name} cell "
            f"stands {_fmt_mm(cell.height)}; 0 of the {plan.cells:,} cells ({candidate.label}) fit",
            _envelope_span(pack),
            hint="a taller envelope or a shorter cell",
        )
    if plan.per_module == 0:
        return Diagnostic(
            "E602",
            f"parallel groups cannot be made contiguous: {plan.groups} groups do not split "
            f"into {plan.modules} equal modules",
            pack.name_span,
            hint="choose a module count that divides S, or declare the modules' sizes: `module_series = [...]`",
        )
    if ss.count < plan.cells:
        ss = sites_for(pack, plan.cells, fl, ss)  # relaxed off the lattice when that finds room
    if ss.count < plan.cells:
        tried = ", ".join(f"{fam} {n * ss.layers:,}" for fam, n in sorted(ss.best.items()))
        return Diagnostic(
            "E601",
            f"the envelope cannot hold the cells: `{name}` holds {ss.count:,} {pack.cell.name} cells "
            f"({ss.describe()}) but {candidate.label} needs {plan.cells:,}"
            + (f" (best per arrangement: {tried})" if tried else "")
            + (f"; {ss.relaxation}" if ss.relaxation else ""),
            _envelope_span(pack),
            hint=f"{ss.count:,} cells fit on a lattice: fewer cells in parallel, a larger envelope or a smaller gap",
            related=(Related(pack.name_span, f"{candidate.label} = {plan.cells:,} cells"),),
        )
    if ss.arr.family == "relaxed":
        from battgen.passes.layout import relax

        # press the cells together: the groups need touching cells, and the relaxation stops
        # as soon as none overlap, which leaves many a hair apart
        ss = replace(ss, xy=relax.settle(fl.usable, ss.arr.pu, ss.half[0], ss.xy))
        ss = replace(ss, uv=ss.xy.copy())
        got, tried_total = _group_relaxed(ss, plan, pack.gap)
        if got is not None:
            return _build(pack, candidate, plan, fl, ss, *got)
        return _ungroupable(pack, candidate, plan, ss, tried_total, "growth over the contact graph")
    tried_total = 0
    for k, arr in enumerate(_attempts(ss, fl, plan)):
        attempt = ss if k == 0 else _site_search_for(pack, fl, arr)
        if attempt.count < plan.cells:
            continue
        got, orderings = _group(attempt, plan, pack.gap)
        tried_total += orderings
        if got is not None:
            return _build(pack, candidate, plan, fl, attempt, *got)
    return _ungroupable(pack, candidate, plan, ss, tried_total, "serpentine ordering")


def _attempts(ss: SiteSearch, fl: Floor, plan: _Plan) -> Iterator[Arrangement]:
    """The arrangements whose sites are grouped in turn: the best, then up to three runners-up
    that hold the cells (read only when the best cannot be grouped)."""
    yield ss.arr
    yield from (arr for arr, n in ss.ranked[1:4] if n * fl.layers >= plan.cells)


def _ungroupable(
    pack: ir.Pack, candidate: Candidate, plan: _Plan, ss: SiteSearch, tried_total: int, how: str
) -> Diagnostic:
    """E602: the sites hold the cells but no ordering of ``how`` tried groups them."""
    largest = _largest_island(ss, pack.gap)
    return Diagnostic(
        "E602",
        f"parallel groups cannot be made contiguous: {candidate.label} needs {plan.groups} groups of "
        f"{plan.per_group} touching cells with consecutive groups side by side; {ss.count:,} sites fit "
        f"({ss.describe()}) but no {how} of {tried_total} tried groups them "
        f"(largest connected piece of floor: {largest:,} sites)",
        _envelope_span(pack),
        hint="keepouts or a narrow outline split the floor; fewer cells in parallel, or a layout that joins the pieces",
        related=(Related(pack.name_span, f"{candidate.label}"),),
    )
