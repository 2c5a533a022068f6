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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from battgen.core import ir
from battgen.emit.cad.channels import _channels, _coolant_flow
from battgen.emit.cad.parts import Instances, Plan, Prism

# The cold plate's design rules live with the heat analysis that checks them (one plate drawn
# and analysed): skin, channel depth, rim, TIM gap (the channels' in ``channels``).
from battgen.passes.heat import CHANNEL_HEIGHT, COLD_PLATE_SKIN, PLATE_RIM, TIM_GAP
from battgen.passes.layout.types import Layout, PlacedCell
from battgen.passes.routing.types import Busbar, FuseLink, Routing

if TYPE_CHECKING:
    import numpy as np
    import shapely
    from shapely.geometry.base import BaseGeometry

# --- design constants (millimetres unless noted) ---------------------------------------------

POCKET_CLEARANCE = 0.2  # radial play of a cell in its holder pocket (design assumption)
HOLDER_RIM = 2.0  # holder plate beyond the outermost cells
HOLDER_THICKNESS = 5.0  # each holder plate; capped at a fifth of the cell height
FRAME_THICKNESS = 4.0  # prismatic/pouch module frame (side and end plates)
FRAME_CLEARANCE = 0.3
CARRIER_GAP = 1.0  # insulated carrier between the plates and the pack terminal leads
LID_CLEARANCE = 1.0
BUSBAR_SIMPLIFY = 0.15  # mm, busbar outline tolerance (routing's arcs have 0.01 mm sagitta)
FLANGE_WIDTH = 20.0
FLANGE_BOLT = 8.5  # clearance hole for M8
FLANGE_PITCH = 150.0  # bolt spacing along the flange
# Cell holder plastic: polycarbonate, 1.20 g/cm³ (typical PC grades, e.g. Makrolon 2405 data
# sheet, ISO 1183); an estimate, the material library has no plastics.
HOLDER_DENSITY = 1200.0
NICKEL_DENSITY = 8908.0  # kg/m³, pure nickel (CRC Handbook), for nickel-strip fuse links

PALETTE = (  # module colours (tab10-like), RGB 0..1
    (0.12, 0.47, 0.71),
    (1.00, 0.50, 0.05),
    (0.17, 0.63, 0.17),
    (0.84, 0.15, 0.16),
    (0.58, 0.40, 0.74),
    (0.55, 0.34, 0.29),
    (0.89, 0.47, 0.76),
    (0.50, 0.50, 0.50),
    (0.74, 0.74, 0.13),
    (0.09, 0.75, 0.81),
)
COLOURS = {
    "busbar": (0.85, 0.55, 0.20),  # copper-ish; aluminium busbars get a grey below
    "busbar_al": (0.78, 0.80, 0.82),
    "lead": (0.90, 0.20, 0.15),
    "fuse": (0.95, 0.85, 0.30),
    "holder": (0.15, 0.15, 0.15),
    "frame": (0.55, 0.57, 0.60),
    "cold_plate": (0.30, 0.55, 0.85),
    "enclosure": (0.70, 0.72, 0.75),
    "lid": (0.70, 0.72, 0.75),
    "flange": (0.60, 0.62, 0.65),
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


def _mm_poly(
    points: tuple[tuple[float, float], ...] | list[tuple[float, float]],
    holes: tuple[tuple[tuple[float, float], ...], ...] = (),
) -> BaseGeometry:
    from shapely.geometry import Polygon

    return Polygon([(x * 1e3, y * 1e3) for x, y in points], [[(x * 1e3, y * 1e3) for x, y in h] for h in holes])


def _clean(geom: BaseGeometry | None, min_area: float = 0.5) -> list[BaseGeometry]:
    """Polygon parts of ``geom`` above ``min_area`` mm², valid, as a list."""
    import shapely

    if geom is None or geom.is_empty:
        return []
    geom = shapely.make_valid(geom) if not geom.is_valid else geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > min_area]
    out: list[BaseGeometry] = []
    for p in parts:
        p = shapely.set_precision(p, 1e-4)  # 0.1 µm grid: stable, deterministic vertices
        out.extend(q for q in shapely.get_parts(p) if q.geom_type == "Polygon" and q.area > min_area)
    return out


# --- the steps' shared figures ----------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    """The placed cells in mm: centres ``xy`` (N, 2), bottoms ``zc`` (N,) above the cell level,
    footprints ``feet`` (shapely, one per cell) and the footprint's half-size ``r_foot``."""

    cells: tuple[PlacedCell, ...]
    fmt: ir.CellFormat
    cyl: bool
    h_cell: float
    xy: np.ndarray
    zc: np.ndarray
    feet: np.ndarray
    r_foot: float


@dataclass(frozen=True)
class _Site:
    """Where the pack goes, mm: the envelope's ``outline``, ``region`` (the outline less the
    keepouts), ``free`` (inside the wall clearance: holders, cold plate), the wall clearance
    ``wall``, the side walls' sheet ``side_sheet`` and the envelope's height (0: none)."""

    outline: BaseGeometry
    region: BaseGeometry
    free: BaseGeometry
    wall: float
    side_sheet: float
    env_height: float


@dataclass(frozen=True)
class _Stack:
    """The vertical stack, mm: ``levels`` (``Plan.stack``: floor, cold plate, cells, cell top,
    lid, top), the plates' and leads' thickness on each face, the carrier gaps, the cooled side
    and the cold plate's thickness, and the enclosure's height."""

    levels: dict[str, float]
    z_cells: float
    z_top: float
    plates_t: dict[str, float]
    leads_t: dict[str, float]
    top_gap: float
    bottom_gap: float
    side: str | None
    t_cp: float
    height: float


# --- the plan ---------------------------------------------------------------------------------


def plan_pack(
    pack: ir.Pack,
    layout: Layout,
    routing: Routing | None,
    materials: Mapping[str, ir.Material],
    coolant_flow: tuple[float, str] | None = None,
) -> Plan:
    """Every part as geometry (mm), without cadquery. The enclosure is ``pack.enclosure``'s
    material and sheet (``models.packaging.enclosure_wall``: the estimate uses the same)."""
    from battgen.models.packaging import enclosure_wall

    rho_box, sheet = enclosure_wall(pack.enclosure)
    sheet *= 1e3  # mm: floor, lid and wall sheet (the envelope's `wall` is the clearance to the cells)
    rho_al = _density("aluminium_6061", materials, 2700.0)
    notes: list[str] = []
    warnings: list[tuple[str, str]] = []
    placed = _cells_mm(pack, layout)
    site = _site(pack, layout, placed, sheet, notes)
    busbars = list(routing.busbars) if routing is not None else []
    fuses = list(routing.fuses) if routing is not None else []
    stack = _stack(pack, placed, busbars, fuses, sheet, site.env_height, warnings)

    prisms: list[Prism] = []
    cell_inst = _cell_instances(pack, placed, stack)
    plate_top = _busbar_prisms(busbars, placed, stack, site.free, materials, prisms)
    fuse_inst = _fuse_instances(fuses, placed, stack, plate_top, materials, notes)
    extra_instances: list[Instances] = []
    if placed.cyl:
        extra_instances = _holders(placed, stack, site.free, prisms)
    else:
        _frames(placed, stack, site.free, rho_al, prisms, notes)
    cooling = _cold_plate(pack, layout, routing, materials, coolant_flow, placed, stack, site, rho_al, prisms, notes)
    _enclosure(site, stack, sheet, rho_box, prisms)
    _fixtures_and_barriers(pack, layout, materials, placed, stack, site, prisms, notes)

    _share_shapes(prisms)
    return Plan(
        prisms, cell_inst, fuse_inst, extra_instances, stack.levels, cooling, site.region, stack.height, notes, warnings
    )


def _cells_mm(pack: ir.Pack, layout: Layout) -> _Cells:
    """The placed cells in mm, with their footprints (circles, or rotated rectangles)."""
    import numpy as np
    import shapely
    from shapely.geometry import box

    fmt = pack.cell.format
    cyl = fmt.kind == "cylindrical"
    cells = layout.cells
    xy = np.array([(c.x * 1e3, c.y * 1e3) for c in cells]) if cells else np.zeros((0, 2))
    zc = np.array([c.z * 1e3 for c in cells]) if cells else np.zeros(0)
    if cyl:
        feet = shapely.buffer(shapely.points(xy), fmt.diameter * 1e3 / 2, quad_segs=8)
    else:
        w, t = fmt.width * 1e3, fmt.thickness * 1e3
        feet = np.array(
            [
                shapely.affinity.rotate(
                    box(x - w / 2, y - t / 2, x + w / 2, y + t / 2), c.rotation, origin=(x, y), use_radians=True
                )
                for (x, y), c in zip(xy, cells)
            ]
        )
    r_foot = max(layout.footprint) * 1e3 / 2
    return _Cells(cells, fmt, cyl, fmt.height * 1e3, xy, zc, feet, r_foot)


def _site(pack: ir.Pack, layout: Layout, placed: _Cells, sheet: float, notes: list[str]) -> _Site:
    """Outline, keepouts, wall: the envelope's outline less its keepouts (a keepout the cells
    come within a wall of keeps the wall inside its edge), or a box around the cells."""
    import shapely
    from shapely.geometry import box
    from shapely.ops import unary_union

    xy, feet = placed.xy, placed.feet
    env = pack.envelope
    if env is not None:
        outline = _mm_poly(env.outline.vertices(16))
        wall = env.wall * 1e3 if env.wall > 0 else 2.0
        env_height = env.height * 1e3
        keep = [(k.name, _mm_poly(k.shape.vertices(16))) for k in env.keepouts]
    else:  # no envelope: a box around the cells
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        half = max(layout.footprint) * 1e3 / 2
        wall = 3.0
        outline = box(
            lo[0] - half - wall - 2, lo[1] - half - wall - 2, hi[0] + half + wall + 2, hi[1] + half + wall + 2
        )
        env_height = 0.0
        keep = []
        notes.append("no envelope declared: the enclosure is a box around the cells")
    removed = []
    for name, k in keep:
        # the distance to the nearest cell (the union of the feet would take a second to make)
        gap = float(shapely.distance(feet, k).min()) if len(feet) else math.inf
        if gap >= wall + 0.1:
            removed.append(k)  # wall just outside the keepout, in the pack
        else:
            removed.append(k.buffer(-wall, join_style="mitre"))  # no room: the wall takes the keepout's edge
            notes.append(
                f"keepout `{name}`: cells come within {gap:.1f} mm, so its {wall:g} mm wall lies inside "
                "the keepout's edge"
            )
    region = outline.difference(unary_union(removed)) if removed else outline
    region = _clean(region)
    region = unary_union(region)
    inner = region.buffer(-wall, join_style="mitre")
    free = inner  # holders, cold plate: inside the wall clearance
    if sheet > wall + 1e-9:
        notes.append(
            f"enclosure sheet {sheet:.2f} mm is thicker than the envelope's {wall:g} mm wall clearance: "
            f"the side walls are {wall:g} mm"
        )
    side_sheet = min(sheet, wall)
    return _Site(outline, region, free, wall, side_sheet, env_height)


def _stack(
    pack: ir.Pack,
    placed: _Cells,
    busbars: list[Busbar],
    fuses: list[FuseLink],
    sheet: float,
    env_height: float,
    warnings: list[tuple[str, str]],
) -> _Stack:
    """The vertical stack, bottom to top: floor · cold plate (bottom cooling) · ``TIM_GAP`` ·
    bottom leads / carrier · bottom busbars · cells · top busbars · fuse links · carrier / top
    leads · cold plate (top cooling) · ``LID_CLEARANCE`` · lid; a W401 warning if it is taller
    than the envelope (the enclosure grows to fit)."""
    zc, h_cell = placed.zc, placed.h_cell
    env = pack.envelope
    plates_t = {
        f: max([b.thickness * 1e3 for b in busbars if b.z == f and not b.path], default=0.0) for f in ("top", "bottom")
    }
    leads_t = {
        f: max([b.thickness * 1e3 for b in busbars if b.z == f and b.path], default=0.0) for f in ("top", "bottom")
    }
    fuse_h = 0.0
    for fz in fuses:
        fuse_h = max(fuse_h, fz.diameter * 1e3 if fz.kind == "wire_bond" else fz.thickness * 1e3)
    side = pack.cooling.side if pack.cooling.kind == "cold_plate" else None
    t_cp = 2 * COLD_PLATE_SKIN + CHANNEL_HEIGHT
    z = sheet
    stack = {"floor": 0.0}
    if side == "bottom":
        stack["cold_plate"] = z
        z += t_cp + TIM_GAP
    bottom_gap = CARRIER_GAP if leads_t["bottom"] else 0.0
    z += leads_t["bottom"] + bottom_gap + plates_t["bottom"]
    z_cells = z
    stack["cells"] = z_cells
    z_top = z_cells + (float(zc.max()) if len(zc) else 0.0) + h_cell
    stack["cell_top"] = z_top
    top_gap = max(CARRIER_GAP, fuse_h + 0.5) if leads_t["top"] else 0.0
    z = z_top + plates_t["top"] + (fuse_h if not leads_t["top"] else 0.0) + top_gap + leads_t["top"]
    if side == "top":
        z += TIM_GAP
        stack["cold_plate"] = z
        z += t_cp
    z += LID_CLEARANCE
    need = z + sheet
    height = max(env_height, need)
    if env is not None and need > env_height + 1e-6:
        warnings.append(
            (
                (
                    f"the pack stack needs {need:.1f} mm (floor, cooling, busbars, {h_cell:.1f} mm cells, lid) "
                    f"but envelope `{env.name}` is {env_height:.1f} mm high; the enclosure was made {need:.1f} mm high"
                ),
                "raise the envelope height or use thinner busbars/cooling",
            )
        )
    stack["lid"] = height - sheet
    stack["top"] = height
    return _Stack(stack, z_cells, z_top, plates_t, leads_t, top_gap, bottom_gap, side, t_cp, height)


# --- the parts, kind by kind ------------------------------------------------------------------


def _cell_instances(pack: ir.Pack, placed: _Cells, stack: _Stack) -> Instances:
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
        cell_inst.groups.append(f"module_{c.module:02d}")
    cell_inst.colours = list(PALETTE)
    return cell_inst


def _busbar_prisms(
    busbars: list[Busbar],
    placed: _Cells,
    stack: _Stack,
    free: BaseGeometry,
    materials: Mapping[str, ir.Material],
    prisms: list[Prism],
) -> dict[int, float]:
    """Busbars and leads: each plate extruded on the cell face it names, each pack terminal lead
    on its carrier beyond the plates of that face. Returns the top of the top plate over each
    cell (where its fuse link lies)."""
    from shapely.ops import unary_union

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
        poly = _mm_poly(b.polygon, b.holes)
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
        # routing's plates may reach past the walls; arcs simplified to 0.15 mm (each polygon
        # edge is a B-rep face: STEP/GLB time grows with their number)
        parts = _clean(poly.intersection(free).simplify(BUSBAR_SIMPLIFY), 1e-3)
        if not parts:
            continue
        prisms.append(
            Prism(
                name, kind, unary_union(parts), z0, z1, colour=colour, density=_density(b.material, materials, 2700.0)
            )
        )
    return plate_top


def _fuse_instances(
    fuses: list[FuseLink],
    placed: _Cells,
    stack: _Stack,
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
        fuse_inst.groups.append(None)
    if len({(f.kind, f.diameter, f.width, f.thickness, f.length) for f in fuses}) > 1:
        notes.append("fuse links differ in size; all are drawn with the first one's geometry")
    return fuse_inst


def _layers(zc: np.ndarray) -> list[float]:
    """The distinct cell layers' bottoms, mm (rounded to 1 nm), lowest first."""
    import numpy as np

    return sorted(set(np.round(zc, 6).tolist())) if len(zc) else []


def _holders(placed: _Cells, stack: _Stack, free: BaseGeometry, prisms: list[Prism]) -> list[Instances]:
    """Holders (cylindrical cells). A holder plate per module at each cell end, built from lattice
    tiles: each cell's Voronoi cell of the lattice with its pocket. Tiles of neighbours meet edge
    to edge, so a module's tiles form one plate; identical tiles are instances of ONE solid (a
    plate with hundreds of exact holes costs minutes in STEP/GLB), tiles cut by a wall, a keepout
    or an irregular neighbour are solids of their own (appended to ``prisms``). Returns the
    instanced tiles (none, or one ``Instances``)."""
    r = placed.fmt.diameter * 1e3 / 2
    t_h = min(HOLDER_THICKNESS, placed.h_cell / 5)
    pocket = r + POCKET_CLEARANCE
    proto = _lattice_tile(placed.xy, r)
    tiles, ok, tree = _place_tiles(proto, placed, free)
    holder_inst = _whole_tiles(proto, placed, stack, pocket, t_h, ok)
    _cut_tiles(placed, stack, free, pocket, t_h, tiles, ok, tree, prisms)
    return [holder_inst] if holder_inst.names else []


def _lattice_tile(xy: np.ndarray, r: float) -> BaseGeometry:
    """The holder tile of one lattice site (mm, centred on the origin): the Voronoi cell of the
    best-surrounded cell among its neighbours, capped by a disc ``HOLDER_RIM`` beyond the cell
    when it has few neighbours (small packs)."""
    import numpy as np
    import shapely
    from shapely.geometry import MultiPoint, Point

    if len(xy) < 2:
        return shapely.set_precision(Point(0, 0).buffer(r + HOLDER_RIM, quad_segs=8), 1e-4)
    tree = shapely.STRtree(shapely.points(xy))
    d_near = np.sort(np.hypot(*(xy[None, :8] - xy[:, None, :8]).transpose(2, 0, 1)), axis=1)
    pitch = float(np.median(d_near[:, 1])) if d_near.shape[1] > 1 else 2 * r
    counts = np.array([len(tree.query(Point(p).buffer(1.2 * pitch))) for p in xy[: min(len(xy), 400)]])
    best = int(np.argmax(counts))
    near = tree.query(Point(xy[best]).buffer(2.1 * pitch))
    pts = xy[near] - xy[best]
    cells = shapely.get_parts(
        shapely.voronoi_polygons(MultiPoint(pts), extend_to=shapely.box(-4 * pitch, -4 * pitch, 4 * pitch, 4 * pitch))
    )
    tile = next(c for c in cells if c.contains(Point(0, 0)))
    reach = max(math.hypot(x, y) for x, y in tile.exterior.coords)
    if counts[best] < 7 or reach > 1.2 * pitch:  # not surrounded: cap with a rim
        tile = tile.intersection(Point(0, 0).buffer(r + HOLDER_RIM, quad_segs=8))
    tile = shapely.set_precision(tile.buffer(-0.01, join_style="mitre"), 1e-4)  # 10 µm apart: neighbours never overlap
    return tile


def _place_tiles(
    proto: BaseGeometry, placed: _Cells, free: BaseGeometry
) -> tuple[np.ndarray, np.ndarray, shapely.STRtree]:
    """The tile moved to every cell, and which of them are whole (``ok``: inside the free space
    and overlapping no neighbour on the same layer), with a tree of the tiles."""
    import numpy as np
    import shapely

    xy, zc = placed.xy, placed.zc
    if proto.geom_type == "Polygon" and not proto.interiors:  # one ring: moved copies in one call
        tiles = shapely.polygons(np.asarray(proto.exterior.coords)[None] + xy[:, None])
    else:
        tiles = np.array([shapely.affinity.translate(proto, x, y) for x, y in xy]) if len(xy) else np.array([])
    ok = shapely.contains(free, tiles) if len(tiles) else np.zeros(0, bool)
    tree = shapely.STRtree(tiles)
    a_idx, b_idx = tree.query(tiles, predicate="intersects")
    pair = (a_idx < b_idx) & np.isclose(zc[a_idx], zc[b_idx])
    a_idx, b_idx = a_idx[pair], b_idx[pair]
    if len(a_idx):
        overlap = shapely.area(shapely.intersection(tiles[a_idx], tiles[b_idx])) > 1e-3
        ok[a_idx[overlap]] = False
        ok[b_idx[overlap]] = False
    return tiles, ok, tree


def _plate_name(cell: PlacedCell, z: float, layers: list[float]) -> str:
    """The holder plate (sub-assembly) of a cell's tiles: its module, and its layer if several."""
    return f"holder_{cell.module:02d}" + (f"_L{layers.index(round(z, 6))}" if len(layers) > 1 else "")


def _whole_tiles(
    proto: BaseGeometry, placed: _Cells, stack: _Stack, pocket: float, t_h: float, ok: np.ndarray
) -> Instances:
    """The whole tiles as instances of one tile, at the bottom and the top end of their cell."""
    import numpy as np

    xy, zc, cells, z_cells = placed.xy, placed.zc, placed.cells, stack.z_cells
    layers = _layers(zc)
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


def _cut_tiles(
    placed: _Cells,
    stack: _Stack,
    free: BaseGeometry,
    pocket: float,
    t_h: float,
    tiles: np.ndarray,
    ok: np.ndarray,
    tree: shapely.STRtree,
    prisms: list[Prism],
) -> None:
    """The other tiles, cut by the free space and their neighbours (whole ones and those cut
    before them), as prisms of their own: their pocket an exact circle when the cut leaves it
    whole, else cut from the outline."""
    import numpy as np
    import shapely
    from shapely.geometry import Point
    from shapely.ops import unary_union

    xy, zc, cells, h_cell, z_cells = placed.xy, placed.zc, placed.cells, placed.h_cell, stack.z_cells
    layers = _layers(zc)
    pockets_poly = shapely.buffer(shapely.points(xy), pocket, quad_segs=16)
    final = {int(i): tiles[i] for i in np.flatnonzero(ok)}
    for i in np.flatnonzero(~ok):
        c = cells[i]
        near = [int(j) for j in tree.query(tiles[i].buffer(pocket)) if j != i and np.isclose(zc[j], zc[i])]
        tile = tiles[i].intersection(free)
        done = [final[j] for j in near if j in final]
        if done:
            tile = tile.difference(shapely.union_all(done))
        if near:
            tile = tile.difference(shapely.union_all(pockets_poly[near]))
        tile = unary_union(_clean(tile, 0.5))
        if tile.is_empty:
            continue
        final[int(i)] = tile
        exact = tile.buffer(-0.2).contains(Point(xy[i]).buffer(pocket + 0.1))
        circles = ((float(xy[i, 0]), float(xy[i, 1]), pocket),) if exact else ()
        if not exact:
            tile = unary_union(_clean(tile.difference(pockets_poly[i]), 0.5))
            if tile.is_empty:
                continue
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


def _frames(
    placed: _Cells, stack: _Stack, free: BaseGeometry, rho_al: float, prisms: list[Prism], notes: list[str]
) -> None:
    """Module frames (prismatic/pouch cells): side and end plates as one ring around each
    module's cells on each layer, clear of the walls and of the frames before it."""
    import numpy as np
    import shapely
    from shapely.ops import unary_union

    zc, cells, feet = placed.zc, placed.cells, placed.feet
    layers = _layers(zc)
    modules = sorted({c.module for c in cells})
    for lz in layers:
        taken = shapely.Polygon()
        on_layer = np.flatnonzero(np.isclose(zc, lz))
        foot_all = shapely.union_all(feet[on_layer]).buffer(FRAME_CLEARANCE, join_style="mitre")
        for m in modules:
            mine = on_layer[np.array([cells[i].module == m for i in on_layer], dtype=bool)]
            if not len(mine):
                continue
            foot = shapely.union_all(feet[mine])
            obb = foot.minimum_rotated_rectangle
            ring = obb.buffer(FRAME_CLEARANCE + FRAME_THICKNESS, join_style="mitre").difference(
                obb.buffer(FRAME_CLEARANCE, join_style="mitre")
            )
            ring = ring.intersection(free).difference(taken).difference(foot_all)
            ring = unary_union(_clean(ring.buffer(-0.2, join_style="mitre").buffer(0.2, join_style="mitre"), 2.0))
            if ring.is_empty:
                notes.append(f"module {m}: no room for a frame between its cells and its neighbours")
                continue
            taken = taken.union(ring)
            zb = stack.z_cells + float(lz)
            name = f"frame_{m:02d}" + (f"_L{layers.index(lz)}" if len(layers) > 1 else "")
            prisms.append(Prism(name, "frame", ring, zb, zb + placed.h_cell, (), COLOURS["frame"], rho_al))


def _cold_plate(
    pack: ir.Pack,
    layout: Layout,
    routing: Routing | None,
    materials: Mapping[str, ir.Material],
    coolant_flow: tuple[float, str] | None,
    placed: _Cells,
    stack: _Stack,
    site: _Site,
    rho_al: float,
    prisms: list[Prism],
    notes: list[str],
) -> dict:
    """Cooling: an aluminium plate over the cells' footprint on the cooled side, its channels
    cut as a void (``channels``), sized for the heat stage's flow when it gave one. Returns
    ``Plan.cooling``: the side, the channels' layout and sizing, the flow, the coolant's mass."""
    from shapely.geometry import box
    from shapely.ops import unary_union

    xy, r_foot, side, t_cp = placed.xy, placed.r_foot, stack.side, stack.t_cp
    cooling: dict = {"side": side}
    if side in ("bottom", "top") and len(xy):
        lo, hi = xy.min(axis=0) - r_foot - PLATE_RIM, xy.max(axis=0) + r_foot + PLATE_RIM
        plate = box(lo[0], lo[1], hi[0], hi[1]).intersection(site.free.buffer(-0.5, join_style="mitre"))
        plate = unary_union(_clean(plate))
        if not plate.is_empty:
            flow, why = coolant_flow or _coolant_flow(pack, layout, routing, materials)
            chan, info = _channels(plate, flow)
            chan = unary_union(_clean(chan, 0.1))
            z0 = stack.levels["cold_plate"]
            cooling.update(info, flow=flow, flow_basis=why, thickness=t_cp / 1e3)
            prisms.append(
                Prism(
                    "cold_plate",
                    "cold_plate",
                    plate,
                    z0,
                    z0 + t_cp,
                    (),
                    COLOURS["cold_plate"],
                    rho_al,
                    cut=(chan, z0 + COLD_PLATE_SKIN, z0 + COLD_PLATE_SKIN + CHANNEL_HEIGHT),
                )
            )
            coolant = materials.get(pack.cooling.coolant)
            cooling["coolant_mass"] = (
                chan.intersection(plate).area * CHANNEL_HEIGHT * 1e-9 * (coolant.density if coolant else 1064.0)
            )
    elif side == "sides":
        notes.append(
            "cooling side = sides: side cold plates are not modelled (the layout leaves no room between "
            "the cells and the walls)"
        )
    if pack.cooling.fins:
        notes.append(
            f"cooling fins ({pack.cooling.fins * 1e3:g} mm between every two cells) are not modelled as "
            "solids; their mass is in the estimate"
        )
    return cooling


def _enclosure(site: _Site, stack: _Stack, sheet: float, rho_box: float, prisms: list[Prism]) -> None:
    """Enclosure: walls along the region's edge (the keepouts stay outside the box), a floor, a
    lid and an outward bolting flange with M8 clearance holes every ``FLANGE_PITCH``."""
    from shapely.geometry import Point
    from shapely.ops import unary_union

    region, outline, height = site.region, site.outline, stack.height
    walls = region.difference(region.buffer(-site.side_sheet, join_style="mitre"))
    prisms.append(Prism("floor", "floor", region, 0.0, sheet, (), COLOURS["enclosure"], rho_box))
    prisms.append(
        Prism("walls", "walls", unary_union(_clean(walls)), sheet, height - sheet, (), COLOURS["enclosure"], rho_box)
    )
    prisms.append(Prism("lid", "lid", region, height - sheet, height, (), COLOURS["lid"], rho_box))
    flange = outline.buffer(FLANGE_WIDTH, join_style="mitre").difference(outline)
    centre = outline.buffer(FLANGE_WIDTH / 2, join_style="mitre").exterior
    n_bolts = max(4, round(centre.length / FLANGE_PITCH))
    bolts = []
    for i in range(n_bolts):
        p = centre.interpolate(i * centre.length / n_bolts)
        if flange.buffer(-0.5).contains(Point(p.x, p.y).buffer(FLANGE_BOLT / 2 + 0.3)):
            bolts.append((round(p.x, 4), round(p.y, 4), FLANGE_BOLT / 2))
    t_fl = max(2 * sheet, 4.0)
    prisms.append(
        Prism("flange", "flange", unary_union(_clean(flange)), 0.0, t_fl, tuple(bolts), COLOURS["flange"], rho_box)
    )


def _fixtures_and_barriers(
    pack: ir.Pack,
    layout: Layout,
    materials: Mapping[str, ir.Material],
    placed: _Cells,
    stack: _Stack,
    site: _Site,
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

        gap = FRAME_CLEARANCE + FRAME_THICKNESS + 0.5  # outside the module frame's ring
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
        rim = FRAME_CLEARANCE + FRAME_THICKNESS  # the bands go round the frame's side walls
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
        parts = _clean(poly.intersection(site.free), 0.5)
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
