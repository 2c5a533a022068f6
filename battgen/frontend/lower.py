"""Lowering: syntax trees of a project → the checked, SI-valued ``Design`` IR.

``lower_project(root_path | text, workspace) -> Lowered`` resolves ``use`` imports (with
cycle detection), builds each file's scope (its own declarations, what it imports, and the
material prelude), evaluates constant expressions with dimension checking, checks every
property against ``battgen.core.schema`` and builds the IR. It never raises on user input: every
problem is a diagnostic, and declarations that lowered cleanly are still returned, so the
editor keeps hover and completion while the file has errors.

It is the entry point; the work is done by its neighbours: ``resolve`` (files, scopes,
imports, the prelude), ``declarations`` (one declaration: the driver and builders, over
``constructors``, ``checks`` and ``evaluate``), ``values`` and ``messages``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Severity
from battgen.frontend import ast
from battgen.frontend.declarations import _lower_definition
from battgen.frontend.resolve import Definition, Reference, _Project
from battgen.frontend.values import CallV, Invalid, ListV, PointV, Q, Text, Word
from battgen.frontend.workspace import PRELUDE, SourceFile, Workspace, _display


@dataclass
class Lowered:
    root: str
    design: ir.Design
    diagnostics: list[Diagnostic]
    sources: dict[str, str]
    modules: dict[str, ast.Module]
    definitions: dict[tuple[str, str], Definition]
    references: list[Reference]
    scopes: dict[str, dict[str, Definition]] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def lower_project(root: Path | str, workspace: Workspace | None = None, *, text: str | None = None) -> Lowered:
    """Lower a project from its root file. ``text`` overrides the file's content (editor
    buffers, or source given as a string with ``root`` a display name)."""
    workspace = workspace or Workspace()
    root_path = Path(root).resolve()
    project = _Project(workspace, root_path)
    if root_path != PRELUDE.resolve() and PRELUDE.exists():
        project.prelude = dict(project.load(PRELUDE))
    if text is not None:
        from battgen.frontend.parser import parse

        display = str(root) if not Path(root).is_absolute() else _display(root_path)
        source = SourceFile(display, text, parse(text, display))
        project.load(root_path, source)
    else:
        project.load(root_path)
    root_source = project.files.get(root_path)
    cells: dict[str, ir.Cell] = {}
    materials: dict[str, ir.Material] = {}
    envelopes: dict[str, ir.Envelope] = {}
    packs: dict[str, ir.Pack] = {}
    studies: dict[str, ir.Study] = {}
    by_kind: dict[str, dict] = {
        "cell": cells,
        "material": materials,
        "envelope": envelopes,
        "pack": packs,
        "study": studies,
    }
    if root_source is not None:
        for decl in root_source.parsed.module.decls:
            definition = project.scopes[root_path].get(decl.name)
            if definition is None or definition.decl is not decl:
                continue
            value = _lower_definition(project, definition)
            if value is None:
                continue
            by_kind[decl.kind][decl.name] = value
    # imported declarations the root's packs use are part of the design too
    for key, value in sorted(project.lowered.items(), key=lambda kv: kv[0]):
        if isinstance(value, ir.Cell):
            cells.setdefault(value.name, value)
        elif isinstance(value, ir.Envelope):
            envelopes.setdefault(value.name, value)
        elif isinstance(value, ir.Material) and key[0] == (root_source.path if root_source else ""):
            materials.setdefault(value.name, value)
    _warn_unused_imports(project, root_path)
    root_display = root_source.path if root_source else str(root)
    design = ir.Design(root_display, cells, materials, envelopes, packs, _library_materials(project), studies)
    definitions = {(d.file, d.name): d for scope in project.scopes.values() for d in scope.values()}
    diagnostics = _unique(project.sink.items)
    return Lowered(
        root=root_display,
        design=design,
        diagnostics=diagnostics,
        sources={s.path: s.text for s in project.files.values()},
        modules={s.path: s.parsed.module for s in project.files.values()},
        definitions=definitions,
        references=project.references,
        scopes={
            project.files[p].path: {**project.prelude, **s} for p, s in project.scopes.items() if p in project.files
        },
    )


def _warn_unused_imports(project: _Project, root_path: Path) -> None:
    used = {id(r.target) for r in project.references}
    root_file = project.files[root_path].path if root_path in project.files else None
    if any(d.is_error and d.span.file == root_file for d in project.sink.items):
        return  # with errors in the file, "unused" is usually a consequence of them
    for use, importer, definitions in project.imports:
        if importer != root_path or not definitions:
            continue
        if not any(id(d) in used for d in definitions):
            what = ".".join(use.path) if use.path else use.file
            project.sink.warning(
                "W201", f"`{what}` is imported but never used", use.span, "remove the line, or use what it imports"
            )


def _library_materials(project: _Project) -> dict[str, ir.Material]:
    """Every material of the prelude, lowered (the prelude itself when it is the root)."""
    scope = project.prelude or project.scopes.get(PRELUDE.resolve(), {})
    out = {}
    for name, definition in sorted(scope.items()):
        if definition.kind == "material":
            value = _lower_definition(project, definition)
            if isinstance(value, ir.Material):
                out[name] = value
    return out


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen, out = set(), []
    for d in diagnostics:
        key = (d.code, d.span, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


__all__ = [
    "Lowered",
    "lower_project",
    "Definition",
    "Reference",
    "Severity",
    # the values an expression evaluates to (battgen.frontend.values)
    "Q",
    "Word",
    "Text",
    "CallV",
    "ListV",
    "PointV",
    "Invalid",
]
