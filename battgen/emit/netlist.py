"""``pack_netlist.txt``: the routed pack's resistance network as a liionpack netlist.

liionpack (PyBaMM's pack simulator, ``pybamm-team/liionpack``) reads a circuit with
``liionpack.read_netlist("pack_netlist.txt")`` and solves it with
``liionpack.solve_circuit(netlist, current=I)``, or runs every cell as a PyBaMM model with
``liionpack.solve(netlist, parameter_values, experiment)``. The format is its reader's
(liionpack 0.4.0 ``netlist_utils.read_netlist``): one element a line, ``desc node1 node2
value``, nodes ``N<k>`` (``0`` the ground), lines starting ``*`` or ``.`` ignored, every field at
most 16 characters (the reader keeps 16). Elements, named as ``setup_circuit`` names them:

* ``V<k>`` the OCV of cell k, from its negative terminal (node2) to an internal node (node1),
  and ``Ri<k>`` its internal resistance from there to its positive terminal — liionpack pairs
  the k-th ``V`` with the k-th ``Ri`` and replaces both with its PyBaMM cell;
* ``Rb<k>`` busbar plates and jumpers, ``Rc<k>`` fuse links and other connections,
  ``Rt<k>`` the two pack terminal leads;
* ``I0`` the load: the pack current drawn out of the positive terminal's node into the ground,
  the negative terminal's node.

Cell k is battgen's PlacedCell k (the order of ``design.json``'s ``layout.cells``). The values
are those battgen solved: the cells' nominal OCV and declared resistance, the plates' ρ·d/(t·w),
the current routing sized for (the peak).
"""

from __future__ import annotations

import numpy as np

from battgen.passes.routing.network import Network


def _value(v: float) -> str:
    return f"{v:.10g}"


def liionpack_netlist(network: Network, current: float, title: str = "battgen pack") -> str:
    """The network as liionpack's netlist text, the load drawing ``current`` A."""
    n = network
    used = np.zeros(n.n_nodes, dtype=bool)
    used[np.concatenate([n.r_a, n.r_b, n.cell_neg, n.cell_pos, [n.pos, n.neg]])] = True
    # compact node numbers: the negative terminal is the ground (0), the rest 1..
    order = np.flatnonzero(used & (np.arange(n.n_nodes) != n.neg))
    number = np.full(n.n_nodes, -1, dtype=np.int64)
    number[n.neg] = 0
    number[order] = np.arange(1, len(order) + 1)
    internal = len(order) + 1 + np.arange(len(n.cell_ocv))  # one node between each V and its Ri

    def node(k: int) -> str:
        return "0" if k == 0 else f"N{k}"

    lines = [
        f"* {title}: liionpack netlist written by battgen (liionpack.read_netlist, then solve_circuit or solve)",
        f"* {len(n.cell_ocv)} cells, {len(n.r_val)} resistors, load {current:.6g} A",
    ]
    # Python ints and floats (numpy's scalars, one by one, took most of the time); the cells'
    # values repeat, each written once
    values: dict[float, str] = {}

    def value(v: float) -> str:
        text = values.get(v) if v else None  # 0.0 and -0.0 are one key but two texts
        if text is None:
            text = values[v] = _value(v)
        return text

    cell_nodes = zip(internal.tolist(), number[n.cell_neg].tolist(), number[n.cell_pos].tolist())
    for k, ((mid, neg, pos), ocv, r) in enumerate(zip(cell_nodes, n.cell_ocv.tolist(), n.cell_r.tolist())):
        lines.append(f"V{k} {node(mid)} {node(neg)} {value(ocv)}")
        lines.append(f"Ri{k} {node(pos)} {node(mid)} {value(r)}")
    terminal = (n.r_a == n.pos) | (n.r_b == n.pos) | (n.r_a == n.neg) | (n.r_b == n.neg)
    counts = {"Rb": 0, "Rc": 0, "Rt": 0}
    ends = zip(number[n.r_a].tolist(), number[n.r_b].tolist())
    for (a, b), r, kind, lead in zip(ends, n.r_val.tolist(), n.r_kind.tolist(), terminal.tolist()):
        name = "Rt" if lead else "Rb" if kind == 0 else "Rc"
        lines.append(f"{name}{counts[name]} {node(a)} {node(b)} {value(r)}")
        counts[name] += 1
    lines.append(f"I0 {node(int(number[n.pos]))} 0 {_value(current)}")
    return "\n".join(lines) + "\n"
