"""Plane geometry on polygons given as vertex tuples (``ir.Shape.vertices()``), pure Python.

What lowering needs to judge an envelope's keepouts without a geometry library (``battc check``
and the language server load no shapely): whether two outlines meet at all, and whether one
lies inside another. Outlines have tens of vertices, so the O(n·m) edge tests cost well under a
millisecond. Points on an edge count as inside; touching outlines meet.
"""

from __future__ import annotations

Point = tuple[float, float]
Polygon = tuple[Point, ...]


def _orientation(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Point, b: Point, p: Point) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def segments_meet(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Whether segments ab and cd share a point (crossing or touching)."""
    o1, o2, o3, o4 = _orientation(a, b, c), _orientation(a, b, d), _orientation(c, d, a), _orientation(c, d, b)
    if ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)) and ((o3 > 0 and o4 < 0) or (o3 < 0 and o4 > 0)):
        return True
    return (
        (o1 == 0 and _on_segment(a, b, c))
        or (o2 == 0 and _on_segment(a, b, d))
        or (o3 == 0 and _on_segment(c, d, a))
        or (o4 == 0 and _on_segment(c, d, b))
    )


def segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Whether segments ab and cd cross properly (each passes through the other's interior)."""
    o1, o2, o3, o4 = _orientation(a, b, c), _orientation(a, b, d), _orientation(c, d, a), _orientation(c, d, b)
    return ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)) and ((o3 > 0 and o4 < 0) or (o3 < 0 and o4 > 0))


def _edges(polygon: Polygon):
    return zip(polygon, polygon[1:] + polygon[:1])


def inside(point: Point, polygon: Polygon) -> bool:
    """Whether ``point`` lies in ``polygon`` or on its boundary (even-odd rule)."""
    x, y = point
    result = False
    for a, b in _edges(polygon):
        if _orientation(a, b, point) == 0 and _on_segment(a, b, point):
            return True
        if (a[1] > y) != (b[1] > y):
            crossing = a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if x < crossing:
                result = not result
    return result


def _bounds(polygon: Polygon) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    return min(xs), min(ys), max(xs), max(ys)


def meet(p: Polygon, q: Polygon) -> bool:
    """Whether the two polygons share any point (overlap, containment or touch)."""
    px0, py0, px1, py1 = _bounds(p)
    qx0, qy0, qx1, qy1 = _bounds(q)
    if px1 < qx0 or qx1 < px0 or py1 < qy0 or qy1 < py0:
        return False
    if inside(p[0], q) or inside(q[0], p):
        return True
    return any(segments_meet(a, b, c, d) for a, b in _edges(p) for c, d in _edges(q))


def within(inner: Polygon, outer: Polygon) -> bool:
    """Whether ``inner`` lies wholly in ``outer`` (boundaries may touch)."""
    if not all(inside(point, outer) for point in inner):
        return False
    return not any(segments_cross(a, b, c, d) for a, b in _edges(inner) for c, d in _edges(outer))
