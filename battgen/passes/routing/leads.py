"""Pack terminal leads: from the pack + and − plates to the envelope wall, on an insulated
carrier above the plates.

Each lead is sized for the whole pack current (``sizing.insulated_strip``), then routed as the
shortest path (Dijkstra, scipy's csgraph) over a grid of the free floor (envelope minus keepouts, kept
``clearance`` + half the lead width away), then smoothed by dropping every vertex whose
neighbours see each other. E701 if no path reaches the wall or a lead would cross a keepout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from battgen.core.diagnostics import Diagnostic
from battgen.passes.routing.context import RoutingContext
from battgen.passes.routing.geometry import outer_ring, rounded_path, safe
from battgen.passes.routing.sizing import Sizing, insulated_strip
from battgen.passes.routing.types import Busbar

if TYPE_CHECKING:
    import scipy.sparse as sparse
    from shapely.geometry import Polygon
    from shapely.geometry.base import BaseGeometry

Path = list[tuple[float, float]]


@dataclass(frozen=True)
class Lead:
    owner: int  # ``Junctions.plus`` or ``Junctions.minus``
    path: Path  # routed centreline, plate to wall, m
    resistance: float  # ohm
    thickness: float  # m
    sizing: Sizing
    busbar: Busbar

    @property
    def terminal(self) -> tuple[float, float]:
        """Where the lead meets the envelope wall (the pack terminal), m."""
        return (round(self.path[-1][0], 7), round(self.path[-1][1], 7))


def pack_leads(ctx: RoutingContext, first: int) -> list[Lead] | Diagnostic:
    """The + and − leads (they carry every string's current), busbars numbered from ``first``.
    Both are sized alike, so they share one free floor and one search of it (``_Floor``)."""
    leads: list[Lead] = []
    floors: dict[float, _Floor] = {}
    for o in (ctx.junctions.plus, ctx.junctions.minus):
        lead = _lead(ctx, o, first + len(leads), floors)
        if isinstance(lead, Diagnostic):
            return lead
        leads.append(lead)
    return leads


def _lead(ctx: RoutingContext, o: int, index: int, floors: dict[float, _Floor]) -> Lead | Diagnostic:
    """Owner ``o``'s lead: sized, routed through the free floor (``floors``: by lead width, the
    ones already laid), drawn as a strip inside the floor."""
    import shapely
    from shapely.geometry import LineString

    duty, material = ctx.duty, ctx.conductor.material
    s, tk, w = insulated_strip(
        "terminal", duty.pack_peak, duty.pack_continuous, duty.short_circuit, ctx.conductor, ctx.pack.ambient
    )
    floor = floors.get(w)
    if floor is None:
        floor = floors[w] = _Floor.of(ctx, w)
    path = _lead_path(ctx, o, w, floor)
    name = ctx.junctions.name(o)
    if path is None:
        return Diagnostic(
            "E701",
            f"no route for the {name} terminal lead ({w * 1e3:.0f} mm wide) from its cells to the "
            "envelope wall around the keepouts",
            ctx.span,
            "move a keepout or the envelope edge",
        )
    line = LineString(path)
    poly = line.buffer(w / 2, cap_style="flat", join_style="mitre")
    poly = safe(lambda q=poly: q.intersection(ctx.usable), poly)  # a lead from a cell at the wall stays inside
    if poly.geom_type != "Polygon":
        poly = max(shapely.get_parts(poly), key=lambda q: q.area) if not poly.is_empty else line.buffer(w / 2)
    if not ctx.blocked.is_empty and poly.intersects(ctx.keepouts):
        return Diagnostic("E701", f"no route for the {name} terminal lead: it would cross a keepout", ctx.span)
    r = material.resistivity * line.length / (w * tk)
    mass = poly.area * tk * material.density
    notes = s.notes + ("insulated lead on a carrier above the plates; grid Dijkstra path, shortcut-smoothed",)
    busbar = Busbar(
        index,
        "terminal",
        outer_ring(poly),
        ctx.terminals.faces[ctx.owner_face[o]][1],
        tk,
        w,
        line.length,
        material.name,
        ctx.junctions.groups(o),
        duty.pack_peak,
        duty.pack_continuous,
        w * tk,
        r,
        duty.pack_continuous**2 * r,
        mass,
        mass * (material.cost or 0.0),
        notes,
        path=rounded_path(path),
    )
    return Lead(o, path, r, tk, s, busbar)


class _Floor:
    """The free floor of a ``w``-wide lead (the usable floor less half the width, around the
    keepouts) and its grid search (``route_lead``), found once for every lead of that width."""

    def __init__(self, usable: Polygon, free: BaseGeometry, step: float, half_width: float) -> None:
        self.usable, self.free, self.step, self.half_width = usable, free, step, half_width

    @classmethod
    def of(cls, ctx: RoutingContext, w: float) -> _Floor:
        usable = ctx.usable
        free = usable.buffer(-w / 2)
        if not ctx.blocked.is_empty:
            free = free.difference(ctx.blocked.buffer(w / 2))
        width, depth = usable.bounds[2] - usable.bounds[0], usable.bounds[3] - usable.bounds[1]
        return cls(usable, free, max(min(ctx.layout.pitch) / 2, max(width, depth) / 150), w / 2)

    @cached_property
    def search(self) -> _Search | None:
        return _Search.of(self.free, self.usable, self.step, self.half_width)

    def route(self, start: tuple[float, float]) -> Path | None:
        """``route_lead`` from ``start`` on this floor."""
        return None if self.search is None else self.search.path_from(start)


def _lead_path(ctx: RoutingContext, o: int, w: float, floor: _Floor) -> Path | None:
    """A ``w``-wide lead's centreline from owner ``o``'s terminals to the wall through ``floor``:
    from their centre (else the first terminal in the free floor) by ``route_lead``; straight
    out when the plate's terminals all sit within half a lead width of the wall. None if there
    is no way."""
    import shapely
    from shapely.geometry import Point

    usable, free = ctx.usable, floor.free
    mine = ctx.terminals.xy[ctx.own == o]
    start = tuple(mine.mean(axis=0))
    path = None
    if not free.contains(Point(start)):
        inside = shapely.contains_xy(free, mine[:, 0], mine[:, 1]) if not free.is_empty else np.zeros(len(mine), bool)
        if inside.any():
            start = tuple(mine[inside][0])
        else:  # the plate's terminals all sit within half a lead width of the wall: straight out
            k = int(np.argmin(shapely.distance(usable.exterior, shapely.points(mine))))
            end = usable.exterior.interpolate(usable.exterior.project(Point(mine[k])))
            path = [(float(mine[k][0]), float(mine[k][1])), (float(end.x), float(end.y))]
            if math.dist(*path) < 1e-9:
                path = None
    if path is None and free.contains(Point(start)):
        path = floor.route(start)
    return path


def route_lead(
    start: tuple[float, float], free: BaseGeometry, usable: Polygon, step: float, half_width: float = 0.0
) -> Path | None:
    """Shortest path from ``start`` to the edge of ``usable`` through ``free`` (grid + Dijkstra),
    smoothed by shortcutting. Returns a list of points or None."""
    search = _Search.of(free, usable, step, half_width)
    return None if search is None else search.path_from(start)


class _Search:
    """``route_lead``'s search of one floor: the grid points in the free floor and the shortest
    way from each to the nearest exit (one Dijkstra from every exit at once), which do not
    depend on where a lead starts."""

    def __init__(
        self, usable: Polygon, free: BaseGeometry, step: float, pts: np.ndarray, distance: np.ndarray, previous
    ) -> None:
        self.usable, self.free, self.step = usable, free, step
        self.pts, self.distance, self.previous = pts, distance, previous

    @classmethod
    def of(cls, free: BaseGeometry, usable: Polygon, step: float, half_width: float) -> _Search | None:
        """The search of ``free`` on a ``step`` grid over ``usable``; None where no grid point is
        free or none is near enough the edge to leave by."""
        import shapely
        from scipy.sparse.csgraph import dijkstra

        minx, miny, maxx, maxy = usable.bounds
        nx_, ny_ = int((maxx - minx) / step) + 1, int((maxy - miny) / step) + 1
        gx, gy = np.meshgrid(minx + step * np.arange(nx_), miny + step * np.arange(ny_), indexing="ij")
        inside = shapely.contains_xy(free, gx, gy)
        if not inside.any():
            return None
        grid = _grid_graph(free, inside, minx, miny, step)
        pts = np.stack([gx[inside], gy[inside]], axis=1)
        exits = _exits(usable, pts, half_width + 1.5 * step, step)
        if not exits.size:
            return None
        # one search from every exit at once: the nearest exit's tree reaches any start first
        distance, previous = dijkstra(grid, directed=False, indices=exits, min_only=True, return_predecessors=True)[:2]
        return cls(usable, free, step, pts, distance, previous)

    @cached_property
    def seen(self) -> BaseGeometry:
        """The free floor a shortcut may cross (a hair wider: a path along its edge stays in)."""
        return self.free.buffer(self.step * 1e-3)

    def path_from(self, start: tuple[float, float]) -> Path | None:
        """From ``start`` along the tree to its exit, on to the edge, shortcut; None if the grid
        point nearest ``start`` reaches no exit."""
        from shapely.geometry import Point

        pts, previous, usable = self.pts, self.previous, self.usable
        s = int(np.argmin(np.hypot(pts[:, 0] - start[0], pts[:, 1] - start[1])))
        if not np.isfinite(self.distance[s]):
            return None
        nodes = [s]
        while previous[nodes[-1]] >= 0:  # from the start along the tree to its exit
            nodes.append(int(previous[nodes[-1]]))
        path = [(float(start[0]), float(start[1]))] + [(float(pts[n][0]), float(pts[n][1])) for n in nodes]
        end = usable.exterior.interpolate(usable.exterior.project(Point(path[-1])))
        path.append((float(end.x), float(end.y)))
        path = [p for i, p in enumerate(path) if i == 0 or math.dist(p, path[i - 1]) > 1e-9]
        return _shortcut(path, self.seen)


def _exits(usable: Polygon, pts: np.ndarray, reach: float, step: float) -> np.ndarray:
    """The grid points (``pts``) within ``reach`` of ``usable``'s edge, where a lead may leave.
    Only the points in a band a step wider than ``reach`` are measured (a 7,000-cell floor's
    grid has ~10⁵ points; a point geometry for each was most of a lead's time): the band's
    buffered arcs are chords, inside the true band by far less than the step."""
    import shapely

    near = np.flatnonzero(shapely.contains_xy(usable.exterior.buffer(reach + step), pts[:, 0], pts[:, 1]))
    distance = shapely.distance(usable.exterior, shapely.points(pts[near]))
    return near[distance <= reach]


def _grid_graph(free: BaseGeometry, inside: np.ndarray, minx: float, miny: float, step: float) -> sparse.csr_array:
    """The grid points ``inside`` the free floor (numbered in order), each joined to its 8
    neighbours where the midpoint between them is free too; edges weighted by length (one
    direction stored: the search treats the graph as undirected). A midpoint is tested only
    between two free points, and the two diagonals' midpoints, one lattice (i + ½, j + ½), once."""
    import scipy.sparse as sparse
    import shapely

    nx_, ny_ = inside.shape
    n = int(inside.sum())
    ids = -np.ones(inside.shape, dtype=int)
    ids[inside] = np.arange(n)

    def free_between(i0: int, j0: int, di: int, dj: int, need: np.ndarray) -> np.ndarray:
        """Whether the midpoints (i + di/2, j + dj/2), i from ``i0`` and j from ``j0``, are free
        where ``need`` asks."""
        i, j = np.nonzero(need)
        got = np.zeros(need.shape, bool)
        got[i, j] = shapely.contains_xy(free, minx + step * ((i + i0) + di / 2), miny + step * ((j + j0) + dj / 2))
        return got

    pairs = {}
    for di, dj in ((1, 0), (0, 1), (1, 1), (1, -1)):
        # a at (i, j), b at (i+di, j+dj)
        i0, i1 = max(0, -di), nx_ - max(0, di)
        j0, j1 = max(0, -dj), ny_ - max(0, dj)
        a = ids[i0:i1, j0:j1]
        b = ids[i0 + di : i1 + di, j0 + dj : j1 + dj]
        pairs[di, dj] = a, b, (a >= 0) & (b >= 0)
    # (i + ½, j − ½) from j = 1 is (i + ½, j' + ½) from j' = 0: the same points, the same floats
    diagonal = free_between(0, 0, 1, 1, pairs[1, 1][2] | pairs[1, -1][2])
    rows, cols, weights = [], [], []
    for (di, dj), (a, b, ok) in pairs.items():
        ok &= diagonal if di and dj else free_between(0, 0, di, dj, ok)
        rows.append(a[ok])
        cols.append(b[ok])
        weights.append(np.full(int(ok.sum()), step * math.hypot(di, dj)))
    return sparse.csr_array((np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))


def _shortcut(path: Path, seen: BaseGeometry) -> Path:
    """Drop every vertex whose neighbours see each other through ``seen``, until none can go."""
    from shapely.geometry import LineString

    changed = True
    while changed:  # shortcut every vertex whose neighbours see each other
        changed = False
        i = 1
        while i < len(path) - 1:
            if seen.covers(LineString([path[i - 1], path[i + 1]])):
                del path[i]
                changed = True
            else:
                i += 1
    return path
