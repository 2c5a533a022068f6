"""``pack_netlist.txt``: the routed resistance network as a liionpack netlist (emit.netlist).

Two fixtures were made with the real liionpack 0.4.0: ``liionpack_ladder.json`` (its own
``setup_circuit`` + ``solve_circuit`` on series-groups ladders) and ``liionpack_read_export.json``
(its ``read_netlist`` of battgen's export of the same ladders, then ``solve_circuit``). Here the
export is read by liionpack's rules (``read_netlist``: ``desc node1 node2 value``, nodes ``N<k>``,
``*``/``.`` lines skipped, fields cut to 16 characters) and solved by modified nodal analysis as
``solve_circuit`` does; the currents must be liionpack's. A routed example pack round-trips to
battgen's own solution.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support import build_pack

from battgen.emit.netlist import liionpack_netlist
from battgen.passes.routing.network import ladder_network

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]


def read_netlist(text: str) -> list[tuple[str, int, int, float]]:
    """liionpack 0.4.0 ``read_netlist`` on a ``.txt``: split on spaces, skip ``*`` and ``.`` lines,
    keep 16 characters of each field (its ``dtype="<U16"``), strip the ``N`` of node names."""
    rows = []
    for line in text.splitlines():
        if not line or line[0] in "*.":
            continue
        desc, n1, n2, value = (field[:16] for field in line.split(" "))
        rows.append((desc, int(n1.strip("N")), int(n2.strip("N")), float(value)))
    return rows


def solve_circuit(rows, current: float) -> tuple[np.ndarray, float]:
    """liionpack's ``solve_circuit`` (MNA, node 0 the ground): the currents through the V
    elements (liionpack's ``I_batt``) and the voltage of the current source's node."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    n = max(max(r[1], r[2]) for r in rows)
    volts = [r for r in rows if r[0][0] == "V"]
    m = len(volts)
    a = sp.lil_matrix((n + m, n + m))
    z = np.zeros(n + m)
    for desc, n1, n2, value in rows:
        i, j = n1 - 1, n2 - 1
        if desc[0] == "R":
            g = 1.0 / value
            for p, q, s in ((i, i, g), (j, j, g), (i, j, -g), (j, i, -g)):
                if p >= 0 and q >= 0:
                    a[p, q] += s
        elif desc[0] == "I":
            if i >= 0:
                z[i] -= current
            if j >= 0:
                z[j] += current
            terminal = i
    for k, (_desc, n1, n2, value) in enumerate(volts):
        for node, sign in ((n1 - 1, 1.0), (n2 - 1, -1.0)):
            if node >= 0:
                a[node, n + k] = sign
                a[n + k, node] = sign
        z[n + k] = value
    x = spsolve(a.tocsr(), z)
    return x[n:], float(x[terminal])


@pytest.mark.parametrize("case", json.loads((FIXTURES / "liionpack_read_export.json").read_text())["cases"])
def test_the_export_is_the_circuit_liionpack_solves(case):
    ladder = {c["Ns"]: c for c in json.loads((FIXTURES / "liionpack_ladder.json").read_text())["cases"]}[case["Ns"]]
    net = ladder_network(case["Ns"], case["Np"], case["Ri"], case["Rc"], case["Rb"], case["Rt"], case["V"])
    text = liionpack_netlist(net, case["I"])
    rows = read_netlist(text)
    assert len(rows) == case["elements"] and sum(r[0][0] == "V" for r in rows) == case["V_elements"]
    source_currents, terminal = solve_circuit(rows, case["I"])
    # liionpack read this very export and solved it (read_export fixture) ...
    assert source_currents == pytest.approx(case["source_currents"], rel=1e-8, abs=1e-9)
    assert terminal == pytest.approx(case["terminal_voltage"], rel=1e-10)
    # ... and its own ladder of the same circuit gave the same cell currents (ladder fixture)
    assert -source_currents == pytest.approx(np.ravel(ladder["cell_currents"]), rel=1e-8, abs=1e-9)
    assert terminal == pytest.approx(ladder["terminal_voltage"], rel=1e-10)


def test_a_routed_pack_round_trips_to_battgens_own_solution(tmp_path):
    build = build_pack(REPO / "examples" / "ebike.batt")
    network = build.routing.network
    text = liionpack_netlist(build.circuit, network.pack_current, build.name)
    rows = read_netlist(text)
    assert all(len(field) <= 16 for line in text.splitlines() if line[0] not in "*." for field in line.split(" "))
    assert [r[0] for r in rows if r[0][0] == "V"] == [f"V{k}" for k in range(len(build.layout.cells))]
    source_currents, terminal = solve_circuit(rows, network.pack_current)
    assert -source_currents == pytest.approx(network.cell_currents, rel=1e-7, abs=1e-9)
    assert terminal == pytest.approx(network.terminal_voltage, rel=1e-9)
    from battgen.emit.files import render_all

    assert render_all(build)["pack_netlist.txt"] == text
