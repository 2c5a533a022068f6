"""The holder tiles' fast paths (``passes.holders``) give what the plain ones give, to the bit: the
tiles are the CAD's solids and the BOM's holder mass, so a faster cut must not move a vertex.

The plain code is the tiles as they were drawn one by one (the lattice tile from a tree's query,
every tile's overlaps from the tree's predicate, each cut tile's neighbours, pockets and own
pocket in turn); the placements are lattices with the irregular parts that make tiles be cut:
walls at a slant, a keepout's notch, a row out of step, a second layer, wide gaps (pockets left
whole)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import shapely
from shapely.geometry import Point
from shapely.ops import unary_union

from battgen.models import packaging as P
from battgen.passes.drawn import Cells, clean, cleaned, discs
from battgen.passes.holders import HOLDER_RIM, _apart, _disc_bounds, _in_boxes, holder_tiles, lattice_tile, place_tiles


def _plain_clean(geom, min_area=0.5):
    """``clean`` as it was: every part taken apart, snapped and taken apart again."""
    if geom is None or geom.is_empty:
        return []
    geom = shapely.make_valid(geom) if not geom.is_valid else geom
    out = []
    for p in [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > min_area]:
        p = shapely.set_precision(p, 1e-4)
        out.extend(q for q in shapely.get_parts(p) if q.geom_type == "Polygon" and q.area > min_area)
    return out


def _plain_lattice_tile(xy, r):
    """``lattice_tile`` as it was: counts and neighbours from trees of points and discs."""
    from scipy.spatial import cKDTree

    places = np.unique(xy, axis=0)
    pitch = float(np.median(cKDTree(places).query(places, k=2)[0][:, 1])) if len(places) > 1 else 2 * r
    points = shapely.STRtree(shapely.points(xy))
    counts = np.array([len(points.query(d)) for d in shapely.buffer(shapely.points(xy[:400]), 1.2 * pitch)])
    best = int(np.argmax(counts))
    near = points.query(Point(xy[best]).buffer(2.1 * pitch))
    sites = shapely.multipoints(xy[near] - xy[best])
    cells = shapely.get_parts(
        shapely.voronoi_polygons(sites, extend_to=shapely.box(-4 * pitch, -4 * pitch, 4 * pitch, 4 * pitch))
    )
    tile = cells[np.flatnonzero(shapely.contains_xy(cells, 0.0, 0.0))[0]]
    tile = tile.intersection(shapely.affinity.scale(tile, -1.0, -1.0, origin=(0.0, 0.0)))
    reach = max(math.hypot(x, y) for x, y in tile.exterior.coords)
    if counts[best] < 7 or reach > 1.2 * pitch:
        tile = tile.intersection(Point(0, 0).buffer(r + HOLDER_RIM, quad_segs=8))
    return shapely.set_precision(tile.buffer(-0.01, join_style="mitre"), 1e-4)


def _plain_holder_tiles(placed, free):
    """``holder_tiles`` as it was: every overlap from the tree's predicate, each cut in turn."""
    r = placed.fmt.diameter * 1e3 / 2
    pocket = r + P.POCKET_CLEARANCE * 1e3
    proto = _plain_lattice_tile(placed.xy, r)
    xy, zc = placed.xy, placed.zc
    tiles = shapely.polygons(np.asarray(proto.exterior.coords)[None] + xy[:, None])
    ok = shapely.contains(free, tiles)
    tree = shapely.STRtree(tiles)
    a, b = tree.query(tiles, predicate="intersects")
    pair = (a < b) & np.isclose(zc[a], zc[b])
    a, b = a[pair], b[pair]
    if len(a):
        overlap = shapely.area(shapely.intersection(tiles[a], tiles[b])) > 1e-3
        ok[a[overlap]] = False
        ok[b[overlap]] = False
    final = {int(i): tiles[i] for i in np.flatnonzero(ok)}
    cut = []
    for i in np.flatnonzero(~ok):
        found = tree.query(tiles[i].buffer(pocket))
        near = found[(found != i) & np.isclose(zc[found], zc[i])].tolist()
        tile = tiles[i].intersection(free)
        done = [final[j] for j in near if j in final]
        if done:
            tile = tile.difference(shapely.union_all(done))
        if near:
            tile = tile.difference(shapely.union_all(shapely.buffer(shapely.points(xy[near]), pocket, quad_segs=16)))
        tile = unary_union(_plain_clean(tile, 0.5))
        if tile.is_empty:
            continue
        final[int(i)] = tile
        exact = tile.buffer(-0.2).contains(Point(xy[i]).buffer(pocket + 0.1))
        if not exact:
            tile = unary_union(_plain_clean(tile.difference(Point(xy[i]).buffer(pocket)), 0.5))
            if tile.is_empty:
                continue
        cut.append((int(i), tile, ((float(xy[i, 0]), float(xy[i, 1]), pocket),) if exact else ()))
    return proto, ok, cut


def _placed(xy, zc, diameter=21.0):
    fmt = SimpleNamespace(diameter=diameter * 1e-3)
    return Cells((), fmt, True, 70.0, np.asarray(xy, float), np.asarray(zc, float), diameter / 2)  # type: ignore[arg-type]


def _hex(rows, cols, pitch, x0=0.0, y0=0.0):
    return np.array(
        [
            (x0 + c * pitch + (r % 2) * pitch / 2, y0 + r * pitch * math.sqrt(3) / 2)
            for r in range(rows)
            for c in range(cols)
        ]
    )


def _placements():
    """(name, cells, free space): the irregular cases the cuts are for."""
    slanted = shapely.set_precision(shapely.Polygon([(-12, -14), (330, -14), (300, 150), (-12, 130)]), 1e-4)
    notch = shapely.set_precision(shapely.box(-14, -14, 330, 160).difference(shapely.box(120, 60, 190, 170)), 1e-4)
    hexes = _hex(8, 15, 22.25)
    uneven = hexes.copy()
    uneven[uneven[:, 1] > 70, 0] += 3.7  # the upper rows out of step: their tiles overlap the lower ones
    wide = _hex(6, 11, 27.0, x0=-4.0)  # the left column's pockets reach past the wall
    two_layers = np.vstack([hexes, hexes])  # stacked: the same centres a layer up
    return [
        ("slanted wall", _placed(hexes, np.zeros(len(hexes))), slanted),
        ("keepout notch", _placed(hexes, np.zeros(len(hexes))), notch),
        ("rows out of step", _placed(uneven, np.zeros(len(uneven))), notch),
        ("wide gaps", _placed(wide, np.zeros(len(wide))), slanted),
        ("two layers", _placed(two_layers, np.r_[np.zeros(len(hexes)), np.full(len(hexes), 80.0)]), notch),
        ("a few cells", _placed(hexes[:5] - 6.0, np.zeros(5)), slanted),
    ]


@pytest.mark.parametrize("name, placed, free", _placements(), ids=[p[0] for p in _placements()])
def test_the_tiles_are_the_plain_ones_to_the_bit(name, placed, free):
    proto, ok, cut = _plain_holder_tiles(placed, free)
    tiles = holder_tiles(placed, free)
    assert tiles.proto.wkb == proto.wkb
    assert np.array_equal(tiles.ok, ok)
    assert [i for i, _t, _c in tiles.cut] == [i for i, _t, _c in cut]
    assert cut, "the placement cuts no tile"
    for (_i, fast, holes), (_j, plain, plain_holes) in zip(tiles.cut, cut):
        assert fast.wkb == plain.wkb and holes == plain_holes
        assert shapely.get_precision(fast) == shapely.get_precision(plain)


def test_some_placements_leave_pockets_whole_and_some_tiles_overlap():
    """The cases above reach both ways of a pocket and the overlap test's cuts."""
    kinds = {name: _plain_holder_tiles(placed, free) for name, placed, free in _placements()}
    assert any(holes for _i, _t, holes in kinds["wide gaps"][2])
    assert any(not holes for _i, _t, holes in kinds["wide gaps"][2])
    placed = _placements()[2][1]
    proto = _plain_lattice_tile(placed.xy, 10.5)
    tiles, ok, _tree = place_tiles(proto, placed, shapely.box(-1e4, -1e4, 1e4, 1e4))
    assert not ok.all()  # overlapping neighbours, not the walls, cut these


def test_copies_said_apart_do_not_meet():
    rng = np.random.default_rng(11)
    for _ in range(40):
        proto = shapely.set_precision(
            shapely.convex_hull(shapely.multipoints(rng.uniform(-12, 12, (7, 2)))).buffer(-0.01, join_style="mitre"),
            1e-4,
        )
        xy = rng.uniform(0, 120, (60, 2))
        tiles = shapely.polygons(np.asarray(proto.exterior.coords)[None] + xy[:, None])
        a, b = np.triu_indices(len(xy), 1)
        apart = _apart(proto, xy[b] - xy[a])
        assert not shapely.intersects(tiles[a[apart]], tiles[b[apart]]).any()
    lattice = _hex(6, 6, 22.25)  # neighbours 20 µm apart: every pair settled without a test
    proto = lattice_tile(lattice, 10.5)
    a, b = np.triu_indices(len(lattice), 1)
    assert _apart(proto, lattice[b] - lattice[a]).all()


def test_box_counts_are_every_point_against_every_box():
    rng = np.random.default_rng(13)
    for trial in range(200):
        xy = np.round(rng.uniform(0, 100, (int(rng.integers(1, 900)), 2)), int(rng.integers(0, 3)))
        centres = np.round(rng.uniform(-20, 120, (int(rng.integers(1, 50)), 2)), 1)
        half = rng.uniform(0, 80, (len(centres), 2)) * (rng.random((len(centres), 1)) > 0.1)  # some empty
        boxes = np.hstack([centres - half, centres + half])
        if trial % 5 == 0:
            boxes = boxes[:, [2, 3, 0, 1]]  # turned inside out: none inside
        assert _in_boxes(xy, boxes).tolist() == _in_boxes(xy, boxes, each=True).sum(axis=1).tolist()


@pytest.mark.parametrize("quad_segs", [8, 16])
def test_disc_bounds_are_the_buffers_bounds(quad_segs):
    rng = np.random.default_rng(17)
    xy = np.concatenate([rng.uniform(-2500.0, 2500.0, (300, 2)), rng.uniform(-1e-3, 1e-3, (20, 2))])
    for radius in (9.05, 26.7, 1395.4):
        plain = shapely.bounds(shapely.buffer(shapely.points(xy), radius, quad_segs=quad_segs))
        assert np.array_equal(_disc_bounds(xy, radius, quad_segs), plain)
        assert np.array_equal(shapely.bounds(discs(xy, radius, quad_segs)), plain)


def test_clean_and_its_union_are_the_plain_ones_to_the_bit():
    rng = np.random.default_rng(19)
    square = shapely.box(0.00003, 0.0, 10.00007, 10.0)
    shapes = [
        None,
        shapely.Polygon(),
        square,
        shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)]),  # a bow tie: made valid
        shapely.MultiPolygon([square, shapely.box(20.00001, 0, 20.3, 0.3), shapely.box(30, 0, 40.00002, 5)]),
        shapely.GeometryCollection([square, shapely.LineString([(0, 0), (5, 5)]), shapely.Point(1, 1)]),
        shapely.box(0, 0, 1e-5, 50.0),  # collapses on the grid
        shapely.set_precision(square.difference(shapely.box(2, 2, 3, 3)), 1e-4),  # snapped before
    ]
    shapes += list(shapely.buffer(shapely.points(rng.uniform(0, 50, (20, 2))), rng.uniform(0.1, 5, 20)))
    for geom in shapes:
        for min_area in (0.5, 1e-3):
            fast, plain = clean(geom, min_area), _plain_clean(geom, min_area)
            assert [p.wkb for p in fast] == [p.wkb for p in plain]
            assert [shapely.get_precision(p) for p in fast] == [shapely.get_precision(p) for p in plain]
            union, plain_union = cleaned(geom, min_area), unary_union(plain)
            assert union.wkb == plain_union.wkb and shapely.get_precision(union) == shapely.get_precision(plain_union)


def test_a_large_lattice_s_tile_is_its_hexagon():
    """On a hex lattice of 22 mm pitch, 1,600 cells (a pitch found among the first few cells
    only was the distance across the pack), the tile is the lattice's hexagon, √3/2·p², less the
    10 µm it is drawn inside its neighbours."""
    pitch = 22.0
    rows = [(i * pitch + (j % 2) * pitch / 2, j * pitch * math.sqrt(3) / 2) for j in range(40) for i in range(40)]
    tile = lattice_tile(np.array(rows), 10.5)
    hexagon = math.sqrt(3) / 2 * pitch**2
    assert tile.area == pytest.approx(hexagon, rel=0.005)
    assert tile.area < hexagon
    assert tile.centroid.distance(Point(0, 0)) < 1e-3
