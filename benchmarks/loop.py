"""Design-loop benchmark: for every example, the architectures the loop built, what stopped each
one that failed, and the time the loop took (layout, routing, heat, BOM and the as-built check
per attempt; no CAD). It prints; it writes no file.

    .venv/bin/python benchmarks/loop.py

The loop is bounded (``battgen.driver.loop.MAX_ATTEMPTS`` builds a pack) and deterministic:
two runs build the same attempts, which the script checks.
"""

from __future__ import annotations

import time
from pathlib import Path

from battgen.driver import loop
from battgen.driver.pipeline import build_result

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    print(f"design loop: at most {loop.MAX_ATTEMPTS} architectures a pack, no CAD")
    print(f"{'example':<42} {'pack':<20} {'tried':>5} {'built':>10} {'passed':>6} {'time (s)':>9}  first failure")
    for path in sorted((REPO / "examples").rglob("*.batt")):
        start = time.perf_counter()
        result = build_result(path, None, cad=False)
        elapsed = time.perf_counter() - start
        again = build_result(path, None, cad=False)
        for name, build in sorted(result.packs.items()):
            attempts = build.design_loop
            same = [a.label for a in attempts] == [a.label for a in again.packs[name].design_loop]
            failed = next((a for a in attempts if not a.passed), None)
            why = f"{failed.label} at {failed.stage}: {failed.failures[0][:70]}" if failed and failed.failures else ""
            built = build.candidate.label if build.candidate is not None else "—"
            passed = "yes" if attempts and attempts[-1].passed else "no"
            print(
                f"{str(path.relative_to(REPO)):<42} {name:<20} {len(attempts):>5} {built:>10} {passed:>6} "
                f"{elapsed:>9.2f}  {why}{'' if same else '  (NOT DETERMINISTIC)'}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
