"""The battery management system of a built pack: cell-monitoring front ends on the modules,
a voltage sense line to every series group's busbar, thermistors where the heat stage finds the
hottest and the coolest cells, passive balancing, and the pack's high-voltage protection
(isolation monitor, contactors, pre-charge, fuse), sized from the pack voltage and the load
cases.

**Front ends** (``FRONT_ENDS``; figures from the makers' data sheets, see each part's
``source``): TI's BQ79612/14/16-Q1 (12/14/16 cells, 6 at least, 8 GPIO thermistor inputs,
passive balancing up to 240 mA per cell at 75 °C ambient, an isolated bidirectional daisy
chain) and ADI's LTC6813-1 (18 cells, 9 GPIO, isoSPI daisy chain; passive balancing per cell,
200 mA the figure its pin-compatible ADBMS1818 states). ADI's ADBMS6830B (16 cells, 10 GPIO) is
not offered: its balancing current was not found in a stored copy of its data sheet. A module
of at least the part's minimum of series groups gets ceil(groups / channels) front ends of its
own, each measuring a run of consecutive groups (a module-mounted board, as in Tesla's Model S
with one per module); smaller modules share one, consecutive modules up to its channels. The
part is the one that needs the fewest front ends, then leaves the fewest channels idle. A front
end's board sits over the middle of its groups, on standoffs above the busbars; the front ends
are daisy-chained in series order.

**Sense lines**: a front end measuring groups a..b needs a tap on the busbar at each side of
each group: b − a + 2 lines (the busbar between two front ends' runs is tapped by both). Each
line runs from the board to the point of its busbar nearest the board, in x then y (a harness
laid along the lattice), up or down to the busbar's face: ``BOARD_STANDOFF`` to a top plate,
that plus the cell's height to a bottom one.

**Thermistors**: two per module, on the module's hottest and coolest cells by the heat stage's
Bernardi heat at the continuous load (a design rule: industry practice is "one or two
temperature sensors per module" — Dukosi, "The importance of recording the temperature of every
cell in EV batteries" — and the heat map says where; no standard sets a count), on the GPIO
inputs of the module's first front end; where one front end serves more modules than its inputs
take, the most extreme of their cells keep theirs.

**Balancing**: passive; the current that removes a capacity spread ``BALANCE_SPREAD`` of a
parallel group in ``BALANCE_TIME``: I = ΔQ/t (Electronics World, Nov 2025, p. 28: a 5 % mismatch
on a 4 Ah cell is 200 mAh, an hour at 200 mA). Where that is more than the front end balances
internally, external FETs and resistors do it (TI SLVAE87A §4.2.3); the resistor R = V/I at the
nominal cell voltage (TI SLVAE87A §4.2: I = V/(2·R_CB + R_DS(on)), R_DS(on) neglected), rated
for V²/R.

**High voltage**: an isolation monitor (Bender ISOMETER iso165C: unearthed DC systems of
0-600 V, CAN; the alarm at 100 Ω/V of the maximum voltage, UN ECE R100 rev. 2 §5.1.3 for DC
buses), not fitted below 60 V (voltage class A, ISO 6469-3, touch-safe); two main contactors
and a pre-charge relay (``CONTACTORS``: the smallest rated for the continuous current at the
pack's maximum voltage); a pre-charge resistor that charges the drive's DC link
(``DC_LINK_CAPACITANCE``, an estimate) to 99.3 % — five time constants (TI TIDUF73: pre-charge
is complete after 5 τ) — in ``PRECHARGE_TIME``: R = t/(5·C), rated for the pulse energy
½·C·V² (TIDUF73 Eq. 3); a pack fuse of the smallest IEC 60059 standard rating at or above
1.25 × the continuous current, rated for the maximum voltage, interrupting the pack's
short-circuit current (every cell's OCV over the routed pack resistance), with the peak load
to be checked against 50 % of its melting curve (batterydesign.net, "How to select EV fuses").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from battgen.core import ir
from battgen.core.outcome import Outcome
from battgen.passes import heat as heat_pass
from battgen.passes.bom import BomLine
from battgen.passes.heat import Heat
from battgen.passes.layout.types import Layout, Placement
from battgen.passes.routing.types import Busbar, Routing

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

# --- parts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrontEnd:
    """A cell-monitoring front end (AFE)."""

    part: str
    maker: str
    channels: int  # series cells it measures
    min_channels: int  # fewest it may be used with
    gpio: int  # thermistor (GPIO) inputs
    balance_current: float  # A per cell, internal passive balancing
    daisy_chain: str
    source: str


_TI = (
    "TI BQ79616-Q1 data sheet SLUSE81E (Aug 2020 - Nov 2023): 16/14/12 cells (BQ79616/14/12, one pinout), 8 GPIOs "
    "for thermistors; TI BQ75614-Q1 data sheet (the family's balancing): 'up to 240 mA at 75 °C ambient'; "
    "SLUUC37D (June 2025) §1.1: 6 to 16 cells per device"
)
FRONT_ENDS = (
    FrontEnd("BQ79612-Q1", "Texas Instruments", 12, 6, 8, 0.240, "isolated bidirectional daisy chain (UART)", _TI),
    FrontEnd("BQ79614-Q1", "Texas Instruments", 14, 6, 8, 0.240, "isolated bidirectional daisy chain (UART)", _TI),
    FrontEnd("BQ79616-Q1", "Texas Instruments", 16, 6, 8, 0.240, "isolated bidirectional daisy chain (UART)", _TI),
    FrontEnd(
        "LTC6813-1",
        "Analog Devices",
        18,
        1,
        9,
        0.200,
        "isoSPI daisy chain, 1 Mb/s, bidirectional",
        "LTC6813-1 data sheet rev. 68131f (18 cells, 9 GPIO, isoSPI); balancing current from the pin-compatible "
        "ADBMS1818 data sheet: 'passive cell balancing up to 200 mA (maximum)'",
    ),
)


@dataclass(frozen=True)
class Contactor:
    part: str
    current: float  # A continuous at 85 °C
    voltage: float  # V DC, the highest it is rated to switch
    mass: float | None  # kg
    source: str


CONTACTORS = (  # smallest first
    Contactor("TE EVC 135", 135.0, 600.0, None, "TE EVC 135 data sheet: 135 A at 85 °C, 450-600 VDC"),
    Contactor(
        "TE EVC 250 (V23720A0001A001)", 250.0, 500.0, None, "TE data sheet: 250 A at 85 °C, 450 VDC rated, 500 VDC max"
    ),
    Contactor("GIGAVAC HX21", 350.0, 1500.0, 0.44, "GIGAVAC HX21 data sheet rev. 6 (2015): 350+ A, 1,500 VDC, 0.44 kg"),
    Contactor("TE KILOVAC CAP200", 500.0, 900.0, 0.43, "TE CAP200 data sheet: 500 A at 85 °C, 12-900 VDC, 0.43 kg"),
)
ISOLATION_MONITOR = (
    "Bender ISOMETER iso165C",
    600.0,
    "Bender iso165C manual D00154 (2019) §2.2: unearthed DC 0-600 V drive systems, CAN",
)
ISOLATION_OHM_PER_VOLT = 100.0  # UN ECE R100 rev. 2 §5.1.3: at least 100 Ω/V of the working voltage (DC buses)
CLASS_A_VOLTAGE = 60.0  # V DC: voltage class A (ISO 6469-3), touch-safe: no isolation monitor
# IEC 60059 standard current ratings: the R10 series 1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8 (× 10^n)
IEC_60059 = (1.0, 1.25, 1.6, 2.0, 2.5, 3.15, 4.0, 5.0, 6.3, 8.0)
FUSE_CONTINUOUS_FACTOR = 1.25  # rated current over the continuous load (the 125 % continuous-load rule)
FUSE_MELT_SHARE = 0.5  # peak load at most half the melting current at its duration (batterydesign.net)

# --- design rules ------------------------------------------------------------------------------

BALANCE_SPREAD = 0.05  # capacity spread to balance out: the 5 % of Electronics World's example
BALANCE_TIME = 8 * 3600.0  # s: balancing runs while parked overnight (design assumption: 8 h)
THERMISTORS_PER_MODULE = 2  # the hottest and the coolest cell (see the module docstring)
# Estimates: no stored source gives these.
DC_LINK_CAPACITANCE = 1.0e-3  # F: a traction inverter's DC-link film capacitor, about 1 mF (estimate)
PRECHARGE_TIME = 0.5  # s to 5 τ: within the "0.5-2 s" window vendors' calculators suggest (weak source)
BOARD = (0.080, 0.050)  # m, a front-end board (estimate: one 64-pin AFE, isolation, connectors)
BOARD_THICKNESS = 0.0016  # m, FR-4
BOARD_HEIGHT = 0.008  # m of room the board and its parts take above the busbars (estimate)
BOARD_STANDOFF = 0.010  # m from a top busbar to the board (the sense line's rise)
FR4_DENSITY = 1850.0  # kg/m³ (IPC-4101 FR-4 laminates, 1.8-1.9 g/cm³)
SENSE_WIRE = 0.35e-6  # m², 22 AWG copper sense wire (0.33 mm²); copper 8,960 kg/m³ (CRC)
COPPER_DENSITY = 8960.0


# --- the result --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SenseLine:
    busbar: int  # Busbar.index
    front_end: int
    path: tuple[tuple[float, float], ...]  # plan view, m: board, corner, tap
    face: str  # the busbar's face: "top" | "bottom"
    length: float  # m, routed (plan length and the rise to the busbar's face)


@dataclass(frozen=True)
class Board:
    """One front end on its board."""

    index: int  # daisy-chain position, 0 next to the host
    part: str
    module: int
    groups: tuple[int, ...]  # series groups it measures
    centre: tuple[float, float]  # m
    size: tuple[float, float]  # m
    thermistors: tuple[int, ...]  # PlacedCell indices with an NTC on this board's inputs


@dataclass(frozen=True)
class Balancing:
    spread: float
    time: float  # s
    group_capacity: float  # Ah of a parallel group
    current: float  # A needed
    internal_limit: float  # A the front end balances on its own
    external: bool  # external FETs and resistors needed
    resistor: float  # ohm
    resistor_power: float  # W
    hours_at_limit: float  # the spread's time at the internal limit


@dataclass(frozen=True)
class HighVoltage:
    max_voltage: float
    continuous_current: float
    peak_current: float
    peak_seconds: float | None
    isolation_monitor: str | None
    isolation_threshold: float  # ohm
    contactor: str
    contactor_rating: float
    precharge_resistor: float  # ohm
    precharge_energy: float  # J
    precharge_peak_current: float  # A
    dc_link: float  # F
    fuse_rating: float  # A
    fuse_voltage: float  # V
    short_circuit_current: float  # A
    fuse_check: str


@dataclass(frozen=True)
class Bms:
    front_end: str
    boards: tuple[Board, ...]
    sense_lines: tuple[SenseLine, ...]
    thermistors: int
    daisy_chain_length: float  # m, board to board in series order (host link excluded)
    balancing: Balancing
    high_voltage: HighVoltage
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def sense_length(self) -> float:
        return sum(s.length for s in self.sense_lines)

    def summary(self) -> str:
        b, hv = self.balancing, self.high_voltage
        how = "external FETs" if b.external else "internal"
        iso = hv.isolation_monitor or "no isolation monitor (class A)"
        return (
            f"{len(self.boards)} × {self.front_end} on {len({x.module for x in self.boards})} modules, "
            f"{len(self.sense_lines)} sense lines ({self.sense_length:,.1f} m), {self.thermistors} thermistors, "
            f"balancing {b.current * 1e3:,.0f} mA ({how}); {iso}; 2 × {hv.contactor}, pre-charge "
            f"{hv.precharge_resistor:,.0f} Ω, fuse {hv.fuse_rating:g} A"
        )


# --- front ends ----------------------------------------------------------------------------------


def front_end_runs(modules: Sequence[tuple[int, tuple[int, ...]]], part: FrontEnd) -> list[tuple[int, tuple[int, ...]]]:
    """(module, series groups) of each front end of ``part``: a module of at least the part's
    minimum count of groups gets ceil(groups / channels) front ends of its own, on runs as even
    as possible; smaller modules share one, consecutive modules filling it up to its channels
    (the board on the first of them)."""
    runs: list[tuple[int, tuple[int, ...]]] = []
    pending: list[int] = []
    first = -1

    def flush() -> None:
        if pending:
            runs.append((first, tuple(pending)))
            pending.clear()

    for module, groups in modules:
        if len(groups) >= part.min_channels:
            flush()
            runs += [(module, run) for run in _runs(groups, math.ceil(len(groups) / part.channels))]
            continue
        if len(pending) + len(groups) > part.channels:
            flush()
        if not pending:
            first = module
        pending.extend(groups)
    flush()
    return runs


def choose_front_end(
    modules: Sequence[tuple[int, tuple[int, ...]]],
) -> tuple[FrontEnd, list[tuple[int, tuple[int, ...]]]]:
    """The part and its front ends (``front_end_runs``): the fewest front ends in all, then the
    fewest idle channels, then the first in ``FRONT_ENDS``."""
    best = None
    for order, part in enumerate(FRONT_ENDS):
        runs = front_end_runs(modules, part)
        idle = sum(part.channels - len(groups) for _, groups in runs)
        key = (len(runs), idle, order)
        if best is None or key < best[0]:
            best = (key, part, runs)
    assert best is not None
    return best[1], best[2]


def _runs(groups: Sequence[int], count: int) -> list[tuple[int, ...]]:
    """``groups`` (consecutive) split into ``count`` runs, as even as possible, larger first."""
    size, extra = divmod(len(groups), count)
    out, start = [], 0
    for k in range(count):
        n = size + (1 if k < extra else 0)
        out.append(tuple(groups[start : start + n]))
        start += n
    return out


def _place_boards(
    layout: Layout,
    part: FrontEnd,
    runs: list[tuple[int, tuple[int, ...]]],
    thermistors: dict[int, tuple[int, ...]],
    heat_rank: dict[int, float],
) -> list[Board]:
    """Boards in daisy-chain (series) order, each over the middle of its groups' cells, with the
    thermistors of the modules it is the first front end of — as many as its GPIO inputs take,
    the most extreme cells first (``heat_rank``: a cell's heat above or below its run's mean)."""
    xy = np.array([(c.x, c.y) for c in layout.cells]) if layout.cells else np.zeros((0, 2))
    by_group: dict[int, list[int]] = {}
    module_of: dict[int, int] = {}
    for c in layout.cells:
        by_group.setdefault(c.group, []).append(c.index)
        module_of[c.group] = c.module
    boards: list[Board] = []
    seen: set[int] = set()
    for module, groups in sorted(runs, key=lambda r: min(r[1])):
        cells = [i for g in groups for i in by_group.get(g, [])]
        centre = xy[cells].mean(axis=0) if cells else np.zeros(2)
        mine = sorted({module_of.get(g, module) for g in groups} - seen)
        seen.update(mine)
        ntc = [i for m in mine for i in thermistors.get(m, ())]
        if len(ntc) > part.gpio:  # more modules than inputs: the hottest and coolest of them first
            ranked = sorted(ntc, key=lambda i: -abs(heat_rank.get(i, 0.0)))
            ntc = sorted(ranked[: part.gpio], key=ntc.index)
        boards.append(
            Board(len(boards), part.part, module, groups, (float(centre[0]), float(centre[1])), BOARD, tuple(ntc))
        )
    return boards


# --- sense lines -------------------------------------------------------------------------------


def _taps(board: Board, plates: list[Busbar], series: int) -> list[tuple[Busbar, ...]]:
    """The busbars a front end taps, one each side of each of its groups: between two groups of a
    string the busbar joining them; at a string's end the busbar its end group shares with no
    neighbour of its own string (the pack terminal's, which may join several strings)."""
    first, last = min(board.groups), max(board.groups)
    start = first // series * series  # the string's first group
    end = start + series - 1

    def joining(a: int, b: int) -> tuple[Busbar, ...]:
        return tuple(bar for bar in plates if a in bar.groups and b in bar.groups)

    def terminal(g: int, neighbour: int) -> tuple[Busbar, ...]:
        return tuple(bar for bar in plates if g in bar.groups and neighbour not in bar.groups)

    taps = [terminal(first, first + 1) if first == start else joining(first - 1, first)]
    taps += [joining(g, g + 1) for g in range(first, last)]
    taps.append(terminal(last, last - 1) if last == end else joining(last, last + 1))
    return taps


def _sense_line(board: Board, bar: Busbar, plan: BaseGeometry, cell_height: float) -> SenseLine:
    """The sense line from ``board`` to the nearest point of ``bar`` (its outline ``plan``)."""
    from shapely.geometry import Point
    from shapely.ops import nearest_points

    tap = nearest_points(plan, Point(board.centre))[0]
    bx, by = board.centre
    path = ((bx, by), (tap.x, by), (tap.x, tap.y))
    length = abs(tap.x - bx) + abs(tap.y - by)
    rise = BOARD_STANDOFF + (cell_height if bar.z == "bottom" else 0.0)
    return SenseLine(bar.index, board.index, path, bar.z, length + rise)


def _sense_lines(boards: list[Board], routing: Routing, layout: Layout, notes: list[str]) -> list[SenseLine]:
    import shapely
    from shapely.geometry import Point

    plates = [b for b in routing.busbars if not b.path]  # plates, not the routed terminal leads or jumpers
    # each plate's outline made once, from an array (a Polygon from a tuple of points walks them
    # in Python: most of this stage's time on a 7,000-cell pack)
    plan = {b.index: shapely.polygons(np.asarray(b.polygon, dtype=float)) for b in plates}
    lines = []
    for board in boards:
        centre = Point(board.centre)
        for k, candidates in enumerate(_taps(board, plates, layout.series)):
            if not candidates:
                notes.append(f"front end {board.index}: no busbar found for its tap {k}")
                continue
            bar = min(candidates, key=lambda b: float(plan[b.index].distance(centre)))
            lines.append(_sense_line(board, bar, plan[bar.index], layout.cell_height))
    return lines


# --- thermistors, balancing, high voltage -----------------------------------------------------------


def _thermistor_cells(
    pack: ir.Pack, layout: Layout, routing: Routing, heat: Heat
) -> tuple[dict[int, tuple[int, ...]], dict[int, float]]:
    """Per module, (hottest, coolest) cell by the heat stage's Bernardi heat at the continuous
    load; and each of them, its heat less the pack's mean (how extreme it is)."""
    q = heat_pass.cell_heats(pack, routing, heat.current)
    out: dict[int, tuple[int, ...]] = {}
    n = len(layout.cells)
    index = np.fromiter((c.index for c in layout.cells), dtype=np.int64, count=n)
    module_of = np.fromiter((c.module for c in layout.cells), dtype=np.int64, count=n)
    for module in layout.modules:
        mine = index[module_of == module.index]
        if not mine.size:
            continue
        heats = q[mine]
        hot, cold = int(mine[np.argmax(heats)]), int(mine[np.argmin(heats)])
        out[module.index] = (hot, cold) if hot != cold else (hot,)
    mean = float(q.mean()) if q.size else 0.0
    return out, {i: float(q[i]) - mean for cells in out.values() for i in cells}


def _balancing(pack: ir.Pack, parallel: int, part: FrontEnd) -> Balancing:
    cell = pack.cell
    group_ah = parallel * cell.capacity / 3600.0
    current = BALANCE_SPREAD * group_ah / (BALANCE_TIME / 3600.0)
    external = current > part.balance_current
    resistor = cell.nominal_voltage / current
    return Balancing(
        BALANCE_SPREAD,
        BALANCE_TIME,
        group_ah,
        current,
        part.balance_current,
        external,
        resistor,
        cell.nominal_voltage**2 / resistor,
        BALANCE_SPREAD * group_ah / part.balance_current,
    )


def _fuse_rating(current: float) -> float:
    """The smallest IEC 60059 rating at or above ``current``, A."""
    decade = 10.0 ** math.floor(math.log10(max(current, 1e-3)))
    for scale in (decade, decade * 10):
        for step in IEC_60059:
            if step * scale >= current - 1e-9:
                return round(step * scale, 6)
    return current


def _high_voltage(pack: ir.Pack, placement: Placement, routing: Routing, notes: list[str]) -> HighVoltage:
    cell, candidate = pack.cell, placement.candidate
    loads = candidate.loads
    assert loads is not None
    v_max = placement.layout.series * cell.max_voltage
    i_cont, peak = loads.continuous.current, loads.peak
    iso_part, iso_volts, _ = ISOLATION_MONITOR
    monitor = None
    if v_max > CLASS_A_VOLTAGE:
        monitor = iso_part
        if v_max > iso_volts:
            notes.append(
                f"the pack reaches {v_max:.0f} V, above the {iso_part}'s {iso_volts:.0f} V: a higher-voltage monitor"
            )
    able = [c for c in CONTACTORS if c.current >= i_cont and c.voltage >= v_max]
    contactor = able[0] if able else CONTACTORS[-1]
    if not able:
        notes.append(f"no listed contactor carries {i_cont:,.0f} A at {v_max:.0f} V: {contactor.part} is the largest")
    r_pre = PRECHARGE_TIME / (5 * DC_LINK_CAPACITANCE)
    fuse = _fuse_rating(FUSE_CONTINUOUS_FACTOR * i_cont)
    ocv = placement.layout.series * cell.nominal_voltage
    r_pack = routing.network.pack_resistance
    i_sc = ocv / r_pack if r_pack > 0 else math.inf
    duration = f" for {peak.duration:g} s" if peak.duration else ""
    check = (
        f"the peak load, {peak.current:,.0f} A{duration}, must stay below {FUSE_MELT_SHARE:.0%} of the fuse's "
        f"melting current at that duration (its time-current curve: at least {peak.current / FUSE_MELT_SHARE:,.0f} A)"
    )
    return HighVoltage(
        v_max,
        i_cont,
        peak.current,
        peak.duration,
        monitor,
        ISOLATION_OHM_PER_VOLT * v_max,
        contactor.part,
        contactor.current,
        r_pre,
        0.5 * DC_LINK_CAPACITANCE * v_max**2,
        v_max / r_pre,
        DC_LINK_CAPACITANCE,
        fuse,
        v_max,
        i_sc,
        check,
    )


# --- the stage ---------------------------------------------------------------------------------


def design(pack: ir.Pack, placement: Placement, routing: Routing, heat: Heat) -> Bms:
    """The BMS of the placed, routed and heated pack."""
    layout = placement.layout
    notes: list[str] = []
    part, runs = choose_front_end([(m.index, tuple(m.groups)) for m in layout.modules])
    for module, groups in runs:
        if len(groups) < part.min_channels:
            notes.append(
                f"front end on module {module}: {len(groups)} series groups, fewer than the {part.part}'s "
                f"{part.min_channels}: its unused inputs are tied as its data sheet says"
            )
    ntc, rank = _thermistor_cells(pack, layout, routing, heat)
    boards = _place_boards(layout, part, runs, ntc, rank)
    lines = _sense_lines(boards, routing, layout, notes)
    chain = sum(abs(a.centre[0] - b.centre[0]) + abs(a.centre[1] - b.centre[1]) for a, b in zip(boards, boards[1:]))
    balancing = _balancing(
        pack, placement.candidate.parallel // max(pack.strings, 1), part
    )  # a group: P / strings cells
    if balancing.external:
        notes.append(
            f"balancing {balancing.current * 1e3:,.0f} mA is more than the {part.part}'s {part.balance_current * 1e3:.0f} mA: "
            f"external FETs and {balancing.resistor:.1f} Ω resistors (at the front end's own limit it takes "
            f"{balancing.hours_at_limit:,.0f} h)"
        )
    hv = _high_voltage(pack, placement, routing, notes)
    sources = (part.source, ISOLATION_MONITOR[2], *(c.source for c in CONTACTORS if c.part == hv.contactor))
    return Bms(
        part.part,
        tuple(boards),
        tuple(lines),
        sum(len(b.thermistors) for b in boards),
        chain,
        balancing,
        hv,
        sources,
        tuple(notes),
    )


def bms_stage(pack: ir.Pack, placement: Placement, routing: Routing, heat: Heat) -> Outcome[Bms]:
    return Outcome(design(pack, placement, routing, heat))


# --- the bill of materials ----------------------------------------------------------------------------


def board_room(bms: Bms | None) -> tuple[float, float] | None:
    """The room, mm, the front-end boards take over the top busbars (their standoff, their
    height), for the drawn stack (``passes.drawn.stack``): None without boards."""
    if bms is None or not bms.boards:
        return None
    return BOARD_STANDOFF * 1e3, BOARD_HEIGHT * 1e3


def bom_lines(bms: Bms) -> list[BomLine]:
    """The BMS's lines for the bill of materials (``passes.bom`` adds them). Masses: the boards
    as bare FR-4, the sense wires as copper, the contactors where their data sheet gives it;
    prices: none found in a stored source, so inside "rest of the pack price"."""
    hv, b = bms.high_voltage, bms.balancing
    board_mass = BOARD[0] * BOARD[1] * BOARD_THICKNESS * FR4_DENSITY
    contactor = next(c for c in CONTACTORS if c.part == hv.contactor)
    lines = [
        BomLine(
            "front-end boards",
            f"front-end board, {bms.front_end}" + (", external balancing FETs and resistors" if b.external else ""),
            len(bms.boards),
            len(bms.boards) * board_mass,
            None,
            "bms (one per run of series groups); bare FR-4 board mass (estimate)",
        ),
        BomLine(
            "sense lines",
            "cell voltage sense line, 0.35 mm² copper",
            len(bms.sense_lines),
            bms.sense_length * SENSE_WIRE * COPPER_DENSITY,
            None,
            f"bms: {bms.sense_length:,.2f} m routed, copper only",
        ),
        BomLine(
            "thermistors", "NTC thermistor", bms.thermistors, 0.0, None, "bms: hottest and coolest cell of each module"
        ),
        BomLine(
            "contactors",
            f"main contactor, {contactor.part}",
            2,
            2 * (contactor.mass or 0.0),
            None,
            contactor.source if contactor.mass else f"{contactor.source}; mass not given",
        ),
        BomLine(
            "pre-charge",
            f"pre-charge resistor {hv.precharge_resistor:,.0f} Ω, {hv.precharge_energy:,.0f} J pulse, with its relay",
            1,
            0.0,
            None,
            "bms: 5 τ of the DC link (TI TIDUF73)",
        ),
        BomLine(
            "pack fuse",
            f"pack fuse {hv.fuse_rating:g} A, {hv.fuse_voltage:.0f} V DC",
            1,
            0.0,
            None,
            "bms: 1.25 × continuous current, IEC 60059 rating",
        ),
    ]
    if hv.isolation_monitor:
        lines.append(
            BomLine(
                "isolation monitor", f"isolation monitor, {hv.isolation_monitor}", 1, 0.0, None, ISOLATION_MONITOR[2]
            )
        )
    return lines
