"""What every routing step reads: the pack, its layout, the busbar stock and the currents it
carries, the cell terminals and their owners, the usable floor, and the creepage distances.

``plate_context`` builds what the plates are cut from (the plates stage: it reads no busbar,
load or enclosure), ``routing_context`` adds the rest once per ``route`` call, so each step
(plates, bridges, busbar records, leads, fuses, network) takes it instead of a dozen loose
arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Span
from battgen.models.iec60664 import DEFAULT as INSULATION
from battgen.models.iec60664 import Insulation
from battgen.passes.layout.types import Layout
from battgen.passes.routing.geometry import GRID, usable_floor, voronoi_neighbours
from battgen.passes.routing.isolation import Walls, cell_feet, drawn_walls, plate_floor
from battgen.passes.routing.junctions import Junctions, Terminals, owner_faces, terminals
from battgen.passes.routing.sizing import Conductor, Duty, busbar_conductor

if TYPE_CHECKING:
    from shapely.geometry import Polygon
    from shapely.geometry.base import BaseGeometry

    from battgen.passes.synthesis import Candidate

COVER = 0.75  # plate extent around each terminal, × the larger lattice pitch


@dataclass(frozen=True, eq=False)
class OwnerCreepage:
    """The creepage distance between two owners' plates: for the working voltage between them."""

    potential: np.ndarray  # per owner, cells above the pack − terminal (``Junctions.potential``)
    by_steps: np.ndarray  # creepage (m) for the voltage of k cells, k = 0 … S

    def apart(self, a: int | np.ndarray, b: int | np.ndarray) -> np.ndarray:
        """Owners (arrays ok) → creepage distance between their plates, m."""
        return self.by_steps[np.abs(self.potential[a] - self.potential[b])]


@dataclass(frozen=True, eq=False)
class PlateContext:
    """What cutting the plates reads: the layout's terminals and their owners, the floor and the
    creepage distances. Nothing of the busbar stock, the loads or the enclosure's walls: a busbar
    or cooling edit reuses the plates cut in it (the plates stage, ``stage.plates_stage``)."""

    layout: Layout
    cell_format: ir.CellFormat
    max_voltage: float  # the pack's maximum voltage (the candidate's), V
    clearance: float  # IEC 60664-1 distance for the pack's maximum voltage (creepage or clearance), m
    insulation: Insulation  # pollution degree, material group, overvoltage category
    terminals: Terminals
    junctions: Junctions
    own: np.ndarray  # owner of each terminal
    owner_face: dict[int, int]  # owner → index into ``terminals.faces``
    creepage: OwnerCreepage
    pitch: float  # the larger lattice pitch, m
    cover: float  # plate extent around each terminal, m
    usable: Polygon  # the floor inside the envelope wall
    keepouts: BaseGeometry
    blocked: BaseGeometry  # keepouts grown by ``clearance``
    discs: np.ndarray  # each terminal's contact disc (shapely polygons)
    inner_discs: np.ndarray  # the discs shrunk by the snapping tolerance
    # what else follows from the layout alone, for the steps after the plates; ``neighbours``, by
    # face: the Voronoi-neighbouring terminals (indices into the face's) and their ridges' lengths
    neighbours: tuple[tuple[np.ndarray, np.ndarray], ...]
    feet: np.ndarray  # the cells' live footprints (``isolation.cell_feet``)
    cell_group: np.ndarray  # each cell's series group
    cell_module: np.ndarray  # each cell's module


@dataclass(frozen=True, eq=False)
class RoutingContext(PlateContext):
    """The plates' context and what the busbars, leads, fuses and network read besides."""

    pack: ir.Pack
    span: Span  # where routing diagnostics point: the pack's ``busbar`` property, else the pack
    conductor: Conductor
    duty: Duty
    walls: Walls | None  # the drawn enclosure (None without an envelope)
    plate_floor: BaseGeometry | None  # where bare plates may lie: ``clearance`` from the enclosure (None: anywhere)


def routing_span(pack: ir.Pack) -> Span:
    """Where routing's diagnostics point: the pack's ``busbar`` property, else the pack."""
    return pack.property_spans.get("busbar", pack.span)


def plate_context(pack: ir.Pack, layout: Layout, candidate: Candidate) -> PlateContext | Diagnostic:
    """What the plates are cut from; E701 if an owner's terminals do not share one face."""
    from shapely.geometry import Polygon

    clearance = INSULATION.distance(candidate.max_voltage)
    t = terminals(layout, pack.cell.format)
    junctions = Junctions(layout.series, max(getattr(layout, "strings", 1) or 1, 1))
    own = junctions.owners(t)
    usable, keepouts = usable_floor(pack, layout)
    owner_face = owner_faces(t, own, junctions, layout, routing_span(pack))
    if isinstance(owner_face, Diagnostic):
        return owner_face
    potential = np.array([junctions.potential(o) for o in range(junctions.minus + 1)])
    by_steps = np.array([INSULATION.creepage(k * pack.cell.max_voltage) for k in range(layout.series + 1)])
    pitch = max(layout.pitch)
    places = _Places(t.xy)
    return PlateContext(
        layout=layout,
        cell_format=pack.cell.format,
        max_voltage=candidate.max_voltage,
        clearance=clearance,
        insulation=INSULATION,
        terminals=t,
        junctions=junctions,
        own=own,
        owner_face=owner_face,
        creepage=OwnerCreepage(potential, by_steps),
        pitch=pitch,
        cover=COVER * pitch,
        usable=usable,
        keepouts=keepouts,
        blocked=keepouts.buffer(clearance) if not keepouts.is_empty else Polygon(),
        discs=places.discs(t.radius),
        inner_discs=places.discs(t.radius - 20 * GRID),  # snapping moves vertices
        neighbours=_face_neighbours(t, pitch),
        feet=cell_feet(layout, pack.cell.format),
        cell_group=np.array([c.group for c in layout.cells], dtype=int),
        cell_module=np.array([c.module for c in layout.cells], dtype=int),
    )


def _face_neighbours(t: Terminals, pitch: float) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Each face's ``voronoi_neighbours``. Faces with their terminals in the same distinct places
    (a standing cylinder's two ends) share one diagram, its pairs renumbered to the face's own
    terminals: on the Model S one Qhull run of 7,104 points less (about 45 ms). Qhull's ridge
    lengths depend on the order it is given the points in, in the last bits: the second face's
    are the first's, not its own run's."""
    shared: dict[bytes, tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]] = {}
    out = []
    for f in range(len(t.faces)):
        xy = t.xy[t.face == f]
        order = np.lexsort((xy[:, 1], xy[:, 0]))
        ranked = xy[order]
        distinct = not (ranked[1:] == ranked[:-1]).all(axis=1).any()
        key = ranked.tobytes()
        if distinct and key in shared:
            first_order, (pairs, lengths) = shared[key]
            mine = np.empty(len(xy), dtype=np.int64)  # the first face's point k is this face's mine[k]
            mine[first_order] = order
            out.append((mine[pairs], lengths))
            continue
        found = voronoi_neighbours(xy, pitch)
        if distinct:
            shared[key] = (order, found)
        out.append(found)
    return tuple(out)


class _Places:
    """The distinct places of the points ``xy``: a standing cylinder's two ends have their
    terminals in the same places, so a disc drawn at each place serves both (on the Model S
    7,104 polygons drawn instead of 14,208, for each radius)."""

    def __init__(self, xy: np.ndarray):
        order = np.lexsort((xy[:, 1], xy[:, 0]))  # np.unique(axis=0)'s, without its slow row sort
        ranked = xy[order]
        new = np.ones(len(xy), dtype=bool)
        new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
        self.xy = ranked[new]
        self.at = np.empty(len(xy), dtype=int)  # each point's place
        self.at[order] = np.cumsum(new) - 1

    def discs(self, radius: float) -> np.ndarray:
        """Each point's disc of ``radius`` (``shapely.buffer``'s 32-gon, drawn as the drawing's
        circles, ``drawn.discs``: to the bit, 5x faster)."""
        from battgen.passes.drawn import discs

        return discs(self.xy, radius, quad_segs=8)[self.at]


def routing_context(pack: ir.Pack, plates: PlateContext, candidate: Candidate) -> RoutingContext:
    """The plates' context with the busbar stock, the duty it carries and the floor the
    enclosure's walls leave the plates."""
    shared = {f.name: getattr(plates, f.name) for f in fields(PlateContext)}
    walls = drawn_walls(pack, plates.layout)
    return RoutingContext(
        **shared,
        pack=pack,
        span=routing_span(pack),
        conductor=busbar_conductor(pack),
        duty=Duty.of(candidate),
        walls=walls,
        plate_floor=plate_floor(pack, walls, plates.clearance),
    )
