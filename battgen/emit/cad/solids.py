"""The plan's solids as the STEP file writes them: a polygon with many holes cut into pieces.

``document`` writes each prism of the plan as a solid per part of its polygon, each part cut by
``_pieces`` into pieces of at most ``FACE_HOLES`` holes (inner rings and round holes). Shapely
only: no OCCT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The most holes (inner rings and round holes) a face of a solid has: a polygon with more is cut
# into pieces (``_pieces``), as a STEP reader's time grows with the square of a face's holes.
FACE_HOLES = 32

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry


def _pieces(
    part: BaseGeometry, circles: list[tuple[float, float, float]]
) -> list[tuple[BaseGeometry, list[tuple[float, float, float]]]]:
    """A polygon with its round holes, cut into pieces of at most ``FACE_HOLES`` holes each.

    OCCT's STEP writer (which wrote pack.step before ``document``) compared every pair of a
    face's wires (``ShapeFix_SplitCommonVertex``): a face with W holes cost W² comparisons, and
    the gap filler of the Model S (996 holes where the modules' outlines meet) took 28 s of a
    30 s transfer; cut into pieces of at most 32 holes, 0.5 s. Readers that heal what they read
    do the same, so the pieces stay. The pieces
    are the polygon cut by lines across it, halving the holes each time (at the median
    of their centres, across the longer side): their union is the polygon, so the volume and
    the mass are unchanged, and the part's shape is the compound of their solids. A round hole
    is never cut (a line through one moves to the next gap); a polygon with fewer holes is
    one piece, as before."""
    import numpy as np
    import shapely
    from shapely.geometry import Point, box

    if len(part.interiors) + len(circles) <= FACE_HOLES:
        return [(part, circles)]
    centres = [shapely.centroid(shapely.Polygon(ring)).coords[0] for ring in part.interiors]
    centres += [(x, y) for x, y, _r in circles]
    xy = np.array(centres)
    x0, y0, x1, y1 = part.bounds
    axis = 0 if x1 - x0 >= y1 - y0 else 1
    order = np.sort(xy[:, axis])
    at = float(order[len(order) // 2])
    moved = True
    passed: set[int] = set()
    while moved:  # a cut across a round hole: just past it (each hole is passed once)
        moved = False
        for k, (x, y, r) in enumerate(circles):
            c = (x, y)[axis]
            # once passed, never again: c + r + 1e-3 - c can round below r + 1e-3, and the cut
            # was moved onto the same place for ever (the sedan's CAD hung, E901 after 600 s)
            if k not in passed and abs(c - at) < r + 1e-3:
                at, moved = c + r + 1e-3, True
                passed.add(k)
    halves = ((x0, y0, at, y1), (at, y0, x1, y1)) if axis == 0 else ((x0, y0, x1, at), (x0, at, x1, y1))
    cut = []
    for bounds in halves:
        for piece in shapely.get_parts(part.intersection(box(*bounds))):
            if piece.geom_type == "Polygon" and piece.area > 0:
                cut.append((piece, [c for c in circles if piece.contains(Point(c[0], c[1]))]))
    if any(len(piece.interiors) + len(holes) >= len(part.interiors) + len(circles) for piece, holes in cut):
        return [(part, circles)]  # no cut halves the holes (they all lie on one line): as it is
    return [p for piece, holes in cut for p in _pieces(piece, holes)]
