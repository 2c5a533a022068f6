"""The layout stage of the pipeline: synthesis's choice placed, or the first runner-up that places.

The driver's stage registry (``battgen.driver.stages``) calls ``layout_stage``; its Placement
names the candidate placed, which every later stage then builds.
"""

from __future__ import annotations

from dataclasses import replace

from battgen.core import ir
from battgen.core.outcome import Outcome
from battgen.passes.layout.place import place
from battgen.passes.layout.sites import sites
from battgen.passes.layout.types import Layout, Placement
from battgen.passes.synthesis import Synthesis


def layout_stage(pack: ir.Pack, synthesis: Synthesis) -> Outcome[Placement]:
    """Place synthesis's choice; if it does not fit or cannot be grouped, the first runner-up
    that needs no more cells than fit and places cleanly. The placement names the candidate
    placed: every later stage builds that one."""
    chosen = synthesis.chosen
    if chosen is None:
        return Outcome(None)
    first = place(pack, chosen)
    if isinstance(first, Layout):
        return Outcome(Placement(chosen, first))
    capacity = sites(pack).count if pack.envelope is not None else None
    for rank, runner in enumerate(synthesis.runners_up, start=1):
        if capacity is not None and runner.cells > capacity:
            continue
        got = place(pack, runner)
        if isinstance(got, Layout):
            why = first.message.split(": ", 1)[-1]
            note = (
                f"{got.note}; placed runner-up {rank} {runner.label} ({runner.modules} modules) because the chosen "
                f"{chosen.label} failed: {first.code} {why}"
            )
            reason = f"{first.code} {why}"
            return Outcome(Placement(runner, replace(got, note=note), rank, chosen.label, reason))
    return Outcome(None, (first,))
