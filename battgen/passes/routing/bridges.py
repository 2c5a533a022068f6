"""Joining a plate that fell apart: its pieces (groups not adjacent, e.g. across a module gap)
are bridged in the plane by their convex hull clipped to the free area; where no path in the
plane keeps the creepage distance, insulated jumpers on a carrier above the plates join them.
If a jumper would cross a keepout the result is E701.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from battgen.core.diagnostics import Diagnostic
from battgen.passes.routing.context import RoutingContext
from battgen.passes.routing.geometry import GRID, safe
from battgen.passes.routing.sizing import insulated_strip

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

Jumper = tuple[list[tuple[float, float]], float, float, float]  # (path, width, thickness, resistance)


@dataclass(frozen=True)
class Bridged:
    plate: BaseGeometry  # the pieces holding the owner's terminals, bridged where the plane allows
    bridge: BaseGeometry  # the area added between the pieces (the current path's width there)
    jumpers: list[Jumper]  # insulated jumpers joining what the bridge could not
    note: str  # for the busbar's notes


def bridge_plate(
    ctx: RoutingContext,
    o: int,
    plate: BaseGeometry,
    parts: list[BaseGeometry],
    plates: dict[int, BaseGeometry],
    kind: str,
) -> Bridged | Diagnostic:
    """Join the ``parts`` of owner ``o``'s plate: the convex hull of the pieces less a
    ``clearance`` margin around the other plates on its face (``plates``), other owners' contact
    areas near it and the keepouts; jumpers for the pieces that stay apart (E701 if one would
    cross a keepout)."""
    import shapely
    from shapely.geometry import Polygon

    t, clearance = ctx.terminals, ctx.clearance
    hull = safe(lambda: shapely.union_all(parts, grid_size=GRID).convex_hull, plate)
    if ctx.plate_floor is not None:  # the hull of pieces in a concave floor can leave it
        hull = safe(lambda h=hull: h.intersection(ctx.plate_floor), hull)
    reach = hull.buffer(clearance)
    near = [
        plates[q] for q in plates if q != o and ctx.owner_face[q] == ctx.owner_face[o] and plates[q].intersects(reach)
    ]
    sel = (ctx.own != o) & (t.face == ctx.owner_face[o])
    sel[sel] = shapely.intersects(ctx.discs[sel], reach)
    forbid = safe(
        lambda: shapely.union_all(near + list(ctx.discs[sel]) + [ctx.blocked], grid_size=GRID).buffer(clearance + 1e-5),
        hull,
    )  # polygonal arcs fall inside
    bridge = safe(lambda: hull.difference(forbid), Polygon())
    added = safe(lambda: bridge.difference(shapely.union_all(parts, grid_size=GRID)), Polygon())
    merged = safe(lambda: shapely.union_all([plate, bridge], grid_size=GRID), plate)
    own_discs = ctx.discs[np.flatnonzero(ctx.own == o)]
    parts = [q for q in shapely.get_parts(merged) if q.area > 0 and shapely.intersects(q, own_discs).any()]
    jumpers: list[Jumper] = []
    if len(parts) > 1:
        # no way round in the plane of the plates: insulated jumpers on a carrier above them,
        # like the pack leads (straight, nearest piece to nearest piece, around no keepout)
        got = jumper_links(ctx, parts, own_discs, "module_link" if kind == "module_link" else "series")
        if got is None:
            what = ctx.junctions.name(o)
            return Diagnostic(
                "E701",
                f"no route for the {what} busbar: its terminals fall into {len(parts)} pieces "
                f"that cannot be joined {clearance * 1e3:.1f} mm clear of other terminals, and an "
                "insulated jumper between them would cross a keepout",
                ctx.span,
                "keep consecutive series groups adjacent, or move the keepout",
            )
        jumpers = got
        note = (
            f"{len(parts)} pieces joined by {len(got)} insulated jumper(s) above the plates: "
            "no path in the plane keeps the creepage distance"
        )
    else:
        note = "bridged between non-adjacent terminals"
    joined = shapely.union_all(parts, grid_size=GRID) if len(parts) > 1 else parts[0]
    return Bridged(joined, added, jumpers, note)


def jumper_links(
    ctx: RoutingContext, parts: list[BaseGeometry], own_discs: np.ndarray, rate_kind: str
) -> list[Jumper] | None:
    """Insulated jumpers joining plate ``parts`` (Prim's tree over nearest distances): each a
    straight strip from nearest point to nearest point, lengthened by half its width into both
    pieces (the bolted overlap), sized like a terminal lead. None if one would cross a keepout."""
    import shapely
    from shapely.geometry import LineString
    from shapely.ops import nearest_points

    duty, material = ctx.duty, ctx.conductor.material
    _, tk, w = insulated_strip(
        rate_kind, duty.peak, duty.continuous, duty.short_circuit, ctx.conductor, ctx.pack.ambient
    )
    done = [int(np.argmax([int(shapely.intersects(p, own_discs).sum()) for p in parts]))]
    todo = [i for i in range(len(parts)) if i not in done]
    out = []
    while todo:
        a, b = min(((i, j) for i in done for j in todo), key=lambda ij: parts[ij[0]].distance(parts[ij[1]]))
        p, q = nearest_points(parts[a], parts[b])
        d = np.array([q.x - p.x, q.y - p.y])
        n = float(np.hypot(*d))
        e = d / n if n > 0 else np.array([1.0, 0.0])
        path = [
            _inside(parts[a], p.x - e[0] * w / 2, p.y - e[1] * w / 2),
            _inside(parts[b], q.x + e[0] * w / 2, q.y + e[1] * w / 2),
        ]
        line = LineString(path)
        if not ctx.keepouts.is_empty and line.buffer(w / 2, cap_style="flat").intersects(ctx.keepouts):
            return None
        out.append((path, w, tk, material.resistivity * line.length / (w * tk)))
        done.append(b)
        todo.remove(b)
    return out


def _inside(piece: BaseGeometry, x: float, y: float) -> tuple[float, float]:
    """(x, y) if ``piece`` holds it, else the nearest point 10 µm inside the piece: a jumper end
    lengthened past a corner of a narrow piece must still land on it."""
    from shapely.geometry import Point
    from shapely.ops import nearest_points

    point = Point(x, y)
    if piece.contains(point):
        return x, y
    core = piece.buffer(-1e-5)
    q = nearest_points(core if not core.is_empty else piece, point)[0]
    return q.x, q.y
