"""Synthesis speed: candidate evaluations per second and `estimate` wall time per example.

    python benchmarks/synthesis.py

Goals (issue 3): at least 1,000,000 candidate evaluations per second, and `estimate` of any
example under 20 ms in-process after the first call.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from timing import best_of  # noqa: E402


def main() -> None:
    from battgen.driver.pipeline import check, estimate_result
    from battgen.frontend.workspace import Workspace
    from battgen.passes.synthesis import synthesize

    # throughput on a wide search: the sedan's cell with only an energy target (S up to 400)
    sedan = check(REPO / "examples" / "sedan.batt").design.packs["sedan"]
    wide = dataclasses.replace(
        sedan, requirements={k: v for k, v in sedan.requirements.items() if k == "energy"}, envelope=None, modules=None
    )
    synthesize(wide)
    seconds = best_of(lambda: synthesize(wide))
    result = synthesize(wide)
    evaluated = result.evaluated  # (S, P, module split) triples
    from battgen.passes.synthesis.search import _search_box

    s_top, p_top = _search_box(wide)
    grid = s_top * p_top  # (S, P) points, each with every estimate computed
    print(
        f"wide search: {grid:,} S×P architectures with all estimates in {seconds * 1000:.1f} ms = "
        f"{grid / seconds:,.0f} architectures/s"
    )
    print(f"             {evaluated:,} (S, P, module split) candidates = {evaluated / seconds:,.0f} candidates/s")

    print(f"{'example':<45} {'estimate (ms)':>14} {'candidates':>12}")
    for path in sorted((REPO / "examples").rglob("*.batt")):
        workspace = Workspace()
        estimate_result(path, workspace)  # first call: parse the stdlib, warm caches
        seconds = best_of(lambda path=path, workspace=workspace: estimate_result(path, workspace))
        result = estimate_result(path, workspace)
        evaluated = sum(s.evaluated for s in result.syntheses.values())
        print(f"{str(path.relative_to(REPO)):<45} {seconds * 1000:>14.2f} {evaluated:>12,}")


if __name__ == "__main__":
    main()
