"""The plan's parts as OCP (OCCT) solids: a prism per ``Prism`` (exact round holes, the cold
plate's channels cut out), a solid per instance prototype, and the placements of instances.

OCP is used directly (cadquery's ``Face.makeFromWires`` runs ShapeFix, quadratic in the holes)
and imported inside the functions only: importing it costs seconds, and ``battc check`` must
never pay that.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from battgen.emit.cad.parts import Prism

# The most holes (inner rings and round holes) a face of a solid has: a polygon with more is cut
# into pieces (``_pieces``), as the STEP writer's time grows with the square of a face's holes.
FACE_HOLES = 32

if TYPE_CHECKING:
    from OCP.TopLoc import TopLoc_Location
    from OCP.TopoDS import TopoDS_Compound, TopoDS_Face, TopoDS_Shape, TopoDS_Wire
    from shapely.geometry.base import BaseGeometry


def _face(poly: BaseGeometry, circles: Iterable[tuple[float, float, float]] = (), z: float = 0.0) -> TopoDS_Face:
    """A planar face at height ``z`` from a shapely polygon (mm) plus exact circular holes,
    built directly with OCP (cadquery's ``Face.makeFromWires`` runs ShapeFix, which is
    quadratic in the number of holes)."""
    from OCP.BRepBuilderAPI import (
        BRepBuilderAPI_MakeEdge,
        BRepBuilderAPI_MakeFace,
        BRepBuilderAPI_MakePolygon,
        BRepBuilderAPI_MakeWire,
    )
    from OCP.gp import gp_Ax2, gp_Circ, gp_Dir, gp_Pln, gp_Pnt
    from shapely.geometry.polygon import orient

    poly = orient(poly, 1.0)  # exterior counter-clockwise, holes clockwise: the face's normal is +z

    def ring(coords: Iterable[tuple[float, float]]) -> TopoDS_Wire:
        mp = BRepBuilderAPI_MakePolygon()
        for x, y in list(coords)[:-1]:
            mp.Add(gp_Pnt(x, y, z))
        mp.Close()
        return mp.Wire()

    maker = BRepBuilderAPI_MakeFace(gp_Pln(gp_Pnt(0, 0, z), gp_Dir(0, 0, 1)), ring(poly.exterior.coords))
    for hole in poly.interiors:
        maker.Add(ring(hole.coords))
    for x, y, r in circles:
        edge = BRepBuilderAPI_MakeEdge(gp_Circ(gp_Ax2(gp_Pnt(x, y, z), gp_Dir(0, 0, -1)), r)).Edge()
        maker.Add(BRepBuilderAPI_MakeWire(edge).Wire())
    return maker.Face()


def _prism_solid(
    poly: BaseGeometry, circles: Iterable[tuple[float, float, float]], z0: float, z1: float
) -> TopoDS_Shape:
    """The prism of ``poly`` (shapely, mm; may be a MultiPolygon) with exact round holes, from
    z0 to z1: a TopoDS solid, or a compound of one solid per part."""
    import shapely
    from OCP.BRepPrimAPI import BRepPrimAPI_MakePrism
    from OCP.gp import gp_Vec
    from shapely.geometry import Point

    parts = list(shapely.get_parts(poly))
    solids = []
    for part in parts:
        mine = [c for c in circles if part.contains(Point(c[0], c[1]))] if len(parts) > 1 else list(circles)
        for piece, holes in _pieces(part, mine):
            solids.append(BRepPrimAPI_MakePrism(_face(piece, holes, z0), gp_Vec(0, 0, z1 - z0)).Shape())
    if len(solids) == 1:
        return solids[0]
    return _compound(solids)


def _pieces(
    part: BaseGeometry, circles: list[tuple[float, float, float]]
) -> list[tuple[BaseGeometry, list[tuple[float, float, float]]]]:
    """A polygon with its round holes, cut into pieces of at most ``FACE_HOLES`` holes each.

    The STEP writer's shape processing (``ShapeFix_SplitCommonVertex``, which OCP gives no way
    to turn off) compares every pair of a face's wires: a face with W holes costs W² wire
    comparisons. The gap filler of the Model S (996 holes where the modules' outlines meet)
    took 28 s of a 30 s transfer; cut into pieces of at most 32 holes, 0.5 s. The pieces
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
    while moved:  # a cut across a round hole: just past it (each hole is passed once)
        moved = False
        for x, y, r in circles:
            c = (x, y)[axis]
            if abs(c - at) < r + 1e-3:
                at, moved = c + r + 1e-3, True
    halves = ((x0, y0, at, y1), (at, y0, x1, y1)) if axis == 0 else ((x0, y0, x1, at), (x0, at, x1, y1))
    cut = []
    for bounds in halves:
        for piece in shapely.get_parts(part.intersection(box(*bounds))):
            if piece.geom_type == "Polygon" and piece.area > 0:
                cut.append((piece, [c for c in circles if piece.contains(Point(c[0], c[1]))]))
    if any(len(piece.interiors) + len(holes) >= len(part.interiors) + len(circles) for piece, holes in cut):
        return [(part, circles)]  # no cut halves the holes (they all lie on one line): as it is
    return [p for piece, holes in cut for p in _pieces(piece, holes)]


def _compound(shapes: Iterable[TopoDS_Shape]) -> TopoDS_Compound:
    from OCP.BRep import BRep_Builder
    from OCP.TopoDS import TopoDS_Compound

    builder = BRep_Builder()
    compound = TopoDS_Compound()
    builder.MakeCompound(compound)
    for shape in shapes:
        builder.Add(compound, shape)
    return compound


def _prism_shape(p: Prism) -> TopoDS_Shape:
    """The solid of a prism, its void cut (cold plate channels) included."""
    shape = _prism_solid(p.polygon, p.circles, p.z0, p.z1)
    if p.cut is not None and not p.cut[0].is_empty:
        from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut
        from OCP.TopTools import TopTools_ListOfShape

        args, tools = TopTools_ListOfShape(), TopTools_ListOfShape()
        args.Append(shape)
        tools.Append(_prism_solid(p.cut[0], (), p.cut[1], p.cut[2]))
        cut = BRepAlgoAPI_Cut()
        cut.SetArguments(args)
        cut.SetTools(tools)
        cut.SetRunParallel(False)  # one thread: the same result in every process
        cut.Build()
        if not cut.IsDone():
            raise RuntimeError(f"{p.name}: the channel cut failed")
        shape = cut.Shape()
    return shape


def _proto_solid(proto: tuple) -> TopoDS_Shape:
    """An instance prototype, centred in x/y with its bottom at z = 0, standing."""
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox, BRepPrimAPI_MakeCylinder
    from OCP.gp import gp_Ax2, gp_Dir, gp_Pnt

    if proto[0] == "cylinder":
        _k, d, h = proto
        return BRepPrimAPI_MakeCylinder(gp_Ax2(gp_Pnt(0, 0, 0), gp_Dir(0, 0, 1)), d / 2, h).Shape()
    if proto[0] == "box":
        _k, w, t, h = proto
        return BRepPrimAPI_MakeBox(gp_Ax2(gp_Pnt(-w / 2, -t / 2, 0), gp_Dir(0, 0, 1)), w, t, h).Shape()
    if proto[0] == "wire":
        _k, d, length = proto
        return BRepPrimAPI_MakeCylinder(gp_Ax2(gp_Pnt(-length / 2, 0, d / 2), gp_Dir(1, 0, 0)), d / 2, length).Shape()
    if proto[0] == "tile":
        from shapely.geometry import Polygon

        _k, coords, pocket, t = proto
        return _prism_solid(Polygon(coords), ((0.0, 0.0, pocket),), 0.0, t)
    _k, w, t, length = proto
    return BRepPrimAPI_MakeBox(gp_Ax2(gp_Pnt(-length / 2, -w / 2, 0), gp_Dir(0, 0, 1)), length, w, t).Shape()


def _locations(
    places: Iterable[tuple[float, float, float, float, str]], extent: Sequence[float] | None
) -> list[TopLoc_Location]:
    """The TopLoc_Location of each instance at ``places`` (x, y, z, rotation about z in
    degrees, axis the prototype lies along) for a prototype of ``extent`` (needed only for
    instances lying along x or y)."""
    from OCP.gp import gp_Ax1, gp_Dir, gp_Pnt, gp_Trsf, gp_Vec
    from OCP.TopLoc import TopLoc_Location

    def move(dx: float, dy: float, dz: float) -> gp_Trsf:
        t = gp_Trsf()
        t.SetTranslation(gp_Vec(dx, dy, dz))
        return t

    def turn(axis: tuple[float, float, float], degrees: float) -> gp_Trsf:
        t = gp_Trsf()
        t.SetRotation(gp_Ax1(gp_Pnt(0, 0, 0), gp_Dir(*axis)), math.radians(degrees))
        return t

    out = []
    for x, y, z, rot, axis in places:
        trsf = move(x, y, z)
        steps = [turn((0, 0, 1), rot)] if rot else []
        if axis == "x":  # lying along x: turn the standing prototype about y, bottom on z
            assert extent is not None
            steps += [move(0, 0, extent[0] / 2), turn((0, 1, 0), 90), move(0, 0, -extent[2] / 2)]
        elif axis == "y":
            assert extent is not None
            steps += [move(0, 0, extent[1] / 2), turn((1, 0, 0), -90), move(0, 0, -extent[2] / 2)]
        for step in steps:
            trsf.Multiply(step)
        out.append(TopLoc_Location(trsf))
    return out
