"""The drawn parts: the geometry of every part the CAD stage draws and the bill of materials
weighs from the placed pack — the enclosure's region, the vertical stack, the pack jacket's
layers and its perimeter frame, the cold plate with its channels and coolant, the module walls.

One geometry for both (``draw``): the CAD stage turns these solids into its prisms and the bill
of materials sums their volume × density by part, so the masses agree by construction. Sizes and
materials are the mass model's (``models.packaging``: the jacket's layers, the frame's angle,
the module wall, the plate's skins and channels), so the estimate, the bill of materials and the
CAD weigh the same parts. Holder tiles and cells stay with the CAD stage (``emit.cad.plan``; the
bill of materials takes holders from the mass model's per-cell tile).

Coordinates: mm, z up from the underside of the enclosure floor. Shapely is imported here, so
``battc check`` never loads this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from battgen.core import ir
from battgen.core.memo import Remembered
from battgen.models import packaging as P
from battgen.passes.channels import channels as cut_channels
from battgen.passes.heat import CHANNEL_HEIGHT, COLD_PLATE_SKIN, PLATE_RIM, TIM_GAP
from battgen.passes.layout.types import Layout, PlacedCell
from battgen.passes.routing.types import Busbar, FuseLink, Routing

if TYPE_CHECKING:
    import numpy as np
    import shapely
    from shapely.geometry.base import BaseGeometry

CARRIER_GAP = 1.0  # mm, insulated carrier between the plates and the pack terminal leads
LID_CLEARANCE = P.LID_CLEARANCE * 1e3  # mm between the highest part and the lid
FRAME_CLEARANCE = P.WALL_CLEARANCE * 1e3  # mm between a module's cells and its walls
FLANGE_BOLT = 8.5  # mm clearance hole for M8 in the frame's horizontal leg
FLANGE_PITCH = 150.0  # mm bolt spacing along the frame
BUSBAR_SIMPLIFY = 0.15  # mm, busbar outline tolerance (routing's arcs have 0.01 mm sagitta)


def mm_poly(
    points: tuple[tuple[float, float], ...] | list[tuple[float, float]],
    holes: tuple[tuple[tuple[float, float], ...], ...] = (),
) -> BaseGeometry:
    import numpy as np
    import shapely
    from shapely.geometry import Polygon

    if not len(points):
        return Polygon()
    # from arrays (a Polygon from a list of tuples walks the points in Python): the same
    # coordinates, each metre value times 1e3 in double precision either way
    rings = [np.asarray(h, dtype=float) * 1e3 for h in holes]
    return shapely.polygons(np.asarray(points, dtype=float) * 1e3, holes=rings or None)


def clean(geom: BaseGeometry | None, min_area: float = 0.5) -> list[BaseGeometry]:
    """Polygon parts of ``geom`` above ``min_area`` mm², valid, as a list."""
    import shapely

    if geom is None or geom.is_empty:
        return []
    geom = shapely.make_valid(geom) if not geom.is_valid else geom
    out: list[BaseGeometry] = []
    for p in _polygons(geom, min_area):
        out.extend(_polygons(shapely.set_precision(p, 1e-4), min_area))  # 0.1 µm grid: stable, deterministic vertices
    return out


def _polygons(geom: BaseGeometry, min_area: float) -> list[BaseGeometry]:
    """The polygons among ``geom``'s parts above ``min_area``: a polygon is its own one part
    (what ``get_parts`` gives of it, without the copy)."""
    import shapely

    parts = [geom] if geom.geom_type == "Polygon" else shapely.get_parts(geom)
    return [p for p in parts if p.geom_type == "Polygon" and p.area > min_area]


def cleaned(geom: BaseGeometry | None, min_area: float = 0.5) -> BaseGeometry:
    """The union of ``clean``'s parts of ``geom``: a lone part is its own union (GEOS's
    cascaded union of one polygon is a copy of it), the rest unioned."""
    from shapely.ops import unary_union

    parts = clean(geom, min_area)
    return parts[0] if len(parts) == 1 else unary_union(parts)


def layers_of(zc: np.ndarray) -> list[float]:
    """The distinct cell layers' bottoms, mm (rounded to 1 nm), lowest first."""
    return sorted({round(float(z), 6) for z in zc}) if len(zc) else []


@dataclass(frozen=True)
class Cells:
    """The placed cells in mm: centres ``xy`` (N, 2), bottoms ``zc`` (N,) above the cell level,
    footprints ``feet`` (shapely, one per cell; drawn when first read) and the footprint's
    half-size ``r_foot``."""

    cells: tuple[PlacedCell, ...]
    fmt: ir.CellFormat
    cyl: bool
    h_cell: float
    xy: np.ndarray
    zc: np.ndarray
    r_foot: float

    @cached_property
    def feet(self) -> np.ndarray:
        """Each cell's footprint: a circle, or its rotated rectangle."""
        import numpy as np
        import shapely
        from shapely.geometry import box

        if self.cyl:
            return discs(self.xy, self.fmt.diameter * 1e3 / 2, 8)
        w, t = self.fmt.width * 1e3, self.fmt.thickness * 1e3
        return np.array(
            [
                shapely.affinity.rotate(
                    box(x - w / 2, y - t / 2, x + w / 2, y + t / 2), c.rotation, origin=(x, y), use_radians=True
                )
                for (x, y), c in zip(self.xy, self.cells)
            ]
        )


def discs(xy: np.ndarray, radius: float, quad_segs: int) -> np.ndarray:
    """``shapely.buffer(shapely.points(xy), radius, quad_segs=quad_segs)``, the same
    coordinates to the bit, 5x faster: GEOS draws a point's buffer as the point plus
    ``radius·(cos a, sin a)`` at fixed angles, so one disc drawn about the origin gives those
    offsets and each cell's circle is its centre plus them."""
    import numpy as np
    import shapely

    if not len(xy):
        return np.empty(0, dtype=object)
    ring = shapely.get_coordinates(shapely.buffer(shapely.points(0.0, 0.0), radius, quad_segs=quad_segs))
    return shapely.polygons(np.asarray(xy, dtype=float)[:, None, :] + ring[None, :, :])


def cells_mm(pack: ir.Pack, layout: Layout) -> Cells:
    """The placed cells in mm (their footprints drawn when first read: circles, or rotated
    rectangles)."""
    import numpy as np

    fmt = pack.cell.format
    cells = layout.cells
    xy = np.array([(c.x * 1e3, c.y * 1e3) for c in cells]) if cells else np.zeros((0, 2))
    zc = np.array([c.z * 1e3 for c in cells]) if cells else np.zeros(0)
    r_foot = max(layout.footprint) * 1e3 / 2
    return Cells(cells, fmt, fmt.kind == "cylindrical", fmt.height * 1e3, xy, zc, r_foot)


@dataclass(frozen=True)
class Site:
    """Where the pack goes, mm: the envelope's ``outline``, ``region`` (the enclosure's footprint:
    the outline), ``free`` (inside the wall clearance, out of the keepouts: holders, busbars,
    cold plate), the wall clearance ``wall``, the envelope's height (0: none), the keepouts'
    ``spaces`` (name, polygon) inside the box and the ``isolation`` distance (m) the live parts
    keep from the enclosure's metal at the pack's maximum voltage."""

    outline: BaseGeometry
    region: BaseGeometry
    free: BaseGeometry
    wall: float
    env_height: float
    spaces: tuple[tuple[str, BaseGeometry], ...] = ()
    isolation: float = 0.0

    def wall_layers(self, jacket: P.Jacket) -> tuple[tuple, ...]:
        """The jacket's wall layers this site has room for (``models.packaging.Jacket.wall_layers``)."""
        return jacket.wall_layers(self.wall * 1e-3, self.isolation)


def site(pack: ir.Pack, layout: Layout, placed: Cells, notes: list[str]) -> Site:
    """Outline, keepouts, wall. The enclosure is the envelope's whole outline: a keepout is space
    inside it for another part (a junction box, a BMS board), so the floor and lid stay whole
    and no wall wraps it; the holders, busbars and cold plate keep out of it (``free``). With no
    envelope, a box around the cells."""
    import shapely
    from shapely.geometry import box

    xy = placed.xy
    env = pack.envelope
    if env is not None:
        outline = mm_poly(env.outline.vertices(16))
        wall = env.wall * 1e3 if env.wall > 0 else 2.0
        env_height = env.height * 1e3
        keep = [(k.name, mm_poly(k.shape.vertices(16))) for k in env.keepouts]
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
    region = cleaned(outline)
    inner = region.buffer(-wall, join_style="mitre")
    spaces = [(name, cleaned(k.intersection(region))) for name, k in keep]
    spaces = [(name, k) for name, k in spaces if not k.is_empty]
    # holders, busbars, cold plate: inside the wall clearance and out of every keepout's space
    free = inner.difference(shapely.union_all([k for _n, k in spaces])) if spaces else inner
    isolation = float(P.isolation_distance(layout.series * pack.cell.max_voltage))
    return Site(outline, region, free, wall, env_height, tuple(spaces), isolation)


def spec_of(pack: ir.Pack, site_: Site | None = None, height: float | None = None) -> P.Spec:
    """The mass model's ``Spec`` of ``pack`` with the drawn region's box (when given; ``height``,
    mm: the drawn enclosure's, default the envelope's)."""
    spec = P.spec_for(pack)
    if site_ is None:
        return spec
    region, outline = site_.region, site_.outline
    w = 1.0  # mm: the corners' term from a thin mitred ring (exact for straight edges)
    inside = region.area - region.buffer(-w, join_style="mitre").area
    outside = outline.buffer(w, join_style="mitre").area - outline.area
    return P.with_box(
        spec,
        (region.area * 1e-6, region.length * 1e-3, (height if height is not None else site_.env_height) * 1e-3),
        site_.wall * 1e-3,
        outline.length * 1e-3,
        wall_corners=(region.length * w - inside) / w**2,
        frame_corners=(outside - outline.length * w) / w**2,
    )


def busbar_outline(busbar: Busbar, free: BaseGeometry) -> BaseGeometry | None:
    """A routed plate or lead as drawn, mm: inside the free space (routing's plates may reach past
    the walls), its arcs simplified to ``BUSBAR_SIMPLIFY`` (each polygon edge is a B-rep face:
    STEP and GLB time grows with their number); None when nothing of it is left."""
    return _drawn_outline(mm_poly(busbar.polygon, busbar.holes), free)


def _drawn_outline(routed: BaseGeometry, free: BaseGeometry) -> BaseGeometry | None:
    from shapely.ops import unary_union

    parts = clean(routed.intersection(free).simplify(BUSBAR_SIMPLIFY), 1e-3)
    return (parts[0] if len(parts) == 1 else unary_union(parts)) if parts else None


def busbar_masses(busbars, free: BaseGeometry) -> list[float]:
    """Each busbar's mass as drawn, kg: routing's mass × the share of its area that is drawn."""
    out = []
    for b in busbars:
        routed = mm_poly(b.polygon, b.holes)
        drawn = _drawn_outline(routed, free)
        area = routed.area
        out.append(b.mass_kg * (drawn.area / area if drawn is not None and area > 0 else 0.0))
    return out


@dataclass(frozen=True)
class Stack:
    """The vertical stack, mm: ``levels`` (floor, cold plate, cells, cell top, lid, top), the
    plates' and leads' thickness on each face, the carrier gaps, the cooled side and the cold
    plate's thickness, the jacket's base and top, and the enclosure's height."""

    levels: dict[str, float]
    z_cells: float
    z_top: float
    plates_t: dict[str, float]
    leads_t: dict[str, float]
    top_gap: float
    bottom_gap: float
    side: str | None
    t_cp: float
    base: float
    top: float
    height: float


def stack(
    pack: ir.Pack,
    placed: Cells,
    busbars: list[Busbar],
    fuses: list[FuseLink],
    jacket: P.Jacket,
    env_height: float,
    warnings: list[tuple[str, str]],
    board_room: tuple[float, float] | None = None,
) -> Stack:
    """The vertical stack, bottom to top: the jacket's base · cold plate (bottom cooling) ·
    ``TIM_GAP`` · bottom leads / carrier · bottom busbars · cells · top busbars · fuse links ·
    carrier / top leads · cold plate (top cooling) · the BMS's front-end boards (``board_room``:
    their standoff over the top busbars and the height they take, mm; level ``bms``) ·
    ``LID_CLEARANCE`` · the jacket's top; a W401 warning if it is taller than the envelope (the
    enclosure grows to fit)."""
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
    side = pack.cooling.side if pack.cooling.kind in P.LIQUID else None  # the mass model's plate (``Spec.plate``)
    t_cp = 2 * COLD_PLATE_SKIN + CHANNEL_HEIGHT
    base, top = float(jacket.base_thickness) * 1e3, float(jacket.top_thickness) * 1e3
    z = base
    levels = {"floor": 0.0}
    if side == "bottom":
        levels["cold_plate"] = z
        z += t_cp + TIM_GAP
    bottom_gap = CARRIER_GAP if leads_t["bottom"] else 0.0
    z += leads_t["bottom"] + bottom_gap + plates_t["bottom"]
    z_cells = z
    levels["cells"] = z_cells
    z_top = z_cells + (float(zc.max()) if len(zc) else 0.0) + h_cell
    levels["cell_top"] = z_top
    top_gap = max(CARRIER_GAP, fuse_h + 0.5) if leads_t["top"] else 0.0
    z = z_top + plates_t["top"] + (fuse_h if not leads_t["top"] else 0.0) + top_gap + leads_t["top"]
    if side == "top":
        z += TIM_GAP
        levels["cold_plate"] = z
        z += t_cp
    if board_room is not None:
        standoff, board_height = board_room
        levels["bms"] = max(z, z_top + plates_t["top"] + standoff) + 0.5
        z = levels["bms"] + board_height
    z += LID_CLEARANCE
    need = z + top
    height = max(env_height, need)
    if env is not None and need > env_height + 1e-6:
        warnings.append(
            (
                (
                    f"the pack stack needs {need:.1f} mm (jacket base, cooling, busbars, {h_cell:.1f} mm cells, "
                    f"{'BMS boards, ' if board_room else ''}jacket top) but envelope `{env.name}` is {env_height:.1f} mm high; the enclosure was made "
                    f"{need:.1f} mm high"
                ),
                "raise the envelope height or use thinner busbars/cooling",
            )
        )
    levels["lid"] = height - top
    levels["top"] = height
    return Stack(levels, z_cells, z_top, plates_t, leads_t, top_gap, bottom_gap, side, t_cp, base, top, height)


def prism_volume_mm3(
    polygon: BaseGeometry, z0: float, z1: float, circles: tuple = (), cut: tuple | None = None
) -> float:
    """mm³ of ``polygon`` (mm) extruded from z0 to z1, less its exact round holes ``circles``
    (x, y, r) and the void ``cut`` (polygon, z0, z1): a drawn solid's, and the CAD's prism's."""
    area = polygon.area - sum(math.pi * r * r for _x, _y, r in circles)
    volume = area * (z1 - z0)
    if cut is not None:
        void, c0, c1 = cut
        volume -= void.intersection(polygon).area * (c1 - c0)
    return volume


@dataclass
class Solid:
    """A drawn part: ``polygon`` (shapely, mm) with exact round holes ``circles`` (x, y, r), from
    z0 to z1, of ``density`` kg/m³, less the void ``cut`` (polygon, z0, z1). ``part``: its line in
    the bill of materials; ``kind``: its kind of CAD part."""

    name: str
    part: str
    kind: str
    polygon: BaseGeometry
    z0: float
    z1: float
    density: float
    circles: tuple = ()
    cut: tuple | None = None
    material: str = ""

    @property
    def volume_mm3(self) -> float:
        return prism_volume_mm3(self.polygon, self.z0, self.z1, self.circles, self.cut)

    @property
    def mass(self) -> float:
        return self.volume_mm3 * 1e-9 * self.density


def _material_name(density: float) -> str:
    if density == P.INSULATION_DENSITY:
        return "insulation"
    return "steel" if density > 5000 else "aluminium"


def jacket_solids(site_: Site, stack_: Stack, jacket: P.Jacket) -> list[Solid]:
    """The jacket: floor and lid layers over the region, the wall layers in rings inside its edge
    (those the wall clearance has room for), and the angle-iron frame round the outline with an
    M8 hole every ``FLANGE_PITCH`` in its horizontal leg."""
    import shapely

    region, height = site_.region, stack_.height
    out: list[Solid] = []
    z = 0.0
    for i, (rho, t) in enumerate(jacket.base):
        t = float(t) * 1e3
        out.append(Solid(f"floor_{i}", "enclosure floor", "floor", region, z, z + t, rho, material=_material_name(rho)))
        z += t
    z = height
    for i, (rho, t) in enumerate(jacket.top):
        t = float(t) * 1e3
        out.append(Solid(f"lid_{i}", "enclosure lid", "lid", region, z - t, z, rho, material=_material_name(rho)))
        z -= t
    for i, (offset, rho, t) in enumerate(site_.wall_layers(jacket)):
        t, offset = float(t) * 1e3, float(offset) * 1e3
        if t <= 0:
            continue
        inner = region.buffer(-offset, join_style="mitre") if offset else region
        ring = inner.difference(region.buffer(-(offset + t), join_style="mitre"))
        out.append(
            Solid(
                f"walls_{i}",
                "enclosure walls",
                "walls",
                cleaned(ring),
                stack_.base,
                height - stack_.top,
                rho,
                material=_material_name(rho),
            )
        )
    leg, t_leg = (float(v) * 1e3 for v in jacket.frame)
    if leg > 0:
        outline = site_.outline
        horizontal = outline.buffer(leg, join_style="mitre").difference(outline)
        vertical = outline.buffer(t_leg, join_style="mitre").difference(outline)
        centre = outline.buffer(leg / 2, join_style="mitre").exterior
        n_bolts = max(4, round(centre.length / FLANGE_PITCH))
        at = shapely.get_coordinates(
            shapely.line_interpolate_point(centre, [i * centre.length / n_bolts for i in range(n_bolts)])
        )
        room = horizontal.buffer(-0.5)
        shapely.prepare(room)  # (each bolt's clearance disc against the leg: the same answers)
        fits = shapely.contains(room, discs(at, FLANGE_BOLT / 2 + 0.3, 16))
        bolts = [(round(x, 4), round(y, 4), FLANGE_BOLT / 2) for (x, y), fit in zip(at.tolist(), fits.tolist()) if fit]
        out.append(
            Solid(
                "flange",
                "enclosure frame",
                "flange",
                cleaned(horizontal),
                0.0,
                t_leg,
                P.RHO_STEEL,
                tuple(bolts),
                material="steel",
            )
        )
        out.append(
            Solid(
                "flange_leg",
                "enclosure frame",
                "flange",
                cleaned(vertical),
                t_leg,
                leg,
                P.RHO_STEEL,
                material="steel",
            )
        )
    return out


def gap_filler_solid(layout, stack_: Stack, plate: Solid) -> Solid | None:
    """The gap filler between the cold plate and the cells: a ``TIM_GAP`` layer under each
    module's outline on the plate (over it for a plate on top), of the mass model's gap filler
    density (``models.packaging.TIM_DENSITY``): the layer the bill of materials weighs."""
    rings = tuple(tuple(m.outline) for m in layout.modules if len(m.outline) >= 3)
    if not rings or stack_.side not in ("bottom", "top"):
        return None
    area = _filler_area(rings, plate.polygon)
    if area.is_empty:
        return None
    z0 = plate.z1 if stack_.side == "bottom" else plate.z0 - TIM_GAP
    return Solid("gap_filler", "gap filler", "gap_filler", area, z0, z0 + TIM_GAP, P.TIM_DENSITY, material="silicone")


# The filler's plan (the modules' outlines on the plate) is the most of a BOM a coolant edit
# makes again (60 ms of 80 on the Model S): it is remembered for the last few outlines and
# plates, by their values (an immutable result, so a hit is the geometry computed again).
_FILLER_AREAS = Remembered(8)


def _filler_area(rings: tuple, plate: BaseGeometry) -> BaseGeometry:
    """The union of the modules' outlines (``rings``, m) on ``plate`` (mm), cleaned."""
    from shapely.ops import unary_union

    return _FILLER_AREAS.get(
        (rings, plate.wkb), lambda: cleaned(unary_union([mm_poly(r) for r in rings]).intersection(plate))
    )


def plate_solid(
    pack: ir.Pack, placed: Cells, stack_: Stack, site_: Site, flow: float, coolant_density: float
) -> tuple[Solid | None, dict, float]:
    """The cold plate over the cells' footprint on the cooled side (``PLATE_RIM`` beyond them,
    0.5 mm inside the wall clearance), aluminium skins around its channels (``passes.channels``,
    sized for ``flow`` m³/s); (the plate or None, its channels' layout, the coolant's mass kg)."""
    from shapely.geometry import box

    xy, r_foot, side, t_cp = placed.xy, placed.r_foot, stack_.side, stack_.t_cp
    if side not in ("bottom", "top") or not len(xy):
        return None, {}, 0.0
    lo, hi = xy.min(axis=0) - r_foot - PLATE_RIM, xy.max(axis=0) + r_foot + PLATE_RIM
    plate = box(lo[0], lo[1], hi[0], hi[1]).intersection(site_.free.buffer(-0.5, join_style="mitre"))
    plate = cleaned(plate)
    if plate.is_empty:
        return None, {}, 0.0
    chan, info = cut_channels(plate, flow)
    chan = cleaned(chan, 0.1)
    z0 = stack_.levels["cold_plate"]
    solid = Solid(
        "cold_plate",
        "cold plate",
        "cold_plate",
        plate,
        z0,
        z0 + t_cp,
        P.RHO_AL,
        cut=(chan, z0 + COLD_PLATE_SKIN, z0 + COLD_PLATE_SKIN + CHANNEL_HEIGHT),
        material="aluminium",
    )
    coolant = chan.intersection(plate).area * CHANNEL_HEIGHT * 1e-9 * coolant_density
    return solid, info, coolant


def module_walls(placed: Cells, stack_: Stack, free: BaseGeometry, notes: list[str]) -> list[Solid]:
    """Module walls of flat cells: BatPaC's module enclosure sheet (``packaging.MODULE_WALL``
    steel) as a ring round each module's cells on each layer, clear of the walls and of the rings
    before it, as tall as the cells."""
    import numpy as np
    import shapely

    if placed.cyl:
        return []
    zc, cells, feet = placed.zc, placed.cells, placed.feet
    t_wall = P.MODULE_WALL * 1e3
    out: list[Solid] = []
    layers = layers_of(zc)
    modules = sorted({c.module for c in cells})
    for lz in layers:
        taken = shapely.Polygon()
        on_layer = np.flatnonzero(np.isclose(zc, lz))
        foot_all = shapely.union_all(feet[on_layer]).buffer(FRAME_CLEARANCE, join_style="mitre")
        for m in modules:
            mine = on_layer[np.array([cells[i].module == m for i in on_layer], dtype=bool)]
            if not len(mine):
                continue
            obb = shapely.union_all(feet[mine]).minimum_rotated_rectangle
            ring = obb.buffer(FRAME_CLEARANCE + t_wall, join_style="mitre").difference(
                obb.buffer(FRAME_CLEARANCE, join_style="mitre")
            )
            ring = cleaned(ring.intersection(free).difference(taken).difference(foot_all), 0.05)
            if ring.is_empty:
                notes.append(f"module {m}: no room for its walls between its cells and its neighbours")
                continue
            taken = taken.union(ring)
            zb = stack_.z_cells + float(lz)
            name = f"frame_{m:02d}" + (f"_L{layers.index(lz)}" if len(layers) > 1 else "")
            out.append(
                Solid(name, "module walls", "frame", ring, zb, zb + placed.h_cell, P.RHO_STEEL, material="steel")
            )
    return out


# --- holder tiles (cylindrical cells) ---------------------------------------------------------

HOLDER_RIM = 2.0  # mm: a tile with few neighbours reaches this far beyond its cell


@dataclass
class Tiles:
    """The holder tiles of the placed cells, mm: the whole ``proto`` tile (centred on the origin)
    at every cell that ``ok`` marks, and the ``cut`` ones — (cell, polygon, exact circular
    pockets) — cut by the walls, keepouts and irregular neighbours; two plates of ``thickness`` at
    each cell, pockets of radius ``pocket``."""

    proto: BaseGeometry
    pocket: float
    thickness: float
    ok: np.ndarray
    cut: list[tuple[int, BaseGeometry, tuple]]

    def mass(self) -> float:
        """Both plates of every tile, kg (polycarbonate, ``models.packaging.HOLDER_DENSITY``)."""
        whole = int(self.ok.sum()) * (self.proto.area - math.pi * self.pocket**2)
        cut = sum(poly.area - sum(math.pi * r * r for _x, _y, r in circles) for _i, poly, circles in self.cut)
        return 2 * self.thickness * (whole + cut) * 1e-9 * P.HOLDER_DENSITY


def holder_tiles(placed: Cells, free: BaseGeometry) -> Tiles:
    """The holder tiles of round cells: each cell's Voronoi cell of the lattice less its pocket
    (radius + ``models.packaging.POCKET_CLEARANCE``), ``models.packaging.HOLDER_THICKNESS`` thick
    (a fifth of the cell at most), whole where it fits the free space and its neighbours, else cut
    by them (whole ones and those cut before them)."""
    import numpy as np

    r = placed.fmt.diameter * 1e3 / 2
    t_h = min(P.HOLDER_THICKNESS * 1e3, placed.h_cell / 5)
    pocket = r + P.POCKET_CLEARANCE * 1e3
    proto = lattice_tile(placed.xy, r)
    tiles, ok, tree = place_tiles(proto, placed, free)
    order = np.flatnonzero(~ok)  # the tiles to cut, in the order they are cut
    final = _cut_in_turn(tiles, ok, order, _met(tiles, order, tree, placed.zc, pocket), placed.xy, free, pocket)
    return Tiles(proto, pocket, t_h, ok, _own_pockets(final, order, placed.xy, pocket))


def _met(tiles: np.ndarray, order: np.ndarray, tree: shapely.STRtree, zc: np.ndarray, pocket: float) -> list:
    """The cells each tile of ``order`` meets on its layer (in the tree's order): those whose
    tiles' boxes reach the tile's box grown by a pocket, found for all of them in one query."""
    import numpy as np
    import shapely

    # (``shapely.buffer``'s quad_segs given: the method's default, 16, not the function's, 8)
    at, found = tree.query(shapely.buffer(tiles[order], pocket, quad_segs=16))
    mine = order[at]
    keep = (found != mine) & np.isclose(zc[found], zc[mine])
    return np.split(found[keep], np.searchsorted(at[keep], np.arange(1, len(order))))


def _cut_in_turn(
    tiles: np.ndarray, ok: np.ndarray, order: np.ndarray, met: list, xy: np.ndarray, free: BaseGeometry, pocket: float
) -> np.ndarray:
    """Every tile as it is kept (None: cut away): the whole ones, and each of ``order`` in turn
    inside the free space, less the tiles kept before it and the pockets of the cells it meets
    (``met``). A tile is cut by those cut before it, so the cuts go one by one; what does not
    depend on them (the free space's cut, the pockets) is made for all of them at once."""
    import numpy as np
    import shapely

    final = np.empty(len(tiles), dtype=object)  # (None: not kept, or not cut yet)
    final[ok] = tiles[ok]
    inside = shapely.intersection(tiles[order], free)
    pockets = discs(xy[np.concatenate(met)] if len(order) else np.zeros((0, 2)), pocket, 16)
    ends = np.cumsum([len(m) for m in met])
    for k, i in enumerate(order.tolist()):
        tile, near = inside[k], met[k]
        if len(near):
            done = final[near]  # (None for a tile not kept, or cut after this one: union_all skips it)
            if not shapely.is_missing(done).all():
                tile = tile.difference(shapely.union_all(done))
            tile = tile.difference(shapely.union_all(pockets[ends[k] - len(near) : ends[k]]))
        tile = cleaned(tile, 0.5)
        if not tile.is_empty:
            final[i] = tile
    return final


def _own_pockets(final: np.ndarray, order: np.ndarray, xy: np.ndarray, pocket: float) -> list:
    """The cut tiles (cell, polygon, exact circular pockets): the pocket an exact circle where
    the cut left room round it, else cut from the tile."""
    import shapely

    kept = order[~shapely.is_missing(final[order])]
    if not len(kept):
        return []
    tiles = final[kept]
    exact = shapely.contains(shapely.buffer(tiles, -0.2, quad_segs=16), discs(xy[kept], pocket + 0.1, 16))
    drilled = iter(shapely.difference(tiles[~exact], discs(xy[kept[~exact]], pocket, 16)))
    out = []
    for i, tile, hole in zip(kept.tolist(), tiles, exact.tolist()):
        if not hole:
            tile = cleaned(next(drilled), 0.5)
            if tile.is_empty:
                continue
        out.append((i, tile, ((float(xy[i, 0]), float(xy[i, 1]), pocket),) if hole else ()))
    return out


def lattice_tile(xy: np.ndarray, r: float) -> BaseGeometry:
    """The holder tile of one lattice site (mm, centred on the origin): the Voronoi cell of the
    best-surrounded cell among its neighbours, capped by a disc ``HOLDER_RIM`` beyond the cell
    when it has few neighbours (small packs)."""
    import numpy as np
    import shapely
    from shapely.geometry import Point

    if len(xy) < 2:
        return shapely.set_precision(Point(0, 0).buffer(r + HOLDER_RIM, quad_segs=8), 1e-4)
    from scipy.spatial import cKDTree

    # the lattice's pitch: the median distance from a place to its nearest (cells stacked in
    # layers share a place); it sizes the boxes that find the best-surrounded cell and the
    # neighbours its Voronoi cell is drawn among
    places = np.unique(xy, axis=0)
    pitch = float(np.median(cKDTree(places).query(places, k=2)[0][:, 1])) if len(places) > 1 else 2 * r
    counts = _in_boxes(xy, _disc_bounds(xy[:400], 1.2 * pitch, 8))
    best = int(np.argmax(counts))
    # the cells in the box round the disc 2.1 pitches about it (a tree's query of the disc finds
    # the same; GEOS sorts the sites before it triangulates them, so their order is no matter)
    near = np.flatnonzero(_in_boxes(xy, _disc_bounds(xy[best][None], 2.1 * pitch, 16), each=True)[0])
    pts = xy[near] - xy[best]
    # (the sites from the array in one call: ``MultiPoint(pts)`` made a Point of each of the
    # ~2,000 in Python, half this function's time on the Model S)
    sites = shapely.multipoints(pts)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(sites, extend_to=shapely.box(-4 * pitch, -4 * pitch, 4 * pitch, 4 * pitch))
    )
    tile = cells[np.flatnonzero(shapely.contains_xy(cells, 0.0, 0.0))[0]]  # the origin's own cell
    # the tile and its point reflection's common part: where rows stand a little unevenly (the
    # sedan's 22.1 and 22.29 mm), the nearer neighbour's bisector on both sides, so that copies
    # moved to every cell do not overlap (else nearly every tile was cut one by one: 9 s a BOM)
    tile = tile.intersection(shapely.affinity.scale(tile, -1.0, -1.0, origin=(0.0, 0.0)))
    reach = max(math.hypot(x, y) for x, y in tile.exterior.coords)
    if counts[best] < 7 or reach > 1.2 * pitch:  # not surrounded: cap with a rim
        tile = tile.intersection(Point(0, 0).buffer(r + HOLDER_RIM, quad_segs=8))
    tile = shapely.set_precision(tile.buffer(-0.01, join_style="mitre"), 1e-4)  # 10 µm apart: neighbours never overlap
    return tile


def _disc_bounds(xy: np.ndarray, radius: float, quad_segs: int) -> np.ndarray:
    """The bounds (minx, miny, maxx, maxy) of the points' buffers (``discs``: each the centre
    plus the same offsets), to the bit: the sum's rounding keeps the offsets' order, so the
    least and the greatest corners are the centre plus the least and the greatest offsets."""
    import numpy as np
    import shapely

    ring = shapely.get_coordinates(shapely.buffer(shapely.points(0.0, 0.0), radius, quad_segs=quad_segs))
    return np.hstack([xy + ring.min(axis=0), xy + ring.max(axis=0)])


def _in_boxes(xy: np.ndarray, boxes: np.ndarray, each: bool = False) -> np.ndarray:
    """How many of the points ``xy`` lie in each box (minx, miny, maxx, maxy), edges included:
    what ``STRtree.query`` of a geometry with those bounds counts among points (their
    envelopes). ``each``: which points, (boxes, points) booleans, instead of how many."""
    import numpy as np

    if each:
        x, y = xy[:, 0][None, :], xy[:, 1][None, :]
        b = boxes[:, :, None]
        return (x >= b[:, 0]) & (x <= b[:, 2]) & (y >= b[:, 1]) & (y <= b[:, 3])
    # The points in x order, in blocks of ``size`` each sorted by y: a box takes the points of
    # its x range, the blocks it spans whole counted by bisection and the two it cuts one by one
    # (the same comparisons, ~10x faster than every point against every box).
    size = 128
    if not len(xy):
        return np.zeros(len(boxes), dtype=np.int64)
    by_x = np.argsort(xy[:, 0], kind="stable")
    x, y = xy[by_x, 0], xy[by_x, 1]
    first = np.searchsorted(x, boxes[:, 0], "left")  # the first point with x >= minx ...
    end = np.searchsorted(x, boxes[:, 2], "right")  # ... and past the last with x <= maxx
    n_blocks = len(x) // size  # (the points past the last whole block: cut, counted one by one)
    spanned = np.zeros((n_blocks + 1, len(boxes)), dtype=np.int64)
    for k in range(n_blocks):
        ys = np.sort(y[k * size : (k + 1) * size])
        spanned[k + 1] = np.searchsorted(ys, boxes[:, 3], "right") - np.searchsorted(ys, boxes[:, 1], "left")
    spanned = np.cumsum(np.maximum(spanned, 0), axis=0)
    lo = np.minimum(-(-first // size), n_blocks)  # the whole blocks [lo, hi) inside [first, end)
    hi = np.maximum(np.minimum(end // size, n_blocks), lo)
    head_end = np.minimum(np.maximum(lo * size, first), end)  # [first, head_end): before them
    tail_start = np.maximum(hi * size, head_end)  # [tail_start, end): after them
    step = np.arange(size)
    count = spanned[hi, np.arange(len(boxes))] - spanned[lo, np.arange(len(boxes))]
    for start, stop in ((first, head_end), (tail_start, end)):
        at = start[:, None] + step[None, :]
        inside = at < stop[:, None]
        yy = y[np.minimum(at, len(y) - 1)]
        count += (inside & (yy >= boxes[:, 1, None]) & (yy <= boxes[:, 3, None])).sum(axis=1)
    return count


def place_tiles(
    proto: BaseGeometry, placed: Cells, free: BaseGeometry
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
    shapely.prepare(free)  # one outline against thousands of tiles: the same answers, 40x faster
    ok = shapely.contains(free, tiles) if len(tiles) else np.zeros(0, bool)
    tree = shapely.STRtree(tiles)
    a_idx, b_idx = tree.query(tiles)  # the pairs whose boxes meet ...
    pair = (a_idx < b_idx) & np.isclose(zc[a_idx], zc[b_idx])
    pair[pair] = ~_apart(proto, xy[b_idx[pair]] - xy[a_idx[pair]])
    a_idx, b_idx = a_idx[pair], b_idx[pair]
    meet = shapely.intersects(tiles[a_idx], tiles[b_idx])  # ... and whose tiles meet
    a_idx, b_idx = a_idx[meet], b_idx[meet]
    if len(a_idx):
        overlap = shapely.area(shapely.intersection(tiles[a_idx], tiles[b_idx])) > 1e-3
        ok[a_idx[overlap]] = False
        ok[b_idx[overlap]] = False
    return tiles, ok, tree


def _apart(proto: BaseGeometry, offsets: np.ndarray) -> np.ndarray:
    """Which two copies of ``proto`` moved ``offsets`` apart (mm, (N, 2)) certainly do not meet:
    those farther apart along some direction (one across each of its edges) than the tile is
    wide there, by 1 µm. The copies' corners are the tile's plus the centres, rounded within
    1e-12 mm, so a copy 1 µm clear is clear to any exact test: a lattice's neighbours, 20 µm
    apart (``lattice_tile``), are settled here, and only the few left are tested for meeting."""
    import numpy as np
    import shapely

    corners = shapely.get_coordinates(proto)
    edges = np.diff(corners, axis=0)
    across = np.column_stack([-edges[:, 1], edges[:, 0]])
    across = across[np.hypot(across[:, 0], across[:, 1]) > 0]
    across = across / np.hypot(across[:, 0], across[:, 1])[:, None]
    reach = corners @ across.T  # (corners, directions)
    width = reach.max(axis=0) - reach.min(axis=0)
    return (np.abs(offsets @ across.T) > width + 1e-3).any(axis=1)


@dataclass
class Drawn:
    """The drawn parts of a placed pack: the cells in mm, the site, the stack, the solids, the
    cold plate's channels (``cooling``: the CAD's ``Plan.cooling``) and the coolant's mass."""

    placed: Cells
    site: Site
    stack: Stack
    jacket: P.Jacket
    solids: list[Solid]
    cooling: dict
    coolant: float
    notes: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def mass_by_part(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for s in self.solids:
            out[s.part] = out.get(s.part, 0.0) + s.mass
        if self.coolant:
            out["coolant"] = self.coolant
        return out


def jacket_of(pack: ir.Pack, site_: Site, n_cells: int, modules: int) -> P.Jacket:
    """The mass model's jacket of ``pack`` around the drawn ``site_`` (``models.packaging.jacket``)."""
    spec = spec_of(pack, site_)
    volume = float(P.modules_volume(spec, n_cells, modules, P.module_shares(pack.module_series, pack.strings)))
    return P.jacket(n_cells * pack.cell.energy, spec.liquid, spec.enclosure, volume)


def wall_thickness(jacket: P.Jacket, site_: Site) -> float:
    """How thick the drawn side walls are, mm: every jacket layer the wall clearance has room for."""
    return float(sum(float(t) for _, _, t in site_.wall_layers(jacket))) * 1e3


def draw(
    pack: ir.Pack,
    layout: Layout,
    routing: Routing | None,
    flow: tuple[float, str],
    coolant_density: float,
    modules: int,
    board_room: tuple[float, float] | None = None,
) -> Drawn:
    """The drawn parts of ``pack`` placed by ``layout`` and routed by ``routing``, the cold plate
    sized for ``flow`` (m³/s, where it came from), as the mass model sizes them for ``modules``;
    room over the busbars for the BMS's boards when it has them (``board_room``, ``stack``)."""
    notes: list[str] = []
    warnings: list[tuple[str, str]] = []
    placed = cells_mm(pack, layout)
    site_ = site(pack, layout, placed, notes)
    jacket = jacket_of(pack, site_, len(layout.cells), modules)
    busbars = list(routing.busbars) if routing is not None else []
    fuses = list(routing.fuses) if routing is not None else []
    stack_ = stack(pack, placed, busbars, fuses, jacket, site_.env_height, warnings, board_room)
    solids = jacket_solids(site_, stack_, jacket)
    solids += module_walls(placed, stack_, site_.free, notes)
    cooling: dict = {"side": stack_.side}
    coolant = 0.0
    plate, info, coolant = plate_solid(pack, placed, stack_, site_, flow[0], coolant_density)
    if plate is not None:
        cooling.update(info, flow=flow[0], flow_basis=flow[1], thickness=stack_.t_cp / 1e3)
        solids.append(plate)
        filler = gap_filler_solid(layout, stack_, plate)
        if filler is not None:
            solids.append(filler)
    if stack_.side == "sides":
        notes.append(
            "cooling side = sides: side cold plates are not drawn (the layout leaves no room between "
            "the cells and the walls); their fins are in the bill of materials"
        )
    if pack.cooling.fins:
        notes.append(
            f"cooling fins ({pack.cooling.fins * 1e3:g} mm between every two cells) are not drawn; "
            "they are in the bill of materials"
        )
    return Drawn(placed, site_, stack_, jacket, solids, cooling, coolant, notes, warnings)
