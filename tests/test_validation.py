"""Estimates against published packs (examples/validation/, figures in packs.json)."""

import pytest

from battgen.validation import rows

ROWS = {row.name: row for row in rows()}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_energy_with_published_configuration_within_3_percent(name):
    assert abs(ROWS[name].energy_error) <= 0.03


# The fleet-average cell-to-pack ratio (Löbberding 2020) cannot represent packs at both ends of
# the surveyed range; the bottom-up packaging model replacing it is in progress.
KNOWN_MASS_MISSES = {"bmw_i3_94ah", "tesla_model_s_85"}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.xfail(reason="fleet-average packaging ratio", strict=True))
     if n in KNOWN_MASS_MISSES else n for n in sorted(ROWS)],
)  # fmt: skip
def test_mass_with_published_configuration_within_10_percent(name):
    assert abs(ROWS[name].mass_error) <= 0.10


@pytest.mark.parametrize("name", sorted(ROWS))
def test_target_design_meets_the_target_within_5_percent(name):
    row = ROWS[name]
    assert row.target_energy_kWh >= row.target_kWh * (1 - 1e-9)
    assert row.target_error <= 0.05
