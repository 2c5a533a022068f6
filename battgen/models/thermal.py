"""Cell heat generation, the paths the heat leaves by, and the temperatures they set.

SI throughout (W, K, m, V/K); all functions broadcast over numpy arrays where that makes sense.

**Heat** (Bernardi, Pawlikowski & Newman, J. Electrochem. Soc. 132 (1985) 5), discharge current
positive, uniform cell:

    Q = I·(U_ocv − V) − I·T·dU/dT

The first term is irreversible (for a resistive cell V = U − I·R, so it equals the Joule term
I²R); the second is reversible (entropic): a negative dU/dT adds heat on discharge.

**Entropic coefficient dU/dT by chemistry and state of charge** (``dudt``, ``mean_dudt``): a
full cell's dU/dT is the positive electrode's minus the negative's, each a function of its
stoichiometry, which runs linearly with SOC between the cell's 0 % and 100 % windows
(``Couple``). No full-cell measurement could be read for any chemistry (the papers' tables are
paywalled), so each curve is built from published half-cell data and a published cell's window:

* NMC811 | graphite-SiOx, the LG M50 (``M50``): both half-cell fits of O'Regan, Brosa Planella,
  Widanage & Kendrick, Electrochim. Acta 425 (2022) 140700, as coded in PyBaMM
  (``input/parameters/lithium_ion/ORegan2022.py``, commit 7c9f5bd8; the graphite fit's tanh term
  is switched off there, "fixed fit"), over the stoichiometry window of Chen et al.,
  J. Electrochem. Soc. 167 (2020) 080534 (x 0.0279 → 0.9014, y 0.9084 → 0.2661; the 100 % ends
  are the ends of the measured OCP data PyBaMM ships, ``graphite_LGM50_ocp_Chen2020.csv`` and
  ``nmc_LGM50_ocp_Chen2020.csv``). It gives −0.430 mV/K at 6 % SOC, +0.015 at 50 %, +0.109 at
  98 %, −0.041 on average over 0–100 % (tests/models/test_thermal.py).
* NMC111 | graphite (``NMC111``): the Faraday Institution BPX example of an NMC111 12.5 Ah pouch
  (About:Energy, 2022; FaradayInstitution/BPX ``examples/nmc_pouch_cell_BPX.json``, commit
  0f591336): O'Regan's graphite fit and a constant −0.1 mV/K for the positive electrode
  ("from Viswanathan et al. 2010", J. Power Sources 195 (2010) 3720), with that cell's window.
* LFP | graphite (``LFP``): the BPX LFP 18650 example (``examples/lfp_18650_cell_BPX.json``):
  O'Regan's graphite fit and the LFP table "from Gerver and Meyers 2011" (J. Electrochem. Soc.
  158 (2011) A835), with that cell's window: −0.489 mV/K at 10 % SOC, −0.039 at 50 %, +0.085 at
  95 %, −0.085 on average.

Chemistries with no curve of their own take the nearest published couple (``PROXY``: NCA and
NMC622 the Ni-rich NMC811 curve; NMC532, ``nmc`` and LMO-NMC the NMC111 one; LMFP the LFP one:
the graphite term, which dominates at low SOC, is the same in all of them). LMO and LTO have
none (LTO has no graphite electrode): their reversible heat is left out (0). A cell that states
its own ``entropic`` (a constant or a table by SOC) overrides all of this.

**Coolant channels** (``batpac_nusselt``): simultaneously developing laminar flow, the mean
Nusselt number of ANL's BatPaC 5.0 (workbook 2022-07-22, sheet Thermal, row 108; Argonne,
https://www.anl.gov/cse/batpac-model-software) for its cold-plate flow passage:
Nu = (5.385^3.592 + (2.255·Gz^(1/3))^3.592)^(1/3.592) with Gz = 2·(D_h/L)·Re·Pr (row 107, the
factor 2 is BatPaC's), D_h = 2·w·t/(w + t): a blend of the fully developed parallel-plate
value with one wall at uniform flux and the other insulated (5.385, Shah & London 1978) and a
Lévêque-type entry term. Pressure drop (row 130, laminar, f·Re = 96): ΔP = 48·μ·V·L/D_h².

**Inside the cell** (``end_resistance``, ``faces_resistance``, ``radial_resistance``): steady
1-D conduction with uniform heat generation (any heat-transfer text, e.g. Incropera & DeWitt,
Fundamentals of Heat and Mass Transfer, 6th ed. 2007, §3.5), from the cooled face to the
cell's hottest point:

* one end cooled, the rest adiabatic, conduction length L over section A: ΔT_max = Q·L/(2·k·A)
  (a round cell on its base: L the height, k axial; a flat cell on its edge: L the height,
  k in-plane);
* a slab cooled on both faces, thickness t, face area A: ΔT_max = Q·t/(8·k·A) (k through-plane);
* a cylinder cooled on its side, height H: ΔT_max = Q/(4π·k·H) (k radial).

Conductivities: ``axial_conductivity`` (Yu et al. 2023), ``K_RADIAL`` (Perez et al. 2017),
``K_IN_PLANE`` and ``K_THROUGH_PLANE`` (layer builds). Contact resistances inside the can
(jelly roll to can bottom, tab, pouch seal) are not known and not included.

**Forced air** (``zukauskas_nusselt``, ``tube_bank_max_velocity``, ``tube_bank_pressure_drop``,
``stephan_nusselt``): cylindrical cells as a tube bank in cross-flow, Zukauskas, "Heat transfer
from tubes in crossflow", Advances in Heat Transfer 8 (1972) 93, in the fit of Bejan, Convection
Heat Transfer, 4th ed. 2013, as implemented in CalebBell/ht (``ht.conv_tube_bank``, commit
f9c60c46; its row corrections and its digitised friction charts ``dP_Zukauskas`` are used
directly); flat cells with air in the gaps between them as parallel-plate channels, Stephan's
mean Nusselt number for simultaneously developing laminar flow between plates at uniform wall
temperature (K. Stephan, Chem.-Ing.-Tech. 31 (1959) 773), and f·Re = 96.

Lumped cell: m·cp·dT/dt = Q − h·A·(T − T∞), time constant τ = m·cp/(h·A). Two-node core/surface
model (Perez et al., 2017, A123 26650 LFP; physics.md): core and surface capacities Cc, Cs,
conduction Rc, convection Ru. Coolant flow for a temperature rise ΔT: ṁ = Q/(cp·ΔT).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

FARADAY = 96485.33212  # C/mol, CODATA 2018

# --- entropic coefficient -------------------------------------------------------------------


def graphite_oregan(x):
    """dU/dT of graphite(-SiOx) against lithium, mV/K, at stoichiometry ``x`` (O'Regan et al. 2022,
    LG M50, 298.15 K; PyBaMM ORegan2022.py with its tanh term off)."""
    x = np.asarray(x, float)
    return -0.1112 * x + 0.02914 + 0.3561 * np.exp(-((x - 0.08309) ** 2) / 0.004616)


def nmc811_oregan(y):
    """dU/dT of NMC811 against lithium, mV/K, at stoichiometry ``y`` (O'Regan et al. 2022, LG M50)."""
    y = np.asarray(y, float)
    return 0.04006 * np.exp(-((y - 0.2828) ** 2) / 0.0009855) - 0.06656 * np.exp(-((y - 0.8032) ** 2) / 0.02179)


def nmc111_viswanathan(y):
    """dU/dT of NMC111, mV/K: the constant −0.1 mV/K the BPX NMC111 example takes from
    Viswanathan et al. 2010."""
    return np.full_like(np.asarray(y, float), -0.1)


# Gerver & Meyers 2011 LFP dU/dT, V/K, at stoichiometry 0, 0.05, …, 1 (as tabulated in the BPX
# LFP 18650 example, FaradayInstitution/BPX examples/lfp_18650_cell_BPX.json).
_LFP_STOICHIOMETRY = np.linspace(0.0, 1.0, 21)
_LFP_DUDT = 1e3 * np.array(
    [
        1.0e-4,
        4.7145e-05,
        3.7666e-05,
        2.0299e-05,
        5.9833e-06,
        -4.6859e-06,
        -1.3966e-05,
        -2.3528e-05,
        -3.3593e-05,
        -4.3433e-05,
        -5.2311e-05,
        -6.0211e-05,
        -6.8006e-05,
        -7.6939e-05,
        -8.7641e-05,
        -9.913e-05,
        -1.0855e-04,
        -1.1266e-04,
        -1.1238e-04,
        -1.0921e-04,
        -2.2539e-04,
    ]
)


def lfp_gerver(y):
    """dU/dT of LFP against lithium, mV/K (Gerver & Meyers 2011 table, linear between points)."""
    return np.interp(np.asarray(y, float), _LFP_STOICHIOMETRY, _LFP_DUDT)


@dataclass(frozen=True)
class Couple:
    """A full cell's dU/dT from its two electrodes: each electrode's stoichiometry runs linearly
    with SOC from its 0 % value to its 100 % value (negative x, positive y)."""

    name: str
    positive: Callable[[np.ndarray], np.ndarray]  # mV/K against lithium
    negative: Callable[[np.ndarray], np.ndarray]
    x0: float
    x100: float
    y0: float
    y100: float
    source: str

    def dudt(self, soc):
        """dU/dT of the full cell, V/K, at ``soc`` (0..1, clipped)."""
        s = np.clip(np.asarray(soc, float), 0.0, 1.0)
        x = self.x0 + s * (self.x100 - self.x0)
        y = self.y0 + s * (self.y100 - self.y0)
        return (self.positive(y) - self.negative(x)) * 1e-3


M50 = Couple(
    "NMC811|graphite-SiOx (LG M50)",
    nmc811_oregan,
    graphite_oregan,
    0.0279,
    0.9014,
    0.9084,
    0.2661,
    "O'Regan et al. 2022 half-cell fits (PyBaMM ORegan2022), Chen et al. 2020 window",
)
NMC111 = Couple(
    "NMC111|graphite (BPX 12.5 Ah pouch)",
    nmc111_viswanathan,
    graphite_oregan,
    0.005504,
    0.75668,
    0.96210,
    0.42424,
    "BPX NMC111 pouch example: Viswanathan et al. 2010 positive, O'Regan et al. 2022 graphite",
)
LFP = Couple(
    "LFP|graphite (BPX 2 Ah 18650)",
    lfp_gerver,
    graphite_oregan,
    0.0016261,
    0.82258,
    0.95038,
    0.0875,
    "BPX LFP 18650 example: Gerver & Meyers 2011 positive, O'Regan et al. 2022 graphite",
)

COUPLES: dict[str, Couple] = {"nmc811": M50, "nmc111": NMC111, "lfp": LFP}
# Chemistries without a published curve of their own, and the couple they take.
PROXY: dict[str, str] = {
    "nca": "nmc811",
    "nmc622": "nmc811",
    "nmc532": "nmc111",
    "nmc": "nmc111",
    "lmo_nmc": "nmc111",
    "lmfp": "lfp",
}


def couple(chemistry: str) -> Couple | None:
    """The published couple whose curve a chemistry uses (None: no curve, reversible heat 0)."""
    key = chemistry.lower()
    return COUPLES.get(PROXY.get(key, key))


def dudt(chemistry: str, soc, table: Sequence[tuple[float, float]] = ()):
    """dU/dT, V/K, of a ``chemistry`` cell at ``soc`` (0..1); ``table``, a cell's own
    (SOC, dU/dT) points, overrides the chemistry's curve (linear between points, flat beyond)."""
    if table:
        socs, values = zip(*sorted(table))
        return np.interp(np.asarray(soc, float), socs, values)
    found = couple(chemistry)
    if found is None:
        return np.zeros_like(np.asarray(soc, float))
    return found.dudt(soc)


def mean_dudt(chemistry: str, low: float, high: float, table: Sequence[tuple[float, float]] = ()) -> float:
    """dU/dT averaged over SOC from ``low`` to ``high``, V/K: the reversible heat of a discharge
    through that window at constant current is −I·T·(this)."""
    if high <= low:
        return float(dudt(chemistry, low, table))
    v = dudt(chemistry, np.linspace(low, high, 801), table)
    return float((v.sum() - (v[0] + v[-1]) / 2) / (len(v) - 1))  # trapezoid rule, equal steps


# --- heat -----------------------------------------------------------------------------------


def joule_heat(current, resistance):
    """Irreversible heat I²R, W."""
    return np.asarray(current, float) ** 2 * resistance


def reversible_heat(current, temperature, dudt_value):
    """Entropic heat −I·T·dU/dT, W (discharge current positive)."""
    return -np.asarray(current, float) * temperature * dudt_value


def bernardi_heat(current, ocv, voltage, temperature, dudt_value):
    """Bernardi 1985 total heat I·(U − V) − I·T·dU/dT, W."""
    i = np.asarray(current, float)
    return i * (ocv - voltage) - i * temperature * dudt_value


def cell_heat(current, resistance, temperature, dudt_value):
    """Bernardi heat of a resistive cell (V = U − I·R): I²R − I·T·dU/dT, W."""
    return joule_heat(current, resistance) + reversible_heat(current, temperature, dudt_value)


def time_constant(mass, specific_heat, h_area):
    """Lumped time constant m·cp/(h·A), s."""
    return np.asarray(mass, float) * specific_heat / h_area


def lumped_temperature(heat, mass, specific_heat, h_area, t, ambient, initial=None):
    """Cell temperature after ``t`` s at constant ``heat`` W (lumped model), K."""
    initial = ambient if initial is None else initial
    steady = ambient + np.asarray(heat, float) / h_area
    tau = time_constant(mass, specific_heat, h_area)
    return steady + (initial - steady) * np.exp(-np.asarray(t, float) / tau)


def adiabatic_rise(heat, mass, specific_heat, t):
    """Temperature rise with no cooling, K."""
    return np.asarray(heat, float) * t / (np.asarray(mass, float) * specific_heat)


def two_node_steady_rise(rc, ru):
    """Steady core rise per watt of the two-node model, K/W (= Rc + Ru)."""
    return np.asarray(rc, float) + ru


def two_node_time_constants(cc, cs, rc, ru):
    """(fast, slow) time constants of the two-node core/surface model, s."""
    a = 1.0 / (rc * cc)
    b = 1.0 / (rc * cs)
    d = 1.0 / (ru * cs)
    tr = -(a + b + d)
    det = a * d
    disc = np.sqrt(tr * tr - 4.0 * det)
    lam_fast, lam_slow = (-tr + disc) / 2.0, (-tr - disc) / 2.0
    return 1.0 / lam_fast, 1.0 / lam_slow


def coolant_mass_flow(heat, cp, delta_t):
    """Coolant mass flow for a bulk temperature rise ``delta_t``, kg/s."""
    return np.asarray(heat, float) / (cp * delta_t)


# --- laminar channels -----------------------------------------------------------------------

BATPAC_NU_DEVELOPED = (
    5.385  # parallel plates, one wall at uniform flux, the other insulated (Shah & London 1978; BatPaC 5.0)
)
LAMINAR_LIMIT = 2300.0  # Re: the laminar correlations below hold under it (Incropera & DeWitt 2007, §8.1)


def hydraulic_diameter(width, height):
    """4·area/perimeter of a rectangular duct, m."""
    return 2.0 * np.asarray(width, float) * height / (np.asarray(width, float) + height)


def batpac_graetz(reynolds, prandtl, hydraulic, length):
    """BatPaC 5.0's Graetz number 2·(D_h/L)·Re·Pr (Thermal sheet, row 107)."""
    return 2.0 * np.asarray(hydraulic, float) / length * prandtl * reynolds


def batpac_nusselt(graetz):
    """BatPaC 5.0's mean Nusselt number of a developing laminar cold-plate passage (row 108)."""
    gz = np.asarray(graetz, float)
    return (BATPAC_NU_DEVELOPED**3.592 + (2.255 * gz ** (1 / 3)) ** 3.592) ** (1 / 3.592)


def stephan_nusselt(reynolds, prandtl, hydraulic, length):
    """Stephan (1959) mean Nusselt number between parallel plates at uniform wall temperature,
    velocity and temperature developing together: 7.55 + 0.024·x*^−1.14/(1 + 0.0358·Pr^0.17·x*^−0.64),
    x* = L/(D_h·Re·Pr); tends to 7.55 (Shah & London's 7.541) in a long channel."""
    xs = np.asarray(length, float) / (hydraulic * np.asarray(reynolds, float) * prandtl)
    return 7.55 + 0.024 * xs**-1.14 / (1.0 + 0.0358 * prandtl**0.17 * xs**-0.64)


def laminar_pressure_drop(viscosity, velocity, length, hydraulic):
    """Fully developed laminar pressure drop between parallel plates (f·Re = 96 on D_h), Pa:
    48·μ·V·L/D_h² (BatPaC 5.0 row 130, without its allowance for turns and connections)."""
    return 48.0 * viscosity * np.asarray(velocity, float) * length / np.asarray(hydraulic, float) ** 2


# --- inside the cell ------------------------------------------------------------------------

# Axial (along the winding) conductivity of cylindrical cells, heat-guarded measurement of the
# whole cell: 18650 11.8–15.4, 21700 12.6–16.7 W/(m·K) (Yu et al., Appl. Therm. Eng. 2023,
# 120959); the middle of each range (it rises with temperature and SOC).
K_AXIAL_18650 = (11.8 + 15.4) / 2
K_AXIAL_21700 = (12.6 + 16.7) / 2
# Radial (across the winding): Perez et al. 2017 measured the core-to-surface resistance of an
# A123 26650 (65 mm tall) as 1.94 K/W (physics.md); with ΔT = Q/(4π·k·H) that is
# k = 1/(4π·1.94·0.065) = 0.631 W/(m·K) (Richardson, Zhao & Howey's LFP cylinder model uses 0.666).
K_RADIAL = 1.0 / (4.0 * math.pi * 1.94 * 0.065)
# Flat cells. In-plane (along the electrode sheets): 25.1 W/(m·K), the LG M50's layers averaged
# by thickness (PyBaMM ORegan2022 component conductivities at 298 K: Cu 12 µm, anode 2 × 85.2,
# separator 2 × 12, cathode 2 × 75.6, Al 16 µm, no contact resistance); BatPaC 5.0's thinner layer
# build gives 106.6: the lower is taken. Through-plane (across the sheets): 0.355 W/(m·K),
# BatPaC 5.0's "across layers" value (Thermal sheet); the M50 layers without contact
# resistance give 1.23: the lower is taken.
K_IN_PLANE = 25.1
K_THROUGH_PLANE = 0.355


def axial_conductivity(diameter: float) -> float:
    """Axial conductivity of a cylindrical cell, W/(m·K): Yu et al.'s 21700 range for cells
    20 mm or wider, its 18650 range below."""
    return K_AXIAL_21700 if diameter >= 0.020 else K_AXIAL_18650


def end_resistance(length, section, conductivity):
    """Cooled end to the far end of a bar with uniform generation, K/W: L/(2·k·A)."""
    return np.asarray(length, float) / (2.0 * conductivity * np.asarray(section, float))


def faces_resistance(thickness, face_area, conductivity):
    """Either face to the mid-plane of a slab with uniform generation cooled on both faces,
    K/W: t/(8·k·A)."""
    return np.asarray(thickness, float) / (8.0 * conductivity * np.asarray(face_area, float))


def radial_resistance(height, conductivity=K_RADIAL):
    """Side surface to the axis of a cylinder with uniform generation, K/W: 1/(4π·k·H)."""
    return 1.0 / (4.0 * math.pi * conductivity * np.asarray(height, float))


# --- forced air over a bank of round cells --------------------------------------------------

# Zukauskas (1972) in Bejan's fit (2013), as in ht.Nu_Zukauskas_Bejan: (Re upper bound, C, m).
# ht's code has m = 0.05 for the aligned bank at 100 < Re < 1000; its own docstring (and Bejan)
# give 0.5, used here.
_ZUKAUSKAS_ALIGNED = ((100.0, 0.9, 0.4), (1000.0, 0.52, 0.5), (2e5, 0.27, 0.63), (math.inf, 0.033, 0.8))
_ZUKAUSKAS_STAGGERED = ((500.0, 1.04, 0.4), (1000.0, 0.71, 0.5), (2e5, 0.35, 0.6), (math.inf, 0.031, 0.8))
ZUKAUSKAS_PITCH_RANGE = (1.25, 2.5)  # S/D of Zukauskas' friction charts (ht's dP_Zukauskas fits)


def zukauskas_nusselt(reynolds: float, prandtl: float, rows: int, staggered: bool, pitch_ratio: float = 1.0) -> float:
    """Mean Nusselt number (on the cell diameter) of a bank of ``rows`` rows in cross-flow,
    Re on the diameter and the velocity in the narrowest gap; ``pitch_ratio`` = S_T/S_L
    (staggered banks above Re 1000). The wall-Prandtl correction is 1 for air."""
    from ht.conv_tube_bank import Zukauskas_tube_row_correction

    table = _ZUKAUSKAS_STAGGERED if staggered else _ZUKAUSKAS_ALIGNED
    c, m = next((c, m) for top, c, m in table if reynolds < top)
    factor = pitch_ratio**0.2 if staggered and reynolds >= 1000.0 else 1.0
    correction = Zukauskas_tube_row_correction(rows, staggered=staggered, Re=reynolds)
    return c * reynolds**m * prandtl**0.36 * factor * correction


def tube_bank_max_velocity(velocity: float, diameter: float, transverse: float, longitudinal: float, staggered: bool):
    """The velocity in the narrowest gap of the bank, m/s, for an approach ``velocity``: through
    the transverse gap S_T − D, or in a staggered bank the diagonal gaps 2·(S_D − D) if narrower
    (Incropera & DeWitt 2007, eqs. 7.57-7.59)."""
    gap = transverse - diameter
    if staggered:
        diagonal = math.hypot(longitudinal, transverse / 2.0)
        gap = min(gap, 2.0 * (diagonal - diameter))
    return velocity * transverse / gap


def tube_bank_pressure_drop(
    reynolds: float, rows: int, diameter: float, transverse: float, longitudinal: float, staggered: bool, density, vmax
) -> float:
    """Zukauskas' pressure drop across ``rows`` rows, Pa: N·χ·f·ρ·V_max²/2 with f and χ from his
    charts (ht.dP_Zukauskas). The charts cover S/D from 1.25 to 2.5: a closer bank is read at
    1.25 (``ZUKAUSKAS_PITCH_RANGE``; the true drop is higher)."""
    from ht.conv_tube_bank import dP_Zukauskas

    low, high = ZUKAUSKAS_PITCH_RANGE
    scale = min(max(transverse / diameter, low), high) * diameter / transverse  # keeps S_T/S_L
    st, sl = transverse * scale, (longitudinal * scale if staggered else transverse * scale)
    if staggered and sl == st:
        sl *= 1.0 + 1e-9  # ht reads an equal pair as an in-line bank
    return float(dP_Zukauskas(reynolds, rows, st, sl, diameter, density, vmax))
