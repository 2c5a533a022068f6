"""``report.html``: the build as a page an engineer reads and forwards.

One self-contained HTML file beside the pictures it shows (``layout.svg``, ``busbars.svg``,
``currents.svg``, ``preview.png`` when CAD ran — linked by relative path, since the build
folder is written as a unit). Sections: the chosen design with the same rows as the terminal
report (``report.chosen_rows``), what limits it, the warnings, mass by part, runners-up, the
layout/routing/CAD results, the pictures and the bill of materials.

Deterministic: no time, no absolute path, inline CSS, the same bytes for the same design.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from battgen.core import units as u
from battgen.core.diagnostics import Diagnostic
from battgen.passes.bom import BomLine
from battgen.passes.build import PackBuild

# a table's cell, (css class, text), and a row of them (rows of one table all have its width)
_Cell = tuple[str, str]
_Row = tuple[_Cell, ...]

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; } h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { padding: 0.2em 0.8em; text-align: left; vertical-align: top; }
th { border-bottom: 1px solid #999; } tr:nth-child(even) td { background: #f6f6f6; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; } td.k { color: #666; white-space: nowrap; }
.warning { color: #8a5a00; } td.bad { color: #b00020; font-weight: bold; } .code { font-family: ui-monospace, monospace; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #ddd; } figcaption { color: #555; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 0.5em 1.5em; }
.plots figure { margin: 0.5em 0; } .plots svg { max-width: 100%; height: auto; border: 1px solid #eee; }
tr.total td { border-top: 1px solid #999; font-weight: bold; background: none; }
"""


def report_html(
    build: PackBuild, files: Sequence[str], diagnostics: Sequence[Diagnostic] = (), bom: Sequence[BomLine] = ()
) -> str:
    """The page for ``build``. ``files``: the names written to the same folder (pictures are
    linked only if present); ``diagnostics``: the warnings of this pack; ``bom``: its lines."""
    from battgen.emit.terminal import chosen_rows

    pack = build.pack
    synthesis = build.synthesis
    chosen = build.candidate
    assert chosen is not None
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(build.name)} — battgen report</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    out.append(f"<h1>pack {escape(build.name)}</h1>")
    out.append(
        f'<p class="sub">{escape(pack.cell.name)} · optimised for {escape(pack.optimise)} · '
        f"{synthesis.feasible_count:,} of {synthesis.evaluated:,} candidate architectures feasible · "
        f"source {escape(pack.span.file.rsplit('/', 1)[-1])}</p>"
    )

    from battgen.emit.terminal import loop_text, verdict_rows

    if build.as_built is not None:
        out.append("<h2>Requirements and cell limits, as built</h2>")
        head = [("", "requirement"), ("", "bound"), ("n", "estimate"), ("n", "as built"), ("n", "margin")]
        body: list[_Row] = [
            (
                ("", name),
                ("", bound),
                ("n", estimate),
                ("n", built),
                ("n bad" if margin.startswith("-") else "n", margin),
            )
            for name, bound, estimate, built, margin in verdict_rows(build)
        ]
        out.append(_table(head, body))
    if chosen.loads is not None:
        out.append("<h2>Load cases</h2>")
        head = [("", "case"), ("n", "pack current"), ("n", "per cell"), ("", "from")]
        body = [
            (
                ("", case.kind),
                ("n", u.format_quantity(case.current, u.CURRENT, 4)),
                ("n", u.format_quantity(case.cell_current(chosen.parallel), u.CURRENT, 4)),
                ("", case.basis),
            )
            for case in chosen.loads.cases
        ]
        out.append(_table(head, body))

    from battgen.emit.report_plots import plots_html

    out.extend(plots_html(build))

    out.append("<h2>Design</h2>")
    rows = list(chosen_rows(chosen))
    if chosen.binding:
        rows.append(("limited by", ", ".join(chosen.binding)))
    if loop_text(build):
        rows.append(("design loop", loop_text(build)))
    if synthesis.envelope_capacity is not None:
        rows.append(("envelope", f"holds at most {synthesis.envelope_capacity:,} cells (upper bound)"))
    out.append(_table(None, [(("k", label), ("", text)) for label, text in rows]))

    if diagnostics:
        out.append("<h2>Warnings</h2>")
        out.append("<ul>")
        for d in diagnostics:
            where = f"{d.span.file.rsplit('/', 1)[-1]}:{d.span.line}"
            hint = f" — {escape(d.hint)}" if d.hint else ""
            out.append(
                f'<li class="warning"><span class="code">{d.severity.value}[{d.code}]</span> '
                f'{escape(d.message)} <span class="code">({escape(where)})</span>{hint}</li>'
            )
        out.append("</ul>")

    if chosen.mass_parts:
        out.append("<h2>Mass by part (estimate)</h2>")
        total = sum(kg for _, kg in chosen.mass_parts)
        body = [
            (("", part), ("n", f"{kg:,.1f}"), ("n", f"{kg / total:.0%}")) for part, kg in chosen.mass_parts if kg > 0
        ]
        body.append((("", "pack"), ("n", f"{total:,.1f}"), ("n", "100%")))
        out.append(_table([("", "part"), ("n", "kg"), ("n", "share")], body, total_last=True))

    if synthesis.runners_up:
        out.append("<h2>Runners-up (Pareto front)</h2>")
        head = [
            ("", "S×P"),
            ("n", "cells"),
            ("n", "energy"),
            ("n", "peak power"),
            ("n", "mass"),
            ("n", "volume"),
            ("n", "cost"),
        ]
        body = [
            (
                ("", r.label),
                ("n", f"{r.cells:,}"),
                ("n", u.format_quantity(r.energy, u.ENERGY, 4)),
                ("n", u.format_quantity(r.peak_power, u.POWER, 4)),
                ("n", u.format_quantity(r.mass, u.MASS, 4)),
                ("n", u.format_quantity(r.volume, u.VOLUME, 4)),
                ("n", f"{r.cost:,.0f} USD"),
            )
            for r in synthesis.runners_up
        ]
        out.append(_table(head, body))

    stages = build.summaries()
    if stages:
        out.append("<h2>Layout, routing, heat, CAD</h2>")
        out.append(_table(None, [(("k", name), ("", text)) for name, text in stages]))

    loads = chosen.loads
    peak = f"at the peak load ({loads.peak.current:,.0f} A)" if loads else "at the network's current"
    continuous = f"at the continuous load ({loads.continuous.current:,.0f} A)" if loads else ""
    from battgen.emit.report_product import assembly_section, bms_section, lifetime_section

    out.extend(lifetime_section(build, _table))
    out.extend(bms_section(build, _table))
    out.extend(assembly_section(build, files, _table))
    out.extend(structure_safety_html(build))

    pictures = [
        (
            "preview.png",
            "the pack from the CAD model, lid off and the near walls cut away: cells by module, "
            "busbars over the far half, cold plate, enclosure",
        ),
        ("preview_top.png", "the CAD model from above, lid off"),
        ("layout.svg", "cells by module, parallel groups and the series path (no load)"),
        ("busbars.svg", "busbars by potential, terminal leads and fuse links"),
        ("currents.svg", f"current in every cell {peak}, from the solved network"),
        ("temperatures.svg", f"temperature of every cell {continuous}, from the heat stage"),
    ]
    shown = [(name, caption) for name, caption in pictures if name in files]
    if shown:
        out.append("<h2>Pictures</h2>")
        for name, caption in shown:
            out.append(
                f'<figure><a href="{name}"><img src="{name}" alt="{escape(caption)}"></a>'
                f"<figcaption>{escape(name)}: {escape(caption)}</figcaption></figure>"
            )

    if bom:
        out.append("<h2>Bill of materials</h2>")
        head = [("", "item"), ("", "part"), ("n", "qty"), ("n", "kg"), ("n", "USD"), ("", "basis")]
        body = [
            (
                ("", line.item),
                ("", line.part),
                ("n", "" if line.quantity is None else f"{line.quantity:,}"),
                ("n", f"{line.mass_kg:,.2f}"),
                ("n", _usd(line.cost_usd)),
                ("k", line.basis),
            )
            for line in bom
        ]
        mass = sum(line.mass_kg for line in bom)
        money = sum(line.cost_usd for line in bom if line.cost_usd is not None)
        body.append((("", "total"), ("", ""), ("n", ""), ("n", f"{mass:,.2f}"), ("n", _usd(money)), ("k", "")))
        out.append(_table(head, body, total_last=True))
        out.append(
            '<p class="sub">Also in <a href="bom.csv">bom.csv</a>; every figure and its source in '
            '<a href="design.json">design.json</a>.</p>'
        )

    out.append(
        '<p class="sub">Written by battgen. Every model and constant names its source in the battgen '
        "source (battgen/models/).</p>"
    )
    out.extend(["</body>", "</html>"])
    return "\n".join(out) + "\n"


def _usd(value: float | None) -> str:
    """Dollars: cents below 100 USD (a busbar's metal costs cents), whole dollars above."""
    if value is None:
        return ""
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def _table(head: Sequence[_Cell] | None, rows: Sequence[_Row], total_last: bool = False) -> str:
    """An HTML table; cells are (css class, text) pairs, text escaped here."""
    out = ["<table>"]
    if head:
        out.append(
            "<tr>"
            + "".join(f'<th class="{c}">{escape(t)}</th>' if c else f"<th>{escape(t)}</th>" for c, t in head)
            + "</tr>"
        )
    for i, row in enumerate(rows):
        total = total_last and i == len(rows) - 1
        cells = "".join(f'<td class="{c}">{escape(t)}</td>' if c else f"<td>{escape(t)}</td>" for c, t in row)
        out.append(f'<tr class="total">{cells}</tr>' if total else f"<tr>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


# --- structure and safety ------------------------------------------------------------------------


def _g(value: float) -> str:
    """An acceleration, m/s², in g."""
    return f"{value / 9.80665:,.2f} g"


def _mpa(value: float) -> str:
    return "—" if value != value else f"{value / 1e6:,.1f} MPa"  # NaN: no figure


def _margin(value: float) -> tuple[str, str]:
    if value != value:  # NaN
        return ("n", "—")
    if value == float("inf"):
        return ("n", "∞")
    return ("n bad" if value < 0 else "n", f"{value:+.0%}")


def structure_safety_html(build: PackBuild) -> list[str]:
    """The report's structure and safety sections (empty when those stages did not run)."""
    out: list[str] = []
    if build.structure is not None:
        out.extend(_structure_html(build.structure))
    if build.safety is not None:
        out.extend(_safety_html(build.safety, build.candidate.parallel if build.candidate else 1))
    return out


def _structure_html(structure) -> list[str]:
    out = ["<h2>Structure: vibration, shock, compression, crush</h2>"]
    low, high = structure.band
    out.append(
        f'<p class="sub">Vibration: {escape(structure.standards["vibration"])}; road band {low:g}-{high:g} Hz; '
        f"shock: {escape(structure.standards['shock'])}; damping {structure.damping:.0%}. First modes by finite "
        "elements (scikit-fem, Morley plates), beside a closed form: Navier's plate for the panels, a beam simply supported over the longest bolt span for the modules.</p>"
    )
    head = [
        ("", "part"),
        ("n", "modes, Hz (FE)"),
        ("n", "hand, Hz"),
        ("", "supports"),
        ("n", "mass, kg"),
        ("n", "vibration"),
        ("n", "stress"),
        ("n", "fatigue margin"),
        ("n", "shock"),
        ("n", "stress"),
        ("n", "shock margin"),
    ]
    body: list[_Row] = []
    for r in (*structure.modules, *structure.panels):
        freq = ", ".join(f"{f:.1f}" for f in r.frequencies)
        body.append(
            (
                ("", r.name),
                ("n bad" if r.in_band else "n", freq),
                ("n", f"{r.hand:.1f}"),
                ("", r.supports),
                ("n", f"{r.mass:,.1f}"),
                ("n", _g(r.vibration)),
                ("n", _mpa(r.stress_vibration)),
                _margin(r.fatigue_margin),
                ("n", _g(r.shock)),
                ("n", _mpa(r.stress_shock)),
                _margin(r.shock_margin),
            )
        )
    out.append(_table(head, body))
    if structure.joints:
        worst = sorted(structure.joints, key=lambda j: -j.stress_shock)[:5]
        head = [
            ("", "busbar"),
            ("", "modules"),
            ("n", "vibration stress"),
            ("n", "fatigue margin"),
            ("n", "shock stress"),
            ("n", "shock margin"),
        ]
        body = [
            (
                ("", f"{j.busbar} ({j.material})"),
                ("", f"{j.modules[0]} – {j.modules[1]}"),
                ("n", _mpa(j.stress_vibration)),
                _margin(j.fatigue_margin),
                ("n", _mpa(j.stress_shock)),
                _margin(j.shock_margin),
            )
            for j in worst
        ]
        out.append("<p>Module links (the most stressed):</p>")
        out.append(_table(head, body))
    comp = structure.compression
    out.append(f"<p>Compression: {escape(comp.basis)}.</p>")
    if comp.fixtures:
        head = [
            ("", "stack"),
            ("n", "cells"),
            ("n", "end plate"),
            ("n", "bands"),
            ("n", "preload"),
            ("n", "charged"),
            ("n", "end of life"),
            ("n", "limit"),
            ("n", "pads take"),
            ("n", "kg"),
        ]
        body = [
            (
                ("", f"{f.stack} (module {', '.join(str(m) for m in f.modules)})"),
                ("n", str(f.cells_in_stack)),
                ("n", f"{f.face[0] * 1e3:.0f} × {f.face[1] * 1e3:.0f} × {f.plate_thickness * 1e3:.1f} mm"),
                ("n", f"{f.bands} × {f.band_width * 1e3:.0f} × {f.band_thickness * 1e3:.1f} mm"),
                ("n", f"{f.preload / 1e3:,.0f} kPa"),
                ("n", f"{f.pressure_charged / 1e3:,.0f} kPa"),
                ("n bad" if f.pressure_end_of_life > f.limit else "n", f"{f.pressure_end_of_life / 1e3:,.0f} kPa"),
                ("n", f"{f.limit / 1e3:,.0f} kPa"),
                ("n", f"{f.pad_stroke * 1e3:.1f} mm"),
                ("n", f"{f.mass_plates + f.mass_bands:.2f}"),
            )
            for f in comp.fixtures
        ]
        out.append(_table(head, body))
    if structure.crush:
        head = [
            ("", "crush"),
            ("n", "frame carries"),
            ("n", "standard"),
            ("n", "cells from the wall"),
            ("n", "platen may travel"),
        ]
        body = [
            (
                ("", c.direction),
                ("n" if c.holds else "n bad", f"{c.capacity / 1e3:,.0f} kN"),
                ("n", f"{c.force / 1e3:,.0f} kN"),
                ("n", f"{c.clearance * 1e3:.1f} mm"),
                ("n", f"{c.travel * 1e3:.0f} mm"),
            )
            for c in structure.crush
        ]
        out.append(_table(head, body))
    return out


def _safety_html(safety, parallel: int) -> list[str]:
    p = safety.propagation
    out = ["<h2>Safety: thermal-runaway propagation, vent gas, fault isolation</h2>"]
    first = "none" if p.contained else f"{p.first_time:,.0f} s (cell {p.first:,})"
    rows = [
        ("standard", safety.standards["propagation"]),
        ("trigger", f"cell {p.trigger:,} (module {p.trigger_module}), {p.method}, heated {p.heating_time:,.0f} s"),
        (
            "cell",
            f"onset {p.onset - 273.15:.0f} °C; {p.body_heat / 1e3:.1f} kJ into the body, "
            f"{p.ejecta_heat / 1e3:.1f} kJ in the ejecta",
        ),
        ("barrier", p.barrier),
        ("first propagation", first + f" — the criterion is {p.criterion:.0f} s"),
        ("to another module", "never" if p.module_time == float("inf") else f"{p.module_time:,.0f} s"),
        (
            "cells in runaway",
            f"{p.cells_at_criterion:,} at 5 min, {p.cells_total:,} of {p.cells:,} in all "
            f"({p.simulated:,.0f} s simulated)",
        ),
    ]
    if p.contained:
        rows.append(("hottest other cell", f"{p.neighbour_peak - 273.15:.0f} °C"))
    out.append(
        _table(None, [(("k", a), ("bad" if a == "first propagation" and not p.passed else "", b)) for a, b in rows])
    )
    if len(p.timeline) > 1:
        body: list[_Row] = [
            (("n", str(k)), ("n", f"{c:,}"), ("n", str(m)), ("n", f"{t:,.0f}"))
            for k, (c, m, t) in enumerate(p.timeline[:12])
        ]
        out.append(_table([("n", "#"), ("n", "cell"), ("n", "module"), ("n", "s")], body))
    v = safety.venting
    if v is not None:
        out.append(
            f"<p>Vent gas: {v.gas * 1e3:.1f} L from the trigger cell into {v.free_volume * 1e3:,.0f} L of free volume: "
            f"{v.sealed_rise / 1e3:.1f} kPa if sealed; a vent needs {v.vent_area * 1e4:.1f} cm² to pass it "
            f"({escape(v.basis)}).</p>"
        )
    if safety.barrier is not None:
        b = safety.barrier
        out.append(
            f"<p>Barrier: {b.count:,} pieces of {escape(b.material)} {b.thickness * 1e3:g} mm between {b.between}, "
            f"{b.mass:.2f} kg{'' if b.fits else f' — thicker than the {b.room * 1e3:g} mm gap'}.</p>"
        )
    f = safety.faults
    if f is not None:
        group = "—" if f.group_fault is None else f"{f.group_fault:,.0f} A"
        out.append(
            f"<p>Terminal short circuit {f.pack_short:,.0f} A ({f.pack_voltage:.0f} V over "
            f"{f.pack_resistance * 1e3:.1f} mΩ); a shorted cell's fault current from its neighbours {group}.</p>"
        )
        if f.coordination:
            head = [("", "fault"), ("n", "current"), ("", "should open"), ("", "opens first"), ("n", "times")]
            body = [
                (
                    ("", c.case),
                    ("n", f"{c.current:,.0f} A"),
                    ("", c.should_open),
                    ("" if c.ok else "bad", c.opens_first),
                    ("n", f"{c.time_should * 1e3:.3g} ms vs {c.time_other * 1e3:.3g} ms"),
                )
                for c in f.coordination
            ]
            out.append(_table(head, body))
        out.append(time_current_svg(f, parallel))
        for note in f.notes:
            out.append(f'<p class="sub">{escape(note)}</p>')
    return out


def time_current_svg(faults, parallel: int) -> str:
    """The devices' time-current curves, log-log, with the fault currents marked (inline SVG)."""
    import math

    w, h, left, bottom = 560, 320, 60, 40
    i0, i1, t0, t1 = 10.0, 1e5, 1e-4, 100.0

    def x(i: float) -> float:
        return left + (math.log10(max(min(i, i1), i0)) - math.log10(i0)) / (math.log10(i1) - math.log10(i0)) * (
            w - left - 10
        )

    def y(t: float) -> float:
        frac = (math.log10(max(min(t, t1), t0)) - math.log10(t0)) / (math.log10(t1) - math.log10(t0))
        return h - bottom - frac * (h - bottom - 10)

    colours = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
    out = [
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'font-family="system-ui, sans-serif" font-size="11">'
    ]
    for k in range(1, 6):
        i = 10.0**k
        out.append(f'<line x1="{x(i):.1f}" y1="10" x2="{x(i):.1f}" y2="{h - bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{x(i):.1f}" y="{h - bottom + 14}" text-anchor="middle">{i:,.0f} A</text>')
    for k in range(-4, 3):
        t = 10.0**k
        out.append(f'<line x1="{left}" y1="{y(t):.1f}" x2="{w - 10}" y2="{y(t):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 4}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g} s</text>')
    for n, device in enumerate(faults.devices):
        pts = " ".join(f"{x(i):.1f},{y(t):.1f}" for i, t in device.curve)
        colour = colours[n % len(colours)]
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{left + 6}" y="{24 + 14 * n}" fill="{colour}">{escape(device.name)}</text>')
    marks = [(faults.pack_short, "terminal short"), (faults.pack_short / max(parallel, 1), "per cell")]
    if faults.group_fault:
        marks.append((faults.group_fault, "cell fault"))
    for i, label in marks:
        out.append(
            f'<line x1="{x(i):.1f}" y1="10" x2="{x(i):.1f}" y2="{h - bottom}" stroke="#555" stroke-dasharray="4 3"/>'
        )
        out.append(f'<text x="{x(i) + 3:.1f}" y="{h - bottom - 4}" fill="#555">{escape(label)}</text>')
    out.append(
        "</svg><figcaption>Time-current curves of the pack's protective devices and cell fuse links "
        "(log-log), the fault currents dashed.</figcaption></figure>"
    )
    return "\n".join(out)
