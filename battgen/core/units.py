"""Physical dimensions and units.

Inside battgen every quantity is an SI float; a ``Dim`` says what it measures. Units exist
only at the edges: the source text (``4.85 Ah``), the reports and the JSON keys.

A dimension is a vector of exponents over the base quantities
(length, mass, time, current, temperature, money). Money (``USD``) is a base quantity here
so that ``USD/kWh`` is checked like any other unit.

The C-rate unit ``C`` means "per hour" (1 C discharges the rated capacity in one hour); it
is *not* the coulomb, which battery engineers write as ``As`` or ``mAh`` anyway.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

# --- dimensions ---------------------------------------------------------------------------

Dim = tuple[int, int, int, int, int, int]  # m, kg, s, A, K, USD

DIMENSIONLESS: Dim = (0, 0, 0, 0, 0, 0)
LENGTH: Dim = (1, 0, 0, 0, 0, 0)
AREA: Dim = (2, 0, 0, 0, 0, 0)
VOLUME: Dim = (3, 0, 0, 0, 0, 0)
MASS: Dim = (0, 1, 0, 0, 0, 0)
TIME: Dim = (0, 0, 1, 0, 0, 0)
CURRENT: Dim = (0, 0, 0, 1, 0, 0)
TEMPERATURE: Dim = (0, 0, 0, 0, 1, 0)
MONEY: Dim = (0, 0, 0, 0, 0, 1)
FREQUENCY: Dim = (0, 0, -1, 0, 0, 0)  # also the C-rate
CHARGE: Dim = (0, 0, 1, 1, 0, 0)
ENERGY: Dim = (2, 1, -2, 0, 0, 0)
POWER: Dim = (2, 1, -3, 0, 0, 0)
VOLTAGE: Dim = (2, 1, -3, -1, 0, 0)
RESISTANCE: Dim = (2, 1, -3, -2, 0, 0)
RESISTIVITY: Dim = (3, 1, -3, -2, 0, 0)
FORCE: Dim = (1, 1, -2, 0, 0, 0)
PRESSURE: Dim = (-1, 1, -2, 0, 0, 0)
DENSITY: Dim = (-3, 1, 0, 0, 0, 0)
SPECIFIC_HEAT: Dim = (2, 0, -2, 0, -1, 0)
CONDUCTIVITY: Dim = (1, 1, -3, 0, -1, 0)
VISCOSITY: Dim = (-1, 1, -1, 0, 0, 0)
FLOW: Dim = (3, 0, -1, 0, 0, 0)
PER_KELVIN: Dim = (0, 0, 0, 0, -1, 0)
COST_PER_MASS: Dim = (0, -1, 0, 0, 0, 1)
COST_PER_ENERGY: Dim = (-2, -1, 2, 0, 0, 1)
HEAT_TRANSFER: Dim = (0, 1, -3, 0, -1, 0)  # W/m2/K
ENTROPIC: Dim = (2, 1, -3, -1, -1, 0)  # V/K: dU/dT of a cell's open-circuit voltage


def dim_mul(a: Dim, b: Dim) -> Dim:
    return tuple(x + y for x, y in zip(a, b))  # type: ignore[return-value]


def dim_div(a: Dim, b: Dim) -> Dim:
    return tuple(x - y for x, y in zip(a, b))  # type: ignore[return-value]


def dim_pow(a: Dim, n: int) -> Dim:
    return tuple(x * n for x in a)  # type: ignore[return-value]


# What a dimension is called in messages ("`energy` needs an energy, got a voltage").
DIM_NAMES: dict[Dim, str] = {
    DIMENSIONLESS: "plain number",
    LENGTH: "length",
    AREA: "area",
    VOLUME: "volume",
    MASS: "mass",
    TIME: "duration",
    CURRENT: "current",
    TEMPERATURE: "temperature",
    MONEY: "cost",
    FREQUENCY: "rate",
    CHARGE: "charge (capacity)",
    ENERGY: "energy",
    POWER: "power",
    VOLTAGE: "voltage",
    RESISTANCE: "resistance",
    RESISTIVITY: "resistivity",
    FORCE: "force",
    PRESSURE: "pressure",
    DENSITY: "density",
    SPECIFIC_HEAT: "specific heat",
    CONDUCTIVITY: "thermal conductivity",
    VISCOSITY: "viscosity",
    FLOW: "volume flow",
    PER_KELVIN: "temperature coefficient",
    COST_PER_MASS: "cost per mass",
    COST_PER_ENERGY: "cost per energy",
    HEAT_TRANSFER: "heat transfer coefficient",
    ENTROPIC: "voltage per kelvin",
}

_ARTICLE_AN = ("a", "e", "i", "o", "u")


def describe_dim(dim: Dim) -> str:
    """ "an energy", "a voltage", "a quantity in kg·m^2" — for messages."""
    name = DIM_NAMES.get(dim)
    if name is None:
        name = f"quantity of dimension {dim_symbol(dim)}"
    article = "an" if name.startswith(_ARTICLE_AN) else "a"
    return f"{article} {name}"


def dim_symbol(dim: Dim) -> str:
    parts = []
    for sym, exp in zip(("m", "kg", "s", "A", "K", "USD"), dim):
        if exp == 1:
            parts.append(sym)
        elif exp:
            parts.append(f"{sym}^{exp}")
    return "·".join(parts) or "1"


# --- units --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unit:
    factor: float  # SI value of 1 unit
    dim: Dim
    offset: float = 0.0  # affine units (degC): SI = value * factor + offset


_BASE: dict[str, Unit] = {
    "m": Unit(1.0, LENGTH),
    "g": Unit(1e-3, MASS),
    "s": Unit(1.0, TIME),
    "A": Unit(1.0, CURRENT),
    "V": Unit(1.0, VOLTAGE),
    "Ohm": Unit(1.0, RESISTANCE),
    "ohm": Unit(1.0, RESISTANCE),
    "Ω": Unit(1.0, RESISTANCE),
    "W": Unit(1.0, POWER),
    "J": Unit(1.0, ENERGY),
    "Wh": Unit(3600.0, ENERGY),
    "Ah": Unit(3600.0, CHARGE),
    "N": Unit(1.0, FORCE),
    "Pa": Unit(1.0, PRESSURE),
    "L": Unit(1e-3, VOLUME),
}

_PREFIXES: dict[str, float] = {
    "n": 1e-9,
    "u": 1e-6,
    "µ": 1e-6,
    "m": 1e-3,
    "c": 1e-2,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
}

# Units that take no prefix, or whose prefixed spelling would be ambiguous.
_PLAIN: dict[str, Unit] = {
    "min": Unit(60.0, TIME),
    "h": Unit(3600.0, TIME),
    "d": Unit(86400.0, TIME),
    "day": Unit(86400.0, TIME),
    "yr": Unit(365.25 * 86400.0, TIME),
    "year": Unit(365.25 * 86400.0, TIME),
    "years": Unit(365.25 * 86400.0, TIME),
    "t": Unit(1000.0, MASS),
    "K": Unit(1.0, TEMPERATURE),
    "degC": Unit(1.0, TEMPERATURE, 273.15),
    "°C": Unit(1.0, TEMPERATURE, 273.15),
    "C": Unit(1.0 / 3600.0, FREQUENCY),  # C-rate: per hour
    "Hz": Unit(1.0, FREQUENCY),
    "%": Unit(0.01, DIMENSIONLESS),
    "USD": Unit(1.0, MONEY),
    "bar": Unit(1e5, PRESSURE),
    "kgf": Unit(9.80665, FORCE),
}


def _build_table() -> dict[str, Unit]:
    table: dict[str, Unit] = {}
    for name, unit in _BASE.items():
        table[name] = unit
        for prefix, scale in _PREFIXES.items():
            if prefix == "c" and name != "m":
                continue  # only "cm" is in common use; "cV" would be a typo
            table[prefix + name] = Unit(unit.factor * scale, unit.dim)
    table.update(_PLAIN)  # plain spellings win: "min" is minutes, not milli-inch
    table["kg"] = Unit(1.0, MASS)
    return table


UNITS: dict[str, Unit] = _build_table()

# Spellings offered in completion and "did you mean" hints: the everyday ones first.
COMMON_UNITS: tuple[str, ...] = (
    "mm",
    "cm",
    "m",
    "g",
    "kg",
    "s",
    "min",
    "h",
    "A",
    "mA",
    "V",
    "mV",
    "Ohm",
    "mOhm",
    "uOhm",
    "W",
    "kW",
    "Wh",
    "kWh",
    "Ah",
    "mAh",
    "degC",
    "K",
    "C",
    "%",
    "N",
    "kN",
    "kPa",
    "MPa",
    "bar",
    "L",
    "L/min",
    "USD",
    "USD/kWh",
    "USD/kg",
    "kg/m3",
    "J/kg/K",
    "W/m/K",
    "nOhm*m",
    "mPa*s",
    "K^-1",
    "kgf",
    "years",
)

_FACTOR = re.compile(r"^([^\d^\-]+)\^?(-?\d+)?$")


class UnitError(ValueError):
    """An unknown unit spelling; ``suggestion`` is the closest known one, if any."""

    def __init__(self, text: str, part: str, suggestion: str | None):
        super().__init__(text)
        self.text = text
        self.part = part
        self.suggestion = suggestion


_CACHE: dict[str, Unit] = {}


def parse_unit(text: str) -> Unit:
    """Parse a compound unit such as ``J/kg/K``, ``nOhm*m``, ``kg/m3`` or ``K^-1``."""
    cached = _CACHE.get(text)
    if cached is not None:
        return cached
    unit = UNITS.get(text)
    if unit is None:
        unit = _parse_compound(text)
    _CACHE[text] = unit
    return unit


def _parse_compound(text: str) -> Unit:
    factor = 1.0
    dim = DIMENSIONLESS
    offset_units = 0
    # split into (sign, factor) pairs on "*", "·" and "/"
    tokens = re.split(r"([*·/])", text)
    sign = 1
    for token in tokens:
        if token in ("*", "·"):
            sign = 1
            continue
        if token == "/":
            sign = -1
            continue
        if not token:
            raise UnitError(text, text, suggest_unit(text))
        match = _FACTOR.match(token)
        base = UNITS.get(token)
        exponent = 1
        if base is None and match:
            base = UNITS.get(match.group(1))
            exponent = int(match.group(2) or 1)
        if base is None:
            raise UnitError(text, token, suggest_unit(token))
        if base.offset:
            offset_units += 1  # degC inside a compound unit means a temperature difference
        exponent *= sign
        factor *= base.factor**exponent
        dim = dim_mul(dim, dim_pow(base.dim, exponent))
    return Unit(factor, dim)


def suggest_unit(text: str) -> str | None:
    lowered = {name.lower(): name for name in UNITS}
    if text.lower() in lowered:
        return lowered[text.lower()]
    close = difflib.get_close_matches(text, list(COMMON_UNITS) + list(UNITS), n=1, cutoff=0.6)
    return close[0] if close else None


def to_si(value: float, unit: Unit) -> float:
    return value * unit.factor + unit.offset


# --- display ------------------------------------------------------------------------------

# Preferred display units per dimension, largest first; the first whose value is >= 1 wins.
_DISPLAY: dict[Dim, tuple[tuple[str, float], ...]] = {
    LENGTH: (("m", 1.0), ("mm", 1e-3)),
    MASS: (("kg", 1.0), ("g", 1e-3)),
    TIME: (("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3)),
    CURRENT: (("kA", 1e3), ("A", 1.0), ("mA", 1e-3)),
    VOLTAGE: (("kV", 1e3), ("V", 1.0), ("mV", 1e-3)),
    RESISTANCE: (("Ohm", 1.0), ("mOhm", 1e-3), ("uOhm", 1e-6)),
    POWER: (("MW", 1e6), ("kW", 1e3), ("W", 1.0)),
    ENERGY: (("MWh", 3.6e9), ("kWh", 3.6e6), ("Wh", 3600.0), ("J", 1.0)),
    CHARGE: (("Ah", 3600.0), ("mAh", 3.6)),
    VOLUME: (("L", 1e-3), ("mL", 1e-6)),
    AREA: (("m2", 1.0), ("mm2", 1e-6)),
    FREQUENCY: (("C", 1 / 3600.0),),
    MONEY: (("USD", 1.0),),
    FORCE: (("kN", 1e3), ("N", 1.0)),
    PRESSURE: (("MPa", 1e6), ("kPa", 1e3), ("Pa", 1.0)),
    DENSITY: (("kg/m3", 1.0),),
    RESISTIVITY: (("nOhm*m", 1e-9),),
    FLOW: (("L/min", 1e-3 / 60),),
}

# Other common spellings shown on hover ("75 kWh = 270 MJ = 75000 Wh").
ALTERNATIVES: dict[Dim, tuple[tuple[str, float], ...]] = {
    LENGTH: (("mm", 1e-3), ("cm", 1e-2), ("m", 1.0)),
    MASS: (("g", 1e-3), ("kg", 1.0)),
    TIME: (("s", 1.0), ("min", 60.0), ("h", 3600.0)),
    ENERGY: (("Wh", 3600.0), ("kWh", 3.6e6), ("MJ", 1e6)),
    POWER: (("W", 1.0), ("kW", 1e3), ("hp", 745.7)),
    CHARGE: (("Ah", 3600.0), ("mAh", 3.6), ("C (coulomb)", 1.0)),
    RESISTANCE: (("Ohm", 1.0), ("mOhm", 1e-3), ("uOhm", 1e-6)),
    VOLUME: (("L", 1e-3), ("m3", 1.0)),
    FREQUENCY: (("C-rate", 1 / 3600.0), ("Hz", 1.0)),
    PRESSURE: (("kPa", 1e3), ("bar", 1e5), ("psi", 6894.757)),
}


def format_number(value: float, digits: int = 4) -> str:
    """Shortest readable form with ``digits`` significant figures, no exponent for
    everyday magnitudes."""
    if value == 0 or not math.isfinite(value):
        return str(value) if not math.isfinite(value) else "0"
    magnitude = math.floor(math.log10(abs(value)))
    if -4 <= magnitude < 9:
        decimals = max(digits - 1 - magnitude, 0)
        text = f"{value:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    return f"{value:.{digits - 1}e}"


def format_quantity(value: float, dim: Dim, digits: int = 4) -> str:
    if dim == TEMPERATURE:
        return f"{format_number(value - 273.15, digits)} degC"
    if dim == DIMENSIONLESS:
        return format_number(value, digits)
    choices = _DISPLAY.get(dim)
    if not choices:
        return f"{format_number(value, digits)} {dim_symbol(dim)}"
    for name, scale in choices:
        if abs(value) >= scale:
            return f"{format_number(value / scale, digits)} {name}"
    name, scale = choices[-1]
    return f"{format_number(value / scale, digits)} {name}"


def alternatives(value: float, dim: Dim) -> list[str]:
    if dim == TEMPERATURE:
        return [
            f"{format_number(value - 273.15)} degC",
            f"{format_number(value)} K",
            f"{format_number((value - 273.15) * 9 / 5 + 32)} degF",
        ]
    return [f"{format_number(value / scale)} {name}" for name, scale in ALTERNATIVES.get(dim, ())]


# An example unit per dimension, for hints such as "expected a unit after `75` (e.g. `kWh`)".
EXAMPLE_UNIT: dict[Dim, str] = {
    LENGTH: "mm",
    MASS: "kg",
    TIME: "s",
    CURRENT: "A",
    VOLTAGE: "V",
    RESISTANCE: "mOhm",
    POWER: "kW",
    ENERGY: "kWh",
    CHARGE: "Ah",
    TEMPERATURE: "degC",
    VOLUME: "L",
    FREQUENCY: "C",
    MONEY: "USD",
    DENSITY: "kg/m3",
    RESISTIVITY: "nOhm*m",
    SPECIFIC_HEAT: "J/kg/K",
    CONDUCTIVITY: "W/m/K",
    VISCOSITY: "mPa*s",
    FLOW: "L/min",
    PER_KELVIN: "K^-1",
    COST_PER_MASS: "USD/kg",
    COST_PER_ENERGY: "USD/kWh",
    PRESSURE: "kPa",
    FORCE: "N",
    AREA: "mm2",
    HEAT_TRANSFER: "W/m2/K",
    ENTROPIC: "mV/K",
}
