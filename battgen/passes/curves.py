"""The pack as built, against state of charge: its terminal voltage and power at each load case,
and its CC–CV charge. The report plots them (``emit.report_html``).

The pack is its cells' open-circuit voltage (``models.ocv``) behind its routed resistance: the
solved network's terminal-to-terminal resistance, with each series group's cells moved from
their rated (50 % SOC) resistance to that at the SOC (``loads.resistance_at``) — the as-built
check's own pack (``asbuilt._figures``). At a case's pack current I:

    discharge: V(SOC) = S·OCV(SOC) − I·R(SOC),  P = V·I
    charge:    V(SOC) = S·OCV(SOC) + I·R(SOC),  P = V·I into the pack

The charge curve is one cell's CC–CV charge (``models.charge``) at the charge case's current per
cell, to the cell's upper voltage, its resistance the cell's at each SOC plus its share of the
routed interconnect. All SI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.models import charge
from battgen.models import ocv as ocv_model
from battgen.models import resistance as resistance_model
from battgen.passes.layout.types import Layout
from battgen.passes.loads import LoadCase, Loads
from battgen.passes.routing.types import Routing

SOC = np.linspace(0.0, 1.0, 101)
CHARGE_WINDOW = (0.10, 0.80)  # the window a charge time is quoted for (fast-charge convention)


@dataclass(frozen=True)
class CaseCurve:
    case: LoadCase
    voltage: np.ndarray  # V at the terminals, by ``SOC``
    power: np.ndarray  # W


@dataclass(frozen=True)
class SocCurves:
    soc: np.ndarray
    open_circuit: np.ndarray  # the pack's OCV, V
    cases: tuple[CaseCurve, ...]
    v_min: float  # the cells' limits times S, V
    v_max: float
    capability: np.ndarray  # W: the most the pack delivers at each SOC for the peak's duration


def _cell_ocv(cell: ir.Cell, soc):
    return ocv_model.ocv_scaled(cell.chemistry, soc, cell.min_voltage, cell.max_voltage)


def _cell_resistance(cell: ir.Cell, soc) -> np.ndarray:
    return np.array([cell.resistance * resistance_model.soc_factor(cell.chemistry, s) for s in np.atleast_1d(soc)])


def pack_resistance(pack: ir.Pack, layout: Layout, routing: Routing, soc) -> np.ndarray:
    """The routed pack's resistance at ``soc``, ohm."""
    s, p = layout.series, layout.parallel
    rated = pack.cell.resistance
    return routing.network.pack_resistance + s * (_cell_resistance(pack.cell, soc) - rated) / p


def soc_curves(pack: ir.Pack, layout: Layout, routing: Routing, loads: Loads) -> SocCurves:
    s = layout.series
    open_circuit = s * np.asarray(_cell_ocv(pack.cell, SOC), float)
    r = pack_resistance(pack, layout, routing, SOC)
    cases = []
    for case in loads.cases:
        sign = 1.0 if case.kind == "charge" else -1.0
        v = open_circuit + sign * case.current * r
        cases.append(CaseCurve(case, v, v * case.current))
    v_min = s * pack.cell.min_voltage
    capability = _capability(pack, routing, loads.peak, open_circuit, r, v_min)
    return SocCurves(SOC, open_circuit, tuple(cases), v_min, s * pack.cell.max_voltage, capability)


def _capability(
    pack: ir.Pack, routing: Routing, peak: LoadCase, open_circuit: np.ndarray, r: np.ndarray, v_min: float
) -> np.ndarray:
    """The as-built check's power at every SOC: the pack current at which the most loaded cell
    of the solved network reaches its rating for the peak's duration (its pulse rating when the
    pulse is no longer than the rated one), or the pack its voltage floor, whichever is first;
    P = I·(S·OCV − I·R)."""
    cell, network = pack.cell, routing.network
    rating = cell.max_discharge_current
    if cell.pulse_current is not None and not (
        peak.duration is not None and cell.pulse_duration is not None and peak.duration > cell.pulse_duration
    ):
        rating = cell.pulse_current
    worst = max((abs(i) for i in network.cell_currents), default=0.0)
    share = worst / network.pack_current if network.pack_current else 0.0
    by_cell = rating / share if share > 0 else 0.0
    by_voltage = np.where(r > 0, (open_circuit - v_min) / np.where(r > 0, r, 1.0), by_cell)
    current = np.maximum(np.minimum(by_cell, by_voltage), 0.0)
    return current * (open_circuit - current * r)


def charge_curve(pack: ir.Pack, layout: Layout, routing: Routing, case: LoadCase) -> charge.ChargeCurve:
    """One cell's CC–CV charge from 0 % at ``case``'s current per cell (to the cut-off)."""
    cell = pack.cell
    s, p = layout.series, layout.parallel
    interconnect = max(routing.network.pack_resistance - s * cell.resistance / p, 0.0) * p / s

    def resistance(soc):
        return _cell_resistance(cell, soc) + interconnect

    return charge.cc_cv(
        case.current / p, cell.capacity, cell.max_voltage, lambda soc: _cell_ocv(cell, soc), resistance, 0.0, 1.0
    )
