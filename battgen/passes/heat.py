"""Heat: how hot the cells run at the pack's continuous load, and during a peak pulse.

``analyse(pack, layout, routing, candidate) -> Heat`` reads the routed network's current in
every cell, so the hottest cell is the one the busbar geometry loads most, not an average.
``heat_stage`` is the pipeline's door (sets ``build.heat``); the CAD stage sizes its coolant
channels with ``design_flow`` and ``channel_design`` from here, so the model drawn and the
model analysed are the same.

Load. The continuous and peak load cases of the placed candidate (``passes.loads``: derived
from the requirements once; the same currents routing sized the busbars for): the network is
linear, so each cell's current scales with the pack's. Heat per cell: Bernardi (1985), I²R
with the cell's resistance at the SOC floor, plus the reversible term
(``models.thermal.cell_heat``). The pulse: the peak case for its duration (10 s if none is
given — the USABC pulse), adiabatic (``models.thermal.adiabatic_rise``).

Cold plate under (or over) the cells, per cell, from the coolant to the cell's end or edge
(physics.md chain, Incropera & DeWitt 2007):

* coolant rise: ṁ·cp·ΔT = Q of all cells; the hottest cell is taken at the outlet;
* convection: laminar, fully developed, Nu = 4.36, h = Nu·k/D_h in the channels the CAD stage
  draws (``channel_design`` across ``plate_short_side`` — the same plate for a rectangular
  envelope; a keepout that cuts the drawn plate can change the count by one); the aluminium skin is
  taken to spread each cell's heat over its share of the wetted wall facing the cells (the
  plate's area per cell × channel coverage);
* wall: the 1.5 mm skin, 6061 (its conductivity from stdlib/materials.batt: 167 W/(m·K));
* gap filler: 1 mm at 3 W/(m·K) (physics.md: gap fillers 2–4 W/(m·K)) over the cell's footprint
  on the plate (the end of a round cell, the edge of a flat one).

The result is the temperature at the cell's cooled face ("base"); the core runs hotter by its
own internal resistance, which has no published figure for most cells here. ``fins`` and
``side = sides`` add paths this chain does not include (noted, so the figure is conservative).

Without a cold plate (``none``; ``air`` and ``immersion`` until their loops are modelled) the
pack is one lump that loses heat from its enclosure's skin by free convection and radiation
(``SKIN_H``): its temperature after a full discharge of the SOC window at the continuous load,
with the hottest cell's rise scaled by its heat over the mean cell's. The adiabatic warming rate
and the time to the cell's limit are reported beside it.

The heat stage judges nothing: the as-built check (``passes.asbuilt``) compares these
temperatures with the cell's limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.core.outcome import Outcome
from battgen.models import packaging, thermal
from battgen.passes.layout.types import Placement
from battgen.passes.loads import resistance_at
from battgen.passes.routing.types import Routing

# --- the cold plate as the CAD stage builds it (design rules, mm unless noted) -----------------
COLD_PLATE_SKIN = 1.5  # aluminium above and below the channels
CHANNEL_HEIGHT = 3.0  # channel depth; the width follows from the flow
CHANNEL_MIN_WIDTH = 3.0
CHANNEL_MAX_WIDTH = 12.0  # wider than this: parallel channels instead of one serpentine
CHANNEL_EDGE = 6.0  # channels keep this far from the cold plate's edge (except at the ports)
# Land between parallel channels (design assumption: room for the braze or weld seam). In
# laminar flow h = Nu·k/D_h does not depend on velocity, so what cools is wetted area: parallel
# channels are spread at width + land across the plate, however slow that makes the flow.
CHANNEL_LAND = 6.0
# Mean coolant velocity in the channels, m/s: the middle of the 0.5-1 m/s range used for
# liquid cold plates (design assumption; higher velocity raises the pressure drop as v²).
CHANNEL_VELOCITY = 0.75
COOLANT_RISE = 5.0  # K, inlet-outlet bulk rise when the flow is not stated (ṁ = Q/(cp·ΔT))
TIM_GAP = packaging.TIM_THICKNESS * 1e3  # gap filler between plate and cells: the one the mass model counts
PLATE_RIM = 6.0  # the plate reaches this far beyond the outermost cells' footprints (holder rim 2 + 4)
TIM_CONDUCTIVITY = 3.0  # W/(m·K): middle of the 2–4 W/(m·K) of gap fillers (physics.md)
PLATE_MATERIAL = "aluminium_6061"  # the plate's skin: its conductivity from stdlib/materials.batt
# W/(m²·K): a closed pack's skin to still air, free convection and radiation together — the
# routing's busbar figure (Incropera & DeWitt, Table 1.1: free convection in gases 2–25; radiation
# from a painted or anodised skin at 40 °C adds about 6: 4·ε·σ·T³ with ε = 0.9)
SKIN_H = 10.0
PULSE_SECONDS = 10.0  # s: the USABC 10 s peak-power pulse when the requirement states none
# Specific heat by chemistry when the cell declares none, J/(kg·K), at 30–40 °C and 50 % SOC
# (batterydesign.net, physics.md): NCA 830, NMC 1040, LFP 1130.
SPECIFIC_HEAT = {"nca": 830.0, "lfp": 1130.0}
SPECIFIC_HEAT_DEFAULT = 1040.0  # NMC


@dataclass(frozen=True)
class Heat:
    """The heat analysis of a routed pack. SI: W, K, s, m³/s."""

    cooling: str  # what was analysed: "cold plate (bottom)", "adiabatic (cooling = none)", ...
    current: float  # pack current of the continuous load, A
    cell_heat_total: float  # all cells, W (Bernardi: Joule + reversible)
    cell_heat_joule: float  # the I²R part of it, W
    cell_heat_max: float  # the hottest cell, W
    hottest_cell: int  # PlacedCell index
    busbar_heat: float  # busbars and fuse links at this current, W
    inlet: float  # coolant inlet (or ambient), K
    coolant_flow: float | None  # m³/s
    coolant_rise: float | None  # K, inlet to outlet
    flow_basis: str
    reynolds: float | None
    channels: int | None  # parallel channels (1: a serpentine)
    coverage: float | None  # share of the plate the channels run under
    resistance: float | None  # K/W, coolant bulk to the hottest cell's cooled face
    base_temperature: float | None  # K, the hottest cell's cooled face at the outlet end
    warming_rate: float  # K/s of the hottest cell with no cooling (adiabatic)
    time_to_limit: float | None  # s from the inlet/ambient temperature to the cell's limit, adiabatic
    pulse_current: float  # A in the hottest cell during the pulse
    pulse_seconds: float
    pulse_rise: float  # K, adiabatic, hottest cell over the pulse
    limit: float | None  # K, the cell's upper temperature if declared
    notes: tuple[str, ...] = ()
    discharge_time: float | None = None  # s, a full discharge at the continuous load (no cold plate)
    end_temperature: float | None = None  # K, the hottest cell when it ends (lumped, skin-cooled)

    def summary(self) -> str:
        def c(kelvin: float) -> str:
            return f"{kelvin - 273.15:.1f} °C"

        reversible = self.cell_heat_total - self.cell_heat_joule
        out = (
            f"{self.cell_heat_total:,.0f} W in the cells ({self.cell_heat_joule:,.0f} W Joule, {reversible:,.0f} W "
            f"reversible; {self.cell_heat_max:.2f} W in the hottest, cell {self.hottest_cell}) and "
            f"{self.busbar_heat:,.0f} W in busbars and fuses at {self.current:,.0f} A; "
        )
        if self.coolant_flow is not None:
            out += (
                f"{self.cooling}: coolant {c(self.inlet)} in, +{self.coolant_rise:.1f} K at "
                f"{self.coolant_flow * 6e4:.2f} L/min"
            )
            if self.channels:
                out += f" in {self.channels} channel{'s' if self.channels > 1 else ''} under {self.coverage:.0%} of the plate"
            if self.base_temperature is not None:
                out += f", hottest cell base {c(self.base_temperature)}"
        elif self.end_temperature is not None and self.discharge_time is not None:
            out += (
                f"{self.cooling}: the hottest cell reaches {c(self.end_temperature)} after a full discharge at this "
                f"load ({self.discharge_time / 60:,.0f} min; adiabatic it would warm {self.warming_rate * 60:.2f} K/min)"
            )
        return out + f"; a {self.pulse_seconds:g} s peak pulse adds {self.pulse_rise:.1f} K to the hottest cell"


def specific_heat(cell: ir.Cell) -> float:
    """The cell's declared specific heat, else the chemistry's (physics.md), J/(kg·K)."""
    if cell.specific_heat:
        return cell.specific_heat
    return SPECIFIC_HEAT.get(cell.chemistry.lower(), SPECIFIC_HEAT_DEFAULT)


def coolant_properties(pack: ir.Pack, materials: Mapping[str, ir.Material]) -> tuple[float, float, float, float]:
    """(density kg/m³, cp J/(kg·K), conductivity W/(m·K), viscosity Pa·s) of the pack's coolant;
    the stdlib's 50/50 glycol figures where the material leaves one out."""
    coolant = pack.cooling.coolant_material or materials.get(pack.cooling.coolant) or materials.get("glycol50")

    def get(name: str, default: float) -> float:
        return (getattr(coolant, name, None) or default) if coolant else default

    return get("density", 1064.0), get("specific_heat", 3400.0), get("conductivity", 0.38), get("viscosity", 3.0e-3)


def cell_currents(routing, current: float) -> np.ndarray:
    """Every cell's current, A, at pack ``current``: the solved network scaled linearly."""
    network = routing.network
    scale = current / network.pack_current if network.pack_current else 0.0
    return np.asarray(network.cell_currents, float) * scale


def cell_resistance(pack: ir.Pack) -> float:
    """The cell's resistance the heat is computed with: at the SOC floor, where the load
    cases are (the highest current for a power, the highest resistance of a discharge)."""
    return resistance_at(pack.cell, pack.soc_floor)


def cell_heats(pack: ir.Pack, routing, current: float) -> np.ndarray:
    """Bernardi heat of every cell, W, at pack ``current``."""
    return thermal.cell_heat(cell_currents(routing, current), cell_resistance(pack), pack.ambient, pack.cell)


def design_flow(pack: ir.Pack, cell_heat_total: float, materials: Mapping[str, ir.Material]) -> tuple[float, str]:
    """Coolant volume flow, m³/s, and where it came from: stated, or sized for COOLANT_RISE."""
    if pack.cooling.flow:
        return pack.cooling.flow, "stated"
    rho, cp, _, _ = coolant_properties(pack, materials)
    m_dot = thermal.coolant_mass_flow(cell_heat_total, cp, COOLANT_RISE)
    return max(float(m_dot) / rho, 1e-7), f"{cell_heat_total:.0f} W of cell heat, {COOLANT_RISE:.0f} K coolant rise"


def channel_design(flow: float, short_side: float) -> tuple[int, float, float]:
    """(channels, width mm, coverage) for ``flow`` m³/s in CHANNEL_HEIGHT-deep channels across a
    plate ``short_side`` mm wide; coverage is the share of the plate the channels run under.
    A plate that holds three or more CHANNEL_MAX_WIDTH channels at CHANNEL_LAND apart gets as
    many as fit, in parallel (more if CHANNEL_VELOCITY needs them): in laminar flow the wetted
    area, not the velocity, sets the transfer. A smaller plate gets one serpentine sized for
    CHANNEL_VELOCITY, at a pitch of max(3 × width, 12 mm)."""
    needed = flow / CHANNEL_VELOCITY * 1e6 / CHANNEL_HEIGHT  # total width at the velocity limit
    usable = max(short_side - 2 * CHANNEL_EDGE - CHANNEL_MAX_WIDTH, 0.0)
    fit = int(usable // (CHANNEL_MAX_WIDTH + CHANNEL_LAND)) + 1
    if fit >= 3 or needed > CHANNEL_MAX_WIDTH:
        n = max(fit, math.ceil(needed / CHANNEL_MAX_WIDTH), 2)
        return n, CHANNEL_MAX_WIDTH, min(n * CHANNEL_MAX_WIDTH / (usable + CHANNEL_MAX_WIDTH), 1.0) if usable else 1.0
    width = max(needed, CHANNEL_MIN_WIDTH)
    return 1, width, min(width / max(3.0 * width, 12.0), 1.0)


def plate_short_side(layout, envelope=None) -> float:
    """The cold plate's short side, mm, as the CAD stage draws it: the cells' extent, their
    footprints and PLATE_RIM each side, kept 0.5 mm inside the envelope's wall clearance (2 mm
    when none is declared). Exact for a rectangular envelope; keepouts are not subtracted."""
    if not layout.cells:
        return 0.0
    xy = np.array([(c.x, c.y) for c in layout.cells]) * 1e3
    lo = xy.min(axis=0) - max(layout.footprint) * 1e3 / 2 - PLATE_RIM
    hi = xy.max(axis=0) + max(layout.footprint) * 1e3 / 2 + PLATE_RIM
    if envelope is not None:
        x0, y0, x1, y1 = (v * 1e3 for v in envelope.outline.bounds)
        inset = (envelope.wall * 1e3 if envelope.wall > 0 else 2.0) + 0.5
        lo = np.maximum(lo, (x0 + inset, y0 + inset))
        hi = np.minimum(hi, (x1 - inset, y1 - inset))
    return float(max(min(hi - lo), 0.0))


def _footprint(cell: ir.Cell) -> float:
    """Area of the cell's face on the plate, m²: a round cell's end, a flat cell's edge."""
    f = cell.format
    return math.pi / 4 * f.diameter**2 if f.kind == "cylindrical" else f.width * f.thickness


@dataclass(frozen=True)
class _Plate:
    """The cold-plate chain's figures (``_cold_plate``)."""

    label: str
    flow: float
    basis: str
    rise: float
    reynolds: float | None = None
    channels: int | None = None
    coverage: float | None = None
    resistance: float | None = None
    base: float | None = None
    notes: tuple[str, ...] = ()


def _cold_plate(pack, layout, materials, q_total: float, q_max: float, inlet: float) -> _Plate:
    """Coolant flow and rise, and the chain from the coolant to the hottest cell's cooled face."""
    cooling, cell = pack.cooling, pack.cell
    rho, cp, k, mu = coolant_properties(pack, materials)
    flow, basis = design_flow(pack, q_total, materials)
    rise = q_total / (flow * rho * cp)
    label = f"cold plate ({cooling.side})"
    if cooling.side not in ("bottom", "top"):
        note = "side = sides: the path from the cell faces into the cooled fins is not modelled; only the coolant flow and rise are"
        return _Plate(label + ", coolant only", flow, basis, rise, notes=(note,))
    n, width, coverage = channel_design(flow, plate_short_side(layout, pack.envelope))
    w, h = width * 1e-3, CHANNEL_HEIGHT * 1e-3
    d_h = 2 * w * h / (w + h)
    reynolds = rho * (flow / (n * w * h)) * d_h / mu
    h_conv = float(thermal.laminar_h(k, d_h))
    wetted = layout.pitch[0] * layout.pitch[1] * coverage  # plate area per cell × coverage, m²
    foot = _footprint(cell)
    k_plate = materials[PLATE_MATERIAL].conductivity
    resistance = (
        TIM_GAP * 1e-3 / (TIM_CONDUCTIVITY * foot) + COLD_PLATE_SKIN * 1e-3 / (k_plate * foot) + 1.0 / (h_conv * wetted)
    )
    notes = []
    if reynolds > 2300:
        notes.append(f"channel Reynolds number {reynolds:,.0f}: turbulent, the laminar Nu = 4.36 is conservative")
    if cooling.fins:
        notes.append(
            f"the {cooling.fins * 1e3:g} mm fins between the cells add a path not in this chain: the figure is conservative"
        )
    base = inlet + rise + q_max * resistance
    return _Plate(label, flow, basis, rise, reynolds, n, coverage, resistance, base, tuple(notes))


def enclosure_surface(pack: ir.Pack, layout) -> float:
    """The outer surface of the pack's enclosure, m²: the envelope box (floor, lid and walls)
    where there is one, else the cells' bounding box with the estimate's height allowance."""
    box = packaging.enclosure_box(pack.envelope)
    if box is not None:
        area, perimeter, height = box
        return 2 * area + perimeter * height
    xy = np.array([(c.x, c.y) for c in layout.cells]) if layout.cells else np.zeros((1, 2))
    w, d = (xy.max(axis=0) - xy.min(axis=0)) + np.array(layout.footprint)
    height = layout.cell_height * layout.layers + packaging.HEIGHT_ALLOWANCE
    return float(2 * w * d + 2 * (w + d) * height)


@dataclass(frozen=True)
class _Lumped:
    """A pack without a cold plate as one lump losing heat from its enclosure's skin."""

    label: str
    discharge_time: float  # s: a full discharge of the SOC window at the continuous load
    end_temperature: float  # K: the hottest cell when that discharge ends
    steady_rise: float  # K: the pack's rise if the load were held for ever
    notes: tuple[str, ...]


def _lumped(pack, layout, heat_total: float, q_max: float, q_mean: float, i_cell: float, inlet: float) -> _Lumped:
    """m·cp·dT/dt = Q − h·A·(T − T∞) for all the cells (their heat capacity alone: the lump
    is conservative), from ``inlet``, over one full discharge at the continuous load; the
    hottest cell's rise is the pack's scaled by its heat over the mean cell's."""
    cell = pack.cell
    h_area = SKIN_H * enclosure_surface(pack, layout)
    capacity = len(layout.cells) * cell.mass * specific_heat(cell)
    window = max(pack.soc_high - pack.soc_low, 0.0)
    t_end = cell.capacity * window / i_cell if i_cell > 0 else math.inf
    steady = heat_total / h_area if h_area > 0 else math.inf
    fraction = 1.0 - math.exp(-t_end * h_area / capacity) if math.isfinite(t_end) else 1.0
    hot = q_max / q_mean if q_mean > 0 else 1.0
    end = inlet + steady * fraction * hot
    kind = pack.cooling.kind
    notes = [
        f"{kind}: the pack loses heat from its enclosure's skin only, h = {SKIN_H:g} W/(m²·K) (free convection "
        "and radiation); the cells' heat capacity alone is counted"
    ]
    if kind in ("air", "immersion"):
        notes.append(f"the {kind} loop itself is not modelled: the figure is conservative")
    return _Lumped(f"lumped, skin-cooled (cooling = {kind})", t_end, end, steady, tuple(notes))


def analyse(pack: ir.Pack, layout, routing, candidate, materials: Mapping[str, ir.Material]) -> Heat:
    """Heat in every cell at the continuous load, the cooling's answer to it, and the pulse."""
    cell = pack.cell
    loads = candidate.loads
    current = loads.continuous.current
    r_cell = cell_resistance(pack)
    i = cell_currents(routing, current)
    q = thermal.cell_heat(i, r_cell, pack.ambient, cell)
    joule = float(thermal.joule_heat(i, r_cell).sum())
    network = routing.network
    scale = current / network.pack_current if network.pack_current else 0.0
    hottest = int(np.argmax(q)) if q.size else 0
    q_max = float(q[hottest]) if q.size else 0.0
    q_total = float(q.sum())
    busbar_heat = (network.busbar_loss + network.fuse_loss) * scale**2
    cp_cell = specific_heat(cell)
    inlet = pack.cooling.inlet_temperature or pack.ambient
    warming = q_max / (cell.mass * cp_cell)
    limit = cell.max_temperature
    to_limit = (limit - inlet) / warming if limit is not None and warming > 0 and limit > inlet else None
    pulse_s = loads.peak.duration or PULSE_SECONDS
    pulse_i = abs(float(cell_currents(routing, loads.peak.current)[hottest])) if i.size else 0.0
    pulse_q = float(thermal.cell_heat(pulse_i, r_cell, pack.ambient, cell))
    pulse_rise = float(thermal.adiabatic_rise(pulse_q, cell.mass, cp_cell, pulse_s))
    plate = lump = None
    if pack.cooling.kind == "cold_plate":
        plate = _cold_plate(pack, layout, materials, q_total, q_max, inlet)
        notes = list(plate.notes)
    else:
        i_cell = current / max(layout.parallel, 1)
        lump = _lumped(pack, layout, q_total + busbar_heat, q_max, q_total / max(q.size, 1), i_cell, inlet)
        notes = list(lump.notes)
    if plate is not None and plate.base is not None and layout.layers > 1:
        notes.append(
            f"{layout.layers} layers of cells: only the layer on the plate has this chain; the others cool through it"
        )
    return Heat(
        plate.label if plate else lump.label if lump else "",
        current,
        q_total,
        joule,
        q_max,
        hottest,
        busbar_heat,
        inlet,
        plate.flow if plate else None,
        plate.rise if plate else None,
        plate.basis if plate else "",
        plate.reynolds if plate else None,
        plate.channels if plate else None,
        plate.coverage if plate else None,
        plate.resistance if plate else None,
        plate.base if plate else None,
        warming,
        to_limit,
        pulse_i,
        pulse_s,
        pulse_rise,
        limit,
        tuple(notes),
        discharge_time=lump.discharge_time if lump else None,
        end_temperature=lump.end_temperature if lump else None,
    )


def heat_stage(
    pack: ir.Pack, placement: Placement, routing: Routing, materials: Mapping[str, ir.Material]
) -> Outcome[Heat]:
    """Analyse the routed pack as placed (the placed candidate's currents)."""
    return Outcome(analyse(pack, placement.layout, routing, placement.candidate, materials))
