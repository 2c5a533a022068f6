"""The pack-as-a-product stages, timed per example: the lifetime stage (BLAST-Lite's import once,
then the two cells' simulations), the BMS stage, and the assembly procedure with its pictures
from the CAD plan (no STEP or GLB export). CPU seconds, so that a loaded machine reads the same.
It prints; it writes no file.

    .venv/bin/python benchmarks/product.py
"""

from __future__ import annotations

import time
from pathlib import Path

from battgen.driver.pipeline import build_result

REPO = Path(__file__).resolve().parents[1]


def _cpu(fn):
    start = time.process_time()
    value = fn()
    return value, time.process_time() - start


def main() -> int:
    from battgen.emit.cad import assembly
    from battgen.emit.cad.plan import plan_pack
    from battgen.models import lifetime
    from battgen.passes.bms import design
    from battgen.passes.lifetime import analyse

    _, imported = _cpu(lifetime._blast)
    print(f"import BLAST-Lite: {imported:.2f} s CPU (once a process)")
    print(f"{'example':<34} {'cells':>6} {'lifetime':>9} {'bms':>6} {'plan':>6} {'steps':>6} {'pictures':>9}")
    for path in sorted((REPO / "examples").rglob("*.batt")):
        result = build_result(path, None, cad=False)
        for build in result.packs.values():
            if build.heat is None:
                continue
            _, t_life = _cpu(lambda b=build: analyse(b.pack, b.placement, b.routing, b.heat, b.materials))
            _, t_bms = _cpu(lambda b=build: design(b.pack, b.placement, b.routing, b.heat))
            plan, t_plan = _cpu(lambda b=build: plan_pack(b.pack, b.layout, b.routing, b.materials, None, b.bms))
            steps, t_steps = _cpu(
                lambda p=plan, b=build: assembly.plan_assembly(p, b.pack, b.bms, assembly.modules_of(p))
            )
            _, t_pictures = _cpu(lambda p=plan, s=steps: assembly.pictures(p, s))
            name = str(path.relative_to(REPO / "examples"))
            print(
                f"{name:<34} {len(build.layout.cells):>6,} {t_life:>9.2f} {t_bms:>6.2f} {t_plan:>6.2f} "
                f"{t_steps:>6.2f} {t_pictures:>9.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
