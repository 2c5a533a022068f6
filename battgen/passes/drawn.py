"""The drawn parts: the geometry of every part the CAD stage draws and the bill of materials
weighs from the placed pack — the enclosure's region, the vertical stack, the pack jacket's
layers and its perimeter frame, the cold plate with its channels and coolant, the module walls.

One geometry for both (``draw``): the CAD stage turns these solids into its prisms and the bill
of materials sums their volume × density by part, so the masses agree by construction. Sizes and
materials are the mass model's (``models.packaging``: the jacket's layers, the frame's angle,
the module wall, the plate's skins and channels), so the estimate, the bill of materials and the
CAD weigh the same parts. The holder tiles of round cells are drawn in ``passes.holders``, which
the CAD stage and the bill of materials read alike.

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
