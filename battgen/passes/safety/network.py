"""The cell-to-cell thermal network of the placed pack, from the layout's neighbours.

Nodes are cells (each a lump of m·c_p). Edges join neighbours (round cells in contact across
the gap; flat cells face to face or edge to edge; cells stacked end to end) and carry:

* **conduction through the gap** — air, or the barrier where one is declared between them
  (layers in series: k_eff = g/(t_b/k_b + (g − t_b)/k_air)); round cells through the shape
  factor of two parallel cylinders S = 2πL/acosh(d²/(2r²) − 1) (Incropera & DeWitt, *Fundamentals
  of Heat and Mass Transfer*, 6th ed. 2007, Table 4.1, case 7 with equal radii), flat faces
  through k·A/g. The air's conductivity follows the edge's mean temperature
  (``models.runaway.air_conductivity``). A barrier thicker than the gap the layout leaves is
  analysed at its own thickness (the design it describes; the stage warns);
* **radiation** — εσ·A·F·(T_i⁴ − T_j⁴): parallel cylinders' view factor F = (1/π)·(√(X² − 1) +
  asin(1/X) − X), X = 1 + s/(2r) (Incropera & DeWitt Table 13.2: infinitely long parallel
  cylinders), flat faces F = 1 with the parallel-plate emissivity 1/(2/ε − 1) (eq. 13.24); none
  through a barrier;
* **busbars** — cells of one group and of neighbouring groups in a module share a plate: cell →
  its link (its fuse link, k·A/L, or a weld taken as a square of plate) → a square of plate →
  the other's link, in series (k·t for a square of plate of thickness t);

and each cell to the coolant through the cold plate: the heat stage's resistance from the
coolant to a cell's cooled face (``Heat.resistance``), the coolant at its inlet temperature (the
pump keeps running: an assumption). ``view`` is each neighbour's share of the cell's surface
(the share of the runaway's ejecta heat it takes, ``models.runaway``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from battgen.core import ir
from battgen.models import runaway
from battgen.passes.heat import Heat, specific_heat
from battgen.passes.layout.types import Layout
from battgen.passes.routing.types import Routing

MIN_GAP = 1e-4  # m: cells that touch are taken 0.1 mm apart (a contact's resistance, no less)


@dataclass(frozen=True)
class Network:
    capacity: np.ndarray  # J/K per cell
    pairs: np.ndarray  # (m, 2) neighbour pairs
    shape: np.ndarray  # m: conductance per unit conductivity of the gap (S, or A/g)
    barrier_part: np.ndarray  # s·K·m/W... the gap's resistance share in the barrier: t_b/k_b per unit gap (0: none)
    gap: np.ndarray  # m, the effective gap
    busbar: np.ndarray  # W/K, through the shared plate
    radiation: np.ndarray  # W/K⁴: εσ·A·F (0 through a barrier)
    view: np.ndarray  # share of cell i's surface cell j sees (ejecta heat), 0 through a barrier
    blocked: np.ndarray  # bool: a barrier between them
    coolant: np.ndarray  # W/K per cell to the coolant
    coolant_temperature: float  # K
    module: np.ndarray  # module of each cell

    def edges(self) -> Edges:
        """The edges as a time step reads them (``Edges``)."""
        return Edges(
            np.ascontiguousarray(self.pairs[:, 0]),
            np.ascontiguousarray(self.pairs[:, 1]),
            np.maximum(self.gap - self.barrier_part[:, 1], 0.0),
            self.gap,
            np.ascontiguousarray(self.barrier_part[:, 0]),
            self.shape,
            self.busbar,
        )


@dataclass(frozen=True)
class Edges:
    """A network's edges in the form its time steps read them, made once per run (the stepping
    takes hundreds of steps over tens of thousands of edges)."""

    first: np.ndarray  # the pairs' first cells, contiguous
    second: np.ndarray  # and their second
    air_gap: np.ndarray  # m of the gap that is air (the barrier's thickness taken out)
    gap: np.ndarray  # m
    barrier_resistance: np.ndarray  # t_b/k_b per unit gap (0: none)
    shape: np.ndarray
    busbar: np.ndarray  # W/K

    def conductance(self, t_first: np.ndarray, t_second: np.ndarray) -> np.ndarray:
        """Every edge's conductance, W/K, at its cells' temperatures (K): gap + busbar."""
        k_air = runaway.air_conductivity((t_first + t_second) / 2.0)
        # the gap as layers in series: barrier t_b/k_b, then air over the rest
        k_eff = self.gap / (self.barrier_resistance + self.air_gap / k_air)
        return k_eff * self.shape + self.busbar


def _cylinder_pairs(xy: np.ndarray, z: np.ndarray, fmt: ir.CellFormat, reach: float) -> np.ndarray:
    from scipy.spatial import cKDTree

    pts = np.column_stack([xy, z])
    return cKDTree(pts).query_pairs(reach, output_type="ndarray")


def build(
    pack: ir.Pack,
    layout: Layout,
    routing: Routing | None,
    materials: Mapping[str, ir.Material],
) -> Network:
    """The network of ``layout``'s cells (see the module docstring), not yet cooled: no path to
    the coolant, which ``cooled`` adds from the heat stage (a coolant edit reuses the rest)."""
    cell, fmt = pack.cell, pack.cell.format
    n = len(layout.cells)
    xy = np.array([(c.x, c.y) for c in layout.cells]).reshape(n, 2)
    z = np.array([c.z for c in layout.cells])
    module = np.array([c.module for c in layout.cells], dtype=np.int64)
    group = np.array([c.group for c in layout.cells], dtype=np.int64)
    barrier = pack.barrier
    t_b = barrier.thickness if barrier is not None else 0.0
    if fmt.kind == "cylindrical":
        geometry = _cylinders(xy, z, fmt, pack.gap, t_b)
    else:
        geometry = _flats(xy, z, layout, fmt, pack.gap, t_b)
    pairs, shape_fn, gap_actual, area, view_face, radiation_f, flat = geometry
    blocked = np.zeros(len(pairs), dtype=bool)
    if barrier is not None and len(pairs):
        if barrier.between == "cells":
            blocked[:] = True
        else:
            blocked = module[pairs[:, 0]] != module[pairs[:, 1]]
    gap = np.where(blocked, np.maximum(gap_actual, t_b), gap_actual)
    gap = np.maximum(gap, MIN_GAP)
    shape = shape_fn(gap)
    k_b = barrier.material.conductivity if barrier is not None and barrier.material.conductivity else 1.0
    barrier_part = np.column_stack([np.where(blocked, t_b / k_b, 0.0), np.where(blocked, t_b, 0.0)])
    if flat:
        eps = 1.0 / (2.0 / runaway.EMISSIVITY - 1.0)  # parallel plates
        rad = eps * runaway.STEFAN_BOLTZMANN * area
    else:
        rad = runaway.EMISSIVITY * runaway.STEFAN_BOLTZMANN * area * radiation_f
    rad = np.where(blocked, 0.0, rad)
    view = np.where(blocked, 0.0, view_face)
    busbar = _busbar_conductance(pack, layout, routing, materials, pairs, module, group)
    cp = specific_heat(cell)
    capacity = np.full(n, cell.mass * cp)
    return Network(
        capacity,
        pairs,
        shape,
        barrier_part,
        gap,
        busbar,
        rad,
        view,
        blocked,
        np.zeros(n),  # no path to the coolant yet (``cooled``): through none, its temperature is not felt
        0.0,
        module,
    )


def cooled(network: Network, heat: Heat | None, ambient: float) -> Network:
    """``network`` with every cell's path to the coolant: the heat stage's resistance from the
    coolant to a cell's cooled face, the coolant at its inlet (``ambient`` and no path: uncooled)."""
    g_cool = 1.0 / heat.resistance if heat is not None and heat.resistance else 0.0
    t_cool = heat.inlet if heat is not None else ambient
    return replace(network, coolant=np.full(len(network.capacity), g_cool), coolant_temperature=t_cool)


def _cylinders(xy, z, fmt: ir.CellFormat, gap: float, t_b: float):
    r, height = fmt.diameter / 2.0, fmt.height
    reach = fmt.diameter + max(gap, t_b) * 1.5 + 1e-3
    pairs = _cylinder_pairs(xy, z, fmt, reach)
    if not len(pairs):
        pairs = np.empty((0, 2), dtype=np.int64)
    same_layer = np.isclose(z[pairs[:, 0]], z[pairs[:, 1]])
    pairs = pairs[same_layer]  # stacked layers: their end-to-end contact is left out (rare)
    d = np.linalg.norm(xy[pairs[:, 1]] - xy[pairs[:, 0]], axis=1)
    gap_actual = d - 2.0 * r

    def shape(g):
        dd = 2.0 * r + g
        return 2.0 * math.pi * height / np.arccosh(dd**2 / (2.0 * r * r) - 1.0)

    x = 1.0 + np.maximum(gap_actual, MIN_GAP) / (2.0 * r)
    f_cc = (np.sqrt(x * x - 1.0) + np.arcsin(1.0 / x) - x) / math.pi
    lateral = math.pi * fmt.diameter * height
    total = lateral + 2.0 * math.pi * r * r
    view = f_cc * lateral / total
    return pairs, shape, gap_actual, np.full(len(pairs), lateral), view, f_cc, False


def _flats(xy, z, layout: Layout, fmt: ir.CellFormat, gap: float, t_b: float):
    from scipy.spatial import cKDTree

    w, t, h = fmt.width, fmt.thickness, fmt.height
    reach = max(w, t) + max(gap, t_b) * 1.5 + 1e-3
    pairs = cKDTree(np.column_stack([xy, z])).query_pairs(reach, output_type="ndarray")
    if not len(pairs):
        pairs = np.empty((0, 2), dtype=np.int64)
    pairs = pairs[np.isclose(z[pairs[:, 0]], z[pairs[:, 1]])]
    rot = np.array([c.rotation for c in layout.cells])
    ri = rot[pairs[:, 0]]
    d = xy[pairs[:, 1]] - xy[pairs[:, 0]]
    du = np.abs(d[:, 0] * np.cos(ri) + d[:, 1] * np.sin(ri))  # along the width
    dv = np.abs(-d[:, 0] * np.sin(ri) + d[:, 1] * np.cos(ri))  # along the thickness
    tol = 1e-6
    near = max(gap, t_b) * 1.5 + 1e-3  # the gap across which cells are neighbours (as for round cells)
    face = (du < w - tol) & (dv >= t - tol) & (dv <= t + near)
    edge = (dv < t - tol) & (du >= w - tol) & (du <= w + near)
    keep = face | edge
    pairs, du, dv, face = pairs[keep], du[keep], dv[keep], face[keep]
    area = np.where(face, (w - du) * h, (t - dv) * h)
    gap_actual = np.where(face, dv - t, du - w)
    total = 2.0 * (w * t + w * h + t * h)
    view = area / total

    def shape(g):
        return area / g

    return pairs, shape, gap_actual, area, view, np.ones(len(pairs)), True


def _busbar_conductance(pack, layout, routing, materials, pairs, module, group) -> np.ndarray:
    """Each edge's conductance through a shared busbar plate, W/K (0 for cells on none)."""
    if routing is None or not len(pairs):
        return np.zeros(len(pairs))
    plates = [b for b in routing.busbars if not b.path]
    if not plates:
        return np.zeros(len(pairs))
    material = materials.get(plates[0].material)
    k_bus = material.conductivity if material is not None and material.conductivity else 0.0
    t_bus = float(np.median([b.thickness for b in plates]))
    square = k_bus * t_bus
    if routing.fuses:
        link = np.zeros(len(layout.cells))
        conducts: dict[tuple, float] = {}  # k·A of each distinct link (a handful on a 7,000-cell pack)
        k_section = np.empty(len(routing.fuses))
        for n, f in enumerate(routing.fuses):
            size = (f.material, f.kind, f.diameter, f.width, f.thickness)
            ka = conducts.get(size)
            if ka is None:
                m = materials.get(f.material) or materials.get("aluminium")
                k = m.conductivity if m is not None and m.conductivity else 0.0
                section = math.pi / 4.0 * f.diameter**2 if f.kind == "wire_bond" else f.width * f.thickness
                ka = conducts[size] = k * section
            k_section[n] = ka
        cells = np.fromiter((f.cell for f in routing.fuses), dtype=np.int64, count=len(routing.fuses))
        length = np.fromiter((f.length for f in routing.fuses), dtype=float, count=len(routing.fuses))
        link[cells] = k_section / np.maximum(length, 1e-4)
        gi, gj = link[pairs[:, 0]], link[pairs[:, 1]]
        with np.errstate(divide="ignore"):
            total = 1.0 / (1.0 / np.maximum(gi, 1e-12) + 1.0 / np.maximum(gj, 1e-12) + 1.0 / max(square, 1e-12))
    else:
        total = np.full(len(pairs), square / 3.0)  # weld, plate, weld: three squares in series
    shared = (module[pairs[:, 0]] == module[pairs[:, 1]]) & (np.abs(group[pairs[:, 0]] - group[pairs[:, 1]]) <= 1)
    return np.where(shared, total, 0.0)
