"""A cell's DC internal resistance against state of charge, as a factor on its rated value.

Datasheets give one DC resistance, at 50 % SOC and 25 °C (the schema's ``resistance``). The
power a pack must deliver is rated at a low SOC (the SOC floor, ``passes.loads``), where the
resistance is higher; ``soc_factor`` scales the rated value to that SOC.

The curve is ANL's BatPaC 5.0 (workbook of 2022-07-22, sheet ``Chem``, rows 119–130: "area
specific impedance at 10-sec burst, T0 = 25 °C, ohm-cm²", one column per couple), normalised
to its 50 % value: for NMC811-G Energy 47.33, 27.84, 18.56, 16.03, 14.17, 14.59, 14.85, 15.33,
15.46, 15.91, 16.71 Ω·cm² at 0, 10, …, 100 % SOC. It is the curve of the same model whose
convention (power at 20 % SOC for 10 s) ``loads`` follows. Caveats, from the workbook's own
formulas: every couple has the same shape; only 20–90 % are entered values, 10 % is 1.5 × the
20 % value, 0 % is 1.7 × the 10 % value and 100 % is 1.05 × the 90 % value (rules of thumb). The
1.27 at 20 % is conservative against the two automotive pouch cells whose HPPC data were
reduced (2013 Nissan Leaf cell, ORNL data: 1.01; a 28 Ah pouch, Huria et al. 2012: 1.03) and
below an old HEV module (ADVISOR: 1.68); a cell's own measured factor should replace it.
"""

from __future__ import annotations

import numpy as np

_SOC = np.linspace(0.0, 1.0, 11)

# BatPaC 5.0 10 s ASI, Ω·cm², at 0, 10, …, 100 % SOC (Chem!AV, BF, BP, BZ 120:130)
_ASI_10S = {
    "nmc811": (47.33, 27.84, 18.56, 16.03, 14.17, 14.59, 14.85, 15.33, 15.46, 15.91, 16.71),
    "nca": (47.27, 27.81, 18.54, 16.01, 14.15, 14.57, 14.83, 15.31, 15.44, 15.89, 16.69),
    "lfp": (45.41, 26.71, 17.81, 15.27, 13.42, 13.84, 14.10, 14.58, 14.71, 15.16, 15.92),
    "lmo": (46.31, 27.24, 18.16, 15.63, 13.77, 14.19, 14.45, 14.93, 15.06, 15.51, 16.29),
}
# chemistries without a BatPaC column take their family's (the shapes differ by under 2 %); LTO
# has none and takes the layered oxide's
_FAMILY = {"lmfp": "lfp", "lmo_nmc": "lmo", "lto": "nmc811"}


def _curve(chemistry: str) -> np.ndarray:
    key = chemistry.lower()
    key = _FAMILY.get(key, key)
    if key.startswith("nmc"):
        key = "nmc811"
    asi = np.asarray(_ASI_10S.get(key, _ASI_10S["nmc811"]))
    return asi / asi[5]


def soc_factor(chemistry: str, soc: float) -> float:
    """R(soc) / R(50 % SOC) for ``chemistry`` (linear between BatPaC's 10 % steps, as BatPaC
    interpolates)."""
    return float(np.interp(np.clip(soc, 0.0, 1.0), _SOC, _curve(chemistry)))
