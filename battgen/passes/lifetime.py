"""Lifetime on the real duty: BLAST-Lite's model of the cell's chemistry (``models.lifetime``),
driven by the pack's own load cases and the heat stage's cell temperatures.

The duty (``models.duty``): every day two drives at the **continuous load case** (the
sustained load the pack is built for: ``passes.loads``), each taking half of the pack's ``dod``,
and a charge back to the top of the window at the **charge load case**, parked at ``ambient``
the rest of the day. The SOC window starts at ``soc`` high (``pack.soc_high``).

The temperature of a cell follows its heat with a first-order lag, T' = (T_ss − T)/τ, solved
exactly step by step over two days (the second is periodic):

* with a cold plate, T_ss = coolant inlet + the coolant's rise at that current (the hottest cell
  at the outlet, the mean cell half-way) + the cell's Bernardi heat × the heat stage's
  resistance from the coolant to the cell's cooled face; τ = m·cp·R. Parked: the ambient, the
  same τ (the pump runs until the pack is at the coolant's temperature);
* without (``none``, ``air``, ``immersion`` until modelled, as in ``passes.heat``): the pack is
  one lump losing heat from its enclosure's skin, T_ss = ambient + Q_pack/(h·A), the hottest
  cell's rise scaled by its heat over the mean cell's; τ = N·m·cp/(h·A) — hours, so the pack
  carries the drive's heat into the evening.

The heat at any current is the heat stage's: every cell's current from the solved network
scaled to the pack's (``heat.cell_heats``). The hottest cell is the heat stage's; the mean cell
has the mean heat. Both lives are simulated; years and equivalent full cycles to 80 % of each,
and the pack's capacity over time (the hottest cell's group sets it: the string stops when its
weakest group is empty).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Severity
from battgen.core.outcome import Outcome
from battgen.models import duty as duty_model
from battgen.models import lifetime as life_model
from battgen.passes import heat as heat_pass
from battgen.passes.heat import Heat
from battgen.passes.layout.types import Placement
from battgen.passes.routing.types import Routing

CURVE_POINTS = 60  # points of the capacity curve kept for the plot and design.json
# s: the time constant of a cell cooled from its sides, whose path to the fins the heat stage
# does not model (design assumption: ten minutes, the order of m·cp·R of the bottom plate's cells)
UNMODELLED_TAU = 600.0


@dataclass(frozen=True)
class CellLife:
    """One cell's life on the duty. Temperatures K; the curve is (years, equivalent full cycles,
    relative capacity) from the start to 80 % or the horizon."""

    cell: str  # "hottest" | "mean"
    index: int | None  # the PlacedCell (the hottest), None for the mean cell
    temperature_mean: float  # time average over the day
    temperature_max: float  # the day's highest
    years_to_80: float | None  # None: beyond the horizon
    efc_to_80: float | None
    capacity_at_horizon: float  # relative capacity at the end of the curve
    curve: tuple[tuple[float, float, float], ...]

    def years_text(self) -> str:
        return (
            f"{self.years_to_80:.1f} years" if self.years_to_80 is not None else f"beyond {life_model.HORIZON:g} years"
        )


@dataclass(frozen=True)
class Duty:
    """The day the pack ages on (``models.duty``), in the pack's terms."""

    dod: float  # the day's swing asked (``dod``)
    swing: float  # what the day really discharges and recharges
    soc_high: float
    drive_current: float  # pack current while driving, A (the continuous load case)
    drive_rate: float  # C-rate of a cell, 1/h
    drive_hours: float  # both drives
    charge_current: float  # A (the charge load case)
    charge_rate: float
    charge_hours: float
    efc_per_year: float
    ambient: float  # K
    basis: str


@dataclass(frozen=True)
class Lifetime:
    model: str  # BLAST-Lite class
    model_cell: str
    model_source: str
    model_note: str  # why it stands in for the chemistry ("" when it is the chemistry's own)
    duty: Duty
    hottest: CellLife
    mean: CellLife
    pack_capacity: float  # Ah at the start (P × cell capacity)
    horizon: float  # years simulated at most
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        h, m = self.hottest, self.mean
        efc = f"{h.efc_to_80:,.0f} cycles" if h.efc_to_80 is not None else "the horizon's cycles"
        return (
            f"{self.model} ({self.model_cell}): on {self.duty.swing:.0%} a day at {self.duty.drive_rate:.2f} C, "
            f"charged at {self.duty.charge_rate:.2f} C, the hottest cell ({h.temperature_mean - 273.15:.1f} °C mean, "
            f"{h.temperature_max - 273.15:.1f} °C peak) keeps 80 % for {h.years_text()} ({efc}); the mean cell "
            f"({m.temperature_mean - 273.15:.1f} °C) for {m.years_text()}"
        )


# --- temperatures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Thermal:
    """How the hottest and the mean cell answer heat: steady temperature at a pack current, and
    the time constant (s)."""

    pack: ir.Pack
    routing: Routing
    heat: Heat
    n_cells: int
    tau: float
    plate: bool
    flow_capacity: float | None  # W/K: coolant ṁ·cp
    h_area: float | None  # W/K: skin
    notes: tuple[str, ...]

    def steady(self, current: float) -> tuple[float, float]:
        """(hottest, mean) steady temperature, K, at pack ``current`` (negative: charging)."""
        pack, heat = self.pack, self.heat
        if current == 0.0:
            return pack.ambient, pack.ambient
        q = heat_pass.cell_heats(pack, self.routing, current)
        q_hot = float(q[heat.hottest_cell]) if q.size else 0.0
        q_mean = float(q.mean()) if q.size else 0.0
        total = float(q.sum())
        if self.plate:
            inlet = heat.inlet
            rise = total / self.flow_capacity if self.flow_capacity else 0.0
            r = heat.resistance or 0.0
            return inlet + rise + q_hot * r, inlet + rise / 2 + q_mean * r
        rise = total / self.h_area if self.h_area else 0.0
        share = q_hot / q_mean if q_mean > 0 else 1.0
        return pack.ambient + rise * share, pack.ambient + rise


def _thermal(pack: ir.Pack, layout, routing: Routing, heat: Heat, materials: Mapping[str, ir.Material]) -> _Thermal:
    cell = pack.cell
    cp = heat_pass.specific_heat(cell)
    n = len(layout.cells)
    notes = []
    if heat.coolant_flow is not None:
        rho, cp_cool, _, _ = heat_pass.coolant_properties(pack, materials)
        r = heat.resistance
        if r is None:
            notes.append("side cooling: the cells' path to the fins is not modelled; the coolant's temperature only")
        tau = cell.mass * cp * r if r else UNMODELLED_TAU
        return _Thermal(pack, routing, heat, n, tau, True, heat.coolant_flow * rho * cp_cool, None, tuple(notes))
    h_area = heat_pass.SKIN_H * heat_pass.enclosure_surface(pack, layout)
    tau = n * cell.mass * cp / h_area if h_area > 0 else math.inf
    return _Thermal(pack, routing, heat, n, tau, False, None, h_area, tuple(notes))


def _temperatures(model: _Thermal, day: duty_model.Day, currents: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """The hottest and the mean cell's temperature (K) at each step of ``day``: first order
    towards each phase's steady temperature, two days from the ambient (the second returned)."""
    targets = {phase: model.steady(i) for phase, i in currents.items()}
    hot = np.array([targets[p][0] for p in day.phase])
    mean = np.array([targets[p][1] for p in day.phase])
    decay = math.exp(-duty_model.STEP / model.tau) if math.isfinite(model.tau) and model.tau > 0 else 1.0
    out = []
    for target in (hot, mean):
        t = model.pack.ambient
        for _ in range(2):
            trace = np.empty_like(target)
            for k, aim in enumerate(target):
                trace[k] = t
                t = aim + (t - aim) * decay
        out.append(trace)
    return out[0], out[1]


# --- the stage ---------------------------------------------------------------------------------


def _duty(pack: ir.Pack, placement: Placement) -> tuple[duty_model.Day, Duty, dict[int, float]]:
    cell, candidate = pack.cell, placement.candidate
    loads = candidate.loads
    assert loads is not None
    ah = cell.capacity / 3600.0
    drive_rate = loads.continuous.cell_current(candidate.parallel) / ah
    charge_rate = loads.charge.cell_current(candidate.parallel) / ah
    day = duty_model.ev_day(pack.soc_high, pack.depth_of_discharge, drive_rate, charge_rate)
    duty = Duty(
        pack.depth_of_discharge,
        day.swing,
        pack.soc_high,
        loads.continuous.current,
        drive_rate,
        day.drive_hours,
        loads.charge.current,
        charge_rate,
        day.charge_hours,
        day.efc_per_day * 365.0,
        pack.ambient,
        f"two drives a day at the continuous load ({loads.continuous.basis}), a charge at the charge load "
        f"({loads.charge.basis}), parked at {pack.ambient - 273.15:g} °C between",
    )
    return day, duty, {0: 0.0, 1: loads.continuous.current, 2: -loads.charge.current}


def _life(which: str, index: int | None, model: life_model.Model, day, temperature: np.ndarray) -> tuple:
    t, soc, temp = duty_model.week(day, temperature - 273.15)
    ageing = life_model.simulate(model, t, soc, temp)
    keep = np.unique(np.linspace(0, len(ageing.q) - 1, CURVE_POINTS).round().astype(int))
    curve = tuple((float(ageing.years[k]), float(ageing.efc[k]), float(ageing.q[k])) for k in keep)
    life = CellLife(
        which,
        index,
        float(temperature.mean()),
        float(temperature.max()),
        ageing.years_to_80,
        ageing.efc_to_80,
        float(ageing.q[-1]),
        curve,
    )
    return life, ageing


def analyse(
    pack: ir.Pack, placement: Placement, routing: Routing, heat: Heat, materials: Mapping[str, ir.Material]
) -> Lifetime:
    """Both cells' lives on the pack's duty."""
    cell, layout = pack.cell, placement.layout
    model = life_model.model_for(cell.chemistry, cell.format.kind)
    day, duty, currents = _duty(pack, placement)
    thermal_model = _thermal(pack, layout, routing, heat, materials)
    hot_t, mean_t = _temperatures(thermal_model, day, currents)
    hottest, ageing = _life("hottest", heat.hottest_cell, model, day, hot_t)
    mean, _ = _life("mean", None, model, day, mean_t)
    notes = list(day.notes) + list(thermal_model.notes)
    outside = life_model.outside_range(ageing, hot_t - 273.15, duty.swing, duty.charge_rate, max(duty.drive_rate, 0.0))
    if outside:
        notes.append(f"{model.name} is used outside the data it was fitted to: " + "; ".join(outside))
    if model.why:
        notes.append(model.why)
    notes.append("BLAST-Lite's README: pack life runs 20-30 % below cell life (cell-to-cell spread); not applied here")
    return Lifetime(
        model.name,
        model.cell,
        model.source,
        model.why,
        duty,
        hottest,
        mean,
        layout.parallel * cell.capacity / 3600.0,
        life_model.HORIZON,
        tuple(notes),
    )


def lifetime_stage(
    pack: ir.Pack, placement: Placement, routing: Routing, heat: Heat, materials: Mapping[str, ir.Material]
) -> Outcome[Lifetime]:
    """The lifetime of the placed, routed and heated pack; W740 (and no lifetime) when BLAST-Lite
    cannot be imported."""
    missing = life_model.available()
    if missing is not None:
        return Outcome(
            None,
            (
                Diagnostic(
                    "W740",
                    f"lifetime on the duty not computed: BLAST-Lite cannot be imported ({missing})",
                    pack.name_span,
                    "install it as the Makefile does: pip install --no-deps blast-lite==1.1.1 "
                    "(its other imports are battgen's dependencies)",
                    Severity.WARNING,
                ),
            ),
        )
    return Outcome(analyse(pack, placement, routing, heat, materials))
