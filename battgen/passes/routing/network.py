"""The resistance network and its solver: cells (OCV in series with internal resistance) and
resistors between nodes, factorised once (sparse LU) so every pack current is a vector sum.

``ladder_network`` builds liionpack's series-groups ladder node for node (the benchmark and the
check against liionpack); ``netlist.pack_network`` builds the routed pack's network from its
geometry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from battgen.passes.routing.types import NetworkSolution

if TYPE_CHECKING:
    import scipy.sparse as sp
    from scipy.sparse.linalg import SuperLU

Factor = tuple["SuperLU", np.ndarray, np.ndarray, np.ndarray]  # LU, nodes kept, OCV-only and 1 A solutions


@dataclass
class Network:
    """A resistor network with cells (OCV in series with R) between node pairs.

    Resistors: ``r_a``, ``r_b``, ``r_val``, ``r_kind`` (0 busbar plate or lead, 1 fuse, 2 other).
    Cells: ``cell_neg``, ``cell_pos``, ``cell_ocv``, ``cell_r``, ``cell_group``.
    The external load draws the pack current out of ``pos`` and returns it into ``neg``.
    """

    n_nodes: int
    r_a: np.ndarray
    r_b: np.ndarray
    r_val: np.ndarray
    r_kind: np.ndarray
    cell_neg: np.ndarray
    cell_pos: np.ndarray
    cell_ocv: np.ndarray
    cell_r: np.ndarray
    cell_group: np.ndarray
    pos: int
    neg: int
    _solver: Factor | None = field(default=None, repr=False)

    def __getstate__(self) -> dict:
        """Pickled (the stage cache) without the factorisation: SuperLU cannot be pickled, and
        ``factor`` makes it again on first use."""
        return {**self.__dict__, "_solver": None}

    def factor(self) -> Factor:
        """Factorise the conductance matrix once (the negative terminal is ground); cache the
        OCV-only and unit-current solutions so every later ``voltages(I)`` is a vector sum."""
        from scipy.sparse.linalg import splu

        if self._solver is not None:
            return self._solver
        G, keep = self._conductance()
        n, g_c = self.n_nodes, 1.0 / self.cell_r
        # symmetric positive definite: minimum-degree ordering on A+Aᵀ, no pivoting (≈ 2.5× faster
        # than the default COLAMD on these ladders)
        lu = splu(G, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
        # right-hand sides: Norton sources of the cells, and 1 A drawn from + into −
        rhs = np.zeros((n, 2))
        src = self.cell_ocv * g_c
        rhs[:, 0] = np.bincount(self.cell_pos, src, n) - np.bincount(self.cell_neg, src, n)
        rhs[self.pos, 1] -= 1.0
        rhs[self.neg, 1] += 1.0
        x = lu.solve(np.ascontiguousarray(rhs[keep]))
        full = np.zeros((n, 2))
        full[keep] = x
        self._solver = (lu, keep, full[:, 0].copy(), full[:, 1].copy())
        return self._solver

    def _conductance(self) -> tuple[sp.csc_matrix, np.ndarray]:
        """The conductance matrix over the kept nodes (every node an element touches, less the
        grounded − terminal), and which nodes those are. An element of conductance g between
        a and b adds g at (a, a) and (b, b), −g at (a, b) and (b, a): listed in that order, four
        runs of the elements in turn, as the sparse conversion sums the entries of a place in
        the order it meets them (the factor is the same to the bit). Listed at the kept nodes'
        numbers, int32, from the start: listing all 236,000 entries of a Model S at every node
        as int64 and masking them after took 20 MB of new memory, 15 ms of a cold build."""
        import scipy.sparse as sp

        g = np.concatenate([1.0 / self.r_val, 1.0 / self.cell_r])
        a = np.concatenate([self.r_a, self.cell_neg])
        b = np.concatenate([self.r_b, self.cell_pos])
        keep = np.zeros(self.n_nodes, dtype=bool)  # nodes no element touches are left out
        keep[a] = keep[b] = keep[self.pos] = True
        keep[self.neg] = False
        number = np.where(keep, np.cumsum(keep) - 1, -1).astype(np.int32)
        na, nb = number[a], number[b]
        on_a, on_b = na >= 0, nb >= 0
        both = on_a & on_b
        rows = np.concatenate([na[on_a], nb[on_b], na[both], nb[both]])
        cols = np.concatenate([na[on_a], nb[on_b], nb[both], na[both]])
        vals = np.concatenate([g[on_a], g[on_b], -g[both], -g[both]])
        m = int(keep.sum())
        return sp.csc_matrix((vals, (rows, cols)), shape=(m, m)), keep

    def voltages(self, current: float) -> np.ndarray:
        _, _, v_ocv, v_unit = self.factor()
        return v_ocv + current * v_unit

    def solve_fresh(self, current: float) -> np.ndarray:
        """Factorise and solve from scratch (what the benchmark times)."""
        self._solver = None
        return self.voltages(current)

    @property
    def resistance(self) -> float:
        _, _, _, v_unit = self.factor()
        return -(v_unit[self.pos] - v_unit[self.neg])

    def cell_currents(self, v: np.ndarray) -> np.ndarray:
        return (self.cell_ocv - (v[self.cell_pos] - v[self.cell_neg])) / self.cell_r

    def solution(self, current: float) -> NetworkSolution:
        v = self.voltages(current)
        i = self.cell_currents(v)
        drop = v[self.r_a] - v[self.r_b]
        loss = drop**2 / self.r_val
        groups = int(self.cell_group.max()) + 1 if self.cell_group.size else 0
        gmax = np.full(groups, -np.inf)
        gmin = np.full(groups, np.inf)
        np.maximum.at(gmax, self.cell_group, i)
        np.minimum.at(gmin, self.cell_group, i)
        gmean = np.bincount(self.cell_group, weights=i, minlength=groups) / np.maximum(
            np.bincount(self.cell_group, minlength=groups), 1
        )
        worst = int(np.argmax(np.abs(i))) if i.size else 0
        return NetworkSolution(
            pack_current=float(current),
            cell_currents=tuple(i.tolist()),
            group_max=tuple(gmax.tolist()),
            group_min=tuple(gmin.tolist()),
            group_mean=tuple(gmean.tolist()),
            worst_cell=worst,
            worst_current=float(i[worst]) if i.size else 0.0,
            busbar_loss=float(loss[self.r_kind == 0].sum()),
            fuse_loss=float(loss[self.r_kind == 1].sum()),
            cell_loss=float((i**2 * self.cell_r).sum()),
            pack_resistance=float(self.resistance),
            terminal_voltage=float(v[self.pos] - v[self.neg]),
        )


def ladder_network(Ns: int, Np: int, Ri: float, Rc: float, Rb: float, Rt: float, V: float = 4.2) -> Network:
    """liionpack 0.4.0 ``setup_circuit(Np, Ns, Ri, Rc, Rb, Rt, V=V, configuration="series-groups")``
    with ``terminals="left"``, node for node: a grid of 3·Ns+1 rows × Np columns; down every column
    Rc (weld), then the cell (V in series with Ri), repeated Ns times; Rb between neighbouring
    columns on rows 0, 3, 6, …, 3·Ns; the load attached to column 0 of the top row (+) and of
    row 0 (−) through Rt each. Cell index k·Np + j (series group k from the negative end)."""
    rows = 3 * Ns + 1
    node = np.arange(rows * Np).reshape(rows, Np)
    pos, neg = rows * Np, rows * Np + 1
    ra, rb, rv = [], [], []
    k = np.arange(Ns)
    # Rc down each column: row 3k → 3k+1
    ra.append(node[3 * k].ravel())
    rb.append(node[3 * k + 1].ravel())
    rv.append(np.full(Ns * Np, Rc))
    bus = node[0::3]  # rows 0, 3, …, 3Ns
    ra.append(bus[:, :-1].ravel())
    rb.append(bus[:, 1:].ravel())
    rv.append(np.full(bus[:, 1:].size, Rb))
    ra.append(np.array([node[-1, 0], neg]))
    rb.append(np.array([pos, node[0, 0]]))
    rv.append(np.array([Rt, Rt]))
    r_a, r_b, r_val = np.concatenate(ra), np.concatenate(rb), np.concatenate(rv)
    kind = np.concatenate([np.full(Ns * Np, 2), np.zeros(bus[:, 1:].size + 2, dtype=int)])
    return Network(
        rows * Np + 2,
        r_a,
        r_b,
        r_val,
        kind,
        cell_neg=node[3 * k + 1].ravel(),
        cell_pos=node[3 * k + 3].ravel(),
        cell_ocv=np.full(Ns * Np, V),
        cell_r=np.full(Ns * Np, Ri),
        cell_group=np.repeat(k, Np),
        pos=pos,
        neg=neg,
    )
