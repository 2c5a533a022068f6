"""The layout stage of the pipeline: one architecture placed.

The driver's design loop (``battgen.driver.loop``) calls ``layout_stage`` for each
architecture it tries; its Placement names the candidate placed, which every later stage then
builds. ``capacity`` tells the loop how many cells the envelope really holds.
"""

from __future__ import annotations

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic
from battgen.core.outcome import Outcome
from battgen.passes.layout.place import place
from battgen.passes.layout.sites import sites
from battgen.passes.layout.types import Placement
from battgen.passes.synthesis import Candidate


def layout_stage(pack: ir.Pack, candidate: Candidate) -> Outcome[Placement]:
    """Place ``candidate``: every cell, its group and module. A candidate that does not fit or
    cannot be grouped is an error here; the driver's design loop then tries the next one."""
    got = place(pack, candidate)
    if isinstance(got, Diagnostic):
        return Outcome(None, (got,))
    return Outcome(Placement(candidate, got))


def capacity(pack: ir.Pack) -> int | None:
    """The most cells the envelope holds (None without an envelope): the design loop skips
    architectures that need more."""
    return sites(pack).count if pack.envelope is not None else None
