"""The as-built check: every requirement and every cell limit, on the pack as placed and routed.

Synthesis chose an architecture from estimates; layout placed it, routing joined it with real
busbars, heat loaded it, the bill of materials weighed it. This pass compares what was built
with what the file asks and with what the cell allows, and each comparison is a ``Verdict``:
the bound, synthesis's estimate, the as-built figure and the margin. A failed verdict is a
diagnostic on the span that decides it, with the numbers and what would fix it; the driver's
design loop (``battgen.driver.loop``) reads the verdicts to try another architecture.

As built:

* energy, voltages, module voltage: from the cells placed (the layout's S, P and modules);
* peak and continuous power: the pack current at which the *worst* cell of the solved network
  reaches its rating, or the pack its voltage floor, at the SOC floor — I* = min(rating /
  a_max, S·(OCV − V_min)/R), P = I*·(S·OCV − I*·R), with a_max the worst cell's share of the
  pack current and R the pack's routed resistance with the cells at the floor;
* the pack current limits: every load case's current (``passes.loads``);
* mass and cost: the bill of materials (routed busbars and fuse links, the estimate's other
  parts); volume: the enclosure box around the envelope (the estimate's without one);
* cycles: the hottest cell's equivalent full cycles to 80 % on the pack's duty, with the heat
  stage's temperatures (``passes.lifetime``; synthesis's screen when it did not run);
* each cell's current at each load case against its ratings (continuous; pulse for the peak
  when the pulse is no longer than the rated one; charge when the cell states a rating);
* the hottest cell's temperature against its limit (declared, else ``DEFAULT_LIMIT``): with a
  cold plate or forced air, the cell's hottest point (its core) at the continuous load plus the
  peak pulse's rise; without either, the skin-cooled pack at the end of a full discharge at the
  continuous load (``passes.heat``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.core.outcome import Outcome
from battgen.models import ocv as ocv_model
from battgen.passes.bom import BomLine
from battgen.passes.heat import Heat
from battgen.passes.layout.types import Placement
from battgen.passes.lifetime import Lifetime
from battgen.passes.loads import LoadCase, resistance_at
from battgen.passes.routing.types import Routing
from battgen.passes.synthesis import MARGIN_CHECKED

# Upper discharge temperature of a cell that declares none, K: 60 °C, the discharge limit of
# Li-ion datasheets of every chemistry (Samsung SDI ICR18650-20 and -26C specifications:
# discharge -20..60 °C; Lishen 202 Ah LFP specification: discharge -35..60 °C). No standard
# sets one (IEC 62660-1/-2 define test procedures only).
DEFAULT_LIMIT = 273.15 + 60.0

TOLERANCE = 1e-9  # relative: a bound met to the last float is met


@dataclass(frozen=True)
class Verdict:
    """One comparison of the pack as built with a bound. ``margin``: how far inside the bound
    the as-built figure is, relative to the bound (negative: violated)."""

    name: str  # requirement name, or a cell limit: "cell current (peak)", "cell temperature"
    label: str  # what is compared, in words
    bound: str  # the bound as written: ">= 200 kW"
    estimate: float | None  # synthesis's estimate, SI (None: synthesis has no figure for it)
    built: float  # as built, SI
    unit: str  # SI unit of estimate and built ("W", "A", "kg", "K", ...)
    margin: float

    @property
    def ok(self) -> bool:
        return self.margin >= -TOLERANCE


@dataclass(frozen=True)
class AsBuilt:
    verdicts: tuple[Verdict, ...]
    worst_cells: tuple[tuple[str, int, float], ...]  # (load case, cell index, A) of the most loaded cell
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def passed(self) -> bool:
        return all(v.ok for v in self.verdicts)

    @property
    def failures(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.ok)

    def summary(self) -> str:
        failed = [v for v in self.verdicts if not v.ok]
        head = f"{len(self.verdicts)} checks on the pack as built"
        if not failed:
            return head + ": all met"
        return head + ": " + "; ".join(f"{v.label} {show(v.built, v.unit)} (needs {v.bound})" for v in failed)


# --- figures -------------------------------------------------------------------------------


def show(value: float, unit: str) -> str:
    """An as-built figure in the units an engineer reads (SI ``unit`` in)."""
    dims = {"W": u.POWER, "A": u.CURRENT, "kg": u.MASS, "J": u.ENERGY, "V": u.VOLTAGE, "m3": u.VOLUME}
    if unit == "K":
        return f"{value - 273.15:.1f} °C"
    if unit == "USD":
        return f"{value:,.0f} USD"
    if unit == "s":
        return "never" if not math.isfinite(value) else f"{value / 60:,.0f} min"
    if unit in dims:
        return u.format_quantity(value, dims[unit])
    return f"{value:,.4g}"


_UNIT = {u.POWER: "W", u.CURRENT: "A", u.MASS: "kg", u.ENERGY: "J", u.VOLTAGE: "V", u.VOLUME: "m3", u.MONEY: "USD"}


def _margin(value: float, low: float | None, high: float | None) -> float:
    """Relative distance inside [low, high]; the tighter end counts."""
    margins = []
    if low is not None:
        margins.append((value - low) / abs(low) if low else value)
    if high is not None:
        margins.append((high - value) / abs(high) if high else -value)
    return min(margins) if margins else math.inf


def _bound_text(bound: ir.Bound, dim) -> str:
    show = (lambda v: f"{v:g}") if dim == u.DIMENSIONLESS else (lambda v: u.format_quantity(v, dim))
    if bound.low is not None and bound.high is not None:
        return f"= {show(bound.low)}" if bound.low == bound.high else f"in {show(bound.low)} .. {show(bound.high)}"
    return f">= {show(bound.low)}" if bound.low is not None else f"<= {show(bound.high)}"


@dataclass(frozen=True)
class _Pack:
    """The figures of the placed, routed pack the verdicts read."""

    series: int
    parallel: int
    cells: int
    modules: int
    share: float  # the most loaded cell's share of the pack current (a_max)
    worst: int  # its index
    ocv: float  # cell OCV at the SOC floor, V
    resistance: float  # pack resistance at the SOC floor, routed, ohm
    largest_module: int = 0  # series groups in the largest module (modules may differ in size)


def _figures(pack: ir.Pack, placement: Placement, routing: Routing) -> _Pack:
    layout, network = placement.layout, routing.network
    cell = pack.cell
    currents = np.abs(np.asarray(network.cell_currents, float))
    worst = int(np.argmax(currents)) if currents.size else 0
    share = float(currents[worst] / network.pack_current) if network.pack_current else 1.0 / layout.parallel
    ocv = float(ocv_model.cell_ocv(cell, pack.soc_floor))
    # the network was solved with the rated (50 % SOC) resistance; at the floor each group adds
    # (R_floor − R_rated)/P in series
    extra = layout.series * (resistance_at(cell, pack.soc_floor) - cell.resistance) / layout.parallel
    return _Pack(
        layout.series,
        layout.parallel,
        len(layout.cells),
        len(layout.modules),
        share,
        worst,
        ocv,
        network.pack_resistance + extra,
        max((len(m.groups) for m in layout.modules), default=layout.series),
    )


def _power_as_built(pack: ir.Pack, built: _Pack, rating: float) -> float:
    """The power the pack delivers at the SOC floor when its most loaded cell reaches
    ``rating`` or the pack its voltage floor, whichever comes first."""
    cell = pack.cell
    by_cell = rating / built.share if built.share > 0 else 0.0
    by_voltage = built.series * (built.ocv - cell.min_voltage) / built.resistance if built.resistance > 0 else by_cell
    current = max(min(by_cell, by_voltage), 0.0)
    return current * (built.series * built.ocv - current * built.resistance)


def _charge_power_as_built(pack: ir.Pack, built: _Pack) -> float:
    """The charge power the pack accepts at the SOC floor when its most loaded cell reaches
    its charge rating (the standard 0.5 C where it states none): P = I·(S·OCV + I·R)."""
    from battgen.passes.loads import DEFAULT_CHARGE_RATE

    cell = pack.cell
    rating = cell.max_charge_current or DEFAULT_CHARGE_RATE * cell.capacity
    current = rating / built.share if built.share > 0 else 0.0
    return current * (built.series * built.ocv + current * built.resistance)


def _pulse_rating(pack: ir.Pack, case: LoadCase) -> float:
    cell = pack.cell
    if cell.pulse_current is None:
        return cell.max_discharge_current
    if case.duration is not None and cell.pulse_duration is not None and case.duration > cell.pulse_duration:
        return cell.max_discharge_current  # longer than the rated pulse: the continuous rating
    return cell.pulse_current


# --- the verdicts ----------------------------------------------------------------------------


def _requirement_verdicts(
    pack: ir.Pack,
    placement: Placement,
    built: _Pack,
    bom: Sequence[BomLine],
    volume: float | None,
    lifetime: Lifetime | None = None,
) -> list[Verdict]:
    cell, candidate = pack.cell, placement.candidate
    loads = candidate.loads
    assert loads is not None
    mass = sum(line.mass_kg for line in bom)
    cost = sum(line.cost_usd for line in bom if line.cost_usd is not None)
    max_module = built.largest_module or math.ceil(built.series / max(built.modules // pack.strings, 1))
    figures = {
        "voltage": built.series * cell.nominal_voltage,
        "max_voltage": built.series * cell.max_voltage,
        "min_voltage": built.series * cell.min_voltage,
        "module_voltage": max_module * cell.max_voltage,
        "energy": built.cells * cell.energy,
        "usable_energy": candidate.usable_energy * built.cells / candidate.cells,
        "power": _power_as_built(pack, built, _pulse_rating(pack, loads.peak)),
        "continuous_power": _power_as_built(pack, built, cell.max_discharge_current),
        "charge_power": _charge_power_as_built(pack, built),
        "mass": mass,
        "cost": cost,
        "volume": volume if volume is not None else candidate.volume,
        "cycles": _cycles(candidate, lifetime),
    }
    out = []
    props = sc.PROPS["pack"]
    for name, bound in pack.requirements.items():
        dim = props[name].dim if name in props else u.DIMENSIONLESS
        if name in ("current", "peak_current", "charge_current"):
            out.extend(_current_verdicts(pack, name, bound, built, loads))
            continue
        if name not in figures:
            continue
        value = figures[name]
        estimate = candidate.value(name)
        out.append(
            Verdict(
                name,
                props[name].doc if name in props else name,
                _bound_text(bound, dim),
                estimate,
                value,
                _UNIT.get(dim, ""),
                _margin(value, bound.low, bound.high),
            )
        )
    return out


def _cycles(candidate, lifetime: Lifetime | None) -> float:
    """Cycles to 80 % as built: the hottest cell's on the duty (``passes.lifetime``; the
    horizon's cycles when it lasts beyond it), else synthesis's screen."""
    if lifetime is None:
        return candidate.cycles
    hottest = lifetime.hottest
    return hottest.efc_to_80 if hottest.efc_to_80 is not None else hottest.curve[-1][1]


def _current_verdicts(pack: ir.Pack, name: str, bound: ir.Bound, built: _Pack, loads) -> list[Verdict]:
    """A pack current limit against the load cases it bounds; a ``>=`` against what the pack
    can deliver as built."""
    cell = pack.cell
    out = []
    if bound.high is not None:
        cases = {"current": loads.cases, "peak_current": (loads.peak,), "charge_current": (loads.charge,)}
        for case in cases.get(name, ()):
            out.append(
                Verdict(
                    f"{name} ({case.kind})" if name == "current" else name,
                    f"pack current of the {case.kind} load ({case.basis})",
                    _bound_text(ir.Bound(None, bound.high, bound.span), u.CURRENT),
                    case.current,
                    case.current,
                    "A",
                    _margin(case.current, None, bound.high),
                )
            )
    if bound.low is not None:
        rating = {
            "current": cell.max_discharge_current,
            "peak_current": cell.pulse_current or cell.max_discharge_current,
            "charge_current": cell.max_charge_current or cell.max_discharge_current,
        }.get(name)
        if rating is not None:
            able = rating / built.share if built.share > 0 else 0.0
            out.append(
                Verdict(
                    name,
                    "pack current the most loaded cell allows",
                    _bound_text(ir.Bound(bound.low, None, bound.span), u.CURRENT),
                    None,
                    able,
                    "A",
                    _margin(able, bound.low, None),
                )
            )
    return out


def _cell_current_verdicts(pack: ir.Pack, loads, built: _Pack) -> list[Verdict]:
    cell = pack.cell
    ratings = [
        (loads.continuous, cell.max_discharge_current, "continuous rating"),
        (loads.peak, _pulse_rating(pack, loads.peak), "pulse rating" if cell.pulse_current else "continuous rating"),
    ]
    if cell.max_charge_current is not None:
        ratings.append((loads.charge, cell.max_charge_current, "charge rating"))
    out = []
    for case, rating, what in ratings:
        if case.from_rating:
            continue  # nothing stated: the case is the rating itself, which the BMS enforces per cell
        worst = case.current * built.share
        out.append(
            Verdict(
                f"cell current ({case.kind})",
                f"most loaded cell at the {case.kind} load ({case.basis}), against its {what}",
                f"<= {u.format_quantity(rating, u.CURRENT)}",
                case.current / built.parallel,
                worst,
                "A",
                _margin(worst, None, rating),
            )
        )
    return out


def cell_limit(cell: ir.Cell) -> tuple[float, str]:
    """The cell's upper temperature, K, and where it comes from."""
    if cell.max_temperature is not None:
        return cell.max_temperature, f"`{cell.name}`'s"
    return DEFAULT_LIMIT, "the Li-ion datasheets' default"


def _temperature_verdicts(pack: ir.Pack, heat: Heat, built: _Pack, loads) -> list[Verdict]:
    """The hottest cell against its limit. The limit is on the cell, so with active cooling the
    figure is the cell's hottest point (``Heat.core_temperature``: the end away from a cold
    plate, the axis or mid-plane of an air-cooled cell), not its cooled face."""
    limit, whose = cell_limit(pack.cell)
    bound = f"<= {limit - 273.15:.0f} °C ({whose} limit)"
    if heat.core_temperature is not None:
        hottest = heat.core_temperature + heat.pulse_rise
        where = "in the cold plate's outlet coolant" if heat.cooling.startswith("cold") else "in the outlet air"
        return [
            Verdict(
                "cell temperature",
                f"hottest cell's core (its hottest point), {where}, at the continuous load "
                f"({loads.continuous.current:,.0f} A), plus the {heat.pulse_seconds:g} s peak pulse",
                bound,
                None,
                hottest,
                "K",
                (limit - hottest) / (limit - heat.inlet) if limit > heat.inlet else -1.0,
            )
        ]
    if heat.end_temperature is None or heat.discharge_time is None:
        return []  # side cooling: only the coolant's flow and rise are modelled (heat's notes say so)
    # no active cooling: the lumped pack at the end of a full discharge at the continuous load
    return [
        Verdict(
            "cell temperature",
            f"hottest cell after a full discharge at the continuous load ({heat.discharge_time / 60:,.0f} min at "
            f"{loads.continuous.current:,.0f} A), skin-cooled",
            bound,
            None,
            heat.end_temperature,
            "K",
            (limit - heat.end_temperature) / (limit - heat.inlet) if limit > heat.inlet else -1.0,
        )
    ]


# --- diagnostics ---------------------------------------------------------------------------


def _span(pack: ir.Pack, verdict: Verdict, loads) -> Span:
    requirement = verdict.name.split(" (")[0]
    if requirement in pack.requirements:
        return pack.requirements[requirement].span
    if verdict.name.startswith("cell current"):
        case = getattr(loads, verdict.name.split("(")[1].rstrip(")"))
        if case.requirement in pack.requirements:
            return pack.requirements[case.requirement].span
        return pack.property_spans.get("cell", pack.name_span)
    if verdict.name == "cell temperature":
        return pack.property_spans.get("cooling", pack.name_span)
    return pack.name_span


def _hint(verdict: Verdict, built: _Pack) -> str:
    if verdict.name.startswith("cell current"):
        need = math.ceil(built.parallel * verdict.built / (verdict.built * (1 + verdict.margin)))
        return (
            f"more cells in parallel (at least {max(need, built.parallel + 1)}p), thicker busbars (less spread "
            "between cells), or a lower load"
        )
    if verdict.name == "cell temperature":
        return (
            "cool a larger area of each cell (fins, side cooling), lower the coolant inlet, state more flow "
            "(`flow = ...`: it lowers the coolant's rise; air also cools better the faster it moves), or put more "
            "cells in parallel (less current each)"
        )
    if verdict.name == "mass":
        return "a lighter enclosure or busbar material, or fewer cells (lower targets)"
    return "relax the requirement, or change the cell or the envelope"


def _diagnostic(pack: ir.Pack, verdict: Verdict, built: _Pack, loads) -> Diagnostic:
    code = {"cell temperature": "E712"}.get(verdict.name, "E711" if verdict.name.startswith("cell current") else "E710")
    over = "below" if verdict.bound.startswith(">=") else "above"
    message = (
        f"as built, {verdict.label}: {show(verdict.built, verdict.unit)}, {abs(verdict.margin):.1%} {over} "
        f"the bound ({verdict.bound})"
    )
    if verdict.estimate is not None and verdict.unit not in ("K", "s"):
        message += f"; synthesis estimated {show(verdict.estimate, verdict.unit)}"
    return Diagnostic(code, message, _span(pack, verdict, loads), _hint(verdict, built))


THIN = 0.01  # a requirement met by less than this, relative, is W501: tolerances and ageing may take it


def _thin(pack: ir.Pack, verdict: Verdict) -> Diagnostic:
    bound = pack.requirements[verdict.name]
    return Diagnostic(
        "W501",
        f"`{verdict.name}` is met with {verdict.margin:.1%} margin as built ({show(verdict.built, verdict.unit)}, "
        f"bound {verdict.bound})",
        bound.span,
        "ageing and tolerances may eat this margin",
        Severity.WARNING,
    )


def check(
    pack: ir.Pack,
    placement: Placement,
    routing: Routing,
    heat: Heat,
    bom: Sequence[BomLine],
    volume: float | None,
    lifetime: Lifetime | None = None,
) -> AsBuilt:
    loads = placement.candidate.loads
    assert loads is not None
    built = _figures(pack, placement, routing)
    verdicts = [
        *_requirement_verdicts(pack, placement, built, bom, volume, lifetime),
        *_cell_current_verdicts(pack, loads, built),
        *_temperature_verdicts(pack, heat, built, loads),
    ]
    diagnostics = tuple(_diagnostic(pack, v, built, loads) for v in verdicts if not v.ok)
    diagnostics += tuple(_thin(pack, v) for v in verdicts if v.ok and v.name in MARGIN_CHECKED and v.margin < THIN)
    worst = tuple((case.kind, built.worst, case.current * built.share) for case in loads.cases)
    return AsBuilt(tuple(verdicts), worst, diagnostics)


def check_stage(
    pack: ir.Pack,
    placement: Placement,
    routing: Routing,
    heat: Heat,
    bom: Sequence[BomLine],
    lifetime: Lifetime | None = None,
) -> Outcome[AsBuilt]:
    """The as-built check of the placed, routed, heated pack."""
    from battgen.models.packaging import enclosure_box

    box = enclosure_box(pack.envelope) if pack.envelope is not None else None
    volume = box[0] * box[2] if box is not None else None
    result = check(pack, placement, routing, heat, bom, volume, lifetime)
    return Outcome(result, result.diagnostics)
