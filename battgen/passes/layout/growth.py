"""Grouping relaxed (off-lattice) sites: there are no rows to follow, so the groups are grown
one after the other over the contact graph (``_grow``), from start cells in a few sweep orders
(``_relaxed_orderings``), backtracking a bounded number of times; the valid groupings are ranked
as ``layout.grouping`` ranks a lattice's (``_most_compact``).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator

import numpy as np

from battgen.passes.layout.grouping import (
    Grouping,
    Ranked,
    _group_spread,
    _module_intrusion,
    _most_compact,
    _Plan,
    _series_links,
    contacts,
)
from battgen.passes.layout.sites import HEX_V, SiteSearch


def _relaxed_orderings(xy: np.ndarray, per_group: int, pitch: float) -> Iterator[tuple[str, np.ndarray]]:
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


def _adjacency(n: int, pairs: np.ndarray) -> list[list[int]]:
    """Each cell's touching neighbours (both directions of every contact pair), in pair order."""
    both = np.concatenate([pairs, pairs[:, ::-1]]) if len(pairs) else np.empty((0, 2), dtype=np.int64)
    both = both[np.argsort(both[:, 0], kind="stable")]
    start_of = np.searchsorted(both[:, 0], np.arange(n + 1)).tolist()
    nbrs = both[:, 1].tolist()
    return [nbrs[start_of[c] : start_of[c + 1]] for c in range(n)]


class _Growth:
    """The state of ``_grow``: which cells are free, how many free neighbours each has and how
    many free cells are cut off; a group grown from a start cell, and the start cells worth
    trying for the next group."""

    def __init__(self, adjacency: list[list[int]], rank: np.ndarray, plan: _Plan) -> None:
        self.adjacency = adjacency
        self.plan = plan
        self.free = [True] * len(adjacency)
        self.degree = [len(a) for a in adjacency]  # free neighbours
        self.by_rank = np.argsort(rank, kind="stable").tolist()
        self.rank = rank.tolist()
        self.cut_off = self.degree.count(0)  # free cells without a free neighbour (never in a group of P > 1)

    def take(self, c: int) -> None:
        self.free[c] = False
        if self.degree[c] == 0:
            self.cut_off -= 1
        for m in self.adjacency[c]:
            self.degree[m] -= 1
            if self.free[m] and self.degree[m] == 0:
                self.cut_off += 1

    def give_back(self, c: int) -> None:
        for m in self.adjacency[c]:
            if self.free[m] and self.degree[m] == 0:
                self.cut_off -= 1
            self.degree[m] += 1
        self.free[c] = True
        if self.degree[c] == 0:
            self.cut_off += 1

    def grow(self, start: int) -> list[int] | None:
        """A group of P from ``start``: the lowest-ranked free neighbour next, a neighbour about
        to be cut off first; None (and every cell given back) when the group cannot be grown."""
        free, degree, rank = self.free, self.degree, self.rank
        members = [start]
        self.take(start)
        heap = [(degree[m] > 0, rank[m], m) for m in self.adjacency[start] if free[m]]
        heapq.heapify(heap)
        while len(members) < self.plan.per_group:
            while heap and (not free[heap[0][2]] or heap[0][0] != (degree[heap[0][2]] > 0)):
                _k, _r, c = heapq.heappop(heap)
                if free[c]:  # its key changed: queue it again
                    heapq.heappush(heap, (degree[c] > 0, rank[c], c))
            if not heap:
                for c in reversed(members):
                    self.give_back(c)
                return None
            _k, _r, c = heapq.heappop(heap)
            members.append(c)
            self.take(c)
            for m in self.adjacency[c]:
                if free[m]:
                    heapq.heappush(heap, (degree[m] > 0, rank[m], m))
        return members

    def candidates(self, g: int, previous: list[int]) -> list[int]:
        """Start cells for group ``g``: the lowest-ranked free cells for the first of a string,
        else the free cells touching the previous group, fewest free neighbours first."""
        if g % self.plan.series == 0:
            return [c for c in self.by_rank if self.free[c]][:GROW_ALTERNATIVES]
        touching = {c for m in previous for c in self.adjacency[m] if self.free[c]}
        return sorted(touching, key=lambda c: (self.degree[c], self.rank[c]))[:GROW_ALTERNATIVES]


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
    growth = _Growth(_adjacency(n, pairs), rank, plan)
    groups: list[list[int]] = []
    tries: list[tuple[list[int], int]] = []
    budget = GROW_BUDGET * plan.groups
    while len(groups) < plan.groups:
        g = len(groups)
        if len(tries) == g:
            tries.append((growth.candidates(g, groups[-1] if groups else []), 0))
        options, k = tries[g]
        members = None
        while k < len(options) and budget > 0:
            budget -= 1
            got = growth.grow(options[k])
            k += 1
            if got is not None and (plan.per_group == 1 or growth.cut_off <= spare):
                members = got
                break
            if got is not None:
                for c in reversed(got):
                    growth.give_back(c)
        tries[g] = (options, k)
        if members is not None:
            groups.append(members)
            continue
        tries.pop()
        if not groups or budget <= 0:
            return None
        for c in reversed(groups.pop()):
            growth.give_back(c)
    return np.array([c for members in groups for c in members], dtype=np.int64)


def _group_relaxed(ss: SiteSearch, plan: _Plan, gap: float, budget: int = 10) -> tuple[Grouping | None, int]:
    """``_group`` for relaxed sites: the groups grown over the contact graph (``_grow``) in
    each of the ``_relaxed_orderings``; the most compact valid grouping wins."""
    n1 = ss.per_layer
    need = plan.cells
    layers_used = min(ss.layers, math.ceil(need / n1)) if n1 else 0
    xy_all = np.tile(ss.xy, (layers_used, 1))
    layer_all = np.repeat(np.arange(layers_used), n1)
    pairs = contacts(xy_all, layer_all, ss.kind, ss.half, gap, 0.0)
    tried = 0
    valid: list[Ranked] = []
    for desc, rank in _relaxed_orderings(ss.xy, plan.per_group, ss.arr.pu):
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
