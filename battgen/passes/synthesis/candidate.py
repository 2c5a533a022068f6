"""What synthesis hands on: one architecture with its estimates (``Candidate``), the search's
result (``Synthesis``), and the keys and rounding of their JSON (``battc estimate --json``,
design.json's ``synthesis``).

Kept apart from the search so that the stages that only read a candidate (layout, routing, the
editor's hover) need not know how it was found."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from battgen.core.diagnostics import Diagnostic
from battgen.core.text import counted
from battgen.passes.loads import Loads

# the requirements an estimate answers with one of its figures, and that figure: a candidate's
# (``Candidate.value``) and the grid's over every S x P (``grid._Grid.masks``) alike
ESTIMATED = {
    "voltage": "nominal_voltage",
    "max_voltage": "max_voltage",
    "min_voltage": "min_voltage",
    "energy": "energy",
    "usable_energy": "usable_energy",
    "power": "peak_power",
    "continuous_power": "continuous_power",
    "mass": "mass",
    "volume": "volume",
    "cost": "cost",
}


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
        if name in ESTIMATED:
            return getattr(self, ESTIMATED[name])
        return {
            "charge_power": self.charge_power,
            "current": max(self.continuous_current, self.peak_current, self.charge_current),
            "charge_current": self.charge_current,
            "peak_current": self.peak_current,
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
