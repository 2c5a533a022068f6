"""Pack mass, bottom-up, with the structure of Argonne's BatPaC; pack volume.

**Mass** is the sum of parts (``components``), each from a published figure or a design rule the
CAD stage draws to. The structure — cells, per-cell hardware, per-module hardware, module row
racks, the cooling system inside the pack, the pack jacket, BMS and disconnect unit, pack
terminals — is BatPaC 5.0's (Argonne National Laboratory, *Battery Performance and Cost Model*,
Version 5.0, 2022, BSD-3; the workbook ``BatPaC.xlsm`` as distributed in
github.com/rginster/batpy at commit 1dfe408c, read cell by cell, no macros run). "BatPaC row N"
is a row of its sheet 'Battery Design' unless another sheet is named. Densities are BatPaC's
named constants (sheet 'Lists' rows 21–30): aluminium 2.70, copper 8.96, steel 7.8 g/cm³.

Per cell:

* *holders* (cylindrical): a plastic plate at each end of every cell, the cell's share of the
  lattice (pitch² · √3/2 hex, pitch² square) less its pocket (radius + 0.2 mm), 5 mm thick or a
  fifth of the cell's height, 10 µm clear of each neighbour's; polycarbonate 1.20 g/cm³ (Covestro
  Makrolon 2405 data sheet, ISO 1183). A design rule: the CAD stage draws these tiles (those at the
  pack's edge reach its walls, which the bill of materials weighs as drawn).
* *fins* (pouch with a liquid cold plate, BatPaC's design): an aluminium heat conductor
  wrapping each cell, one more than the cells of a module, 0.4 mm (BatPaC row 335; 'Vehicle
  Considerations' row 34, EV), a U of the cell face plus flanges of 0.95 × the cell thickness
  on both edges, as long as the cell is wide (BatPaC's runs the electrode length + 6 mm, which a
  cell declaration does not give: the face's width is the upper bound). ``fins = t`` declared
  instead: a flat fin of t over the cell face between every two cells (Chevrolet Volt: 144 fins of 1 mm between 288 cells, electronics-cooling.com,
  "Hybrid's liquid system allows Chevy to offer cool warranty", 2010; the Bolt's "metal 'fins'
  that go between the cell pouches", insideevs.com). ``side = sides``: those fins carry the
  coolant themselves (the Volt), and there is no plate.
* *busbars*: an allowance for what routing draws (series plates, module links, terminal
  leads): the busbar sheet over the cells' lattice share on each face that carries a plate (both
  ends of a cylindrical cell; the tab end of a flat one). The bill of materials replaces it with
  the routed busbars and fuse links.

Per module (``modules`` of ``n/modules`` cells each, or of ``n × share`` cells each for the
``shares`` of modules of different sizes — the Bolt's 8 of 30 cells and 2 of 24: each module's box
from its own cells, summed; a row of modules as long as the modules in it):

* *module walls* and *module covers*: BatPaC's module enclosure, 0.3 mm steel over the module
  box's faces (rows 339–341, box rows 347–349): the covers top and bottom; the walls, for flat
  cells, a ring round the stack of cells as tall as a cell, 0.1 mm clear of it (what the CAD
  stage draws: two walls and their clearances fit the default 1 mm gap between modules), for
  round cells the box's four sides (not drawn). The box: a stack of flat cells (thickness + gap
  + fin) by the cell width and BatPaC's 8 mm of terminal space (rows 343–344) by the cell
  height; round cells in a square of their lattice area.
* *end plates* and *bands* (pouch and prismatic): each row of modules is held against the
  cells' swelling pressure ``SWELLING_PRESSURE`` by an end plate at each end (BatPaC restrains
  the row, not each module: its restraint plates, row 380), a rectangular plate under
  uniform load with its edges simply supported, t = b·√(β·q/σ) (Roark's Formulas for Stress and
  Strain, 7th ed., Table 11.4 case 1a: σ_max = β·q·b²/t², b the short side, β by a/b), and by
  side bands carrying the end force F = q·a·b in tension, section F/σ, along every module. Both
  6061-T6, σ = 276 MPa yield (Aluminum Association typical) / 1.5. A wound cylindrical can holds
  its own stack pressure (J. Electrochem. Soc. 148 (2001) A1029: prismatic cells faded faster
  for lack of it), so cylindrical modules get neither.
* *interconnect boards* (pouch and prismatic): BatPaC's polymer interconnect panels, 2 mm at
  2.1 g/cm³, along the stack less half a cell (rows 318–322): a pouch stack has one at each tab
  end, 0.9 × the cell height wide (BatPaC's cells lie with their tabs at the ends of their
  width); a prismatic stack one over the terminals on top, 0.9 × the cell width wide.
* *module electronics*: the module monitoring board, 46.08 g (row 338: 120 × 12 × 16 mm at
  2.0 g/cm³), the gas-release provision, 5 g (row 342), and two copper module terminals of
  35 mm (rows 329–330, +20 % insulation and fastener) sized by BatPaC's adiabatic rule for the
  module current at 0.2 °C/s (rows 174–175: A = I/√(κ·rate·c_p·ρ)); none in a one-module pack.

Per pack:

* *racks*: BatPaC's module row racks, steel lower channel 1 mm with 10 mm side rails, upper
  channel 1 mm and vertical members of 15 mm², pads between modules, 2 mm at 0.3 g/cm³ (rows
  367–386), in rows of ``MODULES_PER_ROW`` (BatPaC's reference pack: 5 modules a row). Its
  restraint plates (row 380) are the end plates above. A one-module pack has none. These
  channels are also the members that span the pack; there is no separate cross-member term.
* *cold plate*, *coolant*, *gap filler* (``cold_plate``/``refrigerant``/``glycol`` with a plate
  on the bottom or top; ``immersion`` taken as such a plate, unverified): an aluminium plate of
  two 1.5 mm skins around 3 mm channels (the plate the heat stage analyses,
  ``passes.heat``), its channels filling ``CHANNEL_COVERAGE`` of it (12 mm channels, 6 mm lands)
  and the coolant in them, over the cells' lattice area in a rectangle shaped like the pack with
  the plate's 6 mm rim, at most the free floor (the bill of materials and the CAD take the plate
  drawn over the placed cells); 1 mm gap filler at 3 g/cm³ over the
  cells' cooled faces (typical ceramic-filled silicone gap filler; unverified, no data sheet
  read). BatPaC's stainless panels above and below each row (rows 389–403) are the same part
  in another material (tests rebuild them).
* *air cooling*: fans and ducts, 10 kg per 250 kg of cells (midpoint of 5–15 kg,
  greenengguide.com "EV battery pack cooling design"; the scaling is unverified).
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
* *BMS* and *junction box*: BatPaC's battery management system sheet ('BMS' rows 136–142):
  the management unit (40 g of board per main contactor and 20 g per voltage-sense ASIC of 10
  cells in series), the disconnect unit (two 750 g main contactors — one below 100 V, none
  below 50 V or in a one-module pack — two 180 g auxiliary contactors, a 90 g precharge
  contactor, a 185 g precharge resistor, a 150 g service disconnect with its 80 g fuse, a 24 g
  charger fuse, a 55 g current sensor; rows 192–199), +10 % and +30 % for their enclosure.
* *pack terminals* (rows 204–207, 441: two of 12 + 2 cm of copper sized at 0.04 °C/s for the pack
  current, 90 % copper) and a 1 kW *heater* at 0.2 kg/kW for liquid-cooled packs (rows 442–443).

**Volume**: with an envelope, the enclosure box (what the CAD stage builds); without one the
Löbberding et al., WEVJ 11 (2020) 77 volumetric cell-to-system ratio (0.295 cylindrical, 0.353
pouch/prismatic, as quoted by TUM FTM's technoeconomiccellselection) times the foxBMS BaSD
cooling footprint factor.

Published packs against this model: ``battgen/validation.py`` and docs/validation.md (no
constant here was fitted to them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

# --- Löbberding 2020 (volume without an envelope; the range helper) --------------------------
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
LIQUID = ("cold_plate", "glycol", "refrigerant", "immersion")  # actively cooled through a plate

# --- materials (BatPaC 5.0 'Lists' rows 21–30, g/cm³ → kg/m³) ----------------------------------
RHO_AL = 2700.0
RHO_CU = 8960.0
RHO_STEEL = 7800.0
CU_CONDUCTIVITY = 5.96e7  # S/m, BatPaC 'Lists' row 28
CU_SPECIFIC_HEAT = 385.48  # J/(kg·K), BatPaC _Cp_Cu 0.38548 J/(g·K)
AL_MODULUS = 68.9e9  # Pa, 6061-T6 (Aluminum Association typical; stdlib materials.batt)
STEEL_MODULUS = 200e9  # Pa, low-carbon steel (ASM Handbook Vol. 1; stdlib materials.batt)

# --- per cell ---------------------------------------------------------------------------------
HOLDER_THICKNESS = 0.005  # m each end plate, at most a fifth of the cell height (design rule)
POCKET_CLEARANCE = 0.0002  # m radial play of a cell in its pocket (design rule)
HOLDER_GAP = 0.00001  # m each tile keeps clear of its neighbours' (the CAD stage's 10 µm)
HOLDER_DENSITY = 1200.0  # kg/m³ polycarbonate (Makrolon 2405 data sheet, ISO 1183)
CONDUCTOR_THICKNESS = 0.0004  # m, BatPaC 'Vehicle Considerations' row 34 (EV: 0.04 cm)
FLANGE_FRACTION = 0.95  # BatPaC row 335: each flange 0.95 × the cell thickness
SIDE_FIN = 0.001  # m, the Volt's liquid fins (electronics-cooling.com, 2010)
DEFAULT_BUSBAR = (2705.0, 0.002)  # kg/m³, m: the schema's default aluminium(thickness = 2 mm)

# --- per module (BatPaC rows 318–351) -----------------------------------------------------------
MODULE_WALL = 0.0003  # m steel, row 340 (default 0.3 mm)
WALL_CLEARANCE = 0.0001  # m between a stack of flat cells and its walls: two walls and their clearances fit the default 1 mm gap between modules (the CAD stage draws them so)
TERMINAL_SPACE = 0.008  # m beyond the cells' terminals, rows 343–344 (2 + 6 mm)
SENSE_BOARD = 0.04608  # kg, row 338
GAS_RELEASE = 0.005  # kg, row 342
MODULE_TERMINAL_LENGTH = 0.035  # m, row 329
MODULE_TERMINAL_RATE = 0.2  # K/s adiabatic heating at the module current, row 174
TERMINAL_INSULATION = 1.2  # row 330: +20 % for insulation and fastener
PANEL_THICKNESS, PANEL_DENSITY, PANEL_WIDTH = 0.002, 2100.0, 0.9  # rows 319–322
# Swelling pressure the end plates and bands hold, Pa: 0.3 MPa, the lowest of the initial stack
# loads (0.3, 0.5, 1.0 MPa) under which rigidly constrained pouch cells were cycled in SAE
# 2026-01-7013 (safety.md §2); EVE's LF280K is rated for 6,000 cycles under a 300 kgf clamp,
# 82 kPa on its face, below it. No cell maker's design value was found.
SWELLING_PRESSURE = 0.3e6
PLATE_YIELD = 276e6  # Pa, 6061-T6 (Aluminum Association typical, safety.md §3.4)
SAFETY_FACTOR = 1.5  # on yield (safety.md's end-plate check value uses the same)
ALLOWABLE = PLATE_YIELD / SAFETY_FACTOR
# Roark, 7th ed., Table 11.4 case 1a (all edges simply supported, uniform load, ν = 0.3)
ROARK_RATIO = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 3.0, 4.0, 5.0, 1e9)
ROARK_BETA = (0.2874, 0.3762, 0.4530, 0.5172, 0.5688, 0.6102, 0.7134, 0.7410, 0.7476, 0.7500)

# --- racks (BatPaC rows 367–386) ----------------------------------------------------------------
MODULES_PER_ROW = 5  # BatPaC's reference pack, Dashboard: 5 modules a row, 4 rows
RACK_SHEET = 0.001  # m steel, rows 370 and 373
RACK_RAIL = 0.010  # m side rails, row 371
RACK_VERTICAL = 15e-6  # m², row 375
RACK_SPACE = 0.015 + 0.0488  # m of row length for restraint adjustment, coolant and busbars, rows 382–384
RACK_CLEARANCE = 0.005  # m, row 368 (row width = module length + 5 mm)
PAD_THICKNESS, PAD_DENSITY = 0.002, 300.0  # rows 381, 385

# --- cooling ------------------------------------------------------------------------------------
PLATE_SKIN = 0.0015  # m aluminium each side of the channels — passes.heat COLD_PLATE_SKIN
CHANNEL_HEIGHT = 0.003  # m — passes.heat CHANNEL_HEIGHT
PLATE_RIM = 0.006  # m beyond the outermost cells — passes.heat PLATE_RIM
CHANNEL_COVERAGE = 12.0 / (12.0 + 6.0)  # channel width / (width + land): passes.heat's 12 mm channels, 6 mm lands
TIM_THICKNESS, TIM_DENSITY = 0.001, 3000.0  # m, kg/m³ (unverified)
COOLANT_DENSITY = 1064.0  # kg/m³, stdlib glycol50 at 25 °C
AIR_COOLING_KG = 10.0  # fans + ducts, midpoint of 5–15 kg (greenengguide)
CAR_CELLS_KG = 250.0  # cell mass that figure is taken to apply to (unverified)
HEATER_KG = 0.2  # BatPaC row 443: 0.2 kg/kW × 1 kW ('Thermal' row 152)

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

# --- electrical (BatPaC 'BMS' rows 136–151, 192–199; 'Battery Design' rows 204–207, 441) -------
BMU_BOARD, BMU_PER_ASIC, CELLS_PER_ASIC = 0.04, 0.02, 10
BDU_PARTS = {  # kg each: main contactor, aux contactor, precharge contactor and resistor, service
    "main_contactor": 0.750,  # disconnect, its fuse, charger fuse, current sensor
    "aux_contactor": 0.180,
    "precharge_contactor": 0.090,
    "precharge_resistor": 0.185,
    "service_disconnect": 0.150,
    "service_fuse": 0.080,
    "charger_fuse": 0.024,
    "current_sensor": 0.055,
}
PACK_TERMINAL_RATE = 0.04  # K/s, row 205
PACK_TERMINAL_LENGTH = 0.12 + 0.02  # m, rows 207 and 441
PACK_TERMINAL_COPPER = 0.9  # row 441: 90 % copper, 10 % seal


def outer_skins(energy) -> tuple[float, np.ndarray]:
    """(density, thickness) of the jacket's aluminium top and wall skin: 1, 1.5 or 2 mm below 10,
    below 20 and from 20 kWh (BatPaC row 430). ``energy`` in J (array ok)."""
    kwh = np.asarray(energy, float) / 3.6e6
    return RHO_AL, np.where(kwh < 10, 0.001, np.where(kwh < 20, 0.0015, 0.002))


def enclosure_wall(enclosure, energy=None) -> tuple[float, float]:
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
    def base_thickness(self):
        return sum(t for _, t in self.base)

    @property
    def top_thickness(self):
        return sum(t for _, t in self.top)

    def wall_layers(self, clearance: float | None, isolation=0.0) -> tuple[tuple, ...]:
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


def jacket(energy, insulated: bool, outer=None, modules_volume=0.0) -> Jacket:
    """BatPaC's pack jacket for a pack of ``energy`` J whose modules take ``modules_volume`` m³
    (arrays ok). ``insulated``: the double skin with insulation (liquid-cooled packs); else the
    outer skins only. ``outer``: a declared enclosure (density, thickness or None, modulus) for
    the outer skins: its thickness, or one as stiff as BatPaC's skin of that face."""
    top_outer = (RHO_AL, outer_skins(energy)[1])
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


def roark_beta(ratio):
    """β of Roark Table 11.4 case 1a at a/b = ``ratio`` (≥ 1; linear between the table's rows)."""
    r = np.maximum(np.asarray(ratio, float), 1.0)
    return np.interp(np.minimum(r, 5.0), ROARK_RATIO[:-1], ROARK_BETA[:-1]) + np.where(
        r > 5.0, (ROARK_BETA[-1] - ROARK_BETA[-2]) * (1 - 5.0 / r), 0.0
    )


def end_plate_thickness(a, b, pressure=SWELLING_PRESSURE, allowable=ALLOWABLE):
    """Thickness, m, of a rectangular plate a × b (m) with simply supported edges under a uniform
    ``pressure`` (Pa) whose largest stress is ``allowable``: t = b·√(β·q/σ), b the short side
    (Roark Table 11.4 case 1a)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    short, long = np.minimum(a, b), np.maximum(a, b)
    return short * np.sqrt(roark_beta(long / short) * pressure / allowable)


def conductor_section(current, rate: float):
    """Copper section, m², that heats adiabatically at ``rate`` K/s under ``current`` A: BatPaC's
    sizing rule (rows 167, 175, 190): A = I / √(κ·rate·c_p·ρ)."""
    return np.asarray(current, float) / math.sqrt(CU_CONDUCTIVITY * rate * CU_SPECIFIC_HEAT * RHO_CU)


@dataclass(frozen=True)
class Spec:
    """What the mass model needs of a pack besides its cell count. Cell dimensions in m:
    (diameter or width, thickness, height); ``busbar``, ``enclosure``: (density, thickness) and
    (density, thickness or None, modulus) or None; ``box``: the envelope's enclosure box
    (``enclosure_box``) or None; ``clearance``: the envelope's wall clearance, m."""

    fmt: str
    cell_mass: float
    dims: tuple[float, float, float]
    cell_energy: float = 0.0  # J
    cell_current: float = 0.0  # A, continuous rating (conductor sizing when no current is given)
    cell_voltage: float = 3.6  # V nominal
    cell_max_voltage: float = 4.2  # V at full charge (the insulation distance is for the pack's maximum)
    cooling: str = "cold_plate"
    side: str = "bottom"
    fins: float | None = None
    gap: float = 0.001
    lattice: str = "hex"
    busbar: tuple[float, float] = DEFAULT_BUSBAR
    enclosure: tuple[float, float | None, float] | None = None
    box: tuple[float, float, float] | None = None
    clearance: float | None = None
    outline_perimeter: float | None = None  # m, the outline the frame runs round (default: box's)
    fin_length: float | None = None  # m a conductor runs along the face (default the cell width)
    # Σ tan(θ/2) over the box's corners (convex +, concave −): a ring of width w inside its edge has
    # area P·w − corners·w², one outside the outline P·w + corners·w² (4 for a rectangle)
    wall_corners: float = 4.0
    frame_corners: float = 4.0

    @property
    def liquid(self) -> bool:
        return self.cooling in LIQUID

    @property
    def plate(self) -> bool:
        """A cold plate under or over the cells."""
        return self.liquid and self.side in ("bottom", "top")

    @property
    def flat(self) -> bool:
        return self.fmt in ("pouch", "prismatic")


def reference_dimensions(cell_mass, fmt: str):
    """(diameter or width, thickness, height), m, of a cell of ``cell_mass`` scaled from the
    format's reference cell at constant density (arrays ok): NCR18650B (48.5 g, 18.5 × 65.3 mm),
    AESC Leaf 33 Ah (0.799 kg, 290 × 7.1 × 216 mm), Samsung SDI 94 Ah (1.99 kg, 173 × 45 × 125 mm)."""
    m0, (a, t, h) = _REFERENCE[fmt]
    s = (np.asarray(cell_mass, float) / m0) ** (1 / 3)
    return a * s, t * s, h * s


_REFERENCE = {
    "cylindrical": (0.0485, (0.0185, 0.0185, 0.0653)),
    "pouch": (0.799, (0.290, 0.0071, 0.216)),
    "prismatic": (1.99, (0.173, 0.045, 0.125)),
}


# --- the parts, one by one ------------------------------------------------------------------------


def lattice_area(spec: Spec) -> float:
    """Floor area per cell in the lattice, m²: (d + gap)²·√3/2 hex or (d + gap)² square for round
    cells, (width + gap)·(thickness + gap + fin share) for flat ones."""
    a, t, _ = spec.dims
    if spec.fmt == "cylindrical":
        pitch = a + spec.gap
        return pitch * pitch * (math.sqrt(3) / 2 if spec.lattice in ("hex", "auto") else 1.0)
    return (a + spec.gap) * (t + spec.gap + _fin_share(spec))


def cooled_face(spec: Spec) -> float:
    """The cell's face on the cold plate, m²: a round cell's end, a flat cell's edge."""
    a, t, _ = spec.dims
    return math.pi / 4 * a * a if spec.fmt == "cylindrical" else a * t


def holder_thickness(spec: Spec) -> float:
    return min(HOLDER_THICKNESS, spec.dims[2] / 5)


def holder_mass(spec: Spec) -> float:
    """Both holder plates of one cylindrical cell, kg: its lattice tile, ``HOLDER_GAP`` clear of
    its neighbours' on every edge, less its pocket."""
    if spec.fmt != "cylindrical":
        return 0.0
    pocket = spec.dims[0] / 2 + POCKET_CLEARANCE
    apothem = (spec.dims[0] + spec.gap) / 2  # a hexagonal or square tile's
    tile = lattice_area(spec) * ((apothem - HOLDER_GAP) / apothem) ** 2
    return 2 * holder_thickness(spec) * (tile - math.pi * pocket**2) * HOLDER_DENSITY


def _conductors(spec: Spec) -> bool:
    """BatPaC's wrapped conductor: pouch cells on a liquid plate with no fins declared."""
    return spec.fmt == "pouch" and spec.plate and spec.fins is None


def _flat_fin(spec: Spec) -> float:
    """Thickness of the flat fin between every two flat cells, m: declared, or the Volt's 1 mm
    liquid fins of ``side = sides``; 0 for none."""
    if not spec.flat:
        return 0.0
    if spec.fins:
        return spec.fins
    return SIDE_FIN if spec.liquid and spec.side == "sides" else 0.0


def _fin_share(spec: Spec) -> float:
    """Stack length a cell's fins add, m."""
    return CONDUCTOR_THICKNESS if _conductors(spec) else _flat_fin(spec) / 2


def fin_mass(spec: Spec, n, modules):
    """Conduction fins, kg (arrays ok): BatPaC's conductors (one per cell and one more per
    module), or flat fins (declared, or the liquid fins of side cooling), one per two cells."""
    n = np.asarray(n, float)
    a, t, h = spec.dims
    if _conductors(spec):
        profile = (h + 2 * CONDUCTOR_THICKNESS) + 2 * FLANGE_FRACTION * t
        length = spec.fin_length if spec.fin_length is not None else a
        return (n + np.asarray(modules, float)) * length * profile * CONDUCTOR_THICKNESS * RHO_AL
    return n / 2 * a * h * _flat_fin(spec) * RHO_AL


def busbar_allowance(spec: Spec, n):
    """The busbars routing will draw, kg (arrays ok): the busbar sheet over the cells' lattice
    share on each face that carries plates (two for round cells, the tab end of flat ones)."""
    density, thickness = spec.busbar
    faces = 2 if spec.fmt == "cylindrical" else 1
    return faces * np.asarray(n, float) * lattice_area(spec) * thickness * density


def module_box(spec: Spec, per_module):
    """(length along the rows, width across them, height), m, of a module of ``per_module`` cells
    (arrays ok): a stack of flat cells between its end plates, BatPaC's terminal space on its
    width; round cells in a square of their lattice area."""
    a, _, h = spec.dims
    k = np.asarray(per_module, float)
    if spec.fmt == "cylindrical":
        side = np.sqrt(k * lattice_area(spec))
        return side, side, h + 0 * side
    pitch = lattice_area(spec) / (a + spec.gap)
    length = k * pitch + 2 * MODULE_WALL
    fin = 2 * CONDUCTOR_THICKNESS if _conductors(spec) else 0.0
    return length, a + TERMINAL_SPACE + 0 * length, h + fin + 2 * MODULE_WALL + 0 * length


def module_boxes(spec: Spec, n, modules, shares=None):
    """(how many, (length, width, height)) of each size of module: ``modules`` alike of ``n/modules``
    cells, or one of ``n × share`` cells for each of ``shares`` (the modules' fractions of the
    cells, in series order: modules of different sizes; arrays ok for ``n``)."""
    n = np.asarray(n, float)
    if shares is None:
        m = np.maximum(np.asarray(modules, float), 1.0)
        return [(m, module_box(spec, n / m))]
    return [(1.0, module_box(spec, n * share)) for share in shares]


def module_parts(spec: Spec, n, modules, current=None, shares=None) -> dict[str, np.ndarray]:
    """Module walls and covers, end plates, bands, interconnect boards and module electronics, kg;
    ``shares``: each module's fraction of the cells when they differ in size (``module_boxes``)."""
    n = np.asarray(n, float)
    m = np.maximum(np.asarray(modules if shares is None else len(shares), float), 1.0)
    a, _, h = spec.dims
    boxes = module_boxes(spec, n, m, shares)
    sheet = MODULE_WALL * RHO_STEEL
    walls = covers = lengths = 0 * n * m
    for count, (length, width, height) in boxes:
        if spec.flat:  # the walls ring the stack of cells (as drawn); the covers span the whole module
            ring = 2 * (length - 2 * MODULE_WALL + a) + 8 * (WALL_CLEARANCE + MODULE_WALL / 2)
        else:
            ring = 2 * (length + width)
        walls = walls + count * ring * np.where(spec.flat, h, height) * sheet
        covers = covers + count * 2 * length * width * sheet
        lengths = lengths + count * length  # of all the modules, end to end
    out = {"module walls": walls, "module covers": covers}
    zero = 0 * n * m
    if spec.flat:  # a pair of end plates and a set of bands for each row of modules (BatPaC row 380)
        t_end = end_plate_thickness(a, h)
        force = SWELLING_PRESSURE * a * h
        rows = np.ceil(m / MODULES_PER_ROW)
        out["end plates"] = rows * 2 * a * h * t_end * RHO_AL + zero
        out["bands"] = force / ALLOWABLE * lengths * RHO_AL
        stacks = lengths - m * 2 * MODULE_WALL
        # pouch: a panel at each tab end of the stack, 0.9 × the cell height wide (BatPaC's two);
        # prismatic: one over the terminals on top, 0.9 × the cell width
        panels = 2 * PANEL_WIDTH * h if spec.fmt == "pouch" else PANEL_WIDTH * a
        out["interconnect boards"] = (stacks - m * 0.5 * spec.dims[1]) * panels * PANEL_THICKNESS * PANEL_DENSITY
    else:
        out["end plates"] = out["bands"] = out["interconnect boards"] = zero
    if current is None:
        current = spec.cell_current * n / m  # no current given: the cells' continuous rating, all in parallel
    terminals = 2 * MODULE_TERMINAL_LENGTH * conductor_section(current, MODULE_TERMINAL_RATE) * RHO_CU
    out["module electronics"] = m * (SENSE_BOARD + GAS_RELEASE) + np.where(
        m > 1, m * terminals * TERMINAL_INSULATION, 0.0
    )
    return out


def rack_mass(spec: Spec, n, modules, height_extra: float = 2 * RACK_SHEET, shares=None):
    """BatPaC's row racks, kg (arrays ok): lower and upper steel channels, vertical members and
    pads per row of ``MODULES_PER_ROW``; none for one module. ``height_extra``: what the row adds
    to the module's height (BatPaC: its cooling panels above and below, 2 × 5.6 mm, and 2 mm).
    ``shares``: modules of different sizes (``module_boxes``): the rows share their total length,
    and are as wide and tall as the largest module."""
    n = np.asarray(n, float)
    m = np.maximum(np.asarray(modules if shares is None else len(shares), float), 1.0)
    boxes = module_boxes(spec, n, m, shares)
    lengths = sum(count * box[0] for count, box in boxes)
    width = np.maximum.reduce([np.broadcast_to(box[1], np.shape(lengths)) for _, box in boxes])
    height = np.maximum.reduce([np.broadcast_to(box[2], np.shape(lengths)) for _, box in boxes])
    rows = np.ceil(m / MODULES_PER_ROW)
    per_row = m / rows
    row_length = lengths / rows + PAD_THICKNESS * (per_row - 1) + RACK_SPACE
    row_width = width + RACK_CLEARANCE
    row_height = height + height_extra
    lower = row_length * (row_width + 2 * (RACK_RAIL - RACK_SHEET)) * RACK_SHEET
    rise = np.maximum(row_height - 0.006, 0.0)
    verticals = np.where(per_row > 1, (2 * per_row + 2) * rise + 4 * math.sqrt(2) * rise, 4 * rise)
    upper = row_length * (row_width - 2 * RACK_SHEET) * RACK_SHEET + verticals * RACK_VERTICAL
    pads = (per_row - 1) * width * np.maximum(height - 0.002, 0.0) * PAD_THICKNESS * PAD_DENSITY / RHO_STEEL
    return np.where(m > 1, rows * (lower + upper + pads) * RHO_STEEL, 0.0)


def plate_area(spec: Spec, n, shape: float):
    """The cold plate's area, m², as the CAD stage draws it: the rectangle round the cells, their
    lattice area in a rectangle shaped like the pack (``shape`` = P²/(4A) of its box, 1 for a
    square: the aspect x solves (1 + x)²/(4x) = shape), with the plate's rim beyond them on every
    side (``passes.heat.PLATE_RIM``, 6 mm)."""
    cells = np.asarray(n, float) * lattice_area(spec)
    k = max(float(shape), 1.0)
    ratio = (2 * k - 1) + 2 * math.sqrt(k * k - k) if k > 1.0 + 1e-12 else 1.0
    width = np.sqrt(cells / ratio)
    return (width + 2 * PLATE_RIM) * (cells / np.maximum(width, 1e-9) + 2 * PLATE_RIM)


def plate_mass(
    area, void_area=None, skin: float = PLATE_SKIN, channel: float = CHANNEL_HEIGHT, density: float = RHO_AL
):
    """A cold plate of ``area`` m², two skins around ``channel``-deep channels covering
    ``void_area`` m² (default ``CHANNEL_COVERAGE`` of it), kg; and the coolant in them, kg."""
    area = np.asarray(area, float)
    void = area * CHANNEL_COVERAGE if void_area is None else np.asarray(void_area, float)
    solid = (area * (2 * skin + channel) - void * channel) * density
    return solid, void * channel * COOLANT_DENSITY


def bms_mass(series, modules, voltage) -> tuple[np.ndarray, np.ndarray]:
    """(management unit and module electronics' share, disconnect unit) of BatPaC's BMS, kg, with
    their enclosure allowances ('BMS' rows 136–142). ``voltage``: the pack's nominal, V."""
    series, modules, voltage = (np.asarray(x, float) for x in (series, modules, voltage))
    switched = (modules > 1) & (voltage >= 50)  # main contactors, precharge, current sensor
    mains = np.where(switched, np.where(voltage < 100, 1.0, 2.0), 0.0)
    asics = np.ceil(series / CELLS_PER_ASIC)
    bmu = BMU_BOARD * mains + BMU_PER_ASIC * asics
    p = BDU_PARTS
    bdu = (
        mains * p["main_contactor"]
        + 2 * p["aux_contactor"]
        + np.where(switched, p["precharge_contactor"] + p["current_sensor"], 0.0)
        + p["precharge_resistor"]
        + p["service_disconnect"]
        + p["service_fuse"]
        + p["charger_fuse"]
    )
    return bmu * 1.1 * 1.3, bdu * 1.3


def pack_terminal_mass(current):
    """Both pack terminals and seals, kg: 2 × 14 cm of copper at 0.04 °C/s, 90 % of their mass."""
    return 2 * PACK_TERMINAL_LENGTH * conductor_section(current, PACK_TERMINAL_RATE) * RHO_CU / PACK_TERMINAL_COPPER


# --- the enclosure box ------------------------------------------------------------------------------


def stack_height(spec: Spec, jacket_: Jacket) -> float:
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


def estimated_box(spec: Spec, n, jacket_: Jacket):
    """(floor m², perimeter m, height m) of a pack with no envelope (arrays over n): the volume
    real packs give their cells (``pack_volume``: Löbberding's surveyed ratio), one layer of
    cells high (``stack_height``), Leaf 24's aspect."""
    a, t, h = spec.dims
    cell_volume = math.pi / 4 * a * a * h if spec.fmt == "cylindrical" else a * t * h
    height = stack_height(spec, jacket_) + 0 * np.asarray(n, float)
    floor = pack_volume(cell_volume, n, spec.fmt, spec.cooling) / height
    width = np.sqrt(floor / PACK_ASPECT)
    return floor, 2 * (width + floor / width), height


def isolation_distance(max_voltage) -> np.ndarray:
    """The distance live parts keep from the enclosure's metal at the pack's ``max_voltage``
    (V, arrays ok): IEC 60664-1 creepage and clearance with the stated defaults
    (``models.iec60664.DEFAULT``; the routing stage checks the same distance as built)."""
    from battgen.models.iec60664 import DEFAULT

    volts = np.asarray(max_voltage, float)
    unique, inverse = np.unique(volts, return_inverse=True)
    return np.array([DEFAULT.distance(float(v)) for v in unique])[inverse].reshape(volts.shape)


def jacket_parts(spec: Spec, box, jacket_: Jacket, outline_perimeter=None, isolation=0.0) -> dict[str, np.ndarray]:
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


# --- the whole pack -------------------------------------------------------------------------------

# Parts in the order the bill of materials lists them; groups for the short summaries.
PARTS = (
    "cells",
    "holders",
    "fins",
    "busbars",
    "module walls",
    "module covers",
    "end plates",
    "bands",
    "interconnect boards",
    "module electronics",
    "racks",
    "cold plate",
    "coolant",
    "gap filler",
    "air cooling",
    "heater",
    "enclosure floor",
    "enclosure walls",
    "enclosure lid",
    "enclosure frame",
    "bms",
    "junction box",
    "pack terminals",
)
GROUPS = {
    "cells": ("cells",),
    "modules": ("holders", "fins", "busbars", "module walls", "module covers", "end plates", "bands")
    + ("interconnect boards", "module electronics", "racks"),
    "thermal": ("cold plate", "coolant", "gap filler", "air cooling", "heater"),
    "enclosure": ("enclosure floor", "enclosure walls", "enclosure lid", "enclosure frame"),
    "electrical": ("bms", "junction box", "pack terminals"),
}


# What a module holds (the rest is at pack level): cells and the per-cell and per-module parts,
# every part of the modules' group but the racks, which hold the modules
MODULE_PARTS: tuple[str, ...] = ("cells", *(part for part in GROUPS["modules"] if part != "racks"))


def grouped(parts) -> dict[str, float]:
    """kg by ``GROUPS`` of a parts mapping (or (part, kg) pairs)."""
    parts = dict(parts)
    return {g: float(sum(float(parts.get(p, 0.0)) for p in members)) for g, members in GROUPS.items()}


def modules_volume(spec: Spec, n, modules, shares=None):
    """Total volume of the module boxes, m³ (arrays ok; ``shares``: as ``module_boxes``)."""
    return sum(count * box[0] * box[1] * box[2] for count, box in module_boxes(spec, n, modules, shares))


def module_shares(sizes, strings: int = 1) -> tuple[float, ...] | None:
    """Each module's fraction of the pack's cells, from a string's series groups per module
    (``Candidate.module_sizes``, ``ir.Pack.module_series``) repeated for every string; None when
    they are all alike (the module count says it all)."""
    sizes = tuple(sizes or ())
    if len(set(sizes)) <= 1:
        return None
    total = sum(sizes) * strings
    return tuple(k / total for k in sizes) * strings


def components(spec: Spec, n_cells, *, series=None, modules=1, current=None, shares=None) -> dict[str, np.ndarray]:
    """Pack mass by part, kg, in ``PARTS`` order (arrays ok: ``n_cells``, ``series``, ``modules``
    and ``current`` broadcast together). ``series``: cells in series (default all); ``current``:
    the pack current the conductors are sized for, A (default the cells' continuous rating in
    parallel); ``shares``: each module's fraction of the cells when they differ in size
    (``module_shares``; their count replaces ``modules``)."""
    if spec.fmt not in _REFERENCE:
        raise KeyError(spec.fmt)
    if spec.cooling not in _ADDERS:
        raise KeyError(spec.cooling)
    n = np.asarray(n_cells, float)
    series = n if series is None else np.asarray(series, float)
    m = np.maximum(np.asarray(modules if shares is None else len(shares), float), 1.0)
    parallel = n / np.maximum(series, 1.0)
    pack_current = spec.cell_current * parallel if current is None else np.asarray(current, float)
    zero = 0 * n * m
    out = dict.fromkeys(PARTS, zero)
    out["cells"] = n * spec.cell_mass + zero
    out["holders"] = n * holder_mass(spec) + zero
    out["fins"] = fin_mass(spec, n, m) + zero
    out["busbars"] = busbar_allowance(spec, n) + zero
    out.update(module_parts(spec, n, m, current=pack_current, shares=shares))  # in series: the pack current
    out["racks"] = rack_mass(spec, n, m, shares=shares) + zero
    jacket_ = jacket(n * spec.cell_energy, spec.liquid, spec.enclosure, modules_volume(spec, n, m, shares))
    isolation = isolation_distance(series * spec.cell_max_voltage)
    if spec.box is not None:
        out.update(jacket_parts(spec, spec.box, jacket_, spec.outline_perimeter, isolation))
        free = _free_floor(spec)
        shape = spec.box[1] ** 2 / (4 * spec.box[0]) if spec.box[0] > 0 else 1.0
    else:
        free, perimeter, height = estimated_box(spec, n, jacket_)
        out.update(jacket_parts(spec, (free, perimeter, height), jacket_))
        shape = (1 + PACK_ASPECT) ** 2 / (4 * PACK_ASPECT)
    if spec.plate:
        plate, coolant = plate_mass(np.minimum(plate_area(spec, n, shape), free) + zero)
        out["cold plate"], out["coolant"] = plate, coolant
        out["gap filler"] = n * cooled_face(spec) * TIM_THICKNESS * TIM_DENSITY + zero
    if spec.cooling == "air":
        out["air cooling"] = AIR_COOLING_KG * out["cells"] / CAR_CELLS_KG
    if spec.liquid:
        out["heater"] = HEATER_KG + zero
    bmu, bdu = bms_mass(series, m, series * spec.cell_voltage)
    out["bms"], out["junction box"] = bmu + zero, bdu + zero
    out["pack terminals"] = pack_terminal_mass(pack_current) + zero
    return {k: out[k] for k in PARTS}


def _free_floor(spec: Spec) -> float:
    """The envelope's floor inside its wall clearance and 0.5 mm more (where the CAD stage's plate
    may go), m²."""
    assert spec.box is not None  # called for a pack with an envelope only
    floor, perimeter, _ = spec.box
    inset = (spec.clearance if spec.clearance else 0.002) + 0.0005
    return max(floor - perimeter * inset, 0.0)


def pack_mass(spec: Spec, n_cells, **kw):
    """Pack mass, kg (arrays ok): sum of :func:`components`."""
    return sum(components(spec, n_cells, **kw).values())


# --- from the IR --------------------------------------------------------------------------------------


def enclosure_box(envelope) -> tuple[float, float, float] | None:
    """(floor area m², perimeter m, height m) of an ``ir.Envelope``'s outline; None without one.
    Keepouts are spaces inside the box for other parts (a junction box, a BMS board): the floor
    and lid are whole and the walls follow the outline alone, as the CAD draws them."""
    if envelope is None:
        return None
    return envelope.outline.area, envelope.outline.perimeter, envelope.height


def enclosure_outer(enclosure) -> tuple[float, float | None, float] | None:
    """(density, thickness or None, modulus) of a declared ``ir.Enclosure``; None: BatPaC's skins."""
    if enclosure is None or enclosure.material is None:
        return None
    return enclosure.material.density, enclosure.thickness, enclosure.material.modulus or AL_MODULUS


def _cell_dims(cell) -> tuple[float, float, float]:
    f = cell.format
    if f.kind == "cylindrical":
        return f.diameter, f.diameter, f.height
    return f.width, f.thickness, f.height


def spec_for(pack, box=None) -> Spec:
    """The ``Spec`` of an ``ir.Pack``: its cell, cooling, layout, busbar, enclosure and envelope
    (``box``: another enclosure box, e.g. the one drawn)."""
    cell = pack.cell
    busbar = (pack.busbar.material.density, pack.busbar.thickness) if pack.busbar is not None else DEFAULT_BUSBAR
    envelope = pack.envelope
    return Spec(
        fmt=cell.format.kind,
        cell_mass=cell.mass,
        dims=_cell_dims(cell),
        cell_energy=cell.energy,
        cell_current=cell.max_discharge_current,
        cell_voltage=cell.nominal_voltage,
        cell_max_voltage=cell.max_voltage,
        cooling=pack.cooling.kind,
        side=pack.cooling.side,
        fins=pack.cooling.fins,
        gap=pack.gap,
        lattice=pack.layout,
        busbar=busbar,
        enclosure=enclosure_outer(pack.enclosure),
        box=box if box is not None else enclosure_box(envelope),
        clearance=(envelope.wall if envelope.wall > 0 else 0.002) if envelope is not None else None,
        outline_perimeter=envelope.outline.perimeter if envelope is not None else None,
        wall_corners=4.0 - 4.0 * _inner_keepouts(envelope),
    )


def _inner_keepouts(envelope) -> int:
    """Keepouts clear of the outline's bounding box (holes in the floor: their corners turn the
    other way); one on the edge is a notch, whose convex and concave corners cancel."""
    if envelope is None:
        return 0
    x0, y0, x1, y1 = envelope.outline.bounds
    inside = 0
    for k in envelope.keepouts:
        a, b, c, d = k.shape.bounds
        inside += a > x0 and b > y0 and c < x1 and d < y1
    return inside


def with_box(
    spec: Spec, box, clearance: float | None, outline_perimeter: float | None, wall_corners=4.0, frame_corners=4.0
) -> Spec:
    return replace(
        spec,
        box=box,
        clearance=clearance,
        outline_perimeter=outline_perimeter,
        wall_corners=wall_corners,
        frame_corners=frame_corners,
    )


def components_for(pack, n_cells, *, series=None, modules=None, current=None) -> dict[str, np.ndarray]:
    """:func:`components` for an ``ir.Pack`` of ``n_cells`` (arrays ok). ``modules``: the module
    count (arrays ok; default the pack's fixed or lowest count, else 1); the modules' declared
    sizes (``module_series``) when the pack has them; ``series``: default the pack's, else all
    cells; ``current``: A the conductors carry (default the cells' rating)."""
    shares = module_shares(getattr(pack, "module_series", None), getattr(pack, "strings", 1))
    if shares is not None:
        return components(spec_for(pack), n_cells, series=series, current=current, shares=shares)
    if modules is None:
        bound = pack.modules
        modules = bound.low if bound is not None and bound.low is not None else 1
    if series is None and pack.series is not None:
        series = pack.series
    return components(spec_for(pack), n_cells, series=series, modules=modules, current=current)


def pack_mass_for(pack, n_cells, **kw):
    """Pack mass, kg (arrays ok over n_cells), for an ``ir.Pack``: sum of :func:`components_for`."""
    return sum(components_for(pack, n_cells, **kw).values())


def cooling_factors(cooling: str) -> tuple[float, float]:
    """(mass factor, volume factor) of ``cooling`` relative to glycol, from foxBMS BaSD adders.
    Only the volume factor is used (the volume without an envelope)."""
    wl, m = _ADDERS[cooling]
    wl0, m0 = _ADDERS["glycol"]
    return (1.0 + m) / (1.0 + m0), ((1.0 + wl) / (1.0 + wl0)) ** 2


def pack_volume(cell_volume, n_cells, fmt: str, cooling: str = "cold_plate", **_ignored):
    """Pack volume, m³ (arrays ok): n·V_cell / Löbberding volumetric ratio × cooling factor."""
    _, fv = cooling_factors(cooling)
    return np.asarray(n_cells, float) * np.asarray(cell_volume, float) / VOLUMETRIC[fmt] * fv


def pack_volume_for(pack, n_cells):
    """Pack volume, m³ (arrays ok): the enclosure box when the envelope is known (what the CAD
    stage builds; the same for every candidate), else :func:`pack_volume`."""
    box = enclosure_box(pack.envelope)
    if box is not None:
        return box[0] * box[2] + 0 * np.asarray(n_cells, float)
    cell = pack.cell
    return pack_volume(cell.format.volume, n_cells, cell.format.kind, pack.cooling.kind)


def pack_mass_range(cell_mass, n_cells, fmt: str):
    """(light, heavy) pack mass over Löbberding's surveyed cell-to-system ratio range, kg."""
    lo, hi = GRAVIMETRIC_RANGE[fmt]
    m = np.asarray(n_cells, float) * np.asarray(cell_mass, float)
    return m / hi, m / lo


__all__ = [
    "GROUPS",
    "PARTS",
    "Jacket",
    "Spec",
    "components",
    "components_for",
    "cooling_factors",
    "end_plate_thickness",
    "enclosure_box",
    "enclosure_outer",
    "equal_stiffness_thickness",
    "grouped",
    "jacket",
    "pack_mass",
    "pack_mass_for",
    "pack_mass_range",
    "pack_volume",
    "pack_volume_for",
    "reference_dimensions",
    "roark_beta",
    "spec_for",
]
