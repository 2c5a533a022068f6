"""The optimiser against the grid: does NSGA-II, within its stated budget, find designs at least
as good on every objective as the grid's best?

    python benchmarks/optimise.py [sedan|rack] [--seeds 1,2,3] [--out DIR] [--workers N]

``sedan``: examples/studies/sedan.batt, `sedan_tune_grid` (27 variants: 3 cells x 3 busbar
thicknesses x 3 coolant flows) against `sedan_tune` (the same cells, the thickness and the flow
free over the grid's ranges; 64 designs, generations of 8). ``rack``: tests/studies/
rack_study.batt, `rack_grid` (24) against `rack_tune` (with budget 64). "The grid's best" are
the designs its report shows: the best on each objective and the most balanced of its front.
Results are stored in DIR/results (default: a folder under the system's temporary folder that
is kept), so a second run, or another seed, builds only designs it has not built yet.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CASES = {
    "sedan": (REPO / "examples" / "studies" / "sedan.batt", "sedan_tune_grid", "sedan_tune", None),
    "rack": (REPO / "tests" / "studies" / "rack_study.batt", "rack_grid", "rack_tune", 64),
}


def main() -> None:
    from battgen import __version__
    from battgen.driver.optimise import optimise
    from battgen.driver.pipeline import check
    from battgen.driver.pool import open_pool
    from battgen.driver.study import _Progress, _Runner, _Store
    from battgen.frontend.variants import VariantMaker
    from battgen.passes.study import best, front, objective_vector

    parser = argparse.ArgumentParser()
    parser.add_argument("case", nargs="?", default="sedan", choices=sorted(CASES))
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "battgen-optimise"))
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    path, grid_name, tune_name, budget = CASES[args.case]
    lowered = check(path)
    grid, tune = lowered.design.studies[grid_name], lowered.design.studies[tune_name]
    OBJECTIVES[:] = grid.objectives
    if budget is not None:
        tune = dataclasses.replace(tune, budget=budget)
    store = _Store(Path(args.out) / "results", fresh=False)
    pool = open_pool(lowered.sources, None, args.workers)
    bar = _Progress(sys.stderr.isatty())
    try:
        maker = VariantMaker(lowered, grid, __version__)
        runner = _Runner(pool, store, bar, maker, grid.pack.name)
        t = time.perf_counter()
        variants = maker.grid()
        results = runner.evaluate(variants, f"grid {grid_name}")
        rows = [results[v.key] for v in variants]
        on = front(rows, grid)
        targets = [(why, variants[i], objective_vector(rows[i], grid.objectives)) for why, i in best(rows, on, grid)]
        print(
            f"grid {grid_name}: {len(variants)} variants ({runner.built} built now, {time.perf_counter() - t:.0f} s), "
            f"{sum(on)} on the front; objectives {', '.join(grid.objectives)}"
        )
        for why, variant, vector in targets:
            print(f"  {why:<40} {_show(vector)}  ({', '.join(f'{k} = {v}' for k, v in variant.settings)})")
        tuner = VariantMaker(lowered, tune, __version__)
        for seed in (int(s) for s in args.seeds.split(",")):
            study = dataclasses.replace(tune, seed=seed)
            runner = _Runner(pool, store, bar, tuner, tune.pack.name)
            t = time.perf_counter()
            asked = optimise(study, tuner, lambda vs, r=runner, s=seed: r.evaluate(vs, f"nsga2 seed {s}"))
            vectors = {a.variant.key: (a, objective_vector(store.get(a.variant.key), tune.objectives)) for a in asked}
            distinct = len(vectors)
            print(
                f"NSGA-II seed {seed}: budget {study.budget} designs, {distinct} evaluated in "
                f"{1 + max(a.generation for a in asked)} generations of {study.population} "
                f"({runner.built} built now, {time.perf_counter() - t:.0f} s)"
            )
            met = 0
            for why, _, target in targets:
                better = [(a, v) for a, v in vectors.values() if all(x <= y for x, y in zip(v, target)) and not _nan(v)]
                met += bool(better)
                if better:
                    a, v = min(better, key=lambda av: av[1])
                    found = f"yes: {_show(v)}  ({', '.join(f'{k} = {s}' for k, s in a.variant.settings)})"
                else:  # the nearest miss: the least worst relative shortfall on any objective
                    a, v = min(
                        ((a, v) for a, v in vectors.values() if not _nan(v)),
                        key=lambda av: max((x - y) / abs(y) if y else x - y for x, y in zip(av[1], target)),
                    )
                    found = f"no; nearest {_show(v)}  ({', '.join(f'{k} = {s}' for k, s in a.variant.settings)})"
                print(f"  as good as the grid's {why:<30} {found}")
            print(f"  {met} of {len(targets)} of the grid's best designs matched or beaten")
    finally:
        bar.close()
        pool.close()


def _nan(vector) -> bool:
    return any(x != x for x in vector)


OBJECTIVES: list[str] = []


def _show(vector) -> str:
    """An objective vector in the table's units (temperatures in degC, energy and power positive)."""
    from battgen.core import schema as sc
    from battgen.emit.study import shown

    parts = []
    for name, x in zip(OBJECTIVES, vector):
        metric = sc.METRICS[name]
        parts.append(f"{shown(name, metric.sense * x):,.5g} {metric.unit}".strip())
    return "(" + ", ".join(parts) + ")"


if __name__ == "__main__":
    main()
