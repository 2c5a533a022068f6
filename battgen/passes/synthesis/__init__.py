"""Synthesis: from a pack's requirements to ranked series/parallel/module architectures.

``synthesize(pack) -> Synthesis`` enumerates every series count S and parallel count P on a
grid (numpy broadcasting; no Python loop per candidate), every module split of S, estimates
what each candidate delivers with the cited models in ``battgen.models``, keeps those that
meet every requirement, picks the best for the pack's ``optimise`` objective and keeps the
Pareto front of the other objectives as runners-up. When nothing works it says which
requirement cannot be met, by how much, and what limits it (``explain``).

The modules, in the order a search runs through them:

* ``capacity``: the cells the envelope can hold before layout (``envelope_capacity``);
* ``grid``: every estimate over the S × P grid (the electrical model, mass, volume, cost,
  cycles), the requirements' masks, the module counts each S admits;
* ``search``: ``synthesize``, ``alternatives`` (the design loop's next tries) and
  ``evaluate_fixed`` (one given architecture), the ranking, the Pareto runners-up, the binding
  requirements and the thin margins;
* ``explain`` and ``describe``: why none works (E501–E504), and the words for it;
* ``candidate``: what the stages after it read (``Candidate``, ``Synthesis``) and their JSON.

This package re-exports the names the stages and tests use.
"""

from battgen.passes.synthesis.candidate import ESTIMATE_KEYS, Candidate, Synthesis
from battgen.passes.synthesis.capacity import envelope_capacity, split_floor
from battgen.passes.synthesis.describe import CONSTRAINT_ORDER
from battgen.passes.synthesis.explain import explain
from battgen.passes.synthesis.grid import CONNECTION_RESISTANCE, interconnect_allowance
from battgen.passes.synthesis.search import MARGIN_CHECKED, alternatives, evaluate_fixed, synthesize

__all__ = [
    "CONNECTION_RESISTANCE",
    "CONSTRAINT_ORDER",
    "ESTIMATE_KEYS",
    "MARGIN_CHECKED",
    "Candidate",
    "Synthesis",
    "alternatives",
    "envelope_capacity",
    "evaluate_fixed",
    "explain",
    "interconnect_allowance",
    "split_floor",
    "synthesize",
]
