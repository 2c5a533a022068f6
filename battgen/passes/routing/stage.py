"""The pipeline's door to routing: ``routing_stage`` routes the placed candidate on its layout
(the driver's stage list sets ``build.routing`` from it)."""

from __future__ import annotations

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic
from battgen.core.outcome import Outcome
from battgen.passes.layout.types import Placement
from battgen.passes.routing.network import Network
from battgen.passes.routing.router import route_with_network
from battgen.passes.routing.types import Routing


def routing_stage(pack: ir.Pack, placement: Placement) -> Outcome[Routing]:
    """Route the placed candidate on its layout."""
    return routing_stage_with_network(pack, placement)[0]


def routing_stage_with_network(pack: ir.Pack, placement: Placement) -> tuple[Outcome[Routing], Network | None]:
    """``routing_stage`` and the resistance network it solved (``PackBuild.circuit``: the
    netlist export reads it)."""
    result, network = route_with_network(pack, placement.layout, placement.candidate)
    if isinstance(result, Diagnostic):
        return Outcome(None, (result,)), None
    return Outcome(result, tuple(result.diagnostics)), network
