"""The cold plate's coolant channels (shapely, mm): a serpentine when one channel carries the
flow, parallel channels between two manifolds (Z-flow) otherwise.

The number and width of the channels and the flow are the heat stage's (``passes.heat``:
``channel_design``, ``design_flow``), so the plate drawn is the plate analysed; here they are
laid out in the plate. The bill of materials weighs the plate and its coolant from these
channels and the CAD stage draws them (``passes.drawn``): one geometry for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from battgen.core import ir

# The channels' design rules live with the heat analysis that checks them: channel depth and
# edge, coolant flow and channels.
from battgen.passes.heat import CHANNEL_EDGE, CHANNEL_HEIGHT, channel_design, design_flow
from battgen.passes.layout.types import Layout
from battgen.passes.routing.types import Routing

if TYPE_CHECKING:
    from collections.abc import Callable

    from shapely.geometry.base import BaseGeometry


def _coolant_flow(
    pack: ir.Pack, layout: Layout, routing: Routing | None, materials: Mapping[str, ir.Material]
) -> tuple[float, str]:
    """Coolant volume flow, m³/s, and where it came from, when the heat stage gave none: sized
    (``heat.design_flow``) for the cells' heat at the routed network's current."""
    from battgen.passes.heat import cell_heats

    if routing is not None and routing.network.cell_currents:
        heat = float(cell_heats(pack, routing, routing.network.pack_current).sum())
    else:
        heat = len(layout.cells) * (0.5 * pack.cell.max_discharge_current) ** 2 * pack.cell.resistance
    return design_flow(pack, heat, materials)


def _channels(plate: BaseGeometry, flow: float) -> tuple[BaseGeometry, dict]:
    """Channel region (shapely, mm) in ``plate`` and its sizing."""
    from shapely.ops import unary_union

    x0, y0, x1, y1 = plate.bounds
    n, width, _coverage = channel_design(flow, min(x1 - x0, y1 - y0))
    inner = plate.buffer(-CHANNEL_EDGE, join_style="mitre")
    m = CHANNEL_EDGE + width / 2
    lx, ly = x1 - x0, y1 - y0
    along_x = lx >= ly
    if not along_x:  # work in a frame where passes run along the longer side
        x0, y0, x1, y1 = y0, x0, y1, x1

    def pt(u: float, v: float) -> tuple[float, float]:
        return (u, v) if along_x else (v, u)

    if n == 1:
        body, ports = _serpentine(pt, along_x, (x0, y0, x1, y1), m, width)
        layout = "serpentine"
    else:
        n, body, ports = _parallel(pt, (x0, y0, x1, y1), m, width, n)
        layout = "parallel"
    region = unary_union([body.intersection(inner), ports.intersection(plate.buffer(0.5, join_style="mitre"))])
    section = n * width * CHANNEL_HEIGHT / 1e6  # m²
    info = {
        "layout": layout,
        "channels": n,
        "width": width / 1e3,
        "height": CHANNEL_HEIGHT / 1e3,
        "velocity": flow / section,
        "cross_section": section,
    }
    return region, info


def _serpentine(
    pt: Callable[[float, float], tuple[float, float]],
    along_x: bool,
    frame: tuple[float, float, float, float],
    m: float,
    width: float,
) -> tuple[BaseGeometry, BaseGeometry]:
    """One channel carrying the flow: passes along the longer side (``frame``: the plate's
    bounds in the frame of ``pt``), ``m`` from its edges; (body, inlet and outlet ports)."""
    from shapely.geometry import LineString
    from shapely.ops import unary_union

    x0, y0, x1, y1 = frame
    pitch = max(3.0 * width, 12.0)
    passes = max(2, int((y1 - y0 - 2 * m) // pitch) + 1)
    pitch = (y1 - y0 - 2 * m) / (passes - 1) if passes > 1 else 0.0
    pts = [pt(x0 - 1.0, y0 + m)]
    for i in range(passes):
        v = y0 + m + i * pitch
        right = i % 2 == 0
        if i:
            pts.append(pt(x1 - m if not right else x0 + m, v))
        pts.append(pt(x1 - m if right else x0 + m, v))
    last = pts[-1]
    u_last = last[0] if along_x else last[1]
    end_u = x1 + 1.0 if u_last > (x0 + x1) / 2 else x0 - 1.0
    v_last = y0 + m + (passes - 1) * pitch
    body = LineString(pts[1:]).buffer(width / 2, cap_style="square", join_style="mitre")
    ports = unary_union(
        [
            LineString([pts[0], pts[1]]).buffer(width / 2, cap_style="flat"),
            LineString([pt(u_last, v_last), pt(end_u, v_last)]).buffer(width / 2, cap_style="flat"),
        ]
    )
    return body, ports


def _parallel(
    pt: Callable[[float, float], tuple[float, float]],
    frame: tuple[float, float, float, float],
    m: float,
    width: float,
    n: int,
) -> tuple[int, BaseGeometry, BaseGeometry]:
    """``n`` parallel channels between two manifolds (fewer if they do not fit); (channels,
    body, inlet and outlet ports)."""
    from shapely.geometry import LineString, box
    from shapely.ops import unary_union

    x0, y0, x1, y1 = frame
    usable = y1 - y0 - 2 * m
    pitch = usable / (n - 1) if n > 1 else 0.0
    if pitch < width + 2.0:  # too many: squeeze them into the width available
        n = max(2, int(usable // (width + 2.0)) + 1)
        pitch = usable / (n - 1)
    manifold = min(3.0 * width, 30.0)
    a, b = x0 + CHANNEL_EDGE, x1 - CHANNEL_EDGE
    rects = [
        box(*pt(a, y0 + m - width / 2), *pt(a + manifold, y1 - m + width / 2)),
        box(*pt(b - manifold, y0 + m - width / 2), *pt(b, y1 - m + width / 2)),
    ]
    for i in range(n):
        v = y0 + m + i * pitch
        rects.append(box(*pt(a, v - width / 2), *pt(b, v + width / 2)))
    body = unary_union(rects)
    # Z-flow: inlet at the first manifold's low end, outlet at the second's high end
    ports = unary_union(
        [
            LineString([pt(a + manifold / 2, y0 - 1.0), pt(a + manifold / 2, y0 + m)]).buffer(
                manifold / 2, cap_style="flat"
            ),
            LineString([pt(b - manifold / 2, y1 - m), pt(b - manifold / 2, y1 + 1.0)]).buffer(
                manifold / 2, cap_style="flat"
            ),
        ]
    )
    return n, body, ports


channels = _channels
coolant_flow = _coolant_flow
