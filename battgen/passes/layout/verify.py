"""The invariant checks: a placed layout re-checked from its cells alone.

``verify(layout, pack)`` recomputes everything the layout pass promises — S×P cells numbered in
order, groups of P, no overlaps, every cell on the usable floor and under the lid, groups
connected through touching cells, consecutive groups touching, modules runs of consecutive
groups — from the placed cells and the pack, without trusting the search that placed them.
Tests run it on every example and on generated envelopes.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from battgen.core import ir
from battgen.passes.layout.floor import _contained, floor
from battgen.passes.layout.grouping import _components, _consecutive_touch, _Plan, contacts
from battgen.passes.layout.types import Layout

TOL = 1e-9  # m: tolerance of the invariant checks


def verify(layout: Layout, pack: ir.Pack) -> list[str]:
    """Every invariant of a layout, checked from the placed cells alone; [] when valid."""
    out: list[str] = []
    cell = pack.cell.format
    strings = getattr(layout, "strings", 1) or 1
    n_groups = layout.series * strings
    per_group = layout.parallel // strings
    n = len(layout.cells)
    if n != layout.series * layout.parallel:
        out.append(f"{n} cells placed, {layout.series}×{layout.parallel} expected")
    if n == 0:
        return out
    xy = np.array([(c.x, c.y) for c in layout.cells])
    z = np.array([c.z for c in layout.cells])
    group = np.array([c.group for c in layout.cells])
    if [c.index for c in layout.cells] != list(range(n)):
        out.append("cell indices are not 0..n-1 in order")
    counts = np.bincount(group, minlength=n_groups)
    if len(counts) != n_groups or (counts != per_group).any():
        bad = [int(g) for g in np.flatnonzero(counts != per_group)][:5]
        out.append(f"groups {bad} do not hold exactly {per_group} cells")
    layer_pitch = cell.height + pack.gap
    layer = np.round(z / layer_pitch).astype(np.int64) if layer_pitch > 0 else np.zeros(n, dtype=np.int64)
    if cell.kind == "cylindrical":
        half = (cell.diameter / 2, cell.diameter / 2)
        rotation = 0.0
    else:
        half = (cell.thickness / 2, cell.width / 2)
        rotation = layout.cells[0].rotation
        if any(abs(c.rotation - rotation) > 1e-9 for c in layout.cells):
            out.append("cells are not all rotated alike")
    angle = rotation - math.pi / 2 if cell.kind != "cylindrical" else layout.angle
    out += _overlaps(xy, layer, cell, pack.gap, half, angle)
    out += _outside(pack, xy, z, half, angle)
    # connectivity
    pairs = contacts(xy, layer, cell.kind, half, pack.gap, angle)
    if _components(n, pairs, group) != len(np.unique(group)):
        out.append("some parallel groups are not connected through touching cells")
    plan = _Plan(n_groups, per_group, layout.series, strings, len(layout.modules), 0)
    if not _consecutive_touch(pairs, group, plan):
        la, lb = group[pairs[:, 0]], group[pairs[:, 1]]
        touching = set(np.minimum(la, lb)[np.abs(la - lb) == 1].tolist())
        missing = [g for g in range(n_groups - 1) if g not in touching and (g + 1) % layout.series][:5]
        out.append(f"consecutive groups do not touch after groups {missing}")
    return out + _module_problems(layout, n_groups)


def _overlaps(
    xy: np.ndarray, layer: np.ndarray, cell: ir.CellFormat, gap: float, half: tuple[float, float], angle: float
) -> list[str]:
    """Pairs of cells on one layer closer than their footprints plus the gap."""
    from scipy.spatial import cKDTree

    if cell.kind == "cylindrical":
        min_d = cell.diameter + gap
        pts = np.column_stack([xy, layer * 10 * min_d])
        close = cKDTree(pts).query_pairs(min_d - TOL, output_type="ndarray")
        if len(close):
            a, b = close[0]
            d = math.dist(xy[a], xy[b])
            return [
                f"{len(close)} pairs of cells overlap (cells {a} and {b}: {d * 1e3:.4f} mm apart < {min_d * 1e3:.4f} mm)"
            ]
        return []
    reach = math.hypot(2 * half[0] + gap, 2 * half[1] + gap)
    pts = np.column_stack([xy, layer * 10 * reach])
    close = cKDTree(pts).query_pairs(reach, output_type="ndarray")
    if len(close):
        d = xy[close[:, 1]] - xy[close[:, 0]]
        c, s = math.cos(angle), math.sin(angle)
        du = np.abs(d[:, 0] * c + d[:, 1] * s)
        dv = np.abs(-d[:, 0] * s + d[:, 1] * c)
        overlap = (du < 2 * half[0] + gap - TOL) & (dv < 2 * half[1] + gap - TOL)
        if overlap.any():
            return [f"{int(overlap.sum())} pairs of cells overlap (closer than their footprints plus the gap)"]
    return []


def _outside(pack: ir.Pack, xy: np.ndarray, z: np.ndarray, half: tuple[float, float], angle: float) -> list[str]:
    """Cells off the usable floor (``_contained`` with TOL of slack) or above the envelope's
    height; nothing to check without an envelope."""
    cell = pack.cell.format
    fl = floor(pack, len(xy))
    if fl.virtual:
        return []
    out: list[str] = []
    usable = fl.usable
    shapely.prepare(usable)
    ok = _contained(usable, usable.boundary, xy[:, 0], xy[:, 1], cell.kind, half[0], half[1], angle, TOL)
    if not ok.all():
        bad = np.flatnonzero(~ok)
        out.append(
            f"{bad.size} cells outside the usable floor (outline less wall, less keepouts), e.g. cell {bad[0]} "
            f"at ({xy[bad[0], 0] * 1e3:.2f}, {xy[bad[0], 1] * 1e3:.2f}) mm"
        )
    top = z.max() + cell.height
    if top > fl.height + TOL:
        out.append(f"cells reach {top * 1e3:.2f} mm, above the envelope's {fl.height * 1e3:.2f} mm")
    return out


def _module_problems(layout: Layout, n_groups: int) -> list[str]:
    """Modules that are not runs of consecutive groups, disagree with their groups or cells,
    or do not cover every group exactly once."""
    out: list[str] = []
    n = len(layout.cells)
    covered: list[int] = []
    for m in layout.modules:
        gs = list(m.groups)
        if gs != list(range(gs[0], gs[0] + len(gs))) if gs else True:
            out.append(f"module {m.index} is not a run of consecutive groups")
        covered += gs
        for g in gs:
            if g < len(layout.groups) and layout.groups[g].module != m.index:
                out.append(f"group {g} says module {layout.groups[g].module}, module {m.index} lists it")
    if sorted(covered) != list(range(n_groups)):
        out.append("modules do not cover every group exactly once")
    for c in layout.cells[:: max(1, n // 997)]:
        if layout.groups[c.group].module != c.module:
            out.append(f"cell {c.index} is in module {c.module} but its group is in {layout.groups[c.group].module}")
            break
    return out
