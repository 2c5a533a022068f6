"""Reference numbers for battgen's network solver from liionpack (run in liionpack's own venv).

liionpack 0.4.0 pins numpy 1.x, so it lives in its own virtual environment:

    python -m venv /tmp/lp-venv
    /tmp/lp-venv/bin/pip install liionpack==0.4.0 pybamm==24.11.2 casadi==3.6.7 pandas==2.2.3
    PYBAMM_DISABLE_TELEMETRY=true /tmp/lp-venv/bin/python benchmarks/liionpack_reference.py \
        > tests/fixtures/liionpack_ladder.json

For each case: ``setup_circuit(Np, Ns, Ri, Rc, Rb, Rt, V=ocv, configuration="series-groups")``
(terminals "left": both pack terminals on column 0) and ``solve_circuit(netlist, current=I)``.
Reported: the terminal voltage (liionpack's own output, + terminal node against ground) and
each cell's current, as ``cell_currents[k][j]`` for series group k (0 = negative end) and
parallel position j (liionpack's column), discharge positive.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import liionpack as lp
import numpy as np

CASES = [
    {"Ns": 1, "Np": 2, "Ri": 0.02, "Rc": 0.01, "Rb": 1e-4, "Rt": 1e-5, "V": 4.2, "I": 10.0},
    {"Ns": 4, "Np": 3, "Ri": 0.02, "Rc": 0.01, "Rb": 1e-4, "Rt": 1e-5, "V": 4.2, "I": 10.0},
    {"Ns": 6, "Np": 8, "Ri": 0.025, "Rc": 1e-3, "Rb": 2e-3, "Rt": 1e-4, "V": 3.6, "I": 80.0},
    {"Ns": 10, "Np": 16, "Ri": 0.015, "Rc": 5e-4, "Rb": 1e-3, "Rt": 2e-4, "V": 3.7, "I": 200.0},
]


def run(case: dict) -> dict:
    netlist = lp.setup_circuit(
        Np=case["Np"],
        Ns=case["Ns"],
        Ri=case["Ri"],
        Rc=case["Rc"],
        Rb=case["Rb"],
        Rt=case["Rt"],
        I=case["I"],
        V=case["V"],
        configuration="series-groups",
    )
    out = lp.solve_circuit(netlist, current=case["I"])
    _v_node, i_batt = out[0], np.asarray(out[1]).ravel()
    v_terminal = float(np.ravel(out[3])[0])  # (V_node, I_batt, terminal_current, terminal_voltage, power)
    # V sources are numbered column by column (parallel position outer, series inner); the MNA
    # unknown is the current from the source's + node through it, i.e. minus the discharge current.
    currents = (-i_batt).reshape(case["Np"], case["Ns"]).T
    return {**case, "terminal_voltage": v_terminal, "cell_currents": currents.tolist()}


if __name__ == "__main__":
    print(
        json.dumps(
            {
                "source": f"liionpack {lp.__version__}, setup_circuit(configuration='series-groups'), "
                "solve_circuit(netlist, current=I)",
                "cases": [run(c) for c in CASES],
            },
            indent=1,
        )
    )
    sys.exit(0)
