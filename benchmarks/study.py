"""Study throughput: variants per second on 1 and 2 Dask workers, the scaling, the overhead a
task adds to a bare build, and the driver's own cost per variant.

    python benchmarks/study.py                  # 48 of the sedan's 200 variants, 2 rounds
    python benchmarks/study.py --variants 200   # the README's whole study (about 15 min a run)
    python benchmarks/study.py --quick          # 6 variants, 1 round: a smoke check

Goals (issue 17): the 2-worker rate at least 1.8 x the 1-worker rate on this 2-core machine;
docs/studies.md projects a 100,000-variant study on a 64-core cluster from these figures.

The variants are N spread evenly over `sedan_grid` (examples/studies/sedan.batt: 5 cells x 2
layouts x 2 cold-plate sides x 2 module counts x 5 busbar thicknesses), each the whole checked
pipeline without CAD, as `battc study` builds them, through the same ``DaskPool``. Each is
built on a LocalCluster of 1 and of 2 workers, in turn for each round (a change in
the machine's load hits both); the best round counts. Some of them (``--bare``, spread) are
also built bare, in this process one after the other (after a first build that pays the
imports): what a task costs beyond the same build without Dask.

For each run: the start-up (the cluster, the workers' imports, the project's files scattered)
apart from the run; the rate over the run, and in steady state (until fewer tasks are left than
workers, after which a worker idles: the tail); CPU seconds over wall seconds, as cores used:
by the builds, by the whole cluster (workers and their nannies), and by this process (the
client and the LocalCluster's scheduler). The machine's load average is printed with every
figure: on a shared machine the wall-clock scaling measures the other processes as much as
this one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} (1/5 min, {os.cpu_count()} cores)"


def _spread(count: int, n: int) -> list[int]:
    """n indices spread evenly over range(count) (every cell, layout, ... as often)."""
    return sorted({round(i * count / n) for i in range(n)})


def _cluster_cpu() -> float:
    """CPU seconds of this process's children and theirs (the nannies and their workers)."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _bare(maker, variants) -> dict[str, tuple[float, float]]:
    """Each variant built in this process: key -> (wall s, CPU s)."""
    from battgen.driver.pool import Job, evaluate_variant, shared_workspace, warm

    warm()
    shared = shared_workspace(maker.lowered.sources)
    first = variants[0]
    evaluate_variant(Job(first.key, first.text, str(maker.path), "sedan"), shared)  # lazy caches
    out = {}
    for v in variants:
        t, c = time.perf_counter(), time.process_time()
        evaluate_variant(Job(v.key, v.text, str(maker.path), "sedan"), shared)
        out[v.key] = (time.perf_counter() - t, time.process_time() - c)
    return out


def _run(maker, variants, workers: int) -> dict:
    """One run on a fresh LocalCluster of ``workers``."""
    from battgen.driver.pool import DaskPool, Job

    jobs = [Job(v.key, v.text, str(maker.path), "sedan", v.settings) for v in variants]
    t = time.perf_counter()
    pool = DaskPool(maker.lowered.sources, workers=workers)
    startup = time.perf_counter() - t
    cluster0, parent0 = _cluster_cpu(), time.process_time()
    t = time.perf_counter()
    results, arrived = [], []
    for evaluation in pool.run(jobs):
        results.append(evaluation)
        arrived.append(time.perf_counter() - t)
    wall = arrived[-1]
    cluster, parent = _cluster_cpu() - cluster0, time.process_time() - parent0
    pool.close()
    steady_n = len(results) - workers + 1  # after this result, fewer tasks than workers are left
    steady_t = arrived[steady_n - 1]
    return {
        "workers": workers,
        "startup": startup,
        "wall": wall,
        "rate": len(results) / wall,
        "steady": steady_n / steady_t,
        "tail": wall - steady_t,
        "build_s": sum(r.seconds for r in results),
        "build_cpu": sum(r.cpu for r in results),
        "cluster_cpu": cluster,
        "parent_cpu": parent,
        "by_key": {r.key: (r.seconds, r.cpu, r.status, r.attempts) for r in results},
        "load": _load(),
    }


def _print_run(run: dict, n: int) -> None:
    w, wall = run["workers"], run["wall"]
    print(
        f"  {w} worker{'s' if w > 1 else ' '}: {run['rate']:.3f} variants/s over the run ({wall:.1f} s for {n}), "
        f"{run['steady']:.3f} in steady state (tail {run['tail']:.1f} s); start-up {run['startup']:.1f} s"
    )
    print(
        f"     cores used: builds {run['build_cpu'] / wall:.2f}, cluster {run['cluster_cpu'] / wall:.2f}, "
        f"this process {run['parent_cpu'] / wall:.2f}; a build {run['build_s'] / n:.2f} s "
        f"(CPU {run['build_cpu'] / n:.2f} s); "
        f"workers busy {run['build_s'] / (w * wall):.1%} of the run, "
        f"{(w * wall - run['build_s']) / n:+.3f} s of worker time per task beyond its build; {run['load']}"
    )


def main() -> None:
    from battgen import __version__
    from battgen.driver.pipeline import check
    from battgen.frontend.variants import VariantMaker

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=48, help="sedan variants, spread over the 200 (default 48)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of 1 then 2 workers (default 2)")
    parser.add_argument("--bare", type=int, default=12, help="of them built bare, spread (default 12)")
    parser.add_argument("--quick", action="store_true", help="6 variants, 1 round, 2 built bare")
    args = parser.parse_args()
    n, rounds = (6, 1) if args.quick else (args.variants, args.rounds)
    if args.quick:
        args.bare = 2

    lowered = check(REPO / "examples" / "studies" / "sedan.batt")
    assert not lowered.has_errors, [d.message for d in lowered.diagnostics]
    maker = VariantMaker(lowered, lowered.design.studies["sedan_grid"], __version__)
    start = time.perf_counter()
    grid = maker.grid()
    per_variant = (time.perf_counter() - start) / len(grid)
    print(f"driver: {len(grid)} variants written and hashed, {per_variant * 1e3:.2f} ms each; {_load()}")
    variants = [grid[i] for i in _spread(len(grid), min(n, len(grid)))]
    n = len(variants)
    print(f"{n} of the {len(grid)} sedan_grid variants; {_load()}")

    bare = _bare(maker, [variants[i] for i in _spread(n, min(args.bare, n))])
    bare_s = sum(w for w, _ in bare.values())
    bare_cpu = sum(c for _, c in bare.values())
    print(
        f"bare build of {len(bare)} of them: {len(bare) / bare_s:.3f} variants/s, {bare_s / len(bare):.2f} s a variant "
        f"(CPU {bare_cpu / len(bare):.2f} s; {min(w for w, _ in bare.values()):.2f}..{max(w for w, _ in bare.values()):.2f} s); "
        f"{_load()}"
    )

    runs: dict[int, list[dict]] = {1: [], 2: []}
    for round_ in range(rounds):  # in turn, so that a change in the machine's load hits both
        print(f"round {round_ + 1}")
        for workers in (1, 2):
            run = _run(maker, variants, workers)
            runs[workers].append(run)
            _print_run(run, n)
    best = {w: max(r, key=lambda run: run["rate"]) for w, r in runs.items()}
    one, two = best[1], best[2]
    print(
        f"best of {rounds}: {one['rate']:.3f} variants/s on 1 worker, {two['rate']:.3f} on 2: "
        f"scaling {two['rate'] / one['rate']:.2f}x over the run, "
        f"{two['steady'] / one['steady']:.2f}x in steady state (goal >= 1.8x)"
    )
    print(
        f"in CPU: a build costs {two['build_cpu'] / one['build_cpu']:.2f}x on 2 workers what it costs on 1 "
        f"(the two share caches and memory); the workers were busy {two['build_s'] / (2 * two['wall']):.1%} "
        f"of the run on 2, {one['build_s'] / one['wall']:.1%} on 1"
    )
    on_one = [one["by_key"][key] for key in bare]
    print(
        f"per task on 1 worker: {(one['wall'] - one['build_s']) / n:+.4f} s of wall beyond its build (scheduling, "
        f"the variant in, its figures out); the build against the same {len(bare)} built bare: "
        f"{(sum(s for s, *_ in on_one) - bare_s) / len(bare):+.3f} s, "
        f"{(sum(c for _, c, *_ in on_one) - bare_cpu) / len(bare):+.3f} CPU-s"
    )
    built = [k for k, (_, _, status, _) in one["by_key"].items() if status not in ("invalid", "infeasible")]
    cpu = [one["by_key"][k][1] for k in built]
    if cpu:
        print(
            f"per-variant CPU on 1 worker: {statistics.mean(one['by_key'][k][1] for k in one['by_key']):.2f} s "
            f"over all {n}, {statistics.mean(cpu):.2f} s over the {len(cpu)} built "
            f"(median {statistics.median(cpu):.2f}, max {max(cpu):.2f}; "
            f"architectures built {sum(one['by_key'][k][3] for k in built)})"
        )


if __name__ == "__main__":
    main()
