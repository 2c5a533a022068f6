"""``busbars.svg``: the routed busbars, terminal leads and fuse links, in the sheet style of
``drawing`` (the same frame, + and − as layout.svg).

Busbars are coloured by their potential above the pack's − terminal (open circuit, at the
cell's nominal voltage): the plate joining series groups k and k+1 sits at (S − 1 − k) ×
V_nominal, the + terminal plate at S × V_nominal, the − one at 0 V (``terminal_groups``: + at
group 0). Plates on the cells' top face are drawn solid, those on the bottom face pale and
dashed under them; the terminal leads as their routed centrelines. Fuse links are drawn only
where a cell is ``FUSE_MIN_PX`` wide or more on the sheet (the legend says so otherwise).

``currents_svg`` moved to ``cell_maps`` with ``temperatures_svg``; it is re-exported here.
"""

from __future__ import annotations

from html import escape

from battgen.core import ir
from battgen.core.text import counted
from battgen.emit import style
from battgen.emit.cell_maps import currents_svg, temperatures_svg
from battgen.emit.drawing import ColourScale, Sheet, n
from battgen.passes.layout.types import Layout, terminal_groups
from battgen.passes.loads import LoadCase
from battgen.passes.routing.types import Busbar, Routing

__all__ = ["busbars_svg", "currents_svg", "potential", "temperatures_svg"]

FUSE_MIN_PX = 12.0  # a cell narrower than this on the sheet: its fuse link would be a speck


def potential(busbar: Busbar, series: int, nominal: float) -> float:
    """The busbar's potential above the pack's − terminal, V (open circuit, nominal)."""
    plus, _minus = terminal_groups(series)
    if busbar.kind == "terminal":
        return series * nominal if busbar.groups[0] == plus else 0.0
    return (series - 1 - min(busbar.groups)) * nominal


def busbars_svg(layout: Layout, routing: Routing, pack: ir.Pack, sizing: LoadCase | None = None, bms=None) -> str:
    """Cells (pale), busbar plates by potential (top face solid, bottom face dashed), leads,
    fuse links where they can be seen, the pack's terminals; with ``bms`` (the BMS stage's
    design), its sense lines and front-end boards (``_sense_lines``). ``sizing``: the load case
    the busbars were sized for, named in the caption."""
    nominal, series = pack.cell.nominal_voltage, layout.series
    top = series * nominal
    scale = ColourScale(style.POTENTIAL, 0.0, top, 0.0, top, "V", "potential above −", False, 0)
    worst = max((b.current_peak for b in routing.busbars), default=0.0)
    load = (
        f" Sized for the {sizing.kind} load ({sizing.basis}: {sizing.current:,.0f} A)"
        if sizing is not None
        else f" Sized for {worst:,.0f} A"
    )
    caption = (
        f"{counted(len(routing.busbars), 'busbar')} coloured by potential above the pack's − terminal (open circuit, "
        f"{nominal:g} V a group).{load}; {routing.busbar_mass:,.2f} kg in all."
    )
    sheet = Sheet(pack, layout, routing, f"{layout.pack} — busbars, {layout.series}s{layout.parallel}p", caption)
    sheet.envelope()
    sheet.cells(lambda i: "#E4E4E4")
    for face, opacity, dash in (("bottom", 0.35, True), ("top", 0.75, False)):
        plates = [b for b in routing.busbars if b.z == face and not b.path]
        if not plates:
            continue
        dashes = f' stroke-dasharray="{sheet.stroke(4)} {sheet.stroke(3)}"' if dash else ""
        sheet.plan.append(
            f'<g id="busbars-{face}" fill-opacity="{n(opacity)}" stroke="#1A1A1A" stroke-opacity="0.55" '
            f'stroke-width="{sheet.stroke(1)}"{dashes}>'
        )
        for b in plates:
            colour = scale.colour(potential(b, series, nominal))
            d = sheet.ring(b.polygon) + "".join(sheet.ring(h) for h in b.holes)
            sheet.plan.append(
                f'<path class="{b.kind}" data-busbar="{b.index}" d="{d}" fill="{colour}" fill-rule="evenodd"/>'
            )
        sheet.plan.append("</g>")
    leads = [b for b in routing.busbars if b.path]
    if leads:
        sheet.plan.append('<g id="leads" fill="none" stroke-linejoin="round" stroke-linecap="round">')
        for b in leads:
            pts = " ".join(f"{n(x * 1e3)},{n(y * 1e3)}" for x, y in b.path)
            colour = scale.colour(potential(b, series, nominal))
            sheet.plan.append(
                f'<polyline points="{pts}" stroke="#222" stroke-width="{sheet.stroke(6)}"/>'
                f'<polyline data-busbar="{b.index}" class="lead" points="{pts}" stroke="{colour}" '
                f'stroke-width="{sheet.stroke(4)}"/>'
            )
        sheet.plan.append("</g>")
    fuses_drawn = _fuses(sheet, layout, routing)
    if bms is not None and bms.sense_lines:
        _sense_lines(sheet, bms)
    sheet.terminals()
    sheet.modules()
    sheet.colour_bar(scale)
    sheet.marker_entry()
    sheet.swatch("plate on the cells' top face", style.sample(style.POTENTIAL, 0.5), opacity=0.75)
    sheet.swatch("plate on the bottom face (under)", style.sample(style.POTENTIAL, 0.5), opacity=0.35)
    if leads:
        sheet.line("terminal lead (routed)", "#222", 5)
    if routing.fuses:
        if fuses_drawn:
            sheet.line(f"fuse link ({counted(len(routing.fuses), 'link')})", style.PART["fuse"], 2.5)
        else:
            sheet.note(
                f"{counted(len(routing.fuses), 'fuse link')} ({routing.fuse_mode.replace('_', ' ')}): not drawn at "
                f"this scale (a cell is {sheet.cell_px:.0f} px wide); see pack.glb"
            )
    if bms is not None and bms.sense_lines:
        sheet.line(f"BMS sense line ({counted(len(bms.sense_lines), 'line')})", SENSE, 1.5)
        sheet.swatch(f"BMS front-end board ({counted(len(bms.boards), 'board')})", SENSE, opacity=0.55)
    sheet.swatch("cell", "#E4E4E4", stroke="#999")
    return sheet.render()


SENSE = style.PART["bms_board"]  # the BMS boards and sense lines, as in the CAD


def _sense_lines(sheet: Sheet, bms) -> None:
    """The BMS's voltage sense lines (from each front-end board to the point of the busbar they
    tap, as routed) and the boards, in a group of their own."""
    sheet.plan.append(
        f'<g id="bms"><g id="sense-lines" stroke="{SENSE}" fill="none" stroke-width="{sheet.stroke(1.5)}">'
    )
    for k, line in enumerate(bms.sense_lines):
        points = " ".join(f"{n(x * 1e3)},{n(y * 1e3)}" for x, y in line.path)
        tx, ty = line.path[-1]
        sheet.plan.append(
            f'<polyline id="sense-{k}" class="busbar-{line.busbar}" points="{points}"/>'
            f'<circle cx="{n(tx * 1e3)}" cy="{n(ty * 1e3)}" r="{sheet.stroke(2)}" fill="{SENSE}" stroke="none"/>'
        )
    sheet.plan.append(f'</g><g id="bms-boards" fill="{SENSE}" fill-opacity="0.55">')
    for board in bms.boards:
        (x, y), (w, d) = board.centre, board.size
        sheet.plan.append(
            f'<rect id="front-end-{board.index}" x="{n((x - w / 2) * 1e3)}" y="{n((y - d / 2) * 1e3)}" '
            f'width="{n(w * 1e3)}" height="{n(d * 1e3)}"/>'
        )
    sheet.plan.append("</g></g>")


def _fuses(sheet: Sheet, layout: Layout, routing: Routing) -> bool:
    """A short stroke from each fused cell's centre, if cells are big enough to show it."""
    if not routing.fuses or sheet.cell_px < FUSE_MIN_PX:
        return False
    r = min(layout.footprint) * 1e3 / 2
    by_index = {c.index: c for c in layout.cells}
    segs = []
    for f in routing.fuses:
        c = by_index.get(f.cell)
        if c is None:
            continue
        x, y = c.x * 1e3, c.y * 1e3
        length = min(f.length * 1e3, r * 0.9)
        segs.append(f"M{n(x)},{n(y)} L{n(x + length)},{n(y)}")
    sheet.plan.append(
        f'<path id="fuses" d="{escape(" ".join(segs))}" stroke="{style.PART["fuse"]}" '
        f'stroke-width="{sheet.stroke(2.5)}" stroke-linecap="round" fill="none"/>'
    )
    return True
