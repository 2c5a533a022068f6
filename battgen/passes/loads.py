"""Load cases: what the pack must carry, derived once from the stated requirements.

Every stage that sizes a part or checks a limit reads these — busbars, leads and fuses
(routing), the heat and the coolant flow (heat), the as-built check — so that no stage has an
idea of the load of its own. Three cases, each a pack current with the power and state of
charge it was derived at and the requirement it came from (``basis``):

* **continuous** — ``continuous_power`` (W) at the SOC floor; else ``current >= I``; else the
  pack's C/3 power (energy over 3 h) at the floor — ANL BatPaC 5.0's sustained load
  ("Sustained battery power (C/3), kW" = pack energy / 3, workbook sheet Thermal, row 34). A
  ``current <= I`` limit is a cap the cases are checked against, not a load.
* **peak** — ``power`` for its duration at the SOC floor; else ``peak_current >= I``; else a
  ``peak_current`` or ``current`` limit (the most the BMS lets through in a pulse); else the
  cells' pulse rating (continuous if none) times P.
* **charge** — ``charge_power`` at the SOC floor; else ``charge_current >= I``; else the
  standard charge, ``DEFAULT_CHARGE_RATE`` (see there), or the cell's charge rating where
  that is lower; the cell's charge rating is what the as-built check holds it to.

A case taken from the cells' own rating (``LoadCase.from_rating``: nothing stated, so the BMS
is what keeps each cell within it) sizes the parts but is not checked against that rating.

A power-defined case is solved per cell from P_cell = I·(OCV(SOC) − I·R): the smaller root
I = (OCV − √(OCV² − 4·R·P_cell)) / (2·R) on discharge, and I = (√(OCV² + 4·R·P_cell) − OCV) /
(2·R) on charge, where R is the cell's resistance at that SOC (``resistance_at``) plus its
share of the interconnect. No real root means the cells cannot deliver that power at all
(the current is NaN, and synthesis rejects the architecture).

The SOC floor is the pack's ``soc_floor`` (default 20 %: ANL's BatPaC rates an EV pack's power
at 20 % SOC for 10 s; USABC's peak power is measured at 80 % depth of discharge — USABC
Electric Vehicle Battery Test Procedures Manual, Rev. 2, 1996).

``sizing = capability`` (a pack property) sizes every case for the cells' ratings instead,
for a user who wants parts that survive whatever the cells can deliver.

Arrays broadcast: synthesis evaluates the cases over its whole S×P grid (``grid_currents``);
``load_cases`` gives the cases of one architecture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.models import ocv as ocv_model

# No stated charge load: 0.5 C, the "standard charge" of Li-ion datasheets (Samsung
# INR21700-50E specification: 2,450 mA standard charge, 4,900 mA maximum "not for cycle life";
# Lishen LFP: 1 C continuous) — the charge a pack is designed to take every day.
DEFAULT_CHARGE_RATE = 0.5 / 3600  # 1/s (0.5 C)


@dataclass(frozen=True)
class LoadCase:
    """One load the pack must carry: the pack current (A, a magnitude; charge is into the
    pack) and what it came from."""

    kind: str  # continuous | peak | charge
    current: float  # pack current, A
    power: float | None  # W at the pack terminals when the case is power-defined
    duration: float | None  # s (the peak's pulse)
    soc: float  # state of charge it is evaluated at
    basis: str  # where it comes from, in words: "`power >= 200 kW for 10 s` at 20 % SOC"
    requirement: str | None = None  # the requirement's name, for diagnostics on its span
    from_rating: bool = False  # the cells' rating times P (nothing stated): the BMS holds it there

    def cell_current(self, parallel: int) -> float:
        """The mean current of one cell, A."""
        return self.current / parallel


@dataclass(frozen=True)
class Loads:
    continuous: LoadCase
    peak: LoadCase
    charge: LoadCase

    @property
    def cases(self) -> tuple[LoadCase, LoadCase, LoadCase]:
        return (self.continuous, self.peak, self.charge)

    @property
    def largest(self) -> LoadCase:
        """The case with the largest current (what a pack current limit is checked against)."""
        return max(self.cases, key=lambda case: case.current)


# --- cell ---------------------------------------------------------------------------------


def resistance_at(cell: ir.Cell, soc: float) -> float:
    """The cell's DC resistance at ``soc`` (ohm): the declared resistance (at 50 % SOC) times
    the chemistry's factor for ``soc`` (``models.resistance``)."""
    from battgen.models import resistance

    return cell.resistance * resistance.soc_factor(cell.chemistry, soc)


def cell_current_for_power(power, ocv, resistance, charge: bool = False):
    """The cell current (A) that delivers (or, ``charge``, accepts) ``power`` W per cell at
    open-circuit voltage ``ocv`` behind ``resistance``: the root of P = I·(OCV ∓ I·R) on the
    stable branch. NaN where no current can deliver that much (discharge beyond the matched-
    load maximum OCV²/4R). Broadcasts."""
    power, ocv, resistance = np.asarray(power, float), np.asarray(ocv, float), np.asarray(resistance, float)
    with np.errstate(invalid="ignore"):
        if charge:
            return (np.sqrt(ocv**2 + 4 * resistance * power) - ocv) / (2 * resistance)
        return (ocv - np.sqrt(ocv**2 - 4 * resistance * power)) / (2 * resistance)


# --- the cases ----------------------------------------------------------------------------


def _pct(soc: float) -> str:
    return f"{soc * 100:g} % SOC"


def _stated(bound: ir.Bound | None, end: str) -> float | None:
    if bound is None:
        return None
    return bound.low if end == "low" else bound.high


@dataclass(frozen=True)
class _Rule:
    """How one case is derived for a pack: a power at the floor, or a fixed pack current, or the
    cells' rating times P."""

    power: float | None
    current: float | None
    per_cell: float | None  # A per cell (a rating), times P
    duration: float | None
    basis: str
    requirement: str | None
    power_per_cell: float | None = None  # W per cell (the C/3 default): a power that scales with S×P
    from_rating: bool = False  # the cells' own rating: nothing stated, the BMS holds each cell to it


def _continuous_rule(pack: ir.Pack) -> _Rule:
    req, cell = pack.requirements, pack.cell
    floor = _pct(pack.soc_floor)
    if pack.sizing == "capability":
        return _Rule(
            None,
            None,
            cell.max_discharge_current,
            None,
            "the cells' continuous rating (`sizing`)",
            None,
            from_rating=True,
        )
    power = _stated(req.get("continuous_power"), "low")
    if power is not None:
        return _Rule(power, None, None, None, f"`continuous_power` at {floor}", "continuous_power")
    current = _stated(req.get("current"), "low")
    if current is not None:
        return _Rule(None, current, None, None, "`current >=`", "current")
    c3 = cell.energy / 3 / 3600  # W per cell: the cell's energy over 3 h
    return _Rule(None, None, None, None, f"C/3 power at {floor} (BatPaC's sustained load; none stated)", None, c3)


def _peak_rule(pack: ir.Pack) -> _Rule:
    req, cell = pack.requirements, pack.cell
    pulse = cell.pulse_current or cell.max_discharge_current
    if pack.sizing == "capability":
        return _Rule(
            None, None, pulse, cell.pulse_duration, "the cells' pulse rating (`sizing`)", None, from_rating=True
        )
    bound = req.get("power")
    if bound is not None and bound.low is not None:
        return _Rule(bound.low, None, None, bound.duration, f"`power` at {_pct(pack.soc_floor)}", "power")
    for name, end in (("peak_current", "low"), ("peak_current", "high"), ("current", "high")):
        current = _stated(req.get(name), end)
        if current is not None:
            how = f"`{name} >=`" if end == "low" else f"the `{name}` limit"
            duration = req[name].duration
            return _Rule(None, current, None, duration, how, name)
    return _Rule(
        None, None, pulse, cell.pulse_duration, "the cells' pulse rating (no peak stated)", None, from_rating=True
    )


def _charge_rule(pack: ir.Pack) -> _Rule:
    req, cell = pack.requirements, pack.cell
    standard = DEFAULT_CHARGE_RATE * cell.capacity
    if cell.max_charge_current is not None and cell.max_charge_current <= standard:
        standard = cell.max_charge_current  # the cell's whole rating: the BMS holds each cell to it
        why = "the cell's charge rating (below 0.5 C; none stated)"
        return _Rule(None, None, standard, None, why, None, from_rating=True)
    if pack.sizing == "capability":
        rated = cell.max_charge_current
        why = "the cell's charge rating" if rated is not None else "0.5 C (the cell states no charge rating)"
        return _Rule(None, None, rated or standard, None, f"{why} (`sizing`)", None, from_rating=rated is not None)
    power = _stated(req.get("charge_power"), "low")
    if power is not None:
        return _Rule(power, None, None, None, f"`charge_power` at {_pct(pack.soc_floor)}", "charge_power")
    current = _stated(req.get("charge_current"), "low")
    if current is not None:
        return _Rule(None, current, None, None, "`charge_current >=`", "charge_current")
    return _Rule(None, None, standard, None, "0.5 C, the datasheets' standard charge (none stated)", None)


def _current(rule: _Rule, series, parallel, ocv, r_cell, charge: bool = False):
    """The pack current of ``rule`` (array over series × parallel)."""
    series, parallel = np.asarray(series, float), np.asarray(parallel, float)
    if rule.power is not None:
        per_cell = cell_current_for_power(rule.power / (series * parallel), ocv, r_cell, charge)
        return per_cell * parallel
    if rule.power_per_cell is not None:
        per_cell = cell_current_for_power(rule.power_per_cell, ocv, r_cell, charge)
        return per_cell * parallel * np.ones_like(series)
    if rule.current is not None:
        return np.broadcast_to(np.asarray(rule.current, float), np.broadcast_shapes(series.shape, parallel.shape))
    assert rule.per_cell is not None
    return rule.per_cell * parallel * np.ones_like(series)


def _floor(pack: ir.Pack, r_interconnect) -> tuple[float, np.ndarray]:
    """(cell OCV at the SOC floor, cell resistance there plus its interconnect share)."""
    cell = pack.cell
    ocv = float(ocv_model.cell_ocv(cell, pack.soc_floor))
    return ocv, resistance_at(cell, pack.soc_floor) + np.asarray(r_interconnect, float)


def grid_currents(pack: ir.Pack, series, parallel, r_interconnect) -> dict[str, np.ndarray]:
    """The pack current of every case over arrays of ``series`` and ``parallel`` (broadcast);
    ``r_interconnect``: each cell's share of the interconnect resistance (ohm, broadcast)."""
    ocv, r_cell = _floor(pack, r_interconnect)
    return {
        "continuous": _current(_continuous_rule(pack), series, parallel, ocv, r_cell),
        "peak": _current(_peak_rule(pack), series, parallel, ocv, r_cell),
        "charge": _current(_charge_rule(pack), series, parallel, ocv, r_cell, charge=True),
    }


def load_cases(pack: ir.Pack, series: int, parallel: int, r_interconnect: float) -> Loads:
    """The three cases of one architecture."""
    currents = grid_currents(pack, series, parallel, r_interconnect)
    rules = {"continuous": _continuous_rule(pack), "peak": _peak_rule(pack), "charge": _charge_rule(pack)}
    cases = {}
    for kind, rule in rules.items():
        power = rule.power if rule.power_per_cell is None else rule.power_per_cell * series * parallel
        cases[kind] = LoadCase(
            kind,
            float(currents[kind]),
            power,
            rule.duration,
            pack.soc_floor,
            rule.basis,
            rule.requirement,
            from_rating=rule.from_rating,
        )
    return Loads(cases["continuous"], cases["peak"], cases["charge"])
