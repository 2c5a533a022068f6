"""Cell and pack cost from BloombergNEF battery price surveys.

* Cell cost: ``cell.cost`` (USD per cell) when the cell declares it, else the cell's
  nominal energy × a $/kWh figure by chemistry (``CELL_USD_PER_KWH``).
* Pack cost: cell cost ÷ the cells' share of pack price, ``CELL_SHARE``.

All functions broadcast over numpy arrays of energies and cell counts.
"""

from __future__ import annotations

import numpy as np

J_PER_KWH = 3.6e6

# BNEF battery price survey 2025: volume-weighted average cell price 74 USD/kWh
# (pack 108 USD/kWh); by chemistry LFP 81, NMC 128 USD/kWh at pack level (physics.md).
_CELL_AVG_2025 = 74.0
_PACK_AVG_2025 = 108.0
_PACK_LFP_2025 = 81.0
_PACK_NMC_2025 = 128.0
# Chemistry cell prices: the 2025 chemistry pack prices scaled by that year's average
# cell/pack ratio (74/108). Derived here, not a BNEF figure.
CELL_USD_PER_KWH = {
    "average": _CELL_AVG_2025,
    "lfp": _PACK_LFP_2025 * _CELL_AVG_2025 / _PACK_AVG_2025,  # ≈ 55.5
    "nmc": _PACK_NMC_2025 * _CELL_AVG_2025 / _PACK_AVG_2025,  # ≈ 87.7
}
_NMC_FAMILY = {"nmc", "nmc111", "nmc532", "nmc622", "nmc811", "nca", "lmo_nmc"}
_LFP_FAMILY = {"lfp"}  # lmfp, lmo, lto: no BNEF chemistry figure → survey average

# BNEF battery price survey 2023 (press release 27 Nov 2023): BEV packs 128 USD/kWh,
# BEV cells 89 USD/kWh, "cells account for 78 % of the total pack price" (BNEF's own
# statement; note 89/128 = 69.5 %, and the 2025 averages give 74/108 = 68.5 %).
CELL_SHARE = 0.78


def cell_usd_per_kwh(chemistry: str) -> float:
    c = chemistry.lower()
    if c in _LFP_FAMILY:
        return CELL_USD_PER_KWH["lfp"]
    if c in _NMC_FAMILY:
        return CELL_USD_PER_KWH["nmc"]
    return CELL_USD_PER_KWH["average"]


def cell_cost(cell) -> float:
    """USD for one cell: its declared cost, else nominal energy × chemistry $/kWh."""
    if cell.cost is not None:
        return float(cell.cost)
    return cell.energy / J_PER_KWH * cell_usd_per_kwh(cell.chemistry)


def cells_cost_from_energy(energy, chemistry: str):
    """USD for cells holding ``energy`` joules (array ok) at the chemistry's $/kWh."""
    return np.asarray(energy, float) / J_PER_KWH * cell_usd_per_kwh(chemistry)


def pack_cost(cell, n_cells, cell_share: float = CELL_SHARE):
    """USD for a pack of ``n_cells`` (array ok): cells' cost ÷ cells' share of pack price."""
    return np.asarray(n_cells, float) * cell_cost(cell) / cell_share


def pack_cost_from_energy(energy, chemistry: str, cell_share: float = CELL_SHARE):
    """USD for a pack of ``energy`` joules (array ok) by chemistry survey prices."""
    return cells_cost_from_energy(energy, chemistry) / cell_share
