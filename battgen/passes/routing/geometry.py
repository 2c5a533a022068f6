"""Plane geometry shared by the plates, bridges, leads and jumpers: the snap-rounding grid,
robust shapely operations, the usable floor and the rings a ``Busbar`` records.

Shapely (GEOS) is imported inside the functions: ``battc check`` and the language server never
load it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from battgen.core import ir
from battgen.passes.layout.types import Layout

if TYPE_CHECKING:
    from shapely.geometry import Polygon
    from shapely.geometry.base import BaseGeometry

GRID = 1e-7  # m, snap-rounding grid of the plate geometry (robust overlays on near-degenerate Voronoi cells)

Ring = tuple[tuple[float, float], ...]
T = TypeVar("T")


def merge_cells(polygons: np.ndarray) -> BaseGeometry:
    """Union of Voronoi cells (a coverage: shared edges, no overlaps) without slivers or cracks."""
    import shapely

    try:
        merged = shapely.coverage_union_all(polygons)
        if not merged.is_valid:  # a near-degenerate cell left a self-touching ring
            merged = shapely.make_valid(merged)
    except Exception:  # noqa: BLE001 - clipped cells may not be an exact coverage; fall back
        try:
            merged = shapely.union_all(polygons)
        except shapely.errors.GEOSException:
            merged = shapely.union_all(polygons, grid_size=GRID)
    return polygonal(merged)


@dataclass(frozen=True)
class Tiles:
    """Cells of a Voronoi split to be merged into one region: ``core``, the union of those that
    are the diagram's own cells (one ``voronoi_polygons`` call: neighbours share their edges'
    vertices exactly, so a coverage union merges them, linear in the edges and with no overlay),
    and ``loose``, the rest (clipped at the hull or a gap: their clipped edges overlap their
    neighbours' by rounding), overlaid on the core. On the Model S's faces this merges the
    groups' regions in 45 % of ``merge_cells``' time over all of them (whose coverage union came
    out invalid for a fifth of the groups and had to be made valid again)."""

    core: BaseGeometry | None  # None: no exact cells
    loose: np.ndarray  # polygons

    @staticmethod
    def of(cells: np.ndarray, exact: np.ndarray, chosen: np.ndarray) -> Tiles:
        """The ``chosen`` ones of ``cells`` (boolean masks over them both)."""
        return Tiles(_coverage(cells[chosen & exact]), cells[chosen & ~exact])

    @staticmethod
    def at(cells: np.ndarray, exact: np.ndarray, chosen: np.ndarray) -> Tiles:
        """The ``chosen`` ones of ``cells`` (indices into them, ascending): ``of`` their mask."""
        mine = exact[chosen]
        return Tiles(_coverage(cells[chosen[mine]]), cells[chosen[~mine]])

    def merged(self) -> BaseGeometry:
        """The region: the loose cells overlaid on the core (all of them by ``merge_cells``
        without a core: the prismatic tab strips)."""
        if self.core is None:
            return merge_cells(self.loose)
        if not self.loose.size:
            return self.core
        return overlaid(np.concatenate([[self.core], self.loose]))


def overlaid(polygons: np.ndarray) -> BaseGeometry:
    """The union of ``polygons`` by overlay (snap-rounded where the plain one fails)."""
    import shapely

    try:
        merged = shapely.union_all(polygons)
    except shapely.errors.GEOSException:
        merged = shapely.union_all(polygons, grid_size=GRID)
    return polygonal(merged)


def _coverage(cells: np.ndarray) -> BaseGeometry | None:
    """The coverage union of ``cells`` (None for none), ``merge_cells``' if it comes out invalid
    (a near-degenerate cell's self-touching ring)."""
    import shapely

    if not cells.size:
        return None
    try:
        merged = shapely.coverage_union_all(cells)
    except shapely.errors.GEOSException:
        return merge_cells(cells)
    return merged if merged.is_valid else merge_cells(cells)


def voronoi_neighbours(xy: np.ndarray, pitch: float) -> tuple[np.ndarray, np.ndarray]:
    """Neighbouring pairs of the points ``xy`` (indices into it) and the length of the Voronoi
    ridge between each pair (NaN where unknown): Voronoi neighbours; along the line for one row
    of cells (Qhull has no plane to split); every pair for two or three points."""
    from scipy.spatial import Voronoi

    spread = xy - xy.mean(axis=0)
    in_a_line = np.linalg.svd(spread, compute_uv=False)[-1] <= 1e-9 * max(pitch, 1e-9) * len(xy)
    if len(xy) >= 4 and not in_a_line:
        vor = Voronoi(xy, qhull_options="Qbb Qc Qz")
        rp = np.asarray(vor.ridge_points)
        rv = np.asarray(vor.ridge_vertices, dtype=int).reshape(-1, 2)  # a ridge in the plane has two ends
        ends = vor.vertices[rv[:, 0]] - vor.vertices[rv[:, 1]]
        lens = np.where((rv >= 0).all(axis=1), np.hypot(ends[:, 0], ends[:, 1]), np.nan)  # -1: the ridge is unbounded
    elif in_a_line:  # one row of cells: Qhull has no plane to split; neighbours along the line
        along = np.argsort(spread @ np.linalg.svd(spread)[2][0], kind="stable")
        rp = np.stack([along[:-1], along[1:]], axis=1)
        lens = np.full(len(rp), np.nan)
    else:
        ii, jj = np.triu_indices(len(xy), 1)
        rp = np.stack([ii, jj], axis=1)
        lens = np.full(len(rp), np.nan)
    return rp, lens


def safe(op: Callable[..., BaseGeometry], fallback: T, polygonal_only: bool = True) -> BaseGeometry | T:
    """A shapely operation; ``fallback`` if GEOS fails on it (snap-rounded inputs rarely do).
    With ``polygonal_only`` (the default) the result is made valid and keeps its polygonal part."""
    import shapely

    try:
        out = op()
    except shapely.errors.GEOSException:
        return fallback
    if not polygonal_only:
        return out
    if not out.is_valid:
        out = shapely.make_valid(out)
    return polygonal(out)


def safe_all(op: Callable[..., np.ndarray], fallback: np.ndarray, *args: np.ndarray) -> np.ndarray:
    """``safe`` over arrays: ``op`` (shapely array functions, element by element) on the arrays
    ``args`` in one call, each result made valid and kept polygonal; where GEOS fails on an
    element (the call is then made one element at a time) or its result is missing (a missing
    input), that element's ``fallback``."""
    import shapely

    try:
        out = np.array(op(*args), dtype=object)
    except shapely.errors.GEOSException:
        each = [safe(lambda n=n: op(*(a[n : n + 1] for a in args))[0], None, False) for n in range(len(fallback))]
        out = np.array(each, dtype=object)
    failed = shapely.is_missing(out)
    fix = ~failed & ~shapely.is_valid(out)
    out[fix] = shapely.make_valid(out[fix])
    odd = ~failed & ~np.isin(shapely.get_type_id(out), (3, 6)) & ~shapely.is_empty(out)  # not (multi)polygons
    out[odd] = [polygonal(g) for g in out[odd]]
    out[failed] = fallback[failed]
    return out


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of ``geom`` (make_valid and snapping can leave lines and points)."""
    import shapely

    if geom.geom_type in ("Polygon", "MultiPolygon") or geom.is_empty:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def usable_floor(pack: ir.Pack, layout: Layout) -> tuple[Polygon, BaseGeometry]:
    """The floor the plates and leads may use (the envelope outline inside its wall) and the
    keepouts on it. Without an envelope: the cells' bounding box with room for the leads."""
    import shapely
    from shapely.geometry import Polygon, box

    if pack.envelope is not None:
        outer = Polygon(pack.envelope.outline.vertices())
        usable = outer.buffer(-pack.envelope.wall) if pack.envelope.wall > 0 else outer
        keepouts = (
            shapely.union_all([Polygon(k.shape.vertices()) for k in pack.envelope.keepouts])
            if pack.envelope.keepouts
            else Polygon()
        )
    else:
        xy = np.array([(c.x, c.y) for c in layout.cells])
        m = max(4 * max(layout.pitch), 0.1)  # no envelope: leave room for the terminal leads
        usable = box(xy[:, 0].min() - m, xy[:, 1].min() - m, xy[:, 0].max() + m, xy[:, 1].max() + m)
        keepouts = Polygon()
    return usable, keepouts


def outer_ring(poly: Polygon) -> Ring:
    """The exterior ring, counter-clockwise from its lowest-leftmost vertex, last point not
    repeated, rounded to 0.1 µm (``_canonical``)."""
    from shapely.geometry.polygon import orient

    return _canonical(orient(poly, 1.0).exterior)


def inner_rings(poly: Polygon) -> tuple[Ring, ...]:
    """The interior rings (holes) of the counter-clockwise polygon, each as ``outer_ring``."""
    import shapely
    from shapely.geometry.polygon import orient

    if not shapely.get_num_interior_rings(poly):  # most plates: nothing to orient
        return ()
    return tuple(_canonical(r) for r in orient(poly, 1.0).interiors)


def _canonical(ring) -> Ring:
    """A ring's points rounded to 0.1 µm, last not repeated, from its lowest-leftmost vertex: the
    same polygon comes out the same whichever vertex GEOS started it at (an overlay's order
    follows its inputs'), and so does what follows the ring's order (the drawn outline's
    simplification)."""
    import shapely

    points = rounded(shapely.get_coordinates(ring)[:-1])
    if not len(points):
        return ()
    first = int(np.lexsort((points[:, 0], points[:, 1]))[0])  # stable: the first of equal lowest-leftmost
    return tuple(map(tuple, np.roll(points, -first, axis=0).tolist()))


def rounded(values: np.ndarray) -> np.ndarray:
    """``round(v, 7)`` of each value as Python rounds it (the double nearest the value's decimal
    rounded to 7 places), over an array: k = rint(v·10⁷), then k/10⁷, which IEEE division rounds
    to the double nearest k·10⁻⁷. v·10⁷ is off by 10⁻¹⁵ of itself at most, so k is Python's
    unless v·10⁷ lies that near a half (or overflows): Python's ``round`` decides those (a ring's
    points in one pass instead of two calls each; the same doubles, sign of zero included)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = values * 1e7
        out = np.rint(scaled) / 1e7
        undecided = ~(np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) >= 1e-4)  # near a half, or not finite
    if undecided.any():
        out[undecided] = [round(v, 7) for v in values[undecided].tolist()]
    return out


def rounded_path(path: list[tuple[float, float]]) -> Ring:
    """A routed centreline as a ``Busbar.path``: points rounded to 0.1 µm."""
    return tuple((round(x, 7), round(y, 7)) for x, y in path)
