"""The pack as one XCAF assembly document (OCP): the document the STEP is written from (the GLB
is written from the plan: ``glb``).

``_document`` collects the plan's parts into a tree (assembly › sub-assembly › part), making
each shape once, then labels it: a part is a component (its name, its
place) of a shape label (named after the first part that uses it, coloured), so instances and
shared prisms are written once. Built the same way, in the same order, in every process: the
STEP process rebuilds it from the pickled plan and must write the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from battgen.emit.cad.parts import ASSEMBLIES, KIND_OF, Instances, Plan
from battgen.emit.cad.solids import _compound, _locations, _prism_shape, _proto_solid

if TYPE_CHECKING:
    from OCP.TDF import TDF_Label
    from OCP.TDocStd import TDocStd_Document
    from OCP.TopLoc import TopLoc_Location
    from OCP.TopoDS import TopoDS_Shape
    from OCP.XCAFDoc import XCAFDoc_ColorTool, XCAFDoc_ShapeTool

# A part: (name, shape key, colour, location or None)
Part = tuple[str, tuple, tuple, "TopLoc_Location | None"]


def _quiet_occt() -> None:
    """OCCT's messages at failures only (its STEP writer prints statistics to stdout otherwise),
    as importing cadquery does."""
    from OCP.Message import Message, Message_Gravity

    for printer in Message.DefaultMessenger_s().Printers():
        printer.SetTraceLevel(Message_Gravity.Message_Fail)


def _document(plan: Plan, name: str) -> TDocStd_Document:
    """The pack as one XCAF assembly document (OCP directly: cadquery's Assembly and toCAF cost
    seconds of Python for 18,000 parts): ``name`` › cells, busbars, fuses, holders, cooling,
    enclosure › sub-assemblies (a module's cells, a holder plate's tiles) › parts. A part is a
    component (its name, its place) of a shape label (named after the first part that uses it,
    coloured), so instances and shared prisms are written once. Built the same way, in the
    same order, in every process."""
    _quiet_occt()
    doc, tool, ctool = _new_document()
    parts = _Parts()
    _collect(plan, parts)
    _assemble(tool, ctool, name, parts)
    return doc


def _new_document() -> tuple[TDocStd_Document, XCAFDoc_ShapeTool, XCAFDoc_ColorTool]:
    """An empty XCAF document, its shape tool (no automatic names) and its colour tool."""
    from OCP.BinXCAFDrivers import BinXCAFDrivers
    from OCP.TCollection import TCollection_ExtendedString
    from OCP.TDocStd import TDocStd_Document
    from OCP.XCAFApp import XCAFApp_Application
    from OCP.XCAFDoc import XCAFDoc_DocumentTool

    app = XCAFApp_Application.GetApplication_s()
    BinXCAFDrivers.DefineFormat_s(app)
    doc = TDocStd_Document(TCollection_ExtendedString("BinXCAF"))
    app.InitDocument(doc)
    tool = XCAFDoc_DocumentTool.ShapeTool_s(doc.Main())
    tool.SetAutoNaming_s(False)
    ctool = XCAFDoc_DocumentTool.ColorTool_s(doc.Main())
    return doc, tool, ctool


def _named(label: TDF_Label, text: str) -> TDF_Label:
    from OCP.TCollection import TCollection_ExtendedString
    from OCP.TDataStd import TDataStd_Name

    TDataStd_Name.Set_s(label, TCollection_ExtendedString(text))
    return label


class _Parts:
    """The tree being collected: kind → (parts directly in it, sub-assemblies by name); a part is
    (name, shape key, colour, location). Shapes are made (and meshed) once per key."""

    def __init__(self) -> None:
        self.tree: dict[str, tuple[list[Part], dict[str, list[Part]]]] = {kind: ([], {}) for kind in ASSEMBLIES}
        self.shapes: dict[tuple, TopoDS_Shape] = {}

    def part(
        self, kind: str, group: str | None, part_name: str, key: tuple, colour: tuple, loc: TopLoc_Location | None
    ) -> None:
        direct, groups = self.tree[kind]
        (direct if group is None else groups.setdefault(group, [])).append((part_name, key, colour, loc))

    def shape_of(self, key: tuple, make: Callable[[], TopoDS_Shape]) -> tuple:
        if key not in self.shapes:
            self.shapes[key] = _compound([make()])  # a part's shape is a compound of its solid(s), as cadquery's was
        return key

    def instances(self, inst: Instances, kind: str) -> None:
        key = self.shape_of(("proto", inst.kind), lambda: _proto_solid(inst.proto))
        ex = inst.extent()
        locs = _locations(inst.places, ex)
        for part_name, loc, colour_key, group in zip(inst.names, locs, inst.colour_keys, inst.groups):
            self.part(kind, group, part_name, key, inst.colours[colour_key], loc)


def _collect(plan: Plan, parts: _Parts) -> None:
    """Every part of the plan into ``parts``, in the plan's order: cells, prisms (a moved copy
    placed as its base's shape, ``_share_shapes``), holder tiles, fuse links."""
    parts.instances(plan.cells, "cells")
    by_name = {p.name: p for p in plan.prisms}
    for p in plan.prisms:
        if p.instance_of is not None:
            base = by_name[p.instance_of]
            key = parts.shape_of(("prism", base.name), partial(_prism_shape, base))
            loc = _locations([(*p.shift, 0.0, "z")], None)[0]
        else:
            key = parts.shape_of(("prism", p.name), partial(_prism_shape, p))
            loc = None
        parts.part(KIND_OF[p.kind], p.group, p.name, key, p.colour, loc)
    for inst in plan.holders:
        parts.instances(inst, "holders")
    if plan.fuses is not None:
        parts.instances(plan.fuses, "fuses")


def _assemble(tool: XCAFDoc_ShapeTool, ctool: XCAFDoc_ColorTool, name: str, parts: _Parts) -> None:
    """Label the collected tree: ``name`` › kinds › sub-assemblies › components. A shape gets a
    label per colour (XCAF colours shapes: another colour of a labelled shape is a copy)."""
    from OCP.BRepBuilderAPI import BRepBuilderAPI_Copy
    from OCP.Quantity import Quantity_Color, Quantity_ColorRGBA, Quantity_TypeOfColor
    from OCP.TopLoc import TopLoc_Location
    from OCP.XCAFDoc import XCAFDoc_ColorType

    labels: dict = {}  # (shape key, colour) → shape label
    copied: set = set()
    colours: dict = {}

    def add(parent: TDF_Label, part_name: str, key: tuple, colour: tuple, loc: TopLoc_Location | None) -> None:
        label = labels.get((key, colour))
        if label is None:
            shape = parts.shapes[key]
            if key in copied:  # another colour of a shape already labelled: a copy (XCAF colours shapes)
                shape = BRepBuilderAPI_Copy(shape, True, False).Shape()
            copied.add(key)
            label = labels[(key, colour)] = _named(tool.NewShape(), part_name)
            tool.SetShape(label, shape)
            if colour not in colours:
                colours[colour] = Quantity_ColorRGBA(
                    Quantity_Color(*colour, Quantity_TypeOfColor.Quantity_TOC_sRGB), 1.0
                )
            ctool.SetColor(label, colours[colour], XCAFDoc_ColorType.XCAFDoc_ColorSurf)
        _named(tool.AddComponent(parent, label, loc if loc is not None else TopLoc_Location()), part_name)

    root = _named(tool.NewShape(), name)
    for kind in ASSEMBLIES:
        direct, groups = parts.tree[kind]
        if not direct and not groups:
            continue
        node = _named(tool.NewShape(), kind)
        for item in direct:
            add(node, *item)
        for group in sorted(groups):
            sub = _named(tool.NewShape(), group)
            for item in groups[group]:
                add(sub, *item)
            tool.AddComponent(node, sub, TopLoc_Location())
        tool.AddComponent(root, node, TopLoc_Location())
    tool.UpdateAssemblies()
