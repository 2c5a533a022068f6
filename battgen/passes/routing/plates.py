"""Busbar plates: each owner's plate cut from the Voronoi split of its face, kept the creepage
distance clear of every plate and terminal at another potential.

The plane of each face is split by the Voronoi diagram of its terminals; an owner's plate is the
union of its terminals' Voronoi cells (each clipped to a disc of 0.75 × the larger pitch, so the
union is the buffered terminal discs plus the bridge between them). Prismatic and pouch cells
split their tops into tab strips instead (``_tab_bands``). Along the edge it shares with another
owner's region a plate is cut back by half the creepage distance for the working voltage between
the two (a plate near another it does not touch keeps the whole distance from that one's region),
and its outer edge by half the distance for the pack voltage; no plate comes nearer the
enclosure's walls (or a keepout's) than the pack-voltage distance (``isolation.plate_floor``).
Plates of different owners are therefore at least the creepage distance for the voltage between them apart, and the terminal
contact areas (discs of ``terminal_radius``) of other owners are at least that far from every
plate. Where the layout puts unlike terminals closer than that, their discs join their plates and
the other plates keep clear of them (``forced``: the W401 the busbar step reports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from battgen.core import ir
from battgen.passes.layout.types import Layout
from battgen.passes.routing.context import PlateContext, RoutingContext
from battgen.passes.routing.geometry import GRID, Tiles, merge_cells, overlaid, safe, safe_all
from battgen.passes.routing.junctions import Terminals

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from shapely.geometry.base import BaseGeometry


@dataclass
class PlateCut:
    """The plates as cut, before bridging; ``plates`` is updated as the busbar step bridges."""

    plates: dict[int, BaseGeometry] = field(default_factory=dict)  # owner → plate
    group_region: dict[tuple[int, int], BaseGeometry] = field(default_factory=dict)  # (owner, group) → un-eroded region
    forced: dict[int, tuple[float, int, float]] = field(default_factory=dict)
    # owner → (smallest terminal gap, other owner, distance needed) where the layout forces a short gap

    def copy(self) -> PlateCut:
        """A cut the busbar step may bridge without changing this one (the plates stage's, which
        the next build may reuse)."""
        return PlateCut(dict(self.plates), dict(self.group_region), dict(self.forced))


@dataclass(frozen=True, eq=False)
class Plates:
    """The plates stage's result: the plates as cut (before the enclosure's walls) and the
    context they were cut in. Routing starts from a copy (``PlateCut.copy``)."""

    context: PlateContext
    cut: PlateCut


def cut_plates(ctx: PlateContext) -> PlateCut:
    """Voronoi split of each face, clipped around each terminal; each plate cut back from its
    neighbours by half the distance for the voltage between them, from the outer edge by half the
    pack-voltage distance, kept clear of unlike terminals and clear of the keepouts. The
    enclosure's walls come after (``clear_of_walls``): they depend on what the pack is made of."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    faces = range(len(ctx.terminals.faces))
    # the faces share no owner: cut side by side (GEOS releases the GIL), joined in face order
    with ThreadPoolExecutor(max_workers=max(1, min(len(faces), os.cpu_count() or 1))) as pool:
        splits = _face_splits(ctx, pool)
        group_regions = _group_regions(ctx, splits, pool)
        owners = list(pool.map(lambda f: _face_regions(group_regions[f], bool(splits[f].exact.any())), faces))
        inside = _inside_edges(ctx, splits, [regions for _, regions in owners], pool)
        each = list(pool.map(lambda f: _cut_face(ctx, f, group_regions[f], *owners[f], inside[f]), faces))
    cut = PlateCut()
    for face in each:
        cut.plates.update(face.plates)
        cut.group_region.update(face.group_region)
        cut.forced.update(face.forced)
    if not ctx.blocked.is_empty:
        for o, plate in cut.plates.items():
            cut.plates[o] = safe(lambda p=plate: p.difference(ctx.blocked), plate)
    return cut


@dataclass(frozen=True, eq=False)
class _Split:
    """A face's split: its terminals' ``cells`` and which are the diagram's own (``exact``), and
    where each cell was drawn: in the diagram of face ``source`` (-1: the tab strips,
    ``_tab_bands``) as its cell ``at``. The same (source, at) is the same cell, to the bit."""

    cells: np.ndarray
    exact: np.ndarray
    source: int
    at: np.ndarray


def _face_splits(ctx: PlateContext, pool: Executor) -> list[_Split]:
    """Each face's split (``_voronoi_cells``; the tab strips of prismatic and pouch cells,
    ``_tab_bands``). Faces with their terminals in the same places (a standing cylinder's two
    ends) share one diagram: GEOS sorts the sites before it triangulates, so the same points give
    the same cells to the bit in whatever order (so it did on every example), and the second
    face's are the first's in its order (on the Model S one diagram of 7,104 cells less, 65 CPU
    ms)."""
    t = ctx.terminals
    bands = _tab_bands(ctx.layout, ctx.cell_format, t)  # prismatic/pouch: the tab's strip of the cell top
    on = [np.flatnonzero(t.face == f) for f in range(len(t.faces))]
    if bands is not None:
        return [_Split(bands[mine], np.zeros(len(mine), dtype=bool), -1, mine) for mine in on]
    order = [np.lexsort((t.xy[mine, 1], t.xy[mine, 0])) for mine in on]  # the points sorted
    first: dict[bytes, int] = {}  # the sorted points → the first face with them
    for f, mine in enumerate(on):
        first.setdefault(t.xy[mine][order[f]].tobytes(), f)
    own = sorted(set(first.values()))
    diagrams = dict(zip(own, pool.map(lambda f: _voronoi_cells(t.xy[on[f]], ctx.cover, ctx.pitch), own)))
    splits = []
    for f, mine in enumerate(on):
        g = first[t.xy[mine][order[f]].tobytes()]
        at = np.empty(len(mine), dtype=int)
        at[order[f]] = order[g]  # face f's point i is face g's point at[i]
        cells, exact = diagrams[g]
        splits.append(_Split(cells[at], exact[at], g, at))
    return splits


def _group_regions(
    ctx: PlateContext, splits: list[_Split], pool: Executor
) -> list[dict[tuple[int, int], BaseGeometry]]:
    """Each face's (owner, group) regions, by owner and group: the union of the group's cells
    there (``Tiles``). A standing cylinder's group has its + ends on one face and its − ends on
    the other, in the same places and order: the same cells of one diagram, merged once for
    both (on the Model S 96 merges instead of 192)."""
    t = ctx.terminals
    wanted: dict[tuple[int, bytes], tuple[_Split, np.ndarray]] = {}  # the cells → a face's terminals with them
    keys = []
    for f, split in enumerate(splits):
        on = np.flatnonzero(t.face == f)
        face_keys = {}
        for og, chosen in _selections(ctx.own[on], t.group[on]):
            key = (split.source, split.at[chosen].tobytes())
            wanted.setdefault(key, (split, chosen))
            face_keys[og] = key
        keys.append(face_keys)
    merged = dict(zip(wanted, pool.map(lambda w: Tiles.at(w[0].cells, w[0].exact, w[1]).merged(), wanted.values())))
    return [{og: merged[key] for og, key in face_keys.items()} for face_keys in keys]


def _selections(owned: np.ndarray, group: np.ndarray) -> list[tuple[tuple[int, int], np.ndarray]]:
    """The terminals of each (owner, group) (indices into ``owned`` and ``group``, ascending),
    by owner and group."""
    order = np.lexsort((group, owned))  # stable: each selection's terminals stay in order
    o, g = owned[order], group[order]
    starts = np.flatnonzero(np.r_[True, (o[1:] != o[:-1]) | (g[1:] != g[:-1])])
    return [((int(o[s]), int(g[s])), chosen) for s, chosen in zip(starts.tolist(), np.split(order, starts[1:]))]


def _inside_edges(
    ctx: PlateContext, splits: list[_Split], regions: list[list[BaseGeometry]], pool: Executor
) -> list[BaseGeometry]:
    """Each face's covered area (its owners' ``regions``, closed over cracks between them)
    shrunk by half the pack-voltage distance: what the plates' outer edges keep inside. Faces
    that share a diagram cover the same area (all its cells): shrunk once for them (the same
    shape to the bit, whichever face's regions it is merged from, on every example)."""
    first: dict[int, int] = {}  # the diagram → the first face with it (the tab strips: each face its own)
    for f, split in enumerate(splits):
        first.setdefault(split.source if split.source >= 0 else -1 - f, f)
    shrunk = dict(zip(first.values(), pool.map(lambda f: _shrunk(regions[f], ctx.clearance), first.values())))
    return [shrunk[first[s.source if s.source >= 0 else -1 - f]] for f, s in enumerate(splits)]


def _shrunk(regions: list[BaseGeometry], clearance: float) -> BaseGeometry:
    """The area the ``regions`` cover (closed over cracks between them) shrunk by half the
    ``clearance``."""
    import shapely

    closed = shapely.union_all(regions).buffer(1e-6, join_style="mitre")
    return closed.buffer(-clearance / 2 - 6e-6, join_style="mitre")


def _cut_face(
    ctx: PlateContext,
    f: int,
    group_region: dict[tuple[int, int], BaseGeometry],
    face_owners: list[int],
    regions: list[BaseGeometry],
    inside: BaseGeometry,
) -> PlateCut:
    """The plates of face ``f`` from its groups' and owners' regions (``_group_regions``,
    ``_face_regions``) and its outer edge (``_inside_edges``): its owners' regions cut back from
    each other and clear of unlike terminals."""
    on = np.flatnonzero(ctx.terminals.face == f)
    cut = PlateCut(group_region=dict(group_region))
    cut.plates = _cut_back(ctx, face_owners, regions, inside)
    tight = _tight_terminals(ctx, on, face_owners, cut.plates, cut.forced)
    if tight.size:
        _clear_of_tight(ctx, on, tight, face_owners, cut.plates)
    return cut


def clear_of_walls(ctx: RoutingContext, cut: PlateCut) -> None:
    """Each plate of ``cut`` cut back to ``ctx.plate_floor`` (the insulation distance from the
    enclosure's walls; none without an envelope), except its own terminals' contact areas: a
    terminal nearer the wall than that keeps its contact (the isolation check reports the gap)."""
    import shapely

    floor = ctx.plate_floor
    if floor is None:
        return
    shapely.prepare(floor)
    # only the contact discs that leave the floor add anything to the plate's part inside it
    # (and a snapped union of a few of them costs milliseconds; of all an owner's, most of a
    # second on a 7,000-cell pack)
    leaving = ~shapely.contains(floor, ctx.discs)
    for o, plate in cut.plates.items():
        if floor.contains(plate):  # most plates: nothing to cut, the plate snapped as the others
            cut.plates[o] = safe(lambda p=plate: shapely.union_all([p], grid_size=GRID), plate)
            continue
        mine = ctx.discs[(ctx.own == o) & leaving]
        contacts = shapely.union_all(mine, grid_size=GRID) if mine.size else None
        cut.plates[o] = safe(
            lambda p=plate, c=contacts: shapely.union_all(
                [p.intersection(floor)] + ([p.intersection(c)] if c is not None else []), grid_size=GRID
            ),
            plate,
        )


def _face_regions(
    group_region: dict[tuple[int, int], BaseGeometry], diagram: bool
) -> tuple[list[int], list[BaseGeometry]]:
    """The owners on a face (from its groups' regions, by owner and group) and each one's
    region: its groups' regions merged (overlaid where they are a ``diagram``'s cells)."""
    by_owner: dict[int, list[BaseGeometry]] = {}
    for (o, _), region in group_region.items():
        by_owner.setdefault(o, []).append(region)
    regions = []
    for merged in by_owner.values():
        if len(merged) == 1:
            regions.append(merged[0])
        elif not diagram:  # the tab strips (or a failed diagram): the groups' regions merged
            regions.append(merge_cells(np.array(merged, dtype=object)))
        else:  # two groups (a series junction): their regions overlaid, a third of the time of
            # merging their cells again (they meet along the diagram's edges)
            regions.append(overlaid(np.array(merged, dtype=object)))
    return list(by_owner), regions


def _cut_back(
    ctx: PlateContext, face_owners: list[int], regions: list[BaseGeometry], inside: BaseGeometry
) -> dict[int, BaseGeometry]:
    """Each region cut back from its neighbours' and to the face's ``inside`` (``_inside_edges``):
    owner → plate. Each step is one array call over the face's regions or their neighbouring
    pairs (on the Model S 97 plates, 520 pairs: 80 -> 70 CPU ms)."""
    import shapely

    shown = np.array(regions, dtype=object)
    pairs = shapely.STRtree(shown).query(shown, predicate="dwithin", distance=ctx.clearance)
    pairs = pairs[:, pairs[0] != pairs[1]]
    owners = np.asarray(face_owners)
    apart = ctx.creepage.apart(owners[pairs[0]], owners[pairs[1]])
    # sharing an edge: each side gives half; merely near: this plate keeps all of it from the
    # other's region (which holds the other plate)
    kept = np.where(_touching(shown, pairs), apart / 2, apart)
    plates = safe_all(lambda r: _inside(r, inside), shown, shown)
    near = np.unique(pairs[0])  # the plates with neighbours
    if near.size:
        try:
            zones = _near_zones(plates, shown, pairs, kept)
        except shapely.errors.GEOSException:  # each plate's zones on their own: a failing one's plate stays uncut
            zones = np.array(
                [safe(lambda i=i: _near_zones(plates, shown, *_of(i, pairs, kept))[0], None, False) for i in near],
                dtype=object,
            )
        plates[near] = safe_all(shapely.difference, plates[near], plates[near], zones)
    return dict(zip(face_owners, plates.tolist()))


def _of(i: int, pairs: np.ndarray, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plate ``i``'s ``pairs`` and the distances ``kept`` across them."""
    mine = pairs[0] == i
    return pairs[:, mine], kept[mine]


def _touching(regions: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Which ``pairs`` (2 × n indices into ``regions``) of regions share an edge (within the
    snapping tolerance), each pair measured once for both its orders."""
    import shapely

    n = len(regions)
    key = np.minimum(pairs[0], pairs[1]) * n + np.maximum(pairs[0], pairs[1])
    once, back = np.unique(key, return_inverse=True)
    return shapely.dwithin(regions[once // n], regions[once % n], 10 * GRID)[back.reshape(-1)]


def _inside(regions: np.ndarray, inside: BaseGeometry) -> np.ndarray:
    """Each region (closed over cracks) ∩ ``inside``, ``inside`` (the whole face's, thousands of
    vertices) first cut to the region's box: half the overlay's time on the Model S."""
    import shapely

    grown = shapely.buffer(regions, 1e-6, quad_segs=16, join_style="mitre")
    return shapely.intersection(grown, [shapely.clip_by_rect(inside, *box) for box in _boxes(grown, 1e-5)])


def _boxes(geoms: np.ndarray, margin: float | np.ndarray) -> list[list[float]]:
    """Each of ``geoms``' bounding box grown by its ``margin`` on every side: x0, y0, x1, y1."""
    import shapely

    bounds = shapely.bounds(geoms)
    grow = np.reshape(margin, (-1, 1))
    return np.hstack([bounds[:, :2] - grow, bounds[:, 2:] + grow]).tolist()


def _near_zones(plates: np.ndarray, regions: np.ndarray, pairs: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Where each plate with neighbours may not reach (one per plate of ``pairs[0]``, by plate):
    each neighbour's region grown by the distance ``kept`` from it, drawn only around the plate.
    Within the plate's box a region's zone is that of its part within the distance of the box (the
    nearer points are there): a box's worth of each neighbour is grown instead of all of it, and
    the zones' union is the box's (on the Model S the cut-back's overlays 69 -> 34 ms a face)."""
    import shapely

    i, k = pairs
    # a margin past the grown distance: the near part's cut edges grow outside the box
    near = [shapely.clip_by_rect(r, *box) for r, box in zip(regions[k], _boxes(plates[i], kept + 1e-4))]
    grown = shapely.buffer(near, kept + 5e-6, quad_segs=16, join_style="mitre")
    zones = np.array([shapely.clip_by_rect(z, *box) for z, box in zip(grown, _boxes(plates[i], 1e-5))], dtype=object)
    order = np.argsort(i, kind="stable")  # by plate, each plate's in the order of its pairs
    starts = np.flatnonzero(np.r_[True, i[order][1:] != i[order][:-1]])
    return np.array([shapely.union_all(zones[mine]) for mine in np.split(order, starts[1:])], dtype=object)


def _tight_terminals(
    ctx: PlateContext,
    on: np.ndarray,
    face_owners: list[int],
    face_plates: dict[int, BaseGeometry],
    forced: dict[int, tuple[float, int, float]],
) -> np.ndarray:
    """Terminals (indices into ``on``) whose contact disc does not fit in its plate, or that sit
    closer to an unlike terminal than the distance for the voltage between them (the layout
    forces that gap; recorded in ``forced``)."""
    import shapely

    t = ctx.terminals
    pts = t.xy[on]
    owned = ctx.own[on]
    plate_of = np.empty(len(on), dtype=object)
    for o in face_owners:
        plate_of[owned == o] = face_plates[o]
    shapely.prepare(list(face_plates.values()))  # each plate tested against all its discs: 5x faster prepared
    loose = ~shapely.covers(plate_of, ctx.inner_discs[on])
    short = _short_pairs(pts, owned, 2 * t.radius + ctx.clearance - 1e-7)
    if short.size:
        gaps = np.hypot(*(pts[short[:, 0]] - pts[short[:, 1]]).T) - 2 * t.radius
        need = ctx.creepage.apart(owned[short[:, 0]], owned[short[:, 1]])
        keep = gaps < need - 1e-7
        short, gaps, need = short[keep], gaps[keep], need[keep]
        for (i, j), gap, c in zip(short.tolist(), gaps.tolist(), need.tolist()):
            for a, b in ((i, j), (j, i)):
                oa = int(owned[a])
                if oa not in forced or gap < forced[oa][0]:
                    forced[oa] = (gap, int(owned[b]), c)
        loose[short.ravel()] = True
    return np.flatnonzero(loose)


def _clear_of_tight(
    ctx: PlateContext,
    on: np.ndarray,
    tight: np.ndarray,
    face_owners: list[int],
    face_plates: dict[int, BaseGeometry],
) -> None:
    """The ``tight`` terminals' discs join their plate and every other plate keeps its distance
    from them, so the plate edges follow the cell-to-cell gaps and only terminal-to-terminal
    gaps can be short. Updates ``face_plates``."""
    import shapely

    t = ctx.terminals
    owned = ctx.own[on]
    discs = ctx.discs[on]
    tight_points = shapely.points(t.xy[on][tight])
    reach = shapely.buffer(tight_points, t.radius + ctx.clearance - 1e-6, quad_segs=8)  # the most any pair needs
    tree = shapely.STRtree(reach)
    for o in face_owners:
        plate = face_plates[o]
        hit = tree.query(plate, predicate="intersects")
        hit = hit[owned[tight[hit]] != o]
        if hit.size:
            keep_clear = shapely.buffer(
                tight_points[hit], t.radius + ctx.creepage.apart(owned[tight[hit]], o) - 1e-6, quad_segs=8
            )
            plate = safe(lambda p=plate, z=keep_clear: p.difference(shapely.union_all(z, grid_size=GRID)), plate)
        mine_tight = tight[owned[tight] == o]
        if mine_tight.size:
            plate = safe(
                lambda p=plate, m=mine_tight, d=discs: shapely.union_all(np.concatenate([[p], d[m]]), grid_size=GRID),
                plate,
            )
        face_plates[o] = plate


def _voronoi_cells(pts: np.ndarray, cover: float, pitch: float) -> tuple[np.ndarray, np.ndarray]:
    """Each point's Voronoi cell clipped to the disc of radius ``cover`` around it (a 64-gon, as
    ``shapely.buffer`` draws it), and which cells are the diagram's own (``exact``: inside their
    disc, so not overlaid; their shared edges have the same vertices, ``Tiles``). A ring of
    guard points keeps the hull cells bounded (no near-parallel rays to a far envelope). A cell
    the plain overlay gets wrong (near-degenerate on a regular lattice) is overlaid again
    snap-rounded to ``GRID``; one that still comes out wrong (not holding its point) is replaced
    by the disc of half the distance to the nearest neighbour, always inside the true cell."""
    import shapely
    from scipy.spatial import cKDTree
    from shapely.geometry import MultiPoint

    n = len(pts)
    clip = _Discs(pts, cover)
    exact = np.zeros(n, dtype=bool)
    if n == 1:
        return clip.at(np.arange(1)), exact
    hull = MultiPoint(pts).convex_hull.buffer(max(2 * pitch, 1e-3), quad_segs=4)
    ring = hull.exterior
    m = max(int(ring.length / max(pitch, 1e-4)) + 8, 16)
    guard = shapely.get_coordinates(shapely.line_interpolate_point(ring, np.arange(m) / m, normalized=True))
    allp = np.vstack([pts, guard])
    lo, hi = allp.min(axis=0) - pitch, allp.max(axis=0) + pitch
    env = shapely.box(lo[0], lo[1], hi[0], hi[1])

    def checked(cells: np.ndarray) -> np.ndarray:
        return (
            shapely.contains_xy(cells, pts[:, 0], pts[:, 1])
            & (shapely.get_type_id(cells) == 3)
            & shapely.is_valid(cells)
        )

    try:
        raw = np.array(shapely.get_parts(shapely.voronoi_polygons(MultiPoint(allp), extend_to=env, ordered=True)))[:n]
    except shapely.errors.GEOSException:
        raw = None
    everyone = np.arange(n)
    cells = np.empty(n, dtype=object)
    ok = np.zeros(n, dtype=bool)
    if raw is not None and len(raw) == n:
        try:  # fast path: plain overlay (exact shared edges, so the unions below are coverage unions)
            cut = np.flatnonzero(~clip.holds(raw))  # a cell inside its disc is its own clipped cell
            cells[:] = raw
            cells[cut] = shapely.intersection(raw[cut], clip.at(cut))
            ok = checked(cells)
            exact[:] = ok
            exact[cut] = False
        except shapely.errors.GEOSException:
            cells[:] = clip.at(everyone)
        bad = np.flatnonzero(~ok)
        if bad.size:  # snap-rounded overlay for the few degenerate cells
            try:
                cells[bad] = shapely.intersection(shapely.set_precision(raw[bad], GRID), clip.at(bad), grid_size=GRID)
            except shapely.errors.GEOSException:
                cells[bad] = clip.at(bad)
            ok = checked(cells)
    else:
        cells[:] = clip.at(everyone)
    if not ok.all():
        bad = np.flatnonzero(~ok)
        d, _ = cKDTree(pts).query(pts[bad], 2)
        half = np.maximum(d[:, 1] / 2 * (1 - 1e-9), 1e-6)
        cells[bad] = shapely.intersection(
            shapely.buffer(shapely.points(pts[bad]), half, quad_segs=8), clip.at(bad), grid_size=GRID
        )
    return cells, exact


class _Discs:
    """The clip discs of radius ``cover`` around ``pts`` (``shapely.buffer``'s 64-gons), drawn
    only for the cells that need one: on a lattice, most Voronoi cells lie inside their disc
    and no disc is drawn for them (on a 7,000-cell pack most of the plates' time was drawing
    and overlaying discs that cut nothing)."""

    QUAD_SEGS = 16

    def __init__(self, pts: np.ndarray, cover: float):
        self.pts, self.cover = pts, cover
        self.drawn = np.full(len(pts), None, dtype=object)

    def at(self, index: np.ndarray) -> np.ndarray:
        """The discs of the points ``index``."""
        from battgen.passes.drawn import discs

        missing = index[self.drawn[index] == None]  # noqa: E711 - elementwise over an object array
        if missing.size:
            self.drawn[missing] = discs(self.pts[missing], self.cover, self.QUAD_SEGS)
        return self.drawn[index]

    def holds(self, cells: np.ndarray) -> np.ndarray:
        """Which ``cells`` (convex polygons, one per point) lie inside their point's disc: every
        vertex within the 64-gon's inscribed circle."""
        import shapely

        xy, owner = shapely.get_coordinates(cells, return_index=True)
        reach = np.zeros(len(cells))
        np.maximum.at(reach, owner, np.hypot(*(xy - self.pts[owner]).T))
        inscribed = self.cover * np.cos(np.pi / (4 * self.QUAD_SEGS))
        return reach < inscribed * (1 - 1e-9)


def _tab_bands(layout: Layout, fmt: ir.CellFormat, t: Terminals) -> np.ndarray | None:
    """Prismatic/pouch cells standing: each tab's share of the cell top, a strip across the cell
    (its thickness plus half the gap each side) from 0.15 × width off the centre line to the cell
    edge plus half the gap along the width axis — neighbouring strips meet along the
    cell-to-cell gaps. None for standing cylinders (their plates come from the Voronoi split)."""
    import shapely

    if fmt.kind == "cylindrical" or any(c.axis != "z" for c in layout.cells):
        return None
    width = fmt.width or layout.footprint[0]
    thick = fmt.thickness or layout.footprint[1]
    gap = max(min(layout.pitch) - thick, 0.0) if layout.lattice == "rows" else 0.0
    cells = layout.cells
    rot = np.array([cells[c].rotation for c in t.cell], dtype=float)
    centre = np.array([(cells[c].x, cells[c].y) for c in t.cell], dtype=float).reshape(-1, 2)
    u = np.stack([np.cos(rot), np.sin(rot)], axis=1)  # width axis
    v = np.stack([-np.sin(rot), np.cos(rot)], axis=1)  # thickness axis
    side = np.sign(np.einsum("ij,ij->i", t.xy - centre, u))
    side[side == 0] = 1.0
    inner, outer = 0.15 * width, width / 2 + gap / 2
    mid = centre + u * side[:, None] * (inner + outer) / 2
    hu, hv = (outer - inner) / 2, (thick + gap) / 2
    corners = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)], dtype=float)
    ring = mid[:, None, :] + corners[None, :, 0:1] * hu * u[:, None, :] + corners[None, :, 1:2] * hv * v[:, None, :]
    ring = np.round(ring / GRID) * GRID
    return shapely.polygons(ring)


def _short_pairs(pts: np.ndarray, owned: np.ndarray, reach: float) -> np.ndarray:
    """Pairs (i, j) of terminals of different owners closer than ``reach`` centre to centre."""
    from scipy.spatial import cKDTree

    if len(pts) < 2 or reach <= 0:
        return np.zeros((0, 2), dtype=int)
    pairs = cKDTree(pts).query_pairs(reach, output_type="ndarray")
    if not len(pairs):
        return np.zeros((0, 2), dtype=int)
    return pairs[owned[pairs[:, 0]] != owned[pairs[:, 1]]]
