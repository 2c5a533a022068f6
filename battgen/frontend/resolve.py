"""A project's files and names: what each file declares, imports and sees.

``_Project`` loads the root file and, through its ``use`` lines, every file it imports (with
cycle detection), builds each file's scope — its own declarations, what it imports, and the
material prelude (``stdlib/materials.batt``), visible everywhere unless shadowed — and answers
lookups by name. It also carries what lowering accumulates across declarations: the
diagnostics, the references from names to declarations (the editor's go-to-definition), and
each declaration lowered once (``lowered``, by file and name).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core.diagnostics import Diagnostic, DiagnosticSink, Fix, Related, Span
from battgen.core.limits import MAX_IMPORT_DEPTH
from battgen.frontend import ast
from battgen.frontend.workspace import ImportTarget, SourceFile, Workspace, project_root, resolve_use

# What a declaration lowers to (None in ``_Project.lowered``: it had errors).
Lowering = ir.Cell | ir.Material | ir.Envelope | ir.Pack | ir.Study


@dataclass(frozen=True)
class Definition:
    """A declaration as the scopes see it: kind, name, the file that declares it, its syntax."""

    kind: str
    name: str
    file: str
    name_span: Span
    span: Span
    decl: ast.Decl


@dataclass(frozen=True)
class Reference:
    """A name in the text that resolved to a declaration (go to definition, rename, unused imports)."""

    name: str
    span: Span
    target: Definition


class _Project:
    """The files loaded so far and their scopes, and what lowering shares across declarations."""

    def __init__(self, workspace: Workspace, root_path: Path) -> None:
        self.workspace = workspace
        self.root_dir = project_root(root_path)
        self.sink = DiagnosticSink()
        self.files: dict[Path, SourceFile] = {}
        self.scopes: dict[Path, dict[str, Definition]] = {}
        self.loading: list[Path] = []
        self.references: list[Reference] = []
        self.lowered: dict[tuple[str, str], Lowering | None] = {}
        self.in_progress: set[tuple[str, str]] = set()
        self.prelude: dict[str, Definition] = {}
        self.imports: list[tuple[ast.Use, Path, list[Definition]]] = []

    # files and scopes

    def load(self, path: Path, source: SourceFile | None = None, use: ast.Use | None = None) -> dict[str, Definition]:
        path = path.resolve()
        if path in self.scopes:
            return self.scopes[path]
        if source is None:
            loaded = self.workspace.load(path)
            if isinstance(loaded, Diagnostic):
                if use is not None:  # say it where the user wrote the import
                    loaded = Diagnostic("E210", f"cannot import: {loaded.message}", use.path_span, loaded.hint)
                self.sink.add(loaded)
                self.scopes[path] = {}
                return {}
            source = loaded
        self.files[path] = source
        self.sink.extend(source.parsed.diagnostics)
        self.loading.append(path)
        scope: dict[str, Definition] = {}
        module = source.parsed.module
        for item in module.items:
            if isinstance(item, ast.Use):
                self._import(item, path, scope)
        own: dict[str, Definition] = {}
        for decl in module.decls:
            if decl.kind not in sc.KINDS:
                close = difflib.get_close_matches(decl.kind, list(sc.KINDS), n=1)
                hint = f"did you mean `{close[0]}`?" if close else "declarations are " + ", ".join(sc.KINDS)
                fixes = (Fix(f"change to `{close[0]}`", decl.kind_span, close[0]),) if close else ()
                self.sink.error("E203", f"unknown declaration kind `{decl.kind}`", decl.kind_span, hint, fixes=fixes)
                continue
            definition = Definition(decl.kind, decl.name, source.path, decl.name_span, decl.span, decl)
            previous = own.get(decl.name) or scope.get(decl.name)
            if previous is not None:
                self.sink.error(
                    "E202",
                    f"`{decl.name}` is declared twice",
                    decl.name_span,
                    "rename one of them",
                    related=(Related(previous.name_span, f"`{decl.name}` first declared here"),),
                )
                continue
            own[decl.name] = definition
        scope.update(own)
        self.loading.pop()
        self.scopes[path] = scope
        return scope

    def _import(self, use: ast.Use, importer: Path, scope: dict[str, Definition]) -> None:
        target = resolve_use(use, importer, self.root_dir)
        if isinstance(target, Diagnostic):
            self.sink.add(target)
            return
        assert isinstance(target, ImportTarget)
        path = target.path.resolve()
        if path in self.loading:
            chain = " → ".join(p.name for p in self.loading[self.loading.index(path) :]) + f" → {path.name}"
            self.sink.error(
                "E208",
                f"import cycle: {chain}",
                use.path_span,
                "move the shared declarations into a file both can import",
            )
            return
        if len(self.loading) >= MAX_IMPORT_DEPTH:  # loading recurses a frame pair per file
            chain = " → ".join(p.name for p in (*self.loading[:2], Path("…"), *self.loading[-2:], path))
            self.sink.error(
                "E215",
                f"this import makes a chain of {len(self.loading) + 1} files ({chain}); "
                f"a chain of imports is at most {MAX_IMPORT_DEPTH} files (MAX_IMPORT_DEPTH)",
                use.path_span,
                "import what you need directly instead of through a long chain",
            )
            return
        imported = self.load(path, use=use)
        if target.name is None:
            names = {n: d for n, d in imported.items() if d.file == self.files[path].path} if path in self.files else {}
        else:
            definition = imported.get(target.name)
            if definition is None:
                close = difflib.get_close_matches(target.name, list(imported), n=1)
                hint = f"did you mean `{close[0]}`?" if close else "it declares: " + ", ".join(sorted(imported))
                self.sink.error("E201", f"no `{target.name}` in `{'.'.join(use.path or ())}`", use.path_span, hint)
                return
            names = {target.name: definition}
        self.imports.append((use, importer, list(names.values())))
        for name, definition in names.items():
            previous = scope.get(name)
            if previous is not None and previous is not definition:
                self.sink.error(
                    "E202",
                    f"`{name}` is imported twice from different places",
                    use.path_span,
                    "import only one of them",
                    related=(Related(previous.name_span, "the other declaration"),),
                )
                continue
            scope[name] = definition

    def lookup(self, file_path: Path, name: str) -> Definition | None:
        scope = self.scopes.get(file_path, {})
        return scope.get(name) or self.prelude.get(name)

    def names_in_scope(self, file_path: Path, kind: str | None = None) -> list[str]:
        merged = {**self.prelude, **self.scopes.get(file_path, {})}
        return sorted(n for n, d in merged.items() if kind is None or d.kind == kind)

    def path_of(self, definition: Definition) -> Path:
        for path, source in self.files.items():
            if source.path == definition.file:
                return path
        raise KeyError(definition.file)
