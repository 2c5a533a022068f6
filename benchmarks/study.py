"""Study throughput: variants per second on 1 and 2 Dask workers, the scaling, the overhead a
task adds to a bare build, and the driver's own cost per variant.

    python benchmarks/study.py [N]        # N sedan variants (default 8)

Goals (issue 17): the 2-worker rate at least 1.8 x the 1-worker rate on this 2-core machine;
docs/studies.md projects a 100,000-variant study on a 64-core cluster from these figures.

The variants are the first N of a sedan grid (cells x layouts x busbar thickness), each the
whole checked pipeline without CAD, like `battc study`. Every figure is wall time unless it
says CPU; the machine's load average is printed with them, since on a shared machine the
wall-clock scaling measures the other processes as much as this one.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

STUDY = """use "../sedan.batt"
use cells.lg.m50t
use cells.molicel.p45b
use cells.tesla.tesla2170l

study bench {
    pack             = sedan
    cell             = [tesla2170l, p45b, m50t]
    layout           = [hex, square]
    busbar_thickness = [2 mm, 3 mm]
}
"""


ROUNDS = 2


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    from battgen import __version__
    from battgen.driver.pipeline import build_result, check
    from battgen.driver.pool import DaskPool, Job, warm
    from battgen.frontend.variants import VariantMaker

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    path = REPO / "examples" / "studies" / "bench.batt"  # never written: the text is given
    lowered = check(path, text=STUDY)
    assert not lowered.has_errors, [d.message for d in lowered.diagnostics]
    maker = VariantMaker(lowered, lowered.design.studies["bench"], __version__)

    # the driver's serial work per variant: writing its source and hashing it (the 200-variant study)
    big = check(REPO / "examples" / "studies" / "sedan.batt")
    grid_maker = VariantMaker(big, big.design.studies["sedan_grid"], __version__)
    start = time.perf_counter()
    variants = grid_maker.grid()
    per_variant = (time.perf_counter() - start) / len(variants)
    print(f"driver: {len(variants)} variants written and hashed in {per_variant * 1e3:.2f} ms each")

    variants = maker.grid()[:n]
    if len(variants) < n:  # the grid holds 12: rates over a larger N would count variants never built
        print(f"the bench grid holds {len(variants)} variants: N = {len(variants)}")
        n = len(variants)
    jobs = [Job(v.key, v.text, str(maker.path), "sedan") for v in variants]
    print(_load())

    # a bare build: the same variants in this process, one after the other
    warm()
    build_result(maker.path, None, cad=False, text=variants[0].text)  # first call: imports, stdlib
    bare, bare_cpu = [], []
    for v in variants:
        t, c = time.perf_counter(), time.process_time()
        build_result(maker.path, None, cad=False, text=v.text, only=("sedan",))
        bare.append(time.perf_counter() - t)
        bare_cpu.append(time.process_time() - c)
    bare_mean = statistics.mean(bare)
    print(
        f"bare build: {bare_mean:.2f} s per variant (CPU {statistics.mean(bare_cpu):.2f} s; "
        f"{min(bare):.2f}..{max(bare):.2f} s over {n})"
    )

    rates: dict[int, list[float]] = {1: [], 2: []}
    for round_ in range(ROUNDS):  # alternate, so that a change in the machine's load hits both
        for workers in (1, 2):
            t = time.perf_counter()
            pool = DaskPool(lowered.sources, workers=workers)
            startup = time.perf_counter() - t
            t = time.perf_counter()
            results = list(pool.run(jobs))
            wall = time.perf_counter() - t
            pool.close()
            inside = statistics.mean(r.seconds for r in results)
            cpu = statistics.mean(r.cpu for r in results)
            rates[workers].append(n / wall)
            per_task = wall * workers / n
            print(
                f"round {round_ + 1}, {workers} worker{'s' if workers > 1 else ' '}: {n / wall:.3f} variants/s "
                f"({wall:.1f} s for {n}; cluster start {startup:.1f} s); a task {per_task:.2f} s of worker time, "
                f"of which the build {inside:.2f} s (CPU {cpu:.2f} s): overhead {per_task - inside:+.3f} s per "
                f"task, {per_task - bare_mean:+.3f} s against the bare build; the workers used "
                f"{n * cpu / wall:.2f} cores"
            )
            print("   ", _load())
    best = {w: max(r) for w, r in rates.items()}
    print(
        f"best of {ROUNDS}: {best[1]:.3f} variants/s on 1 worker, {best[2]:.3f} on 2; "
        f"scaling 1 → 2 workers: {best[2] / best[1]:.2f}x (goal >= 1.8x)"
    )


if __name__ == "__main__":
    main()
