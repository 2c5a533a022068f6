"""pack.step's text: the pack as one AP214 assembly, written from the plan in Python (no OCCT).

``step_text`` collects the plan's parts into a tree (assembly › kind › sub-assembly › part) and
writes it as AP214 writes assemblies (ISO 10303-214; OCCT's STEPCAFControl writes and reads the
same structure): a ``PRODUCT`` per node, its ``SHAPE_REPRESENTATION`` holding one
``AXIS2_PLACEMENT_3D`` per component, and per component a ``NEXT_ASSEMBLY_USAGE_OCCURRENCE``
(named after the part) with the ``CONTEXT_DEPENDENT_SHAPE_REPRESENTATION`` whose
``ITEM_DEFINED_TRANSFORMATION`` places the child's representation in the parent's. Each distinct
solid is a product of its own written once per colour (``brep``: its B-rep; named after the first
part that uses it, coloured by a ``STYLED_ITEM`` per solid as OCCT colours a shape), so the 7,104
cells of a pack are 7,104 placements of 16 cylinders (one per module colour).

Until this module wrote it, OCCT's writer did (an XCAF document, its transfer and its writer):
for the Model S 10.9 CPU-s and 911 MB in the STEP process, nearly all of it the B-rep of about
110 distinct busbars, plates and tiles (3.9 CPU-s of transfer for them alone), for a file that
is the same solids in the same places. Everything is written in one pass, in the plan's order,
entity numbers counted as written: the same plan gives the same bytes in every process.

A prism with a void (the cold plate's channels) is written as its layers, as the GLB draws it:
the skin under the void, the plate less the void between its floor and ceiling, the skin over
it: solids meeting face to face, whose volume is the plate less its channels. A layer with more
than ``solids.FACE_HOLES`` holes is cut into pieces (``solids._pieces``), as before.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from battgen.emit.cad.brep import Entities, Frame, prism, real, string
from battgen.emit.cad.parts import ASSEMBLIES, KIND_OF, Instances, Plan, Prism
from battgen.emit.cad.solids import _pieces

if TYPE_CHECKING:
    import numpy as np
    from shapely.geometry.base import BaseGeometry

HEADER = (
    "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('battgen pack'),'2;1');\n{file_name}\n"
    "FILE_SCHEMA(('AUTOMOTIVE_DESIGN {{ 1 0 10303 214 1 1 1 1 }}'));\nENDSEC;\nDATA;\n"
)
# Points of a ring closer than this to the point before it are dropped (mm): ten times the 1e-7 mm
# uncertainty the file states (OCCT's ``BRepBuilderAPI_MakePolygon`` dropped those within it).
POINT_TOLERANCE = 1e-6

FOOTER = "ENDSEC;\nEND-ISO-10303-21;\n"

# A part: (name, shape key, colour, placement: a 4×4 matrix, mm, or None where it stands)
Part = tuple[str, tuple, tuple, "np.ndarray | None"]
# A placed use of a product in an assembly: (name, (definition, representation), placement)
Use = tuple[str, tuple[int, int], "np.ndarray | None"]


class _Tree:
    """The parts by kind → (parts directly in it, sub-assemblies by name), and the shapes by key
    (a function that writes the shape's solids and returns their ids)."""

    def __init__(self) -> None:
        self.kinds: dict[str, tuple[list[Part], dict[str, list[Part]]]] = {kind: ([], {}) for kind in ASSEMBLIES}
        self.shapes: dict[tuple, tuple] = {}

    def part(self, kind: str, group: str | None, name: str, key: tuple, colour: tuple, place) -> None:
        direct, groups = self.kinds[kind]
        (direct if group is None else groups.setdefault(group, [])).append((name, key, colour, place))

    def instances(self, inst: Instances, kind: str) -> None:
        from battgen.emit.cad.preview import _matrices

        key = ("proto", inst.kind)
        self.shapes[key] = ("proto", inst.proto)
        places = _matrices(inst.places, inst.extent())
        for name, place, colour_key, group in zip(inst.names, places, inst.colour_keys, inst.groups):
            self.part(kind, group, name, key, inst.colours[colour_key], place)


def _collect(plan: Plan) -> _Tree:
    """Every part of the plan, in the plan's order: cells, prisms (a moved copy placed as its
    base's shape, ``plan._share_shapes``), holder tiles, fuse links."""
    import numpy as np

    tree = _Tree()
    tree.instances(plan.cells, "cells")
    by_name = {p.name: p for p in plan.prisms}
    for p in plan.prisms:
        base = by_name[p.instance_of] if p.instance_of is not None else p
        key = ("prism", base.name)
        tree.shapes.setdefault(key, ("prism", base))
        place = None
        if p.instance_of is not None:
            place = np.eye(4)
            place[:3, 3] = p.shift
        tree.part(KIND_OF[p.kind], p.group, p.name, key, p.colour, place)
    for inst in plan.holders:
        tree.instances(inst, "holders")
    if plan.fuses is not None:
        tree.instances(plan.fuses, "fuses")
    return tree


# --- the solids -------------------------------------------------------------------------------


def _layers(p: Prism) -> list[tuple[BaseGeometry, tuple, float, float]]:
    """A prism's solids' regions and heights: itself, or with a void its three layers."""
    if p.cut is None or p.cut[0].is_empty:
        return [(p.polygon, p.circles, p.z0, p.z1)]
    void, c0, c1 = p.cut
    void = void.intersection(p.polygon)
    layers = [(p.polygon, p.circles, p.z0, c0), (p.polygon.difference(void), p.circles, c0, c1)]
    layers.append((p.polygon, p.circles, c1, p.z1))
    return [layer for layer in layers if layer[3] > layer[2] and not layer[0].is_empty]


def _ring(coords) -> list[tuple[float, float]]:
    """A ring's points without the closing one, nor any within ``POINT_TOLERANCE`` of the point
    before it (overlays leave such slivers: 2.5e-13 mm on the Model S gap filler; an edge that
    short is no edge to a reader, which merges its ends and loses the face)."""
    out: list[tuple[float, float]] = []
    for x, y in list(coords)[:-1]:
        if not out or math.hypot(x - out[-1][0], y - out[-1][1]) > POINT_TOLERANCE:
            out.append((float(x), float(y)))
    while len(out) > 1 and math.hypot(out[0][0] - out[-1][0], out[0][1] - out[-1][1]) <= POINT_TOLERANCE:
        out.pop()
    return out


def _prism_solids(out: Entities, p: Prism) -> list[int]:
    """The solids of a prism (a solid per part of its polygon, per layer, per piece)."""
    import shapely
    from shapely.geometry import Point
    from shapely.geometry.polygon import orient

    solids = []
    for poly, circles, z0, z1 in _layers(p):
        parts = list(shapely.get_parts(poly))
        for part in parts:
            mine = [c for c in circles if part.contains(Point(c[0], c[1]))] if len(parts) > 1 else list(circles)
            for piece, holes in _pieces(part, mine):
                piece = orient(piece, 1.0)
                rings = [_ring(piece.exterior.coords), *(_ring(r.coords) for r in piece.interiors)]
                round_holes = [(float(x), float(y), float(r), False) for x, y, r in holes]
                solids.append(prism(out, rings, round_holes, float(z0), float(z1)))
    return solids


def _proto_solids(out: Entities, proto: tuple) -> list[int]:
    """An instance prototype, centred in x/y with its bottom at z = 0, standing (as
    OCCT's ``BRepPrimAPI`` made it when it wrote the STEP)."""
    from shapely.geometry import Polygon
    from shapely.geometry.polygon import orient

    def rect(dx: float, dy: float) -> list[tuple[float, float]]:
        return [(-dx / 2, -dy / 2), (dx / 2, -dy / 2), (dx / 2, dy / 2), (-dx / 2, dy / 2)]

    kind = proto[0]
    if kind == "cylinder":
        _k, d, h = proto
        return [prism(out, [], [(0.0, 0.0, d / 2, True)], 0.0, h)]
    if kind == "box":
        _k, w, t, h = proto
        return [prism(out, [rect(w, t)], [], 0.0, h)]
    if kind == "wire":  # a round wire lying along x, its bottom at z = 0
        _k, d, length = proto
        frame: Frame = ((-length / 2, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (1.0, 0.0, 0.0))
        return [prism(out, [], [(0.0, d / 2, d / 2, True)], 0.0, length, frame)]
    if kind == "tile":
        _k, coords, pocket, t = proto
        ring = _ring(orient(Polygon(coords), 1.0).exterior.coords)
        return [prism(out, [ring], [(0.0, 0.0, pocket, False)], 0.0, t)]
    _k, w, t, length = proto  # strip
    return [prism(out, [rect(length, w)], [], 0.0, t)]


# --- the assembly -----------------------------------------------------------------------------


class _Writer:
    """The DATA section: the shared context, then products as the tree needs them."""

    def __init__(self) -> None:
        self.out = out = Entities()
        add = out.add
        apc = add("APPLICATION_CONTEXT('core data for automotive mechanical design processes')")
        add(f"APPLICATION_PROTOCOL_DEFINITION('international standard','automotive_design',2000,#{apc})")
        self.product_context = add(f"PRODUCT_CONTEXT('',#{apc},'mechanical')")
        self.definition_context = add(f"PRODUCT_DEFINITION_CONTEXT('part definition',#{apc},'design')")
        mm = add("( LENGTH_UNIT() NAMED_UNIT(*) SI_UNIT(.MILLI.,.METRE.) )")
        rad = add("( NAMED_UNIT(*) PLANE_ANGLE_UNIT() SI_UNIT($,.RADIAN.) )")
        sr = add("( NAMED_UNIT(*) SI_UNIT($,.STERADIAN.) SOLID_ANGLE_UNIT() )")
        # 1e-7 mm: OCCT's confusion tolerance, what every shape here is exact to
        tol = add(
            f"UNCERTAINTY_MEASURE_WITH_UNIT(LENGTH_MEASURE(1.E-07),#{mm},"
            "'distance_accuracy_value','confusion accuracy')"
        )
        self.context = add(
            f"( GEOMETRIC_REPRESENTATION_CONTEXT(3) GLOBAL_UNCERTAINTY_ASSIGNED_CONTEXT((#{tol})) "
            f"GLOBAL_UNIT_ASSIGNED_CONTEXT((#{mm},#{rad},#{sr})) "
            "REPRESENTATION_CONTEXT('Context #1','3D Context with UNIT and UNCERTAINTY') )"
        )
        self.directions: dict[str, int] = {}
        self.z, self.x = self.direction((0.0, 0.0, 1.0)), self.direction((1.0, 0.0, 0.0))
        origin = add("CARTESIAN_POINT('',(0.,0.,0.))")
        self.identity = add(f"AXIS2_PLACEMENT_3D('',#{origin},#{self.z},#{self.x})")
        self.styles: dict[tuple, int] = {}
        self.uses = 0  # NAUO ids, counted from 1

    def direction(self, v) -> int:
        text = f"({real(v[0])},{real(v[1])},{real(v[2])})"
        found = self.directions.get(text)
        if found is None:
            found = self.directions[text] = self.out.add(f"DIRECTION('',{text})")
        return found

    def product(self, name: str, representation: str) -> tuple[int, int]:
        """A product and its shape (``representation`` names the representation's entity, its
        items and context filled in): (product definition, representation)."""
        add, label = self.out.add, string(name)
        product = add(f"PRODUCT({label},{label},'',(#{self.product_context}))")
        formation = add(f"PRODUCT_DEFINITION_FORMATION('','',#{product})")
        definition = add(f"PRODUCT_DEFINITION('design','',#{formation},#{self.definition_context})")
        shape = add(f"PRODUCT_DEFINITION_SHAPE('','',#{definition})")
        rep = add(representation)
        add(f"SHAPE_DEFINITION_REPRESENTATION(#{shape},#{rep})")
        add(f"PRODUCT_RELATED_PRODUCT_CATEGORY('part',$,(#{product}))")
        return definition, rep

    def style(self, colour: tuple) -> int:
        """The presentation style of a surface colour (sRGB), written once per colour."""
        found = self.styles.get(colour)
        if found is None:
            add = self.out.add
            rgb = add(f"COLOUR_RGB('',{','.join(real(float(c)) for c in colour[:3])})")
            fill = add(f"FILL_AREA_STYLE('',(#{add(f'FILL_AREA_STYLE_COLOUR({chr(39) * 2},#{rgb})')}))")
            side = add(f"SURFACE_SIDE_STYLE('',(#{add(f'SURFACE_STYLE_FILL_AREA(#{fill})')}))")
            found = self.styles[colour] = add(
                f"PRESENTATION_STYLE_ASSIGNMENT((#{add(f'SURFACE_STYLE_USAGE(.BOTH.,#{side})')}))"
            )
        return found

    def leaf(self, name: str, shape: tuple, colour: tuple) -> tuple[int, int]:
        """A distinct solid in one colour: its B-rep, its product, its colour."""
        kind, what = shape
        solids = _prism_solids(self.out, what) if kind == "prism" else _proto_solids(self.out, what)
        items = ",".join(f"#{i}" for i in (self.identity, *solids))
        definition, rep = self.product(name, f"ADVANCED_BREP_SHAPE_REPRESENTATION('',({items}),#{self.context})")
        style = self.style(colour)
        styled = [self.out.add(f"STYLED_ITEM('color',(#{style}),#{s})") for s in solids]
        self.out.add(
            "MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION"
            f"('',({','.join(f'#{s}' for s in styled)}),#{self.context})"
        )
        return definition, rep

    def placement(self, place: np.ndarray | None) -> int:
        """The AXIS2_PLACEMENT_3D of a 4×4 placement (None, or no move: the shared identity)."""
        if place is None:
            return self.identity
        m = place.tolist()
        z, x = (m[0][2], m[1][2], m[2][2]), (m[0][0], m[1][0], m[2][0])
        origin = (m[0][3], m[1][3], m[2][3])
        if origin == (0.0, 0.0, 0.0) and z == (0.0, 0.0, 1.0) and x == (1.0, 0.0, 0.0):
            return self.identity
        point = self.out.add(f"CARTESIAN_POINT('',({real(origin[0])},{real(origin[1])},{real(origin[2])}))")
        return self.out.add(f"AXIS2_PLACEMENT_3D('',#{point},#{self.direction(z)},#{self.direction(x)})")

    def assembly(self, name: str, children: list[Use]) -> tuple[int, int]:
        """A node of the tree: its product, and a placed use of each child (name, (definition,
        representation), placement)."""
        add = self.out.add
        axes = [self.placement(place) for _n, _c, place in children]
        items = ",".join(f"#{i}" for i in dict.fromkeys((self.identity, *axes)))
        definition, rep = self.product(name, f"SHAPE_REPRESENTATION('',({items}),#{self.context})")
        for (child_name, (child_definition, child_rep), _p), axis in zip(children, axes):
            self.uses += 1
            use = add(
                f"NEXT_ASSEMBLY_USAGE_OCCURRENCE('{self.uses}',{string(child_name)},'',"
                f"#{definition},#{child_definition},$)"
            )
            shape = add(f"PRODUCT_DEFINITION_SHAPE('Placement','Placement of an item',#{use})")
            move = add(f"ITEM_DEFINED_TRANSFORMATION('','',#{self.identity},#{axis})")
            relation = add(
                f"( REPRESENTATION_RELATIONSHIP('','',#{child_rep},#{rep}) "
                f"REPRESENTATION_RELATIONSHIP_WITH_TRANSFORMATION(#{move}) SHAPE_REPRESENTATION_RELATIONSHIP() )"
            )
            add(f"CONTEXT_DEPENDENT_SHAPE_REPRESENTATION(#{relation},#{shape})")
        return definition, rep


def step_text(plan: Plan, name: str, file_name: str) -> str:
    """The whole STEP file of the plan: ``name`` › cells, busbars, fuses, holders, cooling, bms,
    enclosure › sub-assemblies (a module's cells, a holder plate's tiles) › parts; ``file_name``
    the header's FILE_NAME entity."""
    tree = _collect(plan)
    writer = _Writer()
    leaves: dict[tuple, tuple[int, int]] = {}  # (shape key, colour) → (definition, representation)

    def uses(parts: list[Part]) -> list[Use]:
        out: list[Use] = []
        for part_name, key, colour, place in parts:
            leaf = leaves.get((key, colour))
            if leaf is None:  # named after the first part that uses it
                leaf = leaves[(key, colour)] = writer.leaf(part_name, tree.shapes[key], colour)
            out.append((part_name, leaf, place))
        return out

    kinds: list[Use] = []
    for kind in ASSEMBLIES:
        direct, groups = tree.kinds[kind]
        if not direct and not groups:
            continue
        children = uses(direct)
        for group in sorted(groups):
            children.append((group, writer.assembly(group, uses(groups[group])), None))
        kinds.append((kind, writer.assembly(kind, children), None))
    writer.assembly(name, kinds)
    return HEADER.format(file_name=file_name) + writer.out.text() + FOOTER
