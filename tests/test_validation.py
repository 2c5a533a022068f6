"""Estimates against published packs (examples/validation/, figures and sources in packs.json).

With S, P and the module count fixed to the published values: energy within 3 % and mass within
8 % of the published figures for every pack whose mass was published. Two packs need a word
(packs.json says it in full):

* the BMW i3s publish their housing (base 19.5 kg, lid 4.5 kg): it replaces the mass model's
  enclosure parts, which on their own are 11-12 % heavy (BatPaC's insulated steel-and-aluminium
  jacket against BMW's die-cast tray);
* the Porsche Taycan's housing is a load-carrying part of the car's body (Porsche): the model's
  non-structural jacket leaves the whole pack 9 % light, so the level the model does carry — its
  modules, against Porsche's published 12 kg each — is what is checked for it;
* the Tesla Model 3 LFP has no published mass (its 438 kg is the source's own 55 kWh / 125 Wh/kg,
  at odds with the same-shaped 2170 pack): energy only.
"""

import json
from pathlib import Path

import pytest

from battgen.validation import ENERGY_TOLERANCE, MASS_TOLERANCE, TARGET_TOLERANCE, rows

ROWS = {row.name: row for row in rows()}
PACKS = {
    p["name"]: p
    for p in json.loads((Path(__file__).parents[1] / "examples/validation/packs.json").read_text())["packs"]
}
STRUCTURAL = {"porsche_taycan_pbp_93"}  # the housing is the car's structure: the modules are checked


def test_enough_packs_with_their_module_counts():
    """At least 10 published packs, at least 4 of them liquid-cooled pouch or prismatic packs with
    their published module counts, the Chevrolet Bolt among them."""
    assert len(ROWS) >= 10
    liquid_flat = [
        n
        for n, p in PACKS.items()
        if p.get("modules")
        and any(w in (p.get("cooling") or "").lower() for w in ("liquid", "plate", "glycol", "refrigerant"))
        and (p.get("cell", {}).get("format") in ("pouch", "prismatic") or n in ("chevrolet_bolt_60", "bmw_i3_94ah"))
    ]
    assert len(liquid_flat) >= 4, liquid_flat
    assert "chevrolet_bolt_60" in liquid_flat and PACKS["chevrolet_bolt_60"]["modules"] == 10


@pytest.mark.parametrize("name", sorted(ROWS))
def test_energy_with_published_configuration_within_3_percent(name):
    assert abs(ROWS[name].energy_error) <= ENERGY_TOLERANCE


@pytest.mark.parametrize(
    "name", sorted(n for n in ROWS if ROWS[n].published_mass_kg is not None and n not in STRUCTURAL)
)
def test_mass_with_published_configuration_within_8_percent(name):
    assert abs(ROWS[name].mass_error) <= MASS_TOLERANCE


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_housing_modules_within_8_percent_and_the_pack_light_as_explained(name):
    """Where the housing is the car's structure, the modules (cells and module-level parts)
    against their published mass; the pack light, as the housing explains, and by less than the
    housing's published share outside the modules."""
    row = ROWS[name]
    assert abs(row.module_error) <= MASS_TOLERANCE
    assert row.mass_error < 0
    pack_level = row.published_mass_kg - row.published_module_kg  # 234 kg for the Taycan
    assert row.published_mass_kg - row.fixed_mass_kg < pack_level


def test_unpublished_mass_says_why():
    for name, row in ROWS.items():
        if row.published_mass_kg is None:
            assert PACKS[name].get("mass_note"), name


@pytest.mark.parametrize("name", sorted(ROWS))
def test_target_design_meets_the_target_within_5_percent(name):
    row = ROWS[name]
    assert row.target_energy_kWh >= row.target_kWh * (1 - 1e-9)
    assert row.target_error <= TARGET_TOLERANCE


def test_every_pack_cites_sources():
    for name, pack in PACKS.items():
        assert pack.get("sources"), name
