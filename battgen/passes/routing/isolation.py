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

**The metal**, where the CAD draws it (``battgen/emit/cad/plan.py``: ``_site``, ``_stack``,
``_enclosure``; passes may not read emit, so the rules are repeated here and a test keeps the
two in step):

* *walls*: the enclosure's sheet (``models.packaging.enclosure_wall``) stands inside the
  envelope's outline, as thick as the sheet but no thicker than the envelope's ``wall``
  (the clearance layout keeps from the outline to the cells): its face is ``wall − sheet``
  from the nearest cell;
* *keepouts*: the enclosure's walls wrap every keepout, outside its edge where the cells keep
  more than the wall from it, else inside it (its face ``wall − sheet`` inside the edge);
* *floor and lid*: the stack as the CAD builds it from the floor up (sheet; cold plate and gap
  filler if cooled from below; the bottom leads on their carrier; the bottom plates; the
  cells; the top plates and fuse links; the top leads; a top cold plate; ``LID_CLEARANCE``;
  the lid, at the envelope's height if that is taller). Where a cold plate faces the live
  parts, its gap filler (``heat.TIM_GAP``) is solid insulation between them, and the path that
  remains runs along the filler's surface to the plate's rim: ``heat.PLATE_RIM`` + the filler.

A gap short of the distance is a W703 with the numbers, on the envelope's ``wall`` (walls), the
keepout (keepouts), the pack's ``cooling`` (floor) or the envelope (lid). A pack with no
envelope has no declared enclosure (the CAD draws a box around the cells): not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.passes.layout.types import Layout
from battgen.passes.routing.iec60664 import Insulation
from battgen.passes.routing.types import Busbar, FuseLink, Gap, Isolation

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

# The CAD's stack (battgen/emit/cad/plan.py), m: kept equal to it by tests/test_clearance.py
LID_CLEARANCE = 1.0e-3  # above the highest part, under the lid
CARRIER_GAP = 1.0e-3  # the insulated carrier between the plates and the pack terminal leads
NO_ENVELOPE_WALL = 2.0e-3  # the CAD's wall where the envelope states none (``_site``)
KEEPOUT_MARGIN = 0.1e-3  # the CAD builds a keepout's wall outside it where the cells keep wall + this
PLATE_MARGIN = 10e-6  # plates are cut this much further back (the plates' snap-rounding moves edges by less)


@dataclass(frozen=True)
class _Parts:
    """The live parts in plan: cells' footprints and bare plates, with names."""

    shapes: np.ndarray  # shapely geometries
    names: list[str]
    cells: np.ndarray  # bool: which are cells


def isolation(
    pack: ir.Pack,
    layout: Layout,
    busbars: list[Busbar],
    fuses: list[FuseLink],
    voltage: float,
    insulation: Insulation,
) -> tuple[Isolation, list[Diagnostic]]:
    """Every face of the enclosure against the distance for ``voltage``; a W703 per face short
    of it."""
    from battgen.models.packaging import enclosure_wall

    sheet = enclosure_wall(pack.enclosure)[1]  # floor and lid; the side walls: ``enclosure_side``
    creep, clear = insulation.creepage(voltage), insulation.clearance(voltage)
    required = max(creep, clear)
    gaps: list[Gap] = []
    levels: dict[str, float] = {}
    if pack.envelope is not None:
        parts = _parts(pack, layout, busbars)
        side = enclosure_side(pack)
        gaps += _walls(pack.envelope, parts, side, required)
        gaps += _keepouts(pack.envelope, parts, side, required)
        gaps += _floor_and_lid(pack, layout, busbars, fuses, sheet, required, levels)
    result = Isolation(
        voltage,
        insulation.impulse_voltage(voltage),
        creep,
        clear,
        required,
        insulation.pollution_degree,
        insulation.material_group,
        insulation.overvoltage_category,
        sheet,
        tuple(gaps),
        levels,
    )
    return result, [_warning(pack, result, g) for g in result.short]


def enclosure_side(pack: ir.Pack) -> float:
    """How thick the CAD builds the side walls (m): the enclosure's sheet, at most the
    envelope's ``wall`` (``NO_ENVELOPE_WALL`` if that is 0)."""
    from battgen.models.packaging import enclosure_wall

    wall = pack.envelope.wall if pack.envelope is not None and pack.envelope.wall > 0 else NO_ENVELOPE_WALL
    return min(enclosure_wall(pack.enclosure)[1], wall)


def plate_floor(pack: ir.Pack, distance: float) -> BaseGeometry | None:
    """Where bare plates may lie: ``distance`` clear of the enclosure's walls (inside the
    outline by the side sheet) and of the keepouts' walls (as far outside them as the side
    sheet can stand); None without an envelope."""
    import shapely
    from shapely.geometry import Polygon

    envelope = pack.envelope
    if envelope is None:
        return None
    side = enclosure_side(pack)
    floor = _outline(envelope).buffer(-(side + distance + PLATE_MARGIN), quad_segs=16)
    if envelope.keepouts:
        keep = shapely.union_all([Polygon(k.shape.vertices(16)) for k in envelope.keepouts])
        floor = floor.difference(keep.buffer(side + distance + PLATE_MARGIN, quad_segs=16))
    return floor


def _parts(pack: ir.Pack, layout: Layout, busbars: list[Busbar]) -> _Parts:
    import shapely
    from shapely.geometry import Polygon, box

    fmt = pack.cell.format
    shapes: list[BaseGeometry] = []
    names: list[str] = []
    if fmt.kind != "pouch" and layout.cells:  # a pouch's laminate is insulated
        xy = np.array([(c.x, c.y) for c in layout.cells])
        if fmt.kind == "cylindrical":
            feet = list(shapely.buffer(shapely.points(xy), fmt.diameter / 2, quad_segs=8))
        else:
            w, t = fmt.width, fmt.thickness
            feet = [
                shapely.affinity.rotate(box(x - w / 2, y - t / 2, x + w / 2, y + t / 2), c.rotation, (x, y), True)
                for (x, y), c in zip(xy, layout.cells)
            ]
        shapes += feet
        names += [f"cell {c.index}" for c in layout.cells]
    n_cells = len(shapes)
    for b in busbars:
        if not b.path:  # bare plates; leads and jumpers are insulated
            shapes.append(Polygon(b.polygon, b.holes))
            names.append(f"busbar {b.index}")
    cells = np.zeros(len(shapes), bool)
    cells[:n_cells] = True
    return _Parts(np.array(shapes, dtype=object), names, cells)


def _outline(envelope: ir.Envelope) -> BaseGeometry:
    from shapely.geometry import Polygon

    return Polygon(envelope.outline.vertices(16))


def _walls(envelope: ir.Envelope, parts: _Parts, side: float, required: float) -> list[Gap]:
    """The outline's walls: their face is the ``side`` sheet inside the outline."""
    import shapely

    if not len(parts.shapes):
        return []
    d = shapely.distance(parts.shapes, _outline(envelope).exterior) - side
    k = int(np.argmin(d))
    return [Gap("walls", max(float(d[k]), 0.0), parts.names[k], "air", required)]


def _keepouts(envelope: ir.Envelope, parts: _Parts, side: float, required: float) -> list[Gap]:
    """Each keepout's wall (``side`` thick): outside its edge where the cells keep more than the
    wall from it, else inside it (the CAD's ``_site``)."""
    import shapely
    from shapely.geometry import Polygon

    wall = envelope.wall if envelope.wall > 0 else NO_ENVELOPE_WALL
    out = []
    for keepout in envelope.keepouts:
        if not len(parts.shapes):
            break
        d = shapely.distance(parts.shapes, Polygon(keepout.shape.vertices(16)))
        cells = d[parts.cells]
        outside = not len(cells) or float(cells.min()) >= wall + KEEPOUT_MARGIN
        face = d - side if outside else d + wall - side
        k = int(np.argmin(face))
        out.append(Gap(f"keepout `{keepout.name}`", max(float(face[k]), 0.0), parts.names[k], "air", required))
    return out


def _floor_and_lid(
    pack: ir.Pack,
    layout: Layout,
    busbars: list[Busbar],
    fuses: list[FuseLink],
    sheet: float,
    required: float,
    levels: dict[str, float],
) -> list[Gap]:
    """The stack from the floor up, as the CAD builds it (module docstring); its levels are
    recorded in ``levels`` (the CAD's names: cells, cell_top, lid)."""
    from battgen.passes.heat import CHANNEL_HEIGHT, COLD_PLATE_SKIN, PLATE_RIM, TIM_GAP

    tim, rim = TIM_GAP * 1e-3, PLATE_RIM * 1e-3
    cold_plate = 2 * COLD_PLATE_SKIN * 1e-3 + CHANNEL_HEIGHT * 1e-3
    plates = {f: max([b.thickness for b in busbars if b.z == f and not b.path], default=0.0) for f in ("top", "bottom")}
    leads = {f: max([b.thickness for b in busbars if b.z == f and b.path], default=0.0) for f in ("top", "bottom")}
    fuse_h = max([f.diameter if f.kind == "wire_bond" else f.thickness for f in fuses], default=0.0)
    side = pack.cooling.side if pack.cooling.kind == "cold_plate" else None
    live_cells = pack.cell.format.kind != "pouch" and bool(layout.cells)
    cell_top = max((c.z for c in layout.cells), default=0.0) + pack.cell.format.height
    filler = f"along the gap filler to the cold plate's rim ({PLATE_RIM:g} mm beyond the cells)"

    gaps = []
    z = sheet + (cold_plate + tim if side == "bottom" else 0.0)
    carrier = CARRIER_GAP if leads["bottom"] else 0.0
    z_cells = z + leads["bottom"] + carrier + plates["bottom"]
    lowest = "bottom busbars" if plates["bottom"] else ("cells" if live_cells else None)
    if lowest is not None:
        if side == "bottom":
            gaps.append(Gap("floor", rim + tim, lowest, filler, required))
        else:
            gap = leads["bottom"] + carrier
            gaps.append(Gap("floor", gap, lowest, "air" if not carrier else "air, over the insulated leads", required))
    z_top = z_cells + cell_top
    top_gap = max(CARRIER_GAP, fuse_h + 0.5e-3) if leads["top"] else 0.0
    live_top = z_top + plates["top"] + fuse_h
    z = z_top + plates["top"] + (fuse_h if not leads["top"] else 0.0) + top_gap + leads["top"]
    highest = "fuse links" if fuse_h else ("top busbars" if plates["top"] else ("cells" if live_cells else None))
    if side == "top":
        z += tim + cold_plate
    z += LID_CLEARANCE
    height = max(pack.envelope.height if pack.envelope is not None else 0.0, z + sheet)
    levels.update(cells=z_cells, cell_top=z_top, live_top=live_top, lid=height - sheet, top=height)
    if highest is not None:
        if side == "top":
            gaps.append(Gap("lid", rim + tim, highest, filler, required))
        else:
            gaps.append(Gap("lid", height - sheet - live_top, highest, "air", required))
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
