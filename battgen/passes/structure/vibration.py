"""Vibration and shock: the first natural frequencies of each module on its mounts and of the
enclosure's floor and lid (finite elements, ``modal``), against the road-excitation band; the
response to the standard's vibration profile and mechanical shock as stresses at the mounts
and the busbar joints, against the materials' fatigue and yield limits.

What is modelled (each an assumption, stated in the results' notes):

* **A module** is a Kirchhoff plate over its outline: its deck (the cold plate under it — two
  1.5 mm 6061 skins over the 3 mm channels, the plate the heat stage analyses — or, without one,
  a tray of the enclosure's sheet) and, for round cells, the top and bottom holder plates, the
  cells between them taken as a shear-rigid core (the sandwich's bending stiffness by the
  parallel-axis rule about its neutral plane); for flat cells, the module frame's walls (the
  ring of 4 mm aluminium the CAD draws round each module, as tall as the cells) as two deep
  beams whose E·I is spread over the module's width. The cells themselves add no stiffness
  (conservative). The whole module's mass (cells, holders, deck) is smeared over it. It is bolted at the corners of its bounding rectangle and, along sides longer than
  ``MOUNT_PITCH``, between them (a design rule): those points are held.
* **Floor and lid** are the enclosure's sheet over the region (outline less keepouts),
  simply supported at the walls, carrying their own mass only: the modules are taken to bolt
  to the frame, not to the sheet.
* **Response**: damping ζ = 5 % (Q = 10, the value of Miles-equation practice, FEMCI's
  example; an assumption). To the sine sweep, the first mode's peak response is max over the
  band of A(f)·T(f) (``models.mechanics.sine_response``); to the shock, the undamped half-sine
  response (``half_sine_response``). Stresses scale from a static finite-element solve at 1 g:
  σ = σ_1g·a/g for the vibration amplitude (against the fatigue limit; the 1 g mean is left
  out of the fatigue check), σ_1g·(1 + a/g) for the shock on top of gravity (against yield).
  Point supports make the stress at a mount depend on the mesh (a point load's moment is
  singular); with ~20-40 mm elements it stands for a bolt boss of that size.
* **Busbar joints**: a module link spans from one module to the next; one module moving by
  its response amplitude δ = a/(2πf₁)² while the other stands bends the link as a fixed-guided
  beam, σ = 3·E·t·δ/L² with L its current-path length (Roark, Table 8.1 case 1e).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.core.memo import Remembered
from battgen.models import mechanics, packaging
from battgen.passes.heat import CHANNEL_HEIGHT, COLD_PLATE_SKIN
from battgen.passes.layout.types import Layout
from battgen.passes.routing.types import Routing
from battgen.passes.structure import modal

SHAPE_GRID = 0.005  # m: modules whose outlines agree to this share a finite-element solve
# Grid cells along a module's longer side: its plate model is coarser than the mesh (a module is
# no plate), 16 cells put the first frequency within 1.5 % of a finer mesh's
MODULE_CELLS = 16
DAMPING = 0.05  # ζ, Q = 10 (an assumption; FEMCI's Miles example uses Q = 10)
POISSON = 0.3  # Roark's tables' ν, taken for every sheet (6061 is 0.33: 1 % on a frequency)
MOUNT_PITCH = 0.6  # m: a module side longer than this gets bolts between its corners (design rule)
MOUNT_INSET = 0.015  # m: bolt centres this far inside the module's corners
MOUNT_TURN = math.radians(30.0)  # a hull corner that turns less than this is no corner for a bolt
DECK_MATERIAL = "aluminium_6061"
# Polycarbonate holders: tensile modulus 2,400 MPa (Covestro Makrolon 2405 data sheet, ISO 527),
# the grade the CAD's holder density is taken from (emit/cad/plan.py HOLDER_DENSITY).
HOLDER_MODULUS = 2.4e9
HOLDER_THICKNESS = 0.005  # m, as the CAD draws them (capped at a fifth of the cell height there)
HOLDER_DENSITY = 1200.0
# The module frame's wall, m: the CAD's FRAME_THICKNESS (emit/cad/plan.py: 4 mm aluminium), the
# frame drawn round every flat-cell module; repeated here because a pass cannot read the emitter.
FRAME_WALL = 0.004


@dataclass(frozen=True)
class Response:
    """One structure's first modes and its response. SI: Hz, m/s², Pa, N."""

    name: str  # "module 3", "lid", "floor"
    frequencies: tuple[float, ...]  # finite elements, lowest first
    hand: float  # closed-form cross-check of the first frequency (see hand_basis)
    hand_basis: str
    supports: str  # "edges simply supported" / "6 bolts"
    mass: float  # kg, the plate and what it carries
    in_band: bool  # the first frequency lies in the road-excitation band
    vibration: float  # peak response acceleration to the profile
    shock: float  # peak response acceleration to the shock pulse
    stress_vibration: float  # amplitude at the outer fibre (at the mounts for a module)
    stress_shock: float  # peak, with gravity
    fatigue_limit: float
    yield_strength: float
    mount_force: float  # per bolt, peak in the shock (0 for edge-supported panels)
    dofs: int
    material: str

    @property
    def fatigue_margin(self) -> float:
        return self.fatigue_limit / self.stress_vibration - 1.0 if self.stress_vibration > 0 else math.inf

    @property
    def shock_margin(self) -> float:
        return self.yield_strength / self.stress_shock - 1.0 if self.stress_shock > 0 else math.inf

    def as_json(self) -> dict:
        """The fields, with ``fatigue_margin``, ``shock_margin``."""
        import dataclasses

        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {**out, "fatigue_margin": self.fatigue_margin, "shock_margin": self.shock_margin}


@dataclass(frozen=True)
class Joint:
    """A busbar link between modules: its bending stress from the modules' relative motion."""

    busbar: int
    modules: tuple[int, int]
    material: str
    displacement_vibration: float  # m
    displacement_shock: float
    stress_vibration: float  # Pa
    stress_shock: float
    fatigue_limit: float | None
    yield_strength: float | None

    @property
    def fatigue_margin(self) -> float:
        if self.fatigue_limit is None or self.stress_vibration <= 0:
            return math.inf
        return self.fatigue_limit / self.stress_vibration - 1.0

    @property
    def shock_margin(self) -> float:
        if self.yield_strength is None or self.stress_shock <= 0:
            return math.inf
        return self.yield_strength / self.stress_shock - 1.0

    def as_json(self) -> dict:
        """The fields, with ``fatigue_margin``, ``shock_margin``."""
        import dataclasses

        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {**out, "fatigue_margin": self.fatigue_margin, "shock_margin": self.shock_margin}


# --- geometry ---------------------------------------------------------------------------------


def module_outlines(layout: Layout):
    """Each module's outline (shapely, m), simplified to 1 mm: the layout's, or the hull of its
    cells' footprints."""
    from shapely.geometry import MultiPoint, Polygon

    out = {}
    half = max(layout.footprint) / 2.0
    for module in layout.modules:
        # from an array: the same coordinates, without shapely's point-by-point list walk
        poly = Polygon(np.asarray(module.outline, dtype=float)) if len(module.outline) >= 3 else None
        if poly is None or not poly.is_valid or poly.area <= 0:
            pts = [(c.x, c.y) for c in layout.cells if c.module == module.index]
            poly = MultiPoint(pts).convex_hull.buffer(half)
        out[module.index] = _precise(poly, 1e-5, simplify=0.001)
    return out


# Snapping an outline to a grid (GEOS's precision model, ~0.5 ms an outline) is a third of the
# stage once its plate solves are remembered (``modal.solve``); the placement an edit of the
# busbars leaves alone gives the same outlines, so the snapped ones are remembered too, by the
# outline's WKB bytes and the grid, the least recently used first out (the Model S snaps 33
# outlines a build, the Leaf 24 61).
_SNAPPED = Remembered(256)


def _precise(geometry, grid: float, simplify: float = 0.0):
    """``shapely.set_precision(geometry.simplify(simplify), grid)`` (no simplification at 0),
    or what it gave before for the same geometry."""
    import shapely

    key = (shapely.to_wkb(geometry), grid, simplify)
    return _SNAPPED.get(key, lambda: shapely.set_precision(geometry.simplify(simplify) if simplify else geometry, grid))


def mounts(outline) -> tuple[tuple[float, float], ...]:
    """Bolt points: every corner of the outline's convex hull (simplified to a quarter of its
    narrower side, so that a lattice's jagged or rounded edge has no corners of its own) that
    turns by at least ``MOUNT_TURN``, moved ``MOUNT_INSET`` inwards along the corner's bisector,
    and more along each side longer than ``MOUNT_PITCH`` — in order round the outline. An
    L-shaped module keeps its outer corners; its notch gets none."""
    from shapely.geometry import Point

    rect = outline.minimum_rotated_rectangle
    corners = list(rect.exterior.coords)[:4]
    short = min(math.dist(corners[0], corners[1]), math.dist(corners[1], corners[2]))
    inset = min(MOUNT_INSET, short / 4.0)  # a small module keeps its bolts apart
    simple = outline.convex_hull.simplify(short / 4.0)
    if simple.geom_type != "Polygon" or simple.is_empty:
        simple = rect
    ring = _counter_clockwise(list(simple.exterior.coords)[:-1])
    hull: list[tuple[tuple[float, float], tuple[float, float]]] = []  # (hull corner, its bolt)
    count = len(ring)
    for k in range(count):
        prev, here, nxt = ring[k - 1], ring[k], ring[(k + 1) % count]
        a = (prev[0] - here[0], prev[1] - here[1])
        b = (nxt[0] - here[0], nxt[1] - here[1])
        la, lb = math.hypot(*a), math.hypot(*b)
        turn = math.pi - math.acos(max(-1.0, min(1.0, (a[0] * b[0] + a[1] * b[1]) / (la * lb))))
        if b[0] * a[1] - b[1] * a[0] <= 1e-12 or turn < MOUNT_TURN:  # reflex or nearly straight
            continue
        bis = (a[0] / la + b[0] / lb, a[1] / la + b[1] / lb)
        lbis = math.hypot(*bis) or 1.0
        reach = inset / max(math.sin((math.pi - turn) / 2.0), 0.2)  # inset from both sides of the corner
        bolt = (here[0] + bis[0] / lbis * reach, here[1] + bis[1] / lbis * reach)
        if outline.contains(Point(bolt)):
            hull.append((here, bolt))
    points: list[tuple[float, float]] = []
    for k, (here, bolt) in enumerate(hull):
        points.append((round(bolt[0], 5), round(bolt[1], 5)))
        there = hull[(k + 1) % len(hull)][0]
        side = math.dist(here, there)
        extra = max(int(math.ceil(side / MOUNT_PITCH)) - 1, 0) if len(hull) > 1 else 0
        for j in range(1, extra + 1):  # along the side to the next corner, inset inwards
            d = ((there[0] - here[0]) / side, (there[1] - here[1]) / side)
            x, y = here[0] + (there[0] - here[0]) * j / (extra + 1), here[1] + (there[1] - here[1]) * j / (extra + 1)
            mid = (x - d[1] * inset, y + d[0] * inset)  # left of the side: inside a counter-clockwise ring
            if outline.contains(Point(mid)):
                points.append((round(mid[0], 5), round(mid[1], 5)))
    if len(points) < 3:  # a sliver or an odd shape: the rectangle's corners, pulled to the centre
        cx, cy = rect.centroid.x, rect.centroid.y
        points = [(round(cx + (x - cx) * 0.7, 5), round(cy + (y - cy) * 0.7, 5)) for x, y in corners]
    return tuple(points)


def _counter_clockwise(ring: list) -> list:
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]))
    return ring if area > 0 else ring[::-1]


# --- sections ----------------------------------------------------------------------------------


def _layers_section(layers: list[tuple[float, float, float]], areal_mass: float) -> modal.Plate:
    """A plate of ``layers`` (modulus Pa, thickness m, height of its mid-plane m) bending about
    their common neutral plane (the modulus-weighted centroid): D = Σ E·(t³/12 + t·d²)/(1 − ν²)."""
    weight = sum(e * t for e, t, _ in layers)
    neutral = sum(e * t * z for e, t, z in layers) / weight
    rigidity = sum(e * (t**3 / 12.0 + t * (z - neutral) ** 2) for e, t, z in layers) / (1.0 - POISSON**2)
    # the stress is read at the deck's outer face (the metal; the first layer)
    e0, t0, z0 = layers[0]
    fibre = abs(z0 - t0 / 2.0 - neutral)
    return modal.Plate(rigidity, POISSON, areal_mass, fibre, e0)


def module_section(
    pack: ir.Pack, materials: Mapping[str, ir.Material], areal_mass: float, width: float = 0.0
) -> tuple[modal.Plate, str]:
    """The module's plate section (see the module docstring) and its deck material's name;
    ``width``: the module's narrower side, m, over which a flat-cell frame's walls are spread."""
    deck = materials.get(DECK_MATERIAL)
    e_deck = deck.modulus if deck is not None and deck.modulus else packaging.AL_MODULUS
    layers: list[tuple[float, float, float]] = []
    plated = pack.cooling.kind == "cold_plate" and pack.cooling.side in ("bottom", "top")
    if plated:
        skin, core = COLD_PLATE_SKIN * 1e-3, CHANNEL_HEIGHT * 1e-3
        layers += [(e_deck, skin, skin / 2.0), (e_deck, skin, skin * 1.5 + core)]
        base = 2.0 * skin + core
        name = f"{DECK_MATERIAL} cold plate ({COLD_PLATE_SKIN:g} + {COLD_PLATE_SKIN:g} mm skins)"
    else:
        _, sheet = packaging.enclosure_wall(pack.enclosure)
        layers.append((e_deck, sheet, sheet / 2.0))
        base = sheet
        name = f"{DECK_MATERIAL} tray {sheet * 1e3:g} mm"
    if pack.cell.format.kind == "cylindrical":
        h = pack.cell.format.height * pack.layers
        t_h = min(HOLDER_THICKNESS, pack.cell.format.height / 5.0)
        layers += [(HOLDER_MODULUS, t_h, base + t_h / 2.0), (HOLDER_MODULUS, t_h, base + h - t_h / 2.0)]
    section = _layers_section(layers, areal_mass)
    if pack.cell.format.kind != "cylindrical" and width > 0:
        h = pack.cell.format.height
        walls = 2.0 * e_deck * FRAME_WALL * h**3 / 12.0 / width  # N·m per m of width
        # the frame's walls, centred on the cells, stiffen the plate; the stress stays read at the deck
        section = modal.Plate(
            section.rigidity + walls, section.poisson, areal_mass, section.fibre, section.fibre_modulus
        )
        name += f" with the frame's {FRAME_WALL * 1e3:g} mm walls"
    return section, name


# --- responses -----------------------------------------------------------------------------------


def respond(
    name: str,
    outline,
    plate: modal.Plate,
    supports: str,
    points: tuple[tuple[float, float], ...],
    material: ir.Material | None,
    cache: dict,
) -> Response:
    """The FE modes and 1 g static solve of one plate, and its responses to the profile and
    the shock. ``cache``: solves by shape (modules of one outline share them)."""
    import shapely

    outline, points = _aligned(outline, points)
    x0, y0, x1, y1 = outline.bounds
    # modules of one shape (to ``SHAPE_GRID``) and load share one solve: the first one's
    moved = _precise(shapely.affinity.translate(outline, -x0, -y0), SHAPE_GRID)
    key = (
        shapely.to_wkb(shapely.normalize(moved)),
        tuple((round((x - x0) / SHAPE_GRID), round((y - y0) / SHAPE_GRID)) for x, y in points),
        round(math.log(plate.rigidity), 3),
        round(math.log(plate.areal_mass), 3),
        supports,
    )
    if key not in cache:
        shifted = tuple((x - x0, y - y0) for x, y in points)
        kind = "points" if supports == "points" else "simple"
        cells = modal.CELLS_LONG_SIDE if kind == "simple" else MODULE_CELLS
        cache[key] = modal.solve(moved, plate, kind, shifted, cells_long_side=cells)
    result, static = cache[key]
    f1 = max(result.frequencies[0], 1e-3)  # a free mechanism (no frequency) reads as the lowest
    area = outline.area
    mass = plate.areal_mass * area
    vib, _ = mechanics.sine_response(f1, DAMPING)
    shock = mechanics.half_sine_response(f1, mechanics.SHOCK_PEAK, mechanics.SHOCK_DURATION)
    sigma_1g = static.stress
    fatigue = material.fatigue_limit if material is not None and material.fatigue_limit else math.nan
    yield_ = material.yield_strength if material is not None and material.yield_strength else math.nan
    if supports == "points":
        # a beam along the long side, simply supported at the bolts: f = (π/2)·√(D/(m″·L⁴)),
        # L the longest span between neighbouring bolts along a side
        span = _longest_span(points)
        hand = math.pi / 2.0 * math.sqrt(plate.rigidity / (plate.areal_mass * span**4))
        hand_basis = f"a beam simply supported over the longest bolt span ({span * 1e3:.0f} mm)"
    else:
        hand = mechanics.navier_frequency(
            x1 - x0, y1 - y0, 1.0, 12.0 * (1 - plate.poisson**2) * plate.rigidity, plate.poisson, plate.areal_mass
        )
        hand_basis = "Navier, the bounding rectangle simply supported at its edges"
    bolts = len(points) if supports == "points" else 0
    return Response(
        name,
        tuple(round(f, 4) for f in result.frequencies),
        round(hand, 4),
        hand_basis,
        f"{bolts} bolts" if bolts else "edges simply supported",
        mass,
        mechanics.SINE_BAND[0] <= f1 <= mechanics.SINE_BAND[1],
        vib,
        shock,
        sigma_1g * vib / mechanics.G0,
        sigma_1g * (1.0 + shock / mechanics.G0),
        fatigue,
        yield_,
        mass * (mechanics.G0 + shock) / bolts if bolts else 0.0,
        result.dofs,
        material.name if material is not None else "",
    )


def _longest_span(points: tuple[tuple[float, float], ...]) -> float:
    """The longest distance between bolts next to each other round the outline (``mounts``
    lists them in order round the rectangle)."""
    ring = list(points) + [points[0]]
    return max(math.dist(a, b) for a, b in zip(ring, ring[1:]))


def _aligned(outline, points: tuple[tuple[float, float], ...]):
    """``outline`` and ``points`` turned so that the outline's minimum rotated rectangle lies
    along x and y (the mesh's grid lines then run along its sides and through its bolts)."""
    import shapely

    corners = list(outline.minimum_rotated_rectangle.exterior.coords)
    (ax, ay), (bx, by) = corners[0], corners[1]
    angle = math.atan2(by - ay, bx - ax)
    if abs(math.sin(2 * angle)) < 1e-9:  # already along x and y
        return outline, points
    turned = shapely.affinity.rotate(outline, -angle, origin=(0, 0), use_radians=True)
    c, s = math.cos(-angle), math.sin(-angle)
    return turned, tuple((x * c - y * s, x * s + y * c) for x, y in points)


def joints(
    pack: ir.Pack,
    layout: Layout,
    routing: Routing | None,
    modules: Mapping[int, Response],
    materials: Mapping[str, ir.Material],
) -> tuple[Joint, ...]:
    """Every module link's bending stress when one of its modules moves and the other stands."""
    if routing is None:
        return ()
    module_of = {g.index: g.module for g in layout.groups}
    out = []
    for b in routing.busbars:
        if b.kind != "module_link" or len(b.groups) < 2:
            continue
        pair = (module_of.get(b.groups[0], 0), module_of.get(b.groups[1], 0))
        moving = [modules[m] for m in pair if m in modules]
        if not moving:
            continue
        worst = max(moving, key=lambda r: r.vibration / max(r.frequencies[0], 1e-3) ** 2)
        omega2 = (2.0 * math.pi * max(worst.frequencies[0], 1e-3)) ** 2
        d_vib, d_shock = worst.vibration / omega2, worst.shock / omega2
        material = materials.get(b.material)
        modulus = material.modulus if material is not None and material.modulus else None
        span = max(b.length, 1e-3)
        s_vib = 3.0 * modulus * b.thickness * d_vib / span**2 if modulus else math.nan
        s_shock = 3.0 * modulus * b.thickness * d_shock / span**2 if modulus else math.nan
        out.append(
            Joint(
                b.index,
                pair,
                b.material,
                d_vib,
                d_shock,
                s_vib,
                s_shock,
                material.fatigue_limit if material is not None else None,
                material.yield_strength if material is not None else None,
            )
        )
    return tuple(out)
