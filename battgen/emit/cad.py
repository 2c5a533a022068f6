"""CAD: the whole pack as one coloured assembly, exported to STEP and GLB (and STL on request).

``build_cad(pack, layout, routing, out_folder)`` plans every part in shapely (millimetres,
z up from the enclosure floor's underside), realises the plan with cadquery, exports and
returns a ``CadResult``; ``cad_stage`` is the pipeline's door (sets ``build.cad`` and puts the
file bytes into ``build.files``). cadquery/OCP are imported only inside functions here:
importing them costs seconds and ``battc check`` must never pay that.

Parts (assembly names in brackets):

* cells (``cells/module_NN/cell_NNNNN``): ONE solid per cell type, placed as instances
  (never fused), coloured by module;
* busbars (``busbars/busbar_NNN``) extruded from ``routing.Busbar.polygon`` by its thickness on
  the cell face it names; pack terminal leads (busbars with a ``path``) sit on an insulated
  carrier ``CARRIER_GAP`` above the plates of that face; fuse links (``fuses/fuse_NNNNN``)
  lie on the top plates over their cell (wire bond: a round wire; fuse link: a strip; the
  opening in the plate is not modelled);
* holders (``holders/holder_NN_bottom|top``): cylindrical cells stand in a plastic plate per
  module at each end, a pocket per cell (exact circles, ``POCKET_CLEARANCE`` radial play);
  prismatic/pouch modules get a frame (side and end plates as one ring) instead;
* cooling (``cooling/cold_plate``): an aluminium plate with a serpentine channel (one channel
  carries the flow) or parallel channels between two manifolds (Z-flow), cut as a void; the
  channel cross-section is the coolant flow over ``CHANNEL_VELOCITY``;
* enclosure (``enclosure/floor|walls|lid|flange``): walls follow the envelope outline less
  the keepouts (the keepouts stay outside the box: walls wrap around them, no floor or lid
  over them), a floor, a lid and an outward bolting flange.

Vertical stack, bottom to top: floor (``envelope.wall``) · cold plate (bottom cooling) ·
``TIM_GAP`` · bottom leads / carrier · bottom busbars · cells · top busbars · fuse links ·
carrier / top leads · cold plate (top cooling) · ``LID_CLEARANCE`` · lid. If that stack is taller
than the envelope the enclosure grows to fit and a W401 warning says by how much.

Deterministic bytes: the STEP header's FILE_NAME (path and timestamp) is replaced by constants;
the GLB carries no time or path; the PNG preview is rasterised here in numpy (no display, no
matplotlib) and written with zlib.
"""

from __future__ import annotations

import math
import re
import struct
import tempfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from battgen import ir
from battgen.diagnostics import Diagnostic, Severity, Span

# --- design constants (millimetres unless noted) ---------------------------------------------

POCKET_CLEARANCE = 0.2  # radial play of a cell in its holder pocket (design assumption)
HOLDER_RIM = 2.0  # holder plate beyond the outermost cells
HOLDER_THICKNESS = 5.0  # each holder plate; capped at a fifth of the cell height
FRAME_THICKNESS = 4.0  # prismatic/pouch module frame (side and end plates)
FRAME_CLEARANCE = 0.3
COLD_PLATE_SKIN = 1.5  # aluminium above and below the channels
CHANNEL_HEIGHT = 3.0  # channel depth; the width follows from the flow
CHANNEL_MIN_WIDTH = 3.0
CHANNEL_MAX_WIDTH = 12.0  # wider than this: parallel channels instead of one serpentine
CHANNEL_EDGE = 6.0  # channels keep this far from the cold plate's edge (except at the ports)
# Mean coolant velocity in the channels, m/s: the middle of the 0.5-1 m/s range used for
# liquid cold plates (design assumption; higher velocity raises the pressure drop as v²).
CHANNEL_VELOCITY = 0.75
COOLANT_RISE = 5.0  # K, inlet-outlet bulk rise when the flow is not stated (ṁ = Q/(cp·ΔT))
TIM_GAP = 1.0  # thermal interface pad between cold plate and cells/busbars (not modelled as a part)
CARRIER_GAP = 1.0  # insulated carrier between the plates and the pack terminal leads
LID_CLEARANCE = 1.0
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
    (0.12, 0.47, 0.71), (1.00, 0.50, 0.05), (0.17, 0.63, 0.17), (0.84, 0.15, 0.16), (0.58, 0.40, 0.74),
    (0.55, 0.34, 0.29), (0.89, 0.47, 0.76), (0.50, 0.50, 0.50), (0.74, 0.74, 0.13), (0.09, 0.75, 0.81),
)  # fmt: skip
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

STEPS = ("plan", "cells", "busbars", "holders", "cooling", "enclosure", "STEP export", "GLB export", "preview")


# --- result -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CadResult:
    """What the CAD stage built. SI units (metres, m³, kg) like every other pass result."""

    pack: str
    parts: dict[str, int]  # part kind → number of parts (cells, busbars, leads, fuses, holders, ...)
    cell_shapes: int  # distinct cell solids in the assembly (instanced, never fused)
    bounding_box: tuple[tuple[float, float, float], tuple[float, float, float]]  # all parts, m
    enclosure_outer: tuple[float, float, float]  # x, y, z extent of the box (flange excluded), m
    enclosure_volume: float  # outline less keepouts × height, m³
    cell_volume: float  # m³
    volumetric_efficiency: float  # cell volume / enclosure volume
    mass: dict[str, float]  # kg by part kind (cells from the cell's mass, others volume × density)
    mass_total: float  # kg
    cooling: dict  # channel layout and sizing
    stack: dict[str, float]  # z levels, m
    files: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        ex, ey, ez = (v * 1e3 for v in self.enclosure_outer)
        counts = ", ".join(f"{n:,} {k}" for k, n in self.parts.items() if n)
        cool = ""
        if self.cooling.get("layout"):
            c = self.cooling
            cool = (f"; cold plate ({c['side']}): {c['channels']} {c['layout']} channel(s) "
                    f"{c['width'] * 1e3:.1f} × {c['height'] * 1e3:.1f} mm at {c['flow'] * 6e4:.2f} L/min")  # fmt: skip
        return (f"CAD: {counts} ({self.cell_shapes} cell shape instanced); enclosure {ex:.0f} × {ey:.0f} × {ez:.0f} mm, "
                f"cells fill {self.volumetric_efficiency:.0%} of it; mass {self.mass_total:.1f} kg "
                f"(cells {self.mass.get('cells', 0.0):.1f} kg){cool}; files: {', '.join(self.files)}")  # fmt: skip


# --- materials ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def stdlib_materials() -> dict[str, ir.Material]:
    """Every material of ``stdlib/materials.batt`` (the prelude), by name."""
    from battgen.pipeline import check
    from battgen.project import PRELUDE

    return dict(check(PRELUDE).design.materials)


def _density(name: str, materials: dict[str, ir.Material], default: float) -> float:
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
    instance_of: str | None = None  # reuse the solid of an earlier prism, moved by (0, 0, z0 - its z0)

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
        return p[3], p[1], p[2]


@dataclass
class Plan:
    prisms: list
    cells: Instances
    fuses: Instances | None
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
    """Coolant volume flow, m³/s, and where it came from."""
    cool = pack.cooling
    if cool.flow:
        return cool.flow, "stated"
    coolant = materials.get(cool.coolant) or materials.get("glycol50")
    rho = coolant.density if coolant else 1064.0
    cp = (coolant.specific_heat if coolant and coolant.specific_heat else 3400.0)
    cell = pack.cell
    if routing is not None and routing.busbars:
        i_cell = max(b.current_continuous for b in routing.busbars) / max(layout.parallel, 1)
    else:
        i_cell = 0.5 * cell.max_discharge_current
    heat = len(layout.cells) * i_cell**2 * cell.resistance
    m_dot = heat / (cp * COOLANT_RISE)  # thermal.coolant_mass_flow (Incropera & DeWitt energy balance)
    return max(m_dot / rho, 1e-7), f"{heat:.0f} W of cell I²R at {i_cell:.1f} A/cell, {COOLANT_RISE:.0f} K coolant rise"


def _channels(plate, flow: float):
    """Channel region (shapely, mm) in ``plate`` and its sizing."""
    from shapely.geometry import LineString, box
    from shapely.ops import unary_union

    area = flow / CHANNEL_VELOCITY * 1e6  # mm²
    width = area / CHANNEL_HEIGHT
    n = 1
    if width > CHANNEL_MAX_WIDTH:
        n = math.ceil(width / CHANNEL_MAX_WIDTH)
        width = width / n
    width = max(width, CHANNEL_MIN_WIDTH)
    x0, y0, x1, y1 = plate.bounds
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
        u_last = (last[0] if along_x else last[1])
        end_u = x1 + 1.0 if u_last > (x0 + x1) / 2 else x0 - 1.0
        v_last = y0 + m + (passes - 1) * pitch
        body = LineString(pts[1:]).buffer(width / 2, cap_style="square", join_style="mitre")
        ports = unary_union([LineString([pts[0], pts[1]]).buffer(width / 2, cap_style="flat"),
                             LineString([pt(u_last, v_last), pt(end_u, v_last)]).buffer(width / 2, cap_style="flat")])  # fmt: skip
        layout = "serpentine"
    else:
        usable = y1 - y0 - 2 * m
        pitch = usable / (n - 1) if n > 1 else 0.0
        if pitch < width + 2.0:  # too many: squeeze them into the width available
            n = max(2, int(usable // (width + 2.0)) + 1)
            pitch = usable / (n - 1)
        manifold = min(3.0 * width, 30.0)
        a, b = x0 + CHANNEL_EDGE, x1 - CHANNEL_EDGE
        rects = [box(*pt(a, y0 + m - width / 2), *pt(a + manifold, y1 - m + width / 2)),
                 box(*pt(b - manifold, y0 + m - width / 2), *pt(b, y1 - m + width / 2))]  # fmt: skip
        for i in range(n):
            v = y0 + m + i * pitch
            rects.append(box(*pt(a, v - width / 2), *pt(b, v + width / 2)))
        body = unary_union(rects)
        # Z-flow: inlet at the first manifold's low end, outlet at the second's high end
        ports = unary_union([
            LineString([pt(a + manifold / 2, y0 - 1.0), pt(a + manifold / 2, y0 + m)]).buffer(manifold / 2, cap_style="flat"),
            LineString([pt(b - manifold / 2, y1 - m), pt(b - manifold / 2, y1 + 1.0)]).buffer(manifold / 2, cap_style="flat"),
        ])  # fmt: skip
        layout = "parallel"
    region = unary_union([body.intersection(inner), ports.intersection(plate.buffer(0.5, join_style="mitre"))])
    info = {"layout": layout, "channels": n, "width": width / 1e3, "height": CHANNEL_HEIGHT / 1e3,
            "velocity": CHANNEL_VELOCITY, "cross_section": n * width * CHANNEL_HEIGHT / 1e6}  # fmt: skip
    return region, info


def plan_pack(pack: ir.Pack, layout, routing, materials: dict | None = None, enclosure_material: str = "aluminium_6061") -> Plan:
    """Every part as geometry (mm), without cadquery."""
    import numpy as np
    import shapely
    from shapely.geometry import Point, box
    from shapely.ops import unary_union

    materials = materials if materials is not None else stdlib_materials()
    rho_box = _density(enclosure_material, materials, 2700.0)
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
        outline = box(lo[0] - half - wall - 2, lo[1] - half - wall - 2, hi[0] + half + wall + 2, hi[1] + half + wall + 2)
        env_height = 0.0
        keep = []
        notes.append("no envelope declared: the enclosure is a box around the cells")
    r_foot = max(layout.footprint) * 1e3 / 2
    if cyl:
        feet = shapely.buffer(shapely.points(xy), fmt.diameter * 1e3 / 2, quad_segs=8)
    else:
        w, t = fmt.width * 1e3, fmt.thickness * 1e3
        feet = np.array([shapely.affinity.rotate(box(x - w / 2, y - t / 2, x + w / 2, y + t / 2), c.rotation,
                                                 origin=(x, y), use_radians=True)
                         for (x, y), c in zip(xy, cells)])  # fmt: skip
    all_feet = shapely.union_all(feet) if len(feet) else shapely.Polygon()
    removed = []
    for name, k in keep:
        gap = all_feet.distance(k) if not all_feet.is_empty else math.inf
        if gap >= wall + 0.1:
            removed.append(k)  # wall just outside the keepout, in the pack
        else:
            removed.append(k.buffer(-wall, join_style="mitre"))  # no room: the wall takes the keepout's edge
            notes.append(f"keepout `{name}`: cells come within {gap:.1f} mm, so its {wall:g} mm wall lies inside "
                         "the keepout's edge")  # fmt: skip
    region = outline.difference(unary_union(removed)) if removed else outline
    region = _clean(region)
    region = unary_union(region)
    inner = region.buffer(-wall, join_style="mitre")
    free = inner  # holders, cold plate: inside the walls

    # --- vertical stack ---
    busbars = list(routing.busbars) if routing is not None else []
    fuses = list(routing.fuses) if routing is not None else []
    plates_t = {f: max([b.thickness * 1e3 for b in busbars if b.z == f and not b.path], default=0.0) for f in ("top", "bottom")}
    leads_t = {f: max([b.thickness * 1e3 for b in busbars if b.z == f and b.path], default=0.0) for f in ("top", "bottom")}
    fuse_h = 0.0
    for fz in fuses:
        fuse_h = max(fuse_h, fz.diameter * 1e3 if fz.kind == "wire_bond" else fz.thickness * 1e3)
    side = pack.cooling.side if pack.cooling.kind == "cold_plate" else None
    t_cp = 2 * COLD_PLATE_SKIN + CHANNEL_HEIGHT
    z = wall
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
    need = z + wall
    height = max(env_height, need)
    if env is not None and need > env_height + 1e-6:
        warnings.append((f"the pack stack needs {need:.1f} mm (floor, cooling, busbars, {h_cell:.1f} mm cells, lid) but "
                         f"envelope `{env.name}` is {env_height:.1f} mm high; the enclosure was made {need:.1f} mm high",
                         "raise the envelope height or use thinner busbars/cooling"))  # fmt: skip
    stack["lid"] = height - wall
    stack["top"] = height

    prisms: list[Prism] = []

    # --- cells ---
    module_colour = {}
    cell_inst = Instances("cell", ("cylinder", fmt.diameter * 1e3, h_cell) if cyl else ("box", fmt.width * 1e3, fmt.thickness * 1e3, h_cell))
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
        parts = _clean(poly, 1e-3)
        if not parts:
            continue
        prisms.append(Prism(name, kind, unary_union(parts), z0, z1, colour=colour,
                            density=_density(b.material, materials, 2700.0)))  # fmt: skip

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
            fuse_inst.groups.append("fuses")
        if len({(f.kind, f.diameter, f.width, f.thickness, f.length) for f in fuses}) > 1:
            notes.append("fuse links differ in size; all are drawn with the first one's geometry")

    # --- holders (cylindrical) or module frames (prismatic/pouch) ---
    layers = sorted(set(np.round(zc, 6))) if len(zc) else []
    modules = sorted({c.module for c in cells})
    taken = shapely.Polygon()
    if cyl:
        r = fmt.diameter * 1e3 / 2
        t_h = min(HOLDER_THICKNESS, h_cell / 5)
        pocket = r + POCKET_CLEARANCE
        all_pockets = shapely.buffer(shapely.points(xy), pocket, quad_segs=16)
        for lz in layers:
            taken = shapely.Polygon()
            on_layer = np.flatnonzero(np.isclose(zc, lz))
            for m in modules:
                mine = on_layer[np.array([cells[i].module == m for i in on_layer], dtype=bool)]
                if not len(mine):
                    continue
                blob = shapely.union_all(shapely.buffer(shapely.points(xy[mine]), r + HOLDER_RIM, quad_segs=8))
                blob = blob.intersection(free).difference(taken)
                others = np.setdiff1d(on_layer, mine)
                if len(others):
                    near = others[shapely.intersects(all_pockets[others], blob)]
                    if len(near):
                        blob = blob.difference(shapely.union_all(all_pockets[near]))
                blob = unary_union(_clean(blob))
                if blob.is_empty:
                    continue
                shrunk = blob.buffer(-0.3)
                pockets = shapely.buffer(shapely.points(xy[mine]), pocket + 0.3, quad_segs=16)
                exact = shapely.contains(shrunk, pockets)
                if (~exact).any():
                    blob = unary_union(_clean(blob.difference(shapely.union_all(all_pockets[mine[~exact]]))))
                taken = taken.union(blob)
                circles = tuple((float(xy[i, 0]), float(xy[i, 1]), pocket) for i in mine[exact])
                zb = z_cells + float(lz)
                name = f"holder_{m:02d}" + (f"_L{layers.index(lz)}" if len(layers) > 1 else "")
                first = Prism(f"{name}_bottom", "holder", blob, zb, zb + t_h, circles, COLOURS["holder"], HOLDER_DENSITY)
                prisms.append(first)
                prisms.append(Prism(f"{name}_top", "holder", blob, zb + h_cell - t_h, zb + h_cell, circles,
                                    COLOURS["holder"], HOLDER_DENSITY, instance_of=first.name))  # fmt: skip
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
                    obb.buffer(FRAME_CLEARANCE, join_style="mitre"))
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
        lo, hi = xy.min(axis=0) - r_foot - HOLDER_RIM - 4.0, xy.max(axis=0) + r_foot + HOLDER_RIM + 4.0
        plate = box(lo[0], lo[1], hi[0], hi[1]).intersection(free.buffer(-0.5, join_style="mitre"))
        plate = unary_union(_clean(plate))
        if not plate.is_empty:
            flow, why = _coolant_flow(pack, layout, routing, materials)
            chan, info = _channels(plate, flow)
            chan = unary_union(_clean(chan, 0.1))
            z0 = stack["cold_plate"]
            cooling.update(info, flow=flow, flow_basis=why, thickness=t_cp / 1e3)
            prisms.append(Prism("cold_plate", "cold_plate", plate, z0, z0 + t_cp, (), COLOURS["cold_plate"], rho_al,
                                cut=(chan, z0 + COLD_PLATE_SKIN, z0 + COLD_PLATE_SKIN + CHANNEL_HEIGHT)))  # fmt: skip
            coolant = materials.get(pack.cooling.coolant)
            cooling["coolant_mass"] = chan.intersection(plate).area * CHANNEL_HEIGHT * 1e-9 * (coolant.density if coolant else 1064.0)
    elif side == "sides":
        notes.append("cooling side = sides: side cold plates are not modelled (the layout leaves no room between "
                     "the cells and the walls)")  # fmt: skip

    # --- enclosure ---
    walls = region.difference(inner)
    prisms.append(Prism("floor", "floor", region, 0.0, wall, (), COLOURS["enclosure"], rho_box))
    prisms.append(Prism("walls", "walls", unary_union(_clean(walls)), wall, height - wall, (), COLOURS["enclosure"], rho_box))
    prisms.append(Prism("lid", "lid", region, height - wall, height, (), COLOURS["lid"], rho_box))
    flange = outline.buffer(FLANGE_WIDTH, join_style="mitre").difference(outline)
    centre = outline.buffer(FLANGE_WIDTH / 2, join_style="mitre").exterior
    n_bolts = max(4, round(centre.length / FLANGE_PITCH))
    bolts = []
    for i in range(n_bolts):
        p = centre.interpolate(i * centre.length / n_bolts)
        if flange.buffer(-0.5).contains(Point(p.x, p.y).buffer(FLANGE_BOLT / 2 + 0.3)):
            bolts.append((round(p.x, 4), round(p.y, 4), FLANGE_BOLT / 2))
    t_fl = max(2 * wall, 4.0)
    prisms.append(Prism("flange", "flange", unary_union(_clean(flange)), 0.0, t_fl, tuple(bolts), COLOURS["flange"], rho_box))

    return Plan(prisms, cell_inst, fuse_inst, stack, cooling, region, height, notes, warnings)


# --- realisation (cadquery) ---------------------------------------------------------------


def _face(cq, poly, circles=()):
    """A planar face at z = 0 from a shapely polygon (mm) plus exact circular holes."""

    def ring(coords):
        pts = list(coords)[:-1]
        return cq.Wire.makePolygon([cq.Vector(x, y, 0.0) for x, y in pts], close=True)

    inner = [ring(r.coords) for r in poly.interiors]
    inner += [cq.Wire.makeCircle(r, cq.Vector(x, y, 0.0), cq.Vector(0, 0, 1)) for x, y, r in circles]
    return cq.Face.makeFromWires(ring(poly.exterior.coords), inner)


def _prism_solid(cq, poly, circles, z0, z1):
    import shapely
    from shapely.geometry import Point

    parts = list(shapely.get_parts(poly))
    solids = []
    for part in parts:
        mine = [c for c in circles if part.contains(Point(c[0], c[1]))] if len(parts) > 1 else list(circles)
        face = _face(cq, part, mine)
        solid = cq.Solid.extrudeLinear(face, cq.Vector(0, 0, z1 - z0))
        solids.append(solid.moved(cq.Location(cq.Vector(0, 0, z0))))
    return solids[0] if len(solids) == 1 else cq.Compound.makeCompound(solids)


def _proto_solid(cq, proto):
    """An instance prototype, centred in x/y with its bottom at z = 0, standing."""
    if proto[0] == "cylinder":
        _k, d, h = proto
        return cq.Solid.makeCylinder(d / 2, h, cq.Vector(0, 0, 0), cq.Vector(0, 0, 1))
    if proto[0] == "box":
        _k, w, t, h = proto
        return cq.Solid.makeBox(w, t, h, cq.Vector(-w / 2, -t / 2, 0))
    if proto[0] == "wire":
        _k, d, length = proto
        return cq.Solid.makeCylinder(d / 2, length, cq.Vector(-length / 2, 0, d / 2), cq.Vector(1, 0, 0))
    _k, w, t, length = proto
    return cq.Solid.makeBox(length, w, t, cq.Vector(-length / 2, -w / 2, 0))


def _location(cq, place, extent):
    x, y, z, rot, axis = place
    loc = cq.Location(cq.Vector(x, y, z))
    if rot:
        loc = loc * cq.Location(cq.Vector(0, 0, 0), cq.Vector(0, 0, 1), rot)
    if axis == "x":  # lying along x: turn the standing prototype about y, bottom on z
        loc = loc * cq.Location(cq.Vector(0, 0, extent[0] / 2)) * cq.Location(cq.Vector(0, 0, 0), cq.Vector(0, 1, 0), 90) \
            * cq.Location(cq.Vector(0, 0, -extent[2] / 2))
    elif axis == "y":
        loc = loc * cq.Location(cq.Vector(0, 0, extent[1] / 2)) * cq.Location(cq.Vector(0, 0, 0), cq.Vector(1, 0, 0), -90) \
            * cq.Location(cq.Vector(0, 0, -extent[2] / 2))
    return loc


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


def build_cad(pack: ir.Pack, layout, routing, out_folder: Path, stl: bool = False, progress=None,
              materials: dict | None = None, enclosure_material: str = "aluminium_6061") -> CadResult:
    """Plan, model and export the pack into ``out_folder`` (``pack.step``, ``pack.glb``,
    ``preview.png``, and ``pack.stl`` if asked). ``progress(step)`` is called after each of
    ``STEPS``. ``materials``: densities by name (default: the stdlib prelude). Warnings (a
    stack taller than the envelope) are reported by ``cad_stage``."""
    result, _plan = _build(pack, layout, routing, Path(out_folder), stl, progress, materials, enclosure_material)
    return result


def _build(pack, layout, routing, out: Path, stl, progress, materials, enclosure_material):
    import cadquery as cq

    tick = progress or (lambda step: None)
    materials = materials if materials is not None else stdlib_materials()
    plan = plan_pack(pack, layout, routing, materials, enclosure_material)
    tick("plan")

    assy = cq.Assembly(name=pack.name)
    colours = {}

    def colour(rgb):
        if rgb not in colours:
            colours[rgb] = cq.Color(*rgb, 1.0)
        return colours[rgb]

    # cells: one solid, instanced; a sub-assembly per module
    counts: dict[str, int] = {}
    cell_solid = _proto_solid(cq, plan.cells.proto)
    ex = plan.cells.extent()
    cell_root = cq.Assembly(name="cells")
    groups: dict[str, object] = {}
    for name, place, key, group in zip(plan.cells.names, plan.cells.places, plan.cells.colour_keys, plan.cells.groups):
        sub = groups.get(group)
        if sub is None:
            sub = groups[group] = cq.Assembly(name=group)
        sub.add(cell_solid, name=name, loc=_location(cq, place, ex), color=colour(plan.cells.colours[key]))
    for group in sorted(groups):
        cell_root.add(groups[group])
    assy.add(cell_root)
    counts["cells"] = len(plan.cells.names)
    tick("cells")

    kinds = {"busbar": "busbars", "lead": "busbars", "holder": "holders", "frame": "holders", "cold_plate": "cooling",
             "floor": "enclosure", "walls": "enclosure", "lid": "enclosure", "flange": "enclosure"}  # fmt: skip
    subs = {k: cq.Assembly(name=k) for k in ("busbars", "fuses", "holders", "cooling", "enclosure")}
    solids: dict[str, object] = {}
    plural = {"busbar": "busbars", "lead": "leads", "holder": "holders", "frame": "frames", "cold_plate": "cold_plates",
              "floor": "floor", "walls": "walls", "lid": "lid", "flange": "flange"}  # fmt: skip
    stage_of = {"busbar": "busbars", "lead": "busbars", "holder": "holders", "frame": "holders", "cold_plate": "cooling"}
    done_steps = set()
    for p in plan.prisms:
        step = stage_of.get(p.kind, "enclosure")
        for earlier in STEPS[2:STEPS.index(step)]:
            if earlier not in done_steps:
                done_steps.add(earlier)
                tick(earlier)
        if p.instance_of is not None:
            base = next(q for q in plan.prisms if q.name == p.instance_of)
            shape = solids[base.name]
            loc = cq.Location(cq.Vector(0, 0, p.z0 - base.z0))
        else:
            shape = _prism_solid(cq, p.polygon, p.circles, p.z0, p.z1)
            if p.cut is not None and not p.cut[0].is_empty:
                chan = _prism_solid(cq, p.cut[0], (), p.cut[1], p.cut[2])
                shape = shape.cut(chan)
            solids[p.name] = shape
            loc = None
        subs[kinds[p.kind]].add(shape, name=p.name, loc=loc, color=colour(p.colour))
        counts[plural[p.kind]] = counts.get(plural[p.kind], 0) + 1
    if plan.fuses is not None:
        fuse_solid = _proto_solid(cq, plan.fuses.proto)
        fx = plan.fuses.extent()
        c = colour(plan.fuses.colours[0])
        for name, place in zip(plan.fuses.names, plan.fuses.places):
            subs["fuses"].add(fuse_solid, name=name, loc=_location(cq, place, fx), color=c)
        counts["fuses"] = len(plan.fuses.names)
    for k in ("busbars", "fuses", "holders", "cooling", "enclosure"):
        if subs[k].children:
            assy.add(subs[k])
    for step in STEPS[2:6]:
        if step not in done_steps:
            tick(step)

    # export
    out.mkdir(parents=True, exist_ok=True)
    files = []
    step_path = out / "pack.step"
    cq.exporters.assembly.exportAssembly(assy, str(step_path))
    _fix_step(step_path)
    files.append("pack.step")
    tick("STEP export")
    glb_path = out / "pack.glb"
    cq.exporters.assembly.exportGLTF(assy, str(glb_path), True, MESH_TOLERANCE, MESH_ANGULAR)
    files.append("pack.glb")
    tick("GLB export")
    scene_tris = _glb_triangles(glb_path.read_bytes())
    (out / "preview.png").write_bytes(render_preview(scene_tris))
    files.append("preview.png")
    if stl:
        (out / "pack.stl").write_bytes(_stl_bytes(scene_tris))
        files.append("pack.stl")
    tick("preview")

    # figures
    mass: dict[str, float] = {"cells": len(plan.cells.names) * (plan.cells.unit_mass or 0.0)}
    for p in plan.prisms:
        key = plural[p.kind] if p.kind not in ("floor", "walls", "lid", "flange") else "enclosure"
        mass[key] = mass.get(key, 0.0) + p.volume_mm3 * 1e-9 * p.density
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
        parts=counts,
        cell_shapes=1,
        bounding_box=(tuple(v / 1e3 for v in lo), tuple(v / 1e3 for v in hi)),
        enclosure_outer=((rb[2] - rb[0]) / 1e3, (rb[3] - rb[1]) / 1e3, plan.height / 1e3),
        enclosure_volume=enclosure_volume,
        cell_volume=cell_volume,
        volumetric_efficiency=cell_volume / enclosure_volume if enclosure_volume > 0 else 0.0,
        mass={k: v for k, v in sorted(mass.items())},
        mass_total=sum(mass.values()),
        cooling={k: v for k, v in plan.cooling.items() if k != "coolant_mass"},
        stack={k: v / 1e3 for k, v in plan.stack.items()},
        files=tuple(files),
        notes=tuple(plan.notes),
    )
    return result, plan


def _fix_step(path: Path) -> None:
    """Constant FILE_NAME (the temp path and the timestamp change on every run)."""
    text = path.read_bytes().decode("latin-1")
    text = re.sub(r"FILE_NAME\(.*?\);", lambda _m: STEP_FILE_NAME, text, count=1, flags=re.S)
    path.write_bytes(text.encode("latin-1"))


# --- meshes, preview, STL -----------------------------------------------------------------


def _glb_triangles(data: bytes):
    """Every triangle of the GLB scene in the CAD frame (z up, mm) with its RGB colour and node
    name: (triangles (N, 3, 3) float64, colours (N, 3) float, names list per triangle block)."""
    import io

    import numpy as np
    import trimesh

    scene = trimesh.load(io.BytesIO(data), file_type="glb", force="scene")
    blocks = {}
    for node in sorted(scene.graph.nodes_geometry):
        transform, geom = scene.graph[node]
        blocks.setdefault(geom, []).append((node, transform))
    tris, cols, skip = [], [], []
    to_cad = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float)  # glTF y-up → z-up
    for geom in sorted(blocks):
        mesh = scene.geometry[geom]
        if not len(mesh.faces):
            continue
        rgb = _mesh_colour(mesh)
        nodes = blocks[geom]
        mats = np.stack([to_cad @ t for _n, t in nodes])  # (K, 4, 4)
        v = np.asarray(mesh.vertices, float)
        world = np.einsum("kij,vj->kvi", mats[:, :3, :3], v) + mats[:, None, :3, 3]  # (K, V, 3)
        t = world[:, np.asarray(mesh.faces)]  # (K, F, 3, 3)
        t = t.reshape(-1, 3, 3)
        tris.append(t)
        cols.append(np.repeat(np.array([rgb]), len(t), axis=0))
        names = [n for n, _t in nodes]
        lid = np.array(["lid" in n.lower() for n in names])
        skip.append(np.repeat(lid, len(mesh.faces)))
    if not tris:
        return np.zeros((0, 3, 3)), np.zeros((0, 3)), np.zeros(0, bool)
    return np.concatenate(tris), np.concatenate(cols), np.concatenate(skip)


def _mesh_colour(mesh) -> tuple:
    try:
        mat = mesh.visual.material
        c = getattr(mat, "baseColorFactor", None)
        if c is not None:
            c = [float(x) for x in c][:3]
            return tuple(x / 255 if max(c) > 1 else x for x in c)
        return tuple(float(x) / 255 for x in mesh.visual.main_color[:3])
    except Exception:  # noqa: BLE001 - a colourless mesh is drawn grey
        return (0.6, 0.6, 0.6)


def render_preview(scene, width: int = 1200, height: int = 800) -> bytes:
    """An isometric, flat-shaded PNG of the pack with the lid left off (numpy z-buffer)."""
    import numpy as np

    tris, cols, skip = scene
    keep = ~skip
    tris, cols = tris[keep], cols[keep]
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    if len(tris):
        view = np.array([1.0, 1.0, -1.0]) / math.sqrt(3)  # looking from (-x, -y, +z)
        right = np.cross(view, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, view)
        pts = tris.reshape(-1, 3)
        u, w, d = pts @ right, pts @ up, pts @ view
        margin = 20
        span = max((u.max() - u.min()) / (width - 2 * margin), (w.max() - w.min()) / (height - 2 * margin), 1e-9)
        sx = (u - u.min()) / span + margin + (width - 2 * margin - (u.max() - u.min()) / span) / 2
        sy = (w.max() - w) / span + margin + (height - 2 * margin - (w.max() - w.min()) / span) / 2
        sx, sy, d = sx.reshape(-1, 3), sy.reshape(-1, 3), d.reshape(-1, 3)
        normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
        norm = np.linalg.norm(normal, axis=1)
        ok = norm > 1e-12
        light = np.array([-0.35, -0.55, 0.76])
        light /= np.linalg.norm(light)
        shade = np.where(ok, np.abs(normal @ light) / np.where(ok, norm, 1.0), 0.5)
        rgb = np.clip(cols * (0.35 + 0.65 * shade)[:, None], 0, 1)
        _rasterise(img, sx[ok], sy[ok], d[ok], (rgb[ok] * 255).astype(np.uint8))
    return _png(img)


def _rasterise(img, sx, sy, d, rgb) -> None:
    """Z-buffer the triangles into ``img`` (nearest wins; ties by triangle order)."""
    import numpy as np

    h, w, _ = img.shape
    x0 = np.clip(np.floor(sx.min(axis=1)).astype(np.int64), 0, w - 1)
    x1 = np.clip(np.ceil(sx.max(axis=1)).astype(np.int64), 0, w - 1)
    y0 = np.clip(np.floor(sy.min(axis=1)).astype(np.int64), 0, h - 1)
    y1 = np.clip(np.ceil(sy.max(axis=1)).astype(np.int64), 0, h - 1)
    bw, bh = x1 - x0 + 1, y1 - y0 + 1
    size = np.maximum(bw, bh)
    pix_all, dep_all, tri_all = [], [], []
    order = np.arange(len(sx))
    for lo_s, hi_s in ((0, 2), (2, 4), (4, 8), (8, 16), (16, 32), (32, 64), (64, 10**9)):
        sel = order[(size > lo_s) & (size <= hi_s)]
        if not len(sel):
            continue
        if hi_s > 64:
            for t in sel:  # big triangles one at a time
                xs, ys = np.meshgrid(np.arange(x0[t], x1[t] + 1), np.arange(y0[t], y1[t] + 1))
                _emit(xs.ravel()[None], ys.ravel()[None], sx[[t]], sy[[t]], d[[t]], np.array([t]), w, pix_all, dep_all, tri_all)
            continue
        k = hi_s + 1
        oy, ox = np.divmod(np.arange(k * k), k)
        chunk = max(1, 4_000_000 // (k * k))
        for s in range(0, len(sel), chunk):
            tt = sel[s:s + chunk]
            xs = x0[tt, None] + ox[None]
            ys = y0[tt, None] + oy[None]
            inside = (xs <= x1[tt, None]) & (ys <= y1[tt, None])
            _emit(xs, ys, sx[tt], sy[tt], d[tt], tt, w, pix_all, dep_all, tri_all, inside)
    if not pix_all:
        return
    pix = np.concatenate(pix_all)
    dep = np.concatenate(dep_all)
    tri = np.concatenate(tri_all)
    idx = np.lexsort((tri, dep, pix))
    pix, tri = pix[idx], tri[idx]
    first = np.ones(len(pix), bool)
    first[1:] = pix[1:] != pix[:-1]
    flat = img.reshape(-1, 3)
    flat[pix[first]] = rgb[tri[first]]


def _emit(xs, ys, sx, sy, d, tt, w, pix_all, dep_all, tri_all, inside=None):
    import numpy as np

    px, py = xs + 0.5, ys + 0.5
    ax, ay = sx[:, 0:1], sy[:, 0:1]
    bx, by = sx[:, 1:2], sy[:, 1:2]
    cx, cy = sx[:, 2:3], sy[:, 2:3]
    den = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy)
    den = np.where(np.abs(den) < 1e-12, np.nan, den)
    l0 = ((by - cy) * (px - cx) + (cx - bx) * (py - cy)) / den
    l1 = ((cy - ay) * (px - cx) + (ax - cx) * (py - cy)) / den
    l2 = 1 - l0 - l1
    eps = -1e-6
    hit = (l0 >= eps) & (l1 >= eps) & (l2 >= eps)
    if inside is not None:
        hit &= inside
    if not hit.any():
        return
    depth = l0 * d[:, 0:1] + l1 * d[:, 1:2] + l2 * d[:, 2:3]
    rows, _cols = np.nonzero(hit)
    pix_all.append((ys[hit] * w + xs[hit]).astype(np.int64))
    dep_all.append(depth[hit].astype(np.float64))
    tri_all.append(tt[rows].astype(np.int64))


def _png(img) -> bytes:
    """An RGB8 PNG, deterministic (no time chunk)."""
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))  # fmt: skip


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
    return Diagnostic("E803", f"CAD stage unavailable: cadquery cannot be imported ({type(error).__name__}: {error})",
                      pack.span, "install cadquery (pip install cadquery) or pass --no-cad")  # fmt: skip


LARGE = 500  # cells: show a progress bar above this


def cad_stage(pack: ir.Pack, build, options: dict) -> list[Diagnostic]:
    """Build the CAD of ``build.layout``/``build.routing``; set ``build.cad`` and put the file
    bytes into ``build.files``. E803 if cadquery cannot be imported."""
    layout = getattr(build, "layout", None)
    if layout is None:
        return []
    try:
        import cadquery  # noqa: F401
    except Exception as error:  # noqa: BLE001 - ImportError, or a broken OCP shared library
        return [_unavailable(pack, error)]
    routing = getattr(build, "routing", None)
    stl = bool(options.get("stl"))
    show = bool(options.get("progress")) and len(layout.cells) >= LARGE
    with tempfile.TemporaryDirectory(prefix="battgen-cad-") as tmp:
        if show:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("CAD {task.description:<12}"), BarColumn(), TimeElapsedColumn(), transient=True) as bar:
                task = bar.add_task("plan", total=len(STEPS))
                result, plan = _build(pack, layout, routing, Path(tmp), stl,
                                      lambda step: bar.update(task, advance=1, description=_next(step)), None, "aluminium_6061")  # fmt: skip
        else:
            result, plan = _build(pack, layout, routing, Path(tmp), stl, None, None, "aluminium_6061")
        for name in result.files:
            build.files[name] = (Path(tmp) / name).read_bytes()
    build.cad = result
    span = pack.envelope.span if pack.envelope is not None else pack.span
    return [Diagnostic("W401", message, span, hint, Severity.WARNING) for message, hint in plan.warnings]


def _next(step: str) -> str:
    i = STEPS.index(step)
    return STEPS[i + 1] if i + 1 < len(STEPS) else "done"


__all__ = ["CadResult", "build_cad", "cad_stage", "plan_pack", "render_preview", "stdlib_materials", "Span"]
