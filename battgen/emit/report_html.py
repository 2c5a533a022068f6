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
        body = [
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


def _table(head, rows, total_last: bool = False) -> str:
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
