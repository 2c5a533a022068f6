"""Routing, step by step: ``route(pack, layout, candidate) -> Routing | Diagnostic``.

The steps, each in the module named for its job: the terminals and their owners, the floor and
the creepage distances (``context``); each owner's plate cut from the Voronoi split of its face
(``plates``); plates that fell apart bridged or joined by jumpers, measured, sized and recorded
as busbars (``busbars``, ``bridges``, ``sizing``); the pack terminal leads to the envelope wall
(``leads``); the fuse links (``fuses``); the live parts against the enclosure (``isolation``);
the pack's resistance network, solved at the peak current (``netlist``, ``network``). Any step
may refuse with a diagnostic (E701 no route, E702 no fuse); ``route_with_network`` turns an
unexpected failure into E701 too.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic
from battgen.passes.layout.types import Layout
from battgen.passes.routing.busbars import creepage_warning, plate_busbars, thickened_warning
from battgen.passes.routing.context import plate_context, routing_context, routing_span
from battgen.passes.routing.fuses import fuse_links
from battgen.passes.routing.isolation import isolation
from battgen.passes.routing.leads import pack_leads
from battgen.passes.routing.netlist import pack_network
from battgen.passes.routing.network import Network
from battgen.passes.routing.plates import Plates, clear_of_walls, cut_plates
from battgen.passes.routing.types import Routing

if TYPE_CHECKING:
    from battgen.passes.synthesis import Candidate


def route(pack: ir.Pack, layout: Layout, candidate: Candidate) -> Routing | Diagnostic:
    """Busbars, terminal leads, fuses and the solved network for ``candidate`` on ``layout``."""
    return route_with_network(pack, layout, candidate)[0]


def plates_on(pack: ir.Pack, layout: Layout, candidate: Candidate) -> Plates | Diagnostic:
    """The plates cut for ``candidate`` on ``layout`` (the plates stage); E701 as ``route``."""
    try:
        ctx = plate_context(pack, layout, candidate)
        return ctx if isinstance(ctx, Diagnostic) else Plates(ctx, cut_plates(ctx))
    except Exception as error:  # noqa: BLE001 - any layout the layout pass makes must give a diagnostic
        return _failed(pack, error)


def route_with_network(
    pack: ir.Pack, layout: Layout, candidate: Candidate, plates: Plates | None = None
) -> tuple[Routing | Diagnostic, Network | None]:
    """``route`` and the ``Network`` it solved (None when routing failed), on ``plates`` (cut
    here when not given). Never raises: a geometry or solver failure on an unusual layout comes
    back as an E701 diagnostic."""
    try:
        if plates is None:
            cut = plates_on(pack, layout, candidate)
            if isinstance(cut, Diagnostic):
                return cut, None
            plates = cut
        return _route_with_network(pack, candidate, plates)
    except Exception as error:  # noqa: BLE001 - any layout the layout pass makes must give a diagnostic
        return _failed(pack, error), None


def _failed(pack: ir.Pack, error: Exception) -> Diagnostic:
    """The E701 for a geometry or solver failure, with where it happened."""
    where = traceback.extract_tb(error.__traceback__)[-1]
    return Diagnostic(
        "E701",
        f"no route: the busbar geometry failed on this layout ({type(error).__name__}: {error} "
        f"at {where.name}:{where.lineno})",
        routing_span(pack),
        "this is a routing limitation on this arrangement; try another gap or module count",
    )


def _route_with_network(
    pack: ir.Pack, candidate: Candidate, plates: Plates
) -> tuple[Routing | Diagnostic, Network | None]:
    """``route_with_network`` without the safety net: the steps in order from the plates as
    cut, the first refusal returned."""
    ctx = routing_context(pack, plates.context, candidate)
    layout = ctx.layout
    cut = plates.cut.copy()  # the busbar step bridges plates: the stage's cut stays as it was
    clear_of_walls(ctx, cut)
    plated = plate_busbars(ctx, cut)
    if isinstance(plated, Diagnostic):
        return plated, None
    warnings: list[Diagnostic] = []
    if plated.thickened:  # one finding for all of them: the per-busbar figures are in design.json
        warnings.append(thickened_warning(ctx, plated.thickened))
    if cut.forced:  # one finding for every busbar whose terminals the layout puts too close to unlike ones
        warnings.append(creepage_warning(ctx, cut.forced))
    leads = pack_leads(ctx, len(plated.busbars))
    if isinstance(leads, Diagnostic):
        return leads, None
    busbars = plated.busbars + [lead.busbar for lead in leads]
    fusing = fuse_links(ctx, candidate.nominal_voltage, candidate.resistance)
    if isinstance(fusing, Diagnostic):
        return fusing, None
    insulated, found = isolation(
        pack, layout, busbars, fusing.links, ctx.max_voltage, ctx.insulation, ctx.walls, ctx.feet
    )
    warnings.extend(found)
    net = pack_network(ctx, busbars, plated, fusing, leads)
    solution = net.solution(ctx.duty.pack_peak)
    terminals = tuple(lead.terminal for lead in leads)
    routing = Routing(
        tuple(busbars), tuple(fusing.links), solution, terminals, ctx.clearance, pack.fuse, tuple(warnings), insulated
    )
    return routing, net
