"""The pipeline's doors to routing: ``plates_stage`` cuts the plates on the placed candidate's
layout (``build.plates``), ``routing_stage`` routes it on them (``build.routing``). Two stages,
so that an edit of what only the busbars, leads and fuses read (the busbar stock, the fusing,
the loads) reuses the plates: on a 7,000-cell pack, most of routing's time."""

from __future__ import annotations

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic
from battgen.core.outcome import Outcome
from battgen.passes.layout.types import Placement
from battgen.passes.routing.network import Network
from battgen.passes.routing.plates import Plates
from battgen.passes.routing.router import plates_on, route_with_network
from battgen.passes.routing.types import Routing


def plates_stage(pack: ir.Pack, placement: Placement) -> Outcome[Plates]:
    """Every owner's plate cut on the placed candidate's layout, before the enclosure's walls."""
    result = plates_on(pack, placement.layout, placement.candidate)
    if isinstance(result, Diagnostic):
        return Outcome(None, (result,))
    return Outcome(result, ())


def routing_stage(pack: ir.Pack, placement: Placement, plates: Plates | None = None) -> Outcome[Routing]:
    """Route the placed candidate on its layout (on ``plates`` when they were cut)."""
    return routing_stage_with_network(pack, placement, plates)[0]


def routing_stage_with_network(
    pack: ir.Pack, placement: Placement, plates: Plates | None = None
) -> tuple[Outcome[Routing], Network | None]:
    """``routing_stage`` and the resistance network it solved (``PackBuild.circuit``: the
    netlist export reads it)."""
    result, network = route_with_network(pack, placement.layout, placement.candidate, plates)
    if isinstance(result, Diagnostic):
        return Outcome(None, (result,)), None
    return Outcome(result, tuple(result.diagnostics)), network
