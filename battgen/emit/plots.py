"""Charts as inline SVG for report.html: no JavaScript, no plotting library, deterministic bytes.

``line_chart`` (lines against a shared x axis, with reference lines and a shaded band) and
``histogram`` (counts in bins, with reference lines). Each is an ``<svg>`` element ``WIDTH`` px
wide (its plot ``PLOT_HEIGHT`` px high) with axes, round ticks, axis titles with units, and a legend under the plot; text
is 12 px at the least (13 px labels), so that it stays readable when the page shows the chart a
little smaller than its natural size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from html import escape

from battgen.emit.drawing import n, nice_step, ticks

WIDTH = 520.0
PLOT_HEIGHT = 220.0  # px, the plot area; the chart grows under it with its legend
LEFT, RIGHT, TOP = 64.0, 16.0, 30.0
AXIS = 13.0  # px, tick labels and axis titles
LEGEND_CHARS = 30  # characters of a legend entry that fit half the plot's width at AXIS
FAMILY = "Helvetica, Arial, 'DejaVu Sans', sans-serif"


@dataclass(frozen=True)
class Series:
    name: str
    xs: Iterable[float]  # a list or a numpy array (read more than once)
    ys: Iterable[float]
    colour: str
    dash: str = ""
    width: float = 2.0


@dataclass(frozen=True)
class Rule:
    """A reference line across the plot at ``value`` (on x: vertical; on y: horizontal)."""

    value: float
    text: str
    colour: str = "#444"
    dash: str = "5 4"


@dataclass
class Chart:
    title: str
    x_label: str
    y_label: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # (text, colour, dash)
    # drawn in ``render``, once the legend (and so the plot area's height) is known
    body: list[Callable[[], str]] = field(default_factory=list)

    @property
    def columns(self) -> int:
        """Legend columns: two, or one when an entry would not fit in half the width."""
        return 1 if any(len(text) > LEGEND_CHARS for text, _c, _d in self.legend) else 2

    @property
    def plot(self) -> tuple[float, float, float, float]:
        """(left, top, width, height) of the plot area, px."""
        return LEFT, TOP, WIDTH - LEFT - RIGHT, PLOT_HEIGHT

    @property
    def height(self) -> float:
        """The chart's height, px: the plot, the axis titles and the legend's rows under it."""
        return TOP + PLOT_HEIGHT + 52 + 18 * math.ceil(len(self.legend) / self.columns)

    def x(self, value: float) -> float:
        left, _top, width, _h = self.plot
        lo, hi = self.x_range
        return left + (value - lo) / (hi - lo) * width

    def y(self, value: float) -> float:
        _l, top, _w, height = self.plot
        lo, hi = self.y_range
        return top + (1 - (value - lo) / (hi - lo)) * height

    def render(self, label: str) -> str:
        left, top, width, height = self.plot
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(label)}" '
            f'width="{n(WIDTH)}" height="{n(self.height)}" viewBox="0 0 {n(WIDTH)} {n(self.height)}" '
            f'font-family="{FAMILY}" font-size="{n(AXIS)}">',
            f"<title>{escape(label)}</title>",
            f'<rect width="{n(WIDTH)}" height="{n(self.height)}" fill="#fff"/>',
            f'<text x="{n(left)}" y="18" font-size="15" font-weight="bold">{escape(self.title)}</text>',
        ]
        # grid and ticks
        for value in ticks(*self.x_range, 6):
            px = self.x(value)
            out.append(
                f'<line x1="{n(px)}" y1="{n(top)}" x2="{n(px)}" y2="{n(top + height)}" stroke="#eee"/>'
                f'<text x="{n(px)}" y="{n(top + height + 16)}" text-anchor="middle">{_tick(value, self.x_range)}</text>'
            )
        for value in ticks(*self.y_range, 5):
            py = self.y(value)
            out.append(
                f'<line x1="{n(left)}" y1="{n(py)}" x2="{n(left + width)}" y2="{n(py)}" stroke="#eee"/>'
                f'<text x="{n(left - 6)}" y="{n(py + 4)}" text-anchor="end">{_tick(value, self.y_range)}</text>'
            )
        out.append(f'<svg x="{n(left)}" y="{n(top)}" width="{n(width)}" height="{n(height)}" overflow="hidden">')
        out.append(f'<g transform="translate({n(-left)} {n(-top)})">')
        out += [draw() for draw in self.body]
        out.append("</g></svg>")
        out.append(
            f'<rect x="{n(left)}" y="{n(top)}" width="{n(width)}" height="{n(height)}" fill="none" stroke="#555"/>'
        )
        out.append(
            f'<text x="{n(left + width / 2)}" y="{n(top + height + 34)}" text-anchor="middle">'
            f"{escape(self.x_label)}</text>"
        )
        out.append(
            f'<text transform="translate(16 {n(top + height / 2)}) rotate(-90)" text-anchor="middle">'
            f"{escape(self.y_label)}</text>"
        )
        cols = self.columns
        for k, (text, colour, dash) in enumerate(self.legend):
            lx = left + (k % cols) * (width / 2)
            ly = top + height + 56 + 18 * (k // cols)
            d = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line x1="{n(lx)}" y1="{n(ly - 4)}" x2="{n(lx + 22)}" y2="{n(ly - 4)}" stroke="{colour}" '
                f'stroke-width="2.5"{d}/><text x="{n(lx + 28)}" y="{n(ly)}">{escape(text)}</text>'
            )
        out.append("</svg>")
        return "\n".join(out)

    def rule_x(self, rule: Rule) -> None:
        if not self.x_range[0] <= rule.value <= self.x_range[1]:
            return

        def draw() -> str:
            px = self.x(rule.value)
            _l, top, _w, height = self.plot
            return (
                f'<line x1="{n(px)}" y1="{n(top)}" x2="{n(px)}" y2="{n(top + height)}" stroke="{rule.colour}" '
                f'stroke-width="1.5" stroke-dasharray="{rule.dash}"/>'
            )

        self.body.append(draw)
        self.legend.append((rule.text, rule.colour, rule.dash))

    def rule_y(self, rule: Rule) -> None:
        if not self.y_range[0] <= rule.value <= self.y_range[1]:
            return

        def draw() -> str:
            py = self.y(rule.value)
            left, _t, width, _h = self.plot
            return (
                f'<line x1="{n(left)}" y1="{n(py)}" x2="{n(left + width)}" y2="{n(py)}" stroke="{rule.colour}" '
                f'stroke-width="1.5" stroke-dasharray="{rule.dash}"/>'
            )

        self.body.append(draw)
        self.legend.append((rule.text, rule.colour, rule.dash))


def _tick(value: float, span: tuple[float, float]) -> str:
    step = nice_step(span[1] - span[0], 5)
    digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{value:,.{digits}f}"


def padded(lo: float, hi: float, pad: float = 0.06) -> tuple[float, float]:
    """[lo, hi] widened by ``pad`` of its span each side (a span of zero by 1 % of the value)."""
    span = hi - lo if hi > lo else max(abs(hi) * 0.01, 1e-9)
    return lo - span * pad, hi + span * pad


def line_chart(
    title: str,
    series: Sequence[Series],
    x_label: str,
    y_label: str,
    *,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    x_rules: Sequence[Rule] = (),
    y_rules: Sequence[Rule] = (),
    band: tuple[float, float, str] | None = None,
) -> str:
    """Lines against x. ``band``: (x0, x1, colour) shaded behind the lines."""
    xs = [x for s in series for x in s.xs]
    ys = [y for s in series for y in s.ys if math.isfinite(y)]
    ys += [r.value for r in y_rules]
    chart = Chart(
        title,
        x_label,
        y_label,
        x_range or (min(xs), max(xs)),
        y_range or padded(min(ys), max(ys)),
    )
    if band is not None:
        chart.body.append(lambda: _band(chart, band))
    for s in series:
        chart.body.append(partial(_line, chart, s))
        chart.legend.append((s.name, s.colour, s.dash))
    for rule in x_rules:
        chart.rule_x(rule)
    for rule in y_rules:
        chart.rule_y(rule)
    return chart.render(title)


def histogram(
    title: str,
    values: Sequence[float],
    x_label: str,
    *,
    resolution: float,
    colour: str = "#0072B2",
    rules: Sequence[Rule] = (),
    name: str = "cells",
) -> str:
    """How many of ``values`` fall in each bin. A spread under ``resolution`` is one bar at the
    values' mean, ``resolution`` wide (never a spread stretched to fill the axis)."""
    lo, hi = min(values), max(values)
    if hi - lo < resolution:
        mid = (lo + hi) / 2
        edges = [mid - resolution / 2, mid + resolution / 2]
        counts = [len(values)]
    else:
        bins = max(5, min(30, round(math.sqrt(len(values)))))
        step = (hi - lo) / bins
        edges = [lo + k * step for k in range(bins + 1)]
        counts = [0] * bins
        for v in values:
            counts[min(int((v - lo) / step), bins - 1)] += 1
    x_lo, x_hi = padded(edges[0], edges[-1], 0.08)
    near = [r.value for r in rules if x_lo - (x_hi - x_lo) * 0.5 <= r.value <= x_hi + (x_hi - x_lo) * 0.5]
    if near:
        x_lo, x_hi = padded(min(x_lo, *near), max(x_hi, *near), 0.04)
    chart = Chart(title, x_label, name, (x_lo, x_hi), (0.0, max(counts) * 1.12))

    def bars() -> str:
        out = []
        for k, count in enumerate(counts):
            x0, x1 = chart.x(edges[k]), chart.x(edges[k + 1])
            y0 = chart.y(count)
            out.append(
                f'<rect class="data" x="{n(x0)}" y="{n(y0)}" width="{n(max(x1 - x0 - 1, 1))}" '
                f'height="{n(chart.y(0) - y0)}" fill="{colour}" fill-opacity="0.85"/>'
            )
        return "".join(out)

    chart.body.append(bars)
    chart.legend.append((f"{len(values):,} {name}", colour, ""))
    for rule in rules:
        chart.rule_x(rule)
    return chart.render(title)


def _band(chart: Chart, band: tuple[float, float, str]) -> str:
    x0, x1, colour = band
    _l, top, _w, height = chart.plot
    return (
        f'<rect x="{n(chart.x(x0))}" y="{n(top)}" width="{n(chart.x(x1) - chart.x(x0))}" height="{n(height)}" '
        f'fill="{colour}" fill-opacity="0.12"/>'
    )


def _line(chart: Chart, s: Series) -> str:
    pts = " ".join(f"{n(chart.x(x))},{n(chart.y(y))}" for x, y in zip(s.xs, s.ys) if math.isfinite(y))
    d = f' stroke-dasharray="{s.dash}"' if s.dash else ""
    return (
        f'<polyline class="data" points="{pts}" fill="none" stroke="{s.colour}" stroke-width="{n(s.width)}" '
        f'stroke-linejoin="round"{d}/>'
    )
