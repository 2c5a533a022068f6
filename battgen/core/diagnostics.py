"""One diagnostic type for every door (CLI, language server, Python API).

A diagnostic knows its code, severity, message, source span, hint and related spans.
Renderers live elsewhere (`battgen.emit.terminal` for the terminal, `battgen.core.serialize` for JSON, `battgen.lsp` for the
editor); this module holds only data, so importing it is free.

Codes are grouped by the stage that finds them:

* ``E1xx`` syntax (parser, lexer)
* ``E2xx`` names, imports and declaration structure
* ``E3xx`` units and dimensions
* ``E4xx`` values (ranges, signs, magnitudes)
* ``E5xx`` feasibility of the requirements (synthesis)
* ``E6xx`` layout, ``E7xx`` routing and the as-built check (``W72x`` structure, ``W73x`` safety),
  ``E8xx`` CAD and outputs
* ``E9xx`` internal errors (a bug in battgen, reported without a traceback)
* ``Wxxx`` warnings, same grouping
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Span(NamedTuple):
    """A region of a source file. Lines and columns are 1-based; ``end_column`` is exclusive.

    A named tuple rather than a dataclass: the parser makes one per token, so it is kept
    as cheap as Python allows."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def to(self, other: Span) -> Span:
        """The span from the start of ``self`` to the end of ``other``."""
        return Span(self.file, self.line, self.column, other.end_line, other.end_column)

    def contains(self, line: int, column: int) -> bool:
        """Whether the 1-based position lies in the span (its end included, as editors do)."""
        return (self.line, self.column) <= (line, column) <= (self.end_line, self.end_column)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }


@dataclass(frozen=True, slots=True)
class Related:
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A text edit that resolves the diagnostic (quick fixes in the editor)."""

    title: str
    span: Span
    replacement: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    hint: str = ""
    severity: Severity = Severity.ERROR
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict:
        out = {
            **self.span.as_dict(),
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }
        if self.related:
            out["related"] = [{**r.span.as_dict(), "message": r.message} for r in self.related]
        return out


def sort_key(diagnostic: Diagnostic) -> tuple:
    s = diagnostic.span
    return (s.file, s.line, s.column, diagnostic.code, diagnostic.message)


@dataclass
class DiagnosticSink:
    """Collects diagnostics during one stage; stages never raise on user mistakes."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, span: Span, hint: str = "", **kw) -> None:
        self.items.append(Diagnostic(code, message, span, hint, Severity.ERROR, **kw))

    def warning(self, code: str, message: str, span: Span, hint: str = "", **kw) -> None:
        self.items.append(Diagnostic(code, message, span, hint, Severity.WARNING, **kw))

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics) -> None:
        self.items.extend(diagnostics)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)


# The registry of codes: one line each, the title shown in docs/diagnostics.md and used by
# tests to prove every code has a bad-input file that triggers it.
CODES: dict[str, str] = {
    # syntax
    "E101": "unexpected character",
    "E102": "unexpected token",
    "E103": "unexpected end of file (an unclosed block or bracket)",
    "E105": "unterminated string",
    "E106": "expression nested deeper than battgen evaluates (MAX_EXPRESSION_DEPTH)",
    # names and structure
    "E201": "unknown name",
    "E202": "duplicate declaration",
    "E203": "unknown declaration kind",
    "E204": "unknown property for this kind of declaration",
    "E205": "missing required property",
    "E206": "duplicate property",
    "E207": "import not found",
    "E208": "import cycle",
    "E209": "import outside the project root and the standard library",
    "E210": "unreadable import file",
    "E211": "name refers to the wrong kind of declaration",
    "E212": "unknown constructor or constructor argument",
    "E213": "wrong form of property (e.g. a bound where a value is required)",
    "E214": "unknown option for this property",
    "E215": "chain of imports longer than battgen follows (MAX_IMPORT_DEPTH)",
    # studies (E25x: the study itself; W250 is found when its variants are built)
    "E250": "a grid study has a range (a grid needs a list)",
    "E251": "the optimiser's budget is less than one generation",
    "E252": "a study's value names another declaration than the pack's file sees",
    "E253": "no study to run",
    "E254": "cannot reach the Dask scheduler",
    # units
    "E301": "unknown unit",
    "E302": "wrong dimension for this property",
    "E303": "dimensions do not match in arithmetic",
    "E304": "unit on a count (a plain number is required)",
    "E305": "missing unit on a physical quantity",
    # values
    "E401": "range with low above high",
    "E402": "zero or negative size",
    "E403": "not a finite number (NaN or infinity)",
    "E404": "absurd magnitude",
    "E405": "count must be a positive whole number",
    "E406": "value outside its physical range",
    "E407": "division by zero",
    "E408": "no floor left for cells (the wall or a keepout covers the outline)",
    # feasibility
    "E501": "no pack architecture meets the requirements",
    "E502": "requirement cannot be met",
    "E503": "requirements conflict",
    "E504": "pack larger than battgen builds (MAX_SERIES, MAX_PARALLEL, MAX_CELLS)",
    # layout
    "E601": "the envelope cannot hold the cells",
    "E602": "parallel groups cannot be made contiguous",
    # routing
    "E701": "no route for a busbar",
    "E702": "no fuse geometry meets both the carry and the fault requirement",
    "E710": "a requirement is not met by the pack as built",
    "E711": "a cell carries more current than its rating, as built",
    "E712": "a cell runs above its temperature limit, as built",
    "I701": "the design loop built another architecture than synthesis's choice",
    # outputs
    "E801": "cannot read the input file",
    "E802": "cannot write the output",
    "E820": "not a valid BPX (Battery Parameter eXchange) file",
    "E850": "cannot read a design at a git revision (battc diff)",
    # internal
    "E901": "internal error",
    # warnings
    "W201": "unused import",
    "W250": "variants of a study do not compile",
    "W401": "unusual value (check it)",
    "W402": "more layers of cells than a build joins (MAX_LAYERS)",
    "W403": "keepout outside the envelope's outline (it keeps nothing out)",
    "W501": "requirement met with a thin margin",
    "W703": "a live part is closer to the enclosure than IEC 60664-1 allows",
    "W740": "lifetime on the duty not computed (BLAST-Lite cannot be imported)",
    "W821": "a cell property the BPX file does not give (add it to the imported cell)",
    "W822": "the bpx package warns about the BPX file (a legacy v0.x file converted, OCP limits)",
    "W720": "cell pressure over life above the maker's window (compression pads needed)",
    "W721": "a natural frequency in the road-excitation band",
    "W722": "a vibration or shock stress above the material's fatigue or yield limit",
    "W723": "the enclosure does not carry the standard's crush force",
    "W730": "thermal runaway propagates within the standard's 5 minutes",
    "W731": "one cell's vent gas over-pressures the sealed pack",
    "W732": "fuses open in the wrong order",
    "W733": "the barrier is thicker than the gap the layout leaves",
}


def raised_at(error: BaseException) -> str:
    """`` at file.py:line`` of the innermost frame of ``error``'s traceback ("" without one):
    where an internal error happened, for its report, without the traceback itself."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    from pathlib import Path

    return f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
