"""Pack mass (bottom-up) and volume (Löbberding ratio), by cell format, geometry and cooling.

**Mass** is summed from parts, each from a published figure (SI inside; kg, m):

1. *Cells*: n · m_cell.
2. *Cell-level and module hardware* (holders, interconnects, busbars, module frame, in-module
   cooling), as an areal density over the cell area that hardware scales with:

   * cylindrical, per m² of cell footprint (d²): **40.1 kg/m²**. Tesla Model 3 LR module of
     23 × 46 = 1,058 cells weighs 191 lb = 86.6 kg (EVTV teardown, via teslamotorsclub.com
     "Battery and Component Teardown" and insideevs.com), 81.9 g a cell; cell 68 g (stdlib
     ``tesla2170l``, an estimate) → 13.9 g of hardware per 21 × 21 mm footprint. The module
     includes its glycol ribbon, so cylindrical packs get no separate cold plate (item 3).
   * pouch and prismatic, per m² of cell face (width × height): **2.41 kg/m²**. Nissan Leaf
     24 kWh module: 4 cells, 3.8 kg (AESC via qnovo.com, "Inside the battery of a Nissan
     Leaf", 2015); cells 0.799 kg (ORNL/NREL table) → 0.151 kg per 290 × 216 mm face.
     NOT independent of the Leaf validation row below.

3. *Thermal system* (cold_plate / refrigerant, pouch and prismatic only): a stamped aluminium
   cold plate of **2 mm + 2 mm sheet** ("mainstream ≈ 4 mm total", XD Thermal, "How thin can
   a stamped liquid cooling plate be", 2024) at **2,700 kg/m³** (aluminium) = 10.8 kg/m², plus a
   gap filler **1.0 mm** thick at **3,000 kg/m³** (typical two-part ceramic-filled silicone gap
   filler; unverified, no datasheet read), both over the cells' footprint area (cells stand
   on the plate). ``side = sides``: a **1 mm aluminium fin between every two cells** over the
   cell face instead (Chevrolet Volt: 144 fins, 1 mm, coolant in channels inside them, between
   288 cells — electronics-cooling.com, "Hybrid's liquid system allows Chevy to offer cool
   warranty", 2010). ``fins = t`` with a bottom or top plate (pouch and prismatic): the plate
   *and* an aluminium conduction fin of thickness t between every two cells, carrying the heat
   from the cell faces down to the plate — the Chevrolet Bolt EV's design ("the metal 'fins'
   that go between the cell pouches and transfer heat down to the bottom plate", insideevs.com,
   K. Ritter's analysis; "beneath the modules is the thermal plate", allev.info teardown,
   2023); one fin per two cells as in the Volt, the only count published. ``air``: fans and ducts **10 kg per 250 kg of cells** (midpoint of 5–15 kg,
   greenengguide.com "EV battery pack cooling design", forced air; the scaling is unverified); ``none``: nothing; ``immersion``: taken as
   the cold-plate mass (unverified stand-in for tank walls and dielectric fluid).
4. *Enclosure* (tray + walls + lid): **2 mm aluminium** by default (BatPaC's pack jacket: inner
   and outer aluminium walls, 1 mm each, with insulation between — ANL/CSE-19/2 as recalled,
   the report's text was not read here) over the box's outer surface. The box is the declared
   envelope (outline area and perimeter × height, walls wrapped around the keepouts — the
   enclosure the CAD stage builds); with
   no envelope, floor area = cell footprint area / **0.64** (Model 3 LR: 4,416 cells where
   ~6,956 would fit, physics.md "Packing"), aspect **1.32 : 1** (Leaf pack 1,571 × 1,188 mm,
   qnovo.com), height = cell standing height + **40 mm** (plate, busbars, lid clearance;
   unverified). Another material (``enclosure = steel``) gets the sheet **as stiff in bending**
   as the 2 mm aluminium: t ∝ E^(-1/3) (Ashby's panel index E^(1/3)/ρ), so steel is 1.40 mm and
   2.0 × the mass; ``steel(thickness = 1.5 mm)`` states it. Structural allowance (frames, cross
   members, brackets): **+50 %** of the sheet mass (unverified; no published split found).
   Check: BMW i3 housing is 19.5 kg base + 4.5 kg lid = 24 kg (batterydesign.net, "Pack
   enclosure materials"); the footprint rule gives 24.9 kg, the i3 example's estimated
   envelope 30 kg (tests; the +50 % was not fitted to it).
5. *Electrical* (BMS master, junction box / BDU, harness): **6 % of cell mass** (unverified:
   no published mass found; ≈ 15 kg for a 250 kg-of-cells car pack, and it keeps an e-bike
   pack from carrying a car's junction box).

Published validation packs (examples/validation/), published configuration, stdlib cells,
each pack's declared envelope, cooling and enclosure. Constants were NOT adjusted to these packs:

| pack | cells | published | predicted | error | footprint box, Al | old (Löbberding) |
|---|---|---|---|---|---|---|
| Tesla Model S 85 | 7,104 × 48.5 g 18650 | 544 kg | 508 kg | −7 % | −6 % | +15 % |
| Nissan Leaf 24 (steel case, passive cooling) | 192 × 0.799 kg pouch | 294 kg | 277 kg | −6 % | −27 % | −9 % |
| Chevrolet Bolt 60 (plate and fins) | 288 × 0.9 kg pouch (estimate) | 435 kg | 371 kg | −15 % | −18 % | ≈ +4 % |
| BMW i3 94 Ah | 96 × 1.99 kg prismatic | 256 kg | 248 kg | −3 % | −5 % | +30 % |

(Parts, kg — S: cells 345, hardware 77, enclosure 67, electrical 21. Leaf: 153, 29, thermal 0,
86, 9. Bolt: 259, 23, 31, 42, 16. i3: 191, 5, 10, 30, 11.) The Leaf's envelope is its published
pack size and its case is pressed steel (batterydesign.net); with both declared it lands
within 6 %. The Bolt, with its bottom plate and fins declared (``fins = 1 mm``: 13 kg), stays
15 % light: its cell mass is an estimate (GM and LG publish no datasheet; the 237 Wh/kg that
GM Authority, Feb. 2019, quotes from InsideEVs — cell or pack level unstated — gives 0.89 kg
for a 210 Wh cell, so the cells are not where the 64 kg go), and its module hardware (cell
frames, compression end plates), fin size and enclosure material are not published. Missing
parts common to all (pack busbars, service disconnect, coolant, fasteners, prismatic module
end plates) bias the model light.

**Volume** keeps the Löbberding et al., WEVJ 11 (2020) 77 volumetric cell-to-system ratios
(0.295 cylindrical, 0.353 pouch/prismatic; as quoted by TUM FTM's technoeconomiccellselection)
times the foxBMS BaSD cooling footprint factor — not bottom-up.
"""

from __future__ import annotations

import numpy as np

# --- Löbberding 2020 (volume; kept for the range helper) --------------------------------------
GRAVIMETRIC = {"cylindrical": 0.552, "pouch": 0.575, "prismatic": 0.575}
VOLUMETRIC = {"cylindrical": 0.295, "pouch": 0.353, "prismatic": 0.353}
GRAVIMETRIC_RANGE = {"cylindrical": (0.484, 0.672), "pouch": (0.495, 0.742), "prismatic": (0.495, 0.742)}
VOLUMETRIC_RANGE = {"cylindrical": (0.247, 0.356), "pouch": (0.168, 0.528), "prismatic": (0.168, 0.528)}

# foxBMS BaSD adders (width/length, mass)
_ADDERS = {
    "air": (0.20, 0.10),
    "cold_plate": (0.07, 0.25),
    "glycol": (0.07, 0.25),
    "refrigerant": (0.03, 0.20),
    "immersion": (0.07, 0.25),
    "none": (0.0, 0.0),
}

# --- bottom-up mass constants (sources in the module docstring) -------------------------------
RHO_AL = 2700.0  # kg/m³, aluminium
# Model 3 LR module (EVTV): 86.6 kg / 1,058 cells − 68 g cell, over a 21 mm × 21 mm footprint
M3_MODULE_KG, M3_MODULE_CELLS, M3_CELL_KG, M3_CELL_D = 191 * 0.45359237, 23 * 46, 0.068, 0.021
CYLINDRICAL_HARDWARE = (M3_MODULE_KG / M3_MODULE_CELLS - M3_CELL_KG) / M3_CELL_D**2  # kg/m² footprint
# Leaf 24 module (AESC via qnovo): 3.8 kg, 4 × 0.799 kg cells, 290 × 216 mm face
LEAF_MODULE_KG, LEAF_CELLS, LEAF_CELL_KG, LEAF_FACE = 3.8, 4, 0.799, 0.290 * 0.216
FACE_HARDWARE = (LEAF_MODULE_KG / LEAF_CELLS - LEAF_CELL_KG) / LEAF_FACE  # kg/m² cell face
COLD_PLATE_THICKNESS = 0.004  # m, 2 + 2 mm stamped sheet (XD Thermal)
TIM_THICKNESS, TIM_DENSITY = 0.001, 3000.0  # m, kg/m³ (unverified)
AIR_COOLING_KG = 10.0  # fans + ducts, midpoint of 5–15 kg (greenengguide)
ENCLOSURE_THICKNESS = 0.002  # m aluminium, BatPaC jacket 2 × 1 mm (as recalled)
ENCLOSURE_MODULUS = 68.9e9  # Pa, 6061-T6 (Aluminum Association typical; stdlib materials.batt)
FIN_THICKNESS = 0.001  # m aluminium, one fin per two cells (Chevrolet Volt: 144 fins, 1 mm, between 288 cells;
#                        electronics-cooling.com, "Hybrid's liquid system allows Chevy to offer cool warranty", 2010)
FLOOR_UTILISATION = 4416 / 6956  # Model 3 LR (physics.md)
PACK_ASPECT = 1571 / 1188  # Leaf 24 pack (qnovo)
HEIGHT_ALLOWANCE = 0.040  # m above the cells (unverified)
STRUCTURE_FRACTION = 0.5  # of enclosure sheet mass (unverified)
ELECTRICAL_FRACTION = 0.06  # of cell mass: BMS + BDU + harness (unverified; ≈ 15 kg per 250 kg of cells)
CAR_CELLS_KG = 250.0  # cell mass the 5–15 kg air-cooling figure is taken to apply to (unverified)

# Reference cells for geometry when only mass is known: (mass kg, dims m) — NCR18650B datasheet
# (48.5 g, 18.5 × 65.3 mm), AESC Leaf 33 Ah (0.799 kg, 290 × 7.1 × 216 mm), Samsung SDI 94 Ah
# (1.99 kg, 173 × 45 × 125 mm). A cell of another mass is scaled isometrically.
_REFERENCE = {
    "cylindrical": (0.0485, (0.0185, 0.0185, 0.0653)),
    "pouch": (0.799, (0.290, 0.0071, 0.216)),
    "prismatic": (1.99, (0.173, 0.045, 0.125)),
}


def cooling_factors(cooling: str) -> tuple[float, float]:
    """(mass factor, volume factor) of ``cooling`` relative to glycol, from foxBMS BaSD adders.
    Only the volume factor is used now; the mass model is bottom-up."""
    wl, m = _ADDERS[cooling]
    wl0, m0 = _ADDERS["glycol"]
    return (1.0 + m) / (1.0 + m0), ((1.0 + wl) / (1.0 + wl0)) ** 2


def reference_dimensions(cell_mass, fmt: str):
    """(diameter or width, thickness, height), m, of a cell of ``cell_mass`` scaled from the
    format's reference cell at constant density (arrays ok)."""
    m0, (a, t, h) = _REFERENCE[fmt]
    s = (np.asarray(cell_mass, float) / m0) ** (1 / 3)
    return a * s, t * s, h * s


def _areas(fmt: str, dims):
    """(footprint on the plate, hardware area, standing height) of one cell."""
    a, t, h = (np.asarray(x, float) for x in dims)
    if fmt == "cylindrical":
        return a * a, a * a, h
    return a * t, a * h, h


def components(
    cell_mass,
    n_cells,
    fmt: str,
    cooling: str = "cold_plate",
    *,
    cell_format=None,
    modules=None,
    side: str = "bottom",
    box=None,
    wall=None,
    fins=None,
) -> dict[str, np.ndarray]:
    """Pack mass by part, kg (arrays ok over n_cells). ``cell_format``: (diameter/width,
    thickness, height) in m; default scaled from the format's reference cell. ``side``: where
    the cold plate sits (``sides``: fins between the cells). ``fins``: thickness, m, of the
    conduction fins between flat cells that a bottom or top plate also has (None: none).
    ``box``: the enclosure's (floor area m², perimeter m, height m) when the envelope is known;
    ``wall``: its sheet (density kg/m³, thickness m), default 2 mm aluminium. ``modules`` is
    accepted for callers; the cited hardware figures are per cell, so it changes nothing yet."""
    del modules
    if fmt not in _REFERENCE:
        raise KeyError(fmt)
    if cooling not in _ADDERS:
        raise KeyError(cooling)
    n = np.asarray(n_cells, float)
    dims = cell_format if cell_format is not None else reference_dimensions(cell_mass, fmt)
    foot, area, height = _areas(fmt, dims)
    cells_foot = n * foot
    hw_density = CYLINDRICAL_HARDWARE if fmt == "cylindrical" else FACE_HARDWARE
    out = {"cells": n * np.asarray(cell_mass, float), "hardware": n * area * hw_density}
    if cooling == "air":
        thermal = AIR_COOLING_KG * out["cells"] / CAR_CELLS_KG
    elif cooling == "none" or fmt == "cylindrical":  # cylindrical: ribbon is in the module figure
        thermal = 0 * n
    elif side == "sides":  # a liquid fin between every two cells, over their faces (Volt)
        thermal = n / 2 * area * FIN_THICKNESS * RHO_AL
    else:  # cold_plate, glycol, refrigerant, immersion (stand-in)
        thermal = cells_foot * (COLD_PLATE_THICKNESS * RHO_AL + TIM_THICKNESS * TIM_DENSITY)
        if fins:  # and a conduction fin between every two flat cells, down to the plate (Bolt)
            thermal = thermal + n / 2 * area * fins * RHO_AL
    out["thermal"] = thermal
    out["enclosure"] = enclosure_mass(cells_foot, height, box=box, wall=wall)
    out["electrical"] = ELECTRICAL_FRACTION * out["cells"]
    return out


def enclosure_mass(cells_footprint, cell_height, *, box=None, wall=None):
    """Tray + walls + lid + structure, kg. ``box`` (floor area m², perimeter m, height m): the
    enclosure the envelope declares — what the CAD stage builds; without it, a box sized from
    the cells' footprint (Model 3 floor utilisation, Leaf aspect, cells + 40 mm). ``wall``:
    (density kg/m³, sheet thickness m), default 2 mm aluminium."""
    density, thickness = wall if wall is not None else (RHO_AL, ENCLOSURE_THICKNESS)
    if box is not None:
        floor, perimeter, h = box
        # the same box for every candidate: broadcast to the candidates' shape
        surface = 2 * floor + perimeter * h + 0 * np.asarray(cells_footprint, float)
    else:
        floor = np.asarray(cells_footprint, float) / FLOOR_UTILISATION
        width = np.sqrt(floor / PACK_ASPECT)
        length = floor / width
        h = np.asarray(cell_height, float) + HEIGHT_ALLOWANCE
        surface = 2 * floor + 2 * (width + length) * h
    return surface * thickness * density * (1 + STRUCTURE_FRACTION)


def equal_stiffness_thickness(modulus: float) -> float:
    """Sheet thickness, m, of a material of Young's modulus ``modulus`` as stiff in bending as
    the reference 2 mm of 6061: panel stiffness goes as E·t³, so t = t_ref·(E_ref/E)^(1/3)
    (M. F. Ashby, *Materials Selection in Mechanical Design*, 4th ed. 2011, the panel-in-
    bending index E^(1/3)/ρ). Steel (200 GPa): 1.40 mm, 2.0 × the aluminium sheet's mass."""
    return ENCLOSURE_THICKNESS * (ENCLOSURE_MODULUS / modulus) ** (1 / 3)


def enclosure_wall(enclosure) -> tuple[float, float]:
    """(density kg/m³, sheet thickness m) of an ``ir.Enclosure``; None: 2 mm aluminium."""
    if enclosure is None or enclosure.material is None:
        return RHO_AL, ENCLOSURE_THICKNESS
    thickness = enclosure.thickness
    if thickness is None:
        thickness = equal_stiffness_thickness(enclosure.material.modulus)
    return enclosure.material.density, thickness


def enclosure_box(envelope) -> tuple[float, float, float] | None:
    """(floor area m², perimeter m, height m) of an ``ir.Envelope``'s outline; None without one.
    Keepouts are spaces inside the box for other parts (a junction box, a BMS board): the floor
    and lid are whole and the walls follow the outline alone, as the CAD draws them."""
    if envelope is None:
        return None
    return envelope.outline.area, envelope.outline.perimeter, envelope.height


def pack_mass(
    cell_mass,
    n_cells,
    fmt: str,
    cooling: str = "cold_plate",
    *,
    cell_format=None,
    modules=None,
    side: str = "bottom",
    box=None,
    wall=None,
):
    """Pack mass, kg (arrays ok): sum of :func:`components`."""
    return sum(
        components(
            cell_mass, n_cells, fmt, cooling, cell_format=cell_format, modules=modules, side=side, box=box, wall=wall
        ).values()
    )


def pack_volume(cell_volume, n_cells, fmt: str, cooling: str = "cold_plate", **_ignored):
    """Pack volume, m³ (arrays ok): n·V_cell / Löbberding volumetric ratio × cooling factor."""
    _, fv = cooling_factors(cooling)
    return np.asarray(n_cells, float) * np.asarray(cell_volume, float) / VOLUMETRIC[fmt] * fv


def _cell_dims(cell) -> tuple[float, float, float]:
    f = cell.format
    if f.kind == "cylindrical":
        return f.diameter, f.diameter, f.height
    return f.width, f.thickness, f.height


def components_for(pack, n_cells) -> dict[str, np.ndarray]:
    """:func:`components` for an ``ir.Pack`` of ``n_cells`` (its cell, cooling, envelope, enclosure)."""
    return components(
        pack.cell.mass,
        n_cells,
        pack.cell.format.kind,
        pack.cooling.kind,
        cell_format=_cell_dims(pack.cell),
        side=pack.cooling.side,
        fins=pack.cooling.fins,
        box=enclosure_box(pack.envelope),
        wall=enclosure_wall(pack.enclosure),
    )


def pack_mass_for(pack, n_cells):
    """Pack mass, kg (arrays ok over n_cells), for an ``ir.Pack``: sum of :func:`components_for`."""
    return sum(components_for(pack, n_cells).values())


def pack_volume_for(cell, n_cells, cooling: str = "cold_plate", modules=None):
    """Pack volume, m³, for an ``ir.Cell``."""
    return pack_volume(cell.format.volume, n_cells, cell.format.kind, cooling)


def pack_mass_range(cell_mass, n_cells, fmt: str):
    """(light, heavy) pack mass over Löbberding's surveyed cell-to-system ratio range, kg."""
    lo, hi = GRAVIMETRIC_RANGE[fmt]
    m = np.asarray(n_cells, float) * np.asarray(cell_mass, float)
    return m / hi, m / lo


__all__ = [
    "components",
    "components_for",
    "cooling_factors",
    "enclosure_box",
    "enclosure_mass",
    "enclosure_wall",
    "equal_stiffness_thickness",
    "pack_mass",
    "pack_mass_for",
    "pack_mass_range",
    "pack_volume",
    "pack_volume_for",
    "reference_dimensions",
]
