"""``currents.svg`` and ``temperatures.svg``: every cell coloured by a quantity, in the sheet
style of ``drawing`` (the same frame, + and − as layout.svg), with a colour bar in physical
units that never stretches a spread the models cannot resolve (``drawing.colour_scale``).

* currents: each cell's current at the **peak** load (the case the cells' ratings and the
  fuse links are held to), from the solved busbar network scaled to that case's pack current
  (the network is linear); ``CURRENT_RESOLUTION`` of the mean;
* temperatures: each cell's temperature at the **continuous** load, the heat stage's load
  (``passes.temperatures``); ``TEMPERATURE_RESOLUTION``.

Each caption names the load and where the figure comes from; the most loaded (hottest) cell is
ringed, and the cell's limit is marked on the colour bar when it falls in its range.
"""

from __future__ import annotations

from collections.abc import Sequence

from battgen.core import ir
from battgen.emit import style
from battgen.emit.drawing import ColourScale, Sheet, colour_scale, n
from battgen.passes.heat import Heat
from battgen.passes.layout.types import Layout
from battgen.passes.loads import LoadCase
from battgen.passes.routing.types import Routing

# Differences smaller than these are drawn as one colour (design choices, not measurements):
# 1 % of the mean cell current — the smallest step an engineer would act on; 0.5 K — the
# tolerance of a class 1 type T thermocouple (IEC 60584-1: ±0.5 °C), the sensor a test of the
# pack would check the figure with.
CURRENT_RESOLUTION = 0.01
TEMPERATURE_RESOLUTION = 0.5
LEVELS = 64  # colour steps cells are grouped into


def currents_svg(layout: Layout, routing: Routing, pack: ir.Pack, case: LoadCase | None = None) -> str:
    """Cells coloured by their current at ``case`` (the peak load; the network's own current
    when none is given)."""
    network = routing.network
    current = case.current if case is not None else network.pack_current
    k = current / network.pack_current if network.pack_current else 0.0
    amps = [abs(i) * k for i in network.cell_currents]
    mean = sum(amps) / len(amps) if amps else 0.0
    scale = colour_scale(
        amps, style.CURRENT, "A", "cell current", max(CURRENT_RESOLUTION * mean, 1e-3), digits=_digits(mean)
    )
    load = (
        f"the {case.kind} load ({case.basis}): {case.current:,.0f} A"
        if case is not None
        else f"a pack current of {current:,.0f} A"
    )
    caption = (
        f"Current in every cell at {load} from the pack's terminals, {scale.text(mean)} a cell on average; "
        "from the solved busbar network."
    )
    cell = pack.cell
    marks = [(cell.max_discharge_current, f"rating {cell.max_discharge_current:g} A")]
    if cell.pulse_current:
        marks.append((cell.pulse_current, f"pulse {cell.pulse_current:g} A"))
    title = f"{layout.pack} — cell currents, {layout.series}s{layout.parallel}p"
    return _cell_map(layout, routing, pack, title, caption, amps, scale, marks, "most loaded cell")


def temperatures_svg(
    layout: Layout, routing: Routing, pack: ir.Pack, heat: Heat, case: LoadCase | None = None
) -> str | None:
    """Cells coloured by their temperature at the heat stage's load (the continuous case);
    None when the heat stage has no per-cell figure (``passes.temperatures``)."""
    from battgen.passes.asbuilt import DEFAULT_LIMIT
    from battgen.passes.temperatures import basis, cell_temperatures

    kelvin = cell_temperatures(pack, routing, heat)
    if kelvin is None:
        return None
    celsius = [float(t) - 273.15 for t in kelvin]
    scale = colour_scale(celsius, style.TEMPERATURE, "°C", "cell temperature", TEMPERATURE_RESOLUTION)
    load = f"the {case.kind} load ({case.basis}): {case.current:,.0f} A" if case else f"{heat.current:,.0f} A"
    caption = f"Temperature of every cell at {load}, {heat.cooling}: {basis(heat)}."
    limit = (heat.limit or DEFAULT_LIMIT) - 273.15
    title = f"{layout.pack} — cell temperatures, {layout.series}s{layout.parallel}p"
    return _cell_map(
        layout, routing, pack, title, caption, celsius, scale, [(limit, f"limit {limit:g} °C")], "hottest cell"
    )


def _cell_map(
    layout: Layout,
    routing: Routing,
    pack: ir.Pack,
    title: str,
    caption: str,
    values: Sequence[float],
    scale: ColourScale,
    marks: list[tuple[float, str]],
    worst: str,
) -> str:
    sheet = Sheet(pack, layout, routing, title, caption)
    sheet.envelope()
    fills = _step_fills(values, scale)
    sheet.cells(lambda i: fills[i] if i < len(fills) else "#FFFFFF")
    top = max(range(len(values)), key=lambda i: values[i]) if values and not scale.flat else None
    if top is not None:
        c = layout.cells[top]
        x, y = sheet.frame.px(c.x, c.y)
        r = max(sheet.cell_px / 2 + 4, 7)
        sheet.marks.append(
            f'<circle class="worst" cx="{n(x)}" cy="{n(y)}" r="{n(r)}" fill="none" stroke="#000" stroke-width="2"/>'
        )
    sheet.terminals()
    sheet.modules()
    sheet.colour_bar(scale, marks)
    sheet.marker_entry()
    if top is not None:
        sheet.swatch(f"{worst}: #{top} at {scale.text(values[top])}", "none", stroke="#000")
    return sheet.render()


def _step_fills(values: Sequence[float], scale: ColourScale) -> list[str]:
    """Each cell's fill: cells of one colour step are drawn in one group, the step's middle
    colour (each step's colour sampled once: 7,104 cells fall in at most ``LEVELS`` steps)."""
    if scale.flat:
        return [scale.colour(v) for v in values]
    steps: dict[int, str] = {}
    fills = []
    for v in values:
        level = scale.level(v, LEVELS)
        fill = steps.get(level)
        if fill is None:
            fill = steps[level] = style.sample(scale.ramp, (level + 0.5) / LEVELS)
        fills.append(fill)
    return fills


def _digits(mean: float) -> int:
    """Decimals for a current of about ``mean`` amperes: three figures."""
    if mean >= 100:
        return 0
    if mean >= 10:
        return 1
    return 2
