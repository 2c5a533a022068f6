"""The pack jacket in the mass model — enclosure floor, lid, walls and perimeter frame — and the
enclosure box it is weighed over when the source gives no envelope.

* *enclosure floor*, *lid*, *walls*, *frame*: BatPaC's pack jacket (rows 409–434). Base: a 1 mm
  steel outer plate, 10 mm of insulation at 0.032 g/cm³, a 1 mm aluminium inner plate; top and
  walls: an aluminium outer skin of 1, 1.5 or 2 mm for packs under 10, under 20 and from 20 kWh
  (row 430), the insulation, a 1 mm aluminium inner skin; a steel angle-iron perimeter frame
  sized by the modules' volume (rows 419–422, 'Lists' rows 131–137: none under 20 L, 30 × 30 × 3
  mm to 40 L, 40 × 40 × 4 mm above). The insulation is part of BatPaC's active thermal design —
  it bounds the heat a hot ambient puts into a cooled pack ('Thermal' rows 52–57) — so packs
  without liquid cooling (``none``, ``air``), whose heat leaves through the skin, get the outer
  skins only. A declared ``enclosure`` replaces the outer skins' material, with its thickness or
  one of equal bending stiffness (Ashby). Walls keep their insulation and inner skin where the
  envelope's wall clearance leaves room. The box: the envelope (what the CAD stage builds), else
  the volume real packs give their cells (Löbberding's ratio, below), one layer of cells high
  (jacket, plate, busbars, cells, BatPaC's 2 mm tolerance), in Leaf 24's aspect (1,571 × 1,188
  mm, qnovo.com).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from battgen.models.packaging.cooling import CHANNEL_HEIGHT, PLATE_SKIN, TIM_THICKNESS
from battgen.models.packaging.materials import AL_MODULUS, RHO_AL, RHO_STEEL, STEEL_MODULUS
from battgen.models.packaging.spec import Floats, Spec
from battgen.models.packaging.volume import pack_volume

if TYPE_CHECKING:
    from battgen.core import ir

# --- jacket (BatPaC rows 409–434) ---------------------------------------------------------------
INSULATION, INSULATION_DENSITY = 0.010, 32.0  # m, kg/m³ (rows 411, 425)
BASE_OUTER = (RHO_STEEL, 0.001)  # row 418
INNER_SKIN = (RHO_AL, 0.001)  # rows 417, 429
TOLERANCE = 0.002  # m inside the jacket, row 409
LID_CLEARANCE = 0.001  # m between the highest part and the lid (the CAD stage's)
# angle iron by the modules' total volume, m³: (from, leg m, thickness m) — 'Lists' rows 133–137
ANGLE_IRON = ((0.0, 0.0, 0.0), (0.020, 0.030, 0.003), (0.040, 0.040, 0.004))
PACK_ASPECT = 1571 / 1188  # Leaf 24 pack (qnovo)
HEIGHT_ALLOWANCE = 0.040  # m above the cells: the heat stage's skin area without an envelope


def outer_skins(energy: Floats) -> tuple[float, np.ndarray]:
    """(density, thickness) of the jacket's aluminium top and wall skin: 1, 1.5 or 2 mm below 10,
    below 20 and from 20 kWh (BatPaC row 430). ``energy`` in J (array ok)."""
    kwh = np.asarray(energy, float) / 3.6e6
    return RHO_AL, np.where(kwh < 10, 0.001, np.where(kwh < 20, 0.0015, 0.002))


def enclosure_wall(enclosure: ir.Enclosure | None, energy: Floats | None = None) -> tuple[float, float]:
    """(density kg/m³, thickness m) of the jacket's outer top skin, the sheet the structure stage
    loads (lid, floor, crush): a declared enclosure's material and thickness, or one as stiff as
    BatPaC's aluminium skin (``equal_stiffness_thickness``); BatPaC's skin itself without one.
    ``energy`` J picks BatPaC's skin (row 430); None takes its thickest, 2 mm (from 20 kWh)."""
    skin = float(outer_skins(energy)[1]) if energy is not None else 0.002
    if enclosure is None or enclosure.material is None:
        return RHO_AL, skin
    if enclosure.thickness is not None:
        return enclosure.material.density, enclosure.thickness
    modulus = enclosure.material.modulus or AL_MODULUS
    return enclosure.material.density, equal_stiffness_thickness(modulus, (AL_MODULUS, skin))


def equal_stiffness_thickness(modulus: float, reference: tuple[float, float] = (AL_MODULUS, 0.002)) -> float:
    """Sheet thickness, m, of a material of Young's modulus ``modulus`` as stiff in bending as
    ``reference`` (modulus Pa, thickness m; default 2 mm of 6061): panel stiffness goes as E·t³,
    so t = t_ref·(E_ref/E)^(1/3) (M. F. Ashby, *Materials Selection in Mechanical Design*, 4th ed.
    2011, the panel-in-bending index E^(1/3)/ρ). Steel for 2 mm of 6061: 1.40 mm."""
    e_ref, t_ref = reference
    return t_ref * (e_ref / modulus) ** (1 / 3)


@dataclass(frozen=True)
class Jacket:
    """The pack jacket's layers, outside in, each (density kg/m³, thickness m; thicknesses may be
    arrays over candidates): the base, the top, the walls (outer skin, then insulation and the
    inner skin when insulated), and the perimeter angle iron's (leg, thickness), m."""

    base: tuple
    top: tuple
    walls: tuple
    frame: tuple

    @property
    def base_thickness(self) -> Floats:
        return sum(t for _, t in self.base)

    @property
    def top_thickness(self) -> Floats:
        return sum(t for _, t in self.top)

    def wall_layers(self, clearance: float | None, isolation: Floats = 0.0) -> tuple[tuple, ...]:
        """(offset from the outside, density, thickness) of each wall layer that fits the
        envelope's wall ``clearance`` (m; None: all of them): the outer skin (thinned to the
        clearance), then — where there is room for it and the ``isolation`` distance the live
        parts keep from the metal (``isolation_distance``) — the inner skin, with the insulation
        between thinned to what is left."""
        (o_rho, o_t), rest = self.walls[0], self.walls[1:]
        room = np.inf if clearance is None else np.maximum(clearance, 0.0)
        outer_t = np.minimum(o_t, room)
        layers = [(0.0, o_rho, outer_t)]
        if len(rest) == 2:
            (ins_rho, ins_t), (in_rho, in_t) = rest
            left = room - np.asarray(isolation, float) - outer_t - in_t
            fits = left > -1e-12  # room for the inner skin (the insulation takes what is left)
            ins = np.where(fits, np.minimum(ins_t, np.maximum(left, 0.0)), 0.0)
            layers.append((outer_t, ins_rho, ins))
            layers.append((outer_t + ins, in_rho, np.where(fits, in_t, 0.0)))
        return tuple(layers)


def jacket(
    energy: Floats,
    insulated: bool,
    outer: tuple[float, float | None, float] | None = None,
    modules_volume: Floats = 0.0,
) -> Jacket:
    """BatPaC's pack jacket for a pack of ``energy`` J whose modules take ``modules_volume`` m³
    (arrays ok). ``insulated``: the double skin with insulation (liquid-cooled packs); else the
    outer skins only. ``outer``: a declared enclosure (density, thickness or None, modulus) for
    the outer skins: its thickness, or one as stiff as BatPaC's skin of that face."""
    top_outer: tuple[float, Floats] = (RHO_AL, outer_skins(energy)[1])
    base_outer = BASE_OUTER
    if outer is not None:
        density, thickness, modulus = outer
        if thickness is not None:
            base_t = top_t = thickness
        else:
            base_t = equal_stiffness_thickness(modulus, (STEEL_MODULUS, BASE_OUTER[1]))
            top_t = top_outer[1] * (AL_MODULUS / modulus) ** (1 / 3)
        base_outer, top_outer = (density, base_t), (density, top_t)
    volume = np.asarray(modules_volume, float)
    leg = np.select([volume >= v for v, _, _ in reversed(ANGLE_IRON)], [s for _, s, _ in reversed(ANGLE_IRON)], 0.0)
    t_leg = np.select([volume >= v for v, _, _ in reversed(ANGLE_IRON)], [t for _, _, t in reversed(ANGLE_IRON)], 0.0)
    if insulated:
        insulation = (INSULATION_DENSITY, INSULATION)
        return Jacket(
            (base_outer, insulation, INNER_SKIN),
            (top_outer, insulation, INNER_SKIN),
            (top_outer, insulation, INNER_SKIN),
            (leg, t_leg),
        )
    return Jacket((base_outer,), (top_outer,), (top_outer,), (leg, t_leg))


def angle_iron_section(leg: float, thickness: float) -> float:
    """Section of an equal-leg angle, m²: H·T + L·T − T² ('Lists' row 134: 171 mm² for 30 × 30 × 3)."""
    return 2 * leg * thickness - thickness**2


# --- the enclosure box ------------------------------------------------------------------------------


def stack_height(spec: Spec, jacket_: Jacket) -> Floats:
    """Height of the pack, m, with no envelope: jacket base, plate and gap filler, busbars, cells,
    lid clearance, jacket top, BatPaC's 2 mm tolerance."""
    _, _, h = spec.dims
    plates = 2 if spec.fmt == "cylindrical" else 1
    cooling = (2 * PLATE_SKIN + CHANNEL_HEIGHT + TIM_THICKNESS) if spec.plate else 0.0
    return (
        jacket_.base_thickness
        + cooling
        + plates * spec.busbar[1]
        + h
        + LID_CLEARANCE
        + TOLERANCE
        + jacket_.top_thickness
    )


def estimated_box(spec: Spec, n: Floats, jacket_: Jacket) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(floor m², perimeter m, height m) of a pack with no envelope (arrays over n): the volume
    real packs give their cells (``pack_volume``: Löbberding's surveyed ratio), one layer of
    cells high (``stack_height``), Leaf 24's aspect."""
    a, t, h = spec.dims
    cell_volume = math.pi / 4 * a * a * h if spec.fmt == "cylindrical" else a * t * h
    height = stack_height(spec, jacket_) + 0 * np.asarray(n, float)
    floor = pack_volume(cell_volume, n, spec.fmt, spec.cooling) / height
    width = np.sqrt(floor / PACK_ASPECT)
    return floor, 2 * (width + floor / width), height


def isolation_distance(max_voltage: Floats) -> np.ndarray:
    """The distance live parts keep from the enclosure's metal at the pack's ``max_voltage``
    (V, arrays ok): IEC 60664-1 creepage and clearance with the stated defaults
    (``models.iec60664.DEFAULT``; the routing stage checks the same distance as built)."""
    from battgen.models.iec60664 import DEFAULT

    volts = np.asarray(max_voltage, float)
    unique, inverse = np.unique(volts, return_inverse=True)
    return np.array([DEFAULT.distance(float(v)) for v in unique])[inverse].reshape(volts.shape)


def jacket_parts(
    spec: Spec,
    box: tuple[Floats, Floats, Floats],
    jacket_: Jacket,
    outline_perimeter: float | None = None,
    isolation: Floats = 0.0,
) -> dict[str, np.ndarray]:
    """Floor, lid, walls and frame of the jacket around ``box`` (floor m², perimeter m, height m;
    arrays ok), kg. Walls: each layer a ring inside the box's edge (``Jacket.wall_layers``) from
    the floor to the lid, leaving the live parts the ``isolation`` distance from the metal where
    the wall clearance has room for it."""
    floor, perimeter, height = (np.asarray(x, float) for x in box)
    out = {
        "enclosure floor": floor * sum(rho * t for rho, t in jacket_.base),
        "enclosure lid": floor * sum(rho * t for rho, t in jacket_.top),
    }
    rise = np.maximum(height - jacket_.base_thickness - jacket_.top_thickness, 0.0)
    walls = 0 * floor
    for offset, rho, t in jacket_.wall_layers(spec.clearance, isolation):
        walls = walls + (perimeter * t - spec.wall_corners * ((offset + t) ** 2 - offset**2)) * rise * rho
    out["enclosure walls"] = walls
    leg, t_leg = jacket_.frame
    ring = perimeter if outline_perimeter is None else outline_perimeter
    # horizontal leg out from the outline and the vertical leg against it, mitred corners
    c = spec.frame_corners
    section = (ring * leg + c * leg**2) * t_leg + (ring * t_leg + c * t_leg**2) * np.maximum(leg - t_leg, 0.0)
    out["enclosure frame"] = section * RHO_STEEL + 0 * floor
    return out
