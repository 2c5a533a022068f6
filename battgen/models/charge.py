"""Constant-current, constant-voltage (CC–CV) charge of one cell: the standard Li-ion charge.

The cell is its open-circuit voltage behind a resistance (an Rint cell): V = OCV(SOC) + I·R(SOC).
The charger holds the current at I_cc until V reaches the cell's upper voltage V_max, then holds
V_max while the current falls, I = (V_max − OCV(SOC)) / R(SOC), until it is below the cut-off
(the CC–CV procedure of the cells' datasheets, e.g. Samsung INR21700-50E specification:
"Charge: 0.5C (2,450 mA), 4.2 V, CCCV 0.05C (245 mA) cut-off", standard charge time 4 hours).
SOC follows by coulomb counting, dSOC/dt = I / Q.

Integrated with a fixed SOC step (not a time step): in CC the time per step is ΔSOC·Q/I exactly;
in CV the current at the step's middle SOC is used (the midpoint rule), and the step in which the
current falls to the cut-off is taken only up to it. With 0.1 % steps the time between two SOCs
up to 99 % is within 0.01 % of that with 0.01 % steps, the time to the cut-off (where the current
falls steeply with SOC) within 1 % (tests/test_report_figures.py).

What it leaves out (so the times are a floor for a real charger): the cell's polarisation
beyond its DC resistance (it reaches V_max later than a real cell, so CC lasts longer), the
temperature and the BMS's derating. ``ocv`` and ``resistance`` are callables of SOC (arrays in,
arrays out), V and ohm; ``capacity`` in coulombs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SOC_STEP = 0.001
CUTOFF_FRACTION = 0.05  # cut-off current over the 1 C current: the 0.05 C of the datasheets above


@dataclass(frozen=True)
class ChargeCurve:
    """A CC–CV charge from ``soc[0]``: time (s), SOC (0..1), cell current (A) and cell terminal
    voltage (V) at each step, and when the constant-voltage phase began (s, None if never)."""

    time: np.ndarray
    soc: np.ndarray
    current: np.ndarray
    voltage: np.ndarray
    cv_start: float | None

    def time_between(self, soc_from: float, soc_to: float) -> float | None:
        """Seconds from ``soc_from`` to ``soc_to`` (interpolated); None if never reached."""
        if self.soc[-1] < soc_to - 1e-12 or self.soc[0] > soc_from + 1e-12:
            return None
        return float(np.interp(soc_to, self.soc, self.time) - np.interp(soc_from, self.soc, self.time))


def cc_cv(
    current: float,
    capacity: float,
    v_max: float,
    ocv: Callable[[np.ndarray], np.ndarray],
    resistance: Callable[[np.ndarray], np.ndarray],
    soc_start: float = 0.0,
    soc_end: float = 1.0,
    cutoff: float | None = None,
) -> ChargeCurve:
    """Charge one cell at ``current`` A up to ``v_max`` V, then at ``v_max``, from ``soc_start``
    until ``soc_end`` or the current falls below ``cutoff`` (default 0.05 C)."""
    if cutoff is None:
        cutoff = CUTOFF_FRACTION * capacity / 3600
    socs = np.arange(soc_start, soc_end + SOC_STEP / 2, SOC_STEP)
    socs[-1] = min(socs[-1], soc_end)
    mid = (socs[:-1] + socs[1:]) / 2
    r_mid, ocv_mid = np.asarray(resistance(mid), float), np.asarray(ocv(mid), float)
    # the current at each step: CC while OCV + I·R stays under v_max, else the CV current
    i_cv = np.maximum((v_max - ocv_mid) / r_mid, 0.0)
    i_step = np.minimum(current, i_cv)
    live = i_step >= cutoff
    stop = int(np.argmin(live)) if not live.all() else len(live)
    steps = np.diff(socs)[: stop + 1].copy()
    if 0 < stop < len(live):  # the cut-off falls inside step ``stop``: take the part of it before
        a, b = i_step[stop - 1], i_step[stop]
        part = (a - cutoff) / (a - b) if a > b else 0.0
        steps[stop] *= part
        i_step = np.concatenate([i_step[:stop], [(a + cutoff) / 2]])
        stop += 1
    else:
        i_step = i_step[:stop]
    steps = steps[:stop]
    dt = steps * capacity / np.maximum(i_step, 1e-12)
    time = np.concatenate([[0.0], np.cumsum(dt)])
    soc = np.concatenate([[socs[0]], socs[0] + np.cumsum(steps)])
    cell_i = np.concatenate([i_step[:1], i_step]) if stop else np.array([min(current, cutoff)])
    voltage = np.asarray(ocv(soc), float) + cell_i * np.asarray(resistance(soc), float)
    cv = np.flatnonzero(i_step < current - 1e-9)
    cv_start = float(time[cv[0]]) if cv.size else None
    return ChargeCurve(time, soc, cell_i, np.minimum(voltage, v_max), cv_start)
