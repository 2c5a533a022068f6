"""Is the envelope's floor one piece? A raster of where cell centres may stand, for the estimate.

The layout joins every cell of a string through touching cells (consecutive parallel groups
side by side: passes/layout/verify.py), so a string cannot straddle a keepout that cuts the
floor in two — a transmission tunnel, a cross member. The estimate's envelope capacity (an
area bound, ``synthesis.envelope_capacity``) must then count only the largest piece, or
``estimate`` accepts packs the layout refuses (E602).

This is numpy only (``battc check`` and the language server load no shapely): the floor is
sampled on a grid at a third of the cell's smallest half-size (at most ``MAX_POINTS`` points);
a point is a possible cell centre when it lies inside the outline at least ``wall + half`` from
its edge and at least ``half`` from every keepout (``half``: the cell footprint's smaller
half-size, so the raster never calls a passage closed that a cell could use). Pieces are the
4-connected components of that raster, labelled a row of runs at a time.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from battgen.core import ir

MAX_POINTS = 250_000  # grid points of one raster: a few milliseconds of numpy


@dataclass(frozen=True)
class Pieces:
    """The floor's pieces: how many, and the share of the centre region the largest holds."""

    count: int
    largest_share: float


def _segment_distance(x: np.ndarray, y: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return np.hypot(x - ax, y - ay)
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / length2, 0.0, 1.0)
    return np.hypot(x - (ax + t * dx), y - (ay + t * dy))


def _inside_and_distance(polygon: tuple[tuple[float, float], ...], x: np.ndarray, y: np.ndarray):
    """(inside by the even-odd rule, distance to the boundary) for every point."""
    inside = np.zeros(x.shape, dtype=bool)
    distance = np.full(x.shape, np.inf)
    for a, b in zip(polygon, polygon[1:] + polygon[:1]):
        distance = np.minimum(distance, _segment_distance(x, y, a, b))
        if a[1] != b[1]:
            crosses = (a[1] > y) != (b[1] > y)
            at = a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            inside ^= crosses & (x < at)
    return inside, distance


def _components(mask: np.ndarray) -> list[int]:
    """Sizes of the 4-connected components of a boolean raster: runs of each row joined to
    the runs they overlap in the row before (union-find over runs)."""
    parent: list[int] = []

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sizes: list[int] = []
    previous: list[tuple[int, int, int]] = []
    for row in mask:
        edges = np.flatnonzero(np.diff(np.concatenate(([0], row.astype(np.int8), [0]))))
        runs = []
        for start, end in zip(edges[::2].tolist(), edges[1::2].tolist()):
            index = len(parent)
            parent.append(index)
            sizes.append(end - start)
            runs.append((start, end, index))
            for p_start, p_end, p_index in previous:
                if p_start < end and start < p_end:
                    root_a, root_b = find(index), find(p_index)
                    if root_a != root_b:
                        parent[root_b] = root_a
                        sizes[root_a] += sizes[root_b]
                        sizes[root_b] = 0
        previous = runs
    return [sizes[i] for i in range(len(parent)) if find(i) == i and sizes[i]]


@functools.lru_cache(maxsize=256)
def floor_pieces(envelope: ir.Envelope, half: float) -> Pieces:
    """The pieces of ``envelope``'s floor where a cell of smaller half-size ``half`` may stand."""
    outline = envelope.outline.vertices()
    x0, y0, x1, y1 = envelope.outline.bounds
    step = max(half / 3, math.sqrt((x1 - x0) * (y1 - y0) / MAX_POINTS), 1e-6)
    xs = np.arange(x0 + step / 2, x1, step)
    ys = np.arange(y0 + step / 2, y1, step)
    if xs.size == 0 or ys.size == 0:
        return Pieces(0, 0.0)
    x, y = np.meshgrid(xs, ys)
    inside, distance = _inside_and_distance(outline, x, y)
    free = inside & (distance >= envelope.wall + half)
    for keepout in envelope.keepouts:
        within, apart = _inside_and_distance(keepout.shape.vertices(), x, y)
        free &= ~within & (apart >= half)
    sizes = _components(free)
    total = sum(sizes)
    if not total:
        return Pieces(0, 0.0)
    return Pieces(len(sizes), max(sizes) / total)
