"""OCV tables against published figures."""

import numpy as np
import pytest

from battgen.models.ocv import CHEMISTRIES, ocv, ocv_scaled, table


def test_chen2020_window_reproduces_lg_m50_limits():
    """Chen et al., J. Electrochem. Soc. 167 (2020) 080534, Table VII stoichiometries give the
    LG M50's published 2.5 V / 4.2 V limits (LG INR21700-M50 datasheet) — not fitted here."""
    assert ocv("nmc811", 0.0) == pytest.approx(2.5, abs=0.01)
    assert ocv("nmc811", 1.0) == pytest.approx(4.2, abs=0.01)


@pytest.mark.parametrize(
    "chem, nominal, tol, source",
    [
        ("nmc811", 3.63, 0.08, "LG INR21700-M50 datasheet nominal 3.63 V"),
        ("lfp", 3.2, 0.1, "EVE LF280K datasheet nominal 3.2 V"),
        ("lmo", 3.75, 0.12, "AESC Leaf cell 3.75 V (Nissan, 360 V / 96)"),
        ("lto", 2.3, 0.1, "Toshiba SCiB LTO cells, nominal 2.3 V"),
    ],
)
def test_mean_ocv_near_published_nominal(chem, nominal, tol, source):
    """SOC-averaged OCV lies just above the datasheet nominal (average discharge) voltage."""
    assert np.mean(table(chem)) == pytest.approx(nominal, abs=tol), source


def test_lfp_window_matches_pybamm_prada2013_limits():
    """PyBaMM Prada2013 set: 2.0 V at 0 % and 3.6 V at 100 % SOC (its declared OCV limits)."""
    assert ocv("lfp", 0.0) == pytest.approx(2.0, abs=0.01)
    assert ocv("lfp", 1.0) == pytest.approx(3.6, abs=0.01)


def test_all_tables_monotone_and_vectorised():
    soc = np.random.default_rng(0).random(100_000)
    for chem in CHEMISTRIES:
        assert np.all(np.diff(table(chem)) > 0), chem
        assert ocv(chem, soc).shape == soc.shape


def test_scaled_hits_cell_window():
    """EVE LF280K datasheet window 2.5–3.65 V."""
    v = ocv_scaled("lfp", np.array([0.0, 0.5, 1.0]), 2.5, 3.65)
    assert v[0] == pytest.approx(2.5) and v[-1] == pytest.approx(3.65)
    assert 3.2 < v[1] < 3.45  # on the LFP plateau


def test_unknown_chemistry():
    with pytest.raises(KeyError):
        ocv("sodium", 0.5)
