"""Relaxation: round cells packed into a floor by local optimisation, where no lattice fits.

``relax(usable, pitch, radius, count, seeds) -> np.ndarray | None`` looks for ``count``
centres in the floor ``usable`` (a shapely polygon, possibly non-convex and with holes)
such that

* every two centres are at least ``pitch`` apart (cell diameter plus gap), and
* every centre lies in ``usable`` at least ``radius`` from its boundary — the rule of
  ``floor._contained`` that ``verify`` re-checks.

Method: the penalty energy

    E(x) = Σ_pairs max(0, p − |xᵢ − xⱼ|)²  +  Σ_cells Σ_edges max(0, r − dist(xᵢ, edge))²

(a centre outside the floor pays (r + its distance to the floor)² instead) is zero exactly
on the feasible configurations. It is minimised by L-BFGS with an analytic, vectorised
gradient; neighbour pairs come from a k-d tree (scipy) rebuilt whenever a cell has moved far
enough that a pair outside the list could overlap, so the energy is always exact. Starts:
the lattice sites passed in with the missing cells put into the largest holes, then
hexagonal and square lattices shrunk until ``count`` sites fit (overlapping a little);
from the lattice start and then from the lowest energies, monotonic basin hopping
(perturb every cell, re-minimise, keep the result if the energy fell: Grosso, Jamali,
Locatelli & Schoen, J. Global Optim. 47 (2010) 63-81; Addis, Locatelli & Schoen used it for
disks in a square, Math. Prog. Comp. 2008). The work is bounded by counts — minimisations
and cell-iterations — never by the clock, and every random draw comes from a
``numpy.random.Generator`` with a fixed seed: the same input gives the same centres.

The minimiser is a small L-BFGS in numpy rather than scipy's L-BFGS-B: scipy's calls
OpenBLAS level-1 routines that OpenBLAS runs on several threads, and on a busy two-core
machine that made it 20 times slower (measured: 16 s of 21 s in ``setulb`` for 1,200 cells).

A configuration is returned only when it passes ``fits``: the exact check in metres with no
tolerance at all (``verify`` allows 1e-9 m). The search minimises with the pitch and the
radius inflated by ``INFLATE`` so that a zero energy leaves that margin.

All work is in units of the pitch (the pitch is 1), which keeps the energy well scaled for
any cell size. scipy is imported inside the functions: the language server never loads it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry.base import BaseGeometry

INFLATE = 2e-7  # relative: pitch and radius grow by this in the search. Far below grouping.contacts'
# 1e-6 contact tolerance (cells that touch in the search still touch for the grouping) and far
# above the float noise of coordinates of a few thousand pitches (1e-12 relative)
SKIN = 0.3  # pitches: neighbour lists hold pairs up to 1 + SKIN apart (about 6 neighbours a cell
# in a dense packing; a thinner skin rebuilds the lists more often, a thicker one scans more pairs)
GRID = 0.25  # pitches: spacing of the candidate points of the hole search (a quarter pitch finds
# every hole that holds a cell to within 0.18 pitch; the minimiser does the rest)
MEMORY = 8  # L-BFGS correction pairs (Nocedal & Wright suggest 3..20)
ARMIJO = 1e-4  # sufficient-decrease constant of the line search (Nocedal & Wright's usual c1)
STEP = 0.25  # pitches: the longest move of one L-BFGS step, so a step never jumps a cell past a
# neighbour (and the lists are rebuilt after a few steps at most)
WINDOW = 25  # iterations; a minimisation that gains less than STALL of its energy over WINDOW
STALL = 1e-3  # iterations is jammed: more iterations would not reach zero (measured on N = 10..100
# circles in a square: a stricter rule found no more packings and took twice as long)
HOP = 0.3  # pitches: basin hopping moves every cell by up to this along x and y (Grosso et al.
# perturb by a fraction of the radius; 0.3 pitch = 0.6 radius)
SEED_HOPS = 4  # hops from the lattice start before the other starts are tried: most packings a
# lattice misses are found from it (circles in a square 1 % above the best known, N = 10..100:
# 51 of the 61 the lattice missed)
MINIMISATIONS = 8  # the most local minimisations one call runs (starts and hops), for 50 cells or more
TURN = 3  # hops from one start before the next start's turn (a start whose basin holds no
# packing should not take the whole budget: N = 18 in a square is found from the second-best)
SMALL_WORK = 400  # cell-minimisations: a floor of under 50 cells gets SMALL_WORK / count of them
# instead (22 for 18 cells), as each costs little there and small irregular packings are the
# hardest to find (N = 18 in a square: 8 minimisations got within 2.08 % of the best known)
WORK = 1_500_000  # cell-iterations one call may spend (about 1 s at 0.7 µs per cell-iteration)
PULL = 1e-3  # pitches (of energy per pitch): the first pull of settling, small beside the penalty's
# stiffness (2) so cells stay within 1e-3 pitch of each other while they fall together
PULL_LAST = 1e-9  # the last pull: 100 cells deep it presses pairs by 5e-8 pitch, under INFLATE
BALANCE = 0.1  # settling stops when no cell feels more than this fraction of the pull
SETTLE_WORK = 1_500_000  # cell-iterations settling may spend (about 1 s), over its 7 pulls
SEED = 20240531  # the fixed seed of every random draw (any constant would do; the date this was written)


class _Floor:
    """The floor in pitch units: boundary edges as arrays, the polygon for inside tests, and
    candidate points (a grid over the centre region) for the hole search."""

    def __init__(self, usable: BaseGeometry, pitch: float, radius: float) -> None:
        scale = 1.0 / pitch
        self.scale = scale
        self.poly = affinity.scale(usable, scale, scale, origin=(0.0, 0.0))
        shapely.prepare(self.poly)
        self.boundary = self.poly.boundary
        shapely.prepare(self.boundary)
        self.radius = radius * scale
        rings = []
        for part in getattr(self.poly, "geoms", [self.poly]):
            rings.append(np.asarray(part.exterior.coords))
            rings += [np.asarray(r.coords) for r in part.interiors]
        self.a = np.concatenate([r[:-1] for r in rings])
        self.b = np.concatenate([r[1:] for r in rings])
        self.ab = self.b - self.a
        self.ab2 = np.maximum((self.ab**2).sum(axis=1), 1e-300)
        self.edges = shapely.linestrings(np.stack([self.a, self.b], axis=1))
        self.edge_tree = shapely.STRtree(self.edges)
        x0, y0, x1, y1 = self.poly.bounds
        gx = np.arange(x0 + GRID / 2, x1, GRID)
        gy = np.arange(y0 + GRID / 2, y1, GRID)
        gxx, gyy = np.meshgrid(gx, gy)
        self.grid = self.centres_allowed(np.column_stack([gxx.ravel(), gyy.ravel()]), self.radius)

    def centres_allowed(self, xy: np.ndarray, radius: float) -> np.ndarray:
        """The points of ``xy`` where a cell of ``radius`` fits (floor._contained's rule)."""
        if len(xy) == 0:
            return xy
        inside = shapely.intersects_xy(self.poly, xy[:, 0], xy[:, 1])
        idx = np.flatnonzero(inside)
        dist = shapely.distance(self.boundary, shapely.points(xy[idx]))
        inside[idx] = dist >= radius
        return xy[inside]

    def nearest_on_edges(self, xy: np.ndarray, edge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The nearest point of edge ``edge[k]`` to ``xy[k]`` and the distance."""
        a = self.a[edge]
        t = np.clip(((xy - a) * self.ab[edge]).sum(axis=1) / self.ab2[edge], 0.0, 1.0)
        q = a + t[:, None] * self.ab[edge]
        d = xy - q
        return d, np.hypot(d[:, 0], d[:, 1])


class _Energy:
    """E(x) and its gradient at a pitch of ``pitch`` (≈ 1) and cell radius ``radius``."""

    def __init__(self, floor: _Floor, n: int):
        self.floor = floor
        self.n = n
        # the neighbour lists, made by ``rebuild`` before the first evaluation
        self.ref: np.ndarray | None = None  # the centres the lists were made at (None: make them)
        self.pairs: np.ndarray = np.empty((0, 2), dtype=np.int64)
        self.wall_cell: np.ndarray = np.empty(0, dtype=np.int64)
        self.wall_edge: np.ndarray = np.empty(0, dtype=np.int64)
        self.pitch = 1.0
        self.radius = floor.radius
        self.pull: np.ndarray | None = None  # (2,) a uniform force on every cell (settling), or None

    def rebuild(self, xy: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self.ref = xy.copy()
        self.pairs = cKDTree(xy).query_pairs(self.pitch + SKIN, output_type="ndarray")
        cell, edge = self.floor.edge_tree.query(
            shapely.points(xy), predicate="dwithin", distance=self.radius + SKIN / 2
        )
        self.wall_cell, self.wall_edge = cell, edge
        self.near = np.unique(cell)  # the only cells that can cross an edge before the next rebuild
        self.inside = shapely.intersects_xy(self.floor.poly, xy[:, 0], xy[:, 1])

    def __call__(self, flat: np.ndarray) -> tuple[float, np.ndarray]:
        xy = flat.reshape(-1, 2)
        n = self.n
        if self.ref is None or np.max(np.abs(xy - self.ref)) > SKIN / 4:
            # a cell moved SKIN/4 along x or y (< SKIN/2 in distance): a pair that was more
            # than 1 + SKIN apart is still more than 1 apart, and an edge SKIN/2 away clear
            self.rebuild(xy)
        gx = np.zeros(n)
        gy = np.zeros(n)
        energy = 0.0
        i, j = self.pairs[:, 0], self.pairs[:, 1]
        if len(i):
            d = xy[j] - xy[i]
            dist = np.hypot(d[:, 0], d[:, 1])
            over = self.pitch - dist
            hit = over > 0
            if hit.any():
                o, dd, di = over[hit], d[hit], np.maximum(dist[hit], 1e-12)
                energy += _dot(o, o)
                f = 2 * o / di
                fx, fy = f * dd[:, 0], f * dd[:, 1]
                gx += np.bincount(i[hit], fx, n) - np.bincount(j[hit], fx, n)
                gy += np.bincount(i[hit], fy, n) - np.bincount(j[hit], fy, n)
        fl = self.floor
        inside = self.inside
        if len(self.near):
            inside = inside.copy()
            inside[self.near] = shapely.intersects_xy(fl.poly, xy[self.near, 0], xy[self.near, 1])
        if len(self.wall_cell):
            keep = inside[self.wall_cell]
            cell, edge = self.wall_cell[keep], self.wall_edge[keep]
            d, dist = fl.nearest_on_edges(xy[cell], edge)
            short = self.radius - dist
            hit = short > 0
            if hit.any():
                s, dd, di, c = short[hit], d[hit], np.maximum(dist[hit], 1e-12), cell[hit]
                energy += _dot(s, s)
                f = -2 * s / di
                gx += np.bincount(c, f * dd[:, 0], n)
                gy += np.bincount(c, f * dd[:, 1], n)
        out = np.flatnonzero(~inside)
        if out.size:
            # outside the floor: pulled to the nearest edge, paying (r + distance)²
            m = len(fl.a)
            cell = np.repeat(out, m)
            edge = np.tile(np.arange(m), out.size)
            d, dist = fl.nearest_on_edges(xy[cell], edge)
            k = dist.reshape(out.size, m).argmin(axis=1)
            pick = np.arange(out.size) * m + k
            d, dist = d[pick], np.maximum(dist[pick], 1e-12)
            s = self.radius + dist
            energy += _dot(s, s)
            f = 2 * s / dist
            gx[out] += f * d[:, 0]
            gy[out] += f * d[:, 1]
        if self.pull is not None:
            energy -= float((xy @ self.pull).sum())
            gx -= self.pull[0]
            gy -= self.pull[1]
        return energy, np.column_stack([gx, gy]).ravel()


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    # an elementwise product and numpy's pairwise sum, not BLAS: OpenBLAS threads the level-1
    # routines, which on a loaded 2-core machine made scipy's L-BFGS-B 20× slower (measured)
    return float((a * b).sum())


def _minimise(energy: _Energy, xy: np.ndarray, iterations: int, balance: float = 0.0) -> tuple[np.ndarray, float, int]:
    """L-BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., algorithm 7.4, ``MEMORY``
    pairs) with a backtracking Armijo line search, from ``xy`` until the energy is zero (a
    packing), stalls (a jammed state: less than STALL relative progress over WINDOW
    iterations) or ``iterations`` run out. No step moves a cell more than ``STEP``. Returns
    the centres, the energy and the iterations used."""
    energy.ref = None
    x = xy.ravel().copy()
    f, g = energy(x)
    pairs: list[tuple[np.ndarray, np.ndarray, float]] = []
    history = [f]
    for _ in range(iterations):
        if balance:  # settling: the energy has a linear part; stop at force balance
            if float(np.abs(g).max()) <= balance:
                break
        elif f == 0.0:
            break
        q = g.copy()
        alpha = []
        for s, y, rho in reversed(pairs):
            a = rho * _dot(s, q)
            q -= a * y
            alpha.append(a)
        if pairs:
            s, y, _rho = pairs[-1]
            q *= _dot(s, y) / _dot(y, y)
        for (s, y, rho), a in zip(pairs, reversed(alpha)):
            q += s * (a - rho * _dot(y, q))
        d = -q
        slope = _dot(g, d)
        if slope >= 0.0:  # not a descent direction: restart from steepest descent
            pairs.clear()
            d = -g
            slope = -_dot(g, g)
        longest = float(np.abs(d).max())
        # no curvature known yet (a first step, or free cells under a pull): move STEP
        t = (STEP / longest if not pairs else min(1.0, STEP / longest)) if longest > 0 else 1.0
        while True:
            xn = x + t * d
            fn, gn = energy(xn)
            if fn <= f + ARMIJO * t * slope or t < 1e-20:
                break
            t *= 0.5
        if fn >= f:
            break  # no progress at the smallest step: a minimum to float precision
        s, y = xn - x, gn - g
        sy = _dot(s, y)
        if sy > 1e-300:  # curvature condition; otherwise keep the old pairs
            pairs.append((s, y, 1.0 / sy))
            if len(pairs) > MEMORY:
                pairs.pop(0)
        x, f, g = xn, fn, gn
        history.append(f)
        if not balance and len(history) > WINDOW and f > (1 - STALL) * history[-WINDOW - 1]:
            break
    return x.reshape(-1, 2), f, len(history) - 1


def _holes(floor: _Floor, xy: np.ndarray, k: int) -> np.ndarray:
    """``k`` points, one after the other, each the candidate farthest from every cell so far."""
    from scipy.spatial import cKDTree

    grid = floor.grid
    if len(grid) == 0:
        return np.empty((0, 2))
    if len(xy):
        far = cKDTree(xy).query(grid)[0]
    else:
        far = np.full(len(grid), np.inf)
    out = []
    for _ in range(k):
        best = int(np.argmax(far))
        p = grid[best]
        out.append(p)
        far = np.minimum(far, np.hypot(grid[:, 0] - p[0], grid[:, 1] - p[1]))
    return np.array(out).reshape(-1, 2)


def _compressed(floor: _Floor, count: int, family: str, angle: float) -> np.ndarray | None:
    """``count`` sites of a hexagonal or square lattice at angle ``angle`` whose pitch is
    shrunk (bisection, 12 steps: to 0.02 %) until ``count`` of its sites fit: overlapping a
    little, a start that keeps the lattice's order. Sites beyond ``count``: the ones
    farthest from the floor's centroid go."""
    x0, y0, x1, y1 = floor.poly.bounds
    c, s = math.cos(angle), math.sin(angle)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = math.hypot(x1 - x0, y1 - y0) / 2 + 2

    def sites(q: float) -> np.ndarray:
        rows = int(half / (q * (math.sqrt(3) / 2 if family == "hex" else 1))) + 1
        cols = int(half / q) + 1
        j, i = np.mgrid[-rows : rows + 1, -cols : cols + 1]
        v = j * q * (math.sqrt(3) / 2 if family == "hex" else 1)
        u = (i + (0.5 * (j % 2) if family == "hex" else 0)) * q
        xy = np.column_stack([(cx + u * c - v * s).ravel(), (cy + u * s + v * c).ravel()])
        return floor.centres_allowed(xy, floor.radius * q)

    lo, hi = 0.5, 1.0
    if len(sites(hi)) >= count or len(sites(lo)) < count:
        return None
    for _ in range(12):
        mid = (lo + hi) / 2
        if len(sites(mid)) >= count:
            lo = mid
        else:
            hi = mid
    xy = sites(lo)
    centre = np.asarray(floor.poly.centroid.coords[0])
    keep = np.argsort(np.hypot(*(xy - centre).T), kind="stable")[:count]
    return xy[np.sort(keep)]


def _starts(
    floor: _Floor, count: int, seeds: np.ndarray | None, rng: np.random.Generator
) -> Iterator[tuple[str, np.ndarray]]:
    """Starting configurations, best first: the seeds with the missing cells in the largest
    holes; hexagonal (rows at 0°, 90° and 15°) and square lattices shrunk until ``count``
    sites fit; then seeded random draws from the candidate points."""
    if seeds is not None and len(seeds):
        base = np.asarray(seeds, dtype=float)[:count] * floor.scale
        yield "seed", np.concatenate([base, _holes(floor, base, count - len(base))])
    for family, angle in (("hex", 0.0), ("hex", math.pi / 2), ("square", 0.0), ("hex", math.pi / 12)):
        got = _compressed(floor, count, family, angle)
        if got is not None:
            yield f"{family}{angle:.2f}", got
    while True:
        pick = rng.choice(len(floor.grid), size=count, replace=len(floor.grid) < count)
        yield "random", floor.grid[pick] + rng.uniform(-GRID / 2, GRID / 2, size=(count, 2))


def _settle(energy: _Energy, xy: np.ndarray, pull: np.ndarray, iterations: int) -> np.ndarray:
    """Press the cells of a packing together so that neighbours touch (the grouping needs
    touching cells, and a packing with room to spare leaves many apart): a uniform pull on
    every cell, PULL at first so that they fall against each other and the floor's edge,
    then weakened tenfold at a time to PULL_LAST, each time minimised to force balance within
    BALANCE of the pull. Under a pull g a pair is pressed by about g × (cells behind it) / 2:
    at PULL_LAST that is inside the INFLATE margin, so pressed pairs end between p and
    p (1 + INFLATE) apart — touching, for ``grouping.contacts``, and not overlapping.
    (Dropping the pull at once instead lets L-BFGS overshoot: pairs part by 1e-5..1e-3.)"""
    g = PULL
    while g >= PULL_LAST * (1 - 1e-9):
        energy.pull = pull * g
        xy, _e, _used = _minimise(energy, xy, iterations, balance=BALANCE * g)
        g /= 10
    energy.pull = None
    return xy


def fits(usable: BaseGeometry, pitch: float, radius: float, xy: np.ndarray) -> bool:
    """The exact check, in metres and without tolerance: centres ``pitch`` apart, inside the
    floor and ``radius`` from its every edge (``floor._contained``'s rule, which ``verify``
    applies with 1e-9 m of tolerance)."""
    from scipy.spatial import cKDTree

    if len(xy) == 0:
        return True
    inside = shapely.intersects_xy(usable, xy[:, 0], xy[:, 1])
    if not inside.all():
        return False
    if (shapely.distance(usable.boundary, shapely.points(xy)) < radius).any():
        return False
    close = cKDTree(xy).query_pairs(pitch, output_type="ndarray")  # pairs at distance ≤ pitch
    if len(close):
        d = xy[close[:, 1]] - xy[close[:, 0]]
        if (np.hypot(d[:, 0], d[:, 1]) < pitch).any():
            return False
    return True


def relax(
    usable: BaseGeometry,
    pitch: float,
    radius: float,
    count: int,
    seeds: np.ndarray | None = None,
    minimisations: int | None = None,
    work: int = WORK,
) -> np.ndarray | None:
    """``count`` centres (m, the floor's frame) of round cells ``pitch`` apart and ``radius``
    clear of the floor's edges, or None when the search finds none within its budget
    (``minimisations`` local minimisations — MINIMISATIONS, more for small counts — and
    ``work`` cell-iterations). ``seeds``: centres
    that fit (the best lattice's sites, fewer than ``count``) to start from."""
    if count <= 0:
        return np.empty((0, 2))
    floor = _Floor(usable, pitch, radius)
    if len(floor.grid) == 0:
        return None
    if minimisations is None:
        minimisations = max(MINIMISATIONS, SMALL_WORK // count)
    rng = np.random.default_rng(SEED)
    energy = _Energy(floor, count)
    energy.pitch = 1.0 + INFLATE
    energy.radius = floor.radius * (1.0 + INFLATE)
    left = {"minimisations": minimisations, "iterations": max(work // count, 1)}

    def minimise(xy: np.ndarray) -> tuple[np.ndarray, float]:
        xy, e, used = _minimise(energy, xy, left["iterations"])
        left["minimisations"] -= 1
        left["iterations"] -= used
        return xy, e

    def spent() -> bool:
        return left["minimisations"] <= 0 or left["iterations"] <= 0

    def done(xy: np.ndarray, e: float) -> np.ndarray | None:
        if e != 0.0:
            return None
        metres = xy * pitch
        return metres if fits(usable, pitch, radius, metres) else None

    def hop(xy: np.ndarray, e: float, times: int) -> tuple[np.ndarray, float]:
        """Monotonic basin hopping: perturb every cell, re-minimise, keep what lowers E."""
        for _ in range(times):
            if spent():
                break
            trial, et = minimise(xy + rng.uniform(-HOP, HOP, size=xy.shape))
            if et < e:
                xy, e = trial, et
                if done(xy, e) is not None:
                    break
        return xy, e

    found: list[tuple[float, int, np.ndarray]] = []
    for k, (name, xy) in enumerate(_starts(floor, count, seeds, rng)):
        if spent() or name == "random" and found:
            break
        xy, e = minimise(xy)
        if name == "seed":
            xy, e = hop(xy, e, SEED_HOPS)
        got = done(xy, e)
        if got is not None:
            return got
        found.append((e, k, xy))
    found.sort(key=lambda t: (t[0], t[1]))  # then hop from each, lowest energy first, in turns
    while found and not spent():
        for k, (e, order, xy) in enumerate(found):
            xy, e = hop(xy, e, TURN)
            got = done(xy, e)
            if got is not None:
                return got
            found[k] = (e, order, xy)
    return None


def density_bound(usable: BaseGeometry, pitch: float, radius: float) -> int:
    """At most this many centres ``pitch`` apart fit: Oler's inequality (N. Oler, Canad.
    Math. Bull. 4 (1961) 153-155; Folkman & Graham 1969) for points at mutual distance ≥ p
    in a convex region C, N ≤ 2/√3 · A(C)/p² + P(C)/(2p) + 1, applied to each piece of the
    region where centres may lie (the floor less ``radius``) and summed. For non-convex pieces
    the inequality is not proven; the layout pass uses it only to skip hopeless relaxations."""
    # eroded by 1 % less than the radius: the buffer's chords (16 a quarter circle) cut 0.12 % of
    # the radius off concave corners, and an overestimate only costs a relaxation that fails
    region = usable.buffer(-0.99 * radius, quad_segs=16)
    total = 0.0
    for piece in getattr(region, "geoms", [region]):
        if piece.is_empty:
            continue
        total += 2 / math.sqrt(3) * piece.area / pitch**2 + piece.length / (2 * pitch) + 1
    return math.floor(total + 1e-9)


def settle(usable: BaseGeometry, pitch: float, radius: float, xy: np.ndarray) -> np.ndarray:
    """The packing ``xy`` (m) with its cells pressed together so that neighbours touch
    (``_settle``), pulled across the floor's shorter extent (the shallowest pile, which
    settles fastest); ``xy`` itself when the pressed packing does not pass ``fits``."""
    if len(xy) == 0:
        return xy
    floor = _Floor(usable, pitch, radius)
    energy = _Energy(floor, len(xy))
    energy.pitch = 1.0 + INFLATE
    energy.radius = floor.radius * (1.0 + INFLATE)
    x0, y0, x1, y1 = floor.poly.bounds
    pull = np.array([0.0, -1.0]) if x1 - x0 >= y1 - y0 else np.array([-1.0, 0.0])
    pressed = _settle(energy, xy * floor.scale, pull, max(SETTLE_WORK // (7 * len(xy)), 1)) * pitch
    return pressed if fits(usable, pitch, radius, pressed) else xy
