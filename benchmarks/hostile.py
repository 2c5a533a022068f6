"""Hostile input at speed: error recovery on 20,000 bad lines, and a 5 MB document in the editor.

    .venv/bin/python benchmarks/hostile.py [--quick]

Prints, best of 3 (the least disturbed by other load; process CPU time beside wall time):

* recovery: ``parse`` of a file of n broken property lines in one block and of n broken lines
  at top level, n = 2,000, 10,000, 20,000 (once 3.5 s, 30 s and 73 s through ``battc check``:
  quadratic), and the whole ``battc check`` process on the 20,000-line file. Goal (issue 19):
  20,000 bad lines recovered in under 1 s.
* the editor: ``didOpen`` → first ``publishDiagnostics`` from a real ``battc lsp`` for a 5 MB
  document (just over ``MAX_FILE_BYTES``: E801 as from the CLI, without a parse), for a design
  just under the limit, and for a small document opened right after that one (analyses run
  side by side: it need not wait). Goal: first diagnostics under 2 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "lsp"))

from battgen.core.limits import MAX_FILE_BYTES  # noqa: E402
from battgen.frontend.parser import parse  # noqa: E402


def best(function, repeat: int = 3) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(runs)


def in_block(n: int) -> str:
    return "pack p {\n    cell = m50t\n" + "    energy >= ) kWh\n" * n + "}\n"


def at_top(n: int) -> str:
    return "oops )\n" * n


def recovery(sizes: list[int], repeat: int) -> None:
    print("error recovery (parse):")
    for n in sizes:
        for name, make in (("in a block", in_block), ("at top level", at_top)):
            text = make(n)
            found = len(parse(text, "bad.batt").diagnostics)
            wall, cpu = best(lambda text=text: parse(text, "bad.batt"), repeat)
            print(f"  {n:>6,} bad lines {name:<13} {wall:6.3f} s wall  {cpu:6.3f} s CPU  ({found:,} diagnostics)")
    n = sizes[-1]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bad.batt"
        path.write_text(in_block(n))
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        for fmt in ("json", "text"):

            def run(fmt=fmt):
                subprocess.run(
                    [sys.executable, "-m", "battgen", "check", "--format", fmt, str(path)],
                    capture_output=True,
                    env=env,
                    check=False,
                )

            wall, _ = best(run, repeat)
            print(f"  battc check --format {fmt:<4} on {n:,} bad lines: {wall:6.3f} s (the whole process)")


def design(size: int) -> str:
    """A valid design of about ``size`` bytes: cells and a pack every 50 cells."""
    cell = """cell c{i} {{
    format     = cylindrical(diameter = 21.1 mm, height = 70.15 mm)  # an 21700
    chemistry  = nmc811
    nominal    = 3.63 V
    voltage    in 2.5 V .. 4.2 V
    capacity   = {capacity:.2f} Ah
    mass       = 70 g
    resistance = 25 mOhm
    discharge  <= 14.55 A
    source     = "generated"
}}

"""
    pack = "pack p{i} {{\n    cell    = c{i}\n    voltage in 330 V .. 370 V\n    energy  >= 75 kWh\n}}\n\n"
    out, i, total = ["use materials.aluminium\n\n"], 0, 0
    while total < size:
        piece = cell.format(i=i, capacity=4.0 + (i % 10) * 0.1) + (pack.format(i=i) if i % 50 == 0 else "")
        if total + len(piece) > size:
            break
        out.append(piece)
        total += len(piece)
        i += 1
    return "".join(out)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def editor(repeat: int) -> None:
    from raw_rpc import RawServer

    print("the editor (didOpen -> first publishDiagnostics, battc lsp):")
    under = design(MAX_FILE_BYTES - 100_000)
    over = under + "# " + "x" * (MAX_FILE_BYTES - len(under) + 1000) + "\n"
    small = "use cells.lg.m50t\n\npack tiny {\n    cell   = m50t\n    energy >= 1 kWh\n}\n"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for label, text in (("5 MB, over the limit", over), ("design under the limit", under)):
            times, small_times, cpus = [], [], []
            for attempt in range(repeat):
                server = RawServer(cwd=REPO)
                server.initialize(root)
                server.info()  # the server is up and idle
                big, tiny = root / f"big{attempt}.batt", root / f"small{attempt}.batt"
                big.write_text(text)
                tiny.write_text(small)
                cpu = cpu_seconds(server.proc.pid)
                start = time.monotonic()
                server.open(big.as_uri(), text)
                server.open(tiny.as_uri(), small)
                first = server.wait_diagnostics(big.as_uri(), timeout=600)
                times.append(server.published[big.as_uri()] - start)
                cpus.append(cpu_seconds(server.proc.pid) - cpu)
                server.wait_diagnostics(tiny.as_uri(), timeout=600)
                small_times.append(server.published[tiny.as_uri()] - start)
                server.close()
            codes = sorted({d["code"] for d in first})
            size = len(text.encode())
            print(
                f"  {label:<23} {size / 1e6:5.2f} MB: {min(times):6.2f} s wall, {min(cpus):6.2f} s server CPU "
                f"({', '.join(codes) or 'no diagnostics'}); a small document opened just after: "
                f"{min(small_times):5.2f} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one run each, recovery only")
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    recovery([2_000, 10_000, 20_000], repeat)
    if not args.quick:
        editor(1)


if __name__ == "__main__":
    main()
