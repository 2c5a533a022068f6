"""Heat: how hot the cells run at the pack's continuous load, and during a peak pulse.

``analyse(pack, layout, routing, candidate) -> Heat`` reads the routed network's current in
every cell, so the hottest cell is the one the busbar geometry loads most, not an average.
``heat_stage`` is the pipeline's door (sets ``build.heat``); the CAD stage sizes its coolant
channels with ``design_flow`` and ``channel_design`` from here, so the model drawn and the
model analysed are the same.

Load. The continuous current is the one synthesis rated the heat at (``continuous_power``
requirement over the nominal voltage, else the cells' continuous rating): the network is
linear, so each cell's current scales with the pack's. Heat per cell: Bernardi (1985), I²R
plus the reversible term (``models.thermal.cell_heat``). The pulse: the peak current for the
``power`` requirement's duration (10 s if none is given — the USABC pulse), adiabatic
(``models.thermal.adiabatic_rise``).

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
With ``none``, ``air`` or ``immersion`` the figure is the adiabatic one: how fast the cells
warm at the continuous load and how long they take to reach their limit (``temperature`` of
the cell), since neither natural convection inside a closed pack nor the air or fluid loop is
modelled.

A cell over its declared upper temperature at the continuous load is W703.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Severity
from battgen.core.outcome import Outcome
from battgen.models import packaging, thermal
from battgen.passes.layout.types import Placement
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
    diagnostics: tuple = ()

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
        else:
            out += f"{self.cooling}: the hottest cell warms {self.warming_rate * 60:.2f} K/min"
            if self.time_to_limit is not None:
                out += f", reaching its {c(self.limit)} limit after {self.time_to_limit / 60:,.0f} min"
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


def cell_heats(pack: ir.Pack, routing, current: float) -> np.ndarray:
    """Bernardi heat of every cell, W, at pack ``current``."""
    return thermal.cell_heat(cell_currents(routing, current), pack.cell.resistance, pack.ambient, pack.cell.chemistry)


def continuous_current(candidate) -> float:
    """The pack current synthesis rated the heat at: √(heat / R)."""
    return math.sqrt(max(candidate.heat, 0.0) / candidate.resistance) if candidate.resistance > 0 else 0.0


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


def analyse(pack: ir.Pack, layout, routing, candidate, materials: Mapping[str, ir.Material]) -> Heat:
    cell = pack.cell
    current = continuous_current(candidate)
    i = cell_currents(routing, current)
    q = thermal.cell_heat(i, cell.resistance, pack.ambient, cell.chemistry)
    joule = float(thermal.joule_heat(i, cell.resistance).sum())
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

    power = pack.requirements.get("power")
    pulse_s = power.duration if power is not None and power.duration else PULSE_SECONDS
    i_hot = abs(float(i[hottest])) if i.size else 0.0
    pulse_i = i_hot * (candidate.peak_current / current) if current > 0 else 0.0
    pulse_q = float(thermal.cell_heat(pulse_i, cell.resistance, pack.ambient, cell.chemistry))
    pulse_rise = float(thermal.adiabatic_rise(pulse_q, cell.mass, cp_cell, pulse_s))

    notes: list[str] = []
    cooling = pack.cooling
    flow = rise = reynolds = resistance = base = n = coverage = None
    basis = ""
    if cooling.kind == "cold_plate":
        rho, cp, k, mu = coolant_properties(pack, materials)
        flow, basis = design_flow(pack, q_total, materials)
        rise = q_total / (flow * rho * cp)
        label = f"cold plate ({cooling.side})"
        if cooling.side in ("bottom", "top"):
            n, width, coverage = channel_design(flow, plate_short_side(layout, pack.envelope))
            w, h = width * 1e-3, CHANNEL_HEIGHT * 1e-3
            d_h = 2 * w * h / (w + h)
            velocity = flow / (n * w * h)
            reynolds = rho * velocity * d_h / mu
            h_conv = float(thermal.laminar_h(k, d_h))
            per_cell = layout.pitch[0] * layout.pitch[1]  # plate area per cell, m²
            wetted = per_cell * coverage
            foot = _footprint(cell)
            k_plate = materials[PLATE_MATERIAL].conductivity
            resistance = (
                TIM_GAP * 1e-3 / (TIM_CONDUCTIVITY * foot)
                + COLD_PLATE_SKIN * 1e-3 / (k_plate * foot)
                + 1.0 / (h_conv * wetted)
            )
            base = inlet + rise + q_max * resistance
            if reynolds > 2300:
                notes.append(
                    f"channel Reynolds number {reynolds:,.0f}: turbulent, the laminar Nu = 4.36 is conservative"
                )
            if cooling.fins:
                notes.append(
                    f"the {cooling.fins * 1e3:g} mm fins between the cells add a path not in this chain: "
                    "the figure is conservative"
                )
        else:
            notes.append(
                "side = sides: the path from the cell faces into the cooled fins is not modelled; "
                "only the coolant flow and rise are"
            )
            label += ", coolant only"
    else:
        label = f"adiabatic (cooling = {cooling.kind})"
        notes.append("no convection or coolant loop modelled: the adiabatic warming is an upper bound")
    if base is not None and getattr(layout, "layers", 1) > 1:
        notes.append(
            f"{layout.layers} layers of cells: only the layer on the plate has this chain; the others cool through it"
        )
    diagnostics = []
    if limit is not None and base is not None and base > limit:
        span = pack.property_spans.get("cooling", pack.span)
        diagnostics.append(
            Diagnostic(
                "W703",
                f"at the continuous load ({current:,.0f} A) the hottest cell's cooled face reaches "
                f"{base - 273.15:.1f} °C, above `{cell.name}`'s {limit - 273.15:.0f} °C limit",
                span,
                "lower the coolant inlet temperature, put more cells in parallel (less current each), or cool a larger "
                "area of each cell (fins, side cooling): in laminar channels more flow only lowers the coolant's rise",
                Severity.WARNING,
            )
        )
    return Heat(
        label,
        current,
        q_total,
        joule,
        q_max,
        hottest,
        busbar_heat,
        inlet,
        flow,
        rise,
        basis,
        reynolds,
        n,
        coverage,
        resistance,
        base,
        warming,
        to_limit,
        pulse_i,
        pulse_s,
        pulse_rise,
        limit,
        tuple(notes),
        tuple(diagnostics),
    )


def heat_stage(
    pack: ir.Pack, placement: Placement, routing: Routing, materials: Mapping[str, ir.Material]
) -> Outcome[Heat]:
    """Analyse the routed pack as placed (the placed candidate's currents)."""
    heat = analyse(pack, placement.layout, routing, placement.candidate, materials)
    return Outcome(heat, tuple(heat.diagnostics))
