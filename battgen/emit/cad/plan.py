"""CAD: the whole pack as one coloured assembly, exported to STEP and GLB (and STL on request).

``build_cad(pack, layout, routing, out_folder)`` plans every part in shapely (millimetres,
z up from the enclosure floor's underside), realises the plan as one XCAF assembly document
with OCP (CadQuery's OCCT binding, used directly: cadquery's Assembly costs seconds of Python
for 18,000 parts), exports and returns a ``CadResult``; ``cad_stage`` is the pipeline's door
(sets ``build.cad`` and puts the file bytes into ``build.files``). cadquery/OCP are imported
only inside functions here (and in ``step_export``, which only this module starts): importing
them costs seconds and ``battc check`` must never pay that.

Parts (assembly names in brackets):

* cells (``cells/module_NN/cell_NNNNN``): ONE solid per cell type, placed as instances
  (never fused), coloured by module;
* busbars (``busbars/busbar_NNN``) extruded from ``routing.Busbar.polygon`` by its thickness on
  the cell face it names; pack terminal leads (busbars with a ``path``) sit on an insulated
  carrier ``CARRIER_GAP`` above the plates of that face; fuse links (``fuses/fuse_NNNNN``)
  lie on the top plates over their cell (wire bond: a round wire; fuse link: a strip; the
  opening in the plate is not modelled);
* holders (``holders/holder_NN_bottom|top/tile_*``): cylindrical cells stand in a plastic plate
  per module at each end, a pocket per cell (exact circles, ``POCKET_CLEARANCE`` radial play);
  each plate is made of lattice tiles (a cell's Voronoi cell with its pocket) meeting edge to
  edge, identical tiles instanced, tiles cut by walls/keepouts solids of their own (those
  that are moved copies of one another share one, like any prism: ``_share_shapes``);
  prismatic/pouch modules get a frame (side and end plates as one ring) instead;
* cooling (``cooling/cold_plate``): an aluminium plate with a serpentine channel (one channel
  carries the flow) or parallel channels between two manifolds (Z-flow), cut as a void; the
  flow and the channels are the heat stage's (``passes.heat.design_flow``, ``channel_design``:
  at most ``CHANNEL_VELOCITY``, parallel channels spread over the plate);
* enclosure (``enclosure/floor|walls|lid|flange``): walls follow the envelope outline less
  the keepouts (the keepouts stay outside the box: walls wrap around them, no floor or lid
  over them), a floor, a lid and an outward bolting flange.

Vertical stack, bottom to top: floor (``pack.enclosure``'s sheet) · cold plate (bottom cooling) ·
``TIM_GAP`` · bottom leads / carrier · bottom busbars · cells · top busbars · fuse links ·
carrier / top leads · cold plate (top cooling) · ``LID_CLEARANCE`` · lid. If that stack is taller
than the envelope the enclosure grows to fit and a W401 warning says by how much.

Exports: the GLB from the meshed document; preview.png drawn from the plan (its prisms and
instance prototypes, no second tessellation); pack.step, for packs of ``STEP_PROCESS_CELLS``
cells or more, in a separate process (``python -m battgen.emit.step_export``, spawned before
the plan so that its imports overlap it) that rebuilds the same document from the pickled plan
while this one writes the GLB and the preview. A failure there comes back as E802/E901.

Deterministic bytes: the STEP header's FILE_NAME (path and timestamp) is replaced by constants,
NAUO ids and style entities renumbered in a fixed order (the same bytes from either process);
the GLB carries no time or path; the PNG preview is rasterised here in numpy (no display, no
matplotlib) and written with zlib.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import struct
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.core.outcome import Outcome
from battgen.passes.build import CadResult

# The cold plate's design rules live with the heat analysis that checks them (one plate drawn
# and analysed): skin, channel depth, edge, coolant flow and channels, TIM gap.
from battgen.passes.heat import (
    CHANNEL_EDGE,
    CHANNEL_HEIGHT,
    COLD_PLATE_SKIN,
    PLATE_RIM,
    TIM_GAP,
    channel_design,
    design_flow,
)
from battgen.passes.layout_types import Placement

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

# glTF/preview tessellation (mm, rad): coarse enough for 5,000 cells in seconds
MESH_TOLERANCE = 0.05
MESH_ANGULAR = 0.25

STEP_FILE_NAME = "FILE_NAME('pack.step','2000-01-01T00:00:00',('battgen'),('battgen'),'battgen','battgen','');"

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

# The progress steps, in order. The STEP export runs beside "GLB export" and "preview" for large
# packs (``STEP_PROCESS_CELLS``); its step is the wait for it after them.
STEPS = ("plan", "cells", "busbars", "holders", "cooling", "enclosure", "GLB export", "preview", "STEP export")


# --- result -------------------------------------------------------------------------------


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


# --- the plan (pure shapely; no cadquery) -------------------------------------------------


@dataclass
class Prism:
    """A solid: ``polygon`` (shapely, mm) with extra exact circular holes, from z0 to z1."""

    name: str
    kind: str
    polygon: object
    z0: float
    z1: float
    circles: tuple = ()  # (x, y, r) exact round holes, mm
    colour: tuple = (0.5, 0.5, 0.5)
    density: float = 0.0
    cut: object = None  # optional (polygon, z0, z1) void cut from the prism (cold plate channels)
    instance_of: str | None = None  # reuse the solid of this earlier prism (``_share_shapes``), moved by ``shift``
    shift: tuple = (0.0, 0.0, 0.0)  # mm
    group: str | None = None  # sub-assembly within its kind (holder plates made of tiles)

    @property
    def volume_mm3(self) -> float:
        area = self.polygon.area - sum(math.pi * r * r for _x, _y, r in self.circles)
        vol = area * (self.z1 - self.z0)
        if self.cut is not None:
            poly, c0, c1 = self.cut
            vol -= poly.intersection(self.polygon).area * (c1 - c0)
        return vol


@dataclass
class Instances:
    """Many placements of one solid (cells, fuse links)."""

    kind: str
    proto: tuple  # ("cylinder", d, h) | ("box", w, t, h) | ("wire", d, length) | ("strip", w, t, length)
    names: list = field(default_factory=list)
    places: list = field(default_factory=list)  # (x, y, z, rotation_deg, axis) — z is the bottom
    colour_keys: list = field(default_factory=list)  # index into colours
    colours: list = field(default_factory=list)
    groups: list = field(default_factory=list)  # sub-assembly of each placement
    density: float = 0.0
    unit_mass: float | None = None  # kg per instance, if known (cells)

    @property
    def unit_volume_mm3(self) -> float:
        p = self.proto
        if p[0] == "cylinder":
            return math.pi / 4 * p[1] ** 2 * p[2]
        if p[0] == "box":
            return p[1] * p[2] * p[3]
        if p[0] == "wire":
            return math.pi / 4 * p[1] ** 2 * p[2]
        if p[0] == "tile":
            from shapely.geometry import Polygon

            return (Polygon(p[1]).area - math.pi * p[2] ** 2) * p[3]
        return p[1] * p[2] * p[3]

    def extent(self) -> tuple[float, float, float]:
        """(dx, dy, dz) of one unrotated standing instance."""
        p = self.proto
        if p[0] == "cylinder":
            return p[1], p[1], p[2]
        if p[0] == "box":
            return p[1], p[2], p[3]
        if p[0] == "wire":
            return p[2], p[1], p[1]
        if p[0] == "tile":
            xs, ys = [q[0] for q in p[1]], [q[1] for q in p[1]]
            return max(xs) - min(xs), max(ys) - min(ys), p[3]
        return p[3], p[1], p[2]


@dataclass
class Plan:
    prisms: list
    cells: Instances
    fuses: Instances | None
    holders: list  # Instances of holder tiles
    stack: dict
    cooling: dict
    enclosure_region: object  # shapely, mm: outline less keepouts
    height: float  # enclosure height, mm
    notes: list
    warnings: list  # (message, hint)


def _mm_poly(points, holes=()):
    from shapely.geometry import Polygon

    return Polygon([(x * 1e3, y * 1e3) for x, y in points], [[(x * 1e3, y * 1e3) for x, y in h] for h in holes])


def _clean(geom, min_area: float = 0.5):
    """Polygon parts of ``geom`` above ``min_area`` mm², valid, as a list."""
    import shapely

    if geom is None or geom.is_empty:
        return []
    geom = shapely.make_valid(geom) if not geom.is_valid else geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > min_area]
    out = []
    for p in parts:
        p = shapely.set_precision(p, 1e-4)  # 0.1 µm grid: stable, deterministic vertices
        out.extend(q for q in shapely.get_parts(p) if q.geom_type == "Polygon" and q.area > min_area)
    return out


def _coolant_flow(pack: ir.Pack, layout, routing, materials) -> tuple[float, str]:
    """Coolant volume flow, m³/s, and where it came from, when the heat stage gave none: sized
    (``heat.design_flow``) for the cells' heat at the routed network's current."""
    from battgen.passes.heat import cell_heats

    if routing is not None and routing.network.cell_currents:
        heat = float(cell_heats(pack, routing, routing.network.pack_current).sum())
    else:
        heat = len(layout.cells) * (0.5 * pack.cell.max_discharge_current) ** 2 * pack.cell.resistance
    return design_flow(pack, heat, materials)


def _channels(plate, flow: float):
    """Channel region (shapely, mm) in ``plate`` and its sizing."""
    from shapely.geometry import LineString, box
    from shapely.ops import unary_union

    x0, y0, x1, y1 = plate.bounds
    n, width, _coverage = channel_design(flow, min(x1 - x0, y1 - y0))
    inner = plate.buffer(-CHANNEL_EDGE, join_style="mitre")
    m = CHANNEL_EDGE + width / 2
    lx, ly = x1 - x0, y1 - y0
    along_x = lx >= ly
    if not along_x:  # work in a frame where passes run along the longer side
        x0, y0, x1, y1 = y0, x0, y1, x1

    def pt(u, v):
        return (u, v) if along_x else (v, u)

    if n == 1:
        pitch = max(3.0 * width, 12.0)
        passes = max(2, int((y1 - y0 - 2 * m) // pitch) + 1)
        pitch = (y1 - y0 - 2 * m) / (passes - 1) if passes > 1 else 0.0
        pts = [pt(x0 - 1.0, y0 + m)]
        for i in range(passes):
            v = y0 + m + i * pitch
            right = i % 2 == 0
            if i:
                pts.append(pt(x1 - m if not right else x0 + m, v))
            pts.append(pt(x1 - m if right else x0 + m, v))
        last = pts[-1]
        u_last = last[0] if along_x else last[1]
        end_u = x1 + 1.0 if u_last > (x0 + x1) / 2 else x0 - 1.0
        v_last = y0 + m + (passes - 1) * pitch
        body = LineString(pts[1:]).buffer(width / 2, cap_style="square", join_style="mitre")
        ports = unary_union(
            [
                LineString([pts[0], pts[1]]).buffer(width / 2, cap_style="flat"),
                LineString([pt(u_last, v_last), pt(end_u, v_last)]).buffer(width / 2, cap_style="flat"),
            ]
        )
        layout = "serpentine"
    else:
        usable = y1 - y0 - 2 * m
        pitch = usable / (n - 1) if n > 1 else 0.0
        if pitch < width + 2.0:  # too many: squeeze them into the width available
            n = max(2, int(usable // (width + 2.0)) + 1)
            pitch = usable / (n - 1)
        manifold = min(3.0 * width, 30.0)
        a, b = x0 + CHANNEL_EDGE, x1 - CHANNEL_EDGE
        rects = [
            box(*pt(a, y0 + m - width / 2), *pt(a + manifold, y1 - m + width / 2)),
            box(*pt(b - manifold, y0 + m - width / 2), *pt(b, y1 - m + width / 2)),
        ]
        for i in range(n):
            v = y0 + m + i * pitch
            rects.append(box(*pt(a, v - width / 2), *pt(b, v + width / 2)))
        body = unary_union(rects)
        # Z-flow: inlet at the first manifold's low end, outlet at the second's high end
        ports = unary_union(
            [
                LineString([pt(a + manifold / 2, y0 - 1.0), pt(a + manifold / 2, y0 + m)]).buffer(
                    manifold / 2, cap_style="flat"
                ),
                LineString([pt(b - manifold / 2, y1 - m), pt(b - manifold / 2, y1 + 1.0)]).buffer(
                    manifold / 2, cap_style="flat"
                ),
            ]
        )
        layout = "parallel"
    region = unary_union([body.intersection(inner), ports.intersection(plate.buffer(0.5, join_style="mitre"))])
    section = n * width * CHANNEL_HEIGHT / 1e6  # m²
    info = {
        "layout": layout,
        "channels": n,
        "width": width / 1e3,
        "height": CHANNEL_HEIGHT / 1e3,
        "velocity": flow / section,
        "cross_section": section,
    }
    return region, info


def _lattice_tile(xy, r: float):
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


def plan_pack(
    pack: ir.Pack,
    layout,
    routing,
    materials: Mapping[str, ir.Material],
    coolant_flow: tuple[float, str] | None = None,
) -> Plan:
    """Every part as geometry (mm), without cadquery. The enclosure is ``pack.enclosure``'s
    material and sheet (``models.packaging.enclosure_wall``: the estimate uses the same)."""
    import numpy as np
    import shapely
    from shapely.geometry import Point, box
    from shapely.ops import unary_union

    from battgen.models.packaging import enclosure_wall

    rho_box, sheet = enclosure_wall(pack.enclosure)
    sheet *= 1e3  # mm: floor, lid and wall sheet (the envelope's `wall` is the clearance to the cells)
    rho_al = _density("aluminium_6061", materials, 2700.0)
    notes: list[str] = []
    warnings: list[tuple[str, str]] = []
    fmt = pack.cell.format
    cyl = fmt.kind == "cylindrical"
    h_cell = fmt.height * 1e3
    cells = layout.cells
    xy = np.array([(c.x * 1e3, c.y * 1e3) for c in cells]) if cells else np.zeros((0, 2))
    zc = np.array([c.z * 1e3 for c in cells]) if cells else np.zeros(0)

    # --- outline, keepouts, wall ---
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
    r_foot = max(layout.footprint) * 1e3 / 2
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

    # --- vertical stack ---
    busbars = list(routing.busbars) if routing is not None else []
    fuses = list(routing.fuses) if routing is not None else []
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

    prisms: list[Prism] = []

    # --- cells ---
    module_colour = {}
    cell_inst = Instances(
        "cell",
        ("cylinder", fmt.diameter * 1e3, h_cell) if cyl else ("box", fmt.width * 1e3, fmt.thickness * 1e3, h_cell),
    )
    cell_inst.unit_mass = pack.cell.mass
    for c in cells:
        key = c.module % len(PALETTE)
        module_colour[c.module] = key
        cell_inst.names.append(f"cell_{c.index:05d}")
        cell_inst.places.append((c.x * 1e3, c.y * 1e3, z_cells + c.z * 1e3, math.degrees(c.rotation), c.axis))
        cell_inst.colour_keys.append(key)
        cell_inst.groups.append(f"module_{c.module:02d}")
    cell_inst.colours = list(PALETTE)

    # --- busbars and leads ---
    by_group: dict[int, list[int]] = {}
    for i, c in enumerate(cells):
        by_group.setdefault(c.group, []).append(i)
    plate_top = {}
    for b in busbars:
        idx = [i for g in b.groups for i in by_group.get(g, [])]
        if b.z == "top":
            face = max((z_cells + zc[i] + h_cell for i in idx), default=z_top)
        else:
            face = min((z_cells + zc[i] for i in idx), default=z_cells)
        poly = _mm_poly(b.polygon, b.holes)
        t = b.thickness * 1e3
        if b.path:  # insulated lead on a carrier beyond the plates
            off = plates_t[b.z] + (top_gap if b.z == "top" else bottom_gap)
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

    # --- fuse links: on the top plate over their cell ---
    fuse_inst = None
    if fuses:
        f0 = fuses[0]
        if f0.kind == "wire_bond":
            proto = ("wire", f0.diameter * 1e3, f0.length * 1e3)
        else:
            proto = ("strip", f0.width * 1e3, f0.thickness * 1e3, f0.length * 1e3)
        fuse_inst = Instances("fuse", proto, density=_density(f0.material, materials, 2705.0))
        fuse_inst.colours = [COLOURS["fuse"]]
        for fz in fuses:
            c = cells[fz.cell]
            base = plate_top.get(fz.cell, z_cells + c.z * 1e3 + h_cell)
            fuse_inst.names.append(f"fuse_{fz.cell:05d}")
            fuse_inst.places.append((c.x * 1e3, c.y * 1e3, base, 0.0, "z"))
            fuse_inst.colour_keys.append(0)
            fuse_inst.groups.append(None)
        if len({(f.kind, f.diameter, f.width, f.thickness, f.length) for f in fuses}) > 1:
            notes.append("fuse links differ in size; all are drawn with the first one's geometry")

    # --- holders (cylindrical) or module frames (prismatic/pouch) ---
    layers = sorted(set(np.round(zc, 6).tolist())) if len(zc) else []
    modules = sorted({c.module for c in cells})
    extra_instances: list[Instances] = []
    if cyl:
        # A holder plate per module at each cell end, built from lattice tiles: each cell's
        # Voronoi cell of the lattice with its pocket. Tiles of neighbours meet edge to edge, so
        # a module's tiles form one plate; identical tiles are instances of ONE solid (a plate
        # with hundreds of exact holes costs minutes in STEP/GLB), tiles cut by a wall, a
        # keepout or an irregular neighbour are solids of their own.
        r = fmt.diameter * 1e3 / 2
        t_h = min(HOLDER_THICKNESS, h_cell / 5)
        pocket = r + POCKET_CLEARANCE
        proto = _lattice_tile(xy, r)
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
        pockets_poly = shapely.buffer(shapely.points(xy), pocket, quad_segs=16)
        holder_inst = Instances(
            "holder", ("tile", tuple(proto.exterior.coords)[:-1], pocket, t_h), density=HOLDER_DENSITY
        )
        holder_inst.colours = [COLOURS["holder"]]
        multi = len(layers) > 1
        for i in np.flatnonzero(ok):
            c = cells[i]
            base = f"holder_{c.module:02d}" + (f"_L{layers.index(round(zc[i], 6))}" if multi else "")
            for end, z0 in (("bottom", z_cells + zc[i]), ("top", z_cells + zc[i] + h_cell - t_h)):
                holder_inst.names.append(f"tile_{end}_{c.index:05d}")
                holder_inst.places.append((float(xy[i, 0]), float(xy[i, 1]), float(z0), 0.0, "z"))
                holder_inst.colour_keys.append(0)
                holder_inst.groups.append(f"{base}_{end}")
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
            base = f"holder_{c.module:02d}" + (f"_L{layers.index(round(zc[i], 6))}" if multi else "")
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
        if holder_inst.names:
            extra_instances.append(holder_inst)
    else:
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
                zb = z_cells + float(lz)
                name = f"frame_{m:02d}" + (f"_L{layers.index(lz)}" if len(layers) > 1 else "")
                prisms.append(Prism(name, "frame", ring, zb, zb + h_cell, (), COLOURS["frame"], rho_al))

    # --- cooling ---
    cooling: dict = {"side": side}
    if side in ("bottom", "top") and len(xy):
        lo, hi = xy.min(axis=0) - r_foot - PLATE_RIM, xy.max(axis=0) + r_foot + PLATE_RIM
        plate = box(lo[0], lo[1], hi[0], hi[1]).intersection(free.buffer(-0.5, join_style="mitre"))
        plate = unary_union(_clean(plate))
        if not plate.is_empty:
            flow, why = coolant_flow or _coolant_flow(pack, layout, routing, materials)
            chan, info = _channels(plate, flow)
            chan = unary_union(_clean(chan, 0.1))
            z0 = stack["cold_plate"]
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

    # --- enclosure ---
    walls = region.difference(region.buffer(-side_sheet, join_style="mitre"))
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

    _share_shapes(prisms)
    return Plan(prisms, cell_inst, fuse_inst, extra_instances, stack, cooling, region, height, notes, warnings)


# Prisms whose outlines match within this after a translation share one solid. 1 µm: ten times
# the 0.1 µm grid ``_clean`` snaps to (translated copies of one outline differ by that rounding)
# and 150 times below the busbar outline's own tolerance, ``BUSBAR_SIMPLIFY``.
SHARE_TOLERANCE = 1e-3


def _share_shapes(prisms: list) -> None:
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


# --- realisation (OCP) --------------------------------------------------------------------


def _face(poly, circles=(), z: float = 0.0):
    """A planar face at height ``z`` from a shapely polygon (mm) plus exact circular holes,
    built directly with OCP (cadquery's ``Face.makeFromWires`` runs ShapeFix, which is
    quadratic in the number of holes)."""
    from OCP.BRepBuilderAPI import (
        BRepBuilderAPI_MakeEdge,
        BRepBuilderAPI_MakeFace,
        BRepBuilderAPI_MakePolygon,
        BRepBuilderAPI_MakeWire,
    )
    from OCP.gp import gp_Ax2, gp_Circ, gp_Dir, gp_Pln, gp_Pnt
    from shapely.geometry.polygon import orient

    poly = orient(poly, 1.0)  # exterior counter-clockwise, holes clockwise: the face's normal is +z

    def ring(coords):
        mp = BRepBuilderAPI_MakePolygon()
        for x, y in list(coords)[:-1]:
            mp.Add(gp_Pnt(x, y, z))
        mp.Close()
        return mp.Wire()

    maker = BRepBuilderAPI_MakeFace(gp_Pln(gp_Pnt(0, 0, z), gp_Dir(0, 0, 1)), ring(poly.exterior.coords))
    for hole in poly.interiors:
        maker.Add(ring(hole.coords))
    for x, y, r in circles:
        edge = BRepBuilderAPI_MakeEdge(gp_Circ(gp_Ax2(gp_Pnt(x, y, z), gp_Dir(0, 0, -1)), r)).Edge()
        maker.Add(BRepBuilderAPI_MakeWire(edge).Wire())
    return maker.Face()


def _prism_solid(poly, circles, z0, z1):
    """The prism of ``poly`` (shapely, mm; may be a MultiPolygon) with exact round holes, from
    z0 to z1: a TopoDS solid, or a compound of one solid per part."""
    import shapely
    from OCP.BRepPrimAPI import BRepPrimAPI_MakePrism
    from OCP.gp import gp_Vec
    from shapely.geometry import Point

    parts = list(shapely.get_parts(poly))
    solids = []
    for part in parts:
        mine = [c for c in circles if part.contains(Point(c[0], c[1]))] if len(parts) > 1 else list(circles)
        solids.append(BRepPrimAPI_MakePrism(_face(part, mine, z0), gp_Vec(0, 0, z1 - z0)).Shape())
    if len(solids) == 1:
        return solids[0]
    return _compound(solids)


def _compound(shapes):
    from OCP.BRep import BRep_Builder
    from OCP.TopoDS import TopoDS_Compound

    builder = BRep_Builder()
    compound = TopoDS_Compound()
    builder.MakeCompound(compound)
    for shape in shapes:
        builder.Add(compound, shape)
    return compound


def _prism_shape(p: Prism):
    """The solid of a prism, its void cut (cold plate channels) included."""
    shape = _prism_solid(p.polygon, p.circles, p.z0, p.z1)
    if p.cut is not None and not p.cut[0].is_empty:
        from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut
        from OCP.TopTools import TopTools_ListOfShape

        args, tools = TopTools_ListOfShape(), TopTools_ListOfShape()
        args.Append(shape)
        tools.Append(_prism_solid(p.cut[0], (), p.cut[1], p.cut[2]))
        cut = BRepAlgoAPI_Cut()
        cut.SetArguments(args)
        cut.SetTools(tools)
        cut.SetRunParallel(False)  # one thread: the same result in every process
        cut.Build()
        if not cut.IsDone():
            raise RuntimeError(f"{p.name}: the channel cut failed")
        shape = cut.Shape()
    return shape


def _proto_solid(proto):
    """An instance prototype, centred in x/y with its bottom at z = 0, standing."""
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox, BRepPrimAPI_MakeCylinder
    from OCP.gp import gp_Ax2, gp_Dir, gp_Pnt

    if proto[0] == "cylinder":
        _k, d, h = proto
        return BRepPrimAPI_MakeCylinder(gp_Ax2(gp_Pnt(0, 0, 0), gp_Dir(0, 0, 1)), d / 2, h).Shape()
    if proto[0] == "box":
        _k, w, t, h = proto
        return BRepPrimAPI_MakeBox(gp_Ax2(gp_Pnt(-w / 2, -t / 2, 0), gp_Dir(0, 0, 1)), w, t, h).Shape()
    if proto[0] == "wire":
        _k, d, length = proto
        return BRepPrimAPI_MakeCylinder(gp_Ax2(gp_Pnt(-length / 2, 0, d / 2), gp_Dir(1, 0, 0)), d / 2, length).Shape()
    if proto[0] == "tile":
        from shapely.geometry import Polygon

        _k, coords, pocket, t = proto
        return _prism_solid(Polygon(coords), ((0.0, 0.0, pocket),), 0.0, t)
    _k, w, t, length = proto
    return BRepPrimAPI_MakeBox(gp_Ax2(gp_Pnt(-length / 2, -w / 2, 0), gp_Dir(0, 0, 1)), length, w, t).Shape()


def _locations(places, extent) -> list:
    """The TopLoc_Location of each instance at ``places`` (x, y, z, rotation about z in
    degrees, axis the prototype lies along) for a prototype of ``extent``."""
    from OCP.gp import gp_Ax1, gp_Dir, gp_Pnt, gp_Trsf, gp_Vec
    from OCP.TopLoc import TopLoc_Location

    def move(dx, dy, dz):
        t = gp_Trsf()
        t.SetTranslation(gp_Vec(dx, dy, dz))
        return t

    def turn(axis, degrees):
        t = gp_Trsf()
        t.SetRotation(gp_Ax1(gp_Pnt(0, 0, 0), gp_Dir(*axis)), math.radians(degrees))
        return t

    out = []
    for x, y, z, rot, axis in places:
        trsf = move(x, y, z)
        steps = [turn((0, 0, 1), rot)] if rot else []
        if axis == "x":  # lying along x: turn the standing prototype about y, bottom on z
            steps += [move(0, 0, extent[0] / 2), turn((0, 1, 0), 90), move(0, 0, -extent[2] / 2)]
        elif axis == "y":
            steps += [move(0, 0, extent[1] / 2), turn((1, 0, 0), -90), move(0, 0, -extent[2] / 2)]
        for step in steps:
            trsf.Multiply(step)
        out.append(TopLoc_Location(trsf))
    return out


def _bounds(plan: Plan):
    """(min, max) corners of every part, mm, from the plan."""
    lo = [math.inf] * 3
    hi = [-math.inf] * 3

    def grow(x0, y0, z0, x1, y1, z1):
        for i, (a, b) in enumerate(((x0, x1), (y0, y1), (z0, z1))):
            lo[i], hi[i] = min(lo[i], a), max(hi[i], b)

    for p in plan.prisms:
        bx = p.polygon.bounds
        grow(bx[0], bx[1], p.z0, bx[2], bx[3], p.z1)
    for inst in (plan.cells, plan.fuses):
        if inst is None:
            continue
        ex = inst.extent()
        reach = math.hypot(ex[0], ex[1]) / 2 if inst.kind != "cell" or inst.proto[0] != "cylinder" else ex[0] / 2
        for x, y, z, _rot, axis in inst.places:
            top = ex[2] if axis == "z" else max(ex[0], ex[1])
            rr = reach if axis == "z" else max(ex) / 2
            grow(x - rr, y - rr, z, x + rr, y + rr, z + top)
    return tuple(lo), tuple(hi)


def build_cad(
    pack: ir.Pack,
    layout,
    routing,
    materials: Mapping[str, ir.Material],
    out_folder: Path,
    stl: bool = False,
    progress=None,
    *,
    step_process: bool | None = None,
    stats: dict | None = None,
) -> CadResult:
    """Plan, model and export the pack into ``out_folder`` (``pack.step``, ``pack.glb``,
    ``preview.png``, and ``pack.stl`` if asked). ``progress(step)`` is called after each of
    ``STEPS``. ``materials``: densities by name (the design's ``all_materials``). ``step_process``:
    export the STEP in a process of its own beside the GLB and preview (default: for packs of
    ``STEP_PROCESS_CELLS`` cells or more). ``stats``, if given, receives that process's
    timings and peak memory. Warnings (a stack taller than the envelope) are reported by
    ``cad_stage``; a failed STEP export raises ``StepExportError``."""
    result, _plan = _build(pack, layout, routing, Path(out_folder), stl, progress, materials, step_process, stats)
    return result


# Cells from which the STEP export runs in a process of its own, concurrently with the GLB and the
# preview. Starting it costs about 1.5 s (a Python, OCP's import, the document rebuilt from the
# plan); the in-process STEP of a pack this size takes about as long (494 cells, 2-core machine:
# CAD 2.8-3.8 s in one process, 3.1-3.5 s with the STEP process), so below it the overlap does
# not pay for the start. At 4,416 cells it saves 2-3 s (CAD 6.8-8.7 s instead of 8.7-9.8 s). It
# needs a second CPU to run on: with one (``os.sched_getaffinity``) the STEP stays in process.
STEP_PROCESS_CELLS = 500


def _build(pack, layout, routing, out: Path, stl, progress, materials, step_process=None, stats=None, flow=None):
    tick = progress or (lambda step: None)
    if step_process is None:
        step_process = len(layout.cells) >= STEP_PROCESS_CELLS and _cpus() >= 2
    child = None
    if step_process:
        try:
            child = _StepProcess()
        except (OSError, ValueError):  # no interpreter to start (embedded Python): the STEP in process
            child = None
    try:
        plan = plan_pack(pack, layout, routing, materials, flow)
        tick("plan")
        out.mkdir(parents=True, exist_ok=True)
        if child is not None:
            child.send(plan, pack.name, out / "pack.step")
        doc = _document(plan, pack.name, mesh=True, tick=tick)
        glb_path = out / "pack.glb"
        _export_glb(doc, glb_path)
        tick("GLB export")
        # The preview from the plan's prisms and prototypes, not the GLB's mesh: a third of the
        # triangles (round edges as fine as the picture needs) and no reading back.
        thin = len(plan.cells.names) >= LARGE
        (out / "preview.png").write_bytes(render_preview(_plan_scene(plan, thin=thin)))
        if stl:
            (out / "pack.stl").write_bytes(_stl_bytes(_glb_triangles(glb_path.read_bytes())))
        tick("preview")
        if child is not None:
            del doc  # free the meshed document while the STEP process finishes
            report = child.result()
        else:
            report = write_step(plan, pack.name, out / "pack.step", doc)
        if stats is not None:
            stats["step"] = report
        tick("STEP export")
    finally:
        if child is not None:
            child.stop()
    files = ["pack.step", "pack.glb", "preview.png"] + (["pack.stl"] if stl else [])
    return _result(pack, plan, files), plan


def _cpus() -> int:
    """CPUs this process may run on (its affinity where the platform tells, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _result(pack: ir.Pack, plan: Plan, files: list[str]) -> CadResult:
    """The figures of the built pack (from the plan: the same in every process)."""
    mass: dict[str, float] = {"cells": len(plan.cells.names) * (plan.cells.unit_mass or 0.0)}
    for p in plan.prisms:
        key = {
            "floor": "enclosure",
            "walls": "enclosure",
            "lid": "enclosure",
            "flange": "enclosure",
            "holder": "holders",
        }.get(p.kind, PLURAL[p.kind])
        mass[key] = mass.get(key, 0.0) + p.volume_mm3 * 1e-9 * p.density
    for inst in plan.holders:
        mass["holders"] = mass.get("holders", 0.0) + len(inst.names) * inst.unit_volume_mm3 * 1e-9 * inst.density
    if plan.fuses is not None:
        mass["fuses"] = len(plan.fuses.names) * plan.fuses.unit_volume_mm3 * 1e-9 * plan.fuses.density
    if plan.cooling.get("coolant_mass"):
        mass["coolant"] = plan.cooling["coolant_mass"]
    lo, hi = _bounds(plan)
    rb = plan.enclosure_region.bounds
    enclosure_volume = plan.enclosure_region.area * plan.height * 1e-9
    cell_volume = len(plan.cells.names) * pack.cell.format.volume
    result = CadResult(
        pack=pack.name,
        parts=_counts(plan),
        cell_shapes=1,
        bounding_box=(tuple(v / 1e3 for v in lo), tuple(v / 1e3 for v in hi)),
        enclosure_outer=((rb[2] - rb[0]) / 1e3, (rb[3] - rb[1]) / 1e3, plan.height / 1e3),
        enclosure_volume=enclosure_volume,
        cell_volume=cell_volume,
        volumetric_efficiency=cell_volume / enclosure_volume if enclosure_volume > 0 else 0.0,
        mass={k: float(v) for k, v in sorted(mass.items())},
        mass_total=float(sum(mass.values())),
        cooling={k: v for k, v in plan.cooling.items() if k != "coolant_mass"},
        stack={k: v / 1e3 for k, v in plan.stack.items()},
        files=tuple(files),
        notes=tuple(plan.notes),
    )
    return result


KIND_OF = {
    "busbar": "busbars",
    "lead": "busbars",
    "holder": "holders",
    "frame": "holders",
    "cold_plate": "cooling",
    "floor": "enclosure",
    "walls": "enclosure",
    "lid": "enclosure",
    "flange": "enclosure",
}
PLURAL = {
    "busbar": "busbars",
    "lead": "leads",
    "holder": "holder_tiles",
    "frame": "frames",
    "cold_plate": "cold_plates",
    "floor": "floor",
    "walls": "walls",
    "lid": "lid",
    "flange": "flange",
}
ASSEMBLIES = ("cells", "busbars", "fuses", "holders", "cooling", "enclosure")


def _counts(plan: Plan) -> dict[str, int]:
    """Part kind → number of parts, in a fixed order (``CadResult.parts``)."""
    counts: dict[str, int] = {"cells": len(plan.cells.names)}
    plates: set[str] = set()
    for p in plan.prisms:
        counts[PLURAL[p.kind]] = counts.get(PLURAL[p.kind], 0) + 1
        if KIND_OF[p.kind] == "holders" and p.group is not None:
            plates.add(p.group)
    for inst in plan.holders:
        counts["holder_tiles"] = counts.get("holder_tiles", 0) + len(inst.names)
        plates.update(g for g in inst.groups if g is not None)
    if plates:
        counts["holders"] = len(plates)
    if plan.fuses is not None:
        counts["fuses"] = len(plan.fuses.names)
    order = [
        "cells",
        "busbars",
        "leads",
        "fuses",
        "holders",
        "holder_tiles",
        "frames",
        "cold_plates",
        "floor",
        "walls",
        "lid",
        "flange",
    ]
    return {k: counts[k] for k in order if counts.get(k)}


def _quiet_occt() -> None:
    """OCCT's messages at failures only (its STEP writer prints statistics to stdout otherwise),
    as importing cadquery does."""
    from OCP.Message import Message, Message_Gravity

    for printer in Message.DefaultMessenger_s().Printers():
        printer.SetTraceLevel(Message_Gravity.Message_Fail)


def _document(plan: Plan, name: str, mesh: bool, tick=None):
    """The pack as one XCAF assembly document (OCP directly: cadquery's Assembly and toCAF cost
    seconds of Python for 18,000 parts): ``name`` › cells, busbars, fuses, holders, cooling,
    enclosure › sub-assemblies (a module's cells, a holder plate's tiles) › parts. A part is a
    component (its name, its place) of a shape label (named after the first part that uses it,
    coloured), so instances and shared prisms are written once. ``mesh``: triangulate each
    shape once for glTF (``MESH_TOLERANCE``, relative, and ``MESH_ANGULAR``); the STEP writer
    ignores the triangulation. Built the same way, in the same order, in every process."""
    from OCP.BinXCAFDrivers import BinXCAFDrivers
    from OCP.BRepBuilderAPI import BRepBuilderAPI_Copy
    from OCP.BRepMesh import BRepMesh_IncrementalMesh
    from OCP.Quantity import Quantity_Color, Quantity_ColorRGBA, Quantity_TypeOfColor
    from OCP.TCollection import TCollection_ExtendedString
    from OCP.TDataStd import TDataStd_Name
    from OCP.TDocStd import TDocStd_Document
    from OCP.TopLoc import TopLoc_Location
    from OCP.XCAFApp import XCAFApp_Application
    from OCP.XCAFDoc import XCAFDoc_ColorType, XCAFDoc_DocumentTool

    tick = tick or (lambda step: None)
    _quiet_occt()
    app = XCAFApp_Application.GetApplication_s()
    BinXCAFDrivers.DefineFormat_s(app)
    doc = TDocStd_Document(TCollection_ExtendedString("BinXCAF"))
    app.InitDocument(doc)
    tool = XCAFDoc_DocumentTool.ShapeTool_s(doc.Main())
    tool.SetAutoNaming_s(False)
    ctool = XCAFDoc_DocumentTool.ColorTool_s(doc.Main())

    def named(label, text):
        TDataStd_Name.Set_s(label, TCollection_ExtendedString(text))
        return label

    # The tree: kind → (parts directly in it, sub-assemblies by name); a part is (name, shape
    # key, colour, location). Shapes are made (and meshed) once per key.
    tree = {kind: ([], {}) for kind in ASSEMBLIES}
    shapes: dict = {}

    def part(kind, group, part_name, key, colour, loc):
        direct, groups = tree[kind]
        (direct if group is None else groups.setdefault(group, [])).append((part_name, key, colour, loc))

    def shape_of(key, make):
        if key not in shapes:
            shape = _compound([make()])  # a part's shape is a compound of its solid(s), as cadquery's was
            if mesh:
                BRepMesh_IncrementalMesh(shape, MESH_TOLERANCE, True, MESH_ANGULAR)
            shapes[key] = shape
        return key

    def instances(inst: Instances, kind: str):
        key = shape_of(("proto", inst.kind), lambda: _proto_solid(inst.proto))
        ex = inst.extent()
        locs = _locations(inst.places, ex)
        for part_name, loc, colour_key, group in zip(inst.names, locs, inst.colour_keys, inst.groups):
            part(kind, group, part_name, key, inst.colours[colour_key], loc)

    instances(plan.cells, "cells")
    tick("cells")
    stage_of = {
        "busbar": "busbars",
        "lead": "busbars",
        "holder": "holders",
        "frame": "holders",
        "cold_plate": "cooling",
    }
    done: list[str] = []

    def reach(step: str) -> None:  # progress: every step before ``step`` is done
        for earlier in STEPS[2 : STEPS.index(step)]:
            if earlier not in done:
                done.append(earlier)
                tick(earlier)

    by_name = {p.name: p for p in plan.prisms}
    for p in plan.prisms:
        reach(stage_of.get(p.kind, "enclosure"))
        if p.instance_of is not None:
            base = by_name[p.instance_of]
            key = shape_of(("prism", base.name), lambda base=base: _prism_shape(base))
            loc = _locations([(*p.shift, 0.0, "z")], None)[0]
        else:
            key = shape_of(("prism", p.name), lambda p=p: _prism_shape(p))
            loc = None
        part(KIND_OF[p.kind], p.group, p.name, key, p.colour, loc)
    for inst in plan.holders:
        reach("holders")
        instances(inst, "holders")
    if plan.fuses is not None:
        instances(plan.fuses, "fuses")
    reach("enclosure")

    labels: dict = {}  # (shape key, colour) → shape label
    copied: set = set()
    colours: dict = {}

    def add(parent, part_name, key, colour, loc):
        label = labels.get((key, colour))
        if label is None:
            shape = shapes[key]
            if key in copied:  # another colour of a shape already labelled: a copy (XCAF colours shapes)
                shape = BRepBuilderAPI_Copy(shape, True, mesh).Shape()
            copied.add(key)
            label = labels[(key, colour)] = named(tool.NewShape(), part_name)
            tool.SetShape(label, shape)
            if colour not in colours:
                colours[colour] = Quantity_ColorRGBA(
                    Quantity_Color(*colour, Quantity_TypeOfColor.Quantity_TOC_sRGB), 1.0
                )
            ctool.SetColor(label, colours[colour], XCAFDoc_ColorType.XCAFDoc_ColorSurf)
        named(tool.AddComponent(parent, label, loc if loc is not None else TopLoc_Location()), part_name)

    root = named(tool.NewShape(), name)
    for kind in ASSEMBLIES:
        direct, groups = tree[kind]
        if not direct and not groups:
            continue
        node = named(tool.NewShape(), kind)
        for item in direct:
            add(node, *item)
        for group in sorted(groups):
            sub = named(tool.NewShape(), group)
            for item in groups[group]:
                add(sub, *item)
            tool.AddComponent(node, sub, TopLoc_Location())
        tool.AddComponent(root, node, TopLoc_Location())
    tool.UpdateAssemblies()
    reach("GLB export")
    return doc


def _export_step(doc, path: Path, times: dict | None = None) -> None:
    """AP214 STEP of the document, without pcurves: every face is planar or a cylinder and
    readers rebuild them; they were half the entities of the file and of the export time."""
    import time

    from OCP.IFSelect import IFSelect_ReturnStatus
    from OCP.Interface import Interface_Static
    from OCP.STEPCAFControl import STEPCAFControl_Writer
    from OCP.STEPControl import STEPControl_StepModelType
    from OCP.XSControl import XSControl_WorkSession

    times = times if times is not None else {}
    start = time.perf_counter()
    session = XSControl_WorkSession()
    writer = STEPCAFControl_Writer(session, False)
    writer.SetColorMode(True)
    writer.SetNameMode(True)
    # Nothing to write for these (no layers, validation properties, SHUOs, materials, GD&T),
    # but looking costs: the properties pass counts each assembly's children once per part,
    # quadratic in the parts (16,000 instances: the transfer took 1.5 s with it, 0.9 s without).
    writer.SetLayerMode(False)
    writer.SetPropsMode(False)
    writer.SetSHUOMode(False)
    writer.SetMaterialMode(False)
    writer.SetDimTolMode(False)
    Interface_Static.SetIVal_s("write.surfacecurve.mode", 0)
    # The uncertainty written with each representation: a stated 1e-7 mm (OCCT's confusion
    # tolerance, what every shape here has) instead of the average over the shape ("mode 0"),
    # which walks every vertex and edge of every placed instance (14% of the transfer).
    Interface_Static.SetIVal_s("write.precision.mode", 2)
    Interface_Static.SetRVal_s("write.precision.val", 1e-7)
    Interface_Static.SetIVal_s("write.stepcaf.subshapes.name", 1)
    Interface_Static.SetCVal_s("xstep.cascade.unit", "MM")
    Interface_Static.SetCVal_s("write.step.unit", "MM")
    Interface_Static.SetIVal_s("write.step.tessellated", 0)  # B-rep only, never the glTF mesh
    writer.Transfer(doc, STEPControl_StepModelType.STEPControl_AsIs)
    times["transfer"] = time.perf_counter() - start
    if writer.Write(str(path)) != IFSelect_ReturnStatus.IFSelect_RetDone:
        raise OSError(f"cannot write {path.name}")
    times["write"] = time.perf_counter() - start - times["transfer"]


def _export_glb(doc, path: Path) -> None:
    """Binary glTF (mm, y up as glTF wants: the writer turns the z-up document), one merged
    mesh per part (cadquery's exporter writes a primitive per B-rep face), instanced parts
    share their mesh."""
    from OCP.Message import Message_ProgressRange
    from OCP.RWGltf import RWGltf_CafWriter
    from OCP.RWMesh import RWMesh_CoordinateSystem
    from OCP.TCollection import TCollection_AsciiString
    from OCP.TColStd import TColStd_IndexedDataMapOfStringString

    writer = RWGltf_CafWriter(TCollection_AsciiString(str(path)), True)
    writer.ChangeCoordinateSystemConverter().SetInputCoordinateSystem(
        RWMesh_CoordinateSystem.RWMesh_CoordinateSystem_Zup
    )
    writer.SetMergeFaces(True)
    writer.SetParallel(False)
    if not writer.Perform(doc, TColStd_IndexedDataMapOfStringString(), Message_ProgressRange()):
        raise OSError(f"cannot write {path.name}")


def _canonical_styles(text: str) -> str:
    """Renumber the colour styling entities at the end of the DATA section in a fixed order.

    OCCT writes one MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION chain per coloured
    shape, iterating a map keyed by pointers: the chains' order (and so their entity numbers)
    changes from run to run although their content does not. The chains are re-emitted by a
    depth-first walk from their roots, sorted by the (stable) entity each one styles."""
    start = text.find("MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION")
    end = text.rfind("ENDSEC;")
    if start < 0 or end < 0:
        return text
    start = text.rfind("\n#", 0, start) + 1
    tail = text[start:end]
    entities = re.findall(r"#(\d+) = (.*?);\s*(?=#\d+ = |$)", tail, flags=re.DOTALL)
    if not entities:
        return text
    body = {int(i): b for i, b in entities}
    first = min(body)
    refs = {i: [int(r) for r in re.findall(r"#(\d+)", b)] for i, b in body.items()}
    roots = [i for i, b in body.items() if b.startswith("MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION")]

    def key(root):  # the styled item's target outside the tail
        outside = []
        stack, seen = [root], set()
        while stack:
            i = stack.pop()
            if i in seen or i not in body:
                continue
            seen.add(i)
            outside.extend(r for r in refs[i] if r not in body)
            stack.extend(refs[i])
        return sorted(outside), body[root]

    order: list[int] = []
    placed: set[int] = set()

    def visit(i):
        stack = [i]
        while stack:
            j = stack.pop()
            if j in placed or j not in body:
                continue
            placed.add(j)
            order.append(j)
            stack.extend(reversed(refs[j]))

    for root in sorted(roots, key=key):
        visit(root)
    order.extend(i for i in sorted(body) if i not in placed)
    new_id = {old: first + n for n, old in enumerate(order)}

    def renumber(b: str) -> str:
        return re.sub(r"#(\d+)", lambda m: f"#{new_id.get(int(m.group(1)), int(m.group(1)))}", b)

    flat = {i: renumber(re.sub(r"\s*\n\s*", " ", b)) for i, b in body.items()}
    out = "".join(f"#{new_id[i]} = {flat[i]};\n" for i in order)
    return text[:start] + out + text[end:]


def _fixed_step(data: bytes) -> bytes:
    """The STEP text with a constant FILE_NAME (the temp path and the timestamp change on every
    run), NAUO ids counted from 1 and the styles in a fixed order."""
    text = data.decode("latin-1")
    text = re.sub(r"FILE_NAME\(.*?\);", lambda _m: STEP_FILE_NAME, text, count=1, flags=re.DOTALL)
    counter = iter(range(1, 10**9))  # NAUO ids come from a per-process OCCT counter

    def nauo(match) -> str:  # one line each: OCCT wraps the entity by the id's length
        rest = re.sub(r"\n *", "", match.group(1))
        return f"NEXT_ASSEMBLY_USAGE_OCCURRENCE('{next(counter)}'{rest});"

    text = re.sub(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('\d+'(.*?)\);", nauo, text, flags=re.DOTALL)
    text = _canonical_styles(text)
    return text.encode("latin-1")


class StepExportError(Exception):
    """The STEP export failed; ``kind`` is the exception's type name ("OSError": the file could not
    be written), ``message`` what went wrong."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def write_step(plan: Plan, name: str, path: Path, doc=None) -> dict:
    """Write the plan's STEP to ``path`` atomically (the document is built unless given);
    returns the time of each step, s."""
    import time

    from battgen.core.atomic import write_atomic

    times: dict[str, float] = {}
    start = time.perf_counter()
    if doc is None:
        doc = _document(plan, name, mesh=False)
        times["document"] = time.perf_counter() - start
    fd, raw = tempfile.mkstemp(prefix=".pack.step.", suffix=".raw", dir=path.parent)
    os.close(fd)
    try:
        _export_step(doc, Path(raw), times)
        mark = time.perf_counter()
        data = _fixed_step(Path(raw).read_bytes())
    finally:
        os.unlink(raw)
    write_atomic(path, data)
    times["fix and write"] = time.perf_counter() - mark
    return {"times": times}


# Seconds the STEP export process may take before it is stopped (its work takes about 5 s for
# 4,416 cells on a 2-core machine; a hang must not block a build forever).
STEP_TIMEOUT = 600


class _StepProcess:
    """``python -m battgen.emit.step_export`` running beside this process: a fresh interpreter
    (spawned, never forked: a fork of a process whose OCCT threads hold locks can hang) that
    rebuilds the document from the pickled plan and writes the STEP file atomically. It starts
    before the plan is made, so that its imports (OCP: about a second) overlap the plan; ``send``
    then hands it the plan through its stdin. Its result, or what went wrong, comes back as one
    line of JSON on its stdout."""

    def __init__(self):
        import subprocess
        import sys

        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 - the child's stderr, closed by ``stop``
        self.sender = None
        root = str(Path(__file__).resolve().parents[2])  # the folder holding the battgen package
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "battgen.emit.step_export"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            env=env,
        )

    def send(self, plan: Plan, name: str, path: Path) -> None:
        """Hand the child its work: from a thread, as the pipe takes the plan only as fast as
        the child reads it (after its imports), and this process has the GLB to write."""
        import pickle
        import threading

        data = pickle.dumps({"plan": plan, "name": name, "path": str(path)}, protocol=pickle.HIGHEST_PROTOCOL)

        def write() -> None:
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()  # ``communicate`` closes it
            except (OSError, ValueError):  # the child ended (or was stopped) early: ``result`` says how
                pass

        self.sender = threading.Thread(target=write, name="battgen-step-send", daemon=True)
        self.sender.start()

    def result(self) -> dict:
        """Wait for the process; its report (times, peak memory), or ``StepExportError``."""
        import json
        import subprocess

        try:
            if self.sender is not None:
                self.sender.join(timeout=STEP_TIMEOUT)
                if self.sender.is_alive():
                    raise subprocess.TimeoutExpired(self.proc.args, STEP_TIMEOUT)
            out, _ = self.proc.communicate(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.stop()
            raise StepExportError("TimeoutError", f"the STEP export process took more than {STEP_TIMEOUT} s") from None
        lines = out.decode("utf-8", "replace").strip().splitlines()
        try:
            report = json.loads(lines[-1]) if lines else None
        except ValueError:
            report = None
        if not isinstance(report, dict) or "ok" not in report:
            self.errors.seek(0)
            tail = self.errors.read().decode("utf-8", "replace").strip().splitlines()
            code = self.proc.returncode
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            raise StepExportError(
                "ProcessError",
                f"the STEP export process {how} without a result" + (f" ({tail[-1].strip()})" if tail else ""),
            )
        if not report["ok"]:
            raise StepExportError(report.get("error", "Error"), report.get("message", ""))
        return report

    def stop(self) -> None:
        """End the process if it still runs (this process failed or gave up on it)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for handle in (self.proc.stdin, self.proc.stdout, self.errors):
            if handle is not None:
                with contextlib.suppress(OSError):  # a pipe with unsent bytes to a child that is gone
                    handle.close()


# --- meshes, preview, STL -----------------------------------------------------------------


def _glb_triangles(data: bytes, thin: bool = False):
    """Every triangle of a GLB (as cadquery/OCCT writes it) in the CAD frame (z up, mm):
    (triangles (N, 3, 3), RGB colours (N, 3) in 0..1, is-lid flags (N,)). A small reader of
    the glTF 2.0 container (JSON chunk + BIN chunk), so trimesh is not needed at run time.

    ``thin`` (the preview of a large pack): the bottom holder tiles (under the cells and the
    top tiles) and the fuse links (under a pixel) are left out, and of the cells and top tiles
    only the triangles facing up are kept (their sides are hidden by their neighbours)."""
    import json

    import numpy as np

    if data[:4] != b"glTF":
        raise ValueError("not a GLB file")
    n_json = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20 : 20 + n_json])
    off = 20 + n_json
    blob = data[off + 8 : off + 8 + struct.unpack_from("<I", data, off)[0]] if off < len(data) else b""
    kinds = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8}
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}

    def accessor(i):
        a = doc["accessors"][i]
        view = doc["bufferViews"][a["bufferView"]]
        dtype = np.dtype(kinds[a["componentType"]])
        n = width[a["type"]]
        start = view.get("byteOffset", 0) + a.get("byteOffset", 0)
        stride = view.get("byteStride", 0) or dtype.itemsize * n
        raw = np.frombuffer(blob, dtype=np.uint8, count=stride * (a["count"] - 1) + dtype.itemsize * n, offset=start)
        rows = np.lib.stride_tricks.as_strided(raw, (a["count"], dtype.itemsize * n), (stride, 1))
        return np.ascontiguousarray(rows).view(dtype).reshape(a["count"], n)

    def local(node):
        if "matrix" in node:
            return np.array(node["matrix"], float).reshape(4, 4).T
        m = np.eye(4)
        if "scale" in node:
            m = np.diag([*node["scale"], 1.0]) @ m
        if "rotation" in node:
            x, y, z, w = node["rotation"]
            rm = np.eye(4)
            rm[:3, :3] = [
                [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
            ]
            m = rm @ m
        if "translation" in node:
            t = np.eye(4)
            t[:3, 3] = node["translation"]
            m = t @ m
        return m

    uses: dict[int, list] = {}  # mesh → [(world matrix, is lid)]
    nodes = doc.get("nodes", [])
    stack = [(i, np.eye(4), False) for i in doc["scenes"][doc.get("scene", 0)]["nodes"]]
    while stack:
        i, parent, lid = stack.pop()
        node = nodes[i]
        m = parent @ local(node)
        lid = lid or node.get("name", "").lower().startswith("lid")
        if "mesh" in node:
            name = node.get("name", "")
            if thin and name.startswith(("tile_bottom_", "fuse_")):
                pass
            else:
                uses.setdefault(node["mesh"], []).append((m, lid, thin and name.startswith(("tile_", "cell_"))))
        stack.extend((c, m, lid) for c in node.get("children", []))
    to_cad = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float)  # glTF y-up → z-up
    tris, cols, lids = [], [], []
    for mesh_index in sorted(uses):
        placed = uses[mesh_index]
        mats = np.stack([to_cad @ m for m, _lid, _up in placed])
        lid_flags = np.array([lid for _m, lid, _up in placed])
        up_only = np.array([up for _m, _lid, up in placed])
        for prim in doc["meshes"][mesh_index]["primitives"]:
            if prim.get("mode", 4) != 4 or "POSITION" not in prim["attributes"]:
                continue
            v = accessor(prim["attributes"]["POSITION"]).astype(float)
            if "indices" in prim:
                f = accessor(prim["indices"]).reshape(-1, 3).astype(np.int64)
            else:
                f = np.arange(len(v)).reshape(-1, 3)
            rgb = (0.6, 0.6, 0.6)
            if "material" in prim:
                mat = doc["materials"][prim["material"]]
                rgb = tuple(mat.get("pbrMetallicRoughness", {}).get("baseColorFactor", [0.6, 0.6, 0.6, 1])[:3])
            world = np.einsum("kij,vj->kvi", mats[:, :3, :3], v) + mats[:, None, :3, 3]
            if up_only.any():  # faces whose placed normal points up (z > 0.3 of its length)
                n_local = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
                n_len = np.linalg.norm(n_local, axis=1)
                n_z = mats[:, 2, :3] @ n_local.T  # (instances, faces)
                keep = (n_z > 0.3 * n_len[None]) | ~up_only[:, None]
                inst, face = np.nonzero(keep)
                tris.append(world[inst[:, None], f[face]])
                cols.append(np.tile(np.array(rgb, float), (len(inst), 1)))
                lids.append(lid_flags[inst])
                continue
            tris.append(world[:, f].reshape(-1, 3, 3))
            cols.append(np.tile(np.array(rgb, float), (len(placed) * len(f), 1)))
            lids.append(np.repeat(lid_flags, len(f)))
    if not tris:
        return np.zeros((0, 3, 3)), np.zeros((0, 3)), np.zeros(0, bool)
    return np.concatenate(tris), np.concatenate(cols), np.concatenate(lids)


PREVIEW_MARGIN = 20  # px of white around the pack in preview.png


def _view_axes():
    """(right, up, view) unit vectors of the isometric preview, looking from (-x, -y, +z)."""
    import numpy as np

    view = np.array([1.0, 1.0, -1.0]) / math.sqrt(3)
    right = np.cross(view, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    return right, np.cross(right, view), view


def _prism_triangles(poly, z0: float, z1: float, top_only: bool = False, bottom: bool = False):
    """Triangles (N, 3, 3) of a prism of ``poly`` (shapely, mm; holes allowed) from z0 to z1,
    each wound so its normal points out of the solid: the top face, and unless ``top_only``
    the sides. The bottom face only if asked: the preview looks down, a standing prism's
    bottom is never seen."""
    import numpy as np
    import shapely
    from shapely.geometry.polygon import orient

    out = []
    for part in shapely.get_parts(poly):
        part = orient(part, 1.0)  # exterior counter-clockwise, holes clockwise
        tri = shapely.get_coordinates(shapely.get_parts(shapely.constrained_delaunay_triangles(part)))
        tri = tri.reshape(-1, 4, 2)[:, :3]
        e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
        area = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
        tri = np.where((area < 0)[:, None, None], tri[:, ::-1], tri)  # counter-clockwise: normal +z
        out.append(np.concatenate([tri, np.full((len(tri), 3, 1), z1)], axis=2))
        if bottom:
            out.append(np.concatenate([tri[:, ::-1], np.full((len(tri), 3, 1), z0)], axis=2))
        if top_only:
            continue
        for ring in (part.exterior, *part.interiors):
            xy = np.asarray(ring.coords)
            a, b = xy[:-1], xy[1:]  # edge a → b; the solid is on its left, so (a, b, b', a') faces out
            lo_a, lo_b = np.column_stack([a, np.full(len(a), z0)]), np.column_stack([b, np.full(len(b), z0)])
            hi_a, hi_b = np.column_stack([a, np.full(len(a), z1)]), np.column_stack([b, np.full(len(b), z1)])
            out.append(np.stack([lo_a, lo_b, hi_b], axis=1))
            out.append(np.stack([lo_a, hi_b, hi_a], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 3, 3))


def _proto_triangles(proto, segments: int):
    """Triangles of an instance prototype (as ``_proto_solid`` makes it) with round edges as
    ``segments``-gons."""
    import numpy as np
    from shapely.geometry import Point, Polygon, box

    def disc(d):
        return Point(0, 0).buffer(d / 2, quad_segs=segments // 4)

    kind = proto[0]
    if kind == "cylinder":
        return _prism_triangles(disc(proto[1]), 0.0, proto[2], bottom=True)
    if kind == "box":
        _k, w, t, h = proto
        return _prism_triangles(box(-w / 2, -t / 2, w / 2, t / 2), 0.0, h, bottom=True)
    if kind == "tile":
        _k, coords, pocket, t = proto
        return _prism_triangles(Polygon(coords).difference(disc(2 * pocket)), 0.0, t, bottom=True)
    if kind == "wire":  # a cylinder along x, its bottom on z = 0: made along z, turned +90° about y
        _k, d, length = proto
        tri = _prism_triangles(disc(d), -length / 2, length / 2, bottom=True)
        return np.stack([tri[..., 2], tri[..., 1], d / 2 - tri[..., 0]], axis=-1)
    _k, w, t, length = proto  # strip
    return _prism_triangles(box(-length / 2, -w / 2, length / 2, w / 2), 0.0, t, bottom=True)


def _matrices(places, extent):
    """4×4 placements of instances (numpy), the same transforms as ``_locations``."""
    import numpy as np

    def move(v):
        m = np.eye(4)
        m[:3, 3] = v
        return m

    def turn(axis, degrees):
        a = math.radians(degrees)
        c, s = math.cos(a), math.sin(a)
        m = np.eye(4)
        i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
        m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
        return m

    out = np.empty((len(places), 4, 4))
    for k, (x, y, z, rot, axis) in enumerate(places):
        m = move((x, y, z))
        if rot:
            m = m @ turn("z", rot)
        if axis == "x":
            m = m @ move((0, 0, extent[0] / 2)) @ turn("y", 90) @ move((0, 0, -extent[2] / 2))
        elif axis == "y":
            m = m @ move((0, 0, extent[1] / 2)) @ turn("x", -90) @ move((0, 0, -extent[2] / 2))
        out[k] = m
    return out


def _plan_scene(plan: Plan, thin: bool = False, width: int = 1000, height: int = 700):
    """The preview's triangles straight from the plan (no second tessellation): (triangles
    (N, 3, 3) mm, RGB colours (N, 3), skip flags (N,)), lid left out. Round edges are drawn as
    polygons whose sagitta is under half a pixel of the ``width`` × ``height`` picture.

    ``thin`` (a large pack): the bottom holder tiles (under the cells and the top tiles) and
    the fuse links (under a pixel) are left out, and of the cells and top tiles only the faces
    turned up are kept (their sides are hidden by their neighbours)."""
    import numpy as np
    from shapely.geometry import Point

    lo, hi = _bounds(plan)
    corners = np.array([(x, y, z) for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    right, up, _view = _view_axes()
    span = max(
        np.ptp(corners @ right) / (width - 2 * PREVIEW_MARGIN), np.ptp(corners @ up) / (height - 2 * PREVIEW_MARGIN)
    )
    radius = max([inst.extent()[1] / 2 for inst in (plan.cells, plan.fuses) if inst is not None] + [1.0])
    r_px = radius / max(span, 1e-9)
    # n-gons with r(1 - cos(π/n)) <= 0.5 px, at least 12 (a cell a few pixels wide still looks round)
    segments = 4 * math.ceil(max(12, math.pi / math.acos(max(1 - 0.5 / max(r_px, 0.5), -1.0))) / 4)

    tris, cols = [], []
    for p in plan.prisms:
        if p.kind == "lid" or (thin and p.name.startswith("tile_bottom_")):
            continue
        poly = p.polygon
        for x, y, r in p.circles:
            poly = poly.difference(Point(x, y).buffer(r, quad_segs=segments // 4))
        if p.cut is not None and not p.cut[0].is_empty:  # the void as three layers: skin, walls, skin
            void, c0, c1 = p.cut
            t = np.concatenate(
                [
                    _prism_triangles(poly, p.z0, c0),
                    _prism_triangles(poly.difference(void), c0, c1),
                    _prism_triangles(poly, c1, p.z1),
                ]
            )
        else:
            t = _prism_triangles(poly, p.z0, p.z1, top_only=thin and p.name.startswith("tile_"))
        tris.append(t)
        cols.append(np.tile(np.array(p.colour, float), (len(t), 1)))
    groups = [(plan.cells, thin)] + [(inst, thin) for inst in plan.holders]
    if plan.fuses is not None and not thin:
        groups.append((plan.fuses, False))
    for inst, up_only in groups:
        keep = [k for k, n in enumerate(inst.names) if not (thin and n.startswith("tile_bottom_"))]
        if not keep:
            continue
        local = _proto_triangles(inst.proto, segments)
        mats = _matrices([inst.places[k] for k in keep], inst.extent())
        rgb = np.array([inst.colours[inst.colour_keys[k]] for k in keep], float)
        if up_only:  # faces whose placed normal points up (z > 0.3 of its length)
            n = np.cross(local[:, 1] - local[:, 0], local[:, 2] - local[:, 0])
            mask = mats[:, 2, :3] @ n.T > 0.3 * np.linalg.norm(n, axis=1)  # (instances, triangles)
            inst_i, tri_i = np.nonzero(mask)
            placed = np.einsum("kij,kvj->kvi", mats[inst_i, :3, :3], local[tri_i]) + mats[inst_i, None, :3, 3]
            tris.append(placed)
            cols.append(rgb[inst_i])
        else:
            placed = np.matmul(local.reshape(1, -1, 3), mats[:, :3, :3].transpose(0, 2, 1)) + mats[:, None, :3, 3]
            tris.append(placed.reshape(-1, 3, 3))
            cols.append(np.repeat(rgb, local.shape[0], axis=0))
    if not tris:
        return np.zeros((0, 3, 3)), np.zeros((0, 3)), np.zeros(0, bool)
    tris, cols = np.concatenate(tris), np.concatenate(cols)
    return tris, cols, np.zeros(len(tris), bool)


def render_preview(scene, width: int = 1000, height: int = 700) -> bytes:
    """An isometric, flat-shaded PNG of the pack with the lid left off (numpy z-buffer)."""
    import numpy as np

    tris, cols, skip = scene
    keep = ~skip
    tris, cols = tris[keep], cols[keep]
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    if len(tris):
        right, up, view = _view_axes()
        pts = tris.reshape(-1, 3)
        u, w, d = pts @ right, pts @ up, pts @ view
        margin = PREVIEW_MARGIN
        span = max((u.max() - u.min()) / (width - 2 * margin), (w.max() - w.min()) / (height - 2 * margin), 1e-9)
        sx = (u - u.min()) / span + margin + (width - 2 * margin - (u.max() - u.min()) / span) / 2
        sy = (w.max() - w) / span + margin + (height - 2 * margin - (w.max() - w.min()) / span) / 2
        sx, sy, d = sx.reshape(-1, 3), sy.reshape(-1, 3), d.reshape(-1, 3)
        normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
        norm = np.linalg.norm(normal, axis=1)
        ok = (norm > 1e-12) & (normal @ view < 0)  # closed solids: back faces are never seen
        light = np.array([-0.35, -0.55, 0.76])
        light /= np.linalg.norm(light)
        shade = np.where(ok, np.abs(normal @ light) / np.where(ok, norm, 1.0), 0.5)
        rgb = np.clip(cols * (0.35 + 0.65 * shade)[:, None], 0, 1)
        _rasterise(img, sx[ok], sy[ok], d[ok], (rgb[ok] * 255).astype(np.uint8))
    return _png(img)


def _rasterise(img, sx, sy, d, rgb) -> None:
    """Z-buffer the triangles into ``img``: scanline spans per triangle (after bisecting long
    ones), nearest wins, ties broken by triangle order (deterministic)."""
    import numpy as np

    h, w, _ = img.shape
    sx, sy, d, rgb = _split_long(sx, sy, d, rgb, 16.0)
    x0, x1, x2 = sx.T
    y0, y1, y2 = sy.T
    d0, d1, d2 = d.T
    den = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    ok = np.abs(den) > 1e-9
    den = np.where(ok, den, 1.0)
    a = ((d1 - d0) * (y2 - y0) - (d2 - d0) * (y1 - y0)) / den
    b = ((x1 - x0) * (d2 - d0) - (x2 - x0) * (d1 - d0)) / den
    c = d0 - a * x0 - b * y0
    ylo = np.ceil(sy.min(axis=1) - 0.5).astype(np.int64)
    yhi = np.floor(sy.max(axis=1) - 0.5).astype(np.int64)
    # The z-buffer holds one int64 per pixel: the depth quantised to the high bits, the triangle's
    # index in the low ones, so ``np.minimum.at`` keeps the nearest fragment, and of fragments
    # at one depth the first triangle's (deterministic, no sort).
    owner_bits = max(1, int(len(sx) - 1).bit_length())
    depth_steps = float(2 ** (62 - owner_bits) - 1)
    d_lo, d_hi = float(d.min(initial=0.0)), float(d.max(initial=1.0))
    d_scale = depth_steps / max(d_hi - d_lo, 1e-9)
    empty = np.iinfo(np.int64).max
    zbuf = np.full(h * w, empty, dtype=np.int64)
    flat = img.reshape(-1, 3)
    span_rows = int(max(1, (yhi - ylo).max(initial=0) + 1))
    for start in range(0, len(sx), 200_000):
        t = np.arange(start, min(start + 200_000, len(sx)))
        t = t[ok[t]]
        rows = ylo[t, None] + np.arange(span_rows)[None]
        yc = rows + 0.5
        xl = np.full(rows.shape, np.inf)
        xr = np.full(rows.shape, -np.inf)
        for p, q in ((0, 1), (1, 2), (2, 0)):
            xp, yp, xq, yq = sx[t, p, None], sy[t, p, None], sx[t, q, None], sy[t, q, None]
            lo, hi = np.minimum(yp, yq), np.maximum(yp, yq)
            cross = (yc >= lo) & (yc <= hi) & (hi > lo)
            x = xp + (yc - yp) * (xq - xp) / np.where(hi > lo, yq - yp, 1.0)
            xl = np.where(cross, np.minimum(xl, x), xl)
            xr = np.where(cross, np.maximum(xr, x), xr)
        first = np.ceil(xl - 0.5)
        last = np.floor(xr - 0.5)
        live = (rows <= yhi[t, None]) & (rows >= 0) & (rows < h) & np.isfinite(first) & (last >= first)
        first = np.clip(first, 0, w - 1).astype(np.int64)
        last = np.clip(last, -1, w - 1).astype(np.int64)
        count = np.where(live, last - first + 1, 0)
        count = np.maximum(count, 0).ravel()
        total = int(count.sum())
        if not total:
            continue
        owner = np.repeat(np.repeat(t, span_rows), count)
        row = np.repeat(rows.ravel(), count)
        offs = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        px = np.repeat(first.ravel(), count) + offs
        depth = a[owner] * (px + 0.5) + b[owner] * (row + 0.5) + c[owner]
        level = np.clip((depth - d_lo) * d_scale, 0.0, depth_steps).astype(np.int64)
        np.minimum.at(zbuf, row * w + px, (level << owner_bits) | owner)
    drawn = np.flatnonzero(zbuf != empty)
    flat[drawn] = rgb[zbuf[drawn] & ((1 << owner_bits) - 1)]


def _split_long(sx, sy, d, rgb, limit: float):
    """Bisect every triangle's longest screen edge until all edges are under ``limit`` px
    (long thin triangles of plates with holes would otherwise need huge bounding boxes)."""
    import numpy as np

    done = []
    for _ in range(60):
        ex = np.stack([sx[:, 1] - sx[:, 0], sx[:, 2] - sx[:, 1], sx[:, 0] - sx[:, 2]], axis=1)
        ey = np.stack([sy[:, 1] - sy[:, 0], sy[:, 2] - sy[:, 1], sy[:, 0] - sy[:, 2]], axis=1)
        length = ex * ex + ey * ey
        big = length.max(axis=1) > limit * limit
        done.append((sx[~big], sy[~big], d[~big], rgb[~big]))
        if not big.any():
            break
        sx, sy, d, rgb = sx[big], sy[big], d[big], rgb[big]
        k = length[big].argmax(axis=1)  # edge k joins vertex k and k+1: split it at its midpoint
        idx = np.arange(len(k))
        a, b, c = k, (k + 1) % 3, (k + 2) % 3
        halves = []
        for arr in (sx, sy, d):
            pa, pb, pc = arr[idx, a], arr[idx, b], arr[idx, c]
            mid = (pa + pb) / 2
            halves.append(np.concatenate([np.stack([pa, mid, pc], axis=1), np.stack([mid, pb, pc], axis=1)]))
        sx, sy, d = halves
        rgb = np.concatenate([rgb, rgb])
    else:
        done.append((sx, sy, d, rgb))
    return tuple(np.concatenate([part[i] for part in done]) for i in range(4))


def _png(img) -> bytes:
    """An RGB8 PNG, deterministic (no time chunk)."""
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _stl_bytes(scene) -> bytes:
    """Binary STL of every triangle (mm, z up), lid included."""
    import numpy as np

    tris = scene[0].astype(np.float32)
    normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    norm = np.linalg.norm(normal, axis=1, keepdims=True)
    normal = np.where(norm > 0, normal / np.where(norm > 0, norm, 1), 0).astype(np.float32)
    rec = np.zeros(len(tris), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    rec["n"], rec["v"] = normal, tris
    header = b"battgen pack STL, millimetres".ljust(80, b" ")
    return header + struct.pack("<I", len(tris)) + rec.tobytes()


# --- the pipeline door --------------------------------------------------------------------


def _unavailable(pack: ir.Pack, error: BaseException) -> Diagnostic:
    return Diagnostic(
        "E803",
        f"CAD stage unavailable: cadquery cannot be imported ({type(error).__name__}: {error})",
        pack.span,
        "install cadquery (pip install cadquery) or pass --no-cad",
    )


def _step_failed(pack: ir.Pack, error: StepExportError) -> Diagnostic:
    """A failed STEP export as a diagnostic: E802 when the file could not be written (disk
    full, permissions), E901 (a bug) otherwise."""
    if error.kind == "OSError":
        return Diagnostic(
            "E802",
            f"cannot write the build: pack.step: {error.message}",
            pack.span,
            "check the output folder and free space",
        )
    return Diagnostic(
        "E901",
        f"internal error: STEP export: {error.kind}: {error.message}",
        pack.span,
        "this is a bug in battgen, not in your file; please report it with the file",
    )


LARGE = 500  # cells: show a progress bar above this


@dataclass(frozen=True)
class CadOutput:
    """The CAD stage's result and the bytes of the files it exported, by name."""

    result: CadResult
    files: Mapping[str, bytes]


def cad_stage(
    pack: ir.Pack,
    placement: Placement,
    routing,
    heat,
    materials: Mapping[str, ir.Material],
    *,
    stl: bool = False,
    progress: bool = False,
) -> Outcome[CadOutput]:
    """The CAD of the placed and routed pack, its cold plate sized with the heat stage's
    coolant flow (the plate drawn is the plate analysed). E803 if cadquery cannot be imported."""
    layout = placement.layout
    try:
        import cadquery  # noqa: F401
    except Exception as error:  # noqa: BLE001 - ImportError, or a broken OCP shared library
        return Outcome(None, (_unavailable(pack, error),))
    flow = (heat.coolant_flow, heat.flow_basis) if heat is not None and heat.coolant_flow else None
    show = progress and len(layout.cells) >= LARGE
    with tempfile.TemporaryDirectory(prefix="battgen-cad-") as tmp:
        try:
            if show:
                from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

                with Progress(
                    TextColumn("CAD {task.description:<12}"), BarColumn(), TimeElapsedColumn(), transient=True
                ) as bar:
                    task = bar.add_task("plan", total=len(STEPS))
                    result, plan = _build(
                        pack,
                        layout,
                        routing,
                        Path(tmp),
                        stl,
                        lambda step: bar.update(task, advance=1, description=_next(step)),
                        materials,
                        flow=flow,
                    )
            else:
                result, plan = _build(pack, layout, routing, Path(tmp), stl, None, materials, flow=flow)
        except StepExportError as error:
            return Outcome(None, (_step_failed(pack, error),))
        files = {name: (Path(tmp) / name).read_bytes() for name in result.files}
    span = pack.envelope.span if pack.envelope is not None else pack.span
    warnings = tuple(Diagnostic("W401", message, span, hint, Severity.WARNING) for message, hint in plan.warnings)
    return Outcome(CadOutput(result, files), warnings)


def _next(step: str) -> str:
    i = STEPS.index(step)
    return STEPS[i + 1] if i + 1 < len(STEPS) else "done"


__all__ = [
    "CadResult",
    "Span",
    "StepExportError",
    "build_cad",
    "cad_stage",
    "plan_pack",
    "render_preview",
    "write_step",
]
