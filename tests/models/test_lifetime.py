"""The lifetime screen synthesis reads (models.lifetime.cycles_to_80 over lifetime_table): BLAST-
Lite's models tabulated. The table itself is checked against BLAST-Lite in tests/test_lifetime.py;
here, its shape: more stress, fewer cycles, and arrays in, arrays out."""

import numpy as np
import pytest

from battgen.models import lifetime
from tests.models._cells import make_cell


def test_cycles_fall_with_depth_of_discharge_and_heat_and_broadcast():
    cell = make_cell()  # nmc811: the LG M50 model
    n = lifetime.cycles_to_80(cell, np.array([0.5, 0.8, 1.0]), 0.5 / 3600, 298.15)
    assert n.shape == (3,)
    hot = lifetime.cycles_to_80(cell, 0.8, 0.5 / 3600, 318.15)
    assert hot < n[1]
    big = lifetime.cycles_to_80(cell, np.full(200_000, 0.8), 0.5 / 3600, 298.15)
    assert big.shape == (200_000,) and np.all(big == big[0])


def test_the_screen_follows_the_chemistrys_model():
    lfp = make_cell(chemistry="lfp", capacity_ah=280, nominal=3.2, vmin=2.5, vmax=3.65)
    nmc = make_cell()
    # LFP-graphite outlives NMC811-Si/graphite on the same duty (BLAST-Lite's two models)
    assert lifetime.cycles_to_80(lfp, 0.8, 0.5 / 3600, 298.15) > 3 * lifetime.cycles_to_80(nmc, 0.8, 0.5 / 3600, 298.15)


def test_the_crossing_is_interpolated():
    q = np.array([1.0, 0.9, 0.82, 0.78, 0.7])
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    assert lifetime._crossing(q, x) == pytest.approx(2.5)
    assert lifetime._crossing(np.array([1.0, 0.9]), np.array([0.0, 1.0])) is None
