"""Unit algebra: spellings, prefixes, compound units, dimension arithmetic."""

import math

import pytest

from battgen.core import units as u


@pytest.mark.parametrize(
    "text, si, dim",
    [
        ("mm", 1e-3, u.LENGTH),
        ("kWh", 3.6e6, u.ENERGY),
        ("Ah", 3600.0, u.CHARGE),
        ("mAh", 3.6, u.CHARGE),
        ("mOhm", 1e-3, u.RESISTANCE),
        ("kW", 1e3, u.POWER),
        ("g", 1e-3, u.MASS),
        ("kg", 1.0, u.MASS),
        ("min", 60.0, u.TIME),
        ("h", 3600.0, u.TIME),
        ("C", 1 / 3600, u.FREQUENCY),
        ("%", 0.01, u.DIMENSIONLESS),
        ("L/min", 1e-3 / 60, u.FLOW),
        ("J/kg/K", 1.0, u.SPECIFIC_HEAT),
        ("W/m/K", 1.0, u.CONDUCTIVITY),
        ("kg/m3", 1.0, u.DENSITY),
        ("nOhm*m", 1e-9, u.RESISTIVITY),
        ("mPa*s", 1e-3, u.VISCOSITY),
        ("K^-1", 1.0, u.PER_KELVIN),
        ("USD/kWh", 1 / 3.6e6, u.COST_PER_ENERGY),
        ("mm2", 1e-6, u.AREA),
        ("m^3", 1.0, u.VOLUME),
    ],
)
def test_units_parse_to_si(text, si, dim):
    unit = u.parse_unit(text)
    assert math.isclose(unit.factor, si, rel_tol=1e-12)
    assert unit.dim == dim


def test_degrees_celsius_are_affine():
    unit = u.parse_unit("degC")
    assert u.to_si(25, unit) == pytest.approx(298.15)
    assert u.to_si(-20, unit) == pytest.approx(253.15)


def test_voltage_times_charge_is_energy():
    assert u.dim_mul(u.VOLTAGE, u.CHARGE) == u.ENERGY
    assert u.dim_div(u.ENERGY, u.TIME) == u.POWER
    assert u.dim_div(u.VOLTAGE, u.CURRENT) == u.RESISTANCE


@pytest.mark.parametrize("wrong, suggestion", [("kwh", "kWh"), ("KWH", "kWh"), ("KG", "kg"), ("kw", "kW")])
def test_unknown_units_suggest_the_right_spelling(wrong, suggestion):
    with pytest.raises(u.UnitError) as error:
        u.parse_unit(wrong)
    assert error.value.suggestion == suggestion


def test_messages_name_dimensions():
    assert u.describe_dim(u.ENERGY) == "an energy"
    assert u.describe_dim(u.VOLTAGE) == "a voltage"


def test_display_picks_readable_units():
    assert u.format_quantity(77.3e3 * 3600, u.ENERGY) == "77.3 kWh"
    assert u.format_quantity(0.0235, u.RESISTANCE) == "23.5 mOhm"
    assert u.format_quantity(472.0, u.MASS) == "472 kg"
    assert u.format_quantity(298.15, u.TEMPERATURE) == "25 degC"
