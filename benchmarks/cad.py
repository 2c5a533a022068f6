"""CAD benchmark: the Model S validation pack (96s74p of NCR18650B, 7,104 cells) modelled and exported.

    .venv/bin/python benchmarks/cad.py [--pack model_s|sedan|both] [--repeat N] [--stl] [--out DIR]

``model_s`` (the default): examples/validation/tesla_model_s_85.batt as published (96s74p, 16
modules, a fuse wire per cell). ``sedan``: examples/sedan.batt with ``series = 96`` and
``parallel = 46`` fixed (a Model 3-sized pack of 4,416 M50T cells; peak power relaxed from
200 to 190 kW, which 96s46p of M50T cannot reach). Each is built without CAD (synthesis,
layout, routing, heat, BMS), then the CAD stage runs as ``battc build`` runs it
(``battgen.emit.cad.cad_stage``: plan, pack.glb, the previews, the assembly procedure's
pictures, pack.step), ``--repeat`` times; the best is printed, with the wall and CPU seconds
of each step (the CPU seconds are what a step costs whatever the machine's load).

The STEP export of a pack this size runs in a process of its own
(``battgen.emit.cad.step.main``), which then draws the previews, while this one writes the GLB
and the assembly pictures: its line is the wait for it after them, and its own steps are
printed under it. Peak memory: this process's maxrss (the build without CAD included: its
figure before the CAD is printed too) plus the STEP process's VmHWM; their sum bounds what both
held at once. Goal (issue 20): the CAD of 7,104 cells under 5 s and under 1 GB. The machine's
load average is printed with the figures: the timings on a shared 2-core machine are noisy.

Measured on the Model S (2 cores shared with four other sessions' builds; CPU seconds are the
figures to compare, the wall seconds are the load's):

* OCCT writing the STEP (main before issue 20's CAD work, load 0.6-3): this process 4.46 CPU-s
  (plan 0.41, GLB 0.56, previews 2.22, assembly pictures 1.28), the STEP process 10.88 CPU-s
  (OCP import 0.79, XCAF document 1.59, transfer 5.37, write 2.19, byte fixes 0.88); peak
  540 MB + 911 MB = 1.45 GB; wall 32 s at that load (8.8 s and 1.58 GB on a quiet machine).
* The STEP written as text (``emit.cad.document``), the previews in the STEP process (load
  7-8): this process 1.89 CPU-s (plan 0.30, GLB 0.47, assembly pictures 1.12), the STEP process
  2.69 CPU-s (STEP text 0.93, previews 1.75); peak 527 MB + 280 MB = 0.81 GB: the memory goal
  met. Wall 14.2 s at load 7.8, so the 5 s goal could not be measured here; from the CPU
  seconds, on two free cores the CAD is the plan and the slower of the two processes, about
  3 s. pack.step 47.1 -> 35.6 MB.
* The same on the quiet machine (2026-12-05, load 1.0-1.2, ``--repeat 2``): CAD 3.36 s (this
  process 2.16 CPU-s: plan 0.36, GLB 0.49, assembly pictures 1.32; the STEP process 3.11 CPU-s:
  STEP text 0.97, previews 2.11); peak 506 MB + 280 MB = 787 MB: both goals met.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GOAL_S = 5.0  # issue 20: "CAD of 7,104 cells under 5 s and under 1 GB"
GOAL_MB = 1000.0
MB = 1e6


def _source(pack: str) -> str:
    if pack == "model_s":
        text = (REPO / "examples" / "validation" / "tesla_model_s_85.batt").read_text()
        return text.replace(
            "    cell     = ncr18650b\n", "    cell     = ncr18650b\n    series   = 96\n    parallel = 74\n", 1
        )
    text = (REPO / "examples" / "sedan.batt").read_text()
    text = text.replace("    cell     = m50t\n", "    cell     = m50t\n    series   = 96\n    parallel = 46\n", 1)
    return text.replace(">= 200 kW for 10 s", ">= 190 kW for 10 s", 1)  # 96s46p M50T reaches 198 kW


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB  # KiB on Linux


def bench(pack_name: str, repeat: int, stl: bool, out: Path | None) -> bool:
    """Build ``pack_name`` without CAD, then its CAD ``repeat`` times; print the best. True if it
    met the goal."""
    from battgen.driver.pipeline import build_result

    t0 = time.perf_counter()
    built = build_result(_source(pack_name), None, cad=False)
    errors = [d for d in built.diagnostics if d.is_error]
    if errors:
        print("\n".join(f"{d.code} {d.message}" for d in errors))
        return False
    build = built.packs[min(built.packs)]
    assert build.placement is not None
    cells = len(build.layout.cells)
    before = _maxrss_mb()
    print(f"{pack_name}: build without CAD {time.perf_counter() - t0:.2f} s — {build.layout.summary()}")
    print(f"  peak memory before the CAD: {before:,.0f} MB")

    from battgen.emit.cad import cad_stage

    best: tuple[float, dict[str, float], dict] | None = None
    child_peak = 0.0
    for run in range(repeat):
        steps: dict[str, tuple[float, float]] = {}  # step → (wall s, CPU s of this process)
        last: list = [time.perf_counter(), time.process_time(), "plan"]

        def tell(under_way: str, done: int, total: int, steps=steps, last=last) -> None:
            now, used = time.perf_counter(), time.process_time()
            if done:
                steps[last[2]] = (now - last[0], used - last[1])
            last[:] = [now, used, under_way]

        stats: dict = {}
        start = time.perf_counter()
        outcome = cad_stage(
            build.pack,
            build.placement,
            build.routing,
            build.heat,
            build.materials,
            stl=stl,
            progress=tell,
            bms=build.bms,
            stats=stats,
        )
        seconds = time.perf_counter() - start
        if outcome.value is None:
            print("\n".join(f"{d.code} {d.message}" for d in outcome.diagnostics))
            return False
        child_peak = max(child_peak, stats.get("step", {}).get("maxrss_MiB", 0.0) * 2**20 / MB)
        print(f"  run {run + 1}: CAD {seconds:.2f} s (load average {os.getloadavg()[0]:.2f})", flush=True)
        if best is None or seconds < best[0]:
            best = (seconds, steps, stats)
            files = outcome.value.files
    assert best is not None
    seconds, steps, stats = best
    print("    step               wall     CPU")
    for name, (wall, cpu) in steps.items():
        print(f"    {name:<16} {wall:6.2f} s {cpu:6.2f} s")
    step = stats.get("step", {})
    where = "STEP process" if "maxrss_MiB" in step else "in this process"
    for name, wall in step.get("times", {}).items():
        cpu = step.get("cpu", {}).get(name, float("nan"))
        print(f"      {where}: {name:<18} {wall:6.2f} s {cpu:6.2f} s")
    parent_cpu = sum(cpu for _wall, cpu in steps.values())
    child_cpu = sum(step.get("cpu", {}).values()) if "maxrss_MiB" in step else 0.0
    print(f"  CPU: this process {parent_cpu:.2f} s, STEP process {child_cpu:.2f} s")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (out / name).write_bytes(data)
    sizes = ", ".join(
        f"{n} {len(files[n]) / MB:.1f} MB" for n in ("pack.step", "pack.glb", "preview.png") if n in files
    )
    print(f"  files: {sizes}")
    peak = _maxrss_mb()
    total = peak + child_peak
    ok = seconds < GOAL_S and total < GOAL_MB
    print(
        f"  CAD of {cells:,} cells: best of {repeat} {seconds:.2f} s; peak memory {peak:,.0f} MB "
        f"+ STEP process {child_peak:,.0f} MB = {total:,.0f} MB"
    )
    print(
        f"  goal (issue 20): under {GOAL_S:.0f} s and under 1 GB for 7,104 cells — "
        f"{'met' if ok else 'NOT met'} ({seconds:.2f} s, {total / 1000:.2f} GB)"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", choices=("model_s", "sedan", "both"), default="model_s")
    parser.add_argument("--repeat", type=int, default=1, help="CAD runs; the best is printed")
    parser.add_argument("--stl", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the CAD's files here")
    args = parser.parse_args()
    if args.pack == "both":  # each in a process of its own: its peak memory is its own
        import subprocess

        flags = [f"--repeat={args.repeat}"] + (["--stl"] if args.stl else [])
        for pack in ("model_s", "sedan"):
            where = [f"--out={args.out / pack}"] if args.out else []
            subprocess.run([sys.executable, __file__, f"--pack={pack}", *flags, *where], check=True)
        return 0
    print(f"load average at the start: {', '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} CPUs)")
    return 0 if bench(args.pack, max(1, args.repeat), args.stl, args.out) else 1


if __name__ == "__main__":
    raise SystemExit(main())
