"""Synthesis: from a pack's requirements to ranked series/parallel/module architectures.

``synthesize(pack) -> Synthesis`` enumerates every series count S and parallel count P on a
grid (numpy broadcasting; no Python loop per candidate), every module split of S, estimates
what each candidate delivers with the cited models in ``battgen.models``, keeps those that
meet every requirement, picks the best for the pack's ``optimise`` objective and keeps the
Pareto front of the other objectives as runners-up. When nothing works it says which
requirement cannot be met, by how much, and what limits it (``explain``).

Electrical model (per cell, then scaled by S and P):

* energy: nominal voltage × rated capacity (the way packs are labelled);
* usable energy: capacity at ``discharge_rate`` (``models.rate_capacity``) × SOC window ×
  mean voltage under that current (nominal − I·R);
* resistance: S·R_cell/P + S·R_step, where R_step is the interconnect allowance per series
  step (``interconnect_allowance``) until routing replaces it with the real busbars;
* peak power (what the pack can deliver): at the pack's SOC floor (``soc_floor``, default
  20 %: ANL BatPaC rates power at 20 % SOC; USABC Electric Vehicle Battery Test Procedures
  Manual, Rev. 2, 1996, at 80 % depth of discharge) — the current that keeps the cell at its
  discharge cut-off, ``I = (OCV − V_min)/R``, capped by the cell's pulse rating (continuous
  rating if none), ``P = I·(OCV − I·R)``, with R the cell's resistance at the floor
  (``loads.resistance_at``) plus its interconnect share;
* continuous power: the same with the continuous current rating;
* load currents (what the pack must carry: continuous, peak, charge): ``passes.loads``, from
  the stated requirements; the ``current`` limit is checked against all three;
* heat at the continuous load: I²·R_pack at the floor (Joule heating; the reversible Bernardi
  term is left to ``models.thermal``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Diagnostic, Related, Severity, Span
from battgen.core.limits import MAX_CELLS, MAX_LAYERS, MAX_PARALLEL, MAX_SERIES
from battgen.core.text import counted
from battgen.models import cost as cost_model
from battgen.models import lifetime as lifetime_model
from battgen.models import ocv as ocv_model
from battgen.models import packaging as packaging_model
from battgen.models import rate_capacity as rate_model
from battgen.passes import loads as loads_model
from battgen.passes.floorplan import Pieces, floor_pieces
from battgen.passes.loads import Loads

CONNECTION_RESISTANCE = 0.1e-3  # ohm per cell joint; estimate: Brand et al., J. Energy Storage 1 (2015) 7-14 measured welded cell-tab joints in the 0.01-1 mOhm range (laser and ultrasonic welds at the low end)

# JSON key, human label, dimension — the order of the report and of ``battc estimate --json``.
FIELDS = (
    ("nominal_voltage_V", "nominal voltage", u.VOLTAGE),
    ("min_voltage_V", "min voltage", u.VOLTAGE),
    ("max_voltage_V", "max voltage", u.VOLTAGE),
    ("energy_Wh", "energy", u.ENERGY),
    ("usable_energy_Wh", "usable energy", u.ENERGY),
    ("capacity_Ah", "capacity", u.CHARGE),
    ("peak_power_W", "peak power at the SOC floor", u.POWER),
    ("continuous_power_W", "continuous power", u.POWER),
    ("continuous_current_A", "continuous load", u.CURRENT),
    ("peak_current_A", "peak load", u.CURRENT),
    ("charge_current_A", "charge load", u.CURRENT),
    ("resistance_ohm", "resistance", u.RESISTANCE),
    ("heat_W", "heat at the continuous load", u.POWER),
    ("mass_kg", "mass", u.MASS),
    ("volume_L", "volume", u.VOLUME),
    ("cost_usd", "cost", u.MONEY),
)


@dataclass(frozen=True)
class Candidate:
    """One architecture and its estimates (SI floats)."""

    series: int
    parallel: int
    modules: int
    strings: int
    nominal_voltage: float
    min_voltage: float
    max_voltage: float
    energy: float
    usable_energy: float
    capacity: float
    peak_power: float  # W the pack can deliver at the SOC floor (capability)
    continuous_power: float  # W it can deliver continuously there (capability)
    charge_power: float  # W it can accept there, the cells at their charge rating (capability)
    peak_current: float  # A of the peak load case (``loads.peak``)
    continuous_current: float  # A of the continuous load case
    charge_current: float  # A of the charge load case
    resistance: float
    heat: float
    mass: float
    volume: float
    cost: float
    cycles: float
    feasible: bool
    binding: tuple[str, ...] = ()
    mass_parts: tuple[tuple[str, float], ...] = ()  # kg by part (models.packaging.components)
    loads: Loads | None = None  # the load cases the currents above come from
    module_series: tuple[int, ...] = ()  # declared series groups per module of a string; () = equal

    @property
    def module_sizes(self) -> tuple[int, ...]:
        """Series groups in each module of one string, in series order: the declared list, else
        S split into equal modules (as equal as they go when a given count does not divide S)."""
        if self.module_series:
            return self.module_series
        count = min(max(self.modules // max(self.strings, 1), 1), max(self.series, 1))
        base, extra = divmod(self.series, count)
        return (base + 1,) * extra + (base,) * (count - extra)

    @property
    def modules_text(self) -> str:
        """The modules as built, in words — the one wording the terminal's summary, the estimate,
        the report and the editor's hover use: "10 modules of 10s3p" when they are alike; by size,
        in series order, "10 modules: 8 × 10s3p + 2 × 8s3p" when not (every string's counted)."""
        p = self.parallel // max(self.strings, 1)
        counts: dict[int, int] = {}
        for k in self.module_sizes:
            counts[k] = counts.get(k, 0) + self.strings
        modules = counted(self.modules, "module")
        if len(counts) <= 1:
            return f"{modules} of {self.series_per_module}s{p}p"
        return f"{modules}: " + " + ".join(f"{n} × {k}s{p}p" for k, n in counts.items())

    @property
    def cells(self) -> int:
        return self.series * self.parallel

    @property
    def label(self) -> str:
        return f"{self.series}s{self.parallel}p"

    @property
    def series_per_module(self) -> int:
        """The largest module's series groups (every module's when they are equal)."""
        return max(self.module_sizes)

    def value(self, name: str) -> float:
        """A requirement's quantity for this candidate (the names of ``ir.Pack.requirements``)."""
        return {
            "voltage": self.nominal_voltage,
            "max_voltage": self.max_voltage,
            "min_voltage": self.min_voltage,
            "energy": self.energy,
            "usable_energy": self.usable_energy,
            "power": self.peak_power,
            "continuous_power": self.continuous_power,
            "charge_power": self.charge_power,
            "current": max(self.continuous_current, self.peak_current, self.charge_current),
            "charge_current": self.charge_current,
            "peak_current": self.peak_current,
            "mass": self.mass,
            "volume": self.volume,
            "cost": self.cost,
            "cycles": self.cycles,
            "module_voltage": self.series_per_module * self.max_voltage / max(self.series, 1),
        }[name]

    def as_json(self) -> dict:
        out = {
            "series": self.series,
            "parallel": self.parallel,
            "cells": self.cells,
            "modules": self.modules,
            "strings": self.strings,
            "series_per_module": self.series_per_module,
            "module_series": list(self.module_sizes),
            "nominal_voltage_V": self.nominal_voltage,
            "min_voltage_V": self.min_voltage,
            "max_voltage_V": self.max_voltage,
            "energy_Wh": self.energy / 3600,
            "usable_energy_Wh": self.usable_energy / 3600,
            "capacity_Ah": self.capacity / 3600,
            "peak_power_W": self.peak_power,
            "continuous_power_W": self.continuous_power,
            "charge_power_W": self.charge_power,
            "peak_current_A": self.peak_current,
            "continuous_current_A": self.continuous_current,
            "charge_current_A": self.charge_current,
            "resistance_ohm": self.resistance,
            "heat_W": self.heat,
            "mass_kg": self.mass,
            "volume_L": self.volume * 1000,
            "cost_usd": self.cost,
            "cycles_to_80": self.cycles,
            "specific_energy_Wh_per_kg": self.energy / 3600 / self.mass,
            "energy_density_Wh_per_L": self.energy / 3600 / (self.volume * 1000),
            "feasible": self.feasible,
            "binding": list(self.binding),
        }
        out = {k: _round(v) for k, v in out.items()}
        out["mass_parts_kg"] = {part: _round(kg) for part, kg in self.mass_parts}
        if self.loads is not None:
            out["loads"] = {
                case.kind: {
                    "current_A": _round(case.current),
                    "power_W": _round(case.power),
                    "duration_s": _round(case.duration),
                    "soc": _round(case.soc),
                    "basis": case.basis,
                }
                for case in self.loads.cases
            }
        return out


def _round(value):
    """Ten significant digits: stable bytes across platforms' last-bit float differences."""
    if isinstance(value, float):
        if value == 0 or not math.isfinite(value):
            return value
        return float(f"{value:.10g}")
    return value


@dataclass(frozen=True)
class Synthesis:
    pack: str
    chosen: Candidate | None
    runners_up: tuple[Candidate, ...]
    evaluated: int
    feasible_count: int
    envelope_capacity: int | None
    diagnostics: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def as_json(self, built: Candidate | None = None) -> dict:
        """``battc estimate --json``'s pack, and design.json's ``synthesis``: the architecture
        ``built`` (the one layout placed; synthesis's choice when None) with its estimates, the
        runners-up and the search's size. When layout placed a runner-up, ``synthesis_choice``
        names what synthesis chose."""
        candidate = built if built is not None else self.chosen
        out: dict = dict.fromkeys(ESTIMATE_KEYS)
        out.update(
            {
                "name": self.pack,
                "feasible": False,
                "binding": [],
                "evaluated": self.evaluated,
                "envelope_capacity": self.envelope_capacity,
                "runners_up": [],
            }
        )
        if candidate is not None:
            out.update(candidate.as_json())
            out["runners_up"] = [c.as_json() for c in self.runners_up]
        if built is not None and self.chosen is not None and built != self.chosen:
            out["synthesis_choice"] = self.chosen.label
        return out


# the keys every estimate JSON has, null when synthesis found nothing
ESTIMATE_KEYS = (
    "name",
    "series",
    "parallel",
    "cells",
    "modules",
    "nominal_voltage_V",
    "min_voltage_V",
    "max_voltage_V",
    "energy_Wh",
    "capacity_Ah",
    "continuous_power_W",
    "peak_power_W",
    "resistance_ohm",
    "mass_kg",
    "volume_L",
    "cost_usd",
    "feasible",
    "binding",
)


# --- envelope capacity --------------------------------------------------------------------

HEX_DENSITY = math.pi / (2 * math.sqrt(3))  # 0.9069, the densest packing of equal circles (Thue/Fejes Tóth)


def envelope_capacity(pack: ir.Pack) -> int | None:
    """An upper bound on the cells the envelope can hold: usable floor area over the area
    each cell takes in the best lattice the layout allows, times the layers the height
    allows. The layout pass replaces this with the real count."""
    envelope = pack.envelope
    if envelope is None:
        return None
    cell = pack.cell.format
    outline = envelope.outline
    area = outline.area - outline.perimeter * envelope.wall
    for keepout in envelope.keepouts:
        area -= keepout.shape.area
    area = max(area, 0.0)
    gap = pack.gap
    if cell.kind == "cylindrical":
        pitch = cell.diameter + gap
        per_cell = pitch * pitch * (math.sqrt(3) / 2 if pack.layout in ("hex", "auto") else 1.0)
    else:
        per_cell = (cell.width + gap) * (cell.thickness + gap)
    layers = max(min(int(envelope.height // cell.height), pack.layers, MAX_LAYERS), 0)
    capacity = int(area / per_cell) * layers
    pieces = split_floor(pack)
    if pieces is not None:  # a string of cells stays in one piece: count the largest
        capacity = int(capacity * pieces.largest_share)
    return capacity


def split_floor(pack: ir.Pack) -> Pieces | None:
    """The pieces of the pack's floor when keepouts (or a polygon outline) cut it in several
    and one string must fit one of them; None when it is one piece (or strings may spread)."""
    envelope = pack.envelope
    if envelope is None or pack.strings != 1 or not (envelope.keepouts or envelope.outline.kind == "polygon"):
        return None
    cell = pack.cell.format
    half = cell.diameter / 2 if cell.kind == "cylindrical" else min(cell.width, cell.thickness) / 2
    pieces = floor_pieces(envelope, half)
    return pieces if pieces.count > 1 else None


def interconnect_allowance(pack: ir.Pack, parallel: np.ndarray) -> np.ndarray:
    """Resistance per series step (ohm), until routing computes it from the real busbars:
    the busbar plate carrying the group current across one cell pitch, as wide as the group
    (√P cells), plus one cell joint per cell in parallel."""
    cell = pack.cell.format
    pitch = (cell.diameter if cell.kind == "cylindrical" else cell.thickness) + pack.gap
    busbar = pack.busbar
    resistivity = busbar.material.resistivity if busbar and busbar.material.resistivity else 2.8e-8
    thickness = busbar.thickness if busbar else 0.002
    width = np.sqrt(parallel) * ((cell.diameter if cell.kind == "cylindrical" else cell.width) + pack.gap)
    plate = resistivity * pitch / (width * thickness)
    return plate + CONNECTION_RESISTANCE / parallel


# --- the search ---------------------------------------------------------------------------

CONSTRAINT_ORDER = (
    "series",
    "parallel",
    "voltage",
    "max_voltage",
    "min_voltage",
    "modules",
    "module_voltage",
    "energy",
    "usable_energy",
    "power",
    "continuous_power",
    "current",
    "peak_current",
    "charge_current",
    "charge_power",
    "mass",
    "volume",
    "cost",
    "cycles",
    "envelope",
)


def synthesize(pack: ir.Pack, placed_capacity: int | None = None) -> Synthesis:
    """Every architecture of ``pack`` on the S×P grid: the best for its objective, the Pareto
    runners-up, or why none meets the requirements. ``placed_capacity``: the cells the layout
    pass found room for, replacing the area bound (the design loop's second look)."""
    s_top, p_top = _search_box(pack)
    series = np.arange(1, s_top + 1, dtype=np.int64)[:, None]
    parallel = np.arange(1, p_top + 1, dtype=np.int64)[None, :]
    grid = _Grid(pack, series, parallel, placed_capacity)
    masks = grid.masks()
    feasible = np.ones(grid.shape, dtype=bool)
    for mask in masks.values():
        feasible &= mask
    module_options = grid.module_options
    evaluated = int(series.size * parallel.size * max(module_options.shape[1], 1))
    capacity = grid.capacity
    objective = grid.objective()
    diagnostics: list[Diagnostic] = []
    chosen = None
    runners: list[Candidate] = []
    if feasible.any():
        order = _ranked(objective, grid, feasible)
        best = order[0]
        chosen_index = (best // grid.shape[1], best % grid.shape[1])
        binding = _binding(grid, masks, objective, chosen_index)
        chosen = grid.candidate(chosen_index, True, binding)
        for index in _pareto(grid, order[1:400]):
            runners.append(grid.candidate((index // grid.shape[1], index % grid.shape[1]), True, ()))
            if len(runners) >= 6:
                break
        diagnostics.extend(_thin_margins(pack, chosen))
    else:  # why: battgen's own cell limit first (no requirement asked for it), else the requirements
        too_big = _beyond_cell_limit(pack, grid, masks)
        diagnostics.extend([too_big] if too_big is not None else explain(pack, grid, masks))
    return Synthesis(
        pack=pack.name,
        chosen=chosen,
        runners_up=tuple(runners),
        evaluated=evaluated,
        feasible_count=int(feasible.sum()),
        envelope_capacity=capacity,
        diagnostics=tuple(diagnostics),
    )


def alternatives(pack: ir.Pack, count: int, max_cells: int | None = None) -> tuple[Candidate, ...]:
    """The ``count`` best feasible architectures after synthesis's choice, in the order of the
    pack's objective, each needing at most ``max_cells`` cells (the design loop's next tries;
    the same search as ``synthesize``, milliseconds)."""
    s_top, p_top = _search_box(pack)
    series = np.arange(1, s_top + 1, dtype=np.int64)[:, None]
    parallel = np.arange(1, p_top + 1, dtype=np.int64)[None, :]
    grid = _Grid(pack, series, parallel)
    feasible = np.ones(grid.shape, dtype=bool)
    for mask in grid.masks().values():
        feasible &= mask
    if max_cells is not None:
        feasible &= np.broadcast_to(grid.cells, grid.shape) <= max_cells
    order = _ranked(grid.objective(), grid, feasible)
    out = []
    for index in order[: count + 1]:
        out.append(grid.candidate((index // grid.shape[1], index % grid.shape[1]), True, ()))
    return tuple(out)


def evaluate_fixed(pack: ir.Pack, series: int, parallel: int, modules: int | None = None) -> Candidate:
    """The estimate of one given architecture, feasible or not (validation and hover); ``modules``:
    its module count when known (else what synthesis would pick)."""
    grid = _Grid(pack, np.array([[series]]), np.array([[parallel]]), modules=modules)
    masks = grid.masks()
    ok = all(bool(m[0, 0]) for m in masks.values())
    failed = tuple(name for name, m in masks.items() if not m[0, 0])
    return grid.candidate((0, 0), ok, failed)


def _search_box(pack: ir.Pack) -> tuple[int, int]:
    cell = pack.cell
    req = pack.requirements
    highs = [pack.series or 0, sum(pack.module_series or ())]
    for name, per_cell in (
        ("voltage", cell.nominal_voltage),
        ("max_voltage", cell.max_voltage),
        ("min_voltage", cell.min_voltage),
    ):
        bound = req.get(name)
        if bound is not None:
            for end in (bound.low, bound.high):
                if end is not None:
                    highs.append(math.ceil(1.25 * end / per_cell))
    s_top = max(highs) if max(highs) > 0 else 200
    s_top = int(min(max(s_top, 8), MAX_SERIES))
    s_low = 1
    voltage = req.get("voltage")
    if voltage is not None and voltage.low is not None:
        s_low = max(int(voltage.low / cell.nominal_voltage), 1)
    p_highs = [pack.parallel or 0, 8]
    energy = req.get("energy") or req.get("usable_energy")
    if energy is not None:
        target = energy.low if energy.low is not None else energy.high
        if target is not None:  # a bound states one end at least
            p_highs.append(math.ceil(2.0 * target / (s_low * cell.energy)))
    for name in ("power", "continuous_power"):
        bound = req.get(name)
        if bound is not None and bound.low is not None:
            p_highs.append(math.ceil(2.0 * bound.low / (s_low * cell.nominal_voltage * cell.max_discharge_current)))
    capacity = envelope_capacity(pack)
    if capacity:
        p_highs.append(capacity // s_low + 2)
    p_top = int(min(max(p_highs), MAX_PARALLEL))
    return s_top, max(p_top, 1)


class _Grid:
    """Every estimate over the S × P grid (arrays of shape (n_S, n_P))."""

    def __init__(
        self,
        pack: ir.Pack,
        series: np.ndarray,
        parallel: np.ndarray,
        placed: int | None = None,
        modules: int | None = None,
    ):
        self.pack = pack
        cell = pack.cell
        self.series, self.parallel = series, parallel
        self.shape = (series.shape[0], parallel.shape[1])
        s = series.astype(float)
        p = parallel.astype(float)
        self.cells = series * parallel
        self.nominal_voltage = s * cell.nominal_voltage
        self.max_voltage = s * cell.max_voltage
        self.min_voltage = s * cell.min_voltage
        self.capacity_total = p * cell.capacity
        self.energy = self.nominal_voltage * self.capacity_total
        step = interconnect_allowance(pack, p)
        self.step = step
        self.resistance = s * cell.resistance / p + s * step
        # per-cell effective resistance: the cell plus its share of the interconnect
        r_eff = cell.resistance + p * step
        r_floor = loads_model.resistance_at(cell, pack.soc_floor) + p * step  # at the SOC floor
        rate = pack.discharge_rate
        capacity_at_rate = float(rate_model.capacity_at_rate(cell, rate))
        rate_current = rate * cell.capacity
        mean_voltage = cell.nominal_voltage - rate_current * r_eff
        window = pack.soc_high - pack.soc_low
        self.usable_energy = s * p * capacity_at_rate * window * mean_voltage
        pulse_limit = cell.pulse_current or cell.max_discharge_current
        power_bound = pack.requirements.get("power")
        if power_bound is not None and power_bound.duration and cell.pulse_duration:
            if power_bound.duration > cell.pulse_duration:
                pulse_limit = cell.max_discharge_current  # longer than the rated pulse: continuous rating
        ocv_floor = float(ocv_model.cell_ocv(cell, pack.soc_floor))
        peak_cell_current = _limited_current(ocv_floor, cell.min_voltage, r_floor, pulse_limit)
        self.peak_power = s * p * peak_cell_current * (ocv_floor - peak_cell_current * r_floor)
        continuous_cell = _limited_current(ocv_floor, cell.min_voltage, r_floor, cell.max_discharge_current)
        self.continuous_power = s * p * continuous_cell * (ocv_floor - continuous_cell * r_floor)
        self.peak_capability = p * peak_cell_current  # A the cells can deliver at the floor
        self.continuous_capability = p * continuous_cell
        charge_cell = cell.max_charge_current or loads_model.DEFAULT_CHARGE_RATE * cell.capacity
        self.charge_capability = p * charge_cell
        self.charge_power = s * p * charge_cell * (ocv_floor + charge_cell * r_floor)
        currents = loads_model.grid_currents(pack, s, p, p * step)
        self.continuous_current = currents["continuous"]
        self.peak_current = currents["peak"]
        self.charge_current = currents["charge"]
        self.heat = self.continuous_current**2 * (s * r_floor / p)
        self.module_options = self._module_options()
        self.fixed_modules = modules
        self.module_count = self._module_count(modules)
        self.parts = packaging_model.components_for(
            pack, self.cells, series=s, modules=self.module_count, current=self.peak_current
        )
        self.mass = sum(self.parts.values())
        self.volume = packaging_model.pack_volume_for(pack, self.cells)
        self.cost = sum(
            cost_model.pack_costs(
                pack, self.parts, series=s, parallel=p, modules=self.module_count, heat=self.heat
            ).values()
        )
        self.cycles = float(
            lifetime_model.cycles_to_80(cell, pack.depth_of_discharge, rate, pack.ambient, pack.soc_high)
        )
        self.placed = placed is not None  # the capacity is the layout's count, not the area bound
        self.capacity = placed if placed is not None else envelope_capacity(pack)

    def _module_options(self) -> np.ndarray:
        """(n_S, n_M) mask: module count M (per string) admissible for S."""
        pack = self.pack
        strings = pack.strings
        bound = pack.modules
        m_low = 1 if bound is None or bound.low is None else max(int(math.ceil(bound.low / strings)), 1)
        m_high = sc.MAX_MODULES if bound is None or bound.high is None else int(bound.high // strings)
        m_high = max(m_high, m_low)
        s = self.series
        limit = pack.requirements.get("module_voltage")
        if pack.module_series:  # declared sizes: their count, and S their sum
            sizes = pack.module_series
            self.module_counts = np.array([[len(sizes)]])
            fits = s == sum(sizes)
            if limit is not None and limit.high is not None:
                fits &= max(sizes) * pack.cell.max_voltage <= limit.high + 1e-9
            return fits
        self.module_counts = np.arange(m_low, m_high + 1)[None, :]
        divides = (s % self.module_counts) == 0
        if limit is not None and limit.high is not None:
            divides &= (s // self.module_counts) * pack.cell.max_voltage <= limit.high + 1e-9
        return divides

    def _module_count(self, fixed: int | None) -> np.ndarray:
        """(n_S, 1) modules of each S: ``fixed`` when given, else the fewest admissible (what
        ``modules_for`` picks), one per string when none is."""
        if fixed is not None:
            return np.full((self.shape[0], 1), float(fixed))
        counts = self.module_counts[0]
        first = np.where(self.module_options.any(axis=1), np.argmax(self.module_options, axis=1), 0)
        per_string = np.where(self.module_options.any(axis=1), counts[first], 1)
        return (per_string * self.pack.strings).astype(float)[:, None]

    def masks(self) -> dict[str, np.ndarray]:
        pack, req = self.pack, self.pack.requirements
        shape = self.shape
        masks: dict[str, np.ndarray] = {}
        if pack.series is not None:
            masks["series"] = np.broadcast_to(self.series == pack.series, shape)
        if pack.parallel is not None:
            masks["parallel"] = np.broadcast_to(self.parallel == pack.parallel, shape)
        if pack.strings > 1:
            masks["strings"] = np.broadcast_to(self.parallel % pack.strings == 0, shape)
        values = {
            "voltage": self.nominal_voltage,
            "max_voltage": self.max_voltage,
            "min_voltage": self.min_voltage,
            "energy": self.energy,
            "usable_energy": self.usable_energy,
            "power": self.peak_power,
            "continuous_power": self.continuous_power,
            "mass": self.mass,
            "volume": self.volume,
            "cost": self.cost,
        }
        for name, value in values.items():
            bound = req.get(name)
            if bound is not None:
                masks[name] = np.broadcast_to(_within(value, bound), shape)
        capability = {
            "current": self.continuous_capability,
            "peak_current": self.peak_capability,
            "charge_current": self.charge_capability,
            "charge_power": self.charge_power,
        }
        for name, able in capability.items():
            bound = req.get(name)
            if bound is None:
                continue
            mask = np.ones(shape, dtype=bool)
            if bound.low is not None:
                mask &= able >= bound.low * (1 - 1e-9)  # the pack must be able to supply it
            if bound.high is not None:  # a limit: no load case may draw more
                mask &= self.limited_current(name) <= bound.high * (1 + 1e-9)
            masks[name] = np.broadcast_to(mask, shape)
        cycles = req.get("cycles")
        if cycles is not None:
            masks["cycles"] = np.full(shape, _within(np.array(self.cycles), cycles))
        any_module = np.asarray(self.module_options.any(axis=1))[:, None]
        if pack.modules is not None or pack.module_series or "module_voltage" in req:
            masks["modules"] = np.broadcast_to(any_module, shape)
        if self.capacity is not None:
            masks["envelope"] = self.cells <= self.capacity
        if (self.cells > MAX_CELLS).any():  # no requirement asks for it: battgen's own limit
            masks["cells"] = np.broadcast_to(self.cells <= MAX_CELLS, shape)
        return masks

    def limited_current(self, name: str) -> np.ndarray:
        """The load current a limit on ``name`` bounds: every case for ``current``, the peak
        for ``peak_current``, the charge for ``charge_current``."""
        if name == "peak_current":
            return np.broadcast_to(self.peak_current, self.shape)
        if name == "charge_current":
            return np.broadcast_to(self.charge_current, self.shape)
        cases = np.broadcast_arrays(self.continuous_current, self.peak_current, self.charge_current)
        return np.fmax(np.fmax(cases[0], cases[1]), cases[2])

    def objective(self) -> np.ndarray:
        choice = self.pack.optimise
        if choice == "energy":
            return -self.energy
        return {"mass": self.mass, "volume": self.volume, "cost": self.cost}[choice] * np.ones(self.shape)

    def modules_for(self, index) -> int:
        if self.fixed_modules is not None:
            return self.fixed_modules
        options = self.module_options[index[0]]
        counts = self.module_counts[0][options]
        # fewest modules that meet the limits: fewest interconnects and parts
        per_string = int(counts[0]) if counts.size else 1
        return per_string * self.pack.strings

    def candidate(self, index, feasible: bool, binding: tuple[str, ...]) -> Candidate:
        i, j = index

        def at(array):
            array = np.broadcast_to(array, self.shape)
            return float(array[i, j])

        return Candidate(
            series=int(self.series[i, 0]),
            parallel=int(self.parallel[0, j]),
            modules=self.modules_for(index),
            strings=self.pack.strings,
            module_series=tuple(self.pack.module_series or ()),
            nominal_voltage=at(self.nominal_voltage),
            min_voltage=at(self.min_voltage),
            max_voltage=at(self.max_voltage),
            energy=at(self.energy),
            usable_energy=at(self.usable_energy),
            capacity=at(self.capacity_total),
            peak_power=at(self.peak_power),
            continuous_power=at(self.continuous_power),
            charge_power=at(self.charge_power),
            peak_current=at(self.peak_current),
            continuous_current=at(self.continuous_current),
            charge_current=at(self.charge_current),
            resistance=at(self.resistance),
            heat=at(self.heat),
            mass=at(self.mass),
            volume=at(self.volume),
            cost=at(self.cost),
            cycles=self.cycles,
            feasible=feasible,
            binding=binding,
            mass_parts=tuple((part, at(kg)) for part, kg in self.parts.items()),
            loads=loads_model.load_cases(
                self.pack,
                int(self.series[i, 0]),
                int(self.parallel[0, j]),
                float(np.broadcast_to(self.parallel * self.step, self.shape)[i, j]),
            ),
        )


def _limited_current(ocv: float, v_min: float, resistance, limit: float):
    """The largest current that keeps the terminal voltage at or above ``v_min``."""
    return np.clip((ocv - v_min) / resistance, 0.0, limit)


def _within(value, bound: ir.Bound):
    mask = np.ones(np.shape(value), dtype=bool)
    tolerance = 1e-9
    if bound.low is not None:
        mask &= value >= bound.low * (1 - tolerance)
    if bound.high is not None:
        mask &= value <= bound.high * (1 + tolerance)
    return mask


def _ranked(objective: np.ndarray, grid: _Grid, feasible: np.ndarray) -> np.ndarray:
    """Feasible flat indices, best first; ties go to fewer cells, then lower S."""
    flat = np.flatnonzero(feasible)
    cells = np.broadcast_to(grid.cells, grid.shape).ravel()[flat]
    series = np.broadcast_to(grid.series, grid.shape).ravel()[flat]
    values = np.round(objective.ravel()[flat], 9)
    order = np.lexsort((series, cells, values))
    return flat[order]


def _pareto(grid: _Grid, indices: np.ndarray) -> list[int]:
    """Those of ``indices`` (best first) not dominated in (mass, volume, cost, −energy)."""
    if indices.size == 0:
        return []
    table = np.stack(
        [np.broadcast_to(a, grid.shape).ravel()[indices] for a in (grid.mass, grid.volume, grid.cost, -grid.energy)],
        axis=1,
    )
    better_or_equal = (table[:, None, :] <= table[None, :, :]).all(axis=2)
    strictly = (table[:, None, :] < table[None, :, :]).any(axis=2)
    dominated = (better_or_equal & strictly).any(axis=0)
    return [int(i) for i in indices[~dominated]]


def _binding(grid: _Grid, masks: dict, objective: np.ndarray, index) -> tuple[str, ...]:
    """The requirements that stop a better design: those violated by the neighbours of the
    chosen S×P that would score better on the objective."""
    i, j = index
    best = objective[i, j]
    names: set[str] = set()
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            a, b = i + di, j + dj
            if (di, dj) == (0, 0) or not (0 <= a < grid.shape[0] and 0 <= b < grid.shape[1]):
                continue
            if objective[a, b] >= best:
                continue
            for name, mask in masks.items():
                if not mask[a, b]:
                    names.add(name)
    return tuple(n for n in CONSTRAINT_ORDER if n in names)


# Requirements whose margin can erode (tolerances, ageing); voltage limits are met exactly by
# design (S × cell limit) and are not warned about.
# A current limit bounds the current drawn, not the pack's capability, so it has no margin here.
MARGIN_CHECKED = ("energy", "usable_energy", "power", "continuous_power", "mass", "volume", "cost", "cycles")


def _thin_margins(pack: ir.Pack, chosen: Candidate) -> list[Diagnostic]:
    out = []
    for name, bound in pack.requirements.items():
        if name not in MARGIN_CHECKED:
            continue
        value = chosen.value(name)
        for end, sign in ((bound.low, 1), (bound.high, -1)):
            if end is None or end == 0:
                continue
            margin = max(sign * (value - end) / abs(end), 0.0)
            if 0 <= margin < 0.01 and bound.low != bound.high:
                dim = _DIMS.get(name, u.DIMENSIONLESS)
                out.append(
                    Diagnostic(
                        "W501",
                        f"`{name}` is met with {margin:.1%} margin "
                        f"({u.format_quantity(value, dim)} vs {u.format_quantity(end, dim)})",
                        bound.span,
                        "ageing and tolerances may eat this margin",
                        Severity.WARNING,
                    )
                )
    return out


# --- explaining a "no" --------------------------------------------------------------------

# the dimension of every requirement, from the schema (the one place requirements are declared)
_DIMS = {prop.name: prop.dim for prop in sc.PACK if prop.ops != sc.SET_ONLY}


def _span_of(pack: ir.Pack, name: str) -> Span:
    if name in pack.requirements:
        return pack.requirements[name].span
    if name in pack.property_spans:
        return pack.property_spans[name]
    return pack.name_span


def _grid_value(grid: _Grid, name: str) -> np.ndarray | None:
    values = {
        "voltage": grid.nominal_voltage,
        "max_voltage": grid.max_voltage,
        "min_voltage": grid.min_voltage,
        "energy": grid.energy,
        "usable_energy": grid.usable_energy,
        "power": grid.peak_power,
        "continuous_power": grid.continuous_power,
        "mass": grid.mass,
        "volume": grid.volume,
        "cost": grid.cost,
        "current": grid.limited_current("current"),
        "peak_current": grid.peak_current,
        "charge_current": grid.charge_current,
        "charge_power": grid.charge_power,
        "envelope": grid.cells,
        "series": grid.series,
        "parallel": grid.parallel,
    }
    value = values.get(name)
    return None if value is None else np.broadcast_to(value, grid.shape)


def _describe_limit(pack: ir.Pack, grid: _Grid, name: str) -> str:
    """What a constraint means in words, for "limited by ..."."""
    req = pack.requirements
    if name == "envelope":
        layout = "hex" if pack.layout in ("hex", "auto") else "square"
        if pack.cell.format.kind != "cylindrical":
            layout = "rows"
        envelope = pack.envelope.name if pack.envelope is not None else "?"  # limits only with one
        if grid.placed:
            return f"`envelope = {envelope}` (the layout pass found room for {grid.capacity:,} cells)"
        pieces = split_floor(pack)
        if pieces is not None:
            return (
                f"`envelope = {envelope}` (its floor is cut into {pieces.count} pieces and the cells of "
                f"a string must touch, so they stay in one piece: the largest holds at most {grid.capacity:,} "
                f"cells, {layout} packing)"
            )
        return f"`envelope = {envelope}` (holds at most {grid.capacity:,} cells, {layout} packing)"
    if name == "cells":
        return f"battgen's limit of {MAX_CELLS:,} cells a pack (MAX_CELLS)"
    if name in ("series", "parallel"):
        return f"`{name} = {getattr(pack, name)}`"
    if name == "modules":
        bound = pack.modules
        text = "`modules`" if bound is None else f"`modules` ({_bound_text(bound, u.DIMENSIONLESS)})"
        if pack.module_series:
            text = f"`module_series` (S = {sum(pack.module_series)} in {len(pack.module_series)} modules)"
        if "module_voltage" in req:
            high = req["module_voltage"].high
            text += f" with `module_voltage <= {u.format_quantity(high, u.VOLTAGE)}`" if high is not None else ""
        return text
    bound = req.get(name)
    return f"`{name} {_bound_text(bound, _DIMS.get(name, u.DIMENSIONLESS))}`" if bound else f"`{name}`"


def _bound_text(bound: ir.Bound, dim) -> str:
    fmt = (lambda v: f"{v:g}") if dim == u.DIMENSIONLESS else (lambda v: u.format_quantity(v, dim))
    if bound.low is not None and bound.high is not None:
        if bound.low == bound.high:
            return f"= {fmt(bound.low)}"
        return f"in {fmt(bound.low)} .. {fmt(bound.high)}"
    if bound.low is not None:
        return f">= {fmt(bound.low)}"
    return f"<= {fmt(bound.high)}"


def explain(pack: ir.Pack, grid: _Grid, masks: dict[str, np.ndarray]) -> list[Diagnostic]:
    """Why no architecture works, as diagnostics on the requirements that cannot be met.

    For each requirement, the other requirements together define what is still possible;
    if that set is not empty, this requirement alone is the one that fails, and the best
    value in that set says by how much. The requirement that caps that best value is named
    too (a conflict, with both spans)."""
    names = [n for n in CONSTRAINT_ORDER if n in masks] + [n for n in masks if n not in CONSTRAINT_ORDER]
    uneven = _uneven_modules(pack, grid)
    if uneven is not None:
        return [uneven]
    # fixed counts (`series = 4`, `parallel = 6`) that no envelope-sized pack can have: the
    # envelope is the reason, whatever else is asked
    fixed = [n for n in ("series", "parallel") if n in masks and getattr(pack, n) is not None]
    if fixed and "envelope" in masks:
        settings = np.ones(grid.shape, dtype=bool)
        for n in fixed:
            settings &= masks[n]
        if settings.any() and not (settings & masks["envelope"]).any():
            cells = np.broadcast_to(grid.cells, grid.shape)
            need = int(cells[settings].min())
            label = _best_label(grid, settings, -cells.astype(float), largest=True)
            said = " and ".join(_describe_limit(pack, grid, n) for n in fixed)
            return [
                Diagnostic(
                    "E502",
                    f"{said} need{'s' if len(fixed) == 1 else ''} at least {need:,} cells ({label}); "
                    f"{_describe_limit(pack, grid, 'envelope')}",
                    _span_of(pack, fixed[-1]),
                    "fewer cells in series or parallel, or give the pack more room",
                    related=(Related(_span_of(pack, "envelope"), "the envelope that limits it"),),
                )
            ]
    failures: dict[str, tuple[Diagnostic, str | None]] = {}
    for name in names:
        others = np.ones(grid.shape, dtype=bool)
        for other in names:
            if other != name:
                others &= masks[other]
        if not others.any():
            continue
        limiter = _limiter(pack, grid, masks, others, name, names)
        failures[name] = (_single_failure(pack, grid, masks, name, others, names), limiter)
    out: list[Diagnostic] = []
    merged: set[str] = set()
    for name, (diagnostic, limiter) in failures.items():
        if name in merged:
            continue
        partner = failures.get(limiter) if limiter else None
        if name == "envelope" and limiter in failures:
            continue  # said on the requirement that needs the cells (below)
        if limiter == "envelope":
            out.append(_needs_more_cells(pack, grid, masks, name, diagnostic))
            continue
        if partner is not None and limiter is not None and partner[1] == name:
            # two requirements that each fail only because of the other: one conflict, said on
            # the requirement (a target) rather than on a fixed setting such as `parallel = 10`
            if name not in pack.requirements and limiter in pack.requirements:
                name, limiter = limiter, name
                diagnostic, partner = partner[0], failures[limiter]
            merged.update((name, limiter))
            out.append(
                Diagnostic(
                    "E503",
                    f"{_describe_limit(pack, grid, name)} and {_describe_limit(pack, grid, limiter)} conflict: "
                    f"{_lowercase_first(diagnostic.message)}",
                    diagnostic.span,
                    hint=f"{diagnostic.hint}; or {partner[0].hint.split(' or ')[0]}",
                    related=(Related(_span_of(pack, limiter), partner[0].message),),
                )
            )
            continue
        out.append(diagnostic)
    if out:
        return out
    # no single requirement is to blame: report the pair that conflicts most directly
    for a_index, a in enumerate(names):
        for b in names[a_index + 1 :]:
            rest = np.ones(grid.shape, dtype=bool)
            for other in names:
                if other not in (a, b):
                    rest &= masks[other]
            if (
                rest.any()
                and not (rest & masks[a] & masks[b]).any()
                and (rest & masks[a]).any()
                and (rest & masks[b]).any()
            ):
                return [
                    Diagnostic(
                        "E503",
                        f"{_describe_limit(pack, grid, a)} and {_describe_limit(pack, grid, b)} cannot both be met "
                        f"by any {pack.cell.name} pack",
                        _span_of(pack, a),
                        hint="relax one of them",
                        related=(Related(_span_of(pack, b), "conflicts with this"),),
                    )
                ]
    return [
        Diagnostic(
            "E501",
            f"no {pack.cell.name} pack meets the requirements together: " + ", ".join(f"`{n}`" for n in names),
            pack.name_span,
            hint="several requirements conflict; relax the tightest (try removing one at a time)",
        )
    ]


def _uneven_modules(pack: ir.Pack, grid: _Grid) -> Diagnostic | None:
    """E503 when a fixed ``series`` does not split into the ``modules`` declared (equal modules,
    no ``module_voltage`` in the way): said on ``modules``, the hint the list of sizes that would
    declare it (as equal as they go: floor and ceiling) and the counts that divide S."""
    bound, series = pack.modules, pack.series
    if bound is None or series is None or pack.module_series or "module_voltage" in pack.requirements:
        return None
    row = np.flatnonzero(grid.series[:, 0] == series)
    if row.size == 0 or grid.module_options[row[0]].any():
        return None
    count = int(grid.module_counts[0][0])  # the fewest the bound allows (a string's)
    if count > series:
        return None
    base, extra = divmod(series, count)
    sizes = [base + 1] * extra + [base] * (count - extra)
    strings = pack.strings
    low = 1 if bound.low is None else bound.low
    high = sc.MAX_MODULES if bound.high is None else bound.high
    dividing = [m * strings for m in range(1, series + 1) if series % m == 0 and 1 < m * strings <= 4 * high]
    near = sorted(dividing, key=lambda m: (abs(m - low), m))[:3]
    return Diagnostic(
        "E503",
        f"`series = {series}` and `modules` ({_bound_text(bound, u.DIMENSIONLESS)}) conflict: {series} series groups "
        f"do not split into {count * strings} equal modules ({series} / {count} = {series / count:.3g})",
        _span_of(pack, "modules"),
        f"declare the modules' sizes, `module_series = [{', '.join(str(k) for k in sizes)}]`"
        + (f", or a module count that divides {series} ({', '.join(str(m) for m in sorted(near))})" if near else ""),
        related=(Related(_span_of(pack, "series"), f"S = {series} here"),),
    )


def _beyond_cell_limit(pack: ir.Pack, grid: _Grid, masks: dict[str, np.ndarray]) -> Diagnostic | None:
    """E504 when the requirements together are met only by packs of more than ``MAX_CELLS``
    cells, said on the requirement that needs them; None otherwise."""
    if "cells" not in masks:
        return None
    rest = [n for n in masks if n != "cells"]
    others = np.ones(grid.shape, dtype=bool)
    for name in rest:
        others &= masks[name]
    if not others.any() or (others & masks["cells"]).any():
        return None
    cells = np.broadcast_to(grid.cells, grid.shape)
    need = int(cells[others].min())
    label = _best_label(grid, others, -cells.astype(float), largest=True)
    driver = _limiter(pack, grid, masks, others, "cells", rest + ["cells"])
    said = f"{_describe_limit(pack, grid, driver)} needs" if driver else "the requirements need"
    return Diagnostic(
        "E504",
        f"{said} at least {need:,} cells ({label}); battgen builds at most {MAX_CELLS:,} cells a pack (MAX_CELLS)",
        _span_of(pack, driver) if driver else pack.name_span,
        "lower the target, or use a larger cell; docs/limits.md lists battgen's limits and why",
    )


def _needs_more_cells(pack, grid, masks, name, diagnostic) -> Diagnostic:
    """ "energy >= 90 kWh needs 5,184 cells (96s54p); the envelope holds at most 4,120 (hex
    packing) — the largest feasible is 71.5 kWh"; for a fixed setting (``parallel = 6``), the
    cells it needs and what the envelope holds."""
    without_envelope = np.ones(grid.shape, dtype=bool)
    for other, mask in masks.items():
        if other != "envelope":
            without_envelope &= mask
    cells = np.broadcast_to(grid.cells, grid.shape)
    need = int(cells[without_envelope].min())
    need_label = _best_label(grid, without_envelope, -cells.astype(float), largest=True)
    envelope = (Related(_span_of(pack, "envelope"), "the envelope that limits it"),)
    bound = pack.requirements.get(name)
    if bound is None:  # `series`, `parallel` or `modules` fixed, and only the envelope in the way
        message = (
            f"{_describe_limit(pack, grid, name)} needs {need:,} cells ({need_label}); "
            f"{_describe_limit(pack, grid, 'envelope')}"
        )
        return Diagnostic(
            "E502",
            message,
            diagnostic.span,
            "fewer cells in series or parallel, or give the pack more room",
            related=envelope,
        )
    dim = _DIMS.get(name, u.DIMENSIONLESS)
    value = _grid_value(grid, name)
    assert value is not None  # a requirement synthesis screens has its grid (``_grid_value``)
    within = np.ones(grid.shape, dtype=bool)
    for other, mask in masks.items():
        if other != name:
            within &= mask
    largest = bool(bound.low is not None)
    best = float(value[within].max() if largest else value[within].min())
    ends = f">= {u.format_quantity(bound.low, dim)}" if largest else f"<= {u.format_quantity(bound.high, dim)}"
    message = (
        f"`{name} {ends}` needs {need:,} cells ({need_label}); {_describe_limit(pack, grid, 'envelope')} — "
        f"the {'largest' if largest else 'smallest'} feasible is {u.format_quantity(best, dim)}"
    )
    return Diagnostic(
        "E502",
        message,
        diagnostic.span,
        f"lower the target to {u.format_quantity(best, dim)}, or give the pack more room",
        related=envelope,
    )


def _lowercase_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text and not text.startswith("`") else text


def _single_failure(pack, grid, masks, name, others, names) -> Diagnostic:
    span = _span_of(pack, name)
    value = _grid_value(grid, name)
    bound = pack.requirements.get(name)
    dim = _DIMS.get(name, u.DIMENSIONLESS)
    if name == "envelope":
        need = int(np.broadcast_to(grid.cells, grid.shape)[others].min())
        limiter = _limiter(pack, grid, masks, others, name, names)
        message = (
            f"the requirements need at least {need:,} cells ({_best_label(grid, others, grid.cells, True)}); "
            f"{_describe_limit(pack, grid, 'envelope')}"
        )
        hint = "a larger envelope, a bigger cell, or lower targets"
        return _with_related(Diagnostic("E502", message, span, hint), pack, limiter, "needs the cells")
    if bound is None or value is None:
        return Diagnostic(
            "E502",
            f"{_describe_limit(pack, grid, name)} cannot be met with the other requirements",
            span,
            "relax it or the requirements it conflicts with",
        )
    if bound.low is not None and not (value[others] >= bound.low * (1 - 1e-9)).any():
        best = float(value[others].max())
        label = _best_label(grid, others, value, largest=True)
        shortfall = (bound.low - best) / bound.low
        limiter = _limiter(pack, grid, masks, others, name, names)
        limited = f" — limited by {_describe_limit(pack, grid, limiter)}" if limiter else ""
        message = (
            f"`{name} >= {u.format_quantity(bound.low, dim)}` cannot be met: the most any design meeting "
            f"the other requirements reaches is {u.format_quantity(best, dim)} ({label}), "
            f"{shortfall:.1%} short{limited}"
        )
        hint = f"lower the target to {u.format_quantity(best, dim)}" + (f" or relax `{limiter}`" if limiter else "")
        return _with_related(Diagnostic("E502", message, span, hint), pack, limiter, "this limits it")
    if bound.high is not None and (value[others] <= bound.high * (1 + 1e-9)).any():
        return _window_missed(pack, grid, masks, name, others, names, value, bound, dim)
    best = float(value[others].min())
    label = _best_label(grid, others, value, largest=False)
    excess = (best - bound.high) / bound.high
    limiter = _limiter(pack, grid, masks, others, name, names)
    limited = f" — forced by {_describe_limit(pack, grid, limiter)}" if limiter else ""
    message = (
        f"`{name} <= {u.format_quantity(bound.high, dim)}` cannot be met: the least any design meeting the "
        f"other requirements reaches is {u.format_quantity(best, dim)} ({label}), {excess:.1%} over{limited}"
    )
    hint = f"raise the limit to {u.format_quantity(best, dim)}" + (f" or relax `{limiter}`" if limiter else "")
    return _with_related(Diagnostic("E502", message, span, hint), pack, limiter, "this forces it")


def _window_missed(pack, grid, masks, name, others, names, value, bound, dim) -> Diagnostic:
    """A range requirement (``voltage in 332 V .. 368 V``) that designs meeting the others
    straddle without landing inside: the nearest below and above."""
    vals = value[others]
    below = vals[vals < bound.low * (1 - 1e-9)]
    above = vals[vals > bound.high * (1 + 1e-9)]
    near = []
    if below.size:
        near.append(f"{u.format_quantity(float(below.max()), dim)} below")
    if above.size:
        near.append(f"{u.format_quantity(float(above.min()), dim)} above")
    limiter = _limiter(pack, grid, masks, others, name, names)
    limited = f" — the steps are set by {_describe_limit(pack, grid, limiter)}" if limiter else ""
    message = (
        f"`{name} {_bound_text(bound, dim)}` cannot be met: the designs meeting the other requirements miss the "
        f"window, the nearest being {' and '.join(near)}{limited}"
    )
    hint = "widen the window" + (f" or relax `{limiter}`" if limiter else "")
    return _with_related(Diagnostic("E502", message, _span_of(pack, name), hint), pack, limiter, "this sets the steps")


def _with_related(diagnostic: Diagnostic, pack, limiter: str | None, note: str) -> Diagnostic:
    if not limiter:
        return diagnostic
    span = _span_of(pack, limiter)
    if span == diagnostic.span:
        return diagnostic
    return Diagnostic(
        diagnostic.code,
        diagnostic.message,
        diagnostic.span,
        diagnostic.hint,
        diagnostic.severity,
        related=(Related(span, note),),
    )


def _best_label(grid, mask, value, largest: bool) -> str:
    value = np.broadcast_to(value, grid.shape)
    masked = np.where(mask, value, -np.inf if largest else np.inf)
    flat = int(np.argmax(masked) if largest else np.argmin(masked))
    i, j = flat // grid.shape[1], flat % grid.shape[1]
    return f"{int(grid.series[i, 0])}s{int(grid.parallel[0, j])}p"


def _limiter(pack, grid, masks, others, name, names) -> str | None:
    """Which other requirement, when dropped too, lets ``name`` be met: the one that caps it."""
    target = masks[name]
    for other in names:
        if other == name:
            continue
        relaxed = np.ones(grid.shape, dtype=bool)
        for n in names:
            if n not in (name, other):
                relaxed &= masks[n]
        if (relaxed & target).any():
            return other
    return None
