"""The duty an EV pack ages on: one representative day, repeated.

A day in 5-minute steps (``STEP``; NREL BLAST-Lite's own electric-vehicle profiles are one week
at 300 s steps, made with NREL's FASTSim — BLAST-Lite repository, ``examples/application
profiles/Electric vehicle``): parked until the morning drive, a drive to work and one back,
each taking half of the day's depth of discharge, a charge from the evening back to the top of
the window, parked again. The timetable follows the JRC mobility survey of European car drivers
(Pasaoglu et al., "Driving and parking patterns of European car drivers — a mobility survey",
JRC report EUR 25627, 2012): two trips a day, the car parked more than 16 hours after its last
trip. What the pack carries while driving and charging is the caller's (``passes.lifetime``:
the pack's continuous and charge load cases), as C-rates of the cell.

The day is exact, not sampled: each phase's SOC is linear in time, and a phase that does not
fit its slot (a charge too slow to finish overnight) is cut at the slot's end and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STEP = 300.0  # s, the sampling of BLAST-Lite's EV profiles (and short enough: see models.lifetime)
DAY = 86400.0
# The day's clock starts at the morning drive (07:30): the drive home leaves 10 h later (17:30),
# the car is plugged in at 19:00, and the charge must end before the next morning.
EVENING = 10.0 * 3600
PLUG_IN = 11.5 * 3600


@dataclass(frozen=True)
class Day:
    """One day of the duty from the morning drive: time (s), SOC (0..1) and the current at each
    step as a C-rate of the cell (1/h; positive discharge), and the phase of each step: 0 parked,
    1 driving, 2 charging."""

    time: np.ndarray
    soc: np.ndarray
    c_rate: np.ndarray
    phase: np.ndarray
    drive_hours: float  # both drives
    charge_hours: float
    swing: float  # SOC the day discharges and recharges (less than asked when a phase was cut)
    notes: tuple[str, ...] = ()

    @property
    def efc_per_day(self) -> float:
        """Equivalent full cycles a day: charge out and back in over twice the capacity."""
        return float(np.abs(np.diff(self.soc)).sum() / 2)


def ev_day(soc_high: float, dod: float, drive_rate: float, charge_rate: float) -> Day:
    """The day from the top of the window ``soc_high``: ``dod`` of the capacity discharged in two
    drives at ``drive_rate`` C and charged back at ``charge_rate`` C (C-rates in 1/h)."""
    notes = []
    swing = float(min(max(dod, 0.0), soc_high))
    drive = swing / 2 / max(drive_rate, 1e-9) * 3600  # s per drive
    slot = PLUG_IN - EVENING - STEP  # the drive home must end before the plug-in
    if drive > slot:
        notes.append(f"a drive at {drive_rate:.2f} C would take {drive / 3600:.1f} h: cut to {slot / 3600:.1f} h")
        drive = slot
        swing = 2 * drive / 3600 * drive_rate
    charge = swing / max(charge_rate, 1e-9) * 3600
    night = DAY - PLUG_IN - STEP
    if charge > night:
        notes.append(
            f"the charge at {charge_rate:.2f} C would take {charge / 3600:.1f} h, more than the {night / 3600:.1f} h "
            "between plugging in and the next morning: the day's swing is cut to what it puts back"
        )
        charge = night
        swing = charge / 3600 * charge_rate
        drive = swing / 2 / drive_rate * 3600
    phases = (
        (0.0, drive, drive_rate, 1),
        (EVENING, EVENING + drive, drive_rate, 1),
        (PLUG_IN, PLUG_IN + charge, -charge_rate, 2),
    )
    time = np.arange(0.0, DAY, STEP)
    soc = np.full_like(time, soc_high)
    c_rate = np.zeros_like(time)
    phase = np.zeros(time.shape, dtype=int)
    for start, end, rate, kind in phases:
        soc -= np.clip(time - start, 0.0, end - start) / 3600 * rate  # linear within the phase
        on = (time >= start) & (time < end)
        c_rate[on] = rate
        phase[on] = kind
    return Day(time, np.clip(soc, 0.0, 1.0), c_rate, phase, 2 * drive / 3600, charge / 3600, swing, tuple(notes))


WEEK_DAYS = 7  # the repeated period: a week, as BLAST-Lite's EV profiles (days alike here)


def week(day: Day, temperature: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(time s, SOC, temperature) of ``WEEK_DAYS`` copies of ``day`` with ``temperature`` (one
    value per step of the day): the period the ageing model repeats. A week rather than the day
    itself: the same stresses, a seventh of the model's steps (capacity at 80 % within 0.3 % of
    the daily period's on BLAST-Lite's models)."""
    time = np.concatenate([day.time + k * DAY for k in range(WEEK_DAYS)])
    return time, np.tile(day.soc, WEEK_DAYS), np.tile(np.asarray(temperature, float), WEEK_DAYS)
