"""Cycle life: equivalent full cycles until the cell holds 80 % of its capacity.

Two empirical ageing models, chosen by chemistry:

* **Schmalstieg et al., J. Power Sources 257 (2014) 325–334** (Sanyo UR18650E NMC111 /
  graphite 2.15 Ah; constants as replicated in NREL BLAST-Lite
  ``nmc111_gr_Sanyo2Ah_2014``) for the layered-oxide family (nmc*, nca, lmo, lmo_nmc,
  lmfp, lto — outside LFP there is no better-suited published model here, so those
  chemistries get this one and say so through ``MODEL_NAME``):

      q = 1 − α·t^0.75 − β·√Q,    t in days, Q = charge throughput in Ah of the 2.15 Ah cell
      α = (7.543·V − 23.75)·1e6·exp(−6976/T)
      β = 7.348e-3·(V_rms − 3.667)² + 7.6e-4 + 4.081e-3·DOD

  Calendar (α) and cycle (β) fade add. We run **one equivalent full cycle per day**
  (t = N days, Q = 2·N·DOD·2.15 Ah, charge + discharge as BLAST-Lite counts it) and solve
  q = 0.8 for N by bisection, vectorised. V is the cell's OCV (``ocv_scaled``) at the
  cycle's mean SOC and V_rms its RMS over the window, which sits at the top of the SOC
  range (``soc_high``, default 1.0). The model has no rate term and was fitted at 1 C,
  35 °C cycling (rate is accepted and ignored for this family).

* **Wang et al., J. Power Sources 196 (2011) 3942–3948** (A123 ANR26650 LFP 2.2 Ah) for lfp:

      Q_loss[%] = B(C_rate)·exp((−31700 + 370.3·C_rate)/(R·T))·Ah^0.55,
      Ah = N·DOD·2.2 (discharged Ah-throughput)

  with B = 31630 (C/2; physics.md marks it unverified), 21681 (2 C), 12934 (6 C),
  15512 (10 C) interpolated linearly in C-rate and held outside. Wang's tests lump the
  calendar time of the cycling into the fit; the model has no separate calendar term.

Where the cell declares ``cycle_life`` (datasheet cycles to 80 %) it is reported beside the
model figure by ``cycle_life_report``. NREL BLAST-Lite's README notes pack life runs
20–30 % below cell life; nothing here applies that.
"""

from __future__ import annotations

import numpy as np

from battgen.models.ocv import ocv_scaled

R_GAS = 8.314462618  # J/(mol·K), CODATA 2018

SCHMALSTIEG = "Schmalstieg et al. 2014, J. Power Sources 257, 325 (NMC111 Sanyo UR18650E)"
WANG = "Wang et al. 2011, J. Power Sources 196, 3942 (LFP A123 ANR26650)"

# Schmalstieg 2014 capacity constants (as in BLAST-Lite nmc111_gr_Sanyo2Ah_2014)
_QCAL_A, _QCAL_B, _QCAL_EA = 7.543, -23.75, 6976.0
_QCYC_A, _QCYC_V0, _QCYC_C, _QCYC_D = 7.348e-3, 3.667, 7.6e-4, 4.081e-3
_SANYO_AH = 2.15  # BLAST-Lite nominal capacity of the Sanyo cell

# Wang 2011 constants
_WANG_EA, _WANG_RATE, _WANG_Z = 31700.0, 370.3, 0.55
_WANG_AH = 2.2  # A123 ANR26650 rated capacity
_WANG_RATES = np.array([0.5, 2.0, 6.0, 10.0])
_WANG_B = np.array([31630.0, 21681.0, 12934.0, 15512.0])  # 0.5 C value unverified


def model_name(chemistry: str) -> str:
    """Citation of the model ``cycles_to_80`` uses for ``chemistry``."""
    return WANG if chemistry.lower() == "lfp" else SCHMALSTIEG


def schmalstieg_capacity(days, ah_throughput, v, v_rms, dod, temperature):
    """Relative capacity q (Schmalstieg 2014), vectorised; ``temperature`` in K."""
    alpha = (_QCAL_A * v + _QCAL_B) * 1e6 * np.exp(-_QCAL_EA / temperature)
    beta = _QCYC_A * (v_rms - _QCYC_V0) ** 2 + _QCYC_C + _QCYC_D * dod
    return 1.0 - alpha * np.asarray(days, float) ** 0.75 - beta * np.sqrt(ah_throughput)


def wang_loss_percent(ah_throughput, c_rate, temperature):
    """Capacity loss in % (Wang 2011), vectorised; ``temperature`` in K."""
    b = np.interp(c_rate, _WANG_RATES, _WANG_B)
    return b * np.exp((-_WANG_EA + _WANG_RATE * c_rate) / (R_GAS * temperature)) * ah_throughput**_WANG_Z


def _window_voltages(cell, dod, soc_high, samples=21):
    s = np.linspace(0.0, 1.0, samples)
    dod = np.asarray(dod, float)[..., None]
    soc = soc_high - dod * s
    v = ocv_scaled(cell.chemistry, soc, cell.min_voltage, cell.max_voltage)
    return v.mean(axis=-1), np.sqrt((v**2).mean(axis=-1))


def cycles_to_80(cell, dod, rate, temperature, soc_high=1.0):
    """Equivalent full cycles to 80 % capacity (one cycle a day), vectorised.

    ``dod`` 0..1, ``rate`` discharge rate in 1/s (C-rate/3600), ``temperature`` in K.
    Returns a float array broadcast over the three.
    """
    dod, rate, temperature = np.broadcast_arrays(
        np.asarray(dod, float), np.asarray(rate, float), np.asarray(temperature, float)
    )
    dod = np.clip(dod, 1e-3, 1.0)
    if cell.chemistry.lower() == "lfp":
        c_rate = rate * 3600.0
        b = np.interp(c_rate, _WANG_RATES, _WANG_B)
        k = b * np.exp((-_WANG_EA + _WANG_RATE * c_rate) / (R_GAS * temperature))
        ah = (20.0 / k) ** (1.0 / _WANG_Z)
        return ah / (dod * _WANG_AH)
    v, v_rms = _window_voltages(cell, dod, soc_high)
    lo = np.zeros(dod.shape)
    hi = np.full(dod.shape, 1e6)
    for _ in range(60):  # bisection on N (days = cycles), monotone in N
        mid = 0.5 * (lo + hi)
        q = schmalstieg_capacity(mid, 2.0 * mid * dod * _SANYO_AH, v, v_rms, dod, temperature)
        below = q < 0.8
        hi = np.where(below, mid, hi)
        lo = np.where(below, lo, mid)
    return 0.5 * (lo + hi)


def cycle_life_report(cell, dod, rate, temperature, soc_high=1.0) -> dict:
    """Model figure, its citation, and the datasheet ``cycle_life`` if declared."""
    return {
        "cycles_to_80": cycles_to_80(cell, dod, rate, temperature, soc_high),
        "model": model_name(cell.chemistry),
        "datasheet_cycle_life": cell.cycle_life,
    }
