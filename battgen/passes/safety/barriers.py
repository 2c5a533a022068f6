"""The declared thermal barrier (``barrier = aerogel(thickness = 2 mm, between = modules)``) as
parts: where its sheets go, how much of it there is, and whether the layout leaves it room.

* ``between = modules``: a sheet along every boundary between two modules, as tall as the
  cells: the boundary is where the two modules' footprints (each cell's footprint grown by half
  the gap) meet.
* ``between = cells``: flat cells get a sheet on every shared face (face area × thickness);
  round cells a sleeve of half the thickness around each cell, so that two neighbours are a
  whole thickness apart.

The same parts are weighed in the bill of materials (``passes.bom`` calls ``bom_lines`` here)
and drawn by the CAD (``emit.cad.plan``), and the network (``safety.network``) analyses them.
The layout does not make room for a barrier: when the gap between the cells it separates is
thinner than the barrier, the stage warns (W733) with the gap to set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.passes.layout.types import Layout


@dataclass(frozen=True)
class Sheets:
    """The barrier's parts. SI: m, m², m³, kg."""

    material: str
    thickness: float
    between: str
    height: float
    length: float  # of module-boundary sheets (between = modules), m
    count: int  # pieces: sheets between modules or faces, or sleeves
    volume: float
    mass: float
    room: float  # the narrowest gap the layout leaves where a barrier goes, m
    outlines: tuple = ()  # shapely polygons (mm-free: m) of the sheets between modules, for the CAD

    @property
    def fits(self) -> bool:
        return self.room + 1e-9 >= self.thickness

    def as_json(self) -> dict:
        """Every field but the drawn outlines (shapely), and whether it fits."""
        import dataclasses

        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "outlines"}
        return {**out, "fits": self.fits}


def _footprints(pack: ir.Pack, layout: Layout, grow: float):
    import shapely
    from shapely.geometry import box

    fmt = pack.cell.format
    xy = np.array([(c.x, c.y) for c in layout.cells])
    if fmt.kind == "cylindrical":
        return shapely.buffer(shapely.points(xy), fmt.diameter / 2.0 + grow, quad_segs=4)
    feet = []
    for c in layout.cells:
        b = box(
            c.x - fmt.width / 2 - grow,
            c.y - fmt.thickness / 2 - grow,
            c.x + fmt.width / 2 + grow,
            c.y + fmt.thickness / 2 + grow,
        )
        feet.append(shapely.affinity.rotate(b, c.rotation, origin=(c.x, c.y), use_radians=True))
    return np.array(feet)


def module_boundaries(pack: ir.Pack, layout: Layout) -> list:
    """The lines (shapely, m) between neighbouring modules: the edges of the cells' Voronoi
    diagram (the floor nearer to one cell than to any other) between two neighbouring cells of
    different modules, merged, and simplified to 0.6 of the cell pitch (a sheet is straight where
    the lattice zigzags)."""
    import shapely
    from scipy.spatial import Voronoi
    from shapely.geometry import MultiLineString

    xy = np.array([(c.x, c.y) for c in layout.cells])
    module = np.array([c.module for c in layout.cells])
    if len(set(module.tolist())) < 2 or len(xy) < 4:
        return []
    diagram = Voronoi(xy)
    ridges = np.asarray(diagram.ridge_points)
    vertices = np.array(diagram.ridge_vertices, dtype=object)
    neighbours = np.linalg.norm(xy[ridges[:, 0]] - xy[ridges[:, 1]], axis=1) <= max(layout.footprint) + 2 * pack.gap
    across = module[ridges[:, 0]] != module[ridges[:, 1]]
    pairs: dict[tuple[int, int], list] = {}
    for k in np.flatnonzero(neighbours & across):
        v = vertices[k]
        if -1 in v:  # an unbounded ridge: the pack's outer edge
            continue
        a, b = sorted((int(module[ridges[k, 0]]), int(module[ridges[k, 1]])))
        key = (a, b)
        pairs.setdefault(key, []).append(tuple(map(tuple, diagram.vertices[list(v)])))
    tolerance = 0.6 * max(layout.pitch) if max(layout.pitch) > 0 else 1e-3
    lines = []
    for _key, segments in sorted(pairs.items()):
        line = shapely.line_merge(MultiLineString(segments))
        if line.length > 1e-3:
            lines.append(line.simplify(tolerance))
    return lines


def design(pack: ir.Pack, layout: Layout) -> Sheets | None:
    """The barrier of ``pack`` (None when it declares none)."""
    barrier = pack.barrier
    if barrier is None or not layout.cells:
        return None
    fmt = pack.cell.format
    t, rho = barrier.thickness, barrier.material.density
    height = fmt.height
    if barrier.between == "modules":
        lines = module_boundaries(pack, layout)
        length = float(sum(line.length for line in lines))
        outlines = tuple(line.buffer(t / 2.0, cap_style="flat", join_style="mitre") for line in lines)
        volume = length * height * t
        return Sheets(
            barrier.material.name, t, "modules", height, length, len(lines), volume, volume * rho, pack.gap, outlines
        )
    n = len(layout.cells)
    if fmt.kind == "cylindrical":
        volume = n * math.pi * fmt.diameter * height * t / 2.0
        return Sheets(barrier.material.name, t, "cells", height, 0.0, n, volume, volume * rho, pack.gap)
    # flat cells: one sheet per shared face (neighbours along the thickness)
    faces = _shared_faces(layout, fmt, pack.gap)
    volume = faces * fmt.width * height * t
    return Sheets(barrier.material.name, t, "cells", height, 0.0, faces, volume, volume * rho, pack.gap)


def _shared_faces(layout: Layout, fmt: ir.CellFormat, gap: float) -> int:
    from scipy.spatial import cKDTree

    xy = np.array([(c.x, c.y, c.z) for c in layout.cells])
    pairs = cKDTree(xy).query_pairs(fmt.thickness + gap + 1e-4, output_type="ndarray")
    return int(len(pairs))


def bom_lines(pack: ir.Pack, layout: Layout) -> list[tuple[str, str, int | None, float, float | None, str]]:
    """The barrier's bill-of-materials line as (item, part, quantity, kg, USD, basis)."""
    sheets = design(pack, layout)
    if sheets is None:
        return []
    barrier = pack.barrier
    assert barrier is not None
    cost = sheets.mass * barrier.material.cost if barrier.material.cost is not None else None
    if sheets.between == "modules":
        part = (
            f"thermal barrier, {sheets.material} {sheets.thickness * 1e3:g} mm sheet between modules, "
            f"{sheets.length:.2f} m × {sheets.height * 1e3:.0f} mm"
        )
    elif pack.cell.format.kind == "cylindrical":
        part = f"thermal barrier sleeve, {sheets.material} {sheets.thickness * 1e3 / 2:g} mm around each cell"
    else:
        part = f"thermal barrier, {sheets.material} {sheets.thickness * 1e3:g} mm sheet between cells"
    return [
        (
            "barrier",
            part,
            sheets.count,
            sheets.mass,
            cost,
            "safety (barriers.py): declared `barrier`; raw material price",
        )
    ]
