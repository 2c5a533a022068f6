"""Deliverable capacity of one cell at a constant discharge rate.

Three tiers, by how much the datasheet says (``cell.rate_capacity``, rates in 1/s =
C-rate / 3600, capacities in coulombs):

1. **≥ 3 points — Galushkin et al., J. Electrochem. Soc. 167 (2020) 120516**, eq. (8):
   ``C(i) = Cm·(1 − i/i1) / ((1 − i/i1) + (i/i0)^n)`` (zero at and above ``i1``, the rate
   at which the internal-resistance drop alone reaches the cut-off). ``Cm`` is pinned to
   the rated capacity (``max(cell.capacity, points)``), leaving ``i0, n, i1`` to fit, so
   three points determine it. Accepted if every point is reproduced within 2 %;
   otherwise tier 2.
2. **2 points (or a rejected tier-1 fit) — Peukert** in capacity form,
   ``C(i) = C_ref·(i_ref/i)^(k−1)``, least squares in log–log through the points. Omar et
   al., Energies 6 (2013) 5625 show it holds only over narrow current ranges, so it is used
   only between/near datasheet points and, like every tier, clamped to ``[0, Cm]``.
3. **No points — Peukert with a per-chemistry exponent**, referenced to the rated capacity
   at 0.2 C (the IEC 61960-3:2017 rating rate). Exponents in ``PEUKERT_K``.

Never above the rated capacity at low rates: every tier is clipped to ``Cm``.
Fits are per cell (cached on the numbers) and evaluation is vectorised over ``rate``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

#: Peukert exponents used when a cell gives no rate-capacity points.
PEUKERT_K = {
    # Samsung SDI INR21700-50E spec V1.0 (2018): 4.9 Ah at 0.2 C, 4.753 Ah at 1 C
    # → k = 1 + ln(4.9/4.753)/ln 5 = 1.019. Used for the layered-oxide family.
    "layered": 1.019,
    # No chemistry-specific value found; midpoint of the 1.02–1.10 Li-ion range of
    # Omar et al., Energies 6 (2013) 5625 (unverified per chemistry).
    "default": 1.05,
}
_LAYERED = {"nca", "nmc", "nmc111", "nmc532", "nmc622", "nmc811", "lmo_nmc"}
RATED_RATE = 0.2 / 3600  # 1/s; IEC 61960-3:2017 rates capacity at 0.2 It
_GALUSHKIN_TOL = 0.02


def galushkin(rate, cm, i0, n, i1):
    """Galushkin et al. 2020 eq. (8); zero at or above ``i1``. Vectorised over ``rate``."""
    i = np.asarray(rate, dtype=float)
    a = np.clip(1.0 - i / i1, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = cm * a / (a + (i / i0) ** n)
    return np.where(a > 0, c, 0.0)


def peukert(rate, c_ref, i_ref, k):
    """Peukert capacity form ``C_ref·(i_ref/i)^(k−1)`` (Omar et al. 2013)."""
    i = np.maximum(np.asarray(rate, dtype=float), 1e-30)
    return c_ref * (i_ref / i) ** (k - 1.0)


@lru_cache(maxsize=4096)
def _fit(points: tuple[tuple[float, float], ...], rated: float, chemistry: str):
    """Return ("galushkin", params) or ("peukert", params) for these datasheet points."""
    cm = max([rated] + [c for _, c in points])
    if len(points) == 0:
        k = PEUKERT_K["layered" if chemistry.lower() in _LAYERED else "default"]
        return "peukert", (rated, RATED_RATE, k)
    r = np.array([p[0] for p in points])
    c = np.array([p[1] for p in points])
    if len(points) >= 3:
        rmax = r.max()

        def resid(z):
            z = np.clip(z, -30.0, 30.0)
            i0, n, i1 = np.exp(z[0]) * rmax, np.exp(z[1]), rmax * (1.0 + np.exp(z[2]))
            return galushkin(r, cm, i0, n, i1) / c - 1.0

        # imported here, only when a cell gives three or more points: keeps scipy out of the
        # language server's start-up and of most estimates
        from scipy.optimize import least_squares

        best: Any = None  # scipy's OptimizeResult
        for z0 in ([np.log(5.0), 0.0, np.log(2.0)], [np.log(50.0), np.log(2.0), 0.0], [0.0, np.log(0.5), np.log(5.0)]):
            sol = least_squares(resid, z0, method="lm")
            if best is None or sol.cost < best.cost:
                best = sol
        if np.max(np.abs(resid(best.x))) <= _GALUSHKIN_TOL:
            z = np.clip(best.x, -30.0, 30.0)
            return "galushkin", (cm, np.exp(z[0]) * rmax, np.exp(z[1]), rmax * (1 + np.exp(z[2])))
    # Peukert through the points: log C = a − (k−1)·log i
    if np.ptp(r) > 0:
        slope, intercept = np.polyfit(np.log(r), np.log(c), 1)
        k = 1.0 + max(0.0, -slope)
        i_ref = float(np.exp(np.mean(np.log(r))))
        return "peukert", (float(np.exp(intercept + slope * np.log(i_ref))), i_ref, k)
    return "peukert", (float(c[0]), float(r[0]), 1.0)


def model_for(cell):
    """(model name, parameters) used for ``cell`` — for reports."""
    pts = tuple((float(p.rate), float(p.capacity)) for p in cell.rate_capacity)
    return _fit(pts, float(cell.capacity), cell.chemistry)


def capacity_at_rate(cell, rate):
    """Coulombs ``cell`` delivers at constant discharge ``rate`` (1/s; array ok)."""
    kind, params = model_for(cell)
    cm = max([float(cell.capacity)] + [float(p.capacity) for p in cell.rate_capacity])
    c = galushkin(rate, *params) if kind == "galushkin" else peukert(rate, *params)
    return np.clip(c, 0.0, cm)
