"""Insulation coordination, IEC 60664-1:2020: creepage and clearance distances for a voltage.

Three tables of the standard, as reproduced in two independent sources that agree value by
value (KiCad's ``pcb_calculator/calculator_panels/iec60664.cpp``, "Based on IEC60664-1 :
2020-05", and Wago's reprint of DIN EN 60664-1 Table F.4, the 2007 numbering of the same
table; /work/research/models.md §6):

* **Table F.5** (F.4 in the 2007 edition) — creepage distance to avoid failure by tracking,
  by the working voltage (r.m.s.) across the surface, the pollution degree and the material
  group of the insulation, 10 V to 2,000 V. The printed-wiring columns are left out (a pack's
  live parts stand on moulded carriers, not on circuit boards).
* **Table F.1** — rated impulse voltage of equipment, by the system's voltage and its
  overvoltage category.
* **Table F.2** — clearance in air to withstand that impulse voltage, case A (inhomogeneous
  field, the conservative case), up to 2,000 m altitude, with the pollution degree's minimum.

A row is read at the next tabulated voltage up (no interpolation: the conservative reading).
Below the first row (10 V) the first row applies; above the last, creepage grows in
proportion to the voltage and the impulse and clearance tables stop at their last row (1.5 kV
systems, 100 kV impulses: beyond any traction pack).

A battery's working voltage is DC; the r.m.s. value of a steady DC voltage is the voltage
itself, so it enters the tables as it is.

The pack's insulation, stated defaults (no pack property sets them yet; ``Insulation`` carries
them so that one can):

* **pollution degree 2** — "only non-conductive pollution occurs except that occasionally a
  temporary conductivity caused by condensation is to be expected" (IEC 60664-1 §4.6.2; the
  definition as commonly quoted): a sealed pack breathes through its vent and sees
  condensation when it cools;
* **material group III** — carriers and holders of unstated tracking resistance: the standard
  takes group IIIb when the CTI is not known, and IIIa (175 ≤ CTI < 400) and IIIb (100 ≤ CTI <
  175) share this column outside printed wiring;
* **overvoltage category II** — the traction bus is no mains circuit; category II (equipment
  energised from a fixed installation) is taken as the conservative customary choice for an
  on-board DC bus. ISO 6469-3, which would say, was not read: an assumption.

Distances from these tables are the standard's as reproduced; check against the standard
itself before certification.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

# Table F.5, working voltage r.m.s. (V) of each row
CREEPAGE_VOLTAGES = (
    10, 12.5, 16, 20, 25, 32, 40, 50, 63, 80, 100, 125, 160, 200, 250, 320, 400, 500, 630, 800, 1000, 1250, 1600, 2000,
)  # fmt: skip
# creepage (mm) by (pollution degree, material group); pollution degree 1 is one column for all groups
CREEPAGE_MM: dict[tuple[int, str], tuple[float, ...]] = {
    (1, "I"): (
        0.080, 0.090, 0.100, 0.110, 0.125, 0.14, 0.16, 0.18, 0.20, 0.22, 0.25, 0.28, 0.32, 0.42, 0.56, 0.75,
        1.0, 1.3, 1.8, 2.4, 3.2, 4.2, 5.6, 7.5,
    ),
    (2, "I"): (
        0.40, 0.42, 0.45, 0.48, 0.50, 0.53, 0.56, 0.60, 0.63, 0.67, 0.71, 0.75, 0.80, 1.00, 1.25, 1.60,
        2.0, 2.5, 3.2, 4.0, 5.0, 6.3, 8.0, 10.0,
    ),
    (2, "II"): (
        0.40, 0.42, 0.45, 0.48, 0.50, 0.53, 0.80, 0.85, 0.90, 0.95, 1.00, 1.05, 1.10, 1.40, 1.80, 2.20,
        2.8, 3.6, 4.5, 5.6, 7.1, 9.0, 11.0, 14.0,
    ),
    (2, "III"): (
        0.40, 0.42, 0.45, 0.48, 0.50, 0.53, 1.10, 1.20, 1.25, 1.30, 1.40, 1.50, 1.60, 2.00, 2.50, 3.20,
        4.0, 5.0, 6.3, 8.0, 10.0, 12.5, 16.0, 20.0,
    ),
    (3, "I"): (
        1.00, 1.05, 1.10, 1.20, 1.25, 1.30, 1.40, 1.50, 1.60, 1.70, 1.80, 1.90, 2.00, 2.50, 3.20, 4.00,
        5.0, 6.3, 8.0, 10.0, 12.5, 16.0, 20.0, 25.0,
    ),
    (3, "II"): (
        1.00, 1.05, 1.10, 1.20, 1.25, 1.30, 1.60, 1.70, 1.80, 1.90, 2.00, 2.10, 2.20, 2.80, 3.60, 4.50,
        5.6, 7.1, 9.0, 11.0, 14.0, 18.0, 22.0, 28.0,
    ),
    (3, "III"): (
        1.00, 1.05, 1.10, 1.20, 1.25, 1.30, 1.80, 1.90, 2.00, 2.10, 2.20, 2.40, 2.50, 3.20, 4.00, 5.00,
        6.3, 8.0, 10.0, 12.5, 16.0, 20.0, 25.0, 32.0,
    ),
}  # fmt: skip

# Table F.1: rated impulse voltage (V) by system voltage "up to and including" (V) and
# overvoltage category I..IV (the 1,250 and 1,500 V rows are the 2020 edition's, for DC systems)
IMPULSE_SYSTEM_VOLTAGES = (50, 100, 150, 300, 600, 1000, 1250, 1500)
IMPULSE_V: dict[int, tuple[float, ...]] = {
    1: (330, 500, 800, 1500, 2500, 4000, 4000, 6000),
    2: (500, 800, 1500, 2500, 4000, 6000, 6000, 8000),
    3: (800, 1500, 2500, 4000, 6000, 8000, 8000, 10000),
    4: (1500, 2500, 4000, 6000, 8000, 12000, 12000, 15000),
}

# Table F.2 case A (inhomogeneous field), ≤ 2,000 m: clearance (mm) by required impulse
# withstand voltage (kV), with each pollution degree's minimum (PD1 none, PD2 0.2, PD3 0.8 mm)
CLEARANCE_KV = (
    0.33, 0.40, 0.50, 0.60, 0.80, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10, 12, 15, 20, 25, 30, 40, 50,
    60, 80, 100,
)  # fmt: skip
CLEARANCE_MM = (
    0.01, 0.02, 0.04, 0.06, 0.10, 0.15, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.5, 8.0, 11, 14, 18, 25, 33, 40, 60, 75,
    90, 130, 170,
)  # fmt: skip
CLEARANCE_MIN_MM = {1: 0.0, 2: 0.2, 3: 0.8}

POLLUTION_DEGREE = 2  # see the module docstring
MATERIAL_GROUP = "III"  # IIIa and IIIb: one column outside printed wiring
OVERVOLTAGE_CATEGORY = 2  # an assumption (module docstring)


def _row(table: tuple[float, ...], value: float) -> int:
    """Index of the first row at or above ``value`` (the last row if none is)."""
    return min(bisect.bisect_left(table, value - 1e-9), len(table) - 1)


def _group(material_group: str) -> str:
    group = material_group.upper().rstrip("AB") or "III"
    return group if group in ("I", "II", "III") else "III"


def creepage(voltage: float, pollution_degree: int = POLLUTION_DEGREE, material_group: str = MATERIAL_GROUP) -> float:
    """Table F.5: creepage distance (m) for a working voltage (V r.m.s., or DC) across an
    insulating surface; ``material_group`` "I", "II", "IIIa", "IIIb" or "III"."""
    key = (pollution_degree, "I" if pollution_degree == 1 else _group(material_group))
    column = CREEPAGE_MM[key]
    top = CREEPAGE_VOLTAGES[-1]
    if voltage > top:  # beyond the table: in proportion to the last row
        return column[-1] * 1e-3 * voltage / top
    return column[_row(CREEPAGE_VOLTAGES, voltage)] * 1e-3


def rated_impulse_voltage(system_voltage: float, overvoltage_category: int = OVERVOLTAGE_CATEGORY) -> float:
    """Table F.1: rated impulse voltage (V) of equipment on a system of ``system_voltage``."""
    return float(IMPULSE_V[overvoltage_category][_row(IMPULSE_SYSTEM_VOLTAGES, system_voltage)])


def impulse_clearance(impulse_voltage: float, pollution_degree: int = POLLUTION_DEGREE) -> float:
    """Table F.2 case A: clearance (m) in air that withstands ``impulse_voltage`` (V)."""
    mm = CLEARANCE_MM[_row(CLEARANCE_KV, impulse_voltage / 1e3)]
    return max(mm, CLEARANCE_MIN_MM[min(max(pollution_degree, 1), 3)]) * 1e-3


@dataclass(frozen=True)
class Insulation:
    """The pack's insulation-coordination settings and the distances they give."""

    pollution_degree: int = POLLUTION_DEGREE
    material_group: str = MATERIAL_GROUP
    overvoltage_category: int = OVERVOLTAGE_CATEGORY

    def creepage(self, voltage: float) -> float:
        """Creepage (m) for a working voltage across a surface (``creepage``)."""
        return creepage(voltage, self.pollution_degree, self.material_group)

    def impulse_voltage(self, system_voltage: float) -> float:
        return rated_impulse_voltage(system_voltage, self.overvoltage_category)

    def clearance(self, system_voltage: float) -> float:
        """Clearance (m) in air for the rated impulse voltage of a ``system_voltage`` system."""
        return impulse_clearance(self.impulse_voltage(system_voltage), self.pollution_degree)

    def distance(self, voltage: float) -> float:
        """What a gap between bare parts ``voltage`` apart must keep where the gap may run along
        an insulating surface as well as through air: the larger of the creepage and the
        clearance (the standard never lets creepage be less than clearance)."""
        return max(self.creepage(voltage), self.clearance(voltage))


DEFAULT = Insulation()
