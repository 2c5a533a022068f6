"""What a study compares: a built variant's figures, its feasibility, the Pareto front.

``evaluate`` reads one variant's build (the whole checked pipeline without CAD) into an
``Evaluation``: how far it got (``status``), the architecture built and its metrics
(``core.schema.METRICS``, SI):

* mass and cost: the bill of materials (routed busbars and fuse links, the packaging model's
  other parts), the same sums the as-built check compares with the requirements;
* volume: the enclosure box around the envelope (the as-built check's), else synthesis's;
* temperature: the hottest cell as the as-built check sees it (the cooled face at the
  continuous load plus the peak pulse; without a cold plate, the end of a full discharge);
* energy: the cells placed × the cell's nominal energy; power: the as-built peak power when the
  pack states a `power` requirement;
* parts: pieces to assemble — the cells placed, every routed busbar and terminal lead, every
  fuse link, and a frame per module; welds: joints to make — each cell's two terminals, plus
  one for each fuse link (a link is joined at both ends where the cell would be joined once).
  Counts of what was built, not estimates.

A variant is *feasible* when it passed the as-built check (every requirement of its pack and
every cell limit) and its metrics meet the study's own bounds. The Pareto front is the
feasible variants no other feasible variant is at least as good as on every objective and
better on one; ``best`` picks the designs a report shows: the best on each objective and the
front's most balanced one (the least sum of objectives scaled to 0..1 over the feasible set).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from battgen.core import ir
from battgen.core import schema as sc

# status of a variant, in the order a build gets through the pipeline
INVALID = "invalid"  # the variant's source has errors (front end)
INFEASIBLE = "infeasible"  # synthesis found no architecture meeting the requirements
FAILED = "failed"  # built, but not every requirement or cell limit is met as built
PASSED = "passed"  # built and checked
ERROR = "error"  # an internal error (E901) or the worker was lost


@dataclass(frozen=True)
class Evaluation:
    """One variant's result: plain values only (it travels back from a worker and is stored)."""

    key: str
    status: str
    label: str = ""  # the architecture built, e.g. "96s49p"
    series: int = 0
    parallel: int = 0
    modules: int = 0
    cells: int = 0
    metrics: dict[str, float] = field(default_factory=dict)  # SI, by metric name
    failures: tuple[str, ...] = ()  # "CODE message" of each error, the first few
    attempts: int = 0  # architectures the design loop built
    seconds: float = 0.0  # the worker's wall time for the build (not part of any table)
    cpu: float = 0.0  # the worker process's CPU time for it (what the build costs on a busy machine)

    def metric(self, name: str) -> float:
        return self.metrics.get(name, math.nan)

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "status": self.status,
            "label": self.label,
            "series": self.series,
            "parallel": self.parallel,
            "modules": self.modules,
            "cells": self.cells,
            "metrics": dict(sorted(self.metrics.items())),
            "failures": list(self.failures),
            "attempts": self.attempts,
            "seconds": self.seconds,
            "cpu": self.cpu,
        }

    @staticmethod
    def from_json(data: dict) -> Evaluation:
        return Evaluation(
            key=data["key"],
            status=data["status"],
            label=data["label"],
            series=data["series"],
            parallel=data["parallel"],
            modules=data["modules"],
            cells=data["cells"],
            metrics={k: float(v) for k, v in data["metrics"].items()},
            failures=tuple(data["failures"]),
            attempts=data["attempts"],
            seconds=data.get("seconds", 0.0),
            cpu=data.get("cpu", 0.0),
        )


MAX_FAILURES = 3  # error messages kept per variant


def evaluate(key: str, build, diagnostics: Sequence, seconds: float = 0.0) -> Evaluation:
    """A variant's ``Evaluation`` from its build (a ``PackBuild``, or None when the front end or
    synthesis stopped it) and every diagnostic of the run."""
    errors = [d for d in diagnostics if d.is_error]
    failures = tuple(f"{d.code} {d.message}" for d in errors[:MAX_FAILURES])
    if build is None:  # stopped before building: the source (E1xx-E4xx) or synthesis (E5xx)
        if any(d.code.startswith("E9") for d in errors):
            status = ERROR
        elif errors and all(d.code.startswith("E5") for d in errors):
            status = INFEASIBLE
        else:
            status = INVALID
        return Evaluation(key, status, failures=failures, seconds=seconds)
    candidate = build.candidate
    if build.placement is None or candidate is None:
        status = ERROR if any(d.code == "E901" for d in errors) else INFEASIBLE
        return Evaluation(key, status, failures=failures, attempts=len(build.design_loop), seconds=seconds)
    passed = build.as_built is not None and build.as_built.passed and not errors
    status = PASSED if passed else (ERROR if any(d.code == "E901" for d in errors) else FAILED)
    layout = build.placement.layout
    return Evaluation(
        key,
        status,
        label=candidate.label,
        series=layout.series,
        parallel=layout.parallel,
        modules=len(layout.modules),
        cells=len(layout.cells),
        metrics=figures(build),
        failures=failures,
        attempts=len(build.design_loop),
        seconds=seconds,
    )


def figures(build) -> dict[str, float]:
    """The metrics of a placed build (SI); those the build has no figure for are left out."""
    from battgen.models.packaging import enclosure_box

    pack: ir.Pack = build.pack
    layout = build.placement.layout
    out: dict[str, float] = {"energy": len(layout.cells) * pack.cell.energy}
    if build.bom is not None:
        out["mass"] = sum(line.mass_kg for line in build.bom)
        out["cost"] = sum(line.cost_usd for line in build.bom if line.cost_usd is not None)
    box = enclosure_box(pack.envelope)
    out["volume"] = box[0] * box[2] if box is not None else build.candidate.volume
    verdicts = {v.name: v for v in build.as_built.verdicts} if build.as_built is not None else {}
    if "cell temperature" in verdicts:
        out["temperature"] = verdicts["cell temperature"].built
    if "power" in verdicts:
        out["power"] = verdicts["power"].built
    busbars = len(build.routing.busbars) if build.routing is not None else 0
    fuses = len(build.routing.fuses) if build.routing is not None else 0
    out["parts"] = float(len(layout.cells) + busbars + fuses + len(layout.modules))
    out["welds"] = float(2 * len(layout.cells) + fuses)
    return out


# --- feasibility and the front ------------------------------------------------------------


def meets(evaluation: Evaluation, constraints: dict[str, ir.Bound]) -> bool:
    """Built and checked, and within the study's own bounds on its metrics."""
    if evaluation.status != PASSED:
        return False
    for name, bound in constraints.items():
        value = evaluation.metric(name)
        if math.isnan(value) or not bound.admits(value):
            return False
    return True


def violation(evaluation: Evaluation, constraints: dict[str, ir.Bound]) -> float:
    """How far a variant is from feasible, for the optimiser (0: feasible). A variant that did
    not build counts more than any built one, one that failed its check by its bounds."""
    if evaluation.status in (INVALID, ERROR):
        return 1e6
    if evaluation.status == INFEASIBLE:
        return 1e3
    total = 0.0 if evaluation.status == PASSED else 1.0 + len(evaluation.failures)
    for name, bound in constraints.items():
        value = evaluation.metric(name)
        if math.isnan(value):
            total += 1.0
            continue
        if bound.low is not None and value < bound.low:
            total += (bound.low - value) / max(abs(bound.low), 1e-12)
        if bound.high is not None and value > bound.high:
            total += (value - bound.high) / max(abs(bound.high), 1e-12)
    return total


SIGNIFICANT = 9  # figures an objective is compared to: sums of the same parts in another order tie


def objective_vector(evaluation: Evaluation, objectives: Sequence[str]) -> tuple[float, ...]:
    """The objectives signed so that smaller is better on each (energy and power negated),
    to ``SIGNIFICANT`` figures."""
    return tuple(float(f"{sc.METRICS[name].sense * evaluation.metric(name):.{SIGNIFICANT}g}") for name in objectives)


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """``a`` is at least as good as ``b`` on every objective and better on one (minimised)."""
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def pareto(points: Sequence[Sequence[float] | None]) -> list[bool]:
    """Which points are non-dominated (None: not a candidate; of equal points the first).
    Sorted sweep: in lexicographic order a point can only be dominated by one before it, and
    then by a member of the front so far — which is at least as good on every objective exactly
    when it dominates or equals it. O(n · front), vectorised over the front."""
    import numpy as np

    candidates = [i for i, p in enumerate(points) if p is not None]
    order = sorted(candidates, key=lambda i: (tuple(points[i]), i))  # type: ignore[arg-type]
    on = [False] * len(points)
    if not order:
        return on
    members = np.empty((len(order), len(points[order[0]])))  # type: ignore[arg-type]
    size = 0
    for i in order:
        p = np.asarray(points[i], dtype=float)
        if size and bool((members[:size] <= p).all(axis=1).any()):
            continue  # dominated, or equal to a member
        members[size] = p
        size += 1
        on[i] = True
    return on


def front(evaluations: Sequence[Evaluation], study: ir.Study) -> list[bool]:
    """The Pareto front over the study's objectives, among its feasible variants with a figure
    for every objective."""
    points: list[Sequence[float] | None] = []
    for e in evaluations:
        vector = objective_vector(e, study.objectives)
        ok = meets(e, study.constraints) and not any(math.isnan(v) for v in vector)
        points.append(vector if ok else None)
    return pareto(points)


def best(evaluations: Sequence[Evaluation], on_front: Sequence[bool], study: ir.Study) -> list[tuple[str, int]]:
    """(why, index) of the designs a report shows: the best feasible on each objective (ties go
    to the better on the next objectives), then the front's most balanced; each design once."""
    members = [i for i, on in enumerate(on_front) if on]
    if not members:
        return []
    vectors = {i: objective_vector(evaluations[i], study.objectives) for i in members}
    out: list[tuple[str, int]] = []
    for k, name in enumerate(study.objectives):
        rest = [j for j in range(len(study.objectives)) if j != k]
        winner = min(members, key=lambda i: (vectors[i][k], *(vectors[i][j] for j in rest), i))
        sense = "highest" if sc.METRICS[name].sense < 0 else "lowest"
        out.append((f"{sense} {name}", winner))
    lows = [min(vectors[i][k] for i in members) for k in range(len(study.objectives))]
    highs = [max(vectors[i][k] for i in members) for k in range(len(study.objectives))]

    def balance(i: int) -> float:
        return sum((vectors[i][k] - lo) / (hi - lo) if hi > lo else 0.0 for k, (lo, hi) in enumerate(zip(lows, highs)))

    out.append(("most balanced", min(members, key=lambda i: (balance(i), i))))
    seen: dict[int, str] = {}
    for why, i in out:
        seen[i] = f"{seen[i]}, {why}" if i in seen else why
    return [(why, i) for i, why in seen.items()]


@dataclass(frozen=True)
class Row:
    """One line of a study's table: a variant (its settings as source text) and its result.
    ``generation``: the optimiser's generation that asked for it (None in a grid)."""

    index: int
    settings: tuple[tuple[str, str], ...]
    key: str
    evaluation: Evaluation
    generation: int | None = None
