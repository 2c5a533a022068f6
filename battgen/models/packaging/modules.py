"""Per-module parts of the mass model — module walls and covers, end plates and bands,
interconnect boards, module electronics — and the racks that hold the modules in rows (rows:
BatPaC 5.0's, ``models.packaging``).

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

And the racks that hold them:

* *racks*: BatPaC's module row racks, steel lower channel 1 mm with 10 mm side rails, upper
  channel 1 mm and vertical members of 15 mm², pads between modules, 2 mm at 0.3 g/cm³ (rows
  367–386), in rows of ``MODULES_PER_ROW`` (BatPaC's reference pack: 5 modules a row). Its
  restraint plates (row 380) are the end plates above. A one-module pack has none. These
  channels are also the members that span the pack; there is no separate cross-member term.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from battgen.models.packaging.cells import CONDUCTOR_THICKNESS, _conductors, lattice_area
from battgen.models.packaging.electrics import conductor_section
from battgen.models.packaging.materials import RHO_AL, RHO_CU, RHO_STEEL
from battgen.models.packaging.spec import Floats, Spec

# (length, width, height) of a module, m (arrays over candidates)
Box = tuple[np.ndarray, np.ndarray, np.ndarray]

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


def roark_beta(ratio: Floats) -> np.ndarray:
    """β of Roark Table 11.4 case 1a at a/b = ``ratio`` (≥ 1; linear between the table's rows)."""
    r = np.maximum(np.asarray(ratio, float), 1.0)
    return np.interp(np.minimum(r, 5.0), ROARK_RATIO[:-1], ROARK_BETA[:-1]) + np.where(
        r > 5.0, (ROARK_BETA[-1] - ROARK_BETA[-2]) * (1 - 5.0 / r), 0.0
    )


def end_plate_thickness(
    a: Floats, b: Floats, pressure: float = SWELLING_PRESSURE, allowable: float = ALLOWABLE
) -> np.ndarray:
    """Thickness, m, of a rectangular plate a × b (m) with simply supported edges under a uniform
    ``pressure`` (Pa) whose largest stress is ``allowable``: t = b·√(β·q/σ), b the short side
    (Roark Table 11.4 case 1a)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    short, long = np.minimum(a, b), np.maximum(a, b)
    return short * np.sqrt(roark_beta(long / short) * pressure / allowable)


def module_box(spec: Spec, per_module: Floats) -> Box:
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


def module_boxes(
    spec: Spec, n: Floats, modules: Floats, shares: tuple[float, ...] | None = None
) -> list[tuple[Floats, Box]]:
    """(how many, (length, width, height)) of each size of module: ``modules`` alike of ``n/modules``
    cells, or one of ``n × share`` cells for each of ``shares`` (the modules' fractions of the
    cells, in series order: modules of different sizes; arrays ok for ``n``)."""
    n = np.asarray(n, float)
    if shares is None:
        m = np.maximum(np.asarray(modules, float), 1.0)
        return [(m, module_box(spec, n / m))]
    return [(1.0, module_box(spec, n * share)) for share in shares]


def modules_volume(spec: Spec, n: Floats, modules: Floats, shares: tuple[float, ...] | None = None) -> Floats:
    """Total volume of the module boxes, m³ (arrays ok; ``shares``: as ``module_boxes``)."""
    return sum(count * box[0] * box[1] * box[2] for count, box in module_boxes(spec, n, modules, shares))


def module_shares(sizes: Sequence[int] | None, strings: int = 1) -> tuple[float, ...] | None:
    """Each module's fraction of the pack's cells, from a string's series groups per module
    (``Candidate.module_sizes``, ``ir.Pack.module_series``) repeated for every string; None when
    they are all alike (the module count says it all)."""
    sizes = tuple(sizes or ())
    if len(set(sizes)) <= 1:
        return None
    total = sum(sizes) * strings
    return tuple(k / total for k in sizes) * strings


def module_parts(
    spec: Spec,
    n: Floats,
    modules: Floats,
    current: Floats | None = None,
    shares: tuple[float, ...] | None = None,
) -> dict[str, np.ndarray]:
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


def rack_mass(
    spec: Spec,
    n: Floats,
    modules: Floats,
    height_extra: float = 2 * RACK_SHEET,
    shares: tuple[float, ...] | None = None,
) -> np.ndarray:
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
