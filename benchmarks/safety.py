"""Structure and safety benchmark: the time the two stages add to the 7,104-cell Model S pack.

    .venv/bin/python benchmarks/safety.py [--barrier]

Builds examples/validation/tesla_model_s_85.batt as published (96s74p, 16 modules) through the
design loop without them (not timed here: benchmarks/loop.py times it), then runs the structure
stage and the safety stage on the built pack, each in this process and in order, and prints
their parts: scikit-fem's import, the finite-element solves (every module on its bolts, the lid
and the floor), the cell network, the propagation run and the fault analysis. ``--barrier``
declares `barrier = aerogel(thickness = 2 mm, between = modules)` first. Goal: both stages
together under 10 s on this machine, the finite-element part the larger.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--barrier", action="store_true")
    args = parser.parse_args()

    from battgen.driver import loop, stages
    from battgen.driver.pipeline import estimate_result
    from battgen.passes.build import PackBuild

    text = (REPO / "examples" / "validation" / "tesla_model_s_85.batt").read_text()
    text = text.replace(
        "    cell     = ncr18650b\n", "    cell     = ncr18650b\n    series   = 96\n    parallel = 74\n"
    )
    if args.barrier:
        text = text.replace(
            "    fuse    = per_cell",
            "    fuse    = per_cell\n    barrier = aerogel(thickness = 2 mm, between = modules)",
        )
    t0 = time.perf_counter()
    estimate = estimate_result(text)
    design = estimate.lowered.design
    (name,) = design.packs
    pack, synthesis = design.packs[name], estimate.syntheses[name]
    build = PackBuild(name, pack, design.all_materials, synthesis, diagnostics=synthesis.diagnostics)
    only_loop = stages.BuildOptions(cad=False)
    saved = stages.STAGES
    stages.STAGES = tuple(s for s in saved if s.loop)  # the loop only: the two stages are timed below
    try:
        build = loop.run(build, only_loop)
    finally:
        stages.STAGES = saved
    t1 = time.perf_counter()
    print(f"design loop (not the stages timed): {t1 - t0:.2f} s — {build.layout.summary()}")

    import skfem  # noqa: F401 - timed on its own

    t2 = time.perf_counter()
    print(f"import scikit-fem:        {t2 - t1:6.2f} s")
    from battgen.passes.structure import compression, crush, vibration
    from battgen.passes.structure import stage as structure

    layout = build.layout
    outlines = vibration.module_outlines(layout)
    t3 = time.perf_counter()
    result = structure.analyse(pack, layout, build.routing, build.materials)
    t4 = time.perf_counter()
    solves = len({(round(m.frequencies[0], 2)) for m in result.modules}) + 1
    print(
        f"structure stage:          {t4 - t3:6.2f} s — {len(outlines)} modules ({solves} finite-element solves "
        f"with the panels), {result.summary()}"
    )
    del compression, crush  # imported for their import time

    from battgen.passes.safety import faults, network, propagation
    from battgen.passes.safety import stage as safety

    t5 = time.perf_counter()
    net = network.build(pack, layout, build.routing, build.materials)
    t6 = time.perf_counter()
    print(f"thermal network stage:    {t6 - t5:6.2f} s — {len(net.capacity):,} cells, {len(net.pairs):,} links")
    run = safety.propagation(pack, layout, net, build.heat)
    t7 = time.perf_counter()
    print(
        f"  propagation:            {t7 - t6:6.2f} s — {run.cells_total:,} cells in runaway, first after {run.first_time:.0f} s"
    )
    fault = faults.analyse(pack, build.candidate, build.routing)
    t8 = time.perf_counter()
    print(f"  faults:                 {t8 - t7:6.2f} s — terminal short {fault.pack_short / 1e3:.1f} kA")
    del propagation
    out = safety.safety_stage(pack, build.placement, build.routing, net, build.heat)
    t9 = time.perf_counter()
    print(f"safety stage:             {t9 - t8:6.2f} s — {out.value.summary()}")
    total = (t2 - t1) + (t4 - t3) + (t6 - t5) + (t9 - t8)
    print(f"both stages (with the import): {total:.2f} s (goal: under 10 s; finite elements {t4 - t3 + t2 - t1:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
