"""The holder tiles of round cells: each cell's Voronoi cell of the lattice less its pocket,
two plates (top and bottom), the tiles at the pack's walls, keepouts and irregular neighbours
cut one by one. The CAD stage draws them (``emit.cad.plan``) and the bill of materials weighs
them (``passes.bom``): one geometry for both.

Coordinates: mm (``passes.drawn``'s). Shapely is imported here, so ``battc check`` never
loads this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from battgen.models import packaging as P
from battgen.passes.drawn import Cells, cleaned, discs

if TYPE_CHECKING:
    import numpy as np
    import shapely
    from shapely.geometry.base import BaseGeometry


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
