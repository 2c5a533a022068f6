"""Open-circuit voltage of one cell against state of charge.

Each chemistry's curve is a *full-cell* OCV built from published electrode open-circuit
potentials (OCP, volts against Li/Li+) as ``U_pos(y) − U_neg(x)``, with the electrode
stoichiometries ``x``, ``y`` moving linearly with SOC between published (or derived, see
below) end points — the electrode state-of-health construction of Mohtat et al.,
J. Electrochem. Soc. 166 (2019) A4001 that PyBaMM's ``ElectrodeSOH`` implements. The curves
are sampled once on 201 SOC points at import and linearly interpolated at call time, so
``ocv`` is a single ``np.interp`` and vectorises over any array.

Sources (constants quoted next to each function below):

* nmc811 — Chen et al., J. Electrochem. Soc. 167 (2020) 080534 (LG M50 21700,
  NMC811 / graphite-SiOx): both OCP fits and the stoichiometry windows of their Table VII
  (x 0.0279→0.9014, y 0.9084→0.2661). These reproduce the cell's published 2.5 V / 4.2 V
  limits to 2 mV without any adjustment (checked in tests).
* nmc111, nmc532, nmc622, nmc — mapped to nmc811 (same layered-oxide/graphite family;
  no comparable published full-cell set with stoichiometry windows was found for them).
* nca — mapped to nmc811: Ni-rich layered oxides with near-identical OCP. The Kim et al.
  2011 (J. Electrochem. Soc. 158 A955) NCA polynomial was tried but is flagged by PyBaMM
  as a wrong fit (it diverges to −200 V at y = 1), so it is not used.
* lfp — Prada et al., J. Electrochem. Soc. 160 (2013) A616 cell as parameterised in
  PyBaMM ``Prada2013``: LFP OCP of Afshar et al. (arXiv:1709.03970, 2017), graphite OCP of
  Chen 2020, electrode capacities from the set's loadings and windows solved for its
  2.0 V / 3.6 V limits (x 0.0176→0.8624, y 0.7044→0.0038; the 100 % end equals PyBaMM's
  own initial concentrations).
* lmo, lmo_nmc — LiyMn2O4 OCP of Fuller, Doyle & Newman, J. Electrochem. Soc. 141 (1994) 1
  against Chen 2020 graphite with the Chen 2020 graphite window; the LMO window
  (y 0.1763→0.9913) is solved for 2.5 V / 4.2 V limits (Nissan Leaf AESC cell; Leaf
  pack 403.2 V / 96 s = 4.2 V). lmo_nmc blends are mapped to lmo (LMO-dominated).
* lto — Chen 2020 NMC positive window against a flat Li4Ti5O12 plateau of 1.55 V
  (Ohzuku, Ueda & Yamamoto, J. Electrochem. Soc. 142 (1995) 1431).
* lmfp — LiMn0.5Fe0.5PO4 half-cell OCP digitised from Batteries 4 (2018) 39, Fig. 1
  (digitisation published with Yao & Viswanathan, J. Phys. Chem. Lett. 15 (2024) 1143),
  utilisation 0.005→0.905, against Chen 2020 graphite with its window.
"""

from __future__ import annotations

import numpy as np

_SOC = np.linspace(0.0, 1.0, 201)


def _graphite_chen2020(x):
    """Graphite-SiOx OCP, Chen et al. 2020 (J. Electrochem. Soc. 167 080534), eq. fit."""
    return (
        1.9793 * np.exp(-39.3631 * x)
        + 0.2482
        - 0.0909 * np.tanh(29.8538 * (x - 0.1234))
        - 0.04478 * np.tanh(14.9159 * (x - 0.2769))
        - 0.0205 * np.tanh(30.4444 * (x - 0.6103))
    )


def _nmc811_chen2020(y):
    """NMC811 OCP, Chen et al. 2020 (J. Electrochem. Soc. 167 080534), eq. fit."""
    return (
        -0.809 * y
        + 4.4875
        - 0.0428 * np.tanh(18.5138 * (y - 0.5542))
        - 17.7326 * np.tanh(15.789 * (y - 0.3117))
        + 17.5842 * np.tanh(15.9308 * (y - 0.312))
    )


def _lfp_afshar2017(y):
    """LiFePO4 OCP, Afshar, Morris & Khajepour, arXiv:1709.03970 (2017)."""
    return 3.4077 - 0.020269 * y + 0.5 * np.exp(-150.0 * y) - 0.9 * np.exp(-30.0 * (1.0 - y))


def _lmo_fuller1994(y):
    """LiyMn2O4 OCP, Fuller, Doyle & Newman, J. Electrochem. Soc. 141 (1994) 1."""
    return (
        4.06279
        + 0.0677504 * np.tanh(-21.8502 * y + 12.8268)
        - 0.105734 * (1.0 / (1.00167 - y) ** 0.379571 - 1.575994)
        - 0.045 * np.exp(-71.69 * y**8)
        + 0.01 * np.exp(-200.0 * (y - 0.19))
    )


# LiMn0.5Fe0.5PO4 vs Li: (utilisation, V), digitised from Batteries 4 (2018) 39 Fig. 1,
# every few points of the digitisation in the Yao & Viswanathan (2024) data set.
_LMFP_Q = np.array(
    [
        0.0053,
        0.0215,
        0.0433,
        0.0662,
        0.1000,
        0.1388,
        0.1756,
        0.2164,
        0.2497,
        0.2840,
        0.3174,
        0.3413,
        0.3527,
        0.3636,
        0.3847,
        0.4067,
        0.4283,
        0.4501,
        0.4830,
        0.5158,
        0.5486,
        0.5814,
        0.6142,
        0.6471,
        0.6911,
        0.7346,
        0.7674,
        0.8002,
        0.8221,
        0.8441,
        0.8669,
        0.8868,
        0.8980,
        0.9057,
    ]
)
_LMFP_U = np.array(
    [
        4.1028,
        4.0595,
        4.0379,
        4.0216,
        4.0086,
        3.9896,
        3.9812,
        3.9660,
        3.9467,
        3.9233,
        3.8837,
        3.8520,
        3.8004,
        3.7625,
        3.6966,
        3.6194,
        3.5611,
        3.5276,
        3.4893,
        3.4690,
        3.4476,
        3.4353,
        3.4320,
        3.4232,
        3.4089,
        3.3999,
        3.3929,
        3.3841,
        3.3521,
        3.3084,
        3.2186,
        3.1131,
        3.0120,
        2.8382,
    ]
)


def _lmfp_batteries2018(q):
    return np.interp(q, _LMFP_Q, _LMFP_U)


# Chen 2020 Table VII stoichiometry windows (0 % SOC → 100 % SOC).
_CHEN_X = (0.0279, 0.9014)
_CHEN_Y = (0.9084, 0.2661)


def _full(pos, neg, y_win, x_win):
    y = y_win[0] + _SOC * (y_win[1] - y_win[0])
    x = x_win[0] + _SOC * (x_win[1] - x_win[0])
    return pos(y) - neg(x)


_NMC = _full(_nmc811_chen2020, _graphite_chen2020, _CHEN_Y, _CHEN_X)
_TABLES: dict[str, np.ndarray] = {
    "nmc811": _NMC,
    "lfp": _full(_lfp_afshar2017, _graphite_chen2020, (0.7044, 0.0038), (0.0176, 0.8624)),
    "lmo": _full(_lmo_fuller1994, _graphite_chen2020, (0.9913, 0.1763), _CHEN_X),
    "lto": _nmc811_chen2020(_CHEN_Y[0] + _SOC * (_CHEN_Y[1] - _CHEN_Y[0])) - 1.55,
    "lmfp": _full(_lmfp_batteries2018, _graphite_chen2020, (0.905, 0.005), _CHEN_X),
}

#: Chemistries without their own table and the table they use (see module docstring).
ALIASES = {
    "nmc": "nmc811",
    "nmc111": "nmc811",
    "nmc532": "nmc811",
    "nmc622": "nmc811",
    "nca": "nmc811",
    "lmo_nmc": "lmo",
}

CHEMISTRIES = tuple(sorted(set(_TABLES) | set(ALIASES)))


def table(chemistry: str) -> np.ndarray:
    """The 201-point OCV table (V) on SOC = 0, 0.005, …, 1 for ``chemistry``."""
    key = chemistry.lower()
    key = ALIASES.get(key, key)
    if key not in _TABLES:
        raise KeyError(f"no OCV table for chemistry {chemistry!r}; known: {', '.join(CHEMISTRIES)}")
    return _TABLES[key]


def ocv(chemistry: str, soc):
    """Open-circuit voltage (V) of one cell at ``soc`` (0..1, clipped; array ok)."""
    return np.interp(np.clip(soc, 0.0, 1.0), _SOC, table(chemistry))


def cell_ocv(cell, soc):
    """OCV (V) of ``cell`` at ``soc``: its declared ``ocv`` curve (linear between points), else
    its chemistry's table scaled to its voltage window (``ocv_scaled``)."""
    if cell.ocv:
        socs, volts = zip(*cell.ocv)
        return np.interp(np.clip(soc, 0.0, 1.0), socs, volts)
    return ocv_scaled(cell.chemistry, soc, cell.min_voltage, cell.max_voltage)


def ocv_scaled(chemistry: str, soc, v_min, v_max):
    """OCV of a specific cell whose datasheet window is ``v_min``..``v_max`` (V).

    Method: affine map of the chemistry's table so that its 0 % and 100 % SOC end points
    land on the cell's ``v_min`` and ``v_max`` — ``v = v_min + (ocv − ocv(0)) ·
    (v_max − v_min) / (ocv(1) − ocv(0))``. The table's shape (plateaus, graphite staging)
    is kept; only offset and span change. It assumes the datasheet limits are the OCV at
    0 % and 100 % SOC (true at vanishing current), and broadcasts over ``v_min``/``v_max``
    arrays as well as ``soc``.
    """
    t = table(chemistry)
    u = np.interp(np.clip(soc, 0.0, 1.0), _SOC, t)
    return v_min + (u - t[0]) * ((np.asarray(v_max) - v_min) / (t[-1] - t[0]))
