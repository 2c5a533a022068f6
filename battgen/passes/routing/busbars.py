"""The busbar records of the plates: for each owner, bridge its plate if it fell apart, check it
covers its terminals, measure its current path, size it (``sizing``) and record one ``Busbar``
per piece and per jumper; and the W401 findings (plates thickened, creepage forced by the
layout), one for all busbars each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from battgen.core.diagnostics import Diagnostic, Severity
from battgen.passes.routing.bridges import Jumper, bridge_plate
from battgen.passes.routing.context import RoutingContext
from battgen.passes.routing.geometry import GRID, inner_rings, outer_ring, rounded_path, safe
from battgen.passes.routing.plates import PlateCut
from battgen.passes.routing.sizing import size_conductor
from battgen.passes.routing.types import Busbar

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry


@dataclass
class PlateBusbars:
    busbars: list[Busbar] = field(default_factory=list)  # plates and jumpers, owner by owner
    plate_owner: dict[int, int] = field(default_factory=dict)  # busbar index → owner, for the plates and jumpers
    bridges: dict[int, BaseGeometry] = field(default_factory=dict)  # owner → area added to join its pieces
    jumpers: dict[int, list[Jumper]] = field(default_factory=dict)  # owner → its insulated jumpers
    thickened: dict[int, tuple[float, str]] = field(default_factory=dict)  # owner → (thickness ratio, what it needs)


def plate_busbars(ctx: RoutingContext, cut: PlateCut) -> PlateBusbars | Diagnostic:
    """Every owner's plate (and jumpers) as busbar records, owner by owner; bridging updates
    ``cut.plates``, which the owners after it keep clear of. E701 if a plate cannot be joined or
    does not cover its terminals."""
    out = PlateBusbars()
    owners = _Owners.of(ctx)
    for o in range(ctx.junctions.minus + 1):
        bars = _owner_busbars(ctx, o, owners, cut, out)
        if isinstance(bars, Diagnostic):
            return bars
        for b in bars:
            out.busbars.append(b)
            out.plate_owner[b.index] = o
    return out


@dataclass(frozen=True)
class _Owners:
    """What the busbar records read of every owner, found for all of them at once: each one's
    terminals and the modules each series group's cells lie in."""

    terminals: list[np.ndarray]  # by owner: its terminals (indices, ascending)
    group_modules: dict[int, set[int]]  # series group → the modules its cells lie in

    @staticmethod
    def of(ctx: RoutingContext) -> _Owners:
        order = np.argsort(ctx.own, kind="stable")  # each owner's terminals stay in order
        ends = np.searchsorted(ctx.own[order], np.arange(ctx.junctions.minus + 2))
        modules = int(ctx.cell_module.max(initial=0)) + 1
        group_modules: dict[int, set[int]] = {}
        for key in np.unique(ctx.cell_group * modules + ctx.cell_module).tolist():  # each (group, module) once
            group_modules.setdefault(key // modules, set()).add(key % modules)
        return _Owners([order[a:b] for a, b in zip(ends[:-1], ends[1:])], group_modules)


def _owner_busbars(
    ctx: RoutingContext, o: int, owners: _Owners, cut: PlateCut, done: PlateBusbars
) -> list[Busbar] | Diagnostic:
    """Owner ``o``'s plate pieces and jumpers, numbered on from ``done.busbars``."""
    import shapely

    t, junctions = ctx.terminals, ctx.junctions
    plate = cut.plates[o]
    mine = owners.terminals[o]
    parts = list(shapely.get_parts(plate))
    kind, groups = _kind(ctx, o, owners)
    notes = _forced_note(ctx, o, cut.forced)
    if len(parts) > 1:
        bridged = bridge_plate(ctx, o, plate, parts, cut.plates, kind)
        if isinstance(bridged, Diagnostic):
            return bridged
        done.bridges[o] = bridged.bridge
        notes.append(bridged.note)
        plate = cut.plates[o] = bridged.plate
        if bridged.jumpers:
            done.jumpers[o] = bridged.jumpers
    shapely.prepare(plate)  # one plate against each of its terminals' discs
    if not shapely.covers(plate, ctx.inner_discs[mine]).all():
        return Diagnostic(
            "E701",
            f"no route for busbar {o}: terminals {2 * t.radius * 1e3:.1f} mm across, "
            f"{ctx.pitch * 1e3:.1f} mm apart cannot keep {ctx.clearance * 1e3:.1f} mm creepage "
            f"(IEC 60664-1 for {ctx.max_voltage:.0f} V)",
            ctx.span,
            "increase the cell gap or lower the pack voltage",
        )
    if o < junctions.plus:
        width, length = _series_path(ctx, mine, (o, groups), cut.group_region, done.bridges.get(o))
    else:
        width, length = _plate_extent(plate)
    duty, material, thickness = ctx.duty, ctx.conductor.material, ctx.conductor.thickness
    rate_kind = "series" if kind == "terminal" else kind
    sizing = size_conductor(
        rate_kind, duty.peak, duty.continuous, duty.short_circuit, material, thickness, width, ctx.pack.ambient
    )
    if sizing.thickened > 1.0:
        done.thickened[o] = (
            sizing.thickened,
            f"busbar {o} ({kind}, groups {groups}) needs "
            f"{sizing.thickness * 1e3:.2f} mm for the {width * 1e3:.1f} mm width available",
        )
    notes.extend(sizing.notes)
    notes.append(f"width available {width * 1e3:.1f} mm, needed {sizing.width_required * 1e3:.1f} mm")
    first = len(done.busbars)
    jumpers = done.jumpers.get(o, [])
    bars = _piece_busbars(
        ctx, o, mine, plate, kind, groups, width, length, sizing.thickness, tuple(notes), first, jumpers
    )
    bars += _jumper_busbars(ctx, o, kind, groups, jumpers, first + len(bars))
    return bars


def _kind(ctx: RoutingContext, o: int, owners: _Owners) -> tuple[str, tuple[int, ...]]:
    """The busbar kind of owner ``o``'s plate ("series", "module_link" when its groups lie in
    different modules, "terminal") and the series groups it joins."""
    junctions = ctx.junctions
    kind = "terminal" if o >= junctions.plus else "series"
    groups = junctions.groups(o)
    if o < junctions.plus and len(set().union(*(owners.group_modules.get(g, ()) for g in groups))) > 1:
        kind = "module_link"
    return kind, groups


def _forced_note(ctx: RoutingContext, o: int, forced: dict[int, tuple[float, int, float]]) -> list[str]:
    """The note of a plate whose terminals the layout puts closer to unlike ones than creepage allows."""
    if o not in forced:
        return []
    gap_o, other, needed = forced[o]
    potential = ctx.creepage.potential
    volts = abs(int(potential[o]) - int(potential[other])) * ctx.pack.cell.max_voltage
    return [
        f"creepage short by the layout: a terminal {gap_o * 1e3:.2f} mm from busbar {other}'s terminal "
        f"(< {needed * 1e3:.1f} mm for the {volts:.0f} V between them); the plate keeps that "
        "distance everywhere else"
    ]


def _series_path(
    ctx: RoutingContext,
    mine: np.ndarray,
    junction: tuple[int, tuple[int, ...]],
    group_region: dict[tuple[int, int], BaseGeometry],
    bridge: BaseGeometry | None,
) -> tuple[float, float]:
    """Width and length of a series junction's current path (owner and groups ``junction``, its
    terminals ``mine``): from the centre of group k's terminals to the centre of group k+1's, as
    wide as the boundary the two groups' regions share, less the creepage distance (a bridged
    plate: the bridge's extent, at least a pitch)."""
    import shapely
    from shapely.geometry import Polygon

    t, clearance = ctx.terminals, ctx.clearance
    o, groups = junction
    a = t.xy[mine][t.group[mine] == groups[0]]
    b = t.xy[mine][t.group[mine] == groups[1]]
    length = float(np.hypot(*(a.mean(axis=0) - b.mean(axis=0))))
    # the part of group k's region boundary along group k+1's (a tolerance: shared edges of
    # separately merged regions need not be noded alike)
    ga, gb = group_region.get((o, groups[0])), group_region.get((o, groups[1]))
    contact = Polygon()
    if ga is not None and gb is not None:
        contact = safe(lambda: ga.boundary.intersection(gb.buffer(10 * GRID)), contact, False)
    # the shared boundary's extent across the current path (a zigzag counts by its projection)
    axis = (b.mean(axis=0) - a.mean(axis=0)) / max(length, 1e-12)
    pts_c = shapely.get_coordinates(contact)
    neck = float(np.ptp(pts_c @ np.array([-axis[1], axis[0]]))) if len(pts_c) > 1 else 0.0
    width = max(neck - clearance, 0.0)
    if width <= 0 and bridge is not None:  # bridged: the bridge's extent across the path, less creepage
        pts_b = shapely.get_coordinates(bridge)
        width = max(float(np.ptp(pts_b @ np.array([-axis[1], axis[0]]))) - clearance, min(ctx.layout.pitch))
    return width, max(length, 1e-4)


def _plate_extent(plate: BaseGeometry) -> tuple[float, float]:
    """Width and length of a pack terminal plate's current path: the short side of its minimum
    rotated rectangle, and half the long side (the lead attaches in the middle)."""
    mrr = plate.minimum_rotated_rectangle
    xs, ys = mrr.exterior.coords.xy
    sides = sorted(math.hypot(xs[i + 1] - xs[i], ys[i + 1] - ys[i]) for i in range(2))
    return max(sides[0], 1e-4), max(sides[1] / 2, 1e-4)


def _piece_busbars(
    ctx: RoutingContext,
    o: int,
    mine: np.ndarray,
    plate: BaseGeometry,
    kind: str,
    groups: tuple[int, ...],
    width: float,
    length: float,
    tk: float,
    notes: tuple[str, ...],
    first: int,
    jumpers: list[Jumper],
) -> list[Busbar]:
    """One busbar per piece of the plate that holds terminals (``mine``; the largest only, unless
    jumpers join them; slivers cut off by keepouts go), the plate's mass shared by area."""
    import shapely

    material = ctx.conductor.material
    assert material.resistivity is not None  # a conductor states it (the front end refuses one without)
    r = material.resistivity * length / (width * tk)
    mass = plate.area * tk * material.density
    pieces = [q for q in shapely.get_parts(plate) if q.area > 0]
    if len(pieces) > 1:  # keep the pieces that hold terminals (slivers cut off by keepouts go)
        held = [q for q in pieces if shapely.intersects(q, ctx.discs[mine]).any()]
        pieces = held if jumpers else sorted(held or pieces, key=lambda q: -q.area)[:1]
    total = sum(q.area for q in pieces) or 1.0
    out: list[Busbar] = []
    for poly in sorted(pieces, key=lambda q: (-q.area, q.bounds)):
        m = mass * poly.area / total
        out.append(
            Busbar(
                first + len(out),
                kind,
                outer_ring(poly),
                ctx.terminals.faces[ctx.owner_face[o]][1],
                tk,
                width,
                length,
                material.name,
                groups,
                ctx.duty.peak,
                ctx.duty.continuous,
                width * tk,
                r,
                ctx.duty.continuous**2 * r,
                m,
                m * (material.cost or 0.0),
                notes,
                inner_rings(poly),
            )
        )
    return out


def _jumper_busbars(
    ctx: RoutingContext, o: int, kind: str, groups: tuple[int, ...], jumpers: list[Jumper], first: int
) -> list[Busbar]:
    """One busbar per insulated jumper joining owner ``o``'s pieces."""
    from shapely.geometry import LineString

    material = ctx.conductor.material
    out: list[Busbar] = []
    for path, w_j, tk_j, r_j in jumpers:
        line = LineString(path)
        poly = line.buffer(w_j / 2, cap_style="flat", join_style="mitre")
        m = poly.area * tk_j * material.density
        out.append(
            Busbar(
                first + len(out),
                kind,
                outer_ring(poly),
                ctx.terminals.faces[ctx.owner_face[o]][1],
                tk_j,
                w_j,
                line.length,
                material.name,
                groups,
                ctx.duty.peak,
                ctx.duty.continuous,
                w_j * tk_j,
                r_j,
                ctx.duty.continuous**2 * r_j,
                m,
                m * (material.cost or 0.0),
                (f"insulated jumper on a carrier above the plates, joining pieces of busbar {o}",),
                path=rounded_path(path),
            )
        )
    return out


def thickened_warning(ctx: RoutingContext, thickened: dict[int, tuple[float, str]]) -> Diagnostic:
    """One W401 for every plate thickened to carry its current: the per-busbar figures are in
    design.json."""
    factor, worst = max(thickened.values())
    return Diagnostic(
        "W401",
        f"{ctx.conductor.thickness * 1e3:.2f} mm is too thin for {len(thickened)} of the busbars; they "
        f"are thickened to carry the current — worst: {worst} (+{(factor - 1) * 100:.0f} %)",
        ctx.pack.property_spans.get("busbar", ctx.span),
        "use a thicker busbar or a better conductor",
        Severity.WARNING,
    )


def creepage_warning(ctx: RoutingContext, forced: dict[int, tuple[float, int, float]]) -> Diagnostic:
    """One W401 for every busbar whose terminals the layout puts too close to unlike ones."""
    gap, other, needed = min(forced.values())
    worst_owner = min(forced, key=lambda o: forced[o])
    potential = ctx.creepage.potential
    volts = abs(int(potential[worst_owner]) - int(potential[other])) * ctx.pack.cell.max_voltage
    names = ", ".join(str(o) for o in sorted(forced)[:8]) + (f" and {len(forced) - 8} more" if len(forced) > 8 else "")
    return Diagnostic(
        "W401",
        f"creepage forced below the IEC 60664-1 distance on {len(forced)} busbars "
        f"({names}): their terminals ({2 * ctx.terminals.radius * 1e3:.1f} mm contact areas) sit as little "
        f"as {gap * 1e3:.2f} mm from terminals of a busbar {volts:.0f} V away, which needs "
        f"{needed * 1e3:.1f} mm; plate edges follow the cell-to-cell gaps and keep the distance "
        "everywhere else",
        ctx.span,
        "insulate between the tabs (barrier or potting), widen the cell gap, or order the "
        "series path so that terminals this close are fewer cells apart",
        Severity.WARNING,
    )
