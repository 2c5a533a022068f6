"""Diagnostics for people (terminal, rustc/ruff style) and for programs (JSON).

The terminal renderer shows the source line with a caret underline under the span, the
hint, and related spans. It uses rich for colour, imported only when something is printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from battgen.diagnostics import Diagnostic, Severity, sort_key


def diagnostics_json(diagnostics: Iterable[Diagnostic]) -> list[dict]:
    return [d.as_dict() for d in sorted(diagnostics, key=sort_key)]


def dumps(data) -> str:
    """Deterministic JSON: sorted keys, fixed separators, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}


def render_text(diagnostic: Diagnostic, sources: dict[str, str]) -> list[tuple[str, str]]:
    """The diagnostic as (text, rich style) lines; plain text if styles are dropped."""
    span = diagnostic.span
    lines: list[tuple[str, str]] = []
    lines.append((f"{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}", _STYLE[diagnostic.severity]))
    lines.append((f"  --> {span.file}:{span.line}:{span.column}", "blue"))
    source = sources.get(span.file)
    if source is not None:
        source_lines = source.split("\n")
        if 1 <= span.line <= len(source_lines):
            text = source_lines[span.line - 1].expandtabs(4)
            gutter = len(str(span.line))
            if span.end_line == span.line:
                width = max(span.end_column - span.column, 1)
            else:
                width = max(len(text) - span.column + 1, 1)
            lines.append((" " * (gutter + 1) + "|", "blue"))
            lines.append((f"{span.line} | {text}", ""))
            lines.append(
                (" " * (gutter + 1) + "| " + " " * (span.column - 1) + "^" * width, _STYLE[diagnostic.severity])
            )
    if diagnostic.hint:
        lines.append((f"  = hint: {diagnostic.hint}", "cyan"))
    for related in diagnostic.related:
        r = related.span
        lines.append((f"  = note: {related.message} ({r.file}:{r.line}:{r.column})", "cyan"))
    return lines


def print_diagnostics(diagnostics: list[Diagnostic], sources: dict[str, str], stream=None) -> None:
    if not diagnostics:
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, highlight=False, soft_wrap=True)
    for diagnostic in sorted(diagnostics, key=sort_key):
        for text, style in render_text(diagnostic, sources):
            console.print(Text(text, style=style))
        console.print()
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = sum(1 for d in diagnostics if d.severity is Severity.WARNING)
    summary = []
    if errors:
        summary.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        summary.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    console.print(Text(", ".join(summary), style="bold red" if errors else "bold yellow"))
