"""Pack mass and volume from the cells', by cell format and cooling.

Cell-to-system ratios from **Löbberding et al., "From Cell to Battery System in BEVs:
Analysis of System Packing Efficiency and Cell Types", World Electric Vehicle Journal 11
(2020) 77** — 25 BEVs, 2010–2019. A ratio is system specific energy (or energy density)
over cell specific energy (density), i.e. cell mass / system mass (cell volume / system
volume). Averages and fleet ranges by format (figures as quoted from the paper by TUM
FTM's techno-economic cell-selection code, github.com/tumftm/technoeconomiccellselection;
the paper's own tables were not read here):

| format | gravimetric avg (range) | volumetric avg (range) |
|---|---|---|
| cylindrical | 0.552 (0.484–0.672) | 0.295 (0.247–0.356) |
| pouch / prismatic | 0.575 (0.495–0.742) | 0.353 (0.168–0.528) |

The surveyed packs are mostly liquid (glycol) cooled, so the averages are taken as the
glycol baseline. Other cooling kinds are scaled by the ratio of foxBMS BaSD cooling adders
to the glycol adder (foxBMS Battery System Designer; physics.md): adders to width/length
and to mass of air +20 %/+10 %, glycol +7 %/+25 %, refrigerant +3 %/+20 %. Width and
length adders act on footprint, so the volume factor uses their square. ``immersion`` has
no published adder here and is given the glycol baseline (unverified); ``none`` (passive)
gets zero adders.
"""

from __future__ import annotations

import numpy as np

GRAVIMETRIC = {"cylindrical": 0.552, "pouch": 0.575, "prismatic": 0.575}
VOLUMETRIC = {"cylindrical": 0.295, "pouch": 0.353, "prismatic": 0.353}
GRAVIMETRIC_RANGE = {"cylindrical": (0.484, 0.672), "pouch": (0.495, 0.742), "prismatic": (0.495, 0.742)}
VOLUMETRIC_RANGE = {"cylindrical": (0.247, 0.356), "pouch": (0.168, 0.528), "prismatic": (0.168, 0.528)}

# foxBMS BaSD adders (width/length, mass)
_ADDERS = {"air": (0.20, 0.10), "cold_plate": (0.07, 0.25), "glycol": (0.07, 0.25),
           "refrigerant": (0.03, 0.20), "immersion": (0.07, 0.25), "none": (0.0, 0.0)}


def cooling_factors(cooling: str) -> tuple[float, float]:
    """(mass factor, volume factor) of ``cooling`` relative to the glycol baseline."""
    wl, m = _ADDERS[cooling]
    wl0, m0 = _ADDERS["glycol"]
    return (1.0 + m) / (1.0 + m0), ((1.0 + wl) / (1.0 + wl0)) ** 2


def pack_mass(cell_mass, n_cells, fmt: str, cooling: str = "cold_plate"):
    """Pack mass, kg (arrays ok): n·m_cell / gravimetric ratio × cooling factor."""
    fm, _ = cooling_factors(cooling)
    return np.asarray(n_cells, float) * np.asarray(cell_mass, float) / GRAVIMETRIC[fmt] * fm


def pack_volume(cell_volume, n_cells, fmt: str, cooling: str = "cold_plate"):
    """Pack volume, m³ (arrays ok): n·V_cell / volumetric ratio × cooling factor."""
    _, fv = cooling_factors(cooling)
    return np.asarray(n_cells, float) * np.asarray(cell_volume, float) / VOLUMETRIC[fmt] * fv


def pack_mass_range(cell_mass, n_cells, fmt: str):
    """(light, heavy) pack mass over the surveyed fleet's ratio range, kg."""
    lo, hi = GRAVIMETRIC_RANGE[fmt]
    m = np.asarray(n_cells, float) * np.asarray(cell_mass, float)
    return m / hi, m / lo
