"""What ``battc`` prints: diagnostics (rustc/ruff style: the source line, a caret underline
under the span, the hint and related spans) and the report of ``battc FILE`` and ``battc
estimate FILE``. rich is imported only when something is printed."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from battgen.core import ir
from battgen.core import units as u
from battgen.core.diagnostics import Diagnostic, Severity, sort_key
from battgen.core.limits import MAX_PRINTED_DIAGNOSTICS
from battgen.core.reading import shorten
from battgen.core.text import counted, display_columns, printable
from battgen.models import packaging

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}


def render_text(diagnostic: Diagnostic, sources: dict[str, str]) -> list[tuple[str, str]]:
    """The diagnostic as (text, rich style) lines; plain text if styles are dropped. Everything
    that came from the user (the message quotes it, the path, the source line) is shown with
    its control and invisible characters as escapes (``core.text.printable``), and the caret
    is placed under the column as the terminal shows it."""
    span = diagnostic.span
    lines: list[tuple[str, str]] = []
    message = printable(diagnostic.message)
    lines.append((f"{diagnostic.severity.value}[{diagnostic.code}]: {message}", _STYLE[diagnostic.severity]))
    lines.append((f"  --> {printable(shorten(span.file, 240))}:{span.line}:{span.column}", "blue"))
    source = sources.get(span.file)
    if source is not None:
        source_lines = source.split("\n")
        if 1 <= span.line <= len(source_lines):
            raw = source_lines[span.line - 1]
            end = span.end_column if span.end_line == span.line else len(raw) + 1
            text, start, width = _snippet(raw, span.column, end)
            gutter = len(str(span.line))
            lines.append((" " * (gutter + 1) + "|", "blue"))
            lines.append((f"{span.line} | {text}", ""))
            lines.append((" " * (gutter + 1) + "| " + " " * start + "^" * width, _STYLE[diagnostic.severity]))
    if diagnostic.hint:
        lines.append((f"  = hint: {printable(diagnostic.hint)}", "cyan"))
    for related in diagnostic.related:
        r = related.span
        lines.append((f"  = note: {printable(related.message)} ({printable(r.file)}:{r.line}:{r.column})", "cyan"))
    return lines


SNIPPET_WIDTH = 160  # terminal columns of source shown around a span on a very long line


def _snippet(line: str, column: int, end_column: int) -> tuple[str, int, int]:
    """A source line as shown (a tab as 4 spaces, controls and invisible characters as escapes,
    cut around the span when longer than ``SNIPPET_WIDTH``) and the caret's start and width in
    terminal columns."""
    first = max(column - 1, 0)
    last = max(min(end_column - 1, len(line)), first)
    left, right = 0, len(line)
    if len(line) > SNIPPET_WIDTH:  # keep the span in view
        left = max(min(first - SNIPPET_WIDTH // 4, len(line) - SNIPPET_WIDTH), 0)
        right = left + SNIPPET_WIDTH
    piece = line[left:right]
    widths = [4 if char == "\t" else width for char, width in zip(piece, display_columns(piece))]
    start = sum(widths[: first - left])
    width = sum(widths[first - left : last - left])
    shown = printable(piece).replace("\t", "    ")
    if left:
        shown, start = "…" + shown, start + 1
    if right < len(line):
        shown += "…"
    return shown, start, max(width, 1)


def print_diagnostics(diagnostics: list[Diagnostic], sources: dict[str, str], stream=None) -> None:
    if not diagnostics:
        return
    from rich.text import Text

    console = _quiet_console()(file=stream, highlight=False, soft_wrap=True)
    ordered = sorted(diagnostics, key=sort_key)
    for diagnostic in ordered[:MAX_PRINTED_DIAGNOSTICS]:
        for text, style in render_text(diagnostic, sources):
            console.print(Text(text, style=style))
        console.print()
    if len(ordered) > MAX_PRINTED_DIAGNOSTICS:
        console.print(
            Text(
                f"… and {len(ordered) - MAX_PRINTED_DIAGNOSTICS:,} more not shown (MAX_PRINTED_DIAGNOSTICS = "
                f"{MAX_PRINTED_DIAGNOSTICS}; `battc check --format json` lists them all)",
                style="bold",
            )
        )
        console.print()
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = sum(1 for d in diagnostics if d.severity is Severity.WARNING)
    summary = []
    if errors:
        summary.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        summary.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    console.print(Text(", ".join(summary), style="bold red" if errors else "bold yellow"))


if TYPE_CHECKING:  # synthesis loads numpy; printing diagnostics must not (nor load rich)
    from rich.console import Console, JustifyMethod
    from rich.progress import TaskID

    from battgen.passes.build import PackBuild
    from battgen.passes.synthesis import Candidate, Synthesis


def _console() -> Console:
    # the terminal's own width: a wider console would be hard-wrapped by the terminal mid-word
    return _quiet_console()(file=sys.stdout, highlight=False, soft_wrap=False, width=max(_width(), 40))


def _quiet_console() -> type[Console]:
    """rich's Console, raising BrokenPipeError when the reader of its output went away (`battc
    ... | head`): rich's own answer is SystemExit(1), which would read as "errors in the input";
    the CLI ends quietly with 141 (128 + SIGPIPE) instead. Made here, not at import: rich is
    imported only when something is printed."""
    from rich.console import Console as RichConsole

    class QuietConsole(RichConsole):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return QuietConsole


def _width() -> int:
    import shutil

    return shutil.get_terminal_size((120, 40)).columns


def _q(value: float | None, dim, digits: int = 4) -> str:
    return "—" if value is None else u.format_quantity(value, dim, digits)


def _kg(value: float) -> str:
    """A part's mass in kg: whole kilograms for a car pack, two figures for an e-bike's."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.2g}"


def chosen_rows(candidate) -> list[tuple[str, str]]:
    c = candidate
    return [
        (
            "architecture",
            f"{c.label}  ·  {counted(c.cells, 'cell')}  ·  {c.modules_text}"
            + (f"  ·  {counted(c.strings, 'string')}" if c.strings > 1 else ""),
        ),
        (
            "voltage",
            f"{_q(c.nominal_voltage, u.VOLTAGE)} nominal  ({_q(c.min_voltage, u.VOLTAGE)} .. {_q(c.max_voltage, u.VOLTAGE)})",
        ),
        ("energy", f"{_q(c.energy, u.ENERGY)}  ({_q(c.usable_energy, u.ENERGY)} usable at the rated discharge)"),
        ("capacity", _q(c.capacity, u.CHARGE)),
        ("power", f"{_q(c.peak_power, u.POWER)} peak at 20 % SOC  ·  {_q(c.continuous_power, u.POWER)} continuous"),
        ("resistance", f"{_q(c.resistance, u.RESISTANCE)}  ·  heat {_q(c.heat, u.POWER)} at the continuous load"),
        (
            "mass",
            f"{_q(c.mass, u.MASS)}  ·  {c.energy / 3600 / c.mass:.0f} Wh/kg"
            + (
                "  ·  "
                + ", ".join(f"{group} {_kg(kg)}" for group, kg in packaging.grouped(c.mass_parts).items())
                + " kg"
                if c.mass_parts
                else ""
            ),
        ),
        ("volume", f"{_q(c.volume, u.VOLUME)}  ·  {c.energy / 3600 / (c.volume * 1000):.0f} Wh/L"),
        ("cost", f"{c.cost:,.0f} USD  ·  {c.cost / (c.energy / 3.6e6):.0f} USD/kWh"),
        ("lifetime", f"{c.cycles:,.0f} cycles to 80 % at the stated duty"),
    ]


def loop_text(build: PackBuild) -> str:
    """'' when the design loop built synthesis's choice; else what it tried and why."""
    loop = build.design_loop
    if len(loop) < 2:
        return ""
    tried = ", ".join(f"{a.label} ({'passed' if a.passed else 'failed at ' + a.stage})" for a in loop)
    return f"design loop: {tried}"


def verdict_rows(build: PackBuild) -> list[tuple[str, str, str, str, str]]:
    """(what, bound, estimate, as built, margin) for every as-built check of ``build``."""
    assert build.as_built is not None
    rows = []
    for v in build.as_built.verdicts:
        estimate = "—" if v.estimate is None else _shown(v.estimate, v.unit)
        margin = "—" if v.margin == float("inf") else f"{v.margin:+.1%}"
        rows.append((v.name, v.bound, estimate, _shown(v.built, v.unit), margin))
    return rows


def _shown(value: float, unit: str) -> str:
    from battgen.passes.asbuilt import show

    return show(value, unit)


def _print_verdicts(console, build: PackBuild) -> None:
    from rich.table import Table

    table = Table(title=f"{build.name} as built", title_justify="left", box=None, padding=(0, 2))
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("requirement", "left"),
        ("bound", "left"),
        ("estimate", "right"),
        ("as built", "right"),
        ("margin", "right"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for name, bound, estimate, built, margin in verdict_rows(build):
        style = "red" if margin.startswith("-") else ""
        table.add_row(name, bound, estimate, built, f"[{style}]{margin}[/]" if style else margin)
    console.print(table)


def print_estimate(design: ir.Design, syntheses: Mapping[str, Synthesis]) -> None:
    """Synthesis's choice for every pack of ``design``."""
    console = _console()
    for name in sorted(syntheses):
        synthesis = syntheses[name]
        _print_pack(console, design.packs[name], synthesis, synthesis.chosen)


def _print_pack(console, pack: ir.Pack, synthesis: Synthesis, c: Candidate | None, placed: str = "") -> None:
    """The architecture ``c`` of ``pack`` (synthesis's choice, or the one layout placed) with
    its estimates, what limits it and the runners-up."""
    from rich.table import Table

    console.print()
    if c is None:
        console.print(
            f"[bold red]pack {pack.name}[/]: no architecture of {pack.cell.name} meets the requirements "
            f"({synthesis.evaluated:,} evaluated) — see the errors above"
        )
        return
    console.print(
        f"[bold]pack {pack.name}[/]  ·  {pack.cell.name}  ·  optimised for {pack.optimise}  ·  "
        f"{synthesis.feasible_count:,} of {synthesis.evaluated:,} candidates feasible"
    )
    table = Table(show_header=False, box=None, padding=(0, 2))
    for label, text in chosen_rows(c):
        table.add_row(f"[dim]{label}[/]", text)
    if c.binding:
        table.add_row("[dim]limited by[/]", ", ".join(f"`{b}`" for b in c.binding))
    if placed:
        table.add_row("[dim]design loop[/]", placed.removeprefix("design loop: "))
    if synthesis.envelope_capacity is not None:
        table.add_row("[dim]envelope[/]", f"holds at most {synthesis.envelope_capacity:,} cells (upper bound)")
    console.print(table)
    if synthesis.runners_up:
        runners = Table(title="runners-up (Pareto front)", title_justify="left", box=None, padding=(0, 2))
        for column in ("S×P", "cells", "energy", "peak power", "mass", "volume", "cost"):
            runners.add_column(column, justify="right")
        for r in synthesis.runners_up:
            runners.add_row(
                r.label,
                f"{r.cells:,}",
                _q(r.energy, u.ENERGY),
                _q(r.peak_power, u.POWER),
                _q(r.mass, u.MASS),
                _q(r.volume, u.VOLUME),
                f"{r.cost:,.0f} USD",
            )
        console.print(runners)


def escape(text: str) -> str:
    """``text`` with rich's markup brackets escaped (a summary may hold "[...]")."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def print_build(
    design: ir.Design, syntheses: Mapping[str, Synthesis], packs: Mapping[str, PackBuild], written: Sequence[str]
) -> None:
    """Each pack as built (the architecture layout placed), its stages' summaries and the
    files ``written``; a pack that did not reach layout shows synthesis's choice."""
    console = _console()
    for name in sorted(syntheses):
        synthesis = syntheses[name]
        build = packs.get(name)
        candidate = build.candidate if build is not None else synthesis.chosen
        placed = loop_text(build) if build is not None else ""
        _print_pack(console, design.packs[name], synthesis, candidate, placed)
    from rich.table import Table

    for _name, build in sorted(packs.items()):
        if build.as_built is not None:
            _print_verdicts(console, build)
        # a column each: a summary longer than the terminal wraps at word boundaries, under itself
        stages = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        stages.add_column(style="dim", no_wrap=True)
        stages.add_column(overflow="fold")
        for stage, text in build.summaries():
            stages.add_row(stage, escape(text))  # a summary's "[no barrier]" is text, not markup
        console.print(stages)
    if written:
        console.print()
        console.print(f"[bold green]wrote[/] {counted(len(written), 'file')}:")
        for path in written:
            console.print(f"  {escape(printable(path))}")


class BuildProgress:
    """What ``battc FILE`` is doing, while it does it: a line on stderr with a spinner, the stage
    under way (the pack and the architecture it builds; the CAD's step and a bar of its steps)
    and how long it has run. Shown on a terminal only, and gone when the build ends (the report
    follows). A context manager; ``stage`` and ``step`` are ``driver.stages.StageReporter``."""

    def __init__(self, console=None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self.task: TaskID | None = None
        self.name = ""

    def __enter__(self) -> BuildProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def stage(self, name: str, detail: str = "") -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.name = f"[bold]{name}[/]" + (f" {detail}" if detail else "")
        self.task = self.progress.add_task(self.name, total=None)

    def step(self, step: str, done: int, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, description=f"{self.name} · {step}", completed=done, total=total)
