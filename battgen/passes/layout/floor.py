"""The usable floor: the envelope's outline less its wall and keepouts, and the layers it allows.

``floor(pack)`` is where every cell must stand. ``_contained`` is the one containment rule:
the site search checks its best sites with it, ``verify`` every placed cell, and the relaxation
in ``relax`` applies it in its own units. A pack with no envelope gets a virtual square floor
sized for its cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from battgen.core import ir
from battgen.core.limits import MAX_LAYERS

QUAD = 16  # segments per quarter circle for round outlines and buffers


@dataclass(frozen=True)
class Floor:
    """The usable floor: ``usable`` = outline buffered inward by ``wall``, minus keepouts."""

    outline: Polygon
    inner: BaseGeometry  # the outline less the wall
    keepouts: tuple[Polygon, ...]
    usable: BaseGeometry
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
    """The envelope outline (shapely), buffered inward by the wall clearance, minus the
    keepouts; the layers the height allows (cells standing). ``needed``: the cells to size a
    virtual floor for when the pack declares no envelope."""
    cell = pack.cell.format
    envelope = pack.envelope
    gap = pack.gap
    if envelope is None:
        # no envelope: a square about 1.3× the cells' lattice area (grown by ``place`` if short)
        pu, pv = _pitches(pack)
        cells = max(needed or 1, 1)
        stacked = min(max(pack.layers, 1), MAX_LAYERS)
        side = math.sqrt(1.3 * cells * pu * pv / stacked) + 2 * max(pu, pv)
        outline = box(0.0, 0.0, side, side)
        height = stacked * cell.height + (stacked - 1) * gap
        return Floor(outline, outline, (), outline, height, stacked, gap, virtual=True)
    outline = _polygon(envelope.outline)
    inner = outline.buffer(-envelope.wall, quad_segs=QUAD) if envelope.wall > 0 else outline
    keepouts = tuple(_polygon(k.shape) for k in envelope.keepouts)
    usable = inner.difference(shapely.union_all(keepouts)) if keepouts else inner
    layers = 0
    for n in range(min(max(pack.layers, 1), MAX_LAYERS), 0, -1):  # no more than a build can join
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


def _contained(
    usable: BaseGeometry,
    boundary: BaseGeometry,
    x: np.ndarray,
    y: np.ndarray,
    kind: str,
    hu: float,
    hv: float,
    angle: float,
    slack: float = 0.0,
) -> np.ndarray:
    """Exact: round footprints at least ``r − slack`` from every boundary; boxes inside the
    floor grown by ``slack``."""
    if x.size == 0:
        return np.zeros(0, dtype=bool)
    if kind == "cylindrical":
        inside = shapely.intersects_xy(usable, x, y)
        idx = np.flatnonzero(inside)
        inside[idx] = _clear_of(boundary, x[idx], y[idx], hu - slack)
        return inside
    container = usable.buffer(slack, join_style="mitre") if slack > 0 else usable
    shapely.prepare(container)
    return shapely.contains(container, _boxes(x, y, hu, hv, angle))


ROUNDING = 1e-13  # m: numpy's and GEOS's distances to an edge agree to about 1e-15 m on a floor of metres


def _clear_of(boundary: BaseGeometry, x: np.ndarray, y: np.ndarray, clearance: float) -> np.ndarray:
    """Which points are at least ``clearance`` from ``boundary`` (shapely's distance ≥ it):
    the distance to every edge in numpy (no point objects: 10,000 of them cost more than the
    distances), and shapely's own for the points within ROUNDING of the clearance or a
    boundary of very many edges."""
    coords, part = shapely.get_coordinates(shapely.get_parts(boundary), return_index=True)
    edge = part[1:] == part[:-1]
    a, b = coords[:-1][edge], coords[1:][edge]
    if x.size * len(a) > 4_000_000 or not len(a):
        return shapely.distance(boundary, shapely.points(x, y)) >= clearance
    ab = b - a
    length2 = np.maximum((ab**2).sum(axis=1), 1e-300)
    px, py = x[:, None] - a[None, :, 0], y[:, None] - a[None, :, 1]
    t = np.clip((px * ab[None, :, 0] + py * ab[None, :, 1]) / length2[None, :], 0.0, 1.0)
    dist = np.hypot(px - t * ab[None, :, 0], py - t * ab[None, :, 1]).min(axis=1)
    clear = dist >= clearance
    unsure = np.abs(dist - clearance) <= ROUNDING
    if unsure.any():
        clear[unsure] = shapely.distance(boundary, shapely.points(x[unsure], y[unsure])) >= clearance
    return clear


def _boxes(x: np.ndarray, y: np.ndarray, hu: float, hv: float, angle: float) -> np.ndarray:
    """Footprint rectangles (half-extents ``hu`` × ``hv``, rotated by ``angle``) centred on
    the points, as shapely polygons."""
    c, s = math.cos(angle), math.sin(angle)
    corners = np.array([(-hu, -hv), (hu, -hv), (hu, hv), (-hu, hv)])
    cx = corners[:, 0] * c - corners[:, 1] * s
    cy = corners[:, 0] * s + corners[:, 1] * c
    ring = np.stack([x[:, None] + cx[None], y[:, None] + cy[None]], axis=2)
    return shapely.polygons(ring)
