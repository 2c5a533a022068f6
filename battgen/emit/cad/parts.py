"""The plan's vocabulary: the part records every CAD module reads (``Prism``, ``Instances``,
``Plan``), the part kinds and the assemblies they go into, and the progress steps.

Kept apart from ``plan`` (which makes them, with shapely) because the solids, the document, the
preview, the figures and the STEP process all read them: a plan is pickled to the STEP process
and rebuilt there, so these classes are what both processes share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

# The progress steps, in order. The STEP export runs beside "GLB export", "preview" and "assembly"
# (the assembly procedure's pictures) for large packs (``STEP_PROCESS_CELLS``); its step is the
# wait for it after them.
STEPS = ("plan", "GLB export", "preview", "assembly", "STEP export")

# Part kind → the assembly it goes into (cells and fuses are ``Instances`` of their own)
KIND_OF = {
    "busbar": "busbars",
    "lead": "busbars",
    "holder": "holders",
    "frame": "holders",
    "end_plate": "holders",
    "band": "holders",
    "barrier": "holders",
    "cold_plate": "cooling",
    "floor": "enclosure",
    "walls": "enclosure",
    "lid": "enclosure",
    "flange": "enclosure",
    "gap_filler": "cooling",
    "bms_board": "bms",
    "sense_harness": "bms",
}
# Part kind → its line in the bill of materials (``CadResult.mass``) when the prism names none
BOM_PART = {
    "busbar": "busbars",
    "lead": "busbars",
    "holder": "holders",
    "frame": "module walls",
    "end_plate": "end plates",
    "band": "bands",
    "barrier": "barrier",
}
# Part kind → its name in ``CadResult.parts``
PLURAL = {
    "busbar": "busbars",
    "lead": "leads",
    "holder": "holder_tiles",
    "frame": "frames",
    "end_plate": "end_plates",
    "band": "bands",
    "barrier": "barriers",
    "cold_plate": "cold_plates",
    "floor": "floor",
    "walls": "walls",
    "lid": "lid",
    "flange": "flange",
    "gap_filler": "gap_filler",
    "bms_board": "bms_boards",
    "sense_harness": "sense_harnesses",
}
ASSEMBLIES = ("cells", "busbars", "fuses", "holders", "cooling", "bms", "enclosure")


@dataclass
class Prism:
    """A solid: ``polygon`` (shapely, mm) with extra exact circular holes, from z0 to z1."""

    name: str
    kind: str
    polygon: BaseGeometry
    z0: float
    z1: float
    circles: tuple = ()  # (x, y, r) exact round holes, mm
    colour: tuple = (0.5, 0.5, 0.5)
    density: float = 0.0
    # optional (polygon, z0, z1) void cut from the prism (cold plate channels)
    cut: tuple[BaseGeometry, float, float] | None = None
    instance_of: str | None = None  # reuse the solid of this earlier prism (``_share_shapes``), moved by ``shift``
    shift: tuple = (0.0, 0.0, 0.0)  # mm
    group: str | None = None  # sub-assembly within its kind (holder plates made of tiles)
    part: str = ""  # its line in the bill of materials (``CadResult.mass``); "" : by its kind

    @property
    def volume_mm3(self) -> float:
        from battgen.passes.drawn import prism_volume_mm3

        return prism_volume_mm3(self.polygon, self.z0, self.z1, self.circles, self.cut)


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
    prisms: list[Prism]
    cells: Instances
    fuses: Instances | None
    holders: list[Instances]  # Instances of holder tiles
    stack: dict
    cooling: dict
    enclosure_region: BaseGeometry  # shapely, mm: the enclosure's footprint (the outline, keepouts inside it)
    height: float  # enclosure height, mm
    notes: list[str]
    warnings: list[tuple[str, str]]  # (message, hint)
    keepouts: list[tuple[str, BaseGeometry]] = field(default_factory=list)  # (name, space inside the box), mm


Corner = tuple[float, float, float]


def _bounds(plan: Plan) -> tuple[Corner, Corner]:
    """(min, max) corners of every part, mm, from the plan."""
    lo = [math.inf] * 3
    hi = [-math.inf] * 3

    def grow(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> None:
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
    return (lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2])
