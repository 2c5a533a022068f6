"""``layout.svg``: the placed pack seen from above, in the sheet style of ``drawing``.

``layout_svg(layout, pack, routing=None) -> str`` draws the envelope, its wall-clearance line and
keepouts, every cell coloured by module with alternate groups lighter (alternating polarity),
the parallel-group outlines, the modules' names, the series path through the group centres
from the pack's + terminal to its − (through the routed terminals when ``routing`` is given),
the legend, the scale bar and the axes.
"""

from __future__ import annotations

from battgen.core import ir
from battgen.core.text import counted
from battgen.emit import style
from battgen.emit.drawing import Sheet, n
from battgen.passes.layout.types import Layout
from battgen.passes.routing.types import Routing

PALETTE = style.PALETTE  # the module colours (kept here for the importers of the old name)
MODULES_LISTED = 16  # modules named one by one in the legend; the rest summed up


def layout_svg(layout: Layout, pack: ir.Pack, routing: Routing | None = None) -> str:
    title = f"{layout.pack} — layout, {layout.series}s{layout.parallel}p"
    where = "a relaxed (off-lattice) packing" if layout.lattice == "relaxed" else f"a {layout.lattice} lattice"
    caption = (
        f"Cells by module, parallel groups and the series path; no load (the geometry as placed): {where}, "
        f"pitch {layout.pitch[0] * 1e3:.4g} × {layout.pitch[1] * 1e3:.4g} mm, {layout.used:,} of "
        f"{layout.sites:,} sites used, {layout.area_fraction:.0%} of the floor."
    )
    sheet = Sheet(pack, layout, routing, title, caption)
    sheet.envelope()
    group_module = {g.index: g.module for g in layout.groups}
    sheet.cells(
        lambda i: style.module_colour(group_module.get(layout.cells[i].group, layout.cells[i].module)),
        opacity_of=lambda i: 0.9 if layout.cells[i].group % 2 == 0 else 0.55,
    )
    outlines = "".join(sheet.ring(g.outline) for g in layout.groups if g.outline)
    if outlines and sheet.cell_px >= 3:
        sheet.plan.append(
            f'<path d="{outlines}" fill="none" stroke="#111" stroke-width="{sheet.stroke(1.2)}" '
            'stroke-linejoin="round"/>'
        )
    centres = [sheet.group_centre(g.index) for g in layout.groups if g.cells]
    plus, minus = sheet.terminals()
    path = [plus, *centres, minus] if routing is not None else centres
    if path:
        pts = " ".join(f"{n(x * 1e3)},{n(y * 1e3)}" for x, y in path)
        sheet.plan.append(
            f'<polyline points="{pts}" fill="none" stroke="{style.PLUS}" stroke-width="{sheet.stroke(3)}" '
            'stroke-linejoin="round" stroke-opacity="0.85"/>'
        )
    sheet.modules()
    _legend(sheet, layout)
    return sheet.render()


def _legend(sheet: Sheet, layout: Layout) -> None:
    sheet.heading("Modules")
    for m in layout.modules[:MODULES_LISTED]:
        first, last = (m.groups[0] + 1, m.groups[-1] + 1) if m.groups else (0, 0)
        cells = sum(len(layout.groups[g].cells) for g in m.groups)
        span = f"group {first}" if first == last else f"groups {first}–{last}"
        sheet.swatch(f"M{m.index + 1}: {span} ({counted(cells, 'cell')})", style.module_colour(m.index), opacity=0.9)
    rest = len(layout.modules) - MODULES_LISTED
    if rest > 0:
        sheet.note(f"… and {counted(rest, 'more module')} in the same colours in turn")
    sheet.marker_entry()
    sheet.line("series path, + to −", style.PLUS, 3)
    sheet.swatch(f"parallel group ({counted(layout.parallel, 'cell')})", "none", stroke="#111")
    if sheet.frame.floor.keepouts:
        sheet.swatch("keepout (space for another part)", "#FBEAEA", stroke=style.PART["keepout"], pattern="hatch")
    sheet.line("wall clearance", "#888", 1, dash="5 3")
    sheet.note("Darker and lighter cells: alternate groups, whose polarity alternates.")
