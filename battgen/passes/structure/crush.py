"""Crush: the standard's force against the frame, and how far the platen may come before it
reaches a cell.

GB 38031-2025 8.2.4 crushes the pack in x and y until 100 kN or 30 % deformation
(``models.mechanics.CRUSH_*``). The frame here is the enclosure the CAD draws: walls of the
enclosure's sheet (the side sheet, capped by the envelope's wall clearance as in the CAD), a
floor and a lid. Crushed from one side, the sheets that run along the force carry it in
compression: the two walls parallel to it and the floor and lid across the pack's width. Each
carries the lesser of its squash load (yield × section) and its elastic buckling load, the
sheet as a long plate simply supported along its loaded edges' neighbours (σ_cr = k·π²·E/(12·
(1 − ν²))·(t/b)², k = 4: S. P. Timoshenko & J. M. Gere, *Theory of Elastic Stability*, 2nd ed.
1961, §9.2), b the wall's height or the floor's width. The jacket's steel angle-iron perimeter
frame (BatPaC's, ``models.packaging.jacket``: the one the BOM weighs and the CAD draws) adds its
two runs along the force, each the lesser of its squash load (ASTM A36's 250 MPa minimum yield ×
the angle's section (2·leg − t)·t) and its Euler load as a pinned column the length of the pack
(π²·E·A/(L/r)², r = 0.197·leg, the equal angle's least radius of gyration: AISC *Steel
Construction Manual*, 15th ed., Table 1-7). Sills and cross members the file does not describe
are not counted (a lower bound).

If the frame carries less than the test force, the platen advances until the force is reached
or 30 % of the pack's width is crushed: then the clearance from the wall to the nearest cell is
what stands between the platen and the cells (W723).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.models import mechanics, packaging
from battgen.passes.layout.types import Layout

BUCKLING_K = 4.0  # Timoshenko & Gere, long plate in uniform compression, simply supported edges
POISSON = 0.3
ANGLE_YIELD = 250e6  # Pa, ASTM A36 structural steel, minimum yield strength
ANGLE_GYRATION = 0.197  # least radius of gyration of an equal-leg angle / its leg (AISC Table 1-7)


@dataclass(frozen=True)
class Crush:
    """One direction of the crush. SI: N, m."""

    direction: str  # "x" or "y"
    force: float  # the standard's
    capacity: float  # what the frame carries before it yields or buckles
    walls: float  # of which the two walls along the force
    clearance: float  # from the outline's edge to the nearest cell, the nearer side
    travel: float  # 30 % of the pack's size in that direction: how far the platen may go

    @property
    def holds(self) -> bool:
        return self.capacity >= self.force

    def as_json(self) -> dict:
        """The fields, with ``holds``."""
        import dataclasses

        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {**out, "holds": self.holds}


def _sheet_capacity(thickness: float, width: float, material: ir.Material | None) -> float:
    """Load a sheet of ``thickness`` × ``width`` carries in compression along its length, N."""
    if material is None or not material.modulus or width <= 0:
        return 0.0
    sigma_cr = BUCKLING_K * math.pi**2 * material.modulus / (12.0 * (1.0 - POISSON**2)) * (thickness / width) ** 2
    # a material that states no yield strength carries its buckling load (an upper bound)
    limit = min(material.yield_strength, sigma_cr) if material.yield_strength else sigma_cr
    return limit * thickness * width


def _angle_capacity(leg: float, thickness: float, length: float) -> float:
    """Load an equal-leg steel angle of ``leg`` × ``thickness`` carries along ``length``, N."""
    if leg <= 0 or thickness <= 0 or length <= 0:
        return 0.0
    area = (2.0 * leg - thickness) * thickness
    slenderness = length / (ANGLE_GYRATION * leg)
    euler = math.pi**2 * packaging.STEEL_MODULUS * area / slenderness**2
    return min(ANGLE_YIELD * area, euler)


def crush(
    pack: ir.Pack, layout: Layout, default: ir.Material | None = None, frame: tuple[float, float] = (0.0, 0.0)
) -> tuple[Crush, ...]:
    """The crush in x and in y (needs the envelope: without one, nothing). ``default``: the
    enclosure's material when the pack declares none (the jacket is then BatPaC's aluminium);
    ``frame``: the jacket's perimeter angle iron (leg, thickness), m."""
    env = pack.envelope
    if env is None or not layout.cells:
        return ()
    material = pack.enclosure.material if pack.enclosure is not None and pack.enclosure.material else default
    _, sheet = packaging.enclosure_wall(pack.enclosure, len(layout.cells) * pack.cell.energy)
    side = min(sheet, env.wall) if env.wall > 0 else sheet
    x0, y0, x1, y1 = env.outline.bounds
    xy = np.array([(c.x, c.y) for c in layout.cells])
    hx, hy = _half_extents(pack.cell.format, layout)
    out = []
    for direction, (lo, hi), across, pos, half in (
        ("x", (x0, x1), y1 - y0, xy[:, 0], hx),
        ("y", (y0, y1), x1 - x0, xy[:, 1], hy),
    ):
        walls = 2.0 * _sheet_capacity(side, env.height, material) + 2.0 * _angle_capacity(*frame, hi - lo)
        skins = 2.0 * _sheet_capacity(sheet, across, material)
        clearance = min(float((pos - half).min() - lo), float(hi - (pos + half).max()))
        out.append(
            Crush(
                direction,
                mechanics.CRUSH_FORCE,
                walls + skins,
                walls,
                max(clearance, 0.0),
                mechanics.CRUSH_DEFORMATION * (hi - lo),
            )
        )
    return tuple(out)


def _half_extents(fmt: ir.CellFormat, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Half the x and y extent of every placed cell's footprint (flat cells as rotated)."""
    if fmt.kind == "cylindrical":
        r = np.full(len(layout.cells), fmt.diameter / 2.0)
        return r, r
    rot = np.array([c.rotation for c in layout.cells])
    c, s = np.abs(np.cos(rot)), np.abs(np.sin(rot))
    return (fmt.width * c + fmt.thickness * s) / 2.0, (fmt.width * s + fmt.thickness * c) / 2.0
