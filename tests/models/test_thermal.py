"""Thermal models against published figures."""

import numpy as np
import pytest

from battgen.models.thermal import (
    NU_LAMINAR_FLUX,
    bernardi_heat,
    cold_plate_resistance,
    coolant_mass_flow,
    dudt,
    joule_heat,
    laminar_h,
    lumped_temperature,
    two_node_steady_rise,
    two_node_time_constants,
)


def test_perez_two_node_checks():
    """Perez et al. 2017 (A123 26650 LFP): Cc 62.7 J/K, Cs 4.5 J/K, Rc 1.94 K/W, Ru 3.08 K/W →
    steady core rise 5.02 K/W, time constants 5.2 s and 323 s (physics.md)."""
    assert two_node_steady_rise(1.94, 3.08) == pytest.approx(5.02)
    fast, slow = two_node_time_constants(62.7, 4.5, 1.94, 3.08)
    assert fast == pytest.approx(5.2, abs=0.1)
    assert slow == pytest.approx(323, abs=2)


def test_bernardi_resistive_equals_joule():
    """Bernardi 1985 with V = U − IR and dU/dT = 0 reduces to I²R."""
    i = np.array([1.0, 10.0, 100.0])
    assert bernardi_heat(i, 3.7, 3.7 - i * 0.002, 298.15, 0.0) == pytest.approx(joule_heat(i, 0.002))


def test_layered_entropy_from_huang2006():
    """Huang et al., J. Power Sources 156 (2006) 541: ΔS = −29.78 J/(K·mol) → −0.309 mV/K."""
    assert dudt("nmc811") * 1e3 == pytest.approx(-0.3086, abs=1e-3)


def test_laminar_glycol_h():
    """Nu = 4.36 (laminar, constant flux), 50/50 glycol k = 0.38 W/(m·K), D_h = 4 mm → 414 W/(m²K)."""
    assert NU_LAMINAR_FLUX == 4.36
    assert laminar_h(0.38, 0.004) == pytest.approx(414.2, abs=0.1)


def test_cold_plate_chain_and_flow():
    """Gap filler 3 W/(m·K) (physics.md 2–4), 1 mm over 0.1 m² → 3.33e-3 K/W; glycol cp 3500,
    1 kW at ΔT 5 K → 0.0571 kg/s; advective term 1/(2ṁcp) = 2.5e-3 K/W."""
    m = coolant_mass_flow(1000.0, 3500.0, 5.0)
    assert m == pytest.approx(0.05714, rel=1e-3)
    r = cold_plate_resistance(0.001, 3.0, 0.1, 0.0, 414.2, 0.2, m, 3500.0)
    assert r == pytest.approx(0.001 / 0.3 + 1 / (414.2 * 0.2) + 1 / (2 * m * 3500), rel=1e-12)


def test_lumped_limits():
    """τ = m·cp/(hA): after one τ the rise is 1 − 1/e of steady state (Q/hA)."""
    t = lumped_temperature(10.0, 0.069, 830.0, 0.1, 0.069 * 830 / 0.1, 298.15)
    assert t - 298.15 == pytest.approx(100 * (1 - np.exp(-1)))
