"""The plan: every part of the pack as geometry in millimetres (shapely; no cadquery, no OCP).

``plan_pack`` works in named steps, in the order the parts stack up: the cells in mm, the
enclosure's outline less the keepouts (``_site``), the vertical stack (``_stack``), then the
parts kind by kind (cells, busbars and leads, fuse links, holders or frames, the cold plate, the
enclosure), and last the moved copies that share a solid (``_share_shapes``). The cold plate's
channels are drawn in ``channels``. Everything after the plan (the solids, the STEP and GLB
documents, the preview, the figures) reads the plan only, so the STEP process can rebuild the
same document from the pickled plan.

Coordinates: mm, z up from the enclosure floor's underside.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from battgen.core import ir
from battgen.emit import style
from battgen.emit.cad.parts import Instances, Plan, Prism
from battgen.models import packaging as P
from battgen.passes.channels import coolant_flow as sized_flow
from battgen.passes.drawn import (
    FRAME_CLEARANCE,
    Cells,
    Site,
    Solid,
    Stack,
    busbar_outline,
    clean,
    draw,
    layers_of,
    mm_poly,
)
from battgen.passes.holders import Tiles, holder_tiles
from battgen.passes.layout.types import Layout, PlacedCell
from battgen.passes.routing.types import Busbar, FuseLink, Routing

if TYPE_CHECKING:
    from battgen.passes.bms import Bms

if TYPE_CHECKING:
    import numpy as np
    from shapely.geometry.base import BaseGeometry

# --- design constants (millimetres unless noted) ---------------------------------------------

# Holders are the mass model's (``models.packaging``): the tiles drawn are the ones it weighs.
POCKET_CLEARANCE = P.POCKET_CLEARANCE * 1e3  # radial play of a cell in its holder pocket
HOLDER_THICKNESS = P.HOLDER_THICKNESS * 1e3  # each holder plate; capped at a fifth of the cell height
HOLDER_DENSITY = P.HOLDER_DENSITY  # polycarbonate (Makrolon 2405 data sheet, ISO 1183)
NICKEL_DENSITY = 8908.0  # kg/m³, pure nickel (CRC Handbook), for nickel-strip fuse links

# Colours: the pictures' (``emit.style``), so a module, a cold plate or a fuse link is the same
# colour in layout.svg, busbars.svg, preview.png and pack.glb (sRGB, 0..1); the jacket's layers
# by their material.
PALETTE = tuple(style.rgb(c) for c in style.PALETTE)  # module colours
COLOURS = {kind: style.rgb(colour) for kind, colour in style.PART.items()} | {
    "aluminium": style.rgb(style.PART["enclosure"]),
    "steel": (0.45, 0.47, 0.50),
    "insulation": (0.93, 0.86, 0.55),
}

# Prisms whose outlines match within this after a translation share one solid. 1 µm: ten times
# the 0.1 µm grid ``_clean`` snaps to (translated copies of one outline differ by that rounding)
# and 150 times below the busbar outline's own tolerance, ``BUSBAR_SIMPLIFY``.
SHARE_TOLERANCE = 1e-3


def _density(name: str, materials: Mapping[str, ir.Material], default: float) -> float:
    if name in materials:
        return materials[name].density
    low = name.lower()
    if "nickel" in low:
        return NICKEL_DENSITY
    for key in ("copper", "aluminium"):
        if key in low and key in materials:
            return materials[key].density
    return default


_mm_poly = mm_poly
_clean = clean


# --- the plan ---------------------------------------------------------------------------------


def plan_pack(
    pack: ir.Pack,
    layout: Layout,
    routing: Routing | None,
    materials: Mapping[str, ir.Material],
    coolant_flow: tuple[float, str] | None = None,
    bms: Bms | None = None,
) -> Plan:
    """Every part as geometry (mm), without cadquery. The enclosure, the cold plate and the module
    walls are ``passes.drawn``'s (the geometry the bill of materials weighs, sized by the mass
    model); the cells, busbars, fuse links, holders and the BMS stage's boards and
    sense lines (``bms``, ``_bms_parts``) are drawn here."""
    flow = coolant_flow or sized_flow(pack, layout, routing, materials)
    coolant = materials.get(pack.cooling.coolant)
    from battgen.passes.bms import board_room

    density = coolant.density if coolant else P.COOLANT_DENSITY
    drawn = draw(pack, layout, routing, flow, density, len(layout.modules), board_room(bms))
    placed, site, stack = drawn.placed, drawn.site, drawn.stack
    notes: list[str] = list(drawn.notes)
    busbars = list(routing.busbars) if routing is not None else []
    fuses = list(routing.fuses) if routing is not None else []

    prisms: list[Prism] = []
    cell_inst = _cell_instances(pack, placed, stack)
    plate_top = _busbar_prisms(busbars, placed, stack, site.free, materials, prisms)
    fuse_inst = _fuse_instances(fuses, placed, stack, plate_top, materials, notes)
    extra_instances: list[Instances] = []
    if placed.cyl:
        extra_instances = _holders(placed, stack, site.free, prisms)
    order = {"frame": 0, "cold_plate": 1}
    for solid in sorted(drawn.solids, key=lambda s: order.get(s.kind, 2)):
        prisms.append(_prism(solid))
    cooling = dict(drawn.cooling)
    if drawn.coolant:
        cooling["coolant_mass"] = drawn.coolant
    if bms is not None and "bms" in stack.levels:
        _bms_parts(bms, fuses, stack, prisms, notes)
    _fixtures_and_barriers(pack, layout, materials, placed, stack, site, prisms, notes)

    _share_shapes(prisms)
    return Plan(
        prisms,
        cell_inst,
        fuse_inst,
        extra_instances,
        stack.levels,
        cooling,
        site.region,
        stack.height,
        notes,
        drawn.warnings,
        list(site.spaces),
    )


def _prism(solid: Solid) -> Prism:
    """A drawn solid as a prism, coloured by its kind or material."""
    colour = (
        COLOURS.get(solid.kind) if solid.kind in ("frame", "cold_plate", "gap_filler") else COLOURS.get(solid.material)
    )
    return Prism(
        solid.name,
        solid.kind,
        solid.polygon,
        solid.z0,
        solid.z1,
        solid.circles,
        colour or COLOURS["aluminium"],
        solid.density,
        cut=solid.cut,
        part=solid.part,
    )


# --- the parts, kind by kind ------------------------------------------------------------------


def _cell_instances(pack: ir.Pack, placed: Cells, stack: Stack) -> Instances:
    """The cells: one prototype, placed at every cell, coloured by module."""
    fmt, cyl, h_cell = placed.fmt, placed.cyl, placed.h_cell
    module_colour = {}
    cell_inst = Instances(
        "cell",
        ("cylinder", fmt.diameter * 1e3, h_cell) if cyl else ("box", fmt.width * 1e3, fmt.thickness * 1e3, h_cell),
    )
    cell_inst.unit_mass = pack.cell.mass
    for c in placed.cells:
        key = c.module % len(PALETTE)
        module_colour[c.module] = key
        cell_inst.names.append(f"cell_{c.index:05d}")
        cell_inst.places.append((c.x * 1e3, c.y * 1e3, stack.z_cells + c.z * 1e3, math.degrees(c.rotation), c.axis))
        cell_inst.colour_keys.append(key)
        cell_inst.groups.append(f"{_module(c.module)}_cells")
    cell_inst.colours = list(PALETTE)
    return cell_inst


def _busbar_prisms(
    busbars: list[Busbar],
    placed: Cells,
    stack: Stack,
    free: BaseGeometry,
    materials: Mapping[str, ir.Material],
    prisms: list[Prism],
) -> dict[int, float]:
    """Busbars and leads: each plate extruded on the cell face it names, each pack terminal lead
    on its carrier beyond the plates of that face. Returns the top of the top plate over each
    cell (where its fuse link lies)."""
    cells, zc, h_cell, z_cells = placed.cells, placed.zc, placed.h_cell, stack.z_cells
    by_group: dict[int, list[int]] = {}
    for i, c in enumerate(cells):
        by_group.setdefault(c.group, []).append(i)
    plate_top: dict[int, float] = {}
    for b in busbars:
        idx = [i for g in b.groups for i in by_group.get(g, [])]
        if b.z == "top":
            face = max((z_cells + zc[i] + h_cell for i in idx), default=stack.z_top)
        else:
            face = min((z_cells + zc[i] for i in idx), default=z_cells)
        t = b.thickness * 1e3
        if b.path:  # insulated lead on a carrier beyond the plates
            off = stack.plates_t[b.z] + (stack.top_gap if b.z == "top" else stack.bottom_gap)
            z0, z1 = (face + off, face + off + t) if b.z == "top" else (face - off - t, face - off)
            kind, name = "lead", f"lead_{b.index:03d}"
        else:
            z0, z1 = (face, face + t) if b.z == "top" else (face - t, face)
            kind, name = "busbar", f"busbar_{b.index:03d}"
            if b.z == "top":
                for i in idx:
                    plate_top[i] = max(plate_top.get(i, 0.0), z1)
        colour = COLOURS["busbar_al"] if "alumin" in b.material.lower() else COLOURS["busbar"]
        if kind == "lead":
            colour = COLOURS["lead"]
        outline = busbar_outline(b, free)  # the drawn plate the bill of materials weighs
        if outline is None:
            continue
        prisms.append(
            Prism(
                name,
                kind,
                outline,
                z0,
                z1,
                colour=colour,
                density=_density(b.material, materials, 2700.0),
                group=_busbar_group(b, kind, cells, by_group),
                part="busbars",
            )
        )
    return plate_top


def _module(index: int) -> str:
    """A module's name in the assembly: M1, M2, … as the pictures label it."""
    return f"M{index + 1}"


def _busbar_group(b: Busbar, kind: str, cells: tuple[PlacedCell, ...], by_group: dict[int, list[int]]) -> str:
    """The sub-assembly a busbar goes in (named nodes in pack.glb and pack.step): its module's
    plates, the links between modules, the terminal plates, the leads."""
    if kind == "lead":
        return "leads"
    if b.kind == "terminal":
        return "terminals"
    if b.kind == "module_link":
        return "module_links"
    members = by_group.get(min(b.groups), [])
    return f"{_module(cells[members[0]].module)}_busbars" if members else "module_links"


def _fuse_instances(
    fuses: list[FuseLink],
    placed: Cells,
    stack: Stack,
    plate_top: dict[int, float],
    materials: Mapping[str, ir.Material],
    notes: list[str],
) -> Instances | None:
    """Fuse links: on the top plate over their cell, all drawn with the first one's geometry."""
    if not fuses:
        return None
    cells = placed.cells
    f0 = fuses[0]
    proto: tuple
    if f0.kind == "wire_bond":
        proto = ("wire", f0.diameter * 1e3, f0.length * 1e3)
    else:
        proto = ("strip", f0.width * 1e3, f0.thickness * 1e3, f0.length * 1e3)
    fuse_inst = Instances("fuse", proto, density=_density(f0.material, materials, 2705.0))
    fuse_inst.colours = [COLOURS["fuse"]]
    for fz in fuses:
        c = cells[fz.cell]
        base = plate_top.get(fz.cell, stack.z_cells + c.z * 1e3 + placed.h_cell)
        fuse_inst.names.append(f"fuse_{fz.cell:05d}")
        fuse_inst.places.append((c.x * 1e3, c.y * 1e3, base, 0.0, "z"))
        fuse_inst.colour_keys.append(0)
        fuse_inst.groups.append(f"{_module(c.module)}_fuses")
    if len({(f.kind, f.diameter, f.width, f.thickness, f.length) for f in fuses}) > 1:
        notes.append("fuse links differ in size; all are drawn with the first one's geometry")
    return fuse_inst


def _holders(placed: Cells, stack: Stack, free: BaseGeometry, prisms: list[Prism]) -> list[Instances]:
    """Holders (cylindrical cells). A holder plate per module at each cell end, built from lattice
    tiles (``passes.holders.holder_tiles``: each cell's Voronoi cell of the lattice with its pocket,
    the geometry the bill of materials weighs). Tiles of neighbours meet edge to edge, so a
    module's tiles form one plate; identical tiles are instances of ONE solid (a plate with
    hundreds of exact holes costs minutes in STEP/GLB), tiles cut by a wall, a keepout or an
    irregular neighbour are solids of their own (appended to ``prisms``). Returns the instanced
    tiles (none, or one ``Instances``)."""
    tiles = holder_tiles(placed, free)
    holder_inst = _whole_tiles(tiles.proto, placed, stack, tiles.pocket, tiles.thickness, tiles.ok)
    _cut_tiles(placed, stack, tiles, prisms)
    return [holder_inst] if holder_inst.names else []


def _plate_name(cell: PlacedCell, z: float, layers: list[float]) -> str:
    """The holder plate (sub-assembly) of a cell's tiles: its module, and its layer if several."""
    return f"{_module(cell.module)}_holder" + (f"_L{layers.index(round(z, 6))}" if len(layers) > 1 else "")


def _whole_tiles(
    proto: BaseGeometry, placed: Cells, stack: Stack, pocket: float, t_h: float, ok: np.ndarray
) -> Instances:
    """The whole tiles as instances of one tile, at the bottom and the top end of their cell."""
    import numpy as np

    xy, zc, cells, z_cells = placed.xy, placed.zc, placed.cells, stack.z_cells
    layers = layers_of(zc)
    holder_inst = Instances("holder", ("tile", tuple(proto.exterior.coords)[:-1], pocket, t_h), density=HOLDER_DENSITY)
    holder_inst.colours = [COLOURS["holder"]]
    for i in np.flatnonzero(ok):
        c = cells[i]
        base = _plate_name(c, zc[i], layers)
        for end, z0 in (("bottom", z_cells + zc[i]), ("top", z_cells + zc[i] + placed.h_cell - t_h)):
            holder_inst.names.append(f"tile_{end}_{c.index:05d}")
            holder_inst.places.append((float(xy[i, 0]), float(xy[i, 1]), float(z0), 0.0, "z"))
            holder_inst.colour_keys.append(0)
            holder_inst.groups.append(f"{base}_{end}")
    return holder_inst


def _cut_tiles(placed: Cells, stack: Stack, tiles: Tiles, prisms: list[Prism]) -> None:
    """The cut tiles (``Tiles.cut``) as prisms of their own, at the bottom and the top end of their
    cell: their pocket an exact circle when the cut left it whole, else cut from the outline."""
    zc, cells, h_cell, z_cells = placed.zc, placed.cells, placed.h_cell, stack.z_cells
    layers = layers_of(zc)
    t_h = tiles.thickness
    for i, tile, circles in tiles.cut:
        c = cells[i]
        base = _plate_name(c, zc[i], layers)
        zb = z_cells + float(zc[i])
        prisms.append(
            Prism(
                f"tile_bottom_{c.index:05d}",
                "holder",
                tile,
                zb,
                zb + t_h,
                circles,
                COLOURS["holder"],
                HOLDER_DENSITY,
                group=f"{base}_bottom",
            )
        )
        prisms.append(
            Prism(
                f"tile_top_{c.index:05d}",
                "holder",
                tile,
                zb + h_cell - t_h,
                zb + h_cell,
                circles,
                COLOURS["holder"],
                HOLDER_DENSITY,
                group=f"{base}_top",
            )
        )


SENSE_STRIP = (2.0, 0.2)  # mm: a sense line drawn as a flat strip (width, thickness) of a flexible harness
SENSE_GAP = 0.05  # mm between the fuse links, the two harness layers and the leads' carrier above


def _bms_parts(bms: Bms, fuses: list[FuseLink], stack: Stack, prisms: list[Prism], notes: list[str]) -> None:
    """The BMS stage's front-end boards, above everything on the cells' top (on standoffs, with
    ``passes.bms.BOARD_HEIGHT`` of room), and its sense lines: a flat harness per front end, its
    lines' strips along their routed paths (its mass the copper wire's). The boards stand at
    the stack's ``bms`` level, the room ``passes.drawn.stack`` keeps for them under the lid."""
    from shapely.geometry import LineString, box
    from shapely.ops import unary_union

    from battgen.passes import bms as bms_pass

    fuse_h = max([f.diameter * 1e3 if f.kind == "wire_bond" else f.thickness * 1e3 for f in fuses], default=0.0)
    plates_top = stack.z_top + stack.plates_t["top"]
    z0 = stack.levels["bms"]  # the room the drawn stack keeps for them (``passes.bms.board_room``)
    rho_board = bms_pass.FR4_DENSITY
    for board in bms.boards:
        (x, y), (w, d) = board.centre, board.size
        outline = box((x - w / 2) * 1e3, (y - d / 2) * 1e3, (x + w / 2) * 1e3, (y + d / 2) * 1e3)
        prisms.append(
            Prism(
                f"bms_board_{board.index:02d}",
                "bms_board",
                outline,
                z0,
                z0 + bms_pass.BOARD_THICKNESS * 1e3,
                (),
                COLOURS["bms_board"],
                rho_board,
                part="front-end boards",
            )
        )
    width, thick = SENSE_STRIP
    by_board: dict[int, list] = {}
    for line in bms.sense_lines:
        by_board.setdefault(line.front_end, []).append(line)
    for front_end, lines in sorted(by_board.items()):
        strips = []
        for line in lines:
            path = LineString([(px * 1e3, py * 1e3) for px, py in line.path])
            if path.length > width:
                strips.append(path.buffer(width / 2, cap_style="flat", join_style="mitre"))
            else:  # the board sits over its tap: the line is a pad there
                tx, ty = line.path[-1]
                strips.append(box(tx * 1e3 - width, ty * 1e3 - width, tx * 1e3 + width, ty * 1e3 + width))
        harness = unary_union(clean(unary_union(strips), 0.01))
        if harness.is_empty:
            continue
        # over the fuse links, under the leads' carrier; neighbouring front ends' harnesses (which
        # may tap one busbar) on alternate layers
        layer = plates_top + fuse_h + SENSE_GAP + (front_end % 2) * (thick + SENSE_GAP)
        length = sum(s.length for s in lines)  # m of wire, the rises included
        prisms.append(
            Prism(
                f"sense_harness_{front_end:02d}",
                "sense_harness",
                harness,
                layer,
                layer + thick,
                (),
                COLOURS["sense_harness"],
                bms_pass.COPPER_DENSITY * bms_pass.SENSE_WIRE * length * 1e9 / (harness.area * thick)
                if harness.area
                else 0.0,
                part="sense lines",
            )
        )
    if any(line.face == "bottom" for line in bms.sense_lines):
        notes.append("sense lines to bottom busbars are drawn on the top face; their drop down the module side is not")


def _fixtures_and_barriers(
    pack: ir.Pack,
    layout: Layout,
    materials: Mapping[str, ir.Material],
    placed: Cells,
    stack: Stack,
    site: Site,
    prisms: list[Prism],
    notes: list[str],
) -> None:
    """The structure and safety stages' parts (the same designs they analyse and the BOM
    weighs): each stack of flat cells' two end plates, across it at both ends, outside the
    module frames, and its two bands around them; the barrier's sheets between modules. The layout
    reserves no room for them: a part that reaches into a neighbour's cells is noted."""
    import numpy as np
    import shapely

    from battgen.passes.safety import barriers
    from battgen.passes.structure import compression

    comp = compression.design(pack, layout, materials)
    clash = 0
    feet = shapely.union_all(placed.feet) if comp.fixtures else None
    for f in comp.fixtures:
        mine = np.zeros(len(placed.cells), dtype=bool)
        mine[list(f.cells)] = True
        rot = placed.cells[f.cells[0]].rotation
        u, n = np.array([math.cos(rot), math.sin(rot)]), np.array([-math.sin(rot), math.cos(rot)])
        xy = placed.xy[mine]
        a, b = xy @ u, xy @ n
        half_w, half_t = placed.fmt.width * 1e3 / 2, placed.fmt.thickness * 1e3 / 2
        u0, u1, n0, n1 = a.min() - half_w, a.max() + half_w, b.min() - half_t, b.max() + half_t
        tp, tb, wb = f.plate_thickness * 1e3, f.band_thickness * 1e3, f.band_width * 1e3
        z0 = stack.z_cells + float(placed.zc[mine].min())

        def frame(p0: float, p1: float, q0: float, q1: float, u=u, n=n):  # a rectangle in the (u, n) axes
            corners = [(p0, q0), (p1, q0), (p1, q1), (p0, q1)]
            return shapely.Polygon([tuple(float(v) for v in p * u + q * n) for p, q in corners])

        frame_wall = P.MODULE_WALL * 1e3  # the drawn module walls' (``passes.drawn.module_walls``)
        gap = FRAME_CLEARANCE + frame_wall + 0.5  # outside the module frame's ring
        plates = [frame(u0, u1, n0 - tp - gap, n0 - gap), frame(u0, u1, n1 + gap, n1 + tp + gap)]
        for k, plate in enumerate(plates):
            clash += int(plate.intersects(feet))
            prisms.append(
                Prism(
                    f"end_plate_{f.stack:03d}_{k}",
                    "end_plate",
                    plate,
                    z0,
                    z0 + placed.h_cell,
                    (),
                    COLOURS["frame"],
                    _density(f.plate_material, materials, 2700.0),
                )
            )
        rim = FRAME_CLEARANCE + frame_wall  # the bands go round the frame's side walls
        outer = frame(u0 - rim - tb, u1 + rim + tb, n0 - tp - gap - tb, n1 + tp + gap + tb)
        inner = frame(u0 - rim, u1 + rim, n0 - tp - gap, n1 + tp + gap)
        ring = outer.difference(inner)
        for k, zc in enumerate((0.25, 0.75)):
            zb = z0 + zc * placed.h_cell - wb / 2
            prisms.append(
                Prism(
                    f"band_{f.stack:03d}_{k}",
                    "band",
                    ring,
                    zb,
                    zb + wb,
                    (),
                    COLOURS["busbar_al"],
                    _density(f.band_material, materials, 7850.0),
                )
            )
    if clash:
        notes.append(
            f"{clash} end plate(s) reach into a neighbouring module's cells: the layout reserves no room for them"
        )
    sheets = barriers.design(pack, layout)
    if sheets is None:
        return
    if sheets.between != "modules":
        notes.append(f"barrier between cells ({sheets.material}): weighed in the BOM, not drawn")
        return
    rho = pack.barrier.material.density if pack.barrier is not None else 200.0
    for k, outline in enumerate(sheets.outlines):
        poly = shapely.affinity.scale(outline, 1e3, 1e3, origin=(0, 0))
        parts = clean(poly.intersection(site.free), 0.5)
        if parts:
            from shapely.ops import unary_union

            prisms.append(
                Prism(
                    f"barrier_{k:02d}",
                    "barrier",
                    unary_union(parts),
                    stack.z_cells,
                    stack.z_cells + placed.h_cell,
                    (),
                    (0.95, 0.95, 0.90),
                    rho,
                )
            )


# --- shared shapes ----------------------------------------------------------------------------


def _share_shapes(prisms: list[Prism]) -> None:
    """Make translated copies instances of the first of their shape (``instance_of``, ``shift``).

    The STEP writer's time (and the file) grows with the B-rep faces written, and a prism has a
    face per outline edge: busbars of one module repeat with the lattice's period (97 plates of
    the 96s46p pack are 47 shapes) and wall-cut holder tiles are mirror-free copies along each
    wall (60 are 4 shapes); the top tile of each cut tile is its bottom one moved up. Each
    instance keeps its own name, place, polygon (volume, mass, bounds) and colour."""
    import numpy as np
    import shapely

    bases: dict[tuple, list] = {}
    for p in prisms:
        if p.cut is not None:
            continue
        poly = shapely.normalize(p.polygon)  # canonical ring order and start vertex
        rings = shapely.get_rings(shapely.get_parts(poly))
        pts = np.vstack([shapely.get_coordinates(poly), np.array([c[:2] for c in p.circles]).reshape(-1, 2)])
        key = (
            p.kind,
            p.colour,
            p.density,
            round(p.z1 - p.z0, 6),
            tuple(shapely.get_num_coordinates(rings).tolist()),
            tuple(round(c[2], 6) for c in p.circles),
        )
        for base, base_pts in bases.get(key, ()):
            d = pts - base_pts
            shift = d.mean(axis=0)
            if np.abs(d - shift).max() <= SHARE_TOLERANCE:
                p.instance_of = base.name
                p.shift = (float(shift[0]), float(shift[1]), float(p.z0 - base.z0))
                break
        else:
            bases.setdefault(key, []).append((p, pts))
