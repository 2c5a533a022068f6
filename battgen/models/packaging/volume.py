"""Pack volume in the mass model, and the surveyed ratios of cells to pack behind it.

**Volume**: with an envelope, the enclosure box (what the CAD stage builds); without one the
Löbberding et al., WEVJ 11 (2020) 77 volumetric cell-to-system ratio (0.295 cylindrical, 0.353
pouch/prismatic, as quoted by TUM FTM's technoeconomiccellselection) times the foxBMS BaSD
cooling footprint factor.
``pack_mass_range`` gives the surveyed spread of pack mass around the bottom-up model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from battgen.models.packaging.spec import Floats, enclosure_box

if TYPE_CHECKING:
    from battgen.core import ir

# --- Löbberding 2020 (volume without an envelope; the range helper) --------------------------
GRAVIMETRIC = {"cylindrical": 0.552, "pouch": 0.575, "prismatic": 0.575}
VOLUMETRIC = {"cylindrical": 0.295, "pouch": 0.353, "prismatic": 0.353}
GRAVIMETRIC_RANGE = {"cylindrical": (0.484, 0.672), "pouch": (0.495, 0.742), "prismatic": (0.495, 0.742)}
VOLUMETRIC_RANGE = {"cylindrical": (0.247, 0.356), "pouch": (0.168, 0.528), "prismatic": (0.168, 0.528)}

# foxBMS BaSD adders (width/length, mass)
_ADDERS = {
    "air": (0.20, 0.10),
    "cold_plate": (0.07, 0.25),
    "glycol": (0.07, 0.25),
    "refrigerant": (0.03, 0.20),
    "immersion": (0.07, 0.25),
    "none": (0.0, 0.0),
}


def cooling_factors(cooling: str) -> tuple[float, float]:
    """(mass factor, volume factor) of ``cooling`` relative to glycol, from foxBMS BaSD adders.
    Only the volume factor is used (the volume without an envelope)."""
    wl, m = _ADDERS[cooling]
    wl0, m0 = _ADDERS["glycol"]
    return (1.0 + m) / (1.0 + m0), ((1.0 + wl) / (1.0 + wl0)) ** 2


def pack_volume(cell_volume: Floats, n_cells: Floats, fmt: str, cooling: str = "cold_plate", **_ignored) -> np.ndarray:
    """Pack volume, m³ (arrays ok): n·V_cell / Löbberding volumetric ratio × cooling factor."""
    _, fv = cooling_factors(cooling)
    return np.asarray(n_cells, float) * np.asarray(cell_volume, float) / VOLUMETRIC[fmt] * fv


def pack_volume_for(pack: ir.Pack, n_cells: Floats) -> np.ndarray:
    """Pack volume, m³ (arrays ok): the enclosure box when the envelope is known (what the CAD
    stage builds; the same for every candidate), else :func:`pack_volume`."""
    box = enclosure_box(pack.envelope)
    if box is not None:
        return box[0] * box[2] + 0 * np.asarray(n_cells, float)
    cell = pack.cell
    return pack_volume(cell.format.volume, n_cells, cell.format.kind, pack.cooling.kind)


def pack_mass_range(cell_mass: Floats, n_cells: Floats, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """(light, heavy) pack mass over Löbberding's surveyed cell-to-system ratio range, kg."""
    lo, hi = GRAVIMETRIC_RANGE[fmt]
    m = np.asarray(n_cells, float) * np.asarray(cell_mass, float)
    return m / hi, m / lo
