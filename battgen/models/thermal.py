"""Cell heat generation, lumped temperature rise and the cold-plate resistance chain.

Heat (Bernardi, Pawlikowski & Newman, J. Electrochem. Soc. 132 (1985) 5), discharge current
positive, uniform cell:

    Q = I·(U_ocv − V) − I·T·dU/dT

The first term is irreversible (for a resistive cell V = U − I·R, so it equals the Joule
term I²R); the second is reversible (entropic). ``DUDT`` holds dU/dT per chemistry.

Lumped cell: m·cp·dT/dt = Q − h·A·(T − T∞), time constant τ = m·cp/(h·A).
Two-node core/surface model (Perez et al., 2017, A123 26650 LFP; physics.md): core and
surface capacities Cc, Cs, conduction Rc, convection Ru.

Cold plate, series resistances: R = t_TIM/(k·A) + R_wall + 1/(h·A_wet) + 1/(2·ṁ·cp), with
laminar fully-developed h = Nu·k/D_h, Nu = 4.36 (constant heat flux) or 3.66 (constant
wall temperature) (Incropera & DeWitt, Fundamentals of Heat and Mass Transfer, 6th ed.
2007, §8.4). Coolant flow for a temperature rise ΔT: ṁ = Q/(cp·ΔT).
All functions broadcast over numpy arrays.
"""

from __future__ import annotations

import numpy as np

FARADAY = 96485.33212  # C/mol, CODATA 2018

NU_LAMINAR_FLUX = 4.36  # Incropera & DeWitt 2007, circular tube, uniform q''
NU_LAMINAR_WALL = 3.66  # Incropera & DeWitt 2007, circular tube, uniform T_s

# dU/dT, V/K, whole-cell average over a full discharge.
DUDT = {
    # Huang, Yan & Jiang, J. Power Sources 156 (2006) 541: LiCoO2/graphite full-cell
    # discharge ΔS = −29.78 J/(K·mol) → dU/dT = ΔS/F = −0.309 mV/K. Used as the
    # layered-oxide proxy (no NMC/NCA full-cell average found).
    "layered": -29.78 / FARADAY,
    # No verified full-cell average found for LFP, LMO, LTO, LMFP: reversible term omitted.
    "other": 0.0,
}
_LAYERED = {"nca", "nmc", "nmc111", "nmc532", "nmc622", "nmc811", "lmo_nmc"}


def dudt(chemistry) -> float:
    """dU/dT, V/K: ``chemistry`` a name, or a cell (its declared ``entropic`` first, else its
    chemistry's)."""
    declared = getattr(chemistry, "entropic", None)
    if declared is not None:
        return float(declared)
    name = getattr(chemistry, "chemistry", chemistry)
    return DUDT["layered"] if name.lower() in _LAYERED else DUDT["other"]


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


def cell_heat(current, resistance, temperature, chemistry):
    """Bernardi heat of a resistive cell (V = U − I·R): I²R − I·T·dU/dT, W. ``chemistry``: a
    name, or the cell (its declared ``entropic`` then counts, ``dudt``)."""
    return joule_heat(current, resistance) + reversible_heat(current, temperature, dudt(chemistry))


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


def laminar_h(k_fluid, hydraulic_diameter, nusselt=NU_LAMINAR_FLUX):
    """Heat-transfer coefficient of fully developed laminar flow, W/(m²·K)."""
    return nusselt * np.asarray(k_fluid, float) / hydraulic_diameter


def cold_plate_resistance(t_tim, k_tim, area, r_wall, h, wetted_area, mass_flow, cp):
    """Series thermal resistance cell → coolant bulk, K/W (physics.md chain)."""
    return np.asarray(t_tim, float) / (k_tim * area) + r_wall + 1.0 / (h * wetted_area) + 1.0 / (2.0 * mass_flow * cp)


def coolant_mass_flow(heat, cp, delta_t):
    """Coolant mass flow for a bulk temperature rise ``delta_t``, kg/s."""
    return np.asarray(heat, float) / (cp * delta_t)
