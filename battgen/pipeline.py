"""The pipeline every door calls: parse → lower → passes → outputs.

The CLI (``battgen.cli``), the language server (``battgen.lsp``) and the Python API
(``battgen.check/estimate/compile``) are thin doors over these functions; no logic lives in a
door. ``check`` never loads numpy, scipy, shapely or cadquery (it must start in well under
half a second); ``estimate`` adds numpy for synthesis; ``build`` runs everything.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from battgen import ir
from battgen.diagnostics import Diagnostic, Span, raised_at
from battgen.lower import Lowered, lower_project
from battgen.project import Workspace


def _source(source: str | Path) -> tuple[Path, str | None]:
    """A path, or source text (anything with a newline or a brace is text)."""
    if isinstance(source, Path):
        return source, None
    if "\n" in source or "{" in source or not source.endswith(".batt"):
        return Path.cwd() / "<input>", source
    return Path(source), None


def check(source: str | Path, workspace: Workspace | None = None, *, text: str | None = None) -> Lowered:
    """Parse and lower a project: every diagnostic, and the IR of whatever lowered."""
    path, inline = _source(source)
    if text is not None:
        inline = text
    if inline is not None:
        display = "<input>" if path.name == "<input>" else str(source)
        return lower_project(display if path.name == "<input>" else path, workspace, text=inline)
    return lower_project(path, workspace)


@lru_cache(maxsize=1)
def stdlib_materials() -> dict[str, ir.Material]:
    """Every material of ``stdlib/materials.batt`` (the prelude), by name: what a part is made of
    when the file names no material (the CAD stage, the bill of materials)."""
    from battgen.project import PRELUDE

    return dict(check(PRELUDE).design.materials)


def internal_error(error: BaseException, file: str = "<battgen>") -> Diagnostic:
    """A bug in battgen, reported as a diagnostic instead of a traceback."""
    where = raised_at(error)
    return Diagnostic(
        "E901",
        f"internal error: {type(error).__name__}: {error}{where}",
        Span(file, 1, 1, 1, 1),
        hint="this is a bug in battgen, not in your file; please report it with the file "
        "(set BATTGEN_DEBUG=1 for the traceback)",
    )
