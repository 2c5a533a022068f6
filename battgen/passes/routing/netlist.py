"""The routed pack's resistance network, from its geometry: one node per cell terminal; plate
ladders between neighbouring terminals of one owner (Voronoi neighbours, R = ρ·d/(t·w_ridge));
links across bridges and jumpers where a plate's terminals are not joined by ridges; the fuse
links in series with the cells; the cells; and the two terminal leads to the load's nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from battgen.passes.routing.bridges import Jumper
from battgen.passes.routing.busbars import PlateBusbars
from battgen.passes.routing.context import RoutingContext
from battgen.passes.routing.fuses import Fusing
from battgen.passes.routing.leads import Lead
from battgen.passes.routing.network import Network
from battgen.passes.routing.types import Busbar


@dataclass
class _Branches:
    """Resistors in the order they are found: node pairs, ohms, kinds (``Network.r_kind``)."""

    a: list[np.ndarray] = field(default_factory=list)
    b: list[np.ndarray] = field(default_factory=list)
    r: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)

    def add(self, a: np.ndarray, b: np.ndarray, r: np.ndarray, kind: np.ndarray) -> None:
        self.a.append(a)
        self.b.append(b)
        self.r.append(r)
        self.kind.append(kind)


def pack_network(
    ctx: RoutingContext, busbars: list[Busbar], plated: PlateBusbars, fusing: Fusing, leads: list[Lead]
) -> Network:
    """Plate ladders, links across bridges and jumpers, fuses, cells and leads as one ``Network``."""
    t, layout, cell = ctx.terminals, ctx.layout, ctx.pack.cell
    n_cells = len(layout.cells)
    node = np.arange(len(t.cell))  # one node per terminal point (on the plate)
    nxt = len(t.cell)
    branches = _Branches()
    thick_of = {}
    for b in busbars:
        if not b.path:
            thick_of[plated.plate_owner[b.index]] = b.thickness
    for f in range(len(t.faces)):
        _plate_ladder(ctx, f, thick_of, branches)
    _join_pieces(ctx, nxt, busbars, plated.plate_owner, plated.jumpers, branches)
    pos_term = np.flatnonzero(t.sign > 0)  # terminal point index of each cell's +
    neg_term = np.flatnonzero(t.sign < 0)
    cell_pos = node[pos_term].copy()
    cell_neg = node[neg_term].copy()
    if fusing.links and ctx.pack.fuse in ("per_cell", "per_group"):
        # per group: the group's fuse in series with each of its welds, P in parallel
        fuse_r = fusing.resistance if ctx.pack.fuse == "per_cell" else fusing.resistance * layout.parallel
        extra = nxt + np.arange(n_cells)
        branches.add(extra, cell_pos.copy(), np.full(n_cells, fuse_r), np.ones(n_cells, int))
        cell_pos = extra
        nxt += n_cells
    pos_node, neg_node = nxt, nxt + 1
    nxt += 2
    by_owner = {lead.owner: lead for lead in leads}
    for o, ext in ((ctx.junctions.plus, pos_node), (ctx.junctions.minus, neg_node)):
        mine = np.flatnonzero(ctx.own == o)
        attach = mine[int(np.argmin(np.hypot(*(t.xy[mine] - np.array(by_owner[o].path[0])).T)))]
        branches.add(np.array([attach]), np.array([ext]), np.array([by_owner[o].resistance]), np.array([0]))
    cell_group = np.fromiter((c.group for c in layout.cells), int, n_cells)
    return Network(
        nxt,
        np.concatenate(branches.a),
        np.concatenate(branches.b),
        np.concatenate(branches.r),
        np.concatenate(branches.kind),
        cell_neg,
        cell_pos,
        np.full(n_cells, cell.nominal_voltage),
        np.full(n_cells, cell.resistance),
        cell_group,
        pos_node,
        neg_node,
    )


def _plate_ladder(ctx: RoutingContext, f: int, thick_of: dict[int, float], branches: _Branches) -> None:
    """The plate resistors of face ``f``: between neighbouring terminals of one owner (Voronoi
    neighbours, found with the plates: ``PlateContext.neighbours``), ρ·d/(t·w) with w the length
    of the Voronoi ridge between them (d/√3, a hex lattice's ridge, where the ridge is unbounded
    or there is no Voronoi diagram), at most 2 × cover."""
    t = ctx.terminals
    on = np.flatnonzero(t.face == f)
    if len(on) < 2:
        return
    rp, lens = ctx.neighbours[f]
    a, b_ = on[rp[:, 0]], on[rp[:, 1]]
    same = ctx.own[a] == ctx.own[b_]
    x, y = t.xy[:, 0], t.xy[:, 1]  # a column each: gathered 5x faster than the (n, 2) rows
    d = np.hypot(x[a] - x[b_], y[a] - y[b_])
    lens = np.where(np.isnan(lens), d / math.sqrt(3), np.minimum(lens, 2 * ctx.cover))
    keep = same & (d <= 2 * ctx.cover) & (lens > 0)
    thickness = np.full(ctx.junctions.minus + 1, np.nan)  # by owner
    thickness[list(thick_of)] = list(thick_of.values())
    tk = thickness[ctx.own[a[keep]]]
    branches.add(
        a[keep],
        b_[keep],
        ctx.conductor.material.resistivity * d[keep] / (tk * lens[keep]),
        np.zeros(int(keep.sum()), int),
    )


def _join_pieces(
    ctx: RoutingContext,
    n_nodes: int,
    busbars: list[Busbar],
    plate_owner: dict[int, int],
    jumpers: dict[int, list[Jumper]],
    branches: _Branches,
) -> None:
    """Join any owner whose terminal nodes the plate ladders leave unconnected (bridged plates,
    tiny faces): across a bridge, every terminal facing the gap links to its nearest partner,
    each link a strip one pitch wide; across a jumper, one link, the jumper's strip."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    t, material, pitch = ctx.terminals, ctx.conductor.material, min(ctx.layout.pitch)  # the smaller pitch
    ra_ = np.concatenate(branches.a) if branches.a else np.zeros(0, int)
    rb_ = np.concatenate(branches.b) if branches.b else np.zeros(0, int)
    adj = sp.coo_matrix((np.ones(ra_.size), (ra_, rb_)), shape=(n_nodes, n_nodes))
    count, comp = connected_components(adj, directed=False)
    # the owners whose terminals fall into more than one component (joining one owner's pieces
    # relabels only its own terminals, so they are known before any is joined)
    owner = np.unique(ctx.own.astype(np.int64) * count + comp[: len(ctx.own)]) // count
    for o in np.unique(owner[1:][owner[1:] == owner[:-1]]).tolist():
        mine = np.flatnonzero(ctx.own == o)
        labels = np.unique(comp[mine])
        while labels.size > 1:
            p = mine[comp[mine] == labels[0]]
            q = mine[comp[mine] != labels[0]]
            dd, jj = cKDTree(t.xy[q]).query(t.xy[p])
            bb = next(b for b in busbars if not b.path and plate_owner[b.index] == o)
            if o in jumpers:  # pieces joined by an insulated jumper: one link, the jumper's strip
                near = dd <= dd.min()
                near &= np.cumsum(near) == 1
                _, w_j, tk_j, _ = jumpers[o][0]
                r = material.resistivity * np.maximum(dd[near], 1e-4) / (w_j * tk_j)
            else:  # a wide bridge: every terminal facing the gap links to its nearest partner
                near = dd <= dd.min() + 0.5 * pitch
                r = material.resistivity * np.maximum(dd[near], 1e-4) / (pitch * bb.thickness)
            branches.add(p[near], q[jj[near]], r, np.zeros(int(near.sum()), int))
            joined = np.unique(comp[q[jj[near]]])
            comp[mine[np.isin(comp[mine], joined)]] = labels[0]
            labels = np.unique(comp[mine])
