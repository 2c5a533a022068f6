"""SVG drawings of the routing: busbars and fuses (``busbars_svg``), cell currents (``currents_svg``).

Plan view, millimetres, y up (flipped into SVG's y-down frame). Deterministic bytes: coordinates
rounded to 0.01 mm, fixed element order, no timestamps or random ids.
"""

from __future__ import annotations

import math

from battgen.passes.layout.types import Layout
from battgen.passes.routing.types import Routing

FACE_COLOUR = {"top": "#c0392b", "bottom": "#2471a3"}
MARGIN = 10.0  # mm


def _n(v: float) -> str:
    s = f"{round(v, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


class _Frame:
    def __init__(self, layout: Layout, routing: Routing | None):
        xs = [c.x for c in layout.cells]
        ys = [c.y for c in layout.cells]
        if routing is not None:
            for b in routing.busbars:
                xs += [p[0] for p in b.polygon]
                ys += [p[1] for p in b.polygon]
        r = max(layout.footprint) / 2
        self.x0 = (min(xs) - r) * 1e3 - MARGIN
        self.y1 = (max(ys) + r) * 1e3 + MARGIN
        self.w = (max(xs) + r) * 1e3 + MARGIN - self.x0
        self.h = self.y1 - ((min(ys) - r) * 1e3 - MARGIN)

    def pt(self, x: float, y: float) -> tuple[str, str]:
        return _n(x * 1e3 - self.x0), _n(self.y1 - y * 1e3)

    def points(self, ring) -> str:
        return " ".join(",".join(self.pt(x, y)) for x, y in ring)


def _header(frame: _Frame, extra_w: float = 0.0, title: str = "") -> list[str]:
    w, h = _n(frame.w + extra_w), _n(frame.h)
    # drawn in millimetres (the viewBox); shown at most 1,600 px wide so it reads at a glance
    scale = min(1600.0 / (frame.w + extra_w), 1.0)
    px_w, px_h = _n((frame.w + extra_w) * scale), _n(frame.h * scale)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{px_w}" height="{px_h}" viewBox="0 0 {w} {h}">',
        f"<title>{title}</title>",
        f'<rect width="{w}" height="{h}" fill="#ffffff"/>',
    ]


def _cell(frame: _Frame, layout: Layout, c, fill: str, stroke: str = "#555555") -> str:
    fx, fy = layout.footprint
    cx, cy = frame.pt(c.x, c.y)
    if abs(fx - fy) < 1e-9 and c.rotation == 0.0:
        return f'<circle cx="{cx}" cy="{cy}" r="{_n(fx * 500)}" fill="{fill}" stroke="{stroke}" stroke-width="0.2"/>'
    ca, sa = math.cos(c.rotation), math.sin(c.rotation)
    ring = [
        (c.x + ca * dx - sa * dy, c.y + sa * dx + ca * dy)
        for dx, dy in ((-fx / 2, -fy / 2), (fx / 2, -fy / 2), (fx / 2, fy / 2), (-fx / 2, fy / 2))
    ]
    return f'<polygon points="{frame.points(ring)}" fill="{fill}" stroke="{stroke}" stroke-width="0.2"/>'


def busbars_svg(layout: Layout, routing: Routing, pack=None, bms=None) -> str:
    """Cells, busbar plates (red: top face, blue: bottom face), terminal leads, fuses, terminals;
    with ``bms`` (the BMS stage's design), its sense lines and front-end boards (``_sense_lines``)."""
    frame = _Frame(layout, routing)
    name = getattr(pack, "name", layout.pack)
    out = _header(frame, title=f"{name}: busbars ({layout.series}s{layout.parallel}p)")
    out.append('<g id="cells">')
    out += [_cell(frame, layout, c, "#eeeeee") for c in layout.cells]
    out.append("</g>")
    for face in ("bottom", "top"):
        out.append(
            f'<g id="busbars-{face}" fill="{FACE_COLOUR[face]}" fill-opacity="0.35" '
            f'stroke="{FACE_COLOUR[face]}" stroke-width="0.3">'
        )
        for b in routing.busbars:
            if b.z != face:
                continue
            d = "M" + " L".join(" ".join(frame.pt(x, y)) for x, y in b.polygon) + " Z"
            for hole in b.holes:
                d += " M" + " L".join(" ".join(frame.pt(x, y)) for x, y in hole) + " Z"
            dash = ' stroke-dasharray="2 1"' if b.path else ""
            out.append(f'<path id="busbar-{b.index}" class="{b.kind}" d="{d}" fill-rule="evenodd"{dash}/>')
        out.append("</g>")
    if routing.fuses:
        out.append('<g id="fuses" stroke="#f39c12" stroke-width="0.4">')
        by_index = {c.index: c for c in layout.cells}
        for f in routing.fuses:
            c = by_index[f.cell]
            x, y = frame.pt(c.x, c.y)
            out.append(f'<circle cx="{x}" cy="{y}" r="{_n(max(layout.footprint) * 150)}" fill="none"/>')
        out.append("</g>")
    if bms is not None:
        out += _sense_lines(frame, bms)
    out.append('<g id="terminals" font-family="sans-serif" font-size="6" text-anchor="middle">')
    for label, (x, y) in zip(("+", "−"), routing.terminals):
        px, py = frame.pt(x, y)
        out.append(f'<circle cx="{px}" cy="{py}" r="3" fill="#000000"/>')
        out.append(f'<text x="{px}" y="{_n(float(py) - 4)}">{label}</text>')
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _sense_lines(frame: _Frame, bms) -> list[str]:
    """The BMS's voltage sense lines (from each front-end board to the point of its busbar they
    tap, as routed) and the boards, as one group of their own."""
    out = ['<g id="bms">', '<g id="sense-lines" fill="none" stroke="#1e8449" stroke-width="0.5">']
    for k, line in enumerate(bms.sense_lines):
        points = " ".join(",".join(frame.pt(x, y)) for x, y in line.path)
        out.append(f'<polyline id="sense-{k}" class="busbar-{line.busbar}" points="{points}"/>')
        tx, ty = frame.pt(*line.path[-1])
        out.append(f'<circle cx="{tx}" cy="{ty}" r="1.2" fill="#1e8449" stroke="none"/>')
    out.append("</g>")
    out.append('<g id="bms-boards" fill="#1e8449" fill-opacity="0.55" stroke="#145a32" stroke-width="0.4">')
    for board in bms.boards:
        (x, y), (w, d) = board.centre, board.size
        x0, y0 = frame.pt(x - w / 2, y + d / 2)
        out.append(
            f'<rect id="front-end-{board.index}" x="{x0}" y="{y0}" width="{_n(w * 1e3)}" height="{_n(d * 1e3)}"/>'
        )
    out += ["</g>", "</g>"]
    return out


def _colour(v: float) -> str:
    """Blue (0) → white (0.5) → red (1)."""
    v = min(max(v, 0.0), 1.0)
    if v < 0.5:
        k = v / 0.5
        r, g, b = 40 + 215 * k, 90 + 165 * k, 200 + 55 * k
    else:
        k = (v - 0.5) / 0.5
        r, g, b = 255 - 15 * k, 255 - 190 * k, 255 - 200 * k
    return f"#{int(r):02x}{int(g):02x}{int(b):02x}"


def currents_svg(layout: Layout, routing: Routing, pack=None) -> str:
    """Cells coloured by their current at the network's pack current, with a colour bar."""
    frame = _Frame(layout, None)
    currents = routing.network.cell_currents
    lo, hi = (min(currents), max(currents)) if currents else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    bar = 40.0
    name = getattr(pack, "name", layout.pack)
    out = _header(frame, bar, f"{name}: cell currents at {routing.network.pack_current:.0f} A")
    out.append('<g id="cells" stroke="#555555">')
    by_index = sorted(layout.cells, key=lambda c: c.index)
    for c in by_index:
        i = currents[c.index] if c.index < len(currents) else 0.0
        out.append(_cell(frame, layout, c, _colour((i - lo) / span)))
    out.append("</g>")
    x0, h = frame.w + 8, frame.h - 2 * MARGIN
    out.append('<g id="colour-bar" font-family="sans-serif" font-size="4">')
    steps = 20
    for k in range(steps):
        y = MARGIN + h * (1 - (k + 1) / steps)
        out.append(
            f'<rect x="{_n(x0)}" y="{_n(y)}" width="8" height="{_n(h / steps + 0.05)}" '
            f'fill="{_colour((k + 0.5) / steps)}"/>'
        )
    for frac in (0.0, 0.5, 1.0):
        y = MARGIN + h * (1 - frac)
        out.append(f'<text x="{_n(x0 + 10)}" y="{_n(y + 1.5)}">{lo + frac * span:.2f} A</text>')
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
