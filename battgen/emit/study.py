"""A study's files: the table (CSV and Parquet), the summary and the report page.

The table has one row per variant, in the study's order: its settings as written, its key (the
hash of its source), how far it got (``status``: passed, failed as built, infeasible at
synthesis, invalid source, error), whether it is feasible and on the Pareto front, the
architecture built and every metric in the units an engineer reads (column names carry them:
``mass_kg``, ``temperature_degC``). ``report.html`` plots the front for each pair of
objectives (inline SVG: the feasible variants, the front in red, the best designs numbered),
then the best designs with their layout pictures, linked to their build folders.

Deterministic: the same results give the same bytes (no time, no absolute path).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from html import escape

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.passes.study import FAILED, PASSED, Evaluation, Row, meets


def _metric_column(name: str) -> str:
    unit = sc.METRICS[name].unit
    return f"{name}_{unit}" if unit else name


def shown(name: str, value: float) -> float:
    """A metric in its table unit (SI in)."""
    metric = sc.METRICS[name]
    if metric.dim == u.TEMPERATURE:
        return value - 273.15
    return value / metric.scale


def columns(study: ir.Study) -> list[str]:
    head = ["variant", "key"]
    if study.search != "grid":
        head.append("generation")
    head += [v.name for v in study.variables]
    # what was built; `modules_built` and `cells_built` apart from a `modules` or `cell` variable
    head += ["status", "feasible", "pareto", "architecture", "series", "parallel", "modules_built", "cells_built"]
    head += [_metric_column(m) for m in sc.METRICS]
    return head + ["attempts", "failures"]


def _values(study: ir.Study, row: Row, on_front: bool) -> list[object]:
    e = row.evaluation
    settings = dict(row.settings)
    out: list[object] = [row.index, row.key]
    if study.search != "grid":
        out.append(row.generation)
    out += [settings.get(v.name, "") for v in study.variables]
    out += [e.status, meets(e, study.constraints), on_front, e.label, e.series, e.parallel, e.modules, e.cells]
    for name in sc.METRICS:
        value = e.metric(name)
        out.append(None if math.isnan(value) else shown(name, value))
    return out + [e.attempts, " | ".join(e.failures)]


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def table_csv(study: ir.Study, rows: Sequence[Row], on_front: Sequence[bool] | None) -> str:
    """The table as CSV; ``on_front`` None: every row is on the front (``pareto.csv``)."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns(study))
    for i, row in enumerate(rows):
        writer.writerow([_csv_cell(v) for v in _values(study, row, True if on_front is None else on_front[i])])
    return buffer.getvalue()


def table_parquet(study: ir.Study, rows: Sequence[Row], on_front: Sequence[bool]) -> bytes:
    """The table as Parquet (full-precision doubles; pyarrow)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = columns(study)
    data = [_values(study, row, on_front[i]) for i, row in enumerate(rows)]
    arrays = {}
    for j, name in enumerate(names):
        values = [line[j] for line in data]
        kinds = {type(v) for v in values if v is not None}
        if kinds == {bool}:
            kind = pa.bool_()
        elif kinds <= {int} and kinds:
            kind = pa.int64()
        elif kinds <= {int, float} and kinds:
            kind = pa.float64()
            values = [None if v is None else float(v) for v in values]  # type: ignore[arg-type]
        else:
            kind = pa.string()
            values = [None if v is None else str(v) for v in values]
        arrays[name] = pa.array(values, type=kind)
    buffer = io.BytesIO()
    pq.write_table(pa.table(arrays), buffer, compression="zstd")
    return buffer.getvalue()


def summary_json(
    study: ir.Study, rows: Sequence[Row], on_front: Sequence[bool], best: Sequence[tuple[str, int]]
) -> str:
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row.evaluation.status] = statuses.get(row.evaluation.status, 0) + 1

    def design(row: Row) -> dict:
        e = row.evaluation
        return {
            "key": row.key,
            "settings": dict(row.settings),
            "architecture": e.label,
            "metrics": {_metric_column(n): shown(n, v) for n, v in sorted(e.metrics.items())},
        }

    data = {
        "study": study.name,
        "pack": study.pack.name,
        "search": study.search,
        "objectives": list(study.objectives),
        "variants": len(rows),
        "designs": len({r.key for r in rows}),
        "status": dict(sorted(statuses.items())),
        "feasible": sum(meets(r.evaluation, study.constraints) for r in rows),
        "front": [rows[i].key for i, on in enumerate(on_front) if on],
        "best": [{"why": why, **design(rows[i])} for why, i in best],
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


# --- the report page ----------------------------------------------------------------------

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; } h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { padding: 0.2em 0.7em; text-align: left; vertical-align: top; }
th { border-bottom: 1px solid #999; } tr:nth-child(even) td { background: #f6f6f6; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; } .code { font-family: ui-monospace, monospace; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; } .plots svg { border: 1px solid #ddd; background: #fff; }
.designs { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.design { border: 1px solid #ddd; padding: 0.5em 1em; flex: 1 1 480px; max-width: 580px; }
.design h3 { font-size: 1.05em; } .design img { width: 100%; border: 1px solid #eee; }
.legend span { margin-right: 1.5em; }
"""

_W, _H, _M = 370, 260, 58  # plot size and margin, px


def _ticks(low: float, high: float) -> list[float]:
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.ceil(low / step) * step
    return [start + k * step for k in range(int((high - start) / step + 1e-9) + 1)]


def _label(value: float) -> str:
    return f"{value:,.6g}"


def scatter_svg(
    points: Sequence[tuple[float, float, str, str]], x_name: str, y_name: str, numbered: dict[int, str]
) -> str:
    """One objective against another: ``points`` as (x, y, css class, title); ``numbered``: point
    index → the label drawn beside it (the best designs)."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    y0, y1 = (min(ys), max(ys)) if ys else (0.0, 1.0)
    pad_x = (x1 - x0) * 0.06 or abs(x0) * 0.05 or 1.0
    pad_y = (y1 - y0) * 0.06 or abs(y0) * 0.05 or 1.0
    x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y

    def px(x: float) -> float:
        return _M + (x - x0) / (x1 - x0) * (_W - _M - 10)

    def py(y: float) -> float:
        return _H - _M + 10 - (y - y0) / (y1 - y0) * (_H - _M - 10)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H + 10}" viewBox="0 0 {_W} {_H + 10}" '
        'font-family="system-ui, sans-serif" font-size="10">',
        "<style>.f{fill:#7a9cc6}.p{fill:#d62728;stroke:#7a0000}.x{fill:#ccc}</style>",
        f'<line x1="{_M}" y1="{_H - _M + 10}" x2="{_W - 10}" y2="{_H - _M + 10}" stroke="#444"/>',
        f'<line x1="{_M}" y1="10" x2="{_M}" y2="{_H - _M + 10}" stroke="#444"/>',
    ]
    for t in _ticks(x0, x1):
        out.append(f'<text x="{px(t):.1f}" y="{_H - _M + 24}" text-anchor="middle">{_label(t)}</text>')
        out.append(f'<line x1="{px(t):.1f}" y1="{_H - _M + 10}" x2="{px(t):.1f}" y2="{_H - _M + 14}" stroke="#444"/>')
    for t in _ticks(y0, y1):
        out.append(f'<text x="{_M - 6}" y="{py(t) + 3:.1f}" text-anchor="end">{_label(t)}</text>')
        out.append(f'<line x1="{_M - 4}" y1="{py(t):.1f}" x2="{_M}" y2="{py(t):.1f}" stroke="#444"/>')
    out.append(f'<text x="{(_M + _W) / 2:.0f}" y="{_H + 6}" text-anchor="middle">{escape(x_name)}</text>')
    out.append(
        f'<text x="12" y="{(_H - _M) / 2 + 10:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(_H - _M) / 2 + 10:.0f})">{escape(y_name)}</text>'
    )
    order = sorted(range(len(points)), key=lambda i: {"x": 0, "f": 1, "p": 2}[points[i][2]])
    for i in order:
        x, y, css, title = points[i]
        r = 4 if css == "p" else 3
        out.append(
            f'<circle class="{css}" cx="{px(x):.1f}" cy="{py(y):.1f}" r="{r}"><title>{escape(title)}</title></circle>'
        )
    for i, text in sorted(numbered.items()):
        x, y, _, _ = points[i]
        out.append(f'<text x="{px(x) + 6:.1f}" y="{py(y) - 5:.1f}" font-weight="bold">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _axis_name(name: str) -> str:
    unit = sc.METRICS[name].unit
    return f"{name} ({unit})" if unit else name


def pareto_plots(
    study: ir.Study, rows: Sequence[Row], on_front: Sequence[bool], best: Sequence[tuple[str, int]]
) -> list[str]:
    """A scatter of every pair of objectives (the first against each other, then the rest)."""
    objectives = study.objectives
    pairs = [(a, b) for i, a in enumerate(objectives) for b in objectives[i + 1 :]][:6]
    if len(objectives) == 1:
        pairs = [(objectives[0], objectives[0])]
    numbers = {i: str(n + 1) for n, (_, i) in enumerate(best)}
    plots = []
    for a, b in pairs:
        points: list[tuple[float, float, str, str]] = []
        numbered: dict[int, str] = {}
        for i, row in enumerate(rows):
            e = row.evaluation
            x, y = e.metric(a), e.metric(b)
            if e.status not in (PASSED, FAILED) or math.isnan(x) or math.isnan(y):
                continue
            css = "p" if on_front[i] else ("f" if meets(e, study.constraints) else "x")
            title = f"#{row.index} " + ", ".join(f"{k} = {v}" for k, v in row.settings) + f" — {e.label}, {e.status}"
            if i in numbers:
                numbered[len(points)] = numbers[i]
            points.append((shown(a, x), shown(b, y), css, title))
        plots.append(scatter_svg(points, _axis_name(a), _axis_name(b), numbered))
    return plots


def _metric_text(name: str, e: Evaluation) -> str:
    value = e.metric(name)
    if math.isnan(value):
        return "—"
    unit = sc.METRICS[name].unit
    figure = shown(name, value)
    text = f"{figure:,.0f}" if not unit or abs(figure) >= 1000 else f"{figure:,.4g}"  # counts, and no exponents
    return f"{text} {unit}".strip()


def report_html(
    study: ir.Study,
    rows: Sequence[Row],
    on_front: Sequence[bool],
    best: Sequence[tuple[str, int]],
    designs: dict[str, dict[str, bytes]],
) -> str:
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row.evaluation.status] = statuses.get(row.evaluation.status, 0) + 1
    feasible = sum(meets(r.evaluation, study.constraints) for r in rows)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>study {escape(study.name)} — battgen</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>study {escape(study.name)}</h1>",
        f'<p class="sub">{len(rows):,} variants of pack {escape(study.pack.name)} ({len({r.key for r in rows}):,} '
        f"distinct designs) · search {escape(study.search)} · "
        + " · ".join(f"{n:,} {escape(s)}" for s, n in sorted(statuses.items()))
        + f" · {feasible:,} feasible · {sum(on_front):,} on the Pareto front of "
        + ", ".join(escape(o) for o in study.objectives)
        + "</p>",
        "<h2>What varies</h2>",
        _variables_table(study),
        "<h2>The Pareto front</h2>",
        '<p class="legend"><span style="color:#d62728">● on the front</span><span style="color:#7a9cc6">● feasible'
        '</span><span style="color:#aaa">● built, not feasible</span> numbers: the best designs below. '
        "Hover a point for its variant.</p>",
        '<div class="plots">',
        *pareto_plots(study, rows, on_front, best),
        "</div>",
        "<h2>The best designs</h2>",
    ]
    if not best:
        out.append("<p>No variant is feasible: see the table's <code>failures</code> column.</p>")
    out.append('<div class="designs">')
    for n, (why, i) in enumerate(best):
        out.append(_design_card(n + 1, why, rows[i], study, designs.get(rows[i].key, {})))
    out.append("</div>")
    out += ["<h2>Every design on the front</h2>", _front_table(study, rows, on_front)]
    out.append('<p>All variants: <a href="table.csv">table.csv</a> · <a href="table.parquet">table.parquet</a></p>')
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _variables_table(study: ir.Study) -> str:
    lines = ["<table><tr><th>variable</th><th>values</th></tr>"]
    for v in study.variables:
        values = (
            " · ".join(f'<span class="code">{escape(c.text)}</span>' for c in v.choices)
            if not v.is_range
            else f'<span class="code">in {escape(_range(v))}</span>'
        )
        lines.append(f'<tr><td class="code">{escape(v.name)}</td><td>{values}</td></tr>')
    lines.append("</table>")
    return "\n".join(lines)


def _range(v: ir.Variable) -> str:
    assert v.low is not None and v.high is not None

    def one(x: float) -> str:
        if v.whole:
            return str(round(x))
        return f"{(x - v.offset) / v.scale:g} {v.unit}".strip()

    return f"{one(v.low)} .. {one(v.high)}"


def _design_card(number: int, why: str, row: Row, study: ir.Study, files: dict[str, bytes]) -> str:
    e = row.evaluation
    link = f"designs/{row.key}"
    settings = " · ".join(f'<span class="code">{escape(k)} = {escape(v)}</span>' for k, v in row.settings)
    metrics = "".join(
        f'<tr><td>{escape(name)}</td><td class="n">{escape(_metric_text(name, e))}</td></tr>' for name in sc.METRICS
    )
    picture = (
        f'<a href="{link}/report.html"><img src="{link}/layout.svg" alt="layout of variant {row.index}"></a>'
        if "layout.svg" in files
        else ""
    )
    return (
        f'<div class="design"><h3>{number}. {escape(why)} — variant {row.index}, {escape(e.label)}</h3>'
        f"<p>{settings}</p>"
        f'<p><a href="{link}/report.html">build report</a> · <a href="{link}/variant.batt">source</a> · '
        f'key <span class="code">{row.key}</span></p>'
        f"<table>{metrics}</table>{picture}</div>"
    )


def _front_table(study: ir.Study, rows: Sequence[Row], on_front: Sequence[bool]) -> str:
    head = ["#", *(v.name for v in study.variables), "architecture", *study.objectives]
    lines = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for i, row in enumerate(rows):
        if not on_front[i]:
            continue
        settings = dict(row.settings)
        cells = [str(row.index), *(settings.get(v.name, "") for v in study.variables), row.evaluation.label]
        cells += [_metric_text(name, row.evaluation) for name in study.objectives]
        lines.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


# --- the terminal -------------------------------------------------------------------------


def print_run(
    study: ir.Study,
    rows: Sequence[Row],
    on_front: Sequence[bool],
    best: Sequence[tuple[str, int]],
    *,
    built: int,
    reused: int,
    seconds: float,
    folder: str,
    workers: int,
    address: str,
    stream=None,
) -> None:
    """What a study found: counts, speed, the best designs and where the files are."""
    import sys

    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream or sys.stdout, highlight=False, soft_wrap=False, width=140)
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row.evaluation.status] = statuses.get(row.evaluation.status, 0) + 1
    feasible = sum(meets(r.evaluation, study.constraints) for r in rows)
    rate = f", {built / seconds:.2f} variants/s" if built and seconds > 0 else ""
    console.print(
        f"[bold]study {study.name}[/bold]: {len(rows):,} variants of pack {study.pack.name} "
        f"({len({r.key for r in rows}):,} distinct) — "
        + ", ".join(f"{n:,} {s}" for s, n in sorted(statuses.items()))
        + f"; {feasible:,} feasible, {sum(on_front):,} on the Pareto front"
    )
    console.print(
        f"  built {built:,} in {seconds:,.1f} s on {workers} worker{'s' if workers != 1 else ''} ({address}){rate}"
        + (f"; {reused:,} results reused from an earlier run" if reused else "")
    )
    if best:
        table = Table(show_edge=False, pad_edge=False, box=None)
        for head in ("#", "best for", "variant", "architecture", *study.objectives):
            table.add_column(head, justify="right" if head in study.objectives else "left")
        for n, (why, i) in enumerate(best):
            row = rows[i]
            settings = ", ".join(f"{k} = {v}" for k, v in row.settings)
            metrics = [_metric_text(name, row.evaluation) for name in study.objectives]
            table.add_row(str(n + 1), why, f"#{row.index} {settings}", row.evaluation.label, *metrics)
        console.print(table)
    else:
        console.print("  no variant is feasible (see the failures column of the table)")
    console.print(f"  written: {folder}/ (report.html, table.csv, table.parquet, pareto.csv, designs/)")
