"""Ageing models against check values recomputed from published constants."""

import numpy as np
import pytest

from battgen.models.lifetime import (
    SCHMALSTIEG,
    WANG,
    cycle_life_report,
    cycles_to_80,
    schmalstieg_capacity,
    wang_loss_percent,
)
from tests.models._cells import make_cell


def test_schmalstieg_calendar_checks():
    """Schmalstieg et al., J. Power Sources 257 (2014) 325: calendar loss after 365 days —
    3.7 V, 25 °C → 2.39 %; 4.1 V, 50 °C → 25.3 % (physics.md check values)."""
    assert 1 - schmalstieg_capacity(365, 0, 3.7, 3.7, 0, 298.15) == pytest.approx(0.0239, abs=5e-4)
    assert 1 - schmalstieg_capacity(365, 0, 4.1, 4.1, 0, 323.15) == pytest.approx(0.253, abs=2e-3)


def test_wang_check_value():
    """Wang et al., J. Power Sources 196 (2011) 3942, 2 C, B = 21681, 45 °C, 10 000 Ah:
    21681·exp((−31700 + 370.3·2)/(8.314·318.15))·10000^0.55 recomputed by hand = 28.4 %."""
    expected = 21681 * np.exp((-31700 + 370.3 * 2) / (8.314462618 * 318.15)) * 10000**0.55
    assert wang_loss_percent(10000, 2.0, 318.15) == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(28.4, abs=0.1)


def test_cycles_monotone_in_stress_and_vectorised():
    cell = make_cell()
    n = cycles_to_80(cell, np.array([0.5, 0.8, 1.0]), 1 / 3600, 298.15)
    assert np.all(np.diff(n) < 0)
    hot = cycles_to_80(cell, 0.8, 1 / 3600, 318.15)
    assert hot < n[1]
    big = cycles_to_80(cell, np.full(200_000, 0.8), 1 / 3600, 298.15)
    assert big.shape == (200_000,)


def test_solution_is_80_percent():
    """The solved N puts Schmalstieg's q at 0.8 (one cycle per day)."""
    cell = make_cell(chemistry="nmc111", vmin=3.0, vmax=4.1)
    n = float(cycles_to_80(cell, 0.8, 1 / 3600, 298.15, soc_high=0.9))
    from battgen.models.lifetime import _window_voltages

    v, vr = _window_voltages(cell, np.array(0.8), 0.9)
    q = schmalstieg_capacity(n, 2 * n * 0.8 * 2.15, v, vr, 0.8, 298.15)
    assert q == pytest.approx(0.8, abs=1e-6)


def test_lfp_uses_wang_and_report_has_datasheet():
    """EVE LF280K datasheet: 6,000 cycles to 80 % (under 300 kgf)."""
    cell = make_cell(chemistry="lfp", capacity_ah=280, nominal=3.2, vmax=3.65, cycle_life=6000)
    rep = cycle_life_report(cell, 1.0, 0.5 / 3600, 298.15)
    assert rep["model"] == WANG and rep["datasheet_cycle_life"] == 6000
    assert 1000 < float(rep["cycles_to_80"]) < 20000
    assert cycle_life_report(make_cell(), 1.0, 1 / 3600, 298.15)["model"] == SCHMALSTIEG
