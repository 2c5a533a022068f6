"""``layout.svg``: the placed pack seen from above.

``layout_svg(layout, pack) -> str`` draws the envelope outline, the wall-clearance line,
keepouts (hatched), every cell (circles or rectangles, one shape in ``<defs>`` reused with
``<use>``, so 7,000 cells stay a few hundred kilobytes) coloured by module with alternate
groups shaded lighter (alternating polarity), the parallel-group outlines, the series path
through the group centroids from the positive to the negative terminal, a legend, a title
with the pack name and S×P, and a scale bar.

Deterministic bytes: coordinates in millimetres rounded to 0.01 mm, no ids from counters, no
timestamps; the SVG's y axis points down, so y is flipped about the envelope's top edge.
"""

from __future__ import annotations

import math
from html import escape

from battgen.core import ir
from battgen.passes.layout.types import Layout, terminal_groups

# Colour-blind-friendly qualitative palette (Okabe & Ito 2008, "Color Universal Design",
# with Paul Tol's "muted" scheme appended for packs with more than eight modules).
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#DDCC77",
    "#CC6677",
    "#AA4499",
    "#882255",
)


def _n(value: float) -> str:
    """A coordinate in mm with at most two decimals, no trailing zeros, no "-0"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _nice_length(span_mm: float) -> float:
    """A round scale-bar length near a fifth of the drawing."""
    target = span_mm / 5
    base = 10 ** math.floor(math.log10(target)) if target > 0 else 1
    for step in (1, 2, 5, 10):
        if base * step >= target:
            return base * step
    return base * 10


def layout_svg(layout: Layout, pack: ir.Pack) -> str:
    from battgen.passes.layout import floor  # shapely only when drawing

    fl = floor(pack, len(layout.cells))
    x0, y0, x1, y1 = fl.outline.bounds
    x0, y0, x1, y1 = x0 * 1e3, y0 * 1e3, x1 * 1e3, y1 * 1e3
    width, height = x1 - x0, y1 - y0
    size = max(width, height)
    font = max(size / 55, 4.0)
    margin = font * 2
    legend_w = font * 19
    title_h = font * 3.2
    bottom_h = font * 3.5
    modules = len(layout.modules)
    legend_h = font * (1.6 * (min(modules, 24) + 5) + 2)
    total_w = margin + width + margin + legend_w + margin
    total_h = title_h + max(height, legend_h) + bottom_h

    def X(x_m: float) -> str:
        return _n(x_m * 1e3 - x0 + margin)

    def Y(y_m: float) -> str:
        return _n(y1 - y_m * 1e3 + title_h)

    def ring(coords) -> str:
        return " ".join(f"{X(x)},{Y(y)}" for x, y in coords)

    def path_of(geom) -> str:
        parts = []
        polys = getattr(geom, "geoms", [geom])
        for poly in polys:
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            for r in [poly.exterior, *poly.interiors]:
                pts = list(r.coords)[:-1]
                parts.append("M" + " L".join(f"{X(x)},{Y(y)}" for x, y in pts) + "Z")
        return "".join(parts)

    cell = pack.cell.format
    stroke = _n(max(size / 2000, 0.05))
    out: list[str] = []
    out.append('<?xml version="1.0" encoding="UTF-8"?>')
    # drawn in millimetres (the viewBox), shown at most 1,600 px wide so it reads at a glance
    scale = min(1600.0 / total_w, 1.0)
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(total_w)} {_n(total_h)}" '
        f'width="{_n(total_w * scale)}" height="{_n(total_h * scale)}" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="{_n(font)}">'
    )
    title = f"{layout.pack} — {layout.series}s{layout.parallel}p"
    out.append(f"<title>{escape(title)}</title>")
    out.append("<defs>")
    hatch = _n(font * 0.8)
    out.append(
        f'<pattern id="hatch" patternUnits="userSpaceOnUse" width="{hatch}" height="{hatch}" '
        f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="{hatch}" stroke="#b22" '
        f'stroke-width="{_n(font * 0.15)}"/></pattern>'
    )
    if cell.kind == "cylindrical":
        out.append(f'<circle id="cell" r="{_n(cell.diameter / 2 * 1e3)}"/>')
    else:
        rot = layout.cells[0].rotation if layout.cells else 0.0
        c, s = math.cos(rot), math.sin(rot)
        hw, ht = cell.width / 2 * 1e3, cell.thickness / 2 * 1e3
        pts = [(-hw, -ht), (hw, -ht), (hw, ht), (-hw, ht)]
        poly = " ".join(f"{_n(px * c - py * s)},{_n(-(px * s + py * c))}" for px, py in pts)
        out.append(f'<polygon id="cell" points="{poly}"/>')
    out.append("</defs>")
    out.append('<rect width="100%" height="100%" fill="#ffffff"/>')
    # title
    out.append(
        f'<text x="{_n(margin)}" y="{_n(font * 1.6)}" font-size="{_n(font * 1.4)}" font-weight="bold">'
        f"{escape(title)}</text>"
    )
    sub = (
        f"{len(layout.cells):,} cells ({pack.cell.name}) in {modules} module{'s' if modules != 1 else ''} · "
        f"{layout.lattice} lattice, pitch {layout.pitch[0] * 1e3:.4g} × {layout.pitch[1] * 1e3:.4g} mm · "
        f"{layout.used:,} of {layout.sites:,} sites · {layout.area_fraction:.0%} of the floor"
    )
    out.append(f'<text x="{_n(margin)}" y="{_n(font * 2.7)}" fill="#444">{escape(sub)}</text>')
    # envelope, wall line, keepouts
    out.append(f'<path d="{path_of(fl.outline)}" fill="#f4f4f4" stroke="#222" stroke-width="{_n(float(stroke) * 3)}"/>')
    if not fl.virtual and pack.envelope is not None and pack.envelope.wall > 0:
        out.append(
            f'<path d="{path_of(fl.inner)}" fill="none" stroke="#777" stroke-width="{stroke}" '
            f'stroke-dasharray="{_n(font * 0.6)} {_n(font * 0.4)}"/>'
        )
    for keepout in fl.keepouts:
        out.append(f'<path d="{path_of(keepout)}" fill="url(#hatch)" stroke="#b22" stroke-width="{stroke}"/>')
    if pack.envelope is not None:
        for k, geom in zip(pack.envelope.keepouts, fl.keepouts):
            c = geom.representative_point()
            out.append(
                f'<text x="{X(c.x)}" y="{Y(c.y)}" text-anchor="middle" fill="#b22" '
                f'font-size="{_n(font * 0.9)}">{escape(k.name)}</text>'
            )
    # cells, by module then group (alternate groups lighter: alternating polarity)
    by_group: dict[int, list] = {}
    for c in layout.cells:
        by_group.setdefault(c.group, []).append(c)
    for m in layout.modules:
        colour = PALETTE[m.index % len(PALETTE)]
        out.append(f'<g fill="{colour}" stroke="#000" stroke-opacity="0.35" stroke-width="{stroke}">')
        for g in m.groups:
            cells = by_group.get(g, [])
            opacity = "0.9" if g % 2 == 0 else "0.55"
            out.append(f'<g fill-opacity="{opacity}">')
            out.append("".join(f'<use href="#cell" x="{X(c.x)}" y="{Y(c.y)}"/>' for c in cells))
            out.append("</g>")
        out.append("</g>")
    # group outlines
    outline_paths = "".join(
        "M" + " L".join(f"{X(x)},{Y(y)}" for x, y in g.outline) + "Z" for g in layout.groups if g.outline
    )
    if outline_paths:
        out.append(
            f'<path d="{outline_paths}" fill="none" stroke="#111" stroke-width="{_n(float(stroke) * 2)}" '
            f'stroke-linejoin="round"/>'
        )
    # series path through the group centroids
    centroids = []
    for g in layout.groups:
        cells = [layout.cells[i] for i in g.cells]
        if cells:
            centroids.append((sum(c.x for c in cells) / len(cells), sum(c.y for c in cells) / len(cells)))
    if centroids:
        pts = " ".join(f"{X(x)},{Y(y)}" for x, y in centroids)
        out.append(
            f'<polyline points="{pts}" fill="none" stroke="#d00" stroke-width="{_n(font * 0.25)}" '
            f'stroke-linejoin="round" stroke-opacity="0.85"/>'
        )
        r = _n(font * 0.6)
        plus, minus = terminal_groups(layout.series)
        for (x, y), label in ((centroids[plus], "+"), (centroids[minus], "−")):
            out.append(
                f'<circle cx="{X(x)}" cy="{Y(y)}" r="{r}" fill="#d00"/>'
                f'<text x="{X(x)}" y="{_n(float(Y(y)) + font * 0.35)}" text-anchor="middle" fill="#fff" '
                f'font-weight="bold">{label}</text>'
            )
    # legend
    lx = margin + width + margin
    ly = title_h + font
    out.append(f'<g font-size="{_n(font)}">')
    out.append(f'<text x="{_n(lx)}" y="{_n(ly)}" font-weight="bold">Modules</text>')
    shown = layout.modules[:24]
    for k, m in enumerate(shown):
        yy = ly + font * 1.6 * (k + 1)
        colour = PALETTE[m.index % len(PALETTE)]
        first, last = (m.groups[0] + 1, m.groups[-1] + 1) if m.groups else (0, 0)
        cells = sum(len(layout.groups[g].cells) for g in m.groups)
        out.append(
            f'<rect x="{_n(lx)}" y="{_n(yy - font * 0.9)}" width="{_n(font * 1.1)}" height="{_n(font * 1.1)}" '
            f'fill="{colour}"/><text x="{_n(lx + font * 1.6)}" y="{_n(yy)}">M{m.index + 1}: groups '
            f"{first}–{last} ({cells} cells)</text>"
        )
    yy = ly + font * 1.6 * (len(shown) + 1)
    if len(layout.modules) > len(shown):
        out.append(f'<text x="{_n(lx)}" y="{_n(yy)}">… {len(layout.modules) - len(shown)} more</text>')
        yy += font * 1.6
    yy += font * 0.6
    out.append(
        f'<line x1="{_n(lx)}" y1="{_n(yy - font * 0.35)}" x2="{_n(lx + font * 1.1)}" y2="{_n(yy - font * 0.35)}" '
        f'stroke="#d00" stroke-width="{_n(font * 0.25)}"/><text x="{_n(lx + font * 1.6)}" y="{_n(yy)}">series '
        f"path (+ to −)</text>"
    )
    yy += font * 1.6
    out.append(
        f'<rect x="{_n(lx)}" y="{_n(yy - font * 0.9)}" width="{_n(font * 1.1)}" height="{_n(font * 1.1)}" '
        f'fill="none" stroke="#111" stroke-width="{_n(float(stroke) * 2)}"/><text x="{_n(lx + font * 1.6)}" '
        f'y="{_n(yy)}">parallel group ({layout.parallel} cells)</text>'
    )
    yy += font * 1.6
    out.append(
        f'<rect x="{_n(lx)}" y="{_n(yy - font * 0.9)}" width="{_n(font * 1.1)}" height="{_n(font * 1.1)}" '
        f'fill="url(#hatch)" stroke="#b22" stroke-width="{stroke}"/><text x="{_n(lx + font * 1.6)}" '
        f'y="{_n(yy)}">keepout</text>'
    )
    yy += font * 1.6
    out.append(f'<text x="{_n(lx)}" y="{_n(yy)}" fill="#444">darker / lighter: alternate groups</text>')
    out.append("</g>")
    # scale bar
    bar = _nice_length(width)
    by = title_h + height + font * 1.6
    out.append(
        f'<g><rect x="{_n(margin)}" y="{_n(by)}" width="{_n(bar / 2)}" height="{_n(font * 0.4)}" fill="#222"/>'
        f'<rect x="{_n(margin + bar / 2)}" y="{_n(by)}" width="{_n(bar / 2)}" height="{_n(font * 0.4)}" '
        f'fill="#fff" stroke="#222" stroke-width="{stroke}"/>'
        f'<text x="{_n(margin)}" y="{_n(by + font * 1.5)}">0</text>'
        f'<text x="{_n(margin + bar)}" y="{_n(by + font * 1.5)}" text-anchor="middle">{bar:g} mm</text></g>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"
