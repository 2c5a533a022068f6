"""Every estimate of synthesis over the S × P grid (``_Grid``: arrays of shape (n_S, n_P), numpy
broadcasting, no Python loop per candidate), the masks of the requirements they meet, and the
module counts each S admits.

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
  term is left to ``models.thermal``);
* mass, volume and cost: the mass model (``models.packaging``) and BatPaC's prices
  (``models.cost``) for the pack's cells, series count, modules and peak current.
"""

from __future__ import annotations

import math

import numpy as np

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core.limits import MAX_CELLS
from battgen.models import cost as cost_model
from battgen.models import lifetime as lifetime_model
from battgen.models import ocv as ocv_model
from battgen.models import packaging as packaging_model
from battgen.models import rate_capacity as rate_model
from battgen.passes import loads as loads_model
from battgen.passes.synthesis.candidate import ESTIMATED, Candidate
from battgen.passes.synthesis.capacity import envelope_capacity

CONNECTION_RESISTANCE = 0.1e-3  # ohm per cell joint; estimate: Brand et al., J. Energy Storage 1 (2015) 7-14 measured welded cell-tab joints in the 0.01-1 mOhm range (laser and ultrasonic welds at the low end)


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


class _Grid:
    """Every estimate over the S × P grid (arrays of shape (n_S, n_P))."""

    def __init__(
        self,
        pack: ir.Pack,
        series: np.ndarray,
        parallel: np.ndarray,
        placed: int | None = None,
        modules: int | None = None,
    ) -> None:
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
        for name, figure in ESTIMATED.items():
            bound = req.get(name)
            if bound is not None:
                masks[name] = np.broadcast_to(_within(getattr(self, figure), bound), shape)
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

    def modules_for(self, index: tuple[int, int]) -> int:
        if self.fixed_modules is not None:
            return self.fixed_modules
        options = self.module_options[index[0]]
        counts = self.module_counts[0][options]
        # fewest modules that meet the limits: fewest interconnects and parts
        per_string = int(counts[0]) if counts.size else 1
        return per_string * self.pack.strings

    def candidate(self, index: tuple[int, int], feasible: bool, binding: tuple[str, ...]) -> Candidate:
        i, j = index

        def at(array: np.ndarray | float) -> float:
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


def _limited_current(ocv: float, v_min: float, resistance: np.ndarray, limit: float) -> np.ndarray:
    """The largest current that keeps the terminal voltage at or above ``v_min``."""
    return np.clip((ocv - v_min) / resistance, 0.0, limit)


def _within(value: np.ndarray, bound: ir.Bound) -> np.ndarray:
    mask = np.ones(np.shape(value), dtype=bool)
    tolerance = 1e-9
    if bound.low is not None:
        mask &= value >= bound.low * (1 - tolerance)
    if bound.high is not None:
        mask &= value <= bound.high * (1 + tolerance)
    return mask
