"""Layout: every cell placed in the envelope, grouped into parallel groups and modules.

``place(pack, candidate) -> Layout | Diagnostic`` is pure and deterministic. It works in
three steps:

1. **Floor** (``floor``): the envelope outline (shapely), buffered inward by the wall
   clearance, minus the keepouts; the layers the height allows (cells standing).
2. **Sites** (``sites``): the cell centres of the best row arrangement found. Every
   arrangement here is a family of straight rows — ``hex`` (rows ``p·√3/2`` apart, odd rows
   shifted ``p/2``), ``square``, hex rows stretched apart so a whole number of rows fills the
   floor exactly (each cell still touches one cell of the next row: shift ``√(p² − v²)``) and,
   for prismatic and pouch cells, ``rows`` of stacks (faces touching along a stack across the
   compression ``gap``, stacks ``gap`` apart). The search runs over lattice angle (the
   outline's long edges, their normals and a uniform sweep), origin offset (flush with the
   floor's edge, and a grid over one unit cell) and orientation, with numpy site generation
   and shapely 2's vectorised ``contains_xy`` on the floor eroded by the cell's footprint.
   The best count is then checked exactly (distance to every boundary ≥ radius, or box
   containment) — so ``sites(pack).count`` is a real count, not an area estimate.
3. **Grouping**: the sites are ordered along a serpentine (boustrophedon) path over bands of
   rows or columns, cut into runs of P; each run must be connected through touching
   neighbours (scipy's connected components over the contact graph), consecutive runs must
   touch, and modules are runs of ``series_per_module`` consecutive groups. Several band
   widths, band directions and start corners are tried, and orders that keep modules blocks
   (``_module_strip_orderings``: whole modules in each band, or one strip of columns or rows
   per module). Among the valid groupings whose groups are within 25 % of the most compact
   (least second moment about their centroids), the one whose modules wrap least round one
   another wins (no cell inside another module's convex hull: modules are blocks), then the
   one with the shortest, widest links between consecutive groups (``_series_links``, the
   busbars' length over width). A scattered or unequal grouping is never returned: when no
   ordering works the answer is E602.

``verify(layout, pack) -> list[str]`` re-checks every invariant from the placed cells alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import Polygon, box

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Related
from battgen.core.outcome import Outcome
from battgen.passes.layout.types import Layout, Module, ParallelGroup, PlacedCell, Placement
from battgen.passes.synthesis import Synthesis

EPS = 1e-9  # m: the search erodes the floor this much less than the footprint (a floor exactly one cell
# deep must not vanish) and flush sites start this far in: exactly on the true edge, so exact fits hold
FLOAT = 1e-12  # m: float rounding allowed in the exact containment check
TOL = 1e-9  # m: tolerance of the invariant checks
QUAD = 16  # segments per quarter circle for round outlines and buffers
HEX_V = math.sqrt(3) / 2


# --- the floor ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Floor:
    """The usable floor: ``usable`` = outline buffered inward by ``wall``, minus keepouts."""

    outline: Polygon
    inner: object  # shapely geometry
    keepouts: tuple
    usable: object
    height: float
    layers: int
    layer_gap: float
    virtual: bool = False  # no envelope declared: a square sized for the cells


def _polygon(shape: ir.Shape) -> Polygon:
    poly = Polygon(shape.vertices(QUAD))
    if not poly.is_valid:
        poly = shapely.make_valid(poly).buffer(0)
    return poly


def floor(pack: ir.Pack, needed: int | None = None) -> Floor:
    cell = pack.cell.format
    envelope = pack.envelope
    gap = pack.gap
    if envelope is None:
        # no envelope: a square about 1.3× the cells' lattice area (grown by ``place`` if short)
        pu, pv = _pitches(pack)
        cells = max(needed or 1, 1)
        side = math.sqrt(1.3 * cells * pu * pv / max(pack.layers, 1)) + 2 * max(pu, pv)
        outline = box(0.0, 0.0, side, side)
        height = pack.layers * cell.height + (pack.layers - 1) * gap
        return Floor(outline, outline, (), outline, height, max(pack.layers, 1), gap, virtual=True)
    outline = _polygon(envelope.outline)
    inner = outline.buffer(-envelope.wall, quad_segs=QUAD) if envelope.wall > 0 else outline
    keepouts = tuple(_polygon(k.shape) for k in envelope.keepouts)
    usable = inner.difference(shapely.union_all(keepouts)) if keepouts else inner
    layers = 0
    for n in range(max(pack.layers, 1), 0, -1):
        if n * cell.height + (n - 1) * gap <= envelope.height * (1 + 1e-12):
            layers = n
            break
    return Floor(outline, inner, keepouts, usable, envelope.height, layers, gap)


def _pitches(pack: ir.Pack) -> tuple[float, float]:
    cell = pack.cell.format
    if cell.kind == "cylindrical":
        p = cell.diameter + pack.gap
        return p, p
    return cell.thickness + pack.gap, cell.width + pack.gap


# --- the site search ------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrangement:
    """One row arrangement in the frame rotated by ``angle``: rows ``v = ov + j·pv``, sites
    ``u = ou + (shift if j odd) + i·pu``."""

    family: str  # hex | square | stretched | rows | relaxed (off-lattice, battgen.passes.relax)
    angle: float
    pu: float
    pv: float
    shift: float
    ou: float = 0.0
    ov: float = 0.0

    @property
    def lattice(self) -> str:
        return "hex" if self.family == "stretched" else self.family


@dataclass(frozen=True)
class SiteSearch:
    """The best arrangement found and the sites it gives (one layer; ``count`` counts all)."""

    arrangement: Arrangement | None
    xy: np.ndarray  # (n, 2) centres in the envelope frame, one layer
    uv: np.ndarray  # (n, 2) the same in the lattice frame
    row: np.ndarray  # (n,) row index j
    layers: int
    kind: str  # cylindrical | prismatic | pouch
    half: tuple[float, float]  # footprint half-extents along (u, v) (radius, radius for round cells)
    best: dict = field(default_factory=dict)  # family -> best per-layer count found
    ranked: tuple = ()  # other good arrangements (Arrangement, per-layer count), best first
    relaxation: str = ""  # what relaxing the cells off the lattice gave, when it was tried
    lattice_count: int = 0  # relaxed: the cells the best lattice holds (all layers)

    @property
    def per_layer(self) -> int:
        return len(self.xy)

    @property
    def count(self) -> int:
        return self.per_layer * self.layers

    @property
    def lattice(self) -> str:
        return self.arrangement.lattice if self.arrangement else "none"

    def describe(self) -> str:
        a = self.arrangement
        if a is None:
            return "no arrangement"
        layers = f", {self.layers} layers" if self.layers != 1 else ""
        if a.family == "relaxed":
            return (
                f"relaxed packing, {a.pu * 1e3:.4g} mm pitch{layers}: the best lattice holds "
                f"{self.lattice_count:,}, local optimisation moved the cells off it"
            )
        if a.family == "rows":
            return f"rows of stacks at {a.pu * 1e3:.4g} × {a.pv * 1e3:.4g} mm{layers}"
        if a.family == "stretched":
            return f"hex lattice (rows stretched to {a.pv * 1e3:.4g} mm), {a.pu * 1e3:.4g} mm pitch{layers}"
        return f"{a.family} lattice, {a.pu * 1e3:.4g} mm pitch{layers}"


def _families(pack: ir.Pack) -> list[tuple[str, float, float, float]]:
    cell = pack.cell.format
    pu, pv = _pitches(pack)
    if cell.kind != "cylindrical":
        return [("rows", pu, pv, 0.0)]
    p = pu
    out = []
    if pack.layout in ("hex", "auto"):
        out.append(("hex", p, p * HEX_V, p / 2))
    if pack.layout in ("square", "auto"):
        out.append(("square", p, p, 0.0))
    return out


def _angles(region, period: float, uniform: int) -> list[float]:
    """Lattice angles worth trying: the outline's longest edges and their normals, 0 and
    90°, and a uniform sweep over one period of the lattice's symmetry."""
    angles = [0.0, math.pi / 2]
    polys = list(getattr(region, "geoms", [region]))
    edges = []
    for poly in polys:
        pts = np.asarray(poly.exterior.coords)
        d = np.diff(pts, axis=0)
        length = np.hypot(d[:, 0], d[:, 1])
        for k in np.argsort(-length, kind="stable")[:4]:
            if length[k] > 0:
                edges.append((float(length[k]), math.atan2(d[k, 1], d[k, 0])))
    edges.sort(key=lambda e: -e[0])
    for _length, a in edges[:4]:
        angles += [a, a + math.pi / 2]
    angles += [period * k / uniform for k in range(uniform)]
    out: list[float] = []
    for a in angles:
        a = a % period  # not rounded: a rotation off by 1e-10 rad moves a 2 m pack's far edge by 0.2 nm
        if a >= period - 1e-9 or a < 1e-9:
            a = 0.0
        if all(min(abs(a - b), period - abs(a - b)) > 1e-6 for b in out):
            out.append(a)
    return out


def _erode(region_rot, kind: str, hu: float, hv: float):
    """The centres where a footprint fits, in the rotated frame: the floor minus every boundary
    edge swept by the footprint (robust for floors one cell deep, where an inward buffer
    degenerates). Approximate for round cells (chords of the swept discs); the exact check
    follows."""
    rings = []
    for poly in getattr(region_rot, "geoms", [region_rot]):
        rings.append(np.asarray(poly.exterior.coords))
        rings += [np.asarray(r.coords) for r in poly.interiors]
    if kind == "cylindrical":
        segments = np.concatenate([np.stack([r[:-1], r[1:]], axis=1) for r in rings])
        swept = shapely.union_all(shapely.buffer(shapely.linestrings(segments), hu, quad_segs=QUAD))
        return region_rot.difference(swept)
    corners = np.array([(-hu, -hv), (hu, -hv), (hu, hv), (-hu, hv)])
    hulls = []
    for ring in rings:
        a, b = ring[:-1], ring[1:]
        pts = np.concatenate([a[:, None, :] + corners[None], b[:, None, :] + corners[None]], axis=1)
        hulls.append(shapely.convex_hull(shapely.multipoints(pts)))
    swept = shapely.union_all(np.concatenate(hulls))
    return region_rot.difference(swept)


def _grid(eroded, bounds, arr: Arrangement) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u0, _v0, u1, v1 = bounds
    rows = math.floor((v1 - arr.ov) / arr.pv) + 1
    if rows <= 0:
        return np.empty(0), np.empty(0), np.empty(0, dtype=np.int64)
    cols = math.floor((u1 - arr.ou) / arr.pu) + 2
    j = np.arange(rows)
    i = np.arange(-1, cols)
    v = arr.ov + j * arr.pv
    u = arr.ou + np.where(j % 2 == 1, arr.shift, 0.0)[:, None] + i[None, :] * arr.pu
    uu = u.ravel()
    vv = np.repeat(v, i.size)
    jj = np.repeat(j, i.size)
    keep = (uu >= u0) & (uu <= u1)
    uu, vv, jj = uu[keep], vv[keep], jj[keep]
    inside = shapely.intersects_xy(eroded, uu, vv)  # sites on the edge count
    return uu[inside], vv[inside], jj[inside]


def _rotate_xy(u, v, angle):
    c, s = math.cos(angle), math.sin(angle)
    return u * c - v * s, u * s + v * c


class _Searcher:
    def __init__(self, pack: ir.Pack, fl: Floor):
        self.pack = pack
        self.floor = fl
        cell = pack.cell.format
        self.kind = cell.kind
        if cell.kind == "cylindrical":
            self.hu = self.hv = cell.diameter / 2
        else:
            self.hu, self.hv = cell.thickness / 2, cell.width / 2
        self._frames: dict[float, tuple] = {}
        self.usable = fl.usable
        shapely.prepare(self.usable)
        self.boundary = self.usable.boundary

    def frame(self, angle: float):
        got = self._frames.get(angle)
        if got is None:
            rot = affinity.rotate(self.usable, -angle, origin=(0, 0), use_radians=True)
            eroded = _erode(rot, self.kind, self.hu - EPS, self.hv - EPS)
            shapely.prepare(eroded)
            bounds = eroded.bounds if not eroded.is_empty else None
            got = self._frames[angle] = (eroded, bounds)
        return got

    def count(self, arr: Arrangement) -> int:
        eroded, bounds = self.frame(arr.angle)
        if bounds is None:
            return 0
        return int(_grid(eroded, bounds, arr)[0].size)

    def exact(self, arr: Arrangement):
        """The sites of ``arr`` that pass the exact containment check, envelope frame."""
        eroded, bounds = self.frame(arr.angle)
        if bounds is None:
            return np.empty((0, 2)), np.empty((0, 2)), np.empty(0, dtype=np.int64)
        u, v, j = _grid(eroded, bounds, arr)
        x, y = _rotate_xy(u, v, arr.angle)
        ok = _contained(self.usable, self.boundary, x, y, self.kind, self.hu, self.hv, arr.angle, FLOAT)
        return np.column_stack([x[ok], y[ok]]), np.column_stack([u[ok], v[ok]]), j[ok]

    def offsets(self, arr: Arrangement, n: int) -> list[Arrangement]:
        _eroded, bounds = self.frame(arr.angle)
        if bounds is None:
            return []
        u0, v0 = bounds[0] + EPS, bounds[1] + EPS
        us = [u0] + [u0 + arr.pu * k / n for k in range(1, n)]
        vs = [v0] + [v0 + arr.pv * k / n for k in range(1, n)]
        return [replace(arr, ou=a, ov=b) for b in vs for a in us]

    def stretched(self, family: tuple, angle: float) -> list[Arrangement]:
        """Hex rows pulled apart so a whole number of rows spans the floor exactly."""
        _name, p, pv_hex, _shift = family
        _eroded, bounds = self.frame(angle)
        if bounds is None:
            return []
        out = []
        height = bounds[3] - bounds[1] - 2 * EPS
        rows = math.floor(height / pv_hex + 1e-9) + 1
        if rows >= 2:
            pv = height / (rows - 1)
            if pv_hex * (1 + 1e-9) < pv < p * (1 - 1e-9):
                shift = min(math.sqrt(p * p - pv * pv) * (1 + 1e-12), p / 2)
                out += [Arrangement("stretched", angle, p, pv, s) for s in (shift, p - shift)]
        # or the shift that lets the shifted rows hold as many cells as the others
        width = bounds[2] - bounds[0] - 2 * EPS
        per_row = math.floor(width / p + 1e-9) + 1
        shift = width - (per_row - 1) * p
        if 1e-9 * p < shift < p / 2 * (1 - 1e-9):
            pv = math.sqrt(p * p - shift * shift) * (1 + 1e-12)
            out += [Arrangement("stretched", angle, p, pv, shift)]
        return out


def _contained(usable, boundary, x, y, kind, hu, hv, angle, slack: float = 0.0) -> np.ndarray:
    """Exact: round footprints at least ``r − slack`` from every boundary; boxes inside the
    floor grown by ``slack``."""
    if x.size == 0:
        return np.zeros(0, dtype=bool)
    if kind == "cylindrical":
        inside = shapely.intersects_xy(usable, x, y)
        idx = np.flatnonzero(inside)
        dist = shapely.distance(boundary, shapely.points(x[idx], y[idx]))
        inside[idx] = dist >= hu - slack
        return inside
    container = usable.buffer(slack, join_style="mitre") if slack > 0 else usable
    shapely.prepare(container)
    return shapely.contains(container, _boxes(x, y, hu, hv, angle))


def _boxes(x, y, hu, hv, angle):
    c, s = math.cos(angle), math.sin(angle)
    corners = np.array([(-hu, -hv), (hu, -hv), (hu, hv), (-hu, hv)])
    cx = corners[:, 0] * c - corners[:, 1] * s
    cy = corners[:, 0] * s + corners[:, 1] * c
    ring = np.stack([x[:, None] + cx[None], y[:, None] + cy[None]], axis=2)
    return shapely.polygons(ring)


def _search(pack: ir.Pack, fl: Floor) -> SiteSearch:
    s = _Searcher(pack, fl)
    kind = s.kind
    half = (s.hu, s.hv)
    if fl.layers <= 0 or fl.usable.is_empty:
        empty = np.empty((0, 2))
        return SiteSearch(None, empty, empty, np.empty(0, dtype=np.int64), max(fl.layers, 0), kind, half)
    scored: list[tuple[int, int, Arrangement]] = []  # (count, order, arrangement)
    order = 0
    best_of: dict[str, int] = {}
    for fam in _families(pack):
        name, pu, pv, shift = fam
        period = {"hex": math.pi / 3, "square": math.pi / 2}.get(name, math.pi)
        uniform = {"hex": 6, "square": 6}.get(name, 4)
        angles = _angles(fl.usable, period, uniform)
        candidates = [Arrangement(name, a, pu, pv, shift) for a in angles]
        if name == "hex":
            for a in _angles(fl.usable, math.pi, 2)[:6]:
                candidates += s.stretched(fam, a)
        for base in candidates:
            best, best_arr = -1, base
            for arr in s.offsets(base, 2):
                n = s.count(arr)
                if n > best:
                    best, best_arr = n, arr
            scored.append((best, order, best_arr))
            order += 1
    scored.sort(key=lambda t: (-t[0], t[1]))
    # refine the offsets of the most promising, then count exactly
    finals: list[tuple[int, int, Arrangement]] = []
    seen = set()
    for _rank, (_n, order, base) in enumerate(scored):
        key = (base.family, base.angle, base.pv, base.shift)
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > 4:
            break
        best, best_arr = -1, base
        for arr in s.offsets(base, 6) + [base]:
            n = s.count(arr)
            if n > best:
                best, best_arr = n, arr
        xy, _uv, _j = s.exact(best_arr)
        finals.append((len(xy), order, best_arr))
    for n, _o, arr in finals + [(t[0], t[1], t[2]) for t in scored]:
        best_of[arr.family] = max(best_of.get(arr.family, 0), n)
    finals.sort(key=lambda t: (-t[0], t[1]))
    top = finals[0][2]
    xy, uv, j = s.exact(top)
    return SiteSearch(top, xy, uv, j, fl.layers, kind, half, best_of, tuple((a, n) for n, _o, a in finals))


def sites(pack: ir.Pack) -> SiteSearch:
    """The best arrangement for the pack's envelope and how many cells it holds (all layers).
    Synthesis may call this to replace its area bound with the real count."""
    return _search(pack, floor(pack))


def _site_search_for(pack: ir.Pack, fl: Floor, arr: Arrangement) -> SiteSearch:
    s = _Searcher(pack, fl)
    xy, uv, j = s.exact(arr)
    return SiteSearch(arr, xy, uv, j, fl.layers, s.kind, (s.hu, s.hv))


# --- relaxation: off the lattice ------------------------------------------------------------

RELAX_MAX = 2000  # cells per layer: the most a relaxation is tried for. Its budget (relax.WORK,
# 1.5e6 cell-iterations, about 1 s) leaves under a thousand iterations above this, too few to
# move so many cells; and the lattice is then within about 1 % of the best packing (docs/packing.md)


def sites_for(pack: ir.Pack, needed: int, fl: Floor | None = None, lattice: SiteSearch | None = None) -> SiteSearch:
    """The sites ``place`` uses for ``needed`` cells: the best lattice's when it holds them;
    otherwise, for round cells and ``layout = auto``, a relaxed packing of exactly the cells
    each layer needs (``arrangement.family == "relaxed"``, battgen.passes.relax) when the
    relaxation finds one; otherwise the lattice's, short, with ``relaxation`` saying why.
    Relaxation is not tried above RELAX_MAX cells a layer, nor above the density bound."""
    fl = fl if fl is not None else floor(pack, needed)
    ss = lattice if lattice is not None else _search(pack, fl)
    if ss.count >= needed or fl.layers <= 0 or fl.virtual or ss.kind != "cylindrical" or fl.usable.is_empty:
        return ss
    if pack.layout != "auto":  # the pack asks for this lattice: no cells off it
        return ss
    from battgen.passes.layout import relax

    per_layer = math.ceil(needed / fl.layers)
    cell = pack.cell.format
    pitch, radius = cell.diameter + pack.gap, cell.diameter / 2
    if per_layer > RELAX_MAX:
        return replace(ss, relaxation=f"relaxing the cells off the lattice is tried up to {RELAX_MAX:,} a layer")
    bound = relax.density_bound(fl.usable, pitch, radius)
    if per_layer > bound:
        return replace(ss, relaxation=f"no packing holds {per_layer:,} a layer (density bound {bound:,})")
    xy = relax.relax(fl.usable, pitch, radius, per_layer, seeds=ss.xy)
    if xy is None:
        return replace(ss, relaxation=f"relaxing the cells off the lattice found no packing of {per_layer:,} a layer")
    arrangement = Arrangement("relaxed", 0.0, pitch, pitch, 0.0)
    return SiteSearch(
        arrangement,
        xy,
        xy.copy(),
        np.zeros(len(xy), dtype=np.int64),
        fl.layers,
        ss.kind,
        ss.half,
        dict(ss.best),
        (),
        "",
        ss.count,
    )


def _relaxed_orderings(xy: np.ndarray, per_group: int, pitch: float):
    """Priorities for growing groups over irregular sites: bands of rows (or columns) a few
    hexagonal row spacings wide, taken in turn, each swept in alternate directions (a
    boustrophedon), from each corner. Yields (description, rank of every site)."""
    root = math.sqrt(per_group)
    widths = sorted({max(1, w) for w in (1, 2, 3, round(root / 2), round(root), round(1.5 * root), round(2 * root))})
    lo = xy.min(axis=0) if len(xy) else np.zeros(2)
    for axis, name in ((1, "rows"), (0, "columns")):
        across = (xy[:, axis] - lo[axis]) / (pitch * HEX_V)
        along = xy[:, 1 - axis] - lo[1 - axis]
        for flip_along in (False, True):
            for flip_across in (False, True):
                a = -along if flip_along else along
                c = (across.max() - across) if flip_across else across
                for w in widths:
                    band = np.floor(c / w + 1e-9).astype(np.int64)
                    sweep = np.where(band % 2 == 0, a, -a)
                    order = np.lexsort((c, sweep, band))
                    rank = np.empty(len(xy), dtype=np.int64)
                    rank[order] = np.arange(len(xy))
                    yield f"bands of {w} {name} grown through touching cells", rank


GROW_ALTERNATIVES = 3  # start cells tried per group before backtracking to the one before
GROW_BUDGET = 20  # group growths allowed per group needed (bounds the backtracking)


def _grow(n: int, pairs: np.ndarray, rank: np.ndarray, plan: _Plan, spare: int) -> np.ndarray | None:
    """Groups grown one after the other over the contact graph. Each starts at a free cell
    touching the previous group (the first of a string: the lowest-ranked free cell) and takes
    free cells touching it until it holds P: connected groups, consecutive groups touching, by
    construction. The next cell is the lowest-ranked one, except that a cell about to be cut
    off (no free neighbour outside the group) is taken first; a group starts at the free
    neighbour with the fewest free neighbours (Warnsdorff's rule for paths through a graph),
    and when a group cannot be grown, or leaves more than ``spare`` cells cut off, the one
    before starts from its next candidate (depth-first, bounded by GROW_BUDGET). None when
    that finds nothing. Returns the cells in series order."""
    import heapq

    both = np.concatenate([pairs, pairs[:, ::-1]]) if len(pairs) else np.empty((0, 2), dtype=np.int64)
    both = both[np.argsort(both[:, 0], kind="stable")]
    start_of = np.searchsorted(both[:, 0], np.arange(n + 1)).tolist()
    nbrs = both[:, 1].tolist()
    adjacency = [nbrs[start_of[c] : start_of[c + 1]] for c in range(n)]
    free = [True] * n
    degree = [len(a) for a in adjacency]  # free neighbours
    by_rank = np.argsort(rank, kind="stable").tolist()
    rank_l = rank.tolist()
    cut_off = [degree.count(0)]  # free cells without a free neighbour (never in a group of P > 1)

    def take(c: int) -> None:
        free[c] = False
        if degree[c] == 0:
            cut_off[0] -= 1
        for m in adjacency[c]:
            degree[m] -= 1
            if free[m] and degree[m] == 0:
                cut_off[0] += 1

    def give_back(c: int) -> None:
        for m in adjacency[c]:
            if free[m] and degree[m] == 0:
                cut_off[0] -= 1
            degree[m] += 1
        free[c] = True
        if degree[c] == 0:
            cut_off[0] += 1

    def grow(start: int) -> list[int] | None:
        members = [start]
        take(start)
        heap = [(degree[m] > 0, rank_l[m], m) for m in adjacency[start] if free[m]]
        heapq.heapify(heap)
        while len(members) < plan.per_group:
            while heap and (not free[heap[0][2]] or heap[0][0] != (degree[heap[0][2]] > 0)):
                _k, _r, c = heapq.heappop(heap)
                if free[c]:  # its key changed: queue it again
                    heapq.heappush(heap, (degree[c] > 0, rank_l[c], c))
            if not heap:
                for c in reversed(members):
                    give_back(c)
                return None
            _k, _r, c = heapq.heappop(heap)
            members.append(c)
            take(c)
            for m in adjacency[c]:
                if free[m]:
                    heapq.heappush(heap, (degree[m] > 0, rank_l[m], m))
        return members

    def candidates(g: int, previous: list[int]) -> list[int]:
        if g % plan.series == 0:
            return [c for c in by_rank if free[c]][:GROW_ALTERNATIVES]
        touching = {c for m in previous for c in adjacency[m] if free[c]}
        return sorted(touching, key=lambda c: (degree[c], rank_l[c]))[:GROW_ALTERNATIVES]

    groups: list[list[int]] = []
    tries: list[tuple[list[int], int]] = []
    budget = GROW_BUDGET * plan.groups
    while len(groups) < plan.groups:
        g = len(groups)
        if len(tries) == g:
            tries.append((candidates(g, groups[-1] if groups else []), 0))
        options, k = tries[g]
        members = None
        while k < len(options) and budget > 0:
            budget -= 1
            got = grow(options[k])
            k += 1
            if got is not None and (plan.per_group == 1 or cut_off[0] <= spare):
                members = got
                break
            if got is not None:
                for c in reversed(got):
                    give_back(c)
        tries[g] = (options, k)
        if members is not None:
            groups.append(members)
            continue
        tries.pop()
        if not groups or budget <= 0:
            return None
        for c in reversed(groups.pop()):
            give_back(c)
    return np.array([c for members in groups for c in members], dtype=np.int64)


def _group_relaxed(ss: SiteSearch, plan: _Plan, gap: float, budget: int = 10):
    """``_group`` for relaxed sites: the groups grown over the contact graph (``_grow``) in
    each of the ``_relaxed_orderings``; the most compact valid grouping wins."""
    n1 = ss.per_layer
    need = plan.cells
    layers_used = min(ss.layers, math.ceil(need / n1)) if n1 else 0
    xy_all = np.tile(ss.xy, (layers_used, 1))
    layer_all = np.repeat(np.arange(layers_used), n1)
    pairs = contacts(xy_all, layer_all, ss.kind, ss.half, gap, 0.0)
    tried = 0
    valid: list[tuple[float, int, float, int, np.ndarray, str]] = []
    for desc, rank in _relaxed_orderings(ss.xy, plan.per_group, ss.arrangement.pu):
        tried += 1
        # layer by layer, every other layer swept backwards (as ``_group`` stacks its orders)
        full = np.concatenate([(rank if k % 2 == 0 else n1 - 1 - rank) + k * n1 for k in range(layers_used)])
        chosen = _grow(len(xy_all), pairs, full, plan, len(xy_all) - need)
        if chosen is None:
            continue
        pts = xy_all[chosen]
        label = np.full(len(xy_all), -1, dtype=np.int64)
        label[chosen] = np.arange(need) // plan.per_group
        valid.append(
            (
                _group_spread(pts, plan),
                _module_intrusion(pts, plan),
                _series_links(pairs, label, pts, plan),
                tried,
                chosen,
                desc,
            )
        )
        if len(valid) >= budget:
            break
    return _most_compact(valid, n1), tried


# --- contacts -------------------------------------------------------------------------------


def contacts(
    xy: np.ndarray, layer: np.ndarray, kind: str, half: tuple[float, float], gap: float, angle: float
) -> np.ndarray:
    """Pairs (i < j) of cells that touch across the gap: round cells whose centres are
    ``d + gap`` apart, boxes that share a face, and cells stacked straight above each other."""
    from scipy.spatial import cKDTree

    n = len(xy)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    hu, hv = half
    reach = (2 * hu + gap) if kind == "cylindrical" else math.hypot(2 * hu + gap, 2 * hv + gap)
    tol = 1e-6 * reach
    pts = np.column_stack([xy, layer * 10 * reach])  # layers far apart in the query
    pairs = cKDTree(pts).query_pairs(reach + tol, output_type="ndarray")
    same = layer[pairs[:, 0]] == layer[pairs[:, 1]]
    pairs_same = pairs[same]
    if kind != "cylindrical" and len(pairs_same):
        d = xy[pairs_same[:, 1]] - xy[pairs_same[:, 0]]
        c, s = math.cos(angle), math.sin(angle)
        du = np.abs(d[:, 0] * c + d[:, 1] * s)
        dv = np.abs(-d[:, 0] * s + d[:, 1] * c)
        near_u = du <= 2 * hu + gap + tol
        near_v = dv <= 2 * hv + gap + tol
        face = (near_u & (dv < 2 * hv - tol)) | (near_v & (du < 2 * hu - tol))
        pairs_same = pairs_same[near_u & near_v & face]
    # vertical neighbours: same footprint, adjacent layers
    if layer.max(initial=0) > 0:
        tree = cKDTree(xy)
        stacked = tree.query_pairs(tol + 1e-12, output_type="ndarray")
        if len(stacked):
            stacked = stacked[np.abs(layer[stacked[:, 0]] - layer[stacked[:, 1]]) == 1]
        pairs_same = np.concatenate([pairs_same, stacked]) if len(stacked) else pairs_same
    pairs_same = np.sort(pairs_same, axis=1)
    return pairs_same[np.lexsort((pairs_same[:, 1], pairs_same[:, 0]))] if len(pairs_same) else pairs_same


def _components(n: int, pairs: np.ndarray, label: np.ndarray) -> int:
    """Connected components of the contact graph restricted to pairs with equal labels."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    keep = label[pairs[:, 0]] == label[pairs[:, 1]] if len(pairs) else np.zeros(0, dtype=bool)
    p = pairs[keep]
    graph = coo_matrix((np.ones(len(p)), (p[:, 0], p[:, 1])), shape=(n, n))
    return int(connected_components(graph, directed=False)[0])


# --- grouping -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    groups: int  # S × strings
    per_group: int  # P / strings
    series: int
    strings: int
    modules: int
    per_module: int

    @property
    def cells(self) -> int:
        return self.groups * self.per_group


def _plan(candidate) -> _Plan:
    strings = max(int(getattr(candidate, "strings", 1) or 1), 1)
    if candidate.parallel % strings:
        strings = 1
    groups = candidate.series * strings
    modules = max(int(candidate.modules), 1)
    per_module = groups // modules if groups % modules == 0 else 0
    return _Plan(groups, candidate.parallel // strings, candidate.series, strings, modules, per_module)


def _serpentine(band: np.ndarray, line: np.ndarray, pos: np.ndarray, rule: int) -> np.ndarray:
    """Order sites band by band (alternating direction), line by line within a band, and
    along each line alternately forwards and backwards (a boustrophedon)."""
    line_dir = np.where(band % 2 == 0, line, -line)
    # rank of each line within its band, in traversal order
    key = np.lexsort((line_dir, band))
    b_sorted, l_sorted = band[key], line_dir[key]
    new = np.ones(len(key), dtype=bool)
    new[1:] = (b_sorted[1:] != b_sorted[:-1]) | (l_sorted[1:] != l_sorted[:-1])
    new_band = np.ones(len(key), dtype=bool)
    new_band[1:] = b_sorted[1:] != b_sorted[:-1]
    line_id = np.cumsum(new) - 1
    first_line_of_band = np.maximum.accumulate(np.where(new_band, line_id, 0))
    rank_sorted = line_id - first_line_of_band
    rank = np.empty_like(rank_sorted)
    rank[key] = rank_sorted
    if rule == 1:  # finish each band going forwards instead of starting forwards
        last = np.zeros(band.max() + 1, dtype=np.int64)
        np.maximum.at(last, band, rank)
        rank = last[band] - rank
    forwards = rank % 2 == 0
    return np.lexsort((np.where(forwards, pos, -pos), line_dir, band))


def _frames(ss: SiteSearch):
    """The four start corners of the sites: (u in lattice pitches from the first column, row,
    distinct-u column rank) with u and the rows each read forwards or backwards."""
    u, j = ss.uv[:, 0], ss.row
    a = ss.arrangement
    if not u.size:
        return
    col = np.round((u - u.min()) / (a.pu / 2 if a.shift else a.pu) * 4).astype(np.int64)  # distinct u positions
    rows = int(j.max()) + 1
    ui = np.round((u - u.min()) / a.pu, 6)
    for flip_u in (False, True):
        for flip_v in (False, True):
            uu = -ui if flip_u else ui
            yield uu - uu.min(), (rows - 1 - j) if flip_v else j, -col if flip_u else col


def _whole_modules(order: np.ndarray, band: np.ndarray, module_cells: int) -> np.ndarray:
    """``order`` (a band-by-band serpentine) with each band holding whole modules only: the
    sites left over in a band go unused — at the band's end, or at its start in every second
    band, so that where one band's last module ends the next band's first begins beside it
    (exactly so when the bands are alike). Unused sites go last."""
    b = band[order]
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    ends = np.r_[starts[1:], len(order)]
    used, spare = [], []
    for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist())):
        take = (e - s) // module_cells * module_cells
        run = order[s:e]
        if i % 2 == 0:
            used.append(run[:take])
            spare.append(run[take:])
        else:
            used.append(run[e - s - take :])
            spare.append(run[: e - s - take])
    return np.concatenate(used + spare)


def _module_strip_orderings(ss: SiteSearch, per_group: int, module_cells: int):
    """Orders that keep each module a block. (1) The serpentines of ``_orderings`` (bands of a
    few columns or rows) with whole modules in each band (``_whole_modules``): modules are
    rectangles the band's width, groups run across them. (2) The sites taken column by column
    (or row by row) cut into strips of one module's cells, each strip a serpentine of its own,
    the bands numbered on across the strips so the path runs on from one module into the
    next. (description, order of one layer)."""
    u = ss.uv[:, 0]
    if not u.size or module_cells <= 0 or module_cells >= u.size:
        return
    root = math.sqrt(per_group)
    widths = sorted({max(1, w) for w in (1, 2, 3, 4, round(root / 2), round(root), round(1.5 * root))})
    for uu, jj, cc in _frames(ss):
        for w in widths:
            for band, line, pos, what in (
                (np.floor(uu / w + 1e-9).astype(np.int64), jj, cc, "columns"),
                (jj // w, cc, jj, "rows"),
            ):
                for rule in (0, 1):
                    order = _whole_modules(_serpentine(band, line, pos, rule), band, module_cells)
                    yield f"{what} of {w}, whole modules in each", order
        for across, along, pos, what in ((uu, jj, cc, "columns"), (jj.astype(float), cc, jj, "rows")):
            strip = np.empty(u.size, dtype=np.int64)
            strip[np.lexsort((along, across))] = np.arange(u.size) // module_cells
            first = np.full(int(strip.max()) + 1, np.inf)
            np.minimum.at(first, strip, across)
            for w in widths:
                sub = np.floor((across - first[strip]) / w + 1e-9).astype(np.int64)
                band = np.unique(np.stack([strip, sub], axis=1), axis=0, return_inverse=True)[1].ravel()
                for rule in (0, 1):
                    yield f"module strips of {what}, {what} of {w}", _serpentine(band, along, pos, rule)


def _orderings(ss: SiteSearch, per_group: int):
    """Candidate site orders, most promising first: (description, order of one layer)."""
    u = ss.uv[:, 0]
    a = ss.arrangement
    rows = int(ss.row.max()) + 1 if ss.row.size else 1
    per_row = max(int(np.ceil((u.max() - u.min()) / a.pu)) + 1, 1) if u.size else 1
    root = math.sqrt(per_group)
    widths = sorted(
        {
            max(1, min(w, per_row))
            for w in (
                1,
                2,
                3,
                4,
                round(root / 2),
                round(root),
                round(1.5 * root),
                round(2 * root),
                math.ceil(per_group / 2),
                per_group,
            )
        }
    )
    heights = sorted(
        {
            max(1, min(h, rows))
            for h in (
                1,
                2,
                3,
                4,
                round(root / 2),
                round(root),
                round(1.5 * root),
                round(2 * root),
                math.ceil(per_group / 2),
                per_group,
            )
        }
    )
    for uu, jj, cc in _frames(ss):
        for rule in (0, 1):
            columns = [(f"columns of {w}", np.floor(uu / w + 1e-9).astype(np.int64), jj, cc) for w in widths]
            rows_ = [(f"rows of {h}", jj // h, cc, jj) for h in heights]
            # stacks of prismatic and pouch cells: groups and series along the stack first
            for desc, band, line, pos in rows_ + columns if a.family == "rows" else columns + rows_:
                yield desc, _serpentine(band, line, pos, rule)


def _group(ss: SiteSearch, plan: _Plan, gap: float, budget: int = 10):
    """The best valid grouping among the orderings tried (or None, and the count tried):
    ``_most_compact`` of the plain serpentines and the module strips, ``budget`` valid ones of
    each. Returns (site index per cell in series order, layer per cell, description)."""
    n1 = ss.per_layer
    layers = ss.layers
    need = plan.cells
    layers_used = min(layers, math.ceil(need / n1)) if n1 else 0
    xy_all = np.tile(ss.xy, (layers_used, 1))
    layer_all = np.repeat(np.arange(layers_used), n1)
    pairs = contacts(xy_all, layer_all, ss.kind, ss.half, gap, ss.arrangement.angle)
    tried = 0
    valid: list[tuple[float, int, float, int, np.ndarray, str]] = []
    seen_orders = set()
    module_cells = plan.per_module * plan.per_group if plan.modules > 1 else 0
    for orderings in (_orderings(ss, plan.per_group), _module_strip_orderings(ss, plan.per_group, module_cells)):
        found = 0
        for desc, order in orderings:
            sig = order[: min(need, n1)].tobytes()
            if sig in seen_orders:
                continue
            seen_orders.add(sig)
            tried += 1
            full = np.concatenate([(order if k % 2 == 0 else order[::-1]) + k * n1 for k in range(layers_used)])
            chosen = full[:need]
            label = np.full(len(xy_all), -1, dtype=np.int64)
            label[chosen] = np.arange(need) // plan.per_group
            # unused sites get their own labels so they never join a group
            unused = label < 0
            label[unused] = plan.groups + np.arange(int(unused.sum()))
            if _components(len(xy_all), pairs, label) != plan.groups + int(unused.sum()):
                continue
            if not _consecutive_touch(pairs, label, plan):
                continue
            pts = xy_all[chosen]
            valid.append(
                (
                    _group_spread(pts, plan),
                    _module_intrusion(pts, plan),
                    _series_links(pairs, label, pts, plan),
                    tried,
                    chosen,
                    desc,
                )
            )
            found += 1
            if found >= budget:
                break
    return _most_compact(valid, n1), tried


def _group_spread(pts: np.ndarray, plan: _Plan) -> float:
    """Sum of squared distances of the cells (in series order) from their group's centre:
    the smaller, the rounder the groups (shorter busbars, more even currents)."""
    g = np.arange(len(pts)) // plan.per_group
    cx = np.bincount(g, pts[:, 0]) / plan.per_group
    cy = np.bincount(g, pts[:, 1]) / plan.per_group
    return float(((pts[:, 0] - cx[g]) ** 2 + (pts[:, 1] - cy[g]) ** 2).sum())


# A grouping may give up this much group compactness for modules that are blocks: groups set
# the busbar shapes and the current spread, modules the mechanical blocks — a module smeared
# across two serpentine bands is no module an engineer could build (design choice, not a cited
# figure).
MODULE_TRADE = 1.25


def _module_intrusion(pts: np.ndarray, plan: _Plan) -> int:
    """Cells lying inside another module's outline (the convex hull of its cells): 0 when every
    module is a block of its own — long or square — more when modules wrap round one another."""
    import shapely

    if plan.modules <= 1 or plan.per_module <= 0:
        return 0
    m = np.minimum(np.arange(len(pts)) // (plan.per_group * plan.per_module), plan.modules - 1)
    hulls = shapely.convex_hull(shapely.multipoints([pts[m == k] for k in range(plan.modules)]))
    inside = 0
    for k, hull in enumerate(hulls):
        others = pts[m != k]
        inside += int(shapely.contains_xy(hull, others[:, 0], others[:, 1]).sum())
    return inside


def _series_links(pairs: np.ndarray, label: np.ndarray, pts: np.ndarray, plan: _Plan) -> float:
    """Σ over consecutive groups of (centre-to-centre distance / touching cell pairs between
    them): a busbar's resistance goes as its current path's length over its width, and the
    width of the plate joining group k to k+1 as the count of their touching cells. Relative
    (m per contact); string ends are not joined."""
    g = np.arange(len(pts)) // plan.per_group
    cx = np.bincount(g, pts[:, 0], minlength=plan.groups) / plan.per_group
    cy = np.bincount(g, pts[:, 1], minlength=plan.groups) / plan.per_group
    la, lb = label[pairs[:, 0]], label[pairs[:, 1]]
    ok = (np.abs(la - lb) == 1) & (la >= 0) & (lb >= 0) & (np.maximum(la, lb) < plan.groups)
    contacts_between = np.bincount(np.minimum(la, lb)[ok], minlength=plan.groups)[: plan.groups - 1]
    joined = np.ones(plan.groups - 1, dtype=bool)
    joined[plan.series - 1 :: plan.series] = False
    length = np.hypot(np.diff(cx), np.diff(cy))
    return float((length / np.maximum(contacts_between, 1))[joined].sum())


def _most_compact(valid: list, n1: int):
    """The groupings found, (group spread, module intrusion, series links, order tried, chosen
    sites, description): among those whose groups are within MODULE_TRADE of the most compact,
    the one whose modules intrude least on one another, then the one with the shortest, widest
    links between consecutive groups (``_series_links``), then rounder groups, then the one tried
    first; (site, layer, description) of it, or None."""
    if not valid:
        return None
    best = min(round(t[0], 12) for t in valid)
    near = [t for t in valid if round(t[0], 12) <= best * MODULE_TRADE]
    near.sort(key=lambda t: (t[1], round(t[2], 9), round(t[0], 12), t[3]))
    _spread, _modules, _links, _t, chosen, desc = near[0]
    return chosen % n1, chosen // n1, desc


def _consecutive_touch(pairs: np.ndarray, label: np.ndarray, plan: _Plan) -> bool:
    if plan.groups < 2:
        return True
    la, lb = label[pairs[:, 0]], label[pairs[:, 1]]
    ok = (np.abs(la - lb) == 1) & (la < plan.groups) & (lb < plan.groups)
    touching = np.zeros(plan.groups, dtype=bool)
    touching[np.minimum(la[ok], lb[ok])] = True
    needed = np.ones(plan.groups - 1, dtype=bool)
    needed[plan.series - 1 :: plan.series] = False  # string ends need not touch the next string
    return bool(touching[:-1][needed].all())


# --- place ----------------------------------------------------------------------------------


def _envelope_span(pack: ir.Pack):
    return pack.property_spans.get("envelope", pack.name_span)


def _fmt_mm(value: float) -> str:
    return f"{value * 1e3:.4g} mm"


def place(pack: ir.Pack, candidate) -> Layout | Diagnostic:
    """Place ``candidate``'s S×P cells in the pack's envelope (pure, deterministic)."""
    plan = _plan(candidate)
    fl = floor(pack, plan.cells)
    ss = _search(pack, fl)
    if fl.virtual:
        grow = 0
        while ss.count < plan.cells and grow < 12:
            side = fl.outline.bounds[2] * 1.15
            outline = box(0.0, 0.0, side, side)
            fl = replace(fl, outline=outline, inner=outline, usable=outline)
            ss = _search(pack, fl)
            grow += 1
    return _place_with(pack, candidate, plan, fl, ss)


def _place_with(pack, candidate, plan: _Plan, fl: Floor, ss: SiteSearch) -> Layout | Diagnostic:
    cell = pack.cell.format
    name = pack.envelope.name if pack.envelope else "(none)"
    if fl.layers <= 0:
        return Diagnostic(
            "E601",
            f"the envelope cannot hold the cells: `{name}` is {_fmt_mm(fl.height)} high and a {pack.cell.name} cell "
            f"stands {_fmt_mm(cell.height)}; 0 of the {plan.cells:,} cells ({candidate.label}) fit",
            _envelope_span(pack),
            hint="a taller envelope or a shorter cell",
        )
    if plan.per_module == 0:
        return Diagnostic(
            "E602",
            f"parallel groups cannot be made contiguous: {plan.groups} groups do not split "
            f"into {plan.modules} equal modules",
            pack.name_span,
            hint="choose a module count that divides S",
        )
    if ss.count < plan.cells:
        ss = sites_for(pack, plan.cells, fl, ss)  # relaxed off the lattice when that finds room
    if ss.count < plan.cells:
        tried = ", ".join(f"{fam} {n * ss.layers:,}" for fam, n in sorted(ss.best.items()))
        return Diagnostic(
            "E601",
            f"the envelope cannot hold the cells: `{name}` holds {ss.count:,} {pack.cell.name} cells "
            f"({ss.describe()}) but {candidate.label} needs {plan.cells:,}"
            + (f" (best per arrangement: {tried})" if tried else "")
            + (f"; {ss.relaxation}" if ss.relaxation else ""),
            _envelope_span(pack),
            hint=f"{ss.count:,} cells fit on a lattice: fewer cells in parallel, a larger envelope or a smaller gap",
            related=(Related(pack.name_span, f"{candidate.label} = {plan.cells:,} cells"),),
        )
    if ss.arrangement.family == "relaxed":
        from battgen.passes.layout import relax

        # press the cells together: the groups need touching cells, and the relaxation stops
        # as soon as none overlap, which leaves many a hair apart
        ss = replace(ss, xy=relax.settle(fl.usable, ss.arrangement.pu, ss.half[0], ss.xy))
        ss = replace(ss, uv=ss.xy.copy())
        got, tried_total = _group_relaxed(ss, plan, pack.gap)
        if got is not None:
            return _build(pack, candidate, plan, fl, ss, *got)
        return _ungroupable(pack, candidate, plan, ss, tried_total, "growth over the contact graph")
    attempts = [ss.arrangement] + [arr for arr, n in ss.ranked[1:4] if n * fl.layers >= plan.cells]
    tried_total = 0
    for k, arr in enumerate(attempts):
        attempt = ss if k == 0 else _site_search_for(pack, fl, arr)
        if attempt.count < plan.cells:
            continue
        got, tried = _group(attempt, plan, pack.gap)
        tried_total += tried
        if got is not None:
            return _build(pack, candidate, plan, fl, attempt, *got)
    return _ungroupable(pack, candidate, plan, ss, tried_total, "serpentine ordering")


def _ungroupable(pack, candidate, plan: _Plan, ss: SiteSearch, tried_total: int, how: str) -> Diagnostic:
    largest = _largest_island(ss, pack.gap)
    return Diagnostic(
        "E602",
        f"parallel groups cannot be made contiguous: {candidate.label} needs {plan.groups} groups of "
        f"{plan.per_group} touching cells with consecutive groups side by side; {ss.count:,} sites fit "
        f"({ss.describe()}) but no {how} of {tried_total} tried groups them "
        f"(largest connected piece of floor: {largest:,} sites)",
        _envelope_span(pack),
        hint="keepouts or a narrow outline split the floor; fewer cells in parallel, or a layout that joins the pieces",
        related=(Related(pack.name_span, f"{candidate.label}"),),
    )


def _largest_island(ss: SiteSearch, gap: float) -> int:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = ss.per_layer
    if n == 0:
        return 0
    pairs = contacts(ss.xy, np.zeros(n, dtype=np.int64), ss.kind, ss.half, gap, ss.arrangement.angle)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    labels = connected_components(graph, directed=False)[1]
    return int(np.bincount(labels).max()) * ss.layers


def _outlines(point_sets: list[np.ndarray], radius: float) -> list:
    """Outlines around sets of footprints: the union of discs slightly larger than half the
    contact distance (connected for a connected set), simplified. Vectorised over the sets."""
    geoms = shapely.buffer(shapely.multipoints(point_sets) if point_sets else np.empty(0), radius, quad_segs=2)
    return list(shapely.simplify(geoms, radius * 0.2, preserve_topology=False))


def _coords(geom) -> tuple[tuple[float, float], ...]:
    if geom is None or geom.is_empty:
        return ()
    if geom.geom_type != "Polygon":
        geom = max(geom.geoms, key=lambda g: g.area) if hasattr(geom, "geoms") else geom.convex_hull
        if geom.geom_type != "Polygon":
            geom = geom.convex_hull
    coords = np.round(np.asarray(geom.exterior.coords)[:-1], 6)
    return tuple((float(x), float(y)) for x, y in coords)


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


def _build(
    pack, candidate, plan: _Plan, fl: Floor, ss: SiteSearch, site: np.ndarray, layer: np.ndarray, desc: str
) -> Layout:
    cell = pack.cell.format
    arr = ss.arrangement
    need = plan.cells
    xy = ss.xy[site]
    z = layer * (cell.height + fl.layer_gap)
    group = np.arange(need) // plan.per_group
    module = np.minimum(group // plan.per_module, plan.modules - 1)
    series_index = group % plan.series
    polarity = series_index % 2 == 0
    if cell.kind == "cylindrical":
        rotation = 0.0
        footprint = (cell.diameter, cell.diameter)
    else:
        # cells are ``width`` along x unrotated; here their thickness runs along the rows (u)
        rotation = round((arr.angle + math.pi / 2) % math.pi, 12)
        c, s = abs(math.cos(rotation)), abs(math.sin(rotation))
        footprint = (cell.width * c + cell.thickness * s, cell.width * s + cell.thickness * c)
    if cell.kind != "cylindrical":
        polarity = _tab_polarity(xy, group, plan, rotation, cell.width)
    xs = xy[:, 0].tolist()
    ys = xy[:, 1].tolist()
    zs = (z + 0.0).tolist()
    cells = tuple(
        PlacedCell(k, xs[k], ys[k], zs[k], "z", rotation, int(group[k]), int(module[k]), bool(polarity[k]))
        for k in range(need)
    )
    per = plan.per_group
    if cell.kind == "cylindrical":
        group_geoms = _outlines([xy[g * per : (g + 1) * per] for g in range(plan.groups)], max(arr.pu, arr.pv) * 0.55)
    else:  # the union of the footprints grown by half the gap (faces across the gap merge)
        grow = pack.gap / 2 + 1e-6
        boxes = _boxes(xy[:, 0], xy[:, 1], ss.half[0] + grow, ss.half[1] + grow, arr.angle)
        group_geoms = [shapely.union_all(boxes[g * per : (g + 1) * per]) for g in range(plan.groups)]
    groups = tuple(
        ParallelGroup(g, int(module[g * per]), tuple(range(g * per, (g + 1) * per)), _coords(group_geoms[g]))
        for g in range(plan.groups)
    )
    modules = tuple(
        Module(
            m,
            tuple(range(m * plan.per_module, (m + 1) * plan.per_module)),
            _coords(shapely.union_all(group_geoms[m * plan.per_module : (m + 1) * plan.per_module])),
        )
        for m in range(plan.modules)
    )
    usable_area = float(fl.usable.area)
    foot_area = math.pi * cell.diameter**2 / 4 if cell.kind == "cylindrical" else cell.width * cell.thickness
    layers_used = int(layer.max()) + 1 if need else 1
    area_fraction = need * foot_area / (usable_area * layers_used) if usable_area > 0 else 0.0
    volume = float(fl.outline.area) * fl.height
    volume_fraction = need * cell.volume / volume if volume > 0 else 0.0
    note = f"serpentine over {desc}"
    if arr.family == "relaxed":
        note = f"{ss.describe()}; groups from {desc}"
    if fl.virtual:
        note += f"; no envelope declared: placed in a {_fmt_mm(fl.outline.bounds[2])} square"
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
        note=note,
    )


# --- verify ---------------------------------------------------------------------------------


def verify(layout: Layout, pack: ir.Pack) -> list[str]:
    """Every invariant of a layout, checked from the placed cells alone; [] when valid."""
    out: list[str] = []
    cell = pack.cell.format
    strings = getattr(layout, "strings", 1) or 1
    n_groups = layout.series * strings
    per_group = layout.parallel // strings
    n = len(layout.cells)
    if n != layout.series * layout.parallel:
        out.append(f"{n} cells placed, {layout.series}×{layout.parallel} expected")
    if n == 0:
        return out
    xy = np.array([(c.x, c.y) for c in layout.cells])
    z = np.array([c.z for c in layout.cells])
    group = np.array([c.group for c in layout.cells])
    if [c.index for c in layout.cells] != list(range(n)):
        out.append("cell indices are not 0..n-1 in order")
    counts = np.bincount(group, minlength=n_groups)
    if len(counts) != n_groups or (counts != per_group).any():
        bad = [int(g) for g in np.flatnonzero(counts != per_group)][:5]
        out.append(f"groups {bad} do not hold exactly {per_group} cells")
    layer_pitch = cell.height + pack.gap
    layer = np.round(z / layer_pitch).astype(np.int64) if layer_pitch > 0 else np.zeros(n, dtype=np.int64)
    if cell.kind == "cylindrical":
        half = (cell.diameter / 2, cell.diameter / 2)
        rotation = 0.0
    else:
        half = (cell.thickness / 2, cell.width / 2)
        rotation = layout.cells[0].rotation
        if any(abs(c.rotation - rotation) > 1e-9 for c in layout.cells):
            out.append("cells are not all rotated alike")
    angle = rotation - math.pi / 2 if cell.kind != "cylindrical" else layout.angle
    # overlap
    from scipy.spatial import cKDTree

    if cell.kind == "cylindrical":
        min_d = cell.diameter + pack.gap
        pts = np.column_stack([xy, layer * 10 * min_d])
        close = cKDTree(pts).query_pairs(min_d - TOL, output_type="ndarray")
        if len(close):
            a, b = close[0]
            d = math.dist(xy[a], xy[b])
            out.append(
                f"{len(close)} pairs of cells overlap (cells {a} and {b}: {d * 1e3:.4f} mm apart < {min_d * 1e3:.4f} mm)"
            )
    else:
        reach = math.hypot(2 * half[0] + pack.gap, 2 * half[1] + pack.gap)
        pts = np.column_stack([xy, layer * 10 * reach])
        close = cKDTree(pts).query_pairs(reach, output_type="ndarray")
        if len(close):
            d = xy[close[:, 1]] - xy[close[:, 0]]
            c, s = math.cos(angle), math.sin(angle)
            du = np.abs(d[:, 0] * c + d[:, 1] * s)
            dv = np.abs(-d[:, 0] * s + d[:, 1] * c)
            overlap = (du < 2 * half[0] + pack.gap - TOL) & (dv < 2 * half[1] + pack.gap - TOL)
            if overlap.any():
                out.append(f"{int(overlap.sum())} pairs of cells overlap (closer than their footprints plus the gap)")
    # containment
    fl = floor(pack, n)
    if fl.virtual:
        pass
    else:
        usable = fl.usable
        shapely.prepare(usable)
        ok = _contained(usable, usable.boundary, xy[:, 0], xy[:, 1], cell.kind, half[0], half[1], angle, TOL)
        if not ok.all():
            bad = np.flatnonzero(~ok)
            out.append(
                f"{bad.size} cells outside the usable floor (outline less wall, less keepouts), e.g. cell {bad[0]} "
                f"at ({xy[bad[0], 0] * 1e3:.2f}, {xy[bad[0], 1] * 1e3:.2f}) mm"
            )
        top = z.max() + cell.height
        if top > fl.height + TOL:
            out.append(f"cells reach {top * 1e3:.2f} mm, above the envelope's {fl.height * 1e3:.2f} mm")
    # connectivity
    pairs = contacts(xy, layer, cell.kind, half, pack.gap, angle)
    if _components(n, pairs, group) != len(np.unique(group)):
        out.append("some parallel groups are not connected through touching cells")
    plan = _Plan(n_groups, per_group, layout.series, strings, len(layout.modules), 0)
    if not _consecutive_touch(pairs, group, plan):
        la, lb = group[pairs[:, 0]], group[pairs[:, 1]]
        touching = set(np.minimum(la, lb)[np.abs(la - lb) == 1].tolist())
        missing = [g for g in range(n_groups - 1) if g not in touching and (g + 1) % layout.series][:5]
        out.append(f"consecutive groups do not touch after groups {missing}")
    # modules
    covered: list[int] = []
    for m in layout.modules:
        gs = list(m.groups)
        if gs != list(range(gs[0], gs[0] + len(gs))) if gs else True:
            out.append(f"module {m.index} is not a run of consecutive groups")
        covered += gs
        for g in gs:
            if g < len(layout.groups) and layout.groups[g].module != m.index:
                out.append(f"group {g} says module {layout.groups[g].module}, module {m.index} lists it")
    if sorted(covered) != list(range(n_groups)):
        out.append("modules do not cover every group exactly once")
    for c in layout.cells[:: max(1, n // 997)]:
        if layout.groups[c.group].module != c.module:
            out.append(f"cell {c.index} is in module {c.module} but its group is in {layout.groups[c.group].module}")
            break
    return out


# --- the pipeline stage ---------------------------------------------------------------------


def layout_stage(pack: ir.Pack, synthesis: Synthesis) -> Outcome[Placement]:
    """Place synthesis's choice; if it does not fit or cannot be grouped, the first runner-up
    that needs no more cells than fit and places cleanly. The placement names the candidate
    placed: every later stage builds that one."""
    chosen = synthesis.chosen
    if chosen is None:
        return Outcome(None)
    first = place(pack, chosen)
    if isinstance(first, Layout):
        return Outcome(Placement(chosen, first))
    capacity = sites(pack).count if pack.envelope is not None else None
    for rank, runner in enumerate(synthesis.runners_up, start=1):
        if capacity is not None and runner.cells > capacity:
            continue
        got = place(pack, runner)
        if isinstance(got, Layout):
            why = first.message.split(": ", 1)[-1]
            note = (
                f"{got.note}; placed runner-up {rank} {runner.label} ({runner.modules} modules) because the chosen "
                f"{chosen.label} failed: {first.code} {why}"
            )
            reason = f"{first.code} {why}"
            return Outcome(Placement(runner, replace(got, note=note), rank, chosen.label, reason))
    return Outcome(None, (first,))
