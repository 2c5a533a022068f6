"""Swelling and compression: the end plates and bands that hold a stack of pouch or prismatic
cells, sized for the pressure the cells may reach, and that pressure over the pack's life.

Cylindrical cells need no fixture: the wound jelly roll in its can keeps its own stack pressure
(identical electrodes faded 16 % in a cylindrical can against 24 % in a prismatic one after 300
cycles, "attributed to lower cell stack pressure" in the prismatic cell: J. Electrochem. Soc.
148(9) (2001) A1029; that no external fixture is needed is an inference from it, stated as
such). Pouch and prismatic cells stand in stacks along their thickness: a stack is a line of
cells face to face (one gap apart), whichever modules they belong to — as the Leaf's 2s2p modules
are stacked and bolted together — closed by an end plate at each end and strapped by bands.

Pressure on the cell face (``p`` below), Pa:

* **window** — the cell's declared ``pressure in preload .. limit``; else a preload of
  81.7 kPa (EVE LF280K: cycled to 6,000 cycles in a fixture of 300 kgf on its 207.2 × 173.7 mm
  face, the only maker's fixture figure found; shared/reference/physics.md) and a limit of
  1.0 MPa (the highest initial stack pressure SAE 2026-01-7013 applied to rigidly constrained
  pouch cells; 3 MPa gave lithium plating and poor retention, Electrochem. Commun., Jul. 2023).
* **swelling** — free thickness growth of the stack: reversible 1.5 % of the electrode
  sandwich from 0 to 100 % SOC (Energies 17(12) (2024) 2941, §1: "as much as 1.5 %") for a
  graphite anode, none for LTO (the "zero-strain" titanate anode, Ohzuku et al., J.
  Electrochem. Soc. 142 (1995) 1431; the cathode's change is neglected); irreversible at end of
  life 8 % ("swelling of 8-10 percent over 500 cycles must be considered with some [pouch]
  cell designs", Battery University, secondary; taken for hard-case prismatic cells too, for
  want of a published figure: a bound).
* **stiffness** — the cells' expansion modulus E_x = 0.43 MPa / 1.5 % = 28.7 MPa: a
  2.4 Ah NCM/graphite pouch cell held at constant gap reached 0.43 MPa over a cycle (IEST,
  "Mechanical decoupling of battery cell swelling under real-world buffer foam conditions",
  iestbattery.com, 2026), divided by the reversible strain above. An estimate from two
  published figures, not a measurement of one cell.
* springs in series (shared/reference/physics.md): the stack (E_x·A/(n·t)) pushes against the
  bands (E·A/L, both sides) and the two end plates (Roark's centre deflection as their spring),
  so Δp = E_x·ε·k_frame/(k_frame + k_stack).

Sizing (safety factor ``SAFETY_FACTOR`` on yield, stated): each end plate is a simply
supported plate (Roark Table 11.4 case 1a) carrying the window's limit pressure over the face;
two bands of DP600 steel (``BAND_MATERIAL``), each a closed loop around the stack, carry the
limit force in their four legs. When the pressure at end of life would exceed the window, the
stack needs compliant pads: the result names the stroke they must take (W720).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from battgen.core import ir
from battgen.models import mechanics
from battgen.passes.layout.types import Layout

SAFETY_FACTOR = 1.5  # on yield: the end plates and bands stay elastic at 1.5 × the limit force
PRELOAD = 300 * mechanics.G0 / (0.2072 * 0.1737)  # Pa, EVE LF280K fixture: 81.7 kPa
PRESSURE_LIMIT = 1.0e6  # Pa, SAE 2026-01-7013's highest initial stack pressure
SWELL_REVERSIBLE = 0.015  # 0 → 100 % SOC, graphite anode (Energies 17 (2024) 2941)
SWELL_END_OF_LIFE = 0.08  # irreversible, pouch (Battery University, secondary)
EXPANSION_MODULUS = 0.43e6 / SWELL_REVERSIBLE  # Pa: IEST constant-gap 0.43 MPa over 1.5 %
PLATE_MATERIAL = "aluminium_6061"
BAND_MATERIAL = "steel_dp600"
BAND_WIDTH = 0.020  # m, each band (design rule: two 20 mm straps, at a quarter and three quarters of the height)
BANDS = 2
MIN_PLATE = 0.003  # m: the thinnest end plate drawn (stiff enough to handle and bolt)
MIN_BAND = 0.0005  # m


@dataclass(frozen=True)
class EndPlates:
    """One stack's compression fixture and the pressure its cells see. SI: m, Pa, N, kg."""

    stack: int
    cells: tuple[int, ...]  # the stack's cells, in order along their thickness
    modules: tuple[int, ...]  # the modules they belong to
    cells_in_stack: int
    stack_length: float
    face: tuple[float, float]  # cell width, height: the end plate's size
    plate_thickness: float
    plate_material: str
    band_thickness: float
    band_width: float
    band_length: float  # one closed loop
    bands: int
    band_material: str
    limit_force: float  # the window's limit pressure over the face
    preload: float
    pressure_charged: float  # preload + reversible swelling at full charge, with this frame
    pressure_end_of_life: float  # + the irreversible swelling at end of life
    limit: float
    growth: float  # free stack growth at end of life, m
    pad_stroke: float  # compression pads must take this much of it (0: none needed)
    mass_plates: float
    mass_bands: float


@dataclass(frozen=True)
class Compression:
    needed: bool
    basis: str  # why (or why not), and the window's source
    fixtures: tuple[EndPlates, ...] = ()
    safety_factor: float = SAFETY_FACTOR

    @property
    def mass(self) -> float:
        return sum(f.mass_plates + f.mass_bands for f in self.fixtures)


def window(cell: ir.Cell) -> tuple[float, float, str]:
    """(preload, limit, where they come from), Pa."""
    if cell.pressure is not None:
        return cell.pressure[0], cell.pressure[1], f"`{cell.name}`'s declared pressure window"
    return PRELOAD, PRESSURE_LIMIT, "no window declared: EVE LF280K's fixture preload, SAE 2026-01-7013's 1 MPa limit"


def swelling(cell: ir.Cell) -> tuple[float, float]:
    """(reversible, end-of-life irreversible) free thickness strain of the cell."""
    if cell.chemistry.lower() == "lto":
        return 0.0, SWELL_END_OF_LIFE
    return SWELL_REVERSIBLE, SWELL_END_OF_LIFE


def stacks(layout: Layout, thickness: float, gap: float) -> list[list[int]]:
    """The layout's stacks: lines of flat cells face to face, each a list of cell indices in
    order along the cells' thickness (cells of one rotation, one position across the face and
    one layer, no more than a gap and a millimetre apart)."""
    groups: dict[tuple, list[tuple[float, int]]] = {}
    for c in layout.cells:
        u = (math.cos(c.rotation), math.sin(c.rotation))
        n = (-math.sin(c.rotation), math.cos(c.rotation))
        across = round((c.x * u[0] + c.y * u[1]) / max(thickness, 1e-4) * 4.0)  # to ~¼ thickness
        key = (round(c.rotation, 3), across, round(c.z, 4))
        groups.setdefault(key, []).append((c.x * n[0] + c.y * n[1], c.index))
    out = []
    step = thickness + gap + 1e-3
    for _key, line in sorted(groups.items()):
        line.sort()
        run = [line[0][1]]
        for (a, _), (b, index) in zip(line, line[1:]):
            if b - a > step:
                out.append(run)
                run = []
            run.append(index)
        out.append(run)
    return sorted(out, key=lambda r: r[0])


def _material(materials: Mapping[str, ir.Material], name: str) -> ir.Material:
    material = materials.get(name)
    if material is None or material.yield_strength is None or material.modulus is None:
        raise KeyError(f"the standard library's `{name}` needs a density, modulus and yield_strength")
    return material


def design(pack: ir.Pack, layout: Layout, materials: Mapping[str, ir.Material]) -> Compression:
    """The compression fixture of every stack of flat cells (none for cylindrical cells)."""
    cell, fmt = pack.cell, pack.cell.format
    if fmt.kind == "cylindrical":
        return Compression(
            False, "cylindrical cells: the can holds the wound stack's pressure (JES 148 (2001) A1029); no fixture"
        )
    preload, limit, basis = window(cell)
    plate, band = _material(materials, PLATE_MATERIAL), _material(materials, BAND_MATERIAL)
    fixtures = []
    for number, cells in enumerate(stacks(layout, fmt.thickness, pack.gap)):
        modules = tuple(sorted({layout.cells[i].module for i in cells}))
        fixtures.append(_fixture(number, tuple(cells), modules, pack, preload, limit, plate, band))
    return Compression(True, basis, tuple(fixtures))


def _fixture(
    number: int,
    cells: tuple[int, ...],
    modules: tuple[int, ...],
    pack: ir.Pack,
    preload: float,
    limit: float,
    plate: ir.Material,
    band: ir.Material,
) -> EndPlates:
    fmt = pack.cell.format
    n = len(cells)
    width, height, t_cell = fmt.width, fmt.height, fmt.thickness
    area = width * height
    length = n * t_cell + (n - 1) * pack.gap
    force = limit * area
    assert plate.yield_strength and band.yield_strength and plate.modulus and band.modulus
    t_plate = mechanics.plate_thickness_for_stress(width, height, limit * SAFETY_FACTOR, plate.yield_strength)
    t_plate = max(t_plate, MIN_PLATE)
    legs = 2 * BANDS  # each closed band crosses the stack twice
    t_band = max(force * SAFETY_FACTOR / (legs * BAND_WIDTH * band.yield_strength), MIN_BAND)
    loop = 2.0 * (length + 2.0 * t_plate) + 2.0 * width
    # springs in series: the bands' legs stretch over the stack, each end plate bends
    k_bands = legs * band.modulus * BAND_WIDTH * t_band / (length + 2.0 * t_plate)
    deflection = mechanics.plate_centre_deflection(width, height, 1.0, t_plate, plate.modulus) * area  # m per N
    k_frame = 1.0 / (1.0 / k_bands + 2.0 * deflection)
    k_stack = EXPANSION_MODULUS * area / (n * t_cell)
    share = k_frame / (k_frame + k_stack)  # of the free-growth pressure the frame lets build up
    reversible, irreversible = swelling(pack.cell)
    charged = preload + EXPANSION_MODULUS * reversible * share
    end_of_life = charged + EXPANSION_MODULUS * irreversible * share
    growth = n * t_cell * (reversible + irreversible)
    # pads: the stack may grow by `growth` while the pressure rises by at most (limit − preload)
    allowed = max(limit - preload, 0.0) * area
    pad_stroke = max(growth - allowed * (1.0 / k_stack + 1.0 / k_frame), 0.0) if end_of_life > limit else 0.0
    return EndPlates(
        number,
        cells,
        modules,
        n,
        length,
        (width, height),
        t_plate,
        plate.name,
        t_band,
        BAND_WIDTH,
        loop,
        BANDS,
        band.name,
        force,
        preload,
        charged,
        end_of_life,
        limit,
        growth,
        pad_stroke,
        2.0 * area * t_plate * plate.density,
        BANDS * loop * BAND_WIDTH * t_band * band.density,
    )
