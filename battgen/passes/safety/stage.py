"""The safety stage: thermal-runaway propagation, vent gas, fault isolation — one pure function
of the placed, routed and heat-analysed pack (``safety_stage``), its result (``Safety``) and its
diagnostics (W730-W733), each with the numbers and the fix.

Runs after the design loop, like the structure stage (``driver.stages``): a barrier, a vent or
a fuse is the fix, not another S×P. The models: ``network`` (the cell-to-cell thermal network),
``propagation`` (the trigger and the runaway), ``models.runaway`` (the cell's onset, heat, gas
and the standard's trigger), ``barriers`` (the declared barrier as parts), ``faults``.

**Vent gas.** The trigger cell's gas (``models.runaway.gas_volume``) into the pack's free volume
(the enclosure's inner volume less the cells'): sealed, it would raise the pressure by
ΔP = p₀·V_gas/V_free (isothermal at ambient: the hot gas raises it more). A pack vent opens at
under 2.5 kPa (GORE low-pressure evacuation vent, gore.com; secondary) and the pack should stay
below about 5 kPa ("typically < 5 kPa", tnlab.org summary of SAE J3325; secondary): the vent
area that passes the gas at 5 kPa over ``VENT_SECONDS`` through a sharp-edged orifice
(C_d = 0.61; Q = C_d·A·√(2ΔP/ρ), ρ of air at ambient: the gas's own density was not found) is
reported. No vent flow capacity of a commercial pack vent was found, so none is checked against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.core.outcome import Outcome
from battgen.models import runaway
from battgen.passes.heat import Heat, specific_heat
from battgen.passes.layout.types import Layout, Placement
from battgen.passes.routing.types import Routing
from battgen.passes.safety import barriers as barrier_parts
from battgen.passes.safety import faults as fault_model
from battgen.passes.safety import network as net
from battgen.passes.safety import propagation as prop

ATMOSPHERE = 101325.0  # Pa
VENT_LIMIT = 5e3  # Pa, "typically < 5 kPa" (tnlab.org on SAE J3325; secondary)
VENT_OPENING = 2.5e3  # Pa, GORE low-pressure evacuation vent (secondary)
VENT_SECONDS = 1.0  # s: the gas taken to leave the cell within a second (an assumption: a bound)
ORIFICE = 0.61  # sharp-edged orifice discharge coefficient
AIR_DENSITY = 1.161  # kg/m³ at 300 K (Incropera Table A.4; stdlib `air`)
TIMELINE = 40  # cells listed in the result's timeline


@dataclass(frozen=True)
class Propagation:
    """The runaway of the pack's worst-placed cell. Times s after the trigger cell's runaway."""

    trigger: int
    trigger_module: int
    method: str
    heating_time: float
    onset: float  # K
    body_heat: float  # J per cell
    ejecta_heat: float  # J per cell
    first: int | None  # the first neighbour to run away
    first_time: float  # inf: none does
    module_time: float  # the first cell of another module (inf: none)
    all_time: float  # every cell (inf: not all)
    cells_at_criterion: int  # cells in runaway 5 minutes after the trigger's (the trigger included)
    cells_total: int  # by the end
    cells: int  # in the pack
    neighbour_peak: float  # K, the hottest cell that did not run away
    simulated: float  # s after the trigger's runaway
    criterion: float  # s
    barrier: str  # "none" or "aerogel 2 mm between modules"
    timeline: tuple[tuple[int, int, float], ...]  # (cell, module, time) in order, the first TIMELINE

    @property
    def contained(self) -> bool:
        return not math.isfinite(self.first_time)

    @property
    def passed(self) -> bool:
        return self.first_time > self.criterion

    def as_json(self) -> dict:
        """The fields, with ``contained``, ``passed``."""
        import dataclasses

        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {**out, "contained": self.contained, "passed": self.passed}


@dataclass(frozen=True)
class Venting:
    gas: float  # m³ from the trigger cell
    free_volume: float  # m³
    sealed_rise: float  # Pa
    vent_area: float  # m² to pass the gas at VENT_LIMIT within VENT_SECONDS
    basis: str


@dataclass(frozen=True)
class Safety:
    propagation: Propagation
    venting: Venting | None
    faults: fault_model.Faults | None
    barrier: barrier_parts.Sheets | None
    standards: dict[str, str]
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        p = self.propagation
        if p.contained:
            head = f"runaway of cell {p.trigger} contained (nearest cell peaks {p.neighbour_peak - 273.15:.0f} °C)"
        else:
            head = (
                f"runaway of cell {p.trigger}: first propagation after {p.first_time:.0f} s (cell {p.first}), "
                f"{p.cells_at_criterion:,} cells by 5 min, {p.cells_total:,} of {p.cells:,} in all"
            )
        out = [f"{head} [{p.barrier}]"]
        if self.venting is not None:
            out.append(f"vent gas {self.venting.gas * 1e3:.1f} L ({self.venting.sealed_rise / 1e3:.1f} kPa sealed)")
        if self.faults is not None:
            out.append(f"terminal short {self.faults.pack_short / 1e3:.1f} kA")
            bad = [c for c in self.faults.coordination if not c.ok]
            out.append("fuses coordinated" if not bad else f"{len(bad)} coordination fault(s)")
        return "; ".join(out)


def _span(pack: ir.Pack, *names: str) -> Span:
    for name in names:
        if name in pack.property_spans:
            return pack.property_spans[name]
    return pack.name_span


def propagation(pack: ir.Pack, layout: Layout, network: net.Network, heat: Heat | None) -> Propagation:
    """One cell's runaway through ``network`` (the ``thermal_network`` stage's), cooled as ``heat`` found."""
    cell = pack.cell
    network = net.cooled(network, heat, pack.ambient)
    xy = np.array([(c.x, c.y) for c in layout.cells])
    trigger = prop.trigger_cell(network, xy)
    energy_wh = cell.energy / 3600.0
    body, ejecta = runaway.heat(cell.chemistry, energy_wh, cell.mass, specific_heat(cell))
    onset = runaway.onset(cell.chemistry)
    run = prop.run(network, trigger, onset, body, ejecta, pack.ambient, energy_wh)
    times = run.onset_times
    distance = np.linalg.norm(xy - xy[trigger], axis=1)
    # in order of runaway; cells that go at the same instant nearest the trigger first
    ranked = np.lexsort((distance, times))
    ranked = ranked[np.isfinite(times[ranked])]
    order = ranked.tolist()
    others = ranked[ranked != trigger].tolist()
    module = network.module
    other_module = ranked[module[ranked] != module[trigger]].tolist()
    unburnt = ~np.isfinite(times)
    barrier = pack.barrier
    label = (
        f"{barrier.material.name} {barrier.thickness * 1e3:g} mm between {barrier.between}"
        if barrier is not None
        else "no barrier"
    )
    return Propagation(
        trigger,
        int(module[trigger]),
        run.method,
        run.heating_time,
        onset,
        body,
        ejecta,
        others[0] if others else None,
        float(times[others[0]]) if others else math.inf,
        float(times[other_module[0]]) if other_module else math.inf,
        float(times.max()) if not unburnt.any() else math.inf,
        int((times <= runaway.CRITERION).sum()),
        len(order),
        len(times),
        float(run.peak[unburnt].max()) if unburnt.any() else math.nan,
        run.end,
        runaway.CRITERION,
        label,
        tuple((i, int(module[i]), float(times[i])) for i in order[:TIMELINE]),
    )


def venting(pack: ir.Pack, layout: Layout) -> Venting | None:
    env = pack.envelope
    if env is None:
        return None
    inner = (env.outline.area - sum(k.shape.area for k in env.keepouts)) * env.height
    free = max(inner - len(layout.cells) * pack.cell.format.volume, 1e-6)
    gas = runaway.gas_volume(pack.cell.capacity)
    rise = ATMOSPHERE * gas / free
    velocity = math.sqrt(2.0 * VENT_LIMIT / AIR_DENSITY)
    area = gas / VENT_SECONDS / (ORIFICE * velocity)
    basis = (
        "1.8 L/Ah (Lammer et al. 2017, 18650; unverified per Ah); isothermal into the free volume; "
        f"vent area at {VENT_LIMIT / 1e3:g} kPa over {VENT_SECONDS:g} s, C_d {ORIFICE}"
    )
    return Venting(gas, free, rise, area, basis)


def analyse(
    pack: ir.Pack,
    placement: Placement,
    routing: Routing | None,
    network: net.Network,
    heat: Heat | None,
) -> Safety:
    layout = placement.layout
    notes = [
        "ejecta heat shared among neighbours by their view of the cell (an assumption: conservative "
        "against Niu et al. 2020's 18650 module)",
        "coolant keeps flowing at its inlet temperature during the event",
    ]
    faults = fault_model.analyse(pack, placement.candidate, routing)
    return Safety(
        propagation(pack, layout, network, heat),
        venting(pack, layout),
        faults,
        barrier_parts.design(pack, layout),
        {"propagation": runaway.STANDARD},
        tuple(notes),
    )


# --- diagnostics ---------------------------------------------------------------------------------


def diagnostics(pack: ir.Pack, safety: Safety) -> list[Diagnostic]:
    """W730 (propagation within 5 min), W731 (vent gas over the pack's limit when sealed),
    W732 (fuses open in the wrong order), W733 (the barrier does not fit the layout's gap)."""
    out = []
    p = safety.propagation
    if not p.passed:
        fix = _barrier_fix(pack, p)
        when = (
            "at once (its ejecta heat it past its onset)"
            if p.first_time <= 0
            else f"{p.first_time:.0f} s after the trigger"
        )
        out.append(
            Diagnostic(
                "W730",
                f"cell {p.first:,} reaches its runaway onset ({p.onset - 273.15:.0f} °C) {when}; "
                f"{p.cells_at_criterion:,} cells are in runaway by 5 minutes; GB 38031-2025 asks for no fire for "
                f"{p.criterion:.0f} s after a single cell's runaway",
                _span(pack, "barrier", "cell"),
                fix,
                Severity.WARNING,
            )
        )
    v = safety.venting
    if v is not None and v.sealed_rise > VENT_LIMIT:
        out.append(
            Diagnostic(
                "W731",
                f"one cell's runaway vents {v.gas * 1e3:.1f} L of gas: sealed, the pack's {v.free_volume * 1e3:.0f} L "
                f"of free volume would rise {v.sealed_rise / 1e3:.1f} kPa, above {VENT_LIMIT / 1e3:g} kPa",
                _span(pack, "envelope"),
                f"fit a pack vent that opens below {VENT_OPENING / 1e3:g} kPa with at least "
                f"{v.vent_area * 1e4:.1f} cm² of flow area",
                Severity.WARNING,
            )
        )
    if safety.faults is not None:
        for c in safety.faults.coordination:
            if not c.ok:
                out.append(
                    Diagnostic(
                        "W732",
                        f"{c.case} ({c.current:,.0f} A): {c.opens_first} open in {c.time_other * 1e3:.2g} ms, before "
                        f"{c.should_open} ({c.time_should * 1e3:.2g} ms)",
                        _span(pack, "fuse", "parallel"),
                        "slow the cell links (a larger section) or speed the pack device (a lower pyro threshold)"
                        if "terminals" in c.case
                        else "put more cells in parallel, so a shorted cell's neighbours each carry a smaller share",
                        Severity.WARNING,
                    )
                )
    b = safety.barrier
    if b is not None and not b.fits:
        out.append(
            Diagnostic(
                "W733",
                f"the {b.material} barrier is {b.thickness * 1e3:g} mm thick but the layout leaves {b.room * 1e3:g} mm "
                f"between the cells it separates; the analysis assumes it fits",
                _span(pack, "barrier"),
                f"set `gap = {b.thickness * 1e3:g} mm` or a thinner barrier",
                Severity.WARNING,
            )
        )
    return out


def _barrier_fix(pack: ir.Pack, p: Propagation) -> str:
    barrier = pack.barrier
    first_module = p.timeline[1][1] if len(p.timeline) > 1 else p.trigger_module
    if barrier is None or (barrier.between == "modules" and first_module == p.trigger_module):
        where = "cells" if first_module == p.trigger_module else "modules"
        return (
            f"add a barrier between {where}, e.g. `barrier = aerogel(thickness = 2 mm, between = {where})` "
            "(with a `gap` as thick), or space the cells further apart"
        )
    return f"a thicker or less conductive barrier than {barrier.material.name} {barrier.thickness * 1e3:g} mm"


def thermal_network_stage(
    pack: ir.Pack, placement: Placement, routing: Routing | None, materials: Mapping[str, ir.Material]
) -> Outcome[net.Network]:
    """The cell-to-cell thermal network of the placed, routed pack (``safety.network``): what the
    propagation runs through, whatever the coolant."""
    return Outcome(net.build(pack, placement.layout, routing, materials))


def safety_stage(
    pack: ir.Pack,
    placement: Placement,
    routing: Routing | None,
    network: net.Network,
    heat: Heat | None,
) -> Outcome[Safety]:
    """The safety analyses of the built pack, and their warnings."""
    result = analyse(pack, placement, routing, network, heat)
    return Outcome(result, tuple(diagnostics(pack, result)))
