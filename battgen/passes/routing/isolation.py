"""Isolation from the enclosure: how close the live parts come to the grounded metal around
them, against the IEC 60664-1 distance for the pack's maximum voltage.

The enclosure is metal and is the vehicle's electrical chassis, which UN ECE R100 §5.1.3
requires the high-voltage bus to be isolated from (≥ 100 Ω/V DC, measured at the maximum
working voltage). After one insulation fault the whole pack can stand against the chassis, so
the working voltage across every gap between a live part and the enclosure is the pack's
maximum voltage. Each such gap must keep ``Insulation.distance``: the larger of the creepage
(Table F.5: the carriers, holders and gap fillers the parts stand on give a surface from them
to the metal) and the clearance for the rated impulse voltage (Tables F.1 and F.2).

**Live parts**: the cells (a cylindrical or prismatic can is at a terminal's potential; its
thin PVC/PET sleeve is not rated insulation and is not counted; a pouch's laminate is
insulated and only its tabs, under the plates, are live) and the bare busbar plates. The fuse
links stand on the plates and count at the lid by their height. Terminal leads and jumpers are
insulated strips on a carrier, and a lead ends at the pack terminal in the wall: their
insulation, not an air gap, isolates them (not checked here).

**The metal**, as drawn (``battgen/passes/drawn.py``, the geometry the bill of materials
weighs and the CAD draws): the jacket's side walls inside the envelope's outline (the layers
the envelope's ``wall`` has room for: their inner face is ``wall − thickness`` from the nearest
cell), the floor and the lid at the stack's levels (``drawn.stack``: the jacket's base; cold
plate and gap filler if cooled from below; the bottom leads on their carrier; the bottom plates;
the cells; the top plates and fuse links; the top leads; a top cold plate; ``LID_CLEARANCE``;
the jacket's top). A keepout is a space inside the box for another part (a junction box, often
metal): the live parts keep the distance from its edge. Where a cold plate faces the live
parts, its gap filler (``heat.TIM_GAP``) is solid insulation between them, and the path that
remains runs along the filler's surface to the plate's rim: ``heat.PLATE_RIM`` + the filler.

A gap short of the distance is a W703 with the numbers, on the envelope's ``wall`` (walls), the
keepout (keepouts), the pack's ``cooling`` (floor) or the envelope (lid). A pack with no
envelope has no declared enclosure (the CAD draws a box around the cells): not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.models.iec60664 import Insulation
from battgen.passes.layout.types import Layout, PlacedCell
from battgen.passes.routing.types import Busbar, FuseLink, Gap, Isolation

if TYPE_CHECKING:
    from collections.abc import Callable

    from shapely.geometry.base import BaseGeometry

    from battgen.models.packaging import Jacket
    from battgen.passes.drawn import Cells, Site, Stack

PLATE_MARGIN = 10e-6  # plates are cut this much further back (the plates' snap-rounding moves edges by less)
NEAR_MARGIN = 1e-9  # m: a part this much farther than one measured is not measured (``_near``)


@dataclass(frozen=True)
class _Parts:
    """The live parts in plan: cells' footprints and bare plates."""

    shapes: np.ndarray  # shapely geometries
    cells: list[PlacedCell]  # the first len(cells) shapes are theirs
    plates: list[Busbar]  # then these

    def name(self, k: int) -> str:
        """The name of part ``k`` ("cell 12", "busbar 40")."""
        if k < len(self.cells):
            return f"cell {self.cells[k].index}"
        return f"busbar {self.plates[k - len(self.cells)].index}"


def isolation(
    pack: ir.Pack,
    layout: Layout,
    busbars: list[Busbar],
    fuses: list[FuseLink],
    voltage: float,
    insulation: Insulation,
    walls: Walls | None = None,
    feet: np.ndarray | None = None,
) -> tuple[Isolation, list[Diagnostic]]:
    """Every face of the enclosure against the distance for ``voltage``; a W703 per face short
    of it. ``walls``: the drawn enclosure (``drawn_walls``), ``feet``: the cells' live footprints
    (``cell_feet``), when the caller has them."""
    creep, clear = insulation.creepage(voltage), insulation.clearance(voltage)
    required = max(creep, clear)
    gaps: list[Gap] = []
    levels: dict[str, float] = {}
    side = 0.0
    walls = walls if walls is not None else drawn_walls(pack, layout)
    if pack.envelope is not None and walls is not None:
        geometry = _enclosure(pack, walls, busbars, fuses)
        side = geometry.side
        parts = _parts(layout, busbars, feet if feet is not None else cell_feet(layout, pack.cell.format))
        gaps += _walls(pack.envelope, parts, side, required)
        gaps += _keepouts(pack.envelope, parts, required)
        gaps += _floor_and_lid(pack, layout, fuses, geometry.stack, required, levels)
    result = Isolation(
        voltage,
        insulation.impulse_voltage(voltage),
        creep,
        clear,
        required,
        insulation.pollution_degree,
        insulation.material_group,
        insulation.overvoltage_category,
        side,
        tuple(gaps),
        levels,
    )
    return result, [_warning(pack, result, g) for g in result.short]


@dataclass(frozen=True)
class Walls:
    """The drawn enclosure around a layout (``battgen/passes/drawn.py``): the cells in mm, the
    site (outline, wall, keepouts) and the mass model's jacket; the plate floor and the
    isolation check both measure against it."""

    placed: Cells
    site: Site
    jacket: Jacket

    @property
    def side(self) -> float:
        """The drawn side walls' thickness inside the outline, m."""
        from battgen.passes import drawn

        return drawn.wall_thickness(self.jacket, self.site) * 1e-3


def drawn_walls(pack: ir.Pack, layout: Layout) -> Walls | None:
    """The drawn enclosure of ``pack`` around ``layout``; None without an envelope or cells."""
    from battgen.passes import drawn

    if pack.envelope is None or not layout.cells:
        return None
    placed = drawn.cells_mm(pack, layout)
    site = drawn.site(pack, layout, placed, [])
    return Walls(placed, site, drawn.jacket_of(pack, site, len(layout.cells), max(len(layout.modules), 1)))


@dataclass(frozen=True)
class _Enclosure:
    side: float  # m: the drawn side walls' thickness inside the outline
    stack: Stack  # the drawn vertical stack (mm)


def _enclosure(pack: ir.Pack, walls: Walls, busbars: list[Busbar], fuses: list[FuseLink]) -> _Enclosure:
    """The drawn enclosure with these busbars (``passes.drawn``)."""
    from battgen.passes import drawn

    stack = drawn.stack(pack, walls.placed, busbars, fuses, walls.jacket, walls.site.env_height, [])
    return _Enclosure(walls.side, stack)


def plate_floor(pack: ir.Pack, walls: Walls | None, distance: float) -> BaseGeometry | None:
    """Where bare plates may lie: ``distance`` clear of the drawn side walls (inside the outline
    by their thickness) and of the keepouts' spaces; None without an envelope."""
    import shapely
    from shapely.geometry import Polygon

    envelope = pack.envelope
    if envelope is None or walls is None:
        return None
    floor = _outline(envelope).buffer(-(walls.side + distance + PLATE_MARGIN), quad_segs=16)
    if envelope.keepouts:
        keep = shapely.union_all([Polygon(k.shape.vertices(16)) for k in envelope.keepouts])
        floor = floor.difference(keep.buffer(distance + PLATE_MARGIN, quad_segs=16))
    return floor


def cell_feet(layout: Layout, fmt: ir.CellFormat) -> np.ndarray:
    """The cells' live footprints in plan (shapely polygons; none for pouches, whose laminate is
    insulated): they follow from the layout alone, so the plates stage keeps them."""
    import shapely
    from shapely.geometry import box

    from battgen.passes import drawn

    if fmt.kind == "pouch" or not layout.cells:
        return np.zeros(0, dtype=object)
    xy = np.array([(c.x, c.y) for c in layout.cells])
    if fmt.kind == "cylindrical":
        return drawn.discs(xy, fmt.diameter / 2, quad_segs=8)
    w, t = fmt.width, fmt.thickness
    feet = [
        shapely.affinity.rotate(box(x - w / 2, y - t / 2, x + w / 2, y + t / 2), c.rotation, (x, y), True)
        for (x, y), c in zip(xy, layout.cells)
    ]
    return np.array(feet, dtype=object)


def _parts(layout: Layout, busbars: list[Busbar], feet: np.ndarray) -> _Parts:
    """The cells' ``feet`` and the bare plates."""
    plates = [b for b in busbars if not b.path]  # bare plates; leads and jumpers are insulated
    shapes = np.empty(len(feet) + len(plates), dtype=object)
    shapes[: len(feet)] = feet
    shapes[len(feet) :] = plate_polygons(plates)
    return _Parts(shapes, list(layout.cells) if len(feet) else [], plates)


def plate_polygons(plates: list[Busbar]) -> np.ndarray:
    """``Polygon(b.polygon, b.holes)`` of each of ``plates``, the same to the bit, the rings
    read in one pass (numpy reads a ring of tuples point by point: 14,825 points of the Model
    S's plates took 6 ms that way)."""
    import shapely
    from shapely.geometry import Polygon

    out = np.empty(len(plates), dtype=object)
    plain = [k for k, b in enumerate(plates) if not b.holes and len(b.polygon) >= 3]
    if plain:
        sizes = [len(plates[k].polygon) for k in plain]
        xy = np.fromiter(chain.from_iterable(chain.from_iterable(plates[k].polygon for k in plain)), float)
        rings = shapely.linearrings(xy.reshape(-1, 2), indices=np.repeat(np.arange(len(plain)), sizes))
        out[plain] = shapely.polygons(rings)
    for k, b in enumerate(plates):
        if out[k] is None:  # holes (or no ring): as it was
            out[k] = Polygon(b.polygon, b.holes)
    return out


def _near(
    parts: _Parts, target: BaseGeometry, far: Callable[[float, np.ndarray], np.ndarray], bounded: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The parts that may come closest to ``target`` and their distances from it: every part
    whose distance could be the least of them all, or equal it, in their order, so that the
    least and the first part at it are ``shapely.distance(parts.shapes, target)``'s, to the
    bit; of the 7,104 cells of a Model S a few hundred are measured.

    A part lies within ``reach`` (half its box's diagonal) of its box's centre, so it is
    farther than ``upper`` (a distance some parts are known to come within) when its centre is
    farther than ``upper + reach`` + ``NEAR_MARGIN`` (far larger than the rounding of the
    measures) from ``target``: ``far(distance, centres)`` says which centres are, from a
    mitred buffer (its corners lie beyond the round buffer's arcs, so it errs towards near).
    Not ``bounded`` (an invalid outline or keepout, whose buffer may be anything): every part
    is measured."""
    import shapely

    shapes = parts.shapes
    every = np.arange(len(shapes))
    if len(shapes) < 16 or not bounded:
        return every, shapely.distance(shapes, target)
    box = shapely.bounds(shapes)
    if np.isnan(box).any():  # an empty part: no box to bound it by
        return every, shapely.distance(shapes, target)
    centre = (box[:, :2] + box[:, 2:]) / 2
    reach = np.hypot(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]) / 2
    probes = np.unique(np.concatenate([np.nanargmin(box[:, :2], axis=0), np.nanargmax(box[:, 2:], axis=0)]))
    upper = float(np.min(shapely.distance(shapes[probes], target)))
    small = reach <= np.quantile(reach, 0.9)  # the cells (the plates reach far): the rest are measured
    if not np.isfinite(upper) or not small.any():
        return every, shapely.distance(shapes, target)
    away = np.zeros(len(shapes), bool)
    away[small] = far(upper + float(reach[small].max()) + NEAR_MARGIN, centre[small])
    near = np.flatnonzero(~away)
    return near, shapely.distance(shapes[near], target)


def _outline(envelope: ir.Envelope) -> BaseGeometry:
    from shapely.geometry import Polygon

    return Polygon(envelope.outline.vertices(16))


def _walls(envelope: ir.Envelope, parts: _Parts, side: float, required: float) -> list[Gap]:
    """The outline's walls: their face is the ``side`` sheet inside the outline."""
    import shapely

    if not len(parts.shapes):
        return []
    outline = _outline(envelope)

    def inside(distance: float, xy: np.ndarray) -> np.ndarray:  # farther than distance from the walls
        return shapely.contains_xy(outline.buffer(-distance, join_style="mitre"), xy[:, 0], xy[:, 1])

    near, d = _near(parts, outline.exterior, inside, outline.is_valid)
    d = d - side
    k = int(np.argmin(d))
    return [Gap("walls", max(float(d[k]), 0.0), parts.name(int(near[k])), "air", required)]


def _keepouts(envelope: ir.Envelope, parts: _Parts, required: float) -> list[Gap]:
    """Each keepout: a space inside the box for another part; the live parts keep the distance
    from its edge."""
    import shapely
    from shapely.geometry import Polygon

    out = []
    for keepout in envelope.keepouts:
        if not len(parts.shapes):
            break
        space = Polygon(keepout.shape.vertices(16))

        def outside(distance: float, xy: np.ndarray, space: Polygon = space) -> np.ndarray:  # farther than distance
            return ~shapely.contains_xy(space.buffer(distance, join_style="mitre"), xy[:, 0], xy[:, 1])

        near, d = _near(parts, space, outside, space.is_valid)
        k = int(np.argmin(d))
        out.append(Gap(f"keepout `{keepout.name}`", max(float(d[k]), 0.0), parts.name(int(near[k])), "air", required))
    return out


def _floor_and_lid(
    pack: ir.Pack, layout: Layout, fuses: list[FuseLink], stack: Stack, required: float, levels: dict[str, float]
) -> list[Gap]:
    """The floor and the lid against the lowest and highest live parts of the drawn ``stack``;
    its levels (m) are recorded in ``levels`` (the CAD's names: cells, cell_top, lid)."""
    from battgen.passes.heat import PLATE_RIM, TIM_GAP

    tim, rim = TIM_GAP * 1e-3, PLATE_RIM * 1e-3
    live_cells = pack.cell.format.kind != "pouch" and bool(layout.cells)
    filler = f"along the gap filler to the cold plate's rim ({PLATE_RIM:g} mm beyond the cells)"
    plates = {f: stack.plates_t[f] * 1e-3 for f in ("top", "bottom")}
    leads = {f: stack.leads_t[f] * 1e-3 for f in ("top", "bottom")}
    fuse_h = max([f.diameter if f.kind == "wire_bond" else f.thickness for f in fuses], default=0.0)
    gaps = []
    lowest = "bottom busbars" if plates["bottom"] else ("cells" if live_cells else None)
    if lowest is not None:
        if stack.side == "bottom":
            gaps.append(Gap("floor", rim + tim, lowest, filler, required))
        else:
            carrier = stack.bottom_gap * 1e-3
            gap = leads["bottom"] + carrier
            gaps.append(Gap("floor", gap, lowest, "air" if not carrier else "air, over the insulated leads", required))
    z_top = stack.z_top * 1e-3
    live_top = z_top + plates["top"] + fuse_h
    lid = stack.levels["lid"] * 1e-3
    levels.update(cells=stack.z_cells * 1e-3, cell_top=z_top, live_top=live_top, lid=lid, top=stack.height * 1e-3)
    highest = "fuse links" if fuse_h else ("top busbars" if plates["top"] else ("cells" if live_cells else None))
    if highest is not None:
        if stack.side == "top":
            gaps.append(Gap("lid", rim + tim, highest, filler, required))
        else:
            gaps.append(Gap("lid", lid - live_top, highest, "air", required))
    return gaps


def _mm(metres: float) -> str:
    """A distance in mm to two decimals, one trailing zero dropped (1.25, 1.5, 5.0)."""
    text = f"{metres * 1e3:.2f}"
    return text[:-1] if text.endswith("0") else text


def _warning(pack: ir.Pack, result: Isolation, gap: Gap) -> Diagnostic:
    envelope = pack.envelope
    assert envelope is not None
    span: Span = envelope.span
    if gap.face == "walls":
        span = envelope.property_spans.get("wall", envelope.span)
        hint = (
            f"widen the envelope's `wall` to {_mm(result.required + result.sheet)} mm (the "
            f"{_mm(result.sheet)} mm sheet stands in it), or line the walls with rated insulation"
        )
    elif gap.face.startswith("keepout"):
        name = gap.face.split("`")[1]
        span = next((k.span for k in envelope.keepouts if k.name == name), envelope.span)
        hint = "keep the cells and busbars further from the keepout, or insulate its wall"
    elif gap.face == "floor":
        span = pack.property_spans.get("cooling", envelope.span)
        hint = "stand the bottom busbars and cells on rated insulation or a cold plate's gap filler"
    else:
        hint = "raise the envelope's height, or line the lid with rated insulation"
    message = (
        f"{gap.part} {'come' if gap.part.endswith('s') else 'comes'} {_mm(gap.distance)} mm from the "
        f"enclosure's {gap.face} ({gap.path}); IEC 60664-1 needs {_mm(result.required)} mm for "
        f"{result.voltage:.0f} V (creepage {_mm(result.creepage)} mm: pollution degree "
        f"{result.pollution_degree}, material group {result.material_group}; clearance "
        f"{_mm(result.clearance)} mm for {result.impulse_voltage / 1e3:g} kV impulses, overvoltage "
        f"category {'I' * result.overvoltage_category if result.overvoltage_category < 4 else 'IV'})"
    )
    return Diagnostic("W703", message, span, hint, Severity.WARNING)
