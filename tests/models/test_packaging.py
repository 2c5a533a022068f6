"""Packaging factors: Löbberding et al. 2020 statistics; validation packs reported, not tuned."""

import json
from pathlib import Path

import pytest

from battgen.models.packaging import cooling_factors, pack_mass, pack_mass_range, pack_volume


def test_lobberding_averages():
    """Löbberding et al., WEVJ 11 (2020) 77: cell-to-system gravimetric 0.552 (cylindrical),
    0.575 (pouch/prismatic): 100 kg of cells → 181.2 kg / 173.9 kg system."""
    assert pack_mass(1.0, 100, "cylindrical") == pytest.approx(100 / 0.552)
    assert pack_mass(1.0, 100, "pouch") == pytest.approx(100 / 0.575)
    assert pack_volume(1e-3, 100, "prismatic") == pytest.approx(0.1 / 0.353)


def test_foxbms_cooling_adders():
    """foxBMS BaSD: air +10 % mass vs glycol +25 % → 1.10/1.25; width/length +20 % vs +7 %."""
    fm, fv = cooling_factors("air")
    assert fm == pytest.approx(1.10 / 1.25) and fv == pytest.approx((1.20 / 1.07) ** 2)


VALIDATION = Path(__file__).resolve().parents[3] / "shared" / "validation" / "packs.json"
# Cell masses from published sheets: NCR18650B ≤ 48.5 g (Panasonic datasheet); AESC Leaf
# 0.799 kg (ORNL/NREL spec table); Samsung SDI 94 Ah ≈ 94·3.68 Wh / 174 Wh/kg (batterydesign.net).
CELL_MASS = {"tesla_model_s_85": (0.0485, "cylindrical"), "nissan_leaf_24": (0.799, "pouch"),
             "bmw_i3_94ah": (94 * 3.68 / 174, "prismatic")}


@pytest.mark.skipif(not VALIDATION.exists(), reason="shared/validation not present")
def test_validation_packs_within_fleet_range(capsys):
    """Published cells × Löbberding average vs published pack mass; factors are NOT tuned to
    these packs. Observed: Model S +15 %, Leaf −9 %, i3 +30 % (the i3's 0.746 cell/pack mass
    ratio sits just above the surveyed fleet maximum of 0.742). Asserted: within ±35 %."""
    packs = {p["name"]: p for p in json.loads(VALIDATION.read_text())["packs"]}
    for name, (m, fmt) in CELL_MASS.items():
        p = packs[name]
        est = float(pack_mass(m, p["cells"], fmt))
        lo, hi = pack_mass_range(m, p["cells"], fmt)
        print(f"{name}: estimate {est:.0f} kg vs published {p['mass_kg']} kg ({est / p['mass_kg'] - 1:+.0%})")
        assert abs(est / p["mass_kg"] - 1) < 0.35
        assert lo * 0.99 <= p["mass_kg"] <= hi
