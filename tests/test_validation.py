"""Estimates against published packs (examples/validation/, figures in packs.json)."""

import pytest

from battgen.validation import rows

ROWS = {row.name: row for row in rows()}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_energy_with_published_configuration_within_3_percent(name):
    assert abs(ROWS[name].energy_error) <= 0.03


# Known miss of the bottom-up packaging model (battgen/models/packaging.py): the Bolt is 15 %
# light with its plate and fins declared. Its cell mass is itself an estimate (no published
# datasheet), its enclosure material, module hardware (frames, compression plates) and fin size
# are unpublished. Reported in docs/validation.md; strict xfail so a model that starts meeting
# it is noticed.
KNOWN_MASS_MISSES = {"chevrolet_bolt_60"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason="module hardware and enclosure unpublished", strict=True))
        if n in KNOWN_MASS_MISSES
        else n
        for n in sorted(ROWS)
    ],
)
def test_mass_with_published_configuration_within_10_percent(name):
    assert abs(ROWS[name].mass_error) <= 0.10


@pytest.mark.parametrize("name", sorted(ROWS))
def test_target_design_meets_the_target_within_5_percent(name):
    row = ROWS[name]
    assert row.target_energy_kWh >= row.target_kWh * (1 - 1e-9)
    assert row.target_error <= 0.05
