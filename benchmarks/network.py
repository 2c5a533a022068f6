"""Network solve time for a Model S-sized pack (96s74p = 7,104 cells), and liionpack side by side.

    .venv/bin/python benchmarks/network.py            # goal: < 0.2 s per solve
    LIIONPACK_PYTHON=/tmp/lp-venv/bin/python .venv/bin/python benchmarks/network.py

Two networks:

* the ladder — ``routing.network.ladder_network(96, 74, …)``, liionpack's "series-groups" netlist node
  for node — timed here and (if a liionpack interpreter is found: $LIIONPACK_PYTHON, else
  /tmp/lp-venv/bin/python) with liionpack's ``solve_circuit`` on the same netlist, in a subprocess
  of that interpreter (liionpack pins numpy 1.x; ours stays on numpy 2); currents compared;
* the routed pack — busbar plates from real geometry (hex columns, 16 modules, per-cell fuses),
  ~21k nodes — the solve ``route`` does, timed from scratch (factorisation included).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from battgen.core import ir
from battgen.core.diagnostics import Span
from battgen.passes.layout.types import Layout, hex_columns
from battgen.passes.routing.network import ladder_network
from battgen.passes.routing.router import route_with_network

NS, NP = 96, 74
RI, RC, RB, RT, V, CURRENT = 0.016, 1e-4, 1e-4, 1e-5, 3.6, 1500.0
REPEAT = 5

LIIONPACK_SCRIPT = """
import json, os, sys, time
os.environ["PYBAMM_DISABLE_TELEMETRY"] = "true"
import liionpack as lp, numpy as np
a = json.loads(sys.argv[1])
net = lp.setup_circuit(Np=a["NP"], Ns=a["NS"], Ri=a["RI"], Rc=a["RC"], Rb=a["RB"], Rt=a["RT"], V=a["V"],
                       I=a["I"], configuration="series-groups")
times = []
for _ in range(a["repeat"]):
    t = time.perf_counter()
    out = lp.solve_circuit(net, current=a["I"])
    times.append(time.perf_counter() - t)
i = (-np.asarray(out[1]).ravel()).reshape(a["NP"], a["NS"]).T
print(json.dumps({"times": times, "currents": i.ravel().tolist(), "version": lp.__version__}))
"""


def best(f, repeat=REPEAT):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times))


def model_s_layout(d=0.0187, gap=0.001, modules=16, module_gap=0.03) -> Layout:
    """18650 cells, hex columns, one group per column."""
    return hex_columns("model_s", NS, NP, d, gap, 0.065, modules, module_gap)


def main() -> int:
    print(f"{NS}s{NP}p = {NS * NP:,} cells, pack current {CURRENT:.0f} A")
    ladder = ladder_network(NS, NP, RI, RC, RB, RT, V)
    t_min, t_med = best(lambda: ladder.solve_fresh(CURRENT))
    ours = np.array(ladder.solution(CURRENT).cell_currents)
    print(
        f"ladder ({ladder.n_nodes:,} nodes): battgen factor+solve best {t_min * 1e3:.1f} ms, median {t_med * 1e3:.1f} ms"
    )
    ladder.factor()
    r_min, _ = best(lambda: ladder.voltages(CURRENT), 20)
    print(f"  re-solve at another current with the factorisation reused: {r_min * 1e6:.0f} µs")

    python = os.environ.get("LIIONPACK_PYTHON") or (
        "/tmp/lp-venv/bin/python" if Path("/tmp/lp-venv/bin/python").exists() else ""
    )
    if python:
        args = json.dumps(
            {"NS": NS, "NP": NP, "RI": RI, "RC": RC, "RB": RB, "RT": RT, "V": V, "I": CURRENT, "repeat": 3}
        )
        run = subprocess.run(
            [python, "-c", LIIONPACK_SCRIPT, args],
            capture_output=True,
            text=True,
            timeout=1800,
            env={**os.environ, "PYBAMM_DISABLE_TELEMETRY": "true"},
        )
        if run.returncode == 0:
            got = json.loads(run.stdout.strip().splitlines()[-1])
            lp_min = min(got["times"])
            ref = np.array(got["currents"])
            err = float(np.max(np.abs(ours - ref) / np.abs(ref)))
            print(
                f"  liionpack {got['version']} solve_circuit, same netlist: best {lp_min * 1e3:.1f} ms "
                f"→ battgen {lp_min / t_min:.0f}× faster (factor+solve), max current difference {err:.2e}"
            )
        else:
            print("  liionpack failed:", run.stderr.strip().splitlines()[-1:])
    else:
        print("  liionpack: no interpreter (set LIIONPACK_PYTHON or create /tmp/lp-venv)")

    span = Span("<bench>", 1, 1, 1, 2)
    copper = ir.Material(
        "copper",
        "conductor",
        8960.0,
        "CRC",
        span,
        resistivity=1.72e-8,
        temperature_coefficient=0.00393,
        specific_heat=385.0,
        melting_point=1356.0,
        cost=9.5,
    )
    cell = ir.Cell(
        "18650",
        ir.CellFormat("cylindrical", diameter=0.0187, height=0.065),
        "nca",
        3.6,
        2.5,
        4.2,
        3.1 * 3600,
        0.046,
        RI,
        20.0,
        "bench",
        span,
        pulse_current=30.0,
        pulse_duration=10.0,
    )
    pack = ir.Pack("model_s", cell, None, span, span, busbar=ir.Busbar(copper, 1.0e-3), fuse="per_cell")
    cand = SimpleNamespace(
        strings=1,
        peak_current=1200.0,  # 16 A a cell: a link that carries it still opens a 0.1 ohm internal short
        # (at 1,500 A, 20 A a cell, none does: E702)
        continuous_current=600.0,
        nominal_voltage=NS * 3.6,
        max_voltage=NS * 4.2,
        resistance=NS * RI / NP + NS * 1e-4,
    )
    t = time.perf_counter()
    result, net = route_with_network(pack, model_s_layout(), cand)
    t_route = time.perf_counter() - t
    if net is None:
        print("routed pack:", result.code, result.message)
        return 1
    g_min, g_med = best(lambda: net.solve_fresh(CURRENT))
    print(
        f"routed pack ({net.n_nodes:,} nodes, {net.r_val.size:,} resistors): route {t_route:.2f} s; "
        f"solve best {g_min * 1e3:.1f} ms, median {g_med * 1e3:.1f} ms (goal < 200 ms)"
    )
    print(" ", result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
