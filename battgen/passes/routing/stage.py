"""The pipeline's door to routing: ``routing_stage`` routes the placed candidate on its layout
(the driver's stage list sets ``build.routing`` from it)."""

from __future__ import annotations

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic
from battgen.core.outcome import Outcome
from battgen.passes.layout.types import Placement
from battgen.passes.routing.router import route
from battgen.passes.routing.types import Routing


def routing_stage(pack: ir.Pack, placement: Placement) -> Outcome[Routing]:
    """Route the placed candidate on its layout."""
    result = route(pack, placement.layout, placement.candidate)
    if isinstance(result, Diagnostic):
        return Outcome(None, (result,))
    return Outcome(result, tuple(result.diagnostics))
