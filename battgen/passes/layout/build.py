"""Building the Layout from a grouping: placed cells, group and module outlines, polarity.

``_build`` turns the sites a grouping chose (site and layer of each cell, in series order)
into the ``Layout`` every later stage reads: cell positions and rotation, the polarity of each
group (alternating for round cells; for prismatic and pouch cells chosen so the series path's
tabs meet, ``_tab_polarity``), the outlines drawn round each group and module, and the area
and volume fractions.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from battgen.core import ir
from battgen.core.records import records
from battgen.passes.layout.floor import Floor, _boxes
from battgen.passes.layout.grouping import _Plan
from battgen.passes.layout.sites import Arrangement, SiteSearch
from battgen.passes.layout.types import Layout, Module, ParallelGroup, PlacedCell
from battgen.passes.synthesis import Candidate


def _fmt_mm(value: float) -> str:
    """A length in metres as the notes and diagnostics print it: 4 significant mm."""
    return f"{value * 1e3:.4g} mm"


QUAD_SEGS = 2  # segments per quarter of the discs an outline is the union of (octagons)


def _outlines(point_sets: list[np.ndarray], radius: float, inner: list[np.ndarray] | None = None) -> list[BaseGeometry]:
    """Outlines around sets of footprints: the union of discs slightly larger than half the
    contact distance (connected for a connected set), simplified. Vectorised over the sets;
    a set that is a translate of an earlier one (most groups of a lattice: the Model S's 96
    are 26 shapes) takes that one's outline, moved, as shapely's buffer of the discs was most
    of the layout's time (2 ms a group). ``inner``: for each set, the points whose disc is
    walled in by its neighbours' (``_inner``), left out of the union: it has the same outside
    ring without them (only the holes inside differ, and only the outside ring is read)."""
    first: dict[bytes, int] = {}
    model = [first.setdefault(_shape_key(points), k) for k, points in enumerate(point_sets)]
    made = sorted(first.values())
    sets = [point_sets[k] if inner is None else point_sets[k][~inner[k]] for k in made]
    geoms = shapely.buffer(_multipoints(sets), radius, quad_segs=QUAD_SEGS)
    outline = dict(zip(made, shapely.simplify(geoms, radius * 0.2, preserve_topology=False)))
    out = [outline[m] for m in model]
    moved = [k for k, m in enumerate(model) if k != m]
    offsets = [point_sets[k][0] - point_sets[model[k]][0] for k in moved]
    for k, geom in zip(moved, _moved_all([out[k] for k in moved], offsets)):
        out[k] = geom
    return out


def _multipoints(sets: list[np.ndarray]) -> np.ndarray:
    """One MultiPoint of each set of points (none for no sets)."""
    if not sets:
        return np.empty(0, dtype=object)
    index = np.repeat(np.arange(len(sets)), [len(points) for points in sets])
    return shapely.multipoints(np.concatenate(sets), indices=index)


def _moved_all(geoms: list[BaseGeometry], offsets: list[np.ndarray]) -> list[BaseGeometry]:
    """``_moved`` of each geometry by its offset, in one pass over all their coordinates (the
    same sums as ``_moved``'s)."""
    if not geoms:
        return []
    out = np.array(geoms, dtype=object)
    coords, index = shapely.get_coordinates(out, return_index=True)
    nil = ~np.array([offset.any() for offset in offsets])
    shapely.set_coordinates(out, coords + np.asarray(offsets)[index])
    out[nil] = np.array(geoms, dtype=object)[nil]
    return out.tolist()


def _shape_key(points: np.ndarray) -> bytes:
    """The positions of a set of points relative to its first, to the nanometre: equal for
    sets that are translates of one another, point for point in the same order."""
    return np.round((points - points[0]) * 1e9).astype(np.int64).tobytes() if len(points) else b""


def _moved(geom: BaseGeometry, offset: np.ndarray) -> BaseGeometry:
    """``geom`` translated by ``offset`` (itself when the offset is nil)."""
    if not offset.any():
        return geom
    return shapely.transform(geom, lambda coords: coords + offset)


def _coords(geom: BaseGeometry | None) -> tuple[tuple[float, float], ...]:
    """An outline's vertices (the largest polygon of a collection, else the convex hull),
    rounded to the micrometre."""
    if geom is None or geom.is_empty:
        return ()
    if geom.geom_type != "Polygon":
        geom = max(geom.geoms, key=lambda g: g.area) if hasattr(geom, "geoms") else geom.convex_hull
        if geom.geom_type != "Polygon":
            geom = geom.convex_hull
    coords = np.round(shapely.get_coordinates(geom.exterior)[:-1], 6)
    return tuple(map(tuple, coords.tolist()))


def _coords_all(geoms: list[BaseGeometry]) -> list[tuple[tuple[float, float], ...]]:
    """``_coords`` of each outline, the polygons' vertices read and rounded all at once."""
    out: list[tuple[tuple[float, float], ...]] = []
    polygons, at = [], []
    for k, geom in enumerate(geoms):
        if geom is not None and not geom.is_empty and geom.geom_type != "Polygon":
            geom = max(geom.geoms, key=lambda g: g.area) if hasattr(geom, "geoms") else geom.convex_hull
            if geom.geom_type != "Polygon":
                geom = geom.convex_hull
        if geom is None or geom.is_empty or geom.geom_type != "Polygon":
            out.append(_coords(geom))
            continue
        out.append(())
        polygons.append(geom)
        at.append(k)
    if polygons:
        rings = shapely.get_exterior_ring(np.array(polygons, dtype=object))
        coords, ring = shapely.get_coordinates(rings, return_index=True)
        rounded = np.round(coords, 6)
        xs, ys = rounded[:, 0].tolist(), rounded[:, 1].tolist()  # (no list for each vertex)
        ends = np.cumsum(np.bincount(ring, minlength=len(polygons))).tolist()
        for k, start, end in zip(at, [0] + ends[:-1], ends):
            out[k] = tuple(zip(xs[start : end - 1], ys[start : end - 1]))
    return out


def _tab_polarity(xy: np.ndarray, group: np.ndarray, plan: _Plan, rotation: float, width: float) -> np.ndarray:
    """Prismatic and pouch cells carry both tabs on top, + on the +width side when
    ``polarity_up`` (0.3 × width from the centre, as routing reads it). Along a stack the
    polarity alternates; where the series path turns to the next row it must not, so each
    group takes the polarity that puts its + tabs nearest the previous group's − tabs."""
    axis = np.array([math.cos(rotation), math.sin(rotation)]) * 0.3 * width
    centre = np.array([xy[group == g].mean(axis=0) for g in range(plan.groups)])
    up = np.ones(plan.groups, dtype=bool)
    for g in range(1, plan.groups):
        if g % plan.series == 0:
            continue  # a new string starts fresh
        minus = centre[g - 1] - (axis if up[g - 1] else -axis)
        up[g] = np.linalg.norm(centre[g] + axis - minus) <= np.linalg.norm(centre[g] - axis - minus)
    return up[group]


def _orientation(cell: ir.CellFormat, arr: Arrangement) -> tuple[float, tuple[float, float]]:
    """The cells' rotation about z and their footprint's (x, y) extent as placed."""
    if cell.kind == "cylindrical":
        return 0.0, (cell.diameter, cell.diameter)
    # cells are ``width`` along x unrotated; here their thickness runs along the rows (u)
    rotation = round((arr.angle + math.pi / 2) % math.pi, 12)
    c, s = abs(math.cos(rotation)), abs(math.sin(rotation))
    return rotation, (cell.width * c + cell.thickness * s, cell.width * s + cell.thickness * c)


def _group_outlines(
    pack: ir.Pack, plan: _Plan, ss: SiteSearch, arr: Arrangement, xy: np.ndarray, site: np.ndarray
) -> list[BaseGeometry]:
    """Each group's outline: round cells ``_outlines``; prismatic and pouch cells the union of
    their footprints grown by half the gap (faces across the gap merge)."""
    per = plan.per_group
    if pack.cell.format.kind == "cylindrical":
        radius = max(arr.pu, arr.pv) * 0.55
        inner = _inner(ss, arr, site, per, radius)
        return _outlines(
            [xy[g * per : (g + 1) * per] for g in range(plan.groups)],
            radius,
            None if inner is None else [inner[g * per : (g + 1) * per] for g in range(plan.groups)],
        )
    grow = pack.gap / 2 + 1e-6
    boxes = _boxes(xy[:, 0], xy[:, 1], ss.half[0] + grow, ss.half[1] + grow, arr.angle)
    return [shapely.union_all(boxes[g * per : (g + 1) * per]) for g in range(plan.groups)]


def _inner(ss: SiteSearch, arr: Arrangement, site: np.ndarray, per: int, radius: float) -> np.ndarray | None:
    """Which cells (series order, site ``site[k]`` of ``ss``) are walled in by cells of their
    own group, so that their disc (an octagon of ``radius``, as ``_outlines`` draws it) does
    not reach the outside ring of the group's outline: the two beside them on their row and,
    on the rows above and below, the sites within a pitch along the row (1.5 pitches where
    those make no wall). ``_walls_in`` checks, for the lattice's pitches, that consecutive
    octagons of that ring overlap and the middle one lies inside the polygon through their
    centres. Then the outside ring is the same without the walled-in cells: a point of the
    union of those polygons' edges lies on an octagon of the ring, of a cell walled in in turn
    (then the point is inside that cell's polygon) or of one kept, so the kept octagons still
    wall the removed ones off from the outside. None off a lattice, or where no ring walls in."""
    if arr.family not in ("hex", "square", "stretched") or not len(site):
        return None
    pu, pv = arr.pu, arr.pv
    # the next row's sites (the same above and below) along the row: i + step, at offset
    # d + step · pu from a site of an even row (d = shift) or of an odd row (d = −shift)
    steps = []
    for d in (arr.shift, -arr.shift):
        m = np.arange(-2, 3)
        for reach in (1.0, 1.5):
            near = m[np.abs(d + m * pu) <= reach * pu * (1 + 1e-9)]
            if _walls_in(d + near * pu, pu, pv, radius):
                steps.append(near)
                break
        else:
            return None
    u, j = ss.uv[site, 0], ss.row[site]
    odd = j % 2 == 1
    i = np.rint((u - arr.ou - np.where(odd, arr.shift, 0.0)) / pu).astype(np.int64)
    if np.abs(arr.ou + np.where(odd, arr.shift, 0.0) + i * pu - u).max() > 1e-6 * pu:
        return None  # not the lattice's own sites
    group = np.arange(len(site)) // per
    i = i - int(i.min()) + 3
    rows, cols = int(j.max()) + 3, int(i.max()) + 4
    key = (j + 1) * cols + i  # (row, column) of each cell, one number
    # the group at each place (-1: none), or where cells share a place (layers) the places of
    # each group, sorted
    at = np.full(rows * cols, -1, dtype=np.int64)
    at[key] = group
    shared = int(np.count_nonzero(at >= 0)) != len(key)
    present = np.unique(group * (rows * cols) + key) if shared else at

    def has(k: np.ndarray, g: np.ndarray) -> np.ndarray:
        if not shared:
            return at[k] == g
        k = g * (rows * cols) + k
        found = np.minimum(np.searchsorted(present, k), len(present) - 1)
        return present[found] == k

    inner = has(key - 1, group) & has(key + 1, group)
    for parity, step in enumerate(steps):
        on = odd == bool(parity)
        for di in step.tolist():
            for dj in (-1, 1):
                inner[on] &= has(key[on] + dj * cols + di, group[on])
    return inner


def _walls_in(offsets: np.ndarray, pu: float, pv: float, radius: float) -> bool:
    """Do the octagons of ``radius`` (``_outlines``'s discs) at (pu, 0), (o, pv) for each
    offset o, (−pu, 0) and (o, −pv), in that order round the origin, wall in the one at the
    origin: each overlaps the next along the segment between their centres (each reaches at
    least its inner radius, r·cos(π / 8), from its centre), and the origin's octagon lies
    inside the polygon through them (farther than r from every edge)?"""
    if not len(offsets):
        return False
    top = [(pu, 0.0)] + [(o, pv) for o in sorted(offsets.tolist(), reverse=True)] + [(-pu, 0.0)]
    pts = np.array(top + [(x, -y) for x, y in reversed(top[1:-1])] + top[:1])
    a, b = pts[:-1], pts[1:]
    ab = b - a
    length = np.hypot(ab[:, 0], ab[:, 1])
    if (length >= 2 * radius * math.cos(math.pi / (4 * QUAD_SEGS)) * (1 - 1e-9)).any():
        return False
    turn = np.diff(np.unwrap(np.arctan2(pts[:, 1], pts[:, 0])))
    if not ((turn > 0).all() and abs(turn.sum() - 2 * math.pi) < 1e-9):
        return False  # not once round the origin
    t = np.clip(-(a * ab).sum(axis=1) / length**2, 0.0, 1.0)
    nearest = np.hypot(a[:, 0] + t * ab[:, 0], a[:, 1] + t * ab[:, 1]).min()
    return bool(nearest > radius * (1 + 1e-9))


def _groups_and_modules(
    plan: _Plan, module: np.ndarray, group_geoms: list[BaseGeometry], xy: np.ndarray
) -> tuple[tuple[ParallelGroup, ...], tuple[Module, ...]]:
    """The parallel groups (consecutive runs of P cells) and modules (runs of groups) with
    their outlines (``_module_outlines``)."""
    per = plan.per_group
    outlines = _coords_all(group_geoms + _module_outlines(plan, group_geoms, xy))
    of_group = module[::per].tolist()
    groups = tuple(
        ParallelGroup(g, of_group[g], tuple(range(g * per, (g + 1) * per)), outlines[g]) for g in range(plan.groups)
    )
    starts = plan.module_starts.tolist()
    modules = tuple(
        Module(m, tuple(range(starts[m], starts[m + 1])), outlines[plan.groups + m]) for m in range(plan.modules)
    )
    return groups, modules


def _module_outlines(plan: _Plan, group_geoms: list[BaseGeometry], xy: np.ndarray) -> list[BaseGeometry]:
    """Each module's outline: the union of its groups' (``_filled``); a module whose cells are
    a translate of an earlier module's takes that one's outline, moved (the Model S's 16
    modules are 6 shapes)."""
    per = plan.per_group
    starts = plan.module_starts.tolist()
    shells = _filled(group_geoms)
    first: dict[bytes, int] = {}
    out: list[BaseGeometry] = []
    for m in range(plan.modules):
        cells = xy[starts[m] * per : starts[m + 1] * per]
        model = first.setdefault(_shape_key(cells), m)
        if model == m:
            out.append(shapely.union_all(shells[starts[m] : starts[m + 1]]))
        else:
            out.append(_moved(out[model], cells[0] - xy[starts[model] * per]))
    return out


def _filled(geoms: list[BaseGeometry]) -> np.ndarray:
    """The outlines with their holes filled: a round cells' outline has a pinhole in every
    triangle of touching cells (three discs of 0.55 pitch leave one), and the union of a
    module's groups spent most of its time on them (Model S: 16 unions 235 -> 45 ms). A hole
    lies inside its polygon's shell, so the union's shell, the module outline, is the same."""
    geoms_ = np.asarray(geoms, dtype=object)
    polygon = shapely.get_type_id(geoms_) == 3
    out = geoms_.copy()
    out[polygon] = shapely.polygons(shapely.get_exterior_ring(geoms_[polygon]))
    return out


def _placed_cells(
    xy: np.ndarray, z: np.ndarray, rotation: float, group: np.ndarray, module: np.ndarray, polarity: np.ndarray
) -> tuple[PlacedCell, ...]:
    """The cells standing at ``xy`` and ``z`` (series order), made as copies of their fields
    (``core.records``: a third of the time the Model S's 7,104 took through ``__init__``)."""
    rows = (
        {"index": k, "x": x, "y": y, "z": zk, "group": g, "module": m, "polarity_up": up}
        for k, x, y, zk, g, m, up in zip(
            range(len(xy)),
            xy[:, 0].tolist(),
            xy[:, 1].tolist(),
            z.tolist(),
            group.tolist(),
            module.tolist(),
            polarity.tolist(),
        )
    )
    return tuple(records(PlacedCell, rows, {"axis": "z", "rotation": rotation}))


def _note(ss: SiteSearch, fl: Floor, desc: str) -> str:
    """How the layout was found, for the report."""
    note = f"serpentine over {desc}"
    if ss.arr.family == "relaxed":
        note = f"{ss.describe()}; groups from {desc}"
    if fl.virtual:
        note += f"; no envelope declared: placed in a {_fmt_mm(fl.outline.bounds[2])} square"
    return note


def _build(
    pack: ir.Pack,
    candidate: Candidate,
    plan: _Plan,
    fl: Floor,
    ss: SiteSearch,
    site: np.ndarray,
    layer: np.ndarray,
    desc: str,
) -> Layout:
    """The Layout of ``candidate`` with cell k (series order) at site ``site[k]`` of ``ss``
    on layer ``layer[k]``, as the grouping ``desc`` found it."""
    cell = pack.cell.format
    arr = ss.arr
    need = plan.cells
    xy = ss.xy[site]
    z = layer * (cell.height + fl.layer_gap)
    group = np.arange(need) // plan.per_group
    module = plan.module_of_group()[group]
    series_index = group % plan.series
    polarity = series_index % 2 == 0
    rotation, footprint = _orientation(cell, arr)
    if cell.kind != "cylindrical":
        polarity = _tab_polarity(xy, group, plan, rotation, cell.width)
    cells = _placed_cells(xy, z + 0.0, rotation, group, module, polarity)
    groups, modules = _groups_and_modules(plan, module, _group_outlines(pack, plan, ss, arr, xy, site), xy)
    usable_area = float(fl.usable.area)
    foot_area = math.pi * cell.diameter**2 / 4 if cell.kind == "cylindrical" else cell.width * cell.thickness
    layers_used = int(layer.max()) + 1 if need else 1
    area_fraction = need * foot_area / (usable_area * layers_used) if usable_area > 0 else 0.0
    volume = float(fl.outline.area) * fl.height
    volume_fraction = need * cell.volume / volume if volume > 0 else 0.0
    return Layout(
        pack=pack.name,
        series=candidate.series,
        parallel=candidate.parallel,
        lattice=arr.lattice,
        pitch=(round(arr.pu, 12), round(arr.pv, 12)),
        angle=round(arr.angle, 12),
        footprint=(round(footprint[0], 12), round(footprint[1], 12)),
        cell_height=cell.height,
        layers=layers_used,
        cells=cells,
        groups=groups,
        modules=modules,
        sites=ss.count,
        area_fraction=round(area_fraction, 9),
        volume_fraction=round(volume_fraction, 9),
        strings=plan.strings,
        note=_note(ss, fl, desc),
    )
