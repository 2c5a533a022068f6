"""Cells for model tests, built from published datasheet figures (each cited)."""

from battgen.core.diagnostics import Span
from battgen.core.ir import Cell, CellFormat, RatePoint

AH = 3600.0
_SPAN = Span("<test>", 1, 1, 1, 1)


def make_cell(
    chemistry="nmc811",
    capacity_ah=5.0,
    nominal=3.63,
    vmin=2.5,
    vmax=4.2,
    mass=0.069,
    fmt=None,
    rate_points=(),
    cycle_life=None,
    cost=None,
    resistance=0.02,
):
    return Cell(
        name="t",
        format=fmt or CellFormat("cylindrical", diameter=0.0211, height=0.07015),
        chemistry=chemistry,
        nominal_voltage=nominal,
        min_voltage=vmin,
        max_voltage=vmax,
        capacity=capacity_ah * AH,
        mass=mass,
        resistance=resistance,
        max_discharge_current=10.0,
        source="test",
        span=_SPAN,
        rate_capacity=tuple(RatePoint(c / 3600.0, q * AH) for c, q in rate_points),
        cycle_life=cycle_life,
        cost=cost,
    )
