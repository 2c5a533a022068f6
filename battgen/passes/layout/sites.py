"""The site search: where the cell centres go, as the best family of straight rows in the floor.

Every arrangement here is a family of straight rows — ``hex`` (rows ``p·√3/2`` apart, odd rows
shifted ``p/2``), ``square``, hex rows stretched apart so a whole number of rows fills the
floor exactly (each cell still touches one cell of the next row: shift ``√(p² − v²)``) and,
for prismatic and pouch cells, ``rows`` of stacks (faces touching along a stack across the
compression ``gap``, stacks ``gap`` apart). The search runs over lattice angle (the outline's
long edges, their normals and a uniform sweep), origin offset (flush with the floor's edge,
and a grid over one unit cell) and orientation, with numpy site generation and shapely 2's
vectorised ``contains_xy`` on the floor eroded by the cell's footprint. The best count is
then checked exactly (distance to every boundary ≥ radius, or box containment) — so
``sites(pack).count`` is a real count, not an area estimate.

``sites_for`` is what ``place`` asks: the lattice's sites when they are enough, otherwise (round
cells, ``layout = auto``) a relaxed packing off the lattice from ``relax``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import overload

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry.base import BaseGeometry

from battgen.core import ir
from battgen.core.memo import Remembered
from battgen.passes.layout.floor import QUAD, Floor, _contained, _pitches, floor

EPS = 1e-9  # m: the search erodes the floor this much less than the footprint (a floor exactly one cell
# deep must not vanish) and flush sites start this far in: exactly on the true edge, so exact fits hold
FLOAT = 1e-12  # m: float rounding allowed in the exact containment check
HEX_V = math.sqrt(3) / 2


@dataclass(frozen=True)
class Arrangement:
    """One row arrangement in the frame rotated by ``angle``: rows ``v = ov + j·pv``, sites
    ``u = ou + (shift if j odd) + i·pu``."""

    family: str  # hex | square | stretched | rows | relaxed (off-lattice, battgen.passes.layout.relax)
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
    best: Mapping[str, int] = field(default_factory=dict)  # family -> best per-layer count found
    # other good arrangements (Arrangement, per-layer count), best first
    ranked: Sequence[tuple[Arrangement, int]] = ()
    relaxation: str = ""  # what relaxing the cells off the lattice gave, when it was tried
    lattice_count: int = 0  # relaxed: the cells the best lattice holds (all layers)

    @property
    def per_layer(self) -> int:
        return len(self.xy)

    @property
    def arr(self) -> Arrangement:
        """The arrangement of a search that found sites (None only for a floor with none)."""
        assert self.arrangement is not None, "no sites: nothing to group or build"
        return self.arrangement

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


def _angles(region: BaseGeometry, period: float, uniform: int) -> list[float]:
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


def _erode(region_rot: BaseGeometry, kind: str, hu: float, hv: float) -> BaseGeometry:
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


def _lattice(
    bounds: tuple[float, float, float, float], arr: Arrangement
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The sites of ``arr`` within the eroded floor's bounds along u (u, v, row index; rotated
    frame) and each row's v, before the floor is asked which it holds."""
    u0, _v0, u1, v1 = bounds
    rows = math.floor((v1 - arr.ov) / arr.pv) + 1
    if rows <= 0:
        return np.empty(0), np.empty(0), np.empty(0, dtype=np.int64), np.empty(0)
    cols = math.floor((u1 - arr.ou) / arr.pu) + 2
    j = np.arange(rows)
    i = np.arange(-1, cols)
    v = arr.ov + j * arr.pv
    u = arr.ou + np.where(j % 2 == 1, arr.shift, 0.0)[:, None] + i[None, :] * arr.pu
    uu = u.ravel()
    vv = np.repeat(v, i.size)
    jj = np.repeat(j, i.size)
    keep = (uu >= u0) & (uu <= u1)
    return uu[keep], vv[keep], jj[keep], v


def _grid(
    eroded: BaseGeometry, bounds: tuple[float, float, float, float], arr: Arrangement
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sites of ``arr`` (u, v and row index, rotated frame) where the eroded floor holds them."""
    uu, vv, jj, _v = _lattice(bounds, arr)
    inside = shapely.intersects_xy(eroded, uu, vv)  # sites on the edge count
    return uu[inside], vv[inside], jj[inside]


ON_EDGE = 1e-10  # m: a site this near where its row crosses the floor's edge, or on a row this near a
# vertex, is asked of shapely itself (the crossings are computed to about 1e-15 m on a floor of metres)


class _Rows:
    """How many sites of an arrangement the eroded floor holds, counted row by row: where
    each row crosses the floor's edges (a site lies on the floor when an odd number of
    crossings come before it), and how many sites lie between each pair of crossings (their
    u is ``base + i·pitch``: a division, not a test per site). The search counts about 200
    arrangements of 10,000 sites each (0.4 s of shapely's ``intersects_xy`` on the Model S).
    Sites that float rounding could put on the other side — within ON_EDGE (more on steep
    crossings) of a crossing, or on a row through a vertex, where the floor may touch the row
    — are asked of ``intersects_xy``: the count is ``_grid``'s exactly."""

    def __init__(self, eroded: BaseGeometry) -> None:
        self.eroded = eroded
        parts = shapely.get_parts(eroded)
        self.exact_only = not (shapely.get_type_id(parts) == 3).all()  # lines or points left: ask shapely
        coords, ring = shapely.get_coordinates(shapely.get_rings(parts), return_index=True)
        edge = ring[1:] == ring[:-1]
        self.a, self.b = coords[:-1][edge], coords[1:][edge]
        self.vertex_v = np.unique(coords[:, 1])
        self.scale = 1.0 + float(np.abs(coords).max(initial=0.0))

    def count(self, bounds: tuple[float, float, float, float], arr: Arrangement) -> int:
        """``_grid(eroded, bounds, arr)``'s number of sites (rows and columns as ``_lattice``'s)."""
        return self.counts(bounds, [arr])[0]

    def counts(self, bounds: tuple[float, float, float, float], arrs: list[Arrangement]) -> list[int]:
        """``count`` of each arrangement (all at this angle, of one pitch), worked out for all
        of them at once: their rows side by side, each with its own v, base and columns."""
        u0, _v0, u1, v1 = bounds
        out = [0] * len(arrs)
        if not arrs:
            return out
        pu = arrs[0].pu
        nrows = [math.floor((v1 - a.ov) / a.pv) + 1 for a in arrs]
        ncols = [math.floor((u1 - a.ou) / a.pu) + 2 for a in arrs]  # sites i = -1 .. cols - 1 on each row
        listed = [k for k, rows in enumerate(nrows) if rows > 0]
        if not listed:
            return out
        js = [np.arange(nrows[k]) for k in listed]
        row_v = np.concatenate([arrs[k].ov + j * arrs[k].pv for k, j in zip(listed, js)])
        base = np.concatenate([arrs[k].ou + np.where(j % 2 == 1, arrs[k].shift, 0.0) for k, j in zip(listed, js)])
        owner = np.repeat(np.arange(len(listed)), [nrows[k] for k in listed])  # each row's arrangement
        cols = np.repeat(np.array([ncols[k] for k in listed], dtype=np.int64), [nrows[k] for k in listed])
        cross_row, cross_u, slack = self._crossings(row_v)
        # an arrangement with a row crossed an odd number of times, or a floor of lines: shapely's count
        odd = np.bincount(cross_row, minlength=len(row_v)) % 2 == 1
        asked = np.zeros(len(listed), dtype=bool)
        asked[owner[odd]] = True
        if self.exact_only:
            asked[:] = True
        for a in np.flatnonzero(asked).tolist():
            out[listed[a]] = int(shapely.intersects_xy(self.eroded, *_lattice(bounds, arrs[listed[a]])[:2]).sum())
        if asked.all():
            return out
        counted = ~asked[owner]  # rows counted here
        row_slack = np.zeros(len(row_v))
        np.maximum.at(row_slack, cross_row, slack)
        whole = _near_vertex(self.vertex_v, row_v) & counted  # rows asked of shapely site by site
        keep = counted[cross_row] & ~whole[cross_row]
        cross_row, cross_u = cross_row[keep], cross_u[keep]
        s = row_slack[cross_row]
        b = base[cross_row[0::2]]
        c = cols[cross_row[0::2]]
        # surely held: strictly between a pair's crossings, more than the slack from each
        first = np.clip(_first_site(cross_u[0::2] + s[0::2], b, pu, strict=True), -1, c)
        after = np.clip(_first_site(cross_u[1::2] - s[1::2], b, pu, strict=False), -1, c)
        held = np.bincount(owner[cross_row[0::2]], np.maximum(after - first, 0), len(listed))
        # near a crossing: asked of shapely
        b = base[cross_row]
        c = cols[cross_row]
        lo = np.clip(_first_site(cross_u - s, b, pu, strict=False), -1, c)
        hi = np.clip(_first_site(cross_u + s, b, pu, strict=True), -1, c)
        width = np.maximum(hi - lo, 0)
        row = np.repeat(cross_row, width)
        i = np.repeat(lo, width) + np.arange(int(width.sum())) - np.repeat(np.cumsum(width) - width, width)
        stride = int(cols.max()) + 2
        row_i = np.unique(row * stride + (i + 1))
        row, i = row_i // stride, row_i % stride - 1
        # and every site of a row through a vertex
        whole_rows = np.flatnonzero(whole)
        per_row = cols[whole_rows] + 1
        row = np.concatenate([row, np.repeat(whole_rows, per_row)])
        i = np.concatenate([i, np.arange(int(per_row.sum())) - np.repeat(np.cumsum(per_row) - per_row, per_row) - 1])
        u = base[row] + i * pu
        inside = (u >= u0) & (u <= u1)
        hit = shapely.intersects_xy(self.eroded, u[inside], row_v[row][inside])
        held += np.bincount(owner[row[inside]], hit, len(listed))
        for a in np.flatnonzero(~asked).tolist():
            out[listed[a]] = int(held[a])
        return out

    def _crossings(self, row_v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where each row crosses each edge (row, u, rounding allowed), sorted by row then u.
        An edge crosses a row when one end is on or below it and the other above: a vertex on
        the row counts once, a horizontal edge on it never."""
        a, b = self.a, self.b
        below_a = a[None, :, 1] <= row_v[:, None]
        below_b = b[None, :, 1] <= row_v[:, None]
        row, edge = np.nonzero(below_a != below_b)
        a, b = a[edge], b[edge]
        dv = b[:, 1] - a[:, 1]
        du = b[:, 0] - a[:, 0]
        u = a[:, 0] + (row_v[row] - a[:, 1]) * du / dv
        slack = ON_EDGE + 1e-14 * self.scale * (1.0 + np.abs(du / dv))
        order = np.lexsort((u, row))
        return row[order], u[order], slack[order]


def _first_site(t: np.ndarray, base: np.ndarray, pitch: float, strict: bool) -> np.ndarray:
    """The first site i of each row (u = base + i·pitch, as ``_lattice`` computes it) at or
    beyond ``t`` (beyond it when ``strict``): a division, corrected where rounding put it
    one site off."""
    k = np.ceil((t - base) / pitch).astype(np.int64)

    def beyond(k: np.ndarray) -> np.ndarray:
        u = base + k * pitch
        return u > t if strict else u >= t

    while (low := ~beyond(k)).any():
        k[low] += 1
    while (high := beyond(k - 1)).any():
        k[high] -= 1
    return k


def _near_vertex(vertex_v: np.ndarray, row_v: np.ndarray) -> np.ndarray:
    """Rows within ON_EDGE of a vertex's v."""
    k = np.searchsorted(vertex_v, row_v)
    below = np.abs(row_v - vertex_v[np.maximum(k - 1, 0)]) <= ON_EDGE
    above = np.abs(vertex_v[np.minimum(k, len(vertex_v) - 1)] - row_v) <= ON_EDGE
    return (below | above) if len(vertex_v) else np.zeros(len(row_v), dtype=bool)


def _rotate_xy(u: np.ndarray, v: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    c, s = math.cos(angle), math.sin(angle)
    return u * c - v * s, u * s + v * c


class _Searcher:
    """The floor seen from each lattice angle (rotated and eroded once per angle), and the
    site counts of arrangements in it."""

    def __init__(self, pack: ir.Pack, fl: Floor) -> None:
        self.pack = pack
        self.floor = fl
        cell = pack.cell.format
        self.kind = cell.kind
        if cell.kind == "cylindrical":
            self.hu = self.hv = cell.diameter / 2
        else:
            self.hu, self.hv = cell.thickness / 2, cell.width / 2
        self._frames: dict[float, tuple[BaseGeometry, tuple[float, float, float, float] | None]] = {}
        self._rows: dict[float, _Rows] = {}  # the eroded floor's edges at each angle, for ``count``
        self.usable = fl.usable
        shapely.prepare(self.usable)
        self.boundary = self.usable.boundary

    def frame(self, angle: float) -> tuple[BaseGeometry, tuple[float, float, float, float] | None]:
        got = self._frames.get(angle)
        if got is None:
            rot = affinity.rotate(self.usable, -angle, origin=(0, 0), use_radians=True)
            eroded = _erode(rot, self.kind, self.hu - EPS, self.hv - EPS)
            shapely.prepare(eroded)
            bounds = eroded.bounds if not eroded.is_empty else None
            got = self._frames[angle] = (eroded, bounds)
        return got

    def count(self, arr: Arrangement) -> int:
        return self.counts([arr])[0]

    def counts(self, arrs: list[Arrangement]) -> list[int]:
        """``count`` of each of ``arrs``, those of one angle and pitch all at once
        (``_Rows.counts``)."""
        out = [0] * len(arrs)
        alike: dict[tuple[float, float], list[int]] = {}
        for k, arr in enumerate(arrs):
            alike.setdefault((arr.angle, arr.pu), []).append(k)
        for (angle, _pu), ks in alike.items():
            eroded, bounds = self.frame(angle)
            if bounds is None:
                continue
            rows = self._rows.get(angle)
            if rows is None:
                rows = self._rows[angle] = _Rows(eroded)
            for k, n in zip(ks, rows.counts(bounds, [arrs[k] for k in ks])):
                out[k] = n
        return out

    def exact(self, arr: Arrangement) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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

    def stretched(self, family: tuple[str, float, float, float], angle: float) -> list[Arrangement]:
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


# The search reads the floor, the cell's footprint, the gap and the lattice asked for — not
# the architecture: the design loop places several in one envelope (the sedan three), and an
# edit elsewhere in the source searches the same floor again. The last few searches are
# remembered by those values; their arrays are read-only, so a hit is the search run again.
_SEARCHES = Remembered(8)


def _search(pack: ir.Pack, fl: Floor) -> SiteSearch:
    """``_search_floor``, remembered (``_SEARCHES``)."""
    key = (fl.usable.wkb, fl.layers, pack.cell.format, pack.gap, pack.layout)
    return _SEARCHES.get(key, lambda: _read_only(_search_floor(pack, fl)))


def _read_only(found: SiteSearch) -> SiteSearch:
    for array in (found.xy, found.uv, found.row):
        array.setflags(write=False)
    return found


def _most_of(s: _Searcher, choices: list[tuple[list[Arrangement], Arrangement]]) -> list[tuple[int, Arrangement]]:
    """For each (arrangements, default): the first arrangement that holds the most sites, and
    how many (-1 and the default for none); all counted at once."""
    counts = iter(s.counts([arr for arrs, _default in choices for arr in arrs]))
    out = []
    for arrs, default in choices:
        best, best_arr = -1, default
        for arr in arrs:
            n = next(counts)
            if n > best:
                best, best_arr = n, arr
        out.append((best, best_arr))
    return out


def _search_floor(pack: ir.Pack, fl: Floor) -> SiteSearch:
    """Every row family over its angles and offsets, counted on the eroded floor; the most
    promising refined and counted exactly; the best of those."""
    s = _Searcher(pack, fl)
    kind = s.kind
    half = (s.hu, s.hv)
    if fl.layers <= 0 or fl.usable.is_empty:
        empty = np.empty((0, 2))
        return SiteSearch(None, empty, empty, np.empty(0, dtype=np.int64), max(fl.layers, 0), kind, half)
    scored: list[tuple[int, int, Arrangement]] = []  # (count, order, arrangement)
    order = 0
    for fam in _families(pack):
        name, pu, pv, shift = fam
        period = {"hex": math.pi / 3, "square": math.pi / 2}.get(name, math.pi)
        uniform = {"hex": 6, "square": 6}.get(name, 4)
        angles = _angles(fl.usable, period, uniform)
        candidates = [Arrangement(name, a, pu, pv, shift) for a in angles]
        if name == "hex":
            for a in _angles(fl.usable, math.pi, 2)[:6]:
                candidates += s.stretched(fam, a)
        for n, arr in _most_of(s, [(s.offsets(base, 2), base) for base in candidates]):
            scored.append((n, order, arr))
            order += 1
    scored.sort(key=lambda t: (-t[0], t[1]))
    # refine the offsets of the most promising, then count exactly
    chosen: list[tuple[int, Arrangement]] = []  # (order, arrangement)
    seen = set()
    for _rank, (_n, order, base) in enumerate(scored):
        key = (base.family, base.angle, base.pv, base.shift)
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > 4:
            break
        chosen.append((order, base))
    most = _most_of(s, [(s.offsets(base, 6) + [base], base) for _order, base in chosen])
    refined = [(n, order, arr) for (order, _base), (n, arr) in zip(chosen, most)]  # (count, order, arrangement)
    # the winner: the most exact sites, then the first found. An exact count is at most the
    # count on the eroded floor, so a finalist whose count cannot beat the best exact count so
    # far is counted exactly only when its count is read (``_Finals``)
    exact: dict[Arrangement, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    top: tuple[int, int, Arrangement] | None = None  # (exact count, order, arrangement)
    for n, order, arr in sorted(refined, key=lambda t: (-t[0], t[1])):
        if top is not None and (n, -order) < (top[0], -top[1]):
            continue
        exact[arr] = s.exact(arr)
        if top is None or (len(exact[arr][0]), -order) > (top[0], -top[1]):
            top = (len(exact[arr][0]), order, arr)
    assert top is not None
    xy, uv, j = exact[top[2]]
    finals = _Finals(s, refined, {arr: len(found[0]) for arr, found in exact.items()}, scored)
    return SiteSearch(top[2], xy, uv, j, fl.layers, kind, half, _Best(finals), _Ranked(finals))


class _Finals:
    """The search's finalists counted exactly, when first read (all but the winner are read
    only when a grouping of its sites fails, or for a diagnostic): each finalist's exact count,
    best first (``SiteSearch.ranked``), and the best count per family (``SiteSearch.best``),
    as the search would give them at once."""

    def __init__(
        self,
        searcher: _Searcher,
        refined: list[tuple[int, int, Arrangement]],
        counted: dict[Arrangement, int],
        scored: list[tuple[int, int, Arrangement]],
    ) -> None:
        self.searcher: _Searcher | None = searcher
        self.refined = refined
        self.counted = counted
        self.scored = scored
        self._ranked: tuple[tuple[Arrangement, int], ...] | None = None
        self._best: dict[str, int] = {}

    def ranked(self) -> tuple[tuple[Arrangement, int], ...]:
        searcher = self.searcher
        if self._ranked is None and searcher is not None:  # (a remembered search may be read by two threads)
            finals = []
            for _n, order, arr in self.refined:
                n = self.counted.get(arr)
                finals.append((len(searcher.exact(arr)[0]) if n is None else n, order, arr))
            best: dict[str, int] = {}
            for n, _o, arr in finals + self.scored:
                best[arr.family] = max(best.get(arr.family, 0), n)
            finals.sort(key=lambda t: (-t[0], t[1]))
            self._best = best
            self._ranked = tuple((a, n) for n, _o, a in finals)
            self.searcher = None  # its eroded floors are no longer needed
        assert self._ranked is not None
        return self._ranked

    def best(self) -> dict[str, int]:
        self.ranked()
        return self._best


class _Best(Mapping[str, int]):
    """``SiteSearch.best`` of a search: ``_Finals.best``, worked out when first read."""

    def __init__(self, finals: _Finals) -> None:
        self.finals = finals

    def __getitem__(self, family: str) -> int:
        return self.finals.best()[family]

    def __iter__(self) -> Iterator[str]:
        return iter(self.finals.best())

    def __len__(self) -> int:
        return len(self.finals.best())


class _Ranked(Sequence[tuple[Arrangement, int]]):
    """``SiteSearch.ranked`` of a search: ``_Finals.ranked``, worked out when first read."""

    def __init__(self, finals: _Finals) -> None:
        self.finals = finals

    @overload
    def __getitem__(self, k: int) -> tuple[Arrangement, int]: ...
    @overload
    def __getitem__(self, k: slice) -> tuple[tuple[Arrangement, int], ...]: ...
    def __getitem__(self, k: int | slice) -> tuple[Arrangement, int] | tuple[tuple[Arrangement, int], ...]:
        return self.finals.ranked()[k]

    def __len__(self) -> int:
        return len(self.finals.ranked())


def sites(pack: ir.Pack) -> SiteSearch:
    """The best arrangement for the pack's envelope and how many cells it holds (all layers).
    Synthesis may call this to replace its area bound with the real count."""
    return _search(pack, floor(pack))


def _site_search_for(pack: ir.Pack, fl: Floor, arr: Arrangement) -> SiteSearch:
    """The exact sites of one given arrangement (a runner-up of ``_search``)."""
    s = _Searcher(pack, fl)
    xy, uv, j = s.exact(arr)
    return SiteSearch(arr, xy, uv, j, fl.layers, s.kind, (s.hu, s.hv))


RELAX_MAX = 2000  # cells per layer: the most a relaxation is tried for. Its budget (relax.WORK,


# 1.5e6 cell-iterations, about 1 s) leaves under a thousand iterations above this, too few to
# move so many cells; and the lattice is then within about 1 % of the best packing (docs/packing.md)
def sites_for(pack: ir.Pack, needed: int, fl: Floor | None = None, lattice: SiteSearch | None = None) -> SiteSearch:
    """The sites ``place`` uses for ``needed`` cells: the best lattice's when it holds them;
    otherwise, for round cells and ``layout = auto``, a relaxed packing of exactly the cells
    each layer needs (``arrangement.family == "relaxed"``, battgen.passes.layout.relax) when the
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
