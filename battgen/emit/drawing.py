"""One drawing style for every plan view of a build: ``layout.svg``, ``busbars.svg``,
``currents.svg`` and ``temperatures.svg`` are ``Sheet`` s.

A sheet is ``SHEET_WIDTH`` px wide whatever the pack's size — a 10-cell brick is drawn large, a
10,000-cell floor pack small — with, in the same places on every sheet of a build: a header
(title, subtitle and a caption that names the load the picture shows), the plan, a legend
panel on the right, and under the plan a scale bar and the axes (x to the right, y up: the
plan is seen from above, the frame of ``layout.types``). The plan is placed and scaled by the
envelope (and the busbars and terminals when routed) alone, so one build's sheets put every
cell, and the pack's + and − terminals, at the same pixel.

Text is in px (14 px, never under ``SMALL`` = 12 px at the sheet's natural size); the plan is
drawn in millimetres inside one ``matrix(s 0 0 −s …)`` group (y up), stroke widths given in
px and converted. Cells are one shape in ``<defs>`` placed with ``<use>``; cells and busbars
are outlined faintly, and details that would be under a few pixels are left out and said so
in the legend (a fuse link per cell on a floor pack).

Deterministic bytes: coordinates rounded to 0.01 (mm in the plan, px outside), fixed order,
no ids from counters, no time.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape

from battgen.core import ir
from battgen.core.text import plural
from battgen.emit import style
from battgen.passes.layout.types import Layout, terminal_groups
from battgen.passes.routing.types import Routing

SHEET_WIDTH = 1200.0  # px
LEGEND_WIDTH = 300.0  # px, the panel right of the plan
PAD = 24.0  # px around and between the parts of a sheet
PLAN_MAX_HEIGHT = 760.0  # px: a tall pack is drawn smaller, not taller
HEADER = 104.0  # px: title, subtitle and two caption lines, the same on every sheet
FONT = 14.0  # px, legend and captions
SMALL = 12.0  # px, the smallest text on a sheet (labels, ticks)
TITLE = 20.0
LINE = 20.0  # px between lines of legend text
FOOTER = 96.0  # px under the plan (or the legend): the scale bar and the axes
CHARS = 150  # characters of header text per line at FONT (Helvetica averages 0.5 em)
LEGEND_CHARS = 36  # the same in the legend panel, after the swatch
FAMILY = "Helvetica, Arial, 'DejaVu Sans', sans-serif"


def n(value: float) -> str:
    """A coordinate with at most two decimals, no trailing zeros, no "-0"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# The last layout's ``<use>`` of every cell: a build's four sheets draw the same cells (the
# layout held, so that its id is not reused while it is the key).
_USES: list[tuple[Layout, list[str]]] = []


def _cell_uses(layout: Layout) -> list[str]:
    """Each cell's ``<use href="#cell" …/>`` at its place in the plan (mm), in cell order."""
    last = _USES[0] if _USES else None
    if last is not None and last[0] is layout:
        return last[1]
    uses = []
    for c in layout.cells:
        if c.rotation:
            place = f'transform="translate({n(c.x * 1e3)} {n(c.y * 1e3)}) rotate({n(math.degrees(c.rotation))})"'
        else:
            place = f'x="{n(c.x * 1e3)}" y="{n(c.y * 1e3)}"'
        uses.append(f'<use href="#cell" {place}/>')
    _USES[:] = [(layout, uses)]
    return uses


def nice_step(span: float, count: int = 5) -> float:
    """A round step (1, 2 or 5 × 10^k) that cuts ``span`` into about ``count`` parts."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / count
    base = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if base * m >= raw:
            return base * m
    return base * 10


def ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round values in [lo, hi] about ``count`` apart (at least the two ends' neighbours)."""
    step = nice_step(hi - lo, count)
    first = math.ceil(lo / step - 1e-9) * step
    out = []
    k = 0
    while first + k * step <= hi + step * 1e-9 and k < 50:
        out.append(round(first + k * step, 12))
        k += 1
    return out


def wrap(text: str, width: int) -> list[str]:
    """``text`` broken at word boundaries into lines of at most ``width`` characters."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


@dataclass(frozen=True)
class ColourScale:
    """A quantity's colour bar: the range drawn (``lo`` .. ``hi``, in the quantity's display
    unit), the values' own range, and whether the values are all the same to the
    resolution ``resolution`` (``flat``: one colour, the bar labelled with the value)."""

    ramp: tuple[str, ...]
    lo: float
    hi: float
    low: float  # the values' own minimum and maximum
    high: float
    unit: str
    title: str
    flat: bool
    digits: int

    def colour(self, value: float) -> str:
        return style.sample(self.ramp, (value - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 0.5)

    def level(self, value: float, levels: int = 64) -> int:
        """The colour step of ``value`` (cells of one step are drawn in one group)."""
        t = (value - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 0.5
        return min(max(int(t * levels), 0), levels - 1)

    def text(self, value: float) -> str:
        return f"{value:,.{self.digits}f} {self.unit}"


def colour_scale(
    values: Sequence[float], ramp: tuple[str, ...], unit: str, title: str, resolution: float, digits: int = 1
) -> ColourScale:
    """The colour bar for ``values``. A spread under ``resolution`` (the figure below which the
    model cannot tell cells apart) is never stretched over the whole ramp: the bar then spans
    ``resolution`` around the mean, so equal cells all take its middle colour."""
    lo, hi = (min(values), max(values)) if len(values) else (0.0, 0.0)
    flat = hi - lo < resolution
    if flat:
        mid = (lo + hi) / 2
        return ColourScale(ramp, mid - resolution / 2, mid + resolution / 2, lo, hi, unit, title, True, digits)
    return ColourScale(ramp, lo, hi, lo, hi, unit, title, False, digits)


# --- the plan's frame ---------------------------------------------------------------------


class Frame:
    """Model millimetres (y up) → sheet px, the same for every sheet of one build: the
    envelope's floor, the cells' footprints, the busbars and the terminals, fitted into
    the plan area left of the legend."""

    def __init__(self, pack: ir.Pack, layout: Layout, routing: Routing | None):
        from battgen.passes.layout import floor  # shapely only when drawing

        self.floor = floor(pack, len(layout.cells))
        x0, y0, x1, y1 = (v * 1e3 for v in self.floor.outline.bounds)
        hx, hy = (v * 1e3 / 2 for v in layout.footprint)  # one cell's extent as placed
        xs = [x0, x1] + [c.x * 1e3 - hx for c in layout.cells] + [c.x * 1e3 + hx for c in layout.cells]
        ys = [y0, y1] + [c.y * 1e3 - hy for c in layout.cells] + [c.y * 1e3 + hy for c in layout.cells]
        if routing is not None:
            for b in routing.busbars:
                xs += [p[0] * 1e3 for p in b.polygon]
                ys += [p[1] * 1e3 for p in b.polygon]
            xs += [t[0] * 1e3 for t in routing.terminals]
            ys += [t[1] * 1e3 for t in routing.terminals]
        self.x0, self.x1, self.y0, self.y1 = min(xs), max(xs), min(ys), max(ys)
        width, height = max(self.x1 - self.x0, 1.0), max(self.y1 - self.y0, 1.0)
        room = SHEET_WIDTH - 3 * PAD - LEGEND_WIDTH
        self.scale = min(room / width, PLAN_MAX_HEIGHT / height)  # px per mm
        self.width, self.height = width * self.scale, height * self.scale
        self.left, self.top = PAD, HEADER  # the plan's top-left corner, px

    def px(self, x_m: float, y_m: float) -> tuple[float, float]:
        """A model point in metres as sheet px."""
        return self.left + (x_m * 1e3 - self.x0) * self.scale, self.top + (self.y1 - y_m * 1e3) * self.scale

    def mm(self, px: float) -> float:
        """A length of ``px`` sheet pixels in the plan's millimetres (stroke widths)."""
        return px / self.scale

    @property
    def transform(self) -> str:
        s = self.scale
        return f"matrix({n(s)} 0 0 {n(-s)} {n(self.left - self.x0 * s)} {n(self.top + self.y1 * s)})"


# --- the sheet ----------------------------------------------------------------------------


class Sheet:
    """One plan-view picture: ``plan`` elements (model mm), ``marks`` (px, upright text),
    the legend, then ``render``."""

    def __init__(self, pack: ir.Pack, layout: Layout, routing: Routing | None, title: str, caption: str):
        self.pack, self.layout, self.routing = pack, layout, routing
        self.frame = Frame(pack, layout, routing)
        self.title = title
        modules = len(layout.modules)
        self.subtitle = (
            f"{len(layout.cells):,} {plural(len(layout.cells), 'cell')} ({pack.cell.name}, "
            f"{layout.series}s{layout.parallel}p) in {modules:,} {plural(modules, 'module')} · "
            f"plan view from above, {self.frame.width / self.frame.scale:,.0f} × "
            f"{self.frame.height / self.frame.scale:,.0f} mm shown"
        )
        self.caption = caption
        self.defs: list[str] = []
        self.plan: list[str] = []
        self.marks: list[str] = []
        self.legend: list[tuple[str, Callable[[float, float], tuple[list[str], float]]]] = []

    # -- sizes
    @property
    def cell_px(self) -> float:
        """A cell's footprint on the sheet, px (its smaller side)."""
        return min(self.layout.footprint) * 1e3 * self.frame.scale if self.layout.cells else 0.0

    def stroke(self, px: float) -> str:
        return n(self.frame.mm(px))

    # -- the envelope, keepouts, cells
    def envelope(self) -> None:
        """The envelope's outline, its wall-clearance line and the keepouts (hatched, named)."""
        fl, pack = self.frame.floor, self.pack
        self.defs.append(
            '<pattern id="hatch" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(45)">'
            f'<line x1="0" y1="0" x2="0" y2="8" stroke="{style.PART["keepout"]}" stroke-width="1.5"/></pattern>'
        )
        self.plan.append(
            f'<path d="{self.path(fl.outline)}" fill="#F4F4F4" stroke="#222" stroke-width="{self.stroke(1.5)}"/>'
        )
        if not fl.virtual and pack.envelope is not None and pack.envelope.wall > 0:
            self.plan.append(
                f'<path d="{self.path(fl.inner)}" fill="none" stroke="#888" stroke-width="{self.stroke(0.8)}" '
                f'stroke-dasharray="{self.stroke(5)} {self.stroke(3)}"/>'
            )
        if not fl.keepouts:
            return
        names = [k.name for k in pack.envelope.keepouts] if pack.envelope is not None else []
        for name, geom in zip(names, fl.keepouts):
            self.plan.append(
                f'<path d="{self.path(geom)}" fill="#FBEAEA" stroke="{style.PART["keepout"]}" '
                f'stroke-width="{self.stroke(1)}"/>'
            )
            # the hatch in sheet px (a pattern inside the flipped plan would be drawn in mm)
            ring = self.px_path(geom)
            self.marks.append(f'<path d="{ring}" fill="url(#hatch)" stroke="none"/>')
            c = geom.representative_point()
            x, y = self.frame.px(c.x, c.y)
            self.marks.append(self.label(x, y, name, colour=style.PART["keepout"]))

    def cells(self, fill_of: Callable[[int], str], *, opacity_of: Callable[[int], float] | None = None) -> None:
        """Every cell, filled ``fill_of(cell index)``, faintly outlined when it is big enough to
        show an outline (cells of one fill and opacity grouped, so 10,000 cells stay small)."""
        layout = self.layout
        fmt = self.pack.cell.format
        if fmt.kind == "cylindrical":
            self.defs.append(f'<circle id="cell" r="{n(fmt.diameter * 1e3 / 2)}"/>')
        else:
            w, t = fmt.width * 1e3, fmt.thickness * 1e3
            self.defs.append(f'<rect id="cell" x="{n(-w / 2)}" y="{n(-t / 2)}" width="{n(w)}" height="{n(t)}"/>')
        outline = f' stroke="#000" stroke-opacity="0.3" stroke-width="{self.stroke(0.6)}"' if self.cell_px >= 5 else ""
        groups: dict[tuple[str, float], list[str]] = {}
        for c, use in zip(layout.cells, _cell_uses(layout)):
            key = (fill_of(c.index), opacity_of(c.index) if opacity_of else 1.0)
            groups.setdefault(key, []).append(use)
        self.plan.append(f'<g id="cells"{outline}>')
        for (fill, opacity), uses in sorted(groups.items()):
            alpha = f' fill-opacity="{n(opacity)}"' if opacity != 1.0 else ""
            self.plan.append(f'<g fill="{fill}"{alpha}>' + "".join(uses) + "</g>")
        self.plan.append("</g>")

    def modules(self) -> None:
        """Each module's name (M1, M2, …) at its cells' centre, where the module is big
        enough on the sheet to carry it."""
        layout = self.layout
        by_module: dict[int, list] = {}
        for c in layout.cells:
            by_module.setdefault(c.module, []).append(c)
        if len(by_module) < 2:
            return
        for m, cells in sorted(by_module.items()):
            xs, ys = [c.x for c in cells], [c.y for c in cells]
            span = min(max(xs) - min(xs), max(ys) - min(ys)) * 1e3 * self.frame.scale + self.cell_px
            if span < 28:
                continue
            x, y = self.frame.px(sum(xs) / len(xs), sum(ys) / len(ys))
            self.marks.append(self.label(x, y, f"M{m + 1}", size=FONT, bold=True))

    def terminals(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The pack's + and − terminals as markers; returns their model points (m). Routed:
        where the terminal leads end (``Routing.terminals``); else the centres of the terminal
        groups (``terminal_groups``)."""
        if self.routing is not None and len(self.routing.terminals) == 2:
            plus, minus = self.routing.terminals
        else:
            plus, minus = (self.group_centre(g) for g in terminal_groups(self.layout.series))
        for (x, y), sign, colour in ((plus, "+", style.PLUS), (minus, "−", style.MINUS)):
            px, py = self.frame.px(x, y)
            self.marks.append(
                f'<g class="terminal" data-terminal="{sign}"><circle cx="{n(px)}" cy="{n(py)}" r="10" '
                f'fill="{colour}" stroke="#fff" stroke-width="1.5"/><text x="{n(px)}" y="{n(py + 5)}" '
                f'text-anchor="middle" font-size="15" font-weight="bold" fill="#fff">{sign}</text></g>'
            )
        return plus, minus

    def group_centre(self, group: int) -> tuple[float, float]:
        cells = [self.layout.cells[i] for i in self.layout.groups[group].cells]
        return sum(c.x for c in cells) / len(cells), sum(c.y for c in cells) / len(cells)

    # -- geometry helpers
    def path(self, geom) -> str:
        """A shapely polygon (m) as path data in the plan's millimetres."""
        return self._rings(geom, lambda x, y: (n(x * 1e3), n(y * 1e3)))

    def px_path(self, geom) -> str:
        return self._rings(geom, lambda x, y: tuple(n(v) for v in self.frame.px(x, y)))

    @staticmethod
    def _rings(geom, point) -> str:
        parts = []
        for poly in getattr(geom, "geoms", [geom]):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            for ring in (poly.exterior, *poly.interiors):
                pts = list(ring.coords)[:-1]
                parts.append("M" + " L".join(",".join(point(x, y)) for x, y in pts) + "Z")
        return "".join(parts)

    def ring(self, points: Iterable[tuple[float, float]]) -> str:
        return "M" + " L".join(f"{n(x * 1e3)},{n(y * 1e3)}" for x, y in points) + "Z"

    @staticmethod
    def label(x: float, y: float, text: str, *, size: float = SMALL, bold: bool = False, colour: str = "#111") -> str:
        """Upright text centred at (x, y) px with a white halo (readable over any fill)."""
        weight = ' font-weight="bold"' if bold else ""
        return (
            f'<text x="{n(x)}" y="{n(y + size * 0.35)}" text-anchor="middle" font-size="{n(size)}"{weight} '
            f'fill="{colour}" stroke="#fff" stroke-width="3" stroke-opacity="0.85" paint-order="stroke">'
            f"{escape(text)}</text>"
        )

    # -- the legend: entries drawn top to bottom in the panel
    def swatch(self, text: str, fill: str, *, opacity: float = 1.0, stroke: str = "#555", pattern: str = "") -> None:
        def draw(x: float, y: float) -> tuple[list[str], float]:
            paint = f"url(#{pattern})" if pattern else fill
            box = (
                f'<rect x="{n(x)}" y="{n(y - 12)}" width="16" height="16" fill="{paint}" '
                f'fill-opacity="{n(opacity)}" stroke="{stroke}" stroke-width="1"/>'
            )
            if pattern:
                box = f'<rect x="{n(x)}" y="{n(y - 12)}" width="16" height="16" fill="{fill}"/>' + box
            return self._entry(x, y, text, box)

        self.legend.append(("swatch", draw))

    def line(self, text: str, colour: str, width: float, *, dash: str = "") -> None:
        def draw(x: float, y: float) -> tuple[list[str], float]:
            d = f' stroke-dasharray="{dash}"' if dash else ""
            mark = (
                f'<line x1="{n(x)}" y1="{n(y - 4)}" x2="{n(x + 16)}" y2="{n(y - 4)}" stroke="{colour}" '
                f'stroke-width="{n(width)}"{d}/>'
            )
            return self._entry(x, y, text, mark)

        self.legend.append(("line", draw))

    def marker_entry(self) -> None:
        def draw(x: float, y: float) -> tuple[list[str], float]:
            marks = []
            for k, (sign, colour) in enumerate((("+", style.PLUS), ("−", style.MINUS))):
                cx = x + 8 + k * 24
                marks.append(
                    f'<circle cx="{n(cx)}" cy="{n(y - 4)}" r="9" fill="{colour}"/><text x="{n(cx)}" y="{n(y + 1)}" '
                    f'text-anchor="middle" font-size="14" font-weight="bold" fill="#fff">{sign}</text>'
                )
            out, h = self._entry(x + 24, y, "the pack's terminals", "".join(marks))
            return out, h

        self.legend.append(("terminals", draw))

    def note(self, text: str) -> None:
        def draw(x: float, y: float) -> tuple[list[str], float]:
            lines = wrap(text, LEGEND_CHARS + 4)
            out = [
                f'<text x="{n(x)}" y="{n(y + k * (LINE - 3))}" font-size="{n(SMALL)}" fill="#444">{escape(t)}</text>'
                for k, t in enumerate(lines)
            ]
            return out, (LINE - 3) * len(lines) + 4

        self.legend.append(("note", draw))

    def heading(self, text: str) -> None:
        def draw(x: float, y: float) -> tuple[list[str], float]:
            return [f'<text x="{n(x)}" y="{n(y)}" font-weight="bold">{escape(text)}</text>'], LINE + 2

        self.legend.append(("heading", draw))

    def colour_bar(self, scale: ColourScale, marks: Sequence[tuple[float, str]] = ()) -> None:
        """A vertical colour bar in physical units: ticks at round values, the values' own
        range, and ``marks`` (value, text): limits drawn as lines across it."""

        def draw(x: float, y: float) -> tuple[list[str], float]:
            out = [f'<text x="{n(x)}" y="{n(y)}" font-weight="bold">{escape(scale.title)}</text>']
            top, height, width = y + 12, 200.0, 18.0
            gid = "ramp"
            stops = "".join(
                f'<stop offset="{n(k / (len(scale.ramp) - 1))}" stop-color="{c}"/>'
                for k, c in enumerate(reversed(scale.ramp))
            )
            self.defs.append(f'<linearGradient id="{gid}" x1="0" y1="0" x2="0" y2="1">{stops}</linearGradient>')
            out.append(
                f'<rect class="colour-bar" x="{n(x)}" y="{n(top)}" width="{n(width)}" height="{n(height)}" '
                f'fill="url(#{gid})" stroke="#555" stroke-width="1"/>'
            )

            def at(value: float) -> float:
                return top + height * (1 - (value - scale.lo) / (scale.hi - scale.lo))

            for value in ticks(scale.lo, scale.hi, 5):
                ty = at(value)
                out.append(
                    f'<line x1="{n(x + width)}" y1="{n(ty)}" x2="{n(x + width + 5)}" y2="{n(ty)}" stroke="#333"/>'
                    f'<text x="{n(x + width + 8)}" y="{n(ty + 4)}" font-size="{n(SMALL)}">'
                    f"{escape(_tick(value, scale))}</text>"
                )
            beyond = []
            for value, text in marks:
                if not scale.lo <= value <= scale.hi:
                    beyond.append(f"{text}: {'above' if value > scale.hi else 'below'} the range shown")
                else:
                    ty = at(value)
                    out.append(
                        f'<line x1="{n(x - 4)}" y1="{n(ty)}" x2="{n(x + width + 4)}" y2="{n(ty)}" stroke="#000" '
                        f'stroke-width="2"/><text x="{n(x + width + 70)}" y="{n(ty + 4)}" font-size="{n(SMALL)}">'
                        f"{escape(text)}</text>"
                    )
            y2 = top + height + 20
            if scale.flat:
                said = f"every cell {scale.text((scale.low + scale.high) / 2)} (spread {scale.text(scale.high - scale.low)}): one colour"
            else:
                said = (
                    f"{scale.text(scale.low)} to {scale.text(scale.high)} (spread {scale.text(scale.high - scale.low)})"
                )
            lines = [line for text in (said, *beyond) for line in wrap(text, LEGEND_CHARS + 4)]
            out += [
                f'<text x="{n(x)}" y="{n(y2 + k * (LINE - 3))}" font-size="{n(SMALL)}" fill="#333">{escape(t)}</text>'
                for k, t in enumerate(lines)
            ]
            return out, (y2 - y) + (LINE - 3) * len(lines) + 6

        self.legend.append(("colour bar", draw))

    def _entry(self, x: float, y: float, text: str, mark: str) -> tuple[list[str], float]:
        lines = wrap(text, LEGEND_CHARS)
        out = [mark] + [
            f'<text x="{n(x + 26)}" y="{n(y + k * (LINE - 3))}">{escape(t)}</text>' for k, t in enumerate(lines)
        ]
        return out, LINE + (LINE - 3) * (len(lines) - 1) + 4

    # -- the sheet
    def render(self) -> str:
        f = self.frame
        lx = SHEET_WIDTH - PAD - LEGEND_WIDTH
        legend: list[str] = []
        y = HEADER + 14
        for _kind, draw in self.legend:
            drawn, h = draw(lx, y)
            legend += drawn
            y += h
        legend_bottom = y
        body_bottom = max(f.top + f.height, legend_bottom)
        height = body_bottom + FOOTER
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{n(SHEET_WIDTH)}" height="{n(height)}" '
            f'viewBox="0 0 {n(SHEET_WIDTH)} {n(height)}" font-family="{FAMILY}" font-size="{n(FONT)}">',
            f"<title>{escape(self.title)}</title>",
            "<defs>" + "".join(self.defs) + "</defs>",
            f'<rect width="{n(SHEET_WIDTH)}" height="{n(height)}" fill="#ffffff"/>',
            '<g id="header">',
            f'<text x="{n(PAD)}" y="30" font-size="{n(TITLE)}" font-weight="bold">{escape(self.title)}</text>',
            f'<text x="{n(PAD)}" y="54" fill="#444">{escape(_fit(self.subtitle, CHARS))}</text>',
        ]
        for k, text in enumerate(_lines(self.caption, CHARS, 2)):
            out.append(f'<text class="caption" x="{n(PAD)}" y="{n(76 + k * 19)}" fill="#222">{escape(text)}</text>')
        out.append("</g>")
        out.append(f'<g id="plan" transform="{f.transform}">')
        out += self.plan
        out.append("</g>")
        out.append('<g id="marks">')
        out += self.marks
        out.append("</g>")
        out.append('<g id="legend">')
        out += legend
        out.append("</g>")
        out += self._scale_bar(body_bottom + 30)
        out += self._axes(body_bottom + 76)
        out.append("</svg>")
        return "\n".join(out) + "\n"

    def _scale_bar(self, y: float) -> list[str]:
        f = self.frame
        length = nice_step(f.width / f.scale, 4)  # mm
        w = length * f.scale
        text = f"{length / 1000:g} m" if length >= 1000 else f"{length:g} mm"
        x = PAD
        return [
            '<g id="scale-bar">',
            f'<rect x="{n(x)}" y="{n(y)}" width="{n(w / 2)}" height="6" fill="#222"/>',
            f'<rect x="{n(x + w / 2)}" y="{n(y)}" width="{n(w / 2)}" height="6" fill="#fff" stroke="#222" '
            'stroke-width="1"/>',
            f'<text x="{n(x)}" y="{n(y + 22)}" font-size="{n(SMALL)}">0</text>',
            f'<text x="{n(x + w)}" y="{n(y + 22)}" font-size="{n(SMALL)}" text-anchor="middle">{text}</text>',
            "</g>",
        ]

    def _axes(self, y: float) -> list[str]:
        """x to the right and y up, from a corner right of the scale bar."""
        scale_w = nice_step(self.frame.width / self.frame.scale, 4) * self.frame.scale
        ox, oy = PAD + max(scale_w + 60, self.frame.width - 300), y
        return [
            '<g id="axes" stroke="#222" stroke-width="1.5" fill="#222">',
            f'<line x1="{n(ox)}" y1="{n(oy)}" x2="{n(ox + 34)}" y2="{n(oy)}"/>',
            f'<path d="M{n(ox + 40)},{n(oy)} L{n(ox + 32)},{n(oy - 4)} L{n(ox + 32)},{n(oy + 4)}Z" stroke="none"/>',
            f'<line x1="{n(ox)}" y1="{n(oy)}" x2="{n(ox)}" y2="{n(oy - 34)}"/>',
            f'<path d="M{n(ox)},{n(oy - 40)} L{n(ox - 4)},{n(oy - 32)} L{n(ox + 4)},{n(oy - 32)}Z" stroke="none"/>',
            f'<text x="{n(ox + 44)}" y="{n(oy + 4)}" stroke="none" font-size="{n(SMALL)}">x</text>',
            f'<text x="{n(ox - 4)}" y="{n(oy - 44)}" stroke="none" font-size="{n(SMALL)}">y</text>',
            f'<text x="{n(ox + 60)}" y="{n(oy + 4)}" stroke="none" font-size="{n(SMALL)}" fill="#444">'
            "plan view, seen from above</text>",
            "</g>",
        ]


def _tick(value: float, scale: ColourScale) -> str:
    step = nice_step(scale.hi - scale.lo, 5)
    digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{value:,.{digits}f} {scale.unit}"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _lines(text: str, width: int, most: int) -> list[str]:
    """``text`` wrapped at word boundaries into at most ``most`` lines (the last one cut short
    with an ellipsis if it must be)."""
    lines = wrap(text, width)
    if len(lines) > most:
        lines = lines[: most - 1] + [_fit(" ".join(lines[most - 1 :]), width)]
    return lines
