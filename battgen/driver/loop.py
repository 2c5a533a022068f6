"""The design loop: build an architecture, check it as built, and go back while it fails.

Synthesis chooses from estimates; only the built pack shows a cell over its rating, a cell
over its temperature limit, or busbars that make the pack too heavy. The loop builds
synthesis's choice through the loop stages (layout → plates → routing → heat → … → check, see
``driver.stages``); when the as-built check or a stage fails, it builds the next architectures
in the order of the pack's objective (``passes.synthesis.alternatives``: the next feasible
ones, which put more cells in parallel where that is what the requirements allow), skipping
those the envelope cannot hold once layout has said so, until one passes or ``MAX_ATTEMPTS``
have been built. The order and the bound make it deterministic: the same file builds the
same attempts and the same pack. Every attempt is recorded (``PackBuild.design_loop``); the
build that comes out is the one that passed, else the one with the fewest errors (the first
of those), whose diagnostics then say why.
"""

from __future__ import annotations

from dataclasses import replace

from battgen.core.diagnostics import Diagnostic, Severity
from battgen.driver import stages
from battgen.driver.ahead import Ahead
from battgen.driver.cache import StageCache
from battgen.passes.build import Attempt, PackBuild
from battgen.passes.synthesis import Candidate

MAX_ATTEMPTS = 6  # architectures built per pack at most (each a full layout, routing and heat)


def _failures(found: tuple[Diagnostic, ...]) -> tuple[str, ...]:
    return tuple(f"{d.code} {d.message}" for d in found if d.is_error)


def _key(candidate: Candidate) -> tuple[int, int, int]:
    return (candidate.series, candidate.parallel, candidate.modules)


def _next(
    build: PackBuild, last: str, tried: set[tuple[int, int, int]], queued: list[Candidate]
) -> tuple[list[Candidate], PackBuild]:
    """The architectures to try after the first failure (once): the next best feasible ones.
    When layout could not place the choice, synthesis looks again with the cells the envelope
    really holds; if nothing fits then, its explanation replaces the layout's error."""
    from battgen.passes.layout import capacity
    from battgen.passes.synthesis import alternatives, synthesize

    max_cells = capacity(build.pack) if last == "layout" else None
    if max_cells is not None:
        again = synthesize(build.pack, placed_capacity=max_cells)
        if again.chosen is None:
            return [], replace(build, synthesis=again)
    found = alternatives(build.pack, MAX_ATTEMPTS + len(tried), max_cells)
    return [c for c in found if _key(c) not in tried and all(_key(c) != _key(q) for q in queued)], build


def run(build: PackBuild, options: stages.BuildOptions, cache: StageCache | None = None) -> PackBuild:
    """Every stage for ``build`` (synthesis done): the design loop, then the stages after it
    for the architecture that passed. ``cache``: stage results seen before (``driver.cache``)."""
    chosen = build.synthesis.chosen
    if chosen is None:
        return build
    queue: list[Candidate] = [chosen]
    tried: set[tuple[int, int, int]] = set()
    attempts: list[Attempt] = []
    results: list[tuple[PackBuild, tuple[Diagnostic, ...]]] = []
    widened = False
    ahead = Ahead()  # the structure's solves started as each attempt is routed (``driver.ahead``)
    while queue and len(attempts) < MAX_ATTEMPTS:
        candidate = queue.pop(0)
        tried.add(_key(candidate))
        trial, found, last = stages.run(
            replace(build, architecture=candidate), options, loop=True, cache=cache, ahead=ahead
        )
        passed = not any(d.is_error for d in found)
        attempts.append(Attempt(candidate.label, candidate.cells, passed, last, _failures(found)))
        results.append((trial, found))
        if passed:
            break
        if not widened:
            widened = True
            more, build = _next(build, last, tried, queue)
            queue.extend(more)
            if build.synthesis.chosen is None:  # nothing fits the envelope as placed: say why
                return replace(build, diagnostics=(*build.diagnostics, *build.synthesis.diagnostics))
    errors = [sum(d.is_error for d in found) for _, found in results]
    final, found = results[errors.index(min(errors))]
    notes = _loop_notes(build, attempts, final)
    final = replace(final, design_loop=tuple(attempts))
    # synthesis's thin-margin warnings were about its estimate; the check says it of the pack built
    estimate_only = {"W501"}
    diagnostics = [*(d for d in build.diagnostics if d.code not in estimate_only), *found, *notes]
    if not any(d.is_error for d in found):
        final, after, _ = stages.run(final, options, loop=False, cache=cache, ahead=ahead)
        diagnostics.extend(after)
    stages.keep_ahead(ahead, build, cache)
    return replace(final, diagnostics=tuple(diagnostics))


def _loop_notes(build: PackBuild, attempts: list[Attempt], final: PackBuild) -> list[Diagnostic]:
    """An I701 on the pack when the loop built more than synthesis's choice."""
    if len(attempts) < 2:
        return []
    first = attempts[0]
    why = "; ".join(first.failures[:2]) or f"it stopped at {first.stage}"
    built = final.candidate
    if attempts[-1].passed and built is not None:
        message = (
            f"built {built.label}: synthesis's choice {first.label} failed at {first.stage} ({why}); "
            f"{len(attempts)} architectures tried"
        )
    else:
        message = (
            f"no architecture passes as built: {len(attempts)} tried ({', '.join(a.label for a in attempts)}); "
            f"synthesis's choice {first.label} failed at {first.stage} ({why})"
        )
    return [
        Diagnostic(
            "I701",
            message,
            build.pack.name_span,
            "design.json's design_loop and the report list every architecture tried and why it failed",
            Severity.INFO,
        )
    ]
