"""Fault isolation: the pack's short-circuit current at its terminals, a group's fault current
through its neighbours, and whether the pack fuse (or pyro-fuse) and the cell fuse links open
in the right order, with their time-current curves.

* **Pack short circuit** at the terminals: I = S·OCV/R_pack, the cells at full charge (their
  open-circuit voltage at the pack's upper SOC) behind the pack's routed resistance (the solved
  network's, ``NetworkSolution.pack_resistance``), a bolted fault (no external resistance).
* **Group fault** (one cell shorted inside): its P − 1 neighbours discharge into it through
  their fuse links and its own; routing sizes each link for it (``FuseLink.fault_current`` and
  ``clearing_time``, Onderdonk, adiabatic). A link's time at another current follows the
  adiabatic I²t: t = t_ref·(I_ref/I)².
* **Pack fuse**: the Eaton Bussmann EV series (Technical Data 10563: EV20/EV25/EV30, 500 Vdc,
  50-400 A, 20 kA DC interrupting, "operation as low as 200 % overload"): the smallest rating
  of the series that carries the continuous load and that the peak pulse does not take to its
  200 % minimum breaking current. The series' per-rating I²t was not found; the pre-arc and
  clearing I²t of the same maker's 690 V square-body fuses (170M, BIF 720018: 25 A 19/130;
  50 A 95/640; 100 A 620/4,150; 200 A 3,400/23,000; 400 A 18,000/125,000 A²s, log-log between)
  stand in, for scale only; its curve is drawn where it is adiabatic (under 10 ms).
* **Pyro-fuse**: fired by the BMS at ``PYRO_FACTOR`` × the peak load current (a setting, stated),
  opens in under 1 ms and breaks 2-16 kA at up to 800 V (Joyson pyrotechnic battery disconnect,
  Automotive News, 9 Apr 2023; secondary).

Coordination: at a terminal short the pack's device must open before the cell links (each cell
carries about I_sc/P); at a cell's internal short its own link must open before its neighbours'
(each carries 1/(P − 1) of the fault: (P − 1)² times slower) — in a 2p group they open
together (W732).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.models import ocv as ocv_model
from battgen.passes.routing.types import Routing
from battgen.passes.synthesis import Candidate

EV_RATINGS = (50.0, 63.0, 80.0, 100.0, 125.0, 160.0, 200.0, 250.0, 315.0, 350.0, 400.0)  # A, EV20/25/30 range
EV_INTERRUPT = 20e3  # A DC, Eaton 10563
EV_VOLTAGE = 500.0  # V DC
MIN_BREAKING = 2.0  # × rating: "operation as low as 200 % overload"
# 170M square-body (BIF 720018): rating A → (pre-arc, clearing) I²t, A²s
SQUARE_BODY_I2T = (
    (25.0, 19.0, 130.0),
    (50.0, 95.0, 640.0),
    (100.0, 620.0, 4150.0),
    (200.0, 3400.0, 23000.0),
    (400.0, 18000.0, 125000.0),
)
PYRO_FACTOR = 2.0  # the BMS fires the pyro-fuse at twice the peak load current (a setting)
PYRO_TIME = 1e-3  # s, "less than 1 millisecond"
PYRO_RANGE = (2000.0, 16000.0)  # A, Joyson
PYRO_VOLTAGE = 800.0
ADIABATIC = 0.01  # s: a fuse's I²t line is drawn below this


@dataclass(frozen=True)
class Device:
    """A protective device and its time-current curve (current A, time s, points along it)."""

    name: str
    rating: float  # A (the pyro-fuse: its firing threshold)
    curve: tuple[tuple[float, float], ...]
    basis: str


@dataclass(frozen=True)
class Coordination:
    case: str  # "short at the pack terminals", "internal short of one cell"
    current: float  # A through the device that should open
    should_open: str
    opens_first: str
    time_should: float  # s
    time_other: float  # s

    @property
    def ok(self) -> bool:
        return self.should_open == self.opens_first

    def as_json(self) -> dict:
        """The fields, with ``ok``."""
        import dataclasses

        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {**out, "ok": self.ok}


@dataclass(frozen=True)
class Faults:
    pack_short: float  # A, bolted, at the terminals
    pack_resistance: float  # ohm
    pack_voltage: float  # V open circuit, full charge
    group_fault: float | None  # A into a shorted cell from its neighbours (None: no cell links)
    devices: tuple[Device, ...]
    coordination: tuple[Coordination, ...]
    notes: tuple[str, ...] = ()


def _i2t(rating: float) -> tuple[float, float]:
    r, pre, clear = (np.array(col) for col in zip(*SQUARE_BODY_I2T))
    x = math.log(rating)
    return float(np.exp(np.interp(x, np.log(r), np.log(pre)))), float(np.exp(np.interp(x, np.log(r), np.log(clear))))


def _adiabatic(i2t: float, low: float, high: float) -> tuple[tuple[float, float], ...]:
    currents = np.geomspace(low, high, 12)
    return tuple((float(i), float(i2t / i**2)) for i in currents)


def analyse(pack: ir.Pack, candidate: Candidate, routing: Routing | None) -> Faults | None:
    """The fault currents and the devices' coordination (None without a routed network)."""
    if routing is None:
        return None
    cell, series, parallel = pack.cell, candidate.series, candidate.parallel
    ocv = float(ocv_model.ocv_scaled(cell.chemistry, pack.soc_high, cell.min_voltage, cell.max_voltage))
    voltage = series * ocv
    resistance = routing.network.pack_resistance
    short = voltage / resistance
    loads = candidate.loads
    continuous = loads.continuous.current if loads is not None else cell.max_discharge_current * parallel
    peak = loads.peak.current if loads is not None else continuous
    notes = []
    devices = []
    rating = next((r for r in EV_RATINGS if r >= continuous and peak < MIN_BREAKING * r), None)
    fuse_time = math.inf
    if rating is not None:
        pre, clear = _i2t(rating)
        devices.append(
            Device(
                f"pack fuse {rating:.0f} A (EV series, {EV_VOLTAGE:.0f} Vdc, {EV_INTERRUPT / 1e3:.0f} kA)",
                rating,
                _adiabatic(clear, math.sqrt(clear / ADIABATIC), max(short, 10 * rating) * 2),
                "Eaton 10563 ratings; clearing I²t of the 170M square-body fuse of that rating (scale only)",
            )
        )
        fuse_time = clear / short**2
        if short > EV_INTERRUPT:
            notes.append(
                f"the pack's {short / 1e3:.1f} kA terminal short exceeds the EV fuse's {EV_INTERRUPT / 1e3:.0f} kA rating"
            )
        if voltage > EV_VOLTAGE:
            notes.append(f"the pack's {voltage:.0f} V exceeds the EV fuse's {EV_VOLTAGE:.0f} Vdc rating")
    else:
        notes.append(
            f"no fuse of the EV series (50-400 A) carries {continuous:.0f} A continuous and {peak:.0f} A peak: "
            "the pyro-fuse alone protects the pack"
        )
    threshold = PYRO_FACTOR * peak
    devices.append(
        Device(
            f"pyro-fuse fired at {threshold:,.0f} A",
            threshold,
            ((threshold, 100.0), (threshold, PYRO_TIME), (max(short, threshold) * 2, PYRO_TIME)),
            "BMS trigger at twice the peak load; < 1 ms, 2-16 kA (Joyson, secondary)",
        )
    )
    pyro_time = PYRO_TIME if short >= threshold else math.inf
    if short > PYRO_RANGE[1]:
        notes.append(f"the {short / 1e3:.1f} kA terminal short is beyond the pyro-fuse's 16 kA breaking range")
    coordination = []
    group_fault = None
    if routing.fuses:
        link = min(routing.fuses, key=lambda f: f.clearing_time / max(f.fault_current, 1e-9) ** 2)  # the fastest
        ref_i, ref_t = link.fault_current, link.clearing_time

        def link_time(current: float) -> float:
            return ref_t * (ref_i / current) ** 2 if current > 0 else math.inf

        devices.append(
            Device(
                f"cell fuse link ({link.kind.replace('_', ' ')}, {link.material})",
                link.rating,
                tuple((float(i), float(link_time(i))) for i in np.geomspace(link.fusing_current, 50 * ref_i, 12)),
                "routing's Onderdonk sizing, adiabatic I²t through its fault point",
            )
        )
        group_fault = ref_i
        pack_device_time = min(pyro_time, fuse_time)
        pack_device = "pyro-fuse" if pyro_time <= fuse_time else "pack fuse"
        per_cell = short / parallel
        t_link = link_time(per_cell)
        coordination.append(
            Coordination(
                "short at the pack terminals",
                short,
                pack_device,
                pack_device if pack_device_time < t_link else "cell fuse links",
                pack_device_time,
                t_link,
            )
        )
        neighbours = parallel - 1
        if neighbours >= 1:
            t_neighbour = link_time(ref_i / neighbours)
            coordination.append(
                Coordination(
                    "internal short of one cell",
                    ref_i,
                    "the shorted cell's link",
                    "the shorted cell's link" if ref_t < t_neighbour else "its neighbours' links too",
                    ref_t,
                    t_neighbour,
                )
            )
    elif parallel > 1:
        from battgen.passes.loads import resistance_at

        r_cell = resistance_at(cell, pack.soc_high)
        group_fault = (parallel - 1) * ocv / r_cell
        notes.append(
            f"no cell fuse links: a shorted cell takes {group_fault:,.0f} A from its {parallel - 1} neighbours "
            "and nothing interrupts it"
        )
    return Faults(short, resistance, voltage, group_fault, tuple(devices), tuple(coordination), tuple(notes))
