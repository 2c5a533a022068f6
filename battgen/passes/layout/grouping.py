"""Grouping: the sites cut into parallel groups of touching cells, in series order, and modules.

On a lattice the sites are ordered along a serpentine (boustrophedon) path over bands of rows
or columns, cut into runs of P; each run must be connected through touching neighbours
(followed along the order, ``_groups_connected``: what scipy's connected components over the
contact graph would say), consecutive runs must touch, and modules are runs of consecutive
groups, of the sizes the pack declares (``module_series``) or equal. The contacts of lattice
sites come from the lattice's rows (``_lattice_contacts``), others from a k-d tree
(``contacts``). Several band widths, band directions and start corners are tried, and orders
that keep modules blocks (``_module_strip_orderings``: whole modules in each band, or one strip
of columns or rows per module). On relaxed (off-lattice) sites there are no rows to follow:
the groups are grown one after the other over the contact graph (``layout.growth``).

Among the valid groupings whose groups are within 25 % of the most compact (least second
moment about their centroids), the one whose modules wrap least round one another wins (no
cell inside another module's convex hull: modules are blocks), then the one with the shortest,
widest links between consecutive groups (``_series_links``, the busbars' length over width).
A scattered or unequal grouping is never returned: when no ordering works ``place`` answers
E602.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from battgen.passes.layout.sites import SiteSearch
from battgen.passes.synthesis import Candidate

# A grouping found: the site of each cell in series order, its layer, and how it was found.
Grouping = tuple[np.ndarray, np.ndarray, str]
# A valid grouping as ranked by ``_most_compact``: (group spread, module intrusion, series
# links, order tried, chosen sites, description).
Ranked = tuple[float, int, float, int, np.ndarray, str]


# --- the plan: groups and modules to make ---------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """The groups a candidate needs: how many, of how many cells, in how many strings and modules."""

    groups: int  # S × strings
    per_group: int  # P / strings
    series: int
    strings: int
    modules: int
    per_module: int  # groups in the largest module; 0 when the groups do not split into modules
    module_groups: tuple[int, ...] = ()  # groups in each module, in series order (all strings)

    def __post_init__(self) -> None:
        if not self.module_groups and self.per_module > 0 and self.per_module * self.modules == self.groups:
            object.__setattr__(self, "module_groups", (self.per_module,) * self.modules)  # equal modules

    @property
    def cells(self) -> int:
        return self.groups * self.per_group

    @property
    def module_starts(self) -> np.ndarray:
        """The first group of each module, and the group count after the last: (modules + 1,)."""
        return np.concatenate([[0], np.cumsum(self.module_groups, dtype=np.int64)])

    def module_of_group(self) -> np.ndarray:
        """The module of every group (in series order): runs of consecutive groups."""
        return np.repeat(np.arange(len(self.module_groups)), self.module_groups)

    @property
    def module_cells(self) -> tuple[int, ...]:
        """Cells in each module, in series order."""
        return tuple(k * self.per_group for k in self.module_groups)


def _plan(candidate: Candidate) -> _Plan:
    """How ``candidate``'s cells split: S × strings groups of P / strings cells, in modules of
    consecutive groups — the declared sizes (``module_series``, repeated for every string), else
    equal ones (``per_module`` 0 when the groups do not split into equal modules)."""
    strings = max(int(getattr(candidate, "strings", 1) or 1), 1)
    if candidate.parallel % strings:
        strings = 1
    groups = candidate.series * strings
    modules = max(int(candidate.modules), 1)
    declared = tuple(getattr(candidate, "module_series", ()) or ())
    if declared and sum(declared) == candidate.series and len(declared) * strings == modules:
        sizes = declared * strings
    elif groups % modules == 0:
        sizes = (groups // modules,) * modules
    else:
        sizes = ()
    per_module = max(sizes) if sizes else 0
    return _Plan(groups, candidate.parallel // strings, candidate.series, strings, modules, per_module, sizes)


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


def _lattice_contacts(ss: SiteSearch, gap: float) -> np.ndarray | None:
    """``contacts`` of one layer of round cells on a lattice (hex, square, stretched rows), from
    the lattice's rows instead of a k-d tree: the pairs of sites a row or a few apart whose
    centres are within the same reach, by the same squared distance (x, then y, then the nil
    height) against the reach squared, in the same order. None off a lattice, and where a
    pair's distance is within 1e-9 of the reach (the k-d tree decides those)."""
    arr = ss.arrangement
    if arr is None or ss.kind != "cylindrical" or arr.family not in ("hex", "square", "stretched") or not ss.per_layer:
        return None
    reach = 2 * ss.half[0] + gap
    r = reach + 1e-6 * reach  # as ``contacts`` asks the tree
    wide = r * (1 + 1e-6)  # every pair within r is among the candidates
    u, j = ss.uv[:, 0], ss.row
    shift = np.where(j % 2 == 1, arr.shift, 0.0)
    i = np.rint((u - arr.ou - shift) / arr.pu).astype(np.int64)
    if np.abs(arr.ou + shift + i * arr.pu - u).max() > 1e-6 * arr.pu:
        return None  # not the lattice's own sites
    i = i - int(i.min())
    rows, cols = int(j.max()) + 1, int(i.max()) + 1
    site = np.full((rows, cols), -1, dtype=np.int64)
    site[j, i] = np.arange(len(j))
    if int(np.count_nonzero(site >= 0)) != len(j):
        return None  # two sites in one place
    firsts, seconds = [], []
    for dj in range(int(wide // arr.pv) + 1):
        for parity in (0, 1):
            on = np.flatnonzero((j % 2 == parity) & (j + dj < rows))
            d = (arr.shift if (parity + dj) % 2 else 0.0) - (arr.shift if parity else 0.0)  # the rows' offset along u
            for di in range(math.ceil((-wide - d) / arr.pu), math.floor((wide - d) / arr.pu) + 1):
                if (dj == 0 and di <= 0) or (d + di * arr.pu) ** 2 + (dj * arr.pv) ** 2 > wide**2:
                    continue
                ni = i[on] + di
                inside = (ni >= 0) & (ni < cols)
                other = site[j[on][inside] + dj, ni[inside]]
                firsts.append(on[inside][other >= 0])
                seconds.append(other[other >= 0])
    a, b = np.concatenate(firsts), np.concatenate(seconds)
    dx, dy = ss.xy[a, 0] - ss.xy[b, 0], ss.xy[a, 1] - ss.xy[b, 1]
    d2 = dx * dx + dy * dy + 0.0
    r2 = r * r
    if (np.abs(d2 - r2) <= 1e-9 * r2).any():
        return None
    near = d2 <= r2
    pairs = np.column_stack([np.minimum(a, b)[near], np.maximum(a, b)[near]])
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))] if len(pairs) else np.empty((0, 2), dtype=np.int64)


def _components(n: int, pairs: np.ndarray, label: np.ndarray) -> int:
    """Connected components of the contact graph restricted to pairs with equal labels."""
    keep = label[pairs[:, 0]] == label[pairs[:, 1]] if len(pairs) else np.zeros(0, dtype=bool)
    p = pairs[keep]
    return _count_components(n, p[:, 0], p[:, 1])


def _too_few_contacts(inner: np.ndarray, plan: _Plan) -> bool:
    """Some group has fewer than P − 1 contacts among its cells, so it cannot be connected: a
    quick refusal before the connections are followed (on the sedan 42 of the 154 orderings
    that fail). ``inner``: the group of each contact inside a group."""
    return bool((np.bincount(inner, minlength=plan.groups) < plan.per_group - 1).any())


def _consecutive_touch(pairs: np.ndarray, label: np.ndarray, plan: _Plan) -> bool:
    """Every group touches the next one in its string (labels ``plan.groups`` and above, or
    below 0: unused)."""
    return _next_touches(label[pairs[:, 0]], label[pairs[:, 1]], plan)


def _next_touches(la: np.ndarray, lb: np.ndarray, plan: _Plan) -> bool:
    """``_consecutive_touch`` from the labels of each contact pair's two cells."""
    if plan.groups < 2:
        return True
    step = la - lb
    ok = (step == 1) | (step == -1)
    a, b = la[ok], lb[ok]
    low = np.minimum(a, b)
    touching = np.zeros(plan.groups, dtype=bool)
    touching[low[(low >= 0) & (np.maximum(a, b) < plan.groups)]] = True
    needed = np.ones(plan.groups - 1, dtype=bool)
    needed[plan.series - 1 :: plan.series] = False  # string ends need not touch the next string
    return bool(touching[:-1][needed].all())


def _groups_connected(lo: np.ndarray, hi: np.ndarray, need: int, plan: _Plan) -> bool:
    """Is every group (runs of P positions of the series order) connected through touching
    cells, as ``_components`` finds? ``lo`` < ``hi``: the positions of the two cells of each
    contact inside a group. Each position is hung on an earlier one it touches (a forest:
    every group's first position is a root), and while two trees of a group touch, the later
    root is hung on the earlier: the groups are connected when one tree is left in each. Most
    groups of a serpentine are one tree at once; a few rounds join the rest (no graph of every
    site is built)."""
    parent = np.arange(need)
    parent[hi] = lo  # any earlier position it touches
    for _round in range(64):
        while True:  # each position straight to its root
            up = parent[parent]
            if (up == parent).all():
                break
            parent = up
        if int(np.count_nonzero(parent == np.arange(need))) == plan.groups:
            return True
        ra, rb = parent[lo], parent[hi]
        apart = ra != rb
        if not apart.any():
            return False  # trees of a group that do not touch
        ra, rb = ra[apart], rb[apart]
        parent[np.maximum(ra, rb)] = np.minimum(ra, rb)
    return _count_components(need, lo, hi) == plan.groups


def _count_components(n: int, a: np.ndarray, b: np.ndarray) -> int:
    """Connected components of the graph of ``n`` nodes and edges (a, b)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    return int(connected_components(graph, directed=False)[0])


def _largest_island(ss: SiteSearch, gap: float) -> int:
    """The most sites (all layers) joined through touching cells: the largest piece of floor a
    grouping could use."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = ss.per_layer
    if n == 0:
        return 0
    pairs = contacts(ss.xy, np.zeros(n, dtype=np.int64), ss.kind, ss.half, gap, ss.arr.angle)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    labels = connected_components(graph, directed=False)[1]
    return int(np.bincount(labels).max()) * ss.layers


# --- lattice sites: serpentine orderings ----------------------------------------------------


def _lex_order(*keys: np.ndarray, head: np.ndarray | None = None) -> np.ndarray:
    """``np.lexsort`` of integer keys given most significant first, from one sort of a combined
    key (lexsort sorts once per key, and the serpentines sort thousands of sites hundreds of
    times): the same stable order. ``head``: ``_lex_key`` of all the keys but the last, when
    known (a serpentine's two orders share it)."""
    if not len(keys[0]):
        return np.zeros(0, dtype=np.int64)
    combined = _lex_key(*keys) if head is None else _lex_key(keys[-1], head=head)
    if combined is None:  # would overflow: sort key by key
        return np.lexsort(keys[::-1])
    return np.argsort(combined, kind="stable")


def _lex_key(*keys: np.ndarray, head: np.ndarray | None = None) -> np.ndarray | None:
    """The keys (integers, most significant first; after ``head``, a key made so before) as
    one integer that sorts as they do lexicographically, or None when it would overflow."""
    combined = np.zeros(len(keys[0]), dtype=np.int64) if head is None else head
    spans = 1 if head is None else int(head.max()) + 1
    for k in keys:
        low = int(k.min())
        span = int(k.max()) - low + 1
        spans *= span
        if spans >= 2**62:
            return None
        combined = combined * span + (k - low)
    return combined


class _Serpentine:
    """Orders of sites band by band (alternating direction), line by line within a band, and
    along each line alternately forwards and backwards (a boustrophedon): ``order(0)`` starts
    each band going forwards, ``order(1)`` finishes it going forwards. The lines' ranks are
    worked out once for both, and a band of an odd number of lines runs alike either way."""

    def __init__(self, band: np.ndarray, line: np.ndarray, pos: np.ndarray) -> None:
        self.band, self.pos = band, pos
        self.line_dir = np.where(band % 2 == 0, line, -line)
        self.rank, self.lines = _line_ranks(band, self.line_dir)
        self._orders: dict[int, np.ndarray] = {}
        self._head: np.ndarray | None = None  # (band, line) as one number, as _lex_order combines them

    def order(self, rule: int) -> np.ndarray:
        if rule == 1 and 0 in self._orders and (self.lines % 2 == 1).all():
            return self._orders[0]  # every band of an odd number of lines: the same turns
        rank = self.lines - 1 - self.rank if rule == 1 else self.rank
        forwards = rank % 2 == 0
        along = np.where(forwards, self.pos, -self.pos)
        if self._head is None and self.band.size:
            self._head = _lex_key(self.band, self.line_dir)
        self._orders[rule] = _lex_order(self.band, self.line_dir, along, head=self._head)
        return self._orders[rule]


def _line_ranks(band: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each site's line's rank among the distinct lines of its band (in increasing ``line``),
    and how many lines its band has: counted along a table of every (band, line) pair, which
    is linear in the sites (no sort) while the table stays small beside them."""
    if not band.size:
        return band.copy(), band.copy()
    band0, line0 = int(band.min()), int(line.min())
    span = int(line.max()) - line0 + 1
    bands = int(band.max()) - band0 + 1
    b = band - band0
    if bands * span > 16 * band.size + 1024:  # sparse pairs: rank the distinct ones instead
        pairs, pair = np.unique(b * span + (line - line0), return_inverse=True)
        pair_band = pairs // span
        first = np.searchsorted(pair_band, pair_band, side="left")
        after = np.searchsorted(pair_band, pair_band, side="right")
        return (np.arange(pairs.size) - first)[pair], (after - first)[pair]
    cell = b * span + (line - line0)
    present = np.zeros(bands * span, dtype=bool)
    present[cell] = True
    pairs = np.flatnonzero(present)  # the (band, line) pairs there are, in order
    index = np.empty(bands * span, dtype=np.int64)
    index[pairs] = np.arange(pairs.size)
    lines = np.bincount(pairs // span, minlength=bands)  # each band's
    return index[cell] - (np.cumsum(lines) - lines)[b], lines[b]


def _dense_ranks(values: np.ndarray) -> np.ndarray:
    """Each value's rank among the distinct values (``np.unique``'s inverse) of non-negative
    integers, from a table of them (no sort) while it stays small beside them."""
    span = int(values.max()) + 1 if values.size else 0
    if span > 16 * values.size + 1024:
        return np.unique(values, return_inverse=True)[1]
    present = np.zeros(span, dtype=bool)
    present[values] = True
    distinct = np.flatnonzero(present)
    index = np.empty(present.size, dtype=np.int64)
    index[distinct] = np.arange(distinct.size)
    return index[values]


def _frames(ss: SiteSearch) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The four start corners of the sites: (u in lattice pitches from the first column, row,
    distinct-u column rank) with u and the rows each read forwards or backwards."""
    u, j = ss.uv[:, 0], ss.row
    a = ss.arr
    if not u.size:
        return
    col = np.round((u - u.min()) / (a.pu / 2 if a.shift else a.pu) * 4).astype(np.int64)  # distinct u positions
    rows = int(j.max()) + 1
    ui = np.round((u - u.min()) / a.pu, 6)
    for flip_u in (False, True):
        for flip_v in (False, True):
            uu = -ui if flip_u else ui
            yield uu - uu.min(), (rows - 1 - j) if flip_v else j, -col if flip_u else col


def _whole_modules(order: np.ndarray, band: np.ndarray, module_cells: tuple[int, ...]) -> np.ndarray:
    """``order`` (a band-by-band serpentine) with each band holding whole modules only (the
    next modules in series order, of ``module_cells`` cells each, while they fit): the sites
    left over in a band go unused — at the band's end, or at its start in every second band, so
    that where one band's last module ends the next band's first begins beside it (exactly so
    when the bands are alike). Unused sites go last."""
    b = band[order]
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    lengths = np.diff(np.r_[starts, len(order)])
    if len(set(module_cells)) == 1:  # modules alike: as many as fit in each band
        taken = lengths // module_cells[0] * module_cells[0]
    else:
        take = []  # the sites each band's whole modules fill
        following = 0  # the next module to place (the list repeats: a second layer, more strings)
        for length in lengths.tolist():
            took = 0
            while took + module_cells[following % len(module_cells)] <= length:
                took += module_cells[following % len(module_cells)]
                following += 1
            take.append(took)
        taken = np.array(take, dtype=np.int64)
    # the used sites of a band: its first ones, or in every second band its last ones
    first = np.where(np.arange(len(starts)) % 2 == 0, 0, lengths - taken)
    offset = np.arange(len(order)) - np.repeat(starts, lengths)
    used = (offset >= np.repeat(first, lengths)) & (offset < np.repeat(first + taken, lengths))
    return np.concatenate([order[used], order[~used]])


def _module_strip_orderings(
    ss: SiteSearch, per_group: int, module_cells: tuple[int, ...], made: _Made | None = None
) -> Iterator[tuple[str, np.ndarray]]:
    """Orders that keep each module a block. (1) The serpentines of ``_orderings`` (bands of a
    few columns or rows) with whole modules in each band (``_whole_modules``): modules are
    rectangles the band's width, groups run across them. (2) The sites taken column by column
    (or row by row) cut into strips of one module's cells, each strip a serpentine of its own,
    the bands numbered on across the strips so the path runs on from one module into the
    next. ``module_cells``: each module's cells, in series order (modules of different sizes
    make strips of different lengths). (description, order of one layer). ``made``: the
    serpentines ``_orderings`` made, taken as they are where the same."""
    made = {} if made is None else made
    u = ss.uv[:, 0]
    if not u.size or not module_cells or max(module_cells) >= u.size:
        return
    # the modules' ends, the list repeated over sites beyond it (as the modules of a next layer)
    ends = np.cumsum(np.tile(module_cells, u.size // sum(module_cells) + 1))
    root = math.sqrt(per_group)
    widths = sorted({max(1, w) for w in (1, 2, 3, 4, round(root / 2), round(root), round(1.5 * root))})
    for f, (uu, jj, cc) in enumerate(_frames(ss)):
        for w in widths:
            for what in ("columns", "rows"):
                serpentine = made.get((f, what, w))
                if serpentine is None:
                    if what == "columns":
                        serpentine = _Serpentine(np.floor(uu / w + 1e-9).astype(np.int64), jj, cc)
                    else:
                        serpentine = _Serpentine(jj // w, cc, jj)
                    made[(f, what, w)] = serpentine
                for rule in (0, 1):
                    order = _whole_modules(serpentine.order(rule), serpentine.band, module_cells)
                    yield f"{what} of {w}, whole modules in each", order
        for across, along, pos, what in ((uu, jj, cc, "columns"), (jj.astype(float), cc, jj, "rows")):
            strip = np.empty(u.size, dtype=np.int64)
            by_across = np.lexsort((along, across))
            in_order = np.searchsorted(ends, np.arange(u.size), side="right")  # each strip a run of them
            strip[by_across] = in_order
            # each strip's least ``across``: its first site's, the sites sorted by ``across``
            starts = np.flatnonzero(np.r_[True, in_order[1:] != in_order[:-1]])
            first = np.full(int(strip.max()) + 1, np.inf)
            first[in_order[starts]] = across[by_across[starts]]
            for w in widths:
                sub = np.floor((across - first[strip]) / w + 1e-9).astype(np.int64)
                band = _dense_ranks(strip * (int(sub.max()) + 1) + sub)  # of the (strip, sub) pairs
                serpentine = _Serpentine(band, along, pos)
                for rule in (0, 1):
                    yield f"module strips of {what}, {what} of {w}", serpentine.order(rule)


# The serpentines made for one grouping, by (frame, "columns" or "rows", band width): the plain
# orderings' and the whole modules' share them.
_Made = dict[tuple[int, str, int], "_Serpentine"]


def _orderings(ss: SiteSearch, per_group: int, made: _Made | None = None) -> Iterator[tuple[str, np.ndarray]]:
    """Candidate site orders, most promising first: (description, order of one layer).
    ``made``: where the serpentines made are kept (for ``_module_strip_orderings``)."""
    made = {} if made is None else made
    u = ss.uv[:, 0]
    a = ss.arr
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
    for f, (uu, jj, cc) in enumerate(_frames(ss)):
        columns = [("columns", w, np.floor(uu / w + 1e-9).astype(np.int64), jj, cc) for w in widths]
        rows_ = [("rows", h, jj // h, cc, jj) for h in heights]
        # stacks of prismatic and pouch cells: groups and series along the stack first
        specs = rows_ + columns if a.family == "rows" else columns + rows_
        for rule in (0, 1):
            for what, w, band, line, pos in specs:
                serpentine = made.get((f, what, w))  # made as first asked for: the search may stop early
                if serpentine is None:
                    serpentine = made[(f, what, w)] = _Serpentine(band, line, pos)
                yield f"{what} of {w}", serpentine.order(rule)


def _group(ss: SiteSearch, plan: _Plan, gap: float, budget: int = 10) -> tuple[Grouping | None, int]:
    """The best valid grouping among the orderings tried (or None, and the count tried):
    ``_most_compact`` of the plain serpentines and the module strips, ``budget`` valid ones of
    each. Returns (site index per cell in series order, layer per cell, description)."""
    n1 = ss.per_layer
    layers = ss.layers
    need = plan.cells
    layers_used = min(layers, math.ceil(need / n1)) if n1 else 0
    xy_all = np.tile(ss.xy, (layers_used, 1))
    layer_all = np.repeat(np.arange(layers_used), n1)
    pairs = _lattice_contacts(ss, gap) if layers_used == 1 else None
    if pairs is None:
        pairs = contacts(xy_all, layer_all, ss.kind, ss.half, gap, ss.arr.angle)
    first, second = np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])
    positions = np.arange(need)
    group_at = np.append(positions // plan.per_group, -1)  # the group at each position; at -1 (unused) -1
    tried = 0
    spread: list[tuple[float, int, np.ndarray, np.ndarray, str]] = []  # the valid groupings
    seen_orders = set()
    module_cells = plan.module_cells if plan.modules > 1 else ()
    made: _Made = {}
    for orderings in (
        _orderings(ss, plan.per_group, made),
        _module_strip_orderings(ss, plan.per_group, module_cells, made),
    ):
        found = 0
        for desc, order in orderings:
            sig = order[: min(need, n1)].tobytes()
            if sig in seen_orders:
                continue
            seen_orders.add(sig)
            tried += 1
            full = np.concatenate([(order if k % 2 == 0 else order[::-1]) + k * n1 for k in range(layers_used)])
            chosen = full[:need]
            position = np.full(len(xy_all), -1, dtype=np.int64)  # in the series order; -1: unused
            position[chosen] = positions
            pa, pb = position[first], position[second]
            la, lb = group_at[pa], group_at[pb]  # each contact's groups (-1: unused)
            inside = (la == lb) & (pa >= 0)
            # the two quick refusals first (most orderings fail; the connections cost the most)
            if _too_few_contacts(la[inside], plan) or not _next_touches(la, lb, plan):
                continue
            pa, pb = pa[inside], pb[inside]
            if not _groups_connected(np.minimum(pa, pb), np.maximum(pa, pb), need, plan):
                continue
            label = position // plan.per_group
            spread.append((_group_spread(xy_all[chosen], plan), tried, chosen, label, desc))
            found += 1
            if found >= budget:
                break
    return _most_compact(_ranked(spread, pairs, xy_all, plan), n1), tried


def _ranked(
    spread: list[tuple[float, int, np.ndarray, np.ndarray, str]], pairs: np.ndarray, xy: np.ndarray, plan: _Plan
) -> list[Ranked]:
    """The valid groupings (group spread, order tried, chosen sites, site labels, description)
    that ``_most_compact`` may choose — those within MODULE_TRADE of the most compact — ranked
    in full: their modules' intrusion and series links are worked out for them alone (4 of
    the Model S's 20)."""
    if not spread:
        return []
    best = min(round(t[0], 12) for t in spread)
    return [
        (g, _module_intrusion(xy[chosen], plan), _series_links(pairs, label, xy[chosen], plan), tried, chosen, desc)
        for g, tried, chosen, label, desc in spread
        if round(g, 12) <= best * MODULE_TRADE
    ]


# --- ranking the valid groupings ------------------------------------------------------------


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
    m = plan.module_of_group()[np.arange(len(pts)) // plan.per_group]
    corners = _hull_candidates(pts, m)
    hulls = shapely.convex_hull(shapely.multipoints(pts[corners], indices=m[corners]))
    # a cell outside a hull's bounds is outside the hull: only those within them are tested,
    # found along the cells sorted by x
    by_x = np.argsort(pts[:, 0], kind="stable")
    xs = pts[by_x, 0]
    hull_of, cells = [], []
    for k, (x0, y0, x1, y1) in enumerate(shapely.bounds(hulls).tolist()):
        near = by_x[np.searchsorted(xs, x0, side="left") : np.searchsorted(xs, x1, side="right")]
        y = pts[near, 1]
        near = near[(y >= y0) & (y <= y1) & (m[near] != k)]
        hull_of.append(np.full(len(near), k))
        cells.append(near)
    hull, i = np.concatenate(hull_of), np.concatenate(cells)
    return int(shapely.contains_xy(hulls[hull], pts[i, 0], pts[i, 1]).sum())


def _hull_candidates(pts: np.ndarray, module: np.ndarray) -> np.ndarray:
    """Which points can be corners of their module's convex hull: in each module the first and
    last along x of each distinct y (a point with others left and right of it at its y lies
    between them), in module order. The hull of these is the hull of all of the module's
    points, from a fraction of them (a lattice block's rows' ends)."""
    order = np.lexsort((pts[:, 0], pts[:, 1], module))
    ms, ys = module[order], pts[order, 1]
    start = np.r_[True, (ms[1:] != ms[:-1]) | (ys[1:] != ys[:-1])]
    end = np.r_[start[1:], True]
    return order[start | end]


def _series_links(pairs: np.ndarray, label: np.ndarray, pts: np.ndarray, plan: _Plan) -> float:
    """Σ over consecutive groups of (centre-to-centre distance / touching cell pairs between
    them): a busbar's resistance goes as its current path's length over its width, and the
    width of the plate joining group k to k+1 as the count of their touching cells. Relative
    (m per contact); string ends are not joined."""
    g = np.arange(len(pts)) // plan.per_group
    cx = np.bincount(g, pts[:, 0], minlength=plan.groups) / plan.per_group
    cy = np.bincount(g, pts[:, 1], minlength=plan.groups) / plan.per_group
    la, lb = label[pairs[:, 0]], label[pairs[:, 1]]
    step = la - lb
    ok = (step == 1) | (step == -1)
    a, b = la[ok], lb[ok]
    low = np.minimum(a, b)
    contacts_between = np.bincount(low[(low >= 0) & (np.maximum(a, b) < plan.groups)], minlength=plan.groups)[
        : plan.groups - 1
    ]
    joined = np.ones(plan.groups - 1, dtype=bool)
    joined[plan.series - 1 :: plan.series] = False
    length = np.hypot(np.diff(cx), np.diff(cy))
    return float((length / np.maximum(contacts_between, 1))[joined].sum())


def _most_compact(valid: list[Ranked], n1: int) -> Grouping | None:
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
