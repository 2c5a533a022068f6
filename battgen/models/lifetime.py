"""Cell ageing: NREL's BLAST-Lite models, chosen by chemistry.

BLAST-Lite (NREL, ``blast-lite`` 1.1.1 on PyPI, BSD-3; Gasper, Smith et al.) holds empirical
capacity-fade models fitted to published ageing data of commercial cells. battgen runs them
(``simulate``) on the duty of ``models.duty`` with the temperatures the heat stage computes
(``passes.lifetime``); nothing of their constants is copied here. The model by chemistry
(``MODELS``, ``model_for``; each model's cell and data source from its module's docstring):

=============  =======================================  ============================================
chemistry      BLAST-Lite model                         why
=============  =======================================  ============================================
nmc811         Nmc811_GrSi_LGM50_5Ah_Battery            LG M50 21700 NMC811-Gr/Si, an EV 21700 cell
nmc622, nmc,   Nmc622_Gr_DENSO50Ah_Battery              DENSO 50 Ah NMC622 EV cell, the widest
nmc532                                                  temperature range fitted (10-60 °C)
nmc111         Nmc111_Gr_Kokam75Ah_Battery              Kokam 75 Ah NMC(111)-Gr pouch
nca            Nca_Gr_Panasonic3Ah_Battery              Panasonic 18650B NCA-Gr (README: compared
                                                        with Tesla Model 3 LR fleet data)
lfp, lmfp      Lfp_Gr_250AhPrismatic (flat cells),      large prismatic LFP-Gr; small cylindrical
               Lfp_Gr_SonyMurata3Ah_Battery (round)     LFP-Gr (Sony/Murata, TUM data)
lto            Nmc_Lto_10Ah_Battery                     commercial NMC-LTO (Bank et al. 2020)
lmo, lmo_nmc   Nmc111_Gr_Kokam75Ah_Battery              BLAST-Lite's only LMO model is of second-
                                                        life Leaf modules; a layered NMC stands in
=============  =======================================  ============================================

Installed without its dependencies (``pip install --no-deps blast-lite==1.1.1``, the Makefile
does it): its wheel pins ``numpy<2`` and pulls NREL-rex (dask, s3fs, ...), which battgen's
CAD stack cannot live with. What its modules import is in battgen's dependencies (pandas,
matplotlib, scipy, h5pyd, geopy). On numpy 2 its one failure is ``np.trapz`` (removed in numpy
2.4; ``np.trapezoid`` is the same function): ``_blast`` puts the alias back before importing
it, here and nowhere else. ``import blast`` takes about 1.2 s, so only the build stage loads
it (never ``battc check`` or the language server).

Synthesis needs a lifetime figure in milliseconds and without scipy: ``cycles_to_80`` reads
``lifetime_table`` — equivalent full cycles to 80 % of these same models on the same duty at
a uniform temperature, over a grid of depth of discharge, temperature and discharge rate,
written by ``python -m battgen.models.lifetime_table`` from BLAST-Lite (a test reruns points
of it). BLAST-Lite's README: pack life runs 20-30 % below cell life; nothing here applies that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

HORIZON = 30.0  # years: a life longer than this is reported as "beyond" (the models are fitted to < 10)
END_OF_LIFE = 0.8  # relative capacity: the 80 % of USABC's end-of-life definition


@dataclass(frozen=True)
class Model:
    """A BLAST-Lite model and why it stands for a chemistry."""

    name: str  # the class in blast.models
    cell: str  # the cell it is fitted to
    source: str  # its ageing data
    why: str = ""  # when it stands in for a chemistry it was not fitted to


MODELS = {
    "lgm50": Model(
        "Nmc811_GrSi_LGM50_5Ah_Battery",
        "LG M50 21700 5 Ah, NMC811 / graphite-Si",
        "Truong Bui et al., IEEE 2021 (ieeexplore.ieee.org/document/9617644); BLAST-Lite nmc811_grSi_LGM50_5Ah_2021",
    ),
    "denso": Model(
        "Nmc622_Gr_DENSO50Ah_Battery",
        "DENSO 50 Ah, NMC622 / graphite",
        "Smith et al., J. Electrochem. Soc. 168 (2021) 100530, doi 10.1149/1945-7111/ac2ebd; BLAST-Lite nmc622_gr_DENSO50Ah_2021",
    ),
    "kokam": Model(
        "Nmc111_Gr_Kokam75Ah_Battery",
        "Kokam 75 Ah pouch, NMC(111) / graphite",
        "Smith et al., American Control Conference 2017 (ieeexplore.ieee.org/document/7963578); "
        "BLAST-Lite nmc111_gr_Kokam75Ah_2017",
    ),
    "panasonic": Model(
        "Nca_Gr_Panasonic3Ah_Battery",
        "Panasonic NCR18650B 3.2 Ah, NCA / graphite",
        "Keil et al., doi 10.1149/2.0411609jes (calendar); Preger et al., doi 10.1149/1945-7111/abae37 (cycling); "
        "BLAST-Lite nca_gr_Panasonic3Ah_2018",
    ),
    "lfp250": Model(
        "Lfp_Gr_250AhPrismatic",
        "250 Ah prismatic, LFP / graphite",
        "J. Energy Storage (2023), doi 10.1016/j.est.2023.109042; BLAST-Lite lfp_gr_250AhPrismatic_2019",
    ),
    "sony_lfp": Model(
        "Lfp_Gr_SonyMurata3Ah_Battery",
        "Sony/Murata 3 Ah cylindrical, LFP / graphite",
        "Naumann et al., doi 10.1016/j.est.2018.01.019 (calendar), 10.1016/j.jpowsour.2019.227666 (cycling); "
        "BLAST-Lite lfp_gr_SonyMurata3Ah_2018",
    ),
    "lto": Model(
        "Nmc_Lto_10Ah_Battery",
        "commercial 10 Ah, NMC / LTO",
        "Bank et al., doi 10.1016/j.jpowsour.2020.228566; BLAST-Lite nmc_lto_10Ah_2020",
    ),
}

# chemistry → model key; a pair is (round cells, flat cells)
_BY_CHEMISTRY: dict[str, str | tuple[str, str]] = {
    "nmc811": "lgm50",
    "nmc622": "denso",
    "nmc532": "denso",
    "nmc": "denso",
    "nmc111": "kokam",
    "nca": "panasonic",
    "lfp": ("sony_lfp", "lfp250"),
    "lmfp": ("sony_lfp", "lfp250"),
    "lto": "lto",
    "lmo": "kokam",
    "lmo_nmc": "kokam",
}
_STANDS_IN = {
    "nmc532": "no NMC532 model in BLAST-Lite: the NMC622 (DENSO) model stands in",
    "nmc": "the NMC blend is not named: the NMC622 (DENSO) model stands in",
    "lmfp": "no LMFP model in BLAST-Lite: the LFP model of the same format stands in",
    "lmo": "BLAST-Lite's only LMO model is of second-life Leaf modules: the NMC111 (Kokam) model stands in",
    "lmo_nmc": "no LMO-NMC model in BLAST-Lite: the NMC111 (Kokam) model stands in",
}


def model_key(chemistry: str, format_kind: str = "cylindrical") -> str:
    """The key in ``MODELS`` of the model for ``chemistry`` (cells of ``format_kind``)."""
    key = _BY_CHEMISTRY.get(chemistry.lower(), "denso")
    if isinstance(key, tuple):
        return key[0] if format_kind == "cylindrical" else key[1]
    return key


def model_for(chemistry: str, format_kind: str = "cylindrical") -> Model:
    """The BLAST-Lite model for ``chemistry``, with why when it stands in for it."""
    model = MODELS[model_key(chemistry, format_kind)]
    why = _STANDS_IN.get(chemistry.lower(), "")
    if chemistry.lower() not in _BY_CHEMISTRY:
        why = f"no model for {chemistry!r}: the NMC622 (DENSO) model stands in"
    return Model(model.name, model.cell, model.source, why)


def _blast():
    """``blast.models``, imported with numpy 2's missing ``np.trapz`` put back (the one change
    BLAST-Lite 1.1.1 needs on numpy 2: ``np.trapezoid`` is the same function, renamed)."""
    if not hasattr(np, "trapz"):
        np.trapz = np.trapezoid  # type: ignore[attr-defined]  # numpy 2 removed it (and its stub)
    from blast import models

    return models


def available() -> str | None:
    """None when BLAST-Lite imports, else why not (the build says so instead of a lifetime)."""
    try:
        _blast()
    except ImportError as error:
        return f"{type(error).__name__}: {error}"
    return None


@dataclass(frozen=True)
class Ageing:
    """A simulated life: relative capacity ``q`` after ``years`` and ``efc`` equivalent full cycles
    (one entry per repetition of the input, from 0), the first crossing of ``END_OF_LIFE``
    (None: not within the horizon) and the model's fitted range."""

    years: np.ndarray
    efc: np.ndarray
    q: np.ndarray
    years_to_80: float | None
    efc_to_80: float | None
    experimental_range: dict = field(default_factory=dict)


def simulate(
    model: Model | str,
    time_s: np.ndarray,
    soc: np.ndarray,
    temperature_c: np.ndarray,
    *,
    horizon: float | None = HORIZON,
    repeat: bool = True,
) -> Ageing:
    """Run ``model`` on the input (seconds, SOC 0..1, °C — BLAST-Lite's units): with ``repeat``,
    the input is one period repeated (BLAST-Lite's ``is_constant_input``: its stresses computed
    once, then applied period after period) until the capacity falls below 80 % or ``horizon``
    years pass; without, the input once, as BLAST-Lite runs any time series."""
    name = model.name if isinstance(model, Model) else model
    cell = getattr(_blast(), name)()
    inputs = {
        "Time_s": np.asarray(time_s, float),
        "SOC": np.asarray(soc, float),
        "Temperature_C": np.asarray(temperature_c, float),
    }
    if repeat:
        cell.simulate_battery_life(
            inputs, threshold_time=horizon, threshold_capacity=END_OF_LIFE, is_constant_input=True
        )
    else:
        cell.simulate_battery_life(inputs, threshold_time=horizon)
    years = np.asarray(cell.stressors["t_days"], float) / 365.0
    efc = np.asarray(cell.stressors["efc"], float)
    q = np.asarray(cell.outputs["q"], float)
    at_years, at_efc = _crossing(q, years), _crossing(q, efc)
    return Ageing(years, efc, q, at_years, at_efc, dict(cell.experimental_range))


def _crossing(q: np.ndarray, x: np.ndarray) -> float | None:
    """``x`` where ``q`` first falls to ``END_OF_LIFE`` (linear between steps), None if never."""
    below = np.flatnonzero(q < END_OF_LIFE)
    if not below.size:
        return None
    i = int(below[0])
    if i == 0:
        return float(x[0])
    q0, q1 = q[i - 1], q[i]
    return float(x[i - 1] + (x[i] - x[i - 1]) * (q0 - END_OF_LIFE) / (q0 - q1))


def outside_range(ageing: Ageing, temperature_c: np.ndarray, dod: float, charge_rate: float, drive_rate: float):
    """What of the duty lies outside the model's fitted range, in words (empty: nothing)."""
    fitted = ageing.experimental_range
    out = []
    lo, hi = fitted.get("cycling_temperature", (-math.inf, math.inf))
    t_lo, t_hi = float(np.min(temperature_c)), float(np.max(temperature_c))
    if t_lo < lo or t_hi > hi:
        out.append(f"temperature {t_lo:.0f}-{t_hi:.0f} °C (cycling data {lo:g}-{hi:g} °C)")
    dods = fitted.get("dod")
    if dods is not None and len(dods) and not (min(dods) - 1e-9 <= dod <= max(dods) + 1e-9):
        out.append(f"depth of discharge {dod:.0%} (data {min(dods):.0%}-{max(dods):.0%})")
    if charge_rate > fitted.get("max_rate_charge", math.inf) + 1e-9:
        out.append(f"charge {charge_rate:.2f} C (data up to {fitted['max_rate_charge']:g} C)")
    if drive_rate > fitted.get("max_rate_discharge", math.inf) + 1e-9:
        out.append(f"discharge {drive_rate:.2f} C (data up to {fitted['max_rate_discharge']:g} C)")
    return tuple(out)


# --- the screen synthesis reads --------------------------------------------------------------


def cycles_to_80(cell, dod, rate, temperature, soc_high=1.0):
    """Equivalent full cycles to 80 % capacity on the duty of ``models.duty`` (one cycle of
    ``dod`` a day, driven at ``rate`` (1/s, C-rate/3600), charged at 0.5 C), the cell at
    ``temperature`` (K) throughout: interpolated in ``lifetime_table`` (BLAST-Lite's models, see
    there). Broadcasts over ``dod``, ``rate`` and ``temperature``; ``soc_high`` is where the
    window starts (the table is at the top of the window, 100 %)."""
    from battgen.models import lifetime_table

    key = model_key(cell.chemistry, cell.format.kind)
    dod, rate, temperature = np.broadcast_arrays(
        np.asarray(dod, float), np.asarray(rate, float) * 3600.0, np.asarray(temperature, float) - 273.15
    )
    return lifetime_table.efc_to_80(key, dod, temperature, rate)
