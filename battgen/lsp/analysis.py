"""Per-document state of the language server, and running the pipeline on a buffer.

``analyse(path, text, workspace)`` runs the same ``estimate_result`` as ``battc estimate`` on an
editor buffer (other open buffers reach imports through ``workspace.overlays``) and never
raises: a bug becomes an E901 diagnostic. ``DocumentState`` keeps the newest analysis and, per
pack, the last synthesis that produced a design, so hover and inlay hints keep working while
the file is half-typed.

Positions: battgen spans are 1-based with an exclusive end column and name files by their
display path (relative to the server's working directory); LSP ranges are 0-based and name
files by URI. ``span_range`` / ``uri_for`` convert; ``node_at`` finds what is under a cursor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp

from battgen.core.diagnostics import Diagnostic, Span
from battgen.core.limits import MAX_FILE_BYTES
from battgen.frontend import ast

if TYPE_CHECKING:  # for the types only: the pipeline loads lazily (``pipeline``)
    from battgen.driver.pipeline import EstimateResult
    from battgen.frontend.lower import Lowered
    from battgen.lsp.builds import Built, Progress

# --- paths and positions ------------------------------------------------------------------


def uri_to_path(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme not in ("file", ""):
        return uri
    return os.path.abspath(unquote(parsed.path))


def path_to_uri(path: str) -> str:
    return Path(os.path.abspath(path)).as_uri()


def uri_for(display: str) -> str:
    """The URI of a file named by its display path (relative to this process's cwd)."""
    return path_to_uri(display)


def span_range(span: Span) -> lsp.Range:
    return lsp.Range(
        lsp.Position(max(span.line - 1, 0), max(span.column - 1, 0)),
        lsp.Position(max(span.end_line - 1, 0), max(span.end_column - 1, 0)),
    )


def span_location(span: Span) -> lsp.Location:
    return lsp.Location(uri_for(span.file), span_range(span))


def same_file(display: str, path: str) -> bool:
    return os.path.abspath(display) == os.path.abspath(path)


# --- analysis -----------------------------------------------------------------------------


@dataclass
class Analysis:
    """One run of the pipeline on one version of a buffer."""

    version: int | None
    text: str
    path: str  # absolute
    lowered: Lowered
    estimate: EstimateResult | None
    diagnostics: list[Diagnostic]
    seconds: float = 0.0

    @property
    def display(self) -> str:
        return self.lowered.root

    @property
    def module(self) -> ast.Module | None:
        return self.lowered.modules.get(self.lowered.root)

    def own_diagnostics(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if same_file(d.span.file, self.path)]


def too_large(text: str) -> bool:
    """Whether a buffer is over ``MAX_FILE_BYTES`` of UTF-8 (counted only near the limit)."""
    if len(text) <= MAX_FILE_BYTES // 4:
        return False
    return len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES


def analyse(path: str, text: str, workspace, overlays: dict[str, str], version: int | None = None) -> Analysis:
    """The pipeline on one buffer. Analyses of different documents run at once on the server's
    threads: each gets its own ``Workspace`` (its overlays: the open buffers) over the shared
    parse cache, whose entries are whole values set in one step."""
    import time

    from battgen.driver.pipeline import internal_error
    from battgen.frontend.workspace import Workspace

    start = time.perf_counter()
    key = str(Path(path).resolve())
    workspace = Workspace(overlays={**overlays, key: text}, cache=workspace.cache)
    if too_large(text):  # what the CLI says of the file, at once: no parse of megabytes
        from battgen.core import ir
        from battgen.core.reading import too_large as size_diagnostic
        from battgen.frontend.lower import Lowered
        from battgen.frontend.workspace import _display

        display = _display(Path(key)) if os.path.isabs(path) else path
        size = len(text.encode("utf-8", "surrogatepass"))
        lowered = Lowered(display, ir.Design(display, {}, {}, {}, {}), [], {display: ""}, {}, {}, [])
        diagnostics = [size_diagnostic(display, size)]
        return Analysis(version, text, path, lowered, None, diagnostics, time.perf_counter() - start)
    try:
        from battgen.driver.pipeline import estimate_result
        from battgen.frontend.workspace import SourceFile, _display
        from battgen.lsp.incremental import parse_incremental

        if os.path.exists(key):
            # the buffer reaches the pipeline as an overlay whose parse is already cached
            # (incrementally, piece by piece): the same lowering as `battc estimate`
            display = _display(Path(key))
            workspace.cache[key] = (-1.0, SourceFile(display, text, parse_incremental(text, display)))
            result = estimate_result(Path(key), workspace)
        else:  # an unsaved new file: no path to load it from
            result = estimate_result(Path(path), workspace, text=text)
        lowered, estimate, diagnostics = result.lowered, result, list(result.diagnostics)
    except Exception as error:  # noqa: BLE001 - a bug must not take the editor down
        from battgen.driver.pipeline import check

        try:
            lowered = check(Path(path), workspace, text=text)
            diagnostics = list(lowered.diagnostics)
        except Exception:  # noqa: BLE001
            from battgen.core import ir
            from battgen.frontend.lower import Lowered

            display = os.path.relpath(path)
            lowered = Lowered(display, ir.Design(display, {}, {}, {}, {}), [], {display: text}, {}, {}, [])
            diagnostics = []
        estimate = None
        diagnostics.append(internal_error(error, lowered.root))
    return Analysis(version, text, path, lowered, estimate, diagnostics, time.perf_counter() - start)


@dataclass
class DocumentState:
    uri: str
    path: str
    version: int | None = None
    text: str = ""
    analysis: Analysis | None = None
    good: dict = field(default_factory=dict)  # pack name -> last Synthesis with a chosen design
    published: list = field(default_factory=list)  # (lsp.Diagnostic, battgen Diagnostic)
    built: Built | None = None  # the newest finished build, maybe of older text
    building: Progress | None = None  # the stage under way, None when idle

    def current_build(self):
        """The newest build if it is of the analysed text (its diagnostics replace the
        estimate's, as ``battc FILE``'s replace ``battc check``'s), else None."""
        built, analysis = self.built, self.analysis
        if built is None or analysis is None or built.text != analysis.text or built.version != analysis.version:
            return None
        return built

    def built_pack(self, name: str):
        """(the pack as built in the newest build, whether that build is of older text)."""
        if self.built is None:
            return None, False
        for pack in self.built.packs:
            if pack.name == name:
                return pack, self.built.version != self.version or self.built.text != self.text
        return None, False

    def update(self, analysis: Analysis) -> None:
        self.analysis = analysis
        if analysis.estimate is not None:
            for name, synthesis in analysis.estimate.syntheses.items():
                if synthesis.chosen is not None:
                    self.good[name] = synthesis

    def synthesis(self, pack: str):
        """The current synthesis of a pack, or the last one that found a design."""
        if self.analysis is not None and self.analysis.estimate is not None:
            current = self.analysis.estimate.syntheses.get(pack)
            if current is not None:
                return current, False
        good = self.good.get(pack)
        return good, good is not None


# --- what is under the cursor -------------------------------------------------------------


@dataclass
class Context:
    """The chain of syntax nodes at a position, outermost first."""

    use: ast.Use | None = None
    decl: ast.Decl | None = None
    prop: ast.Property | None = None
    nodes: list = field(default_factory=list)  # expression nodes, outermost first
    on: str = ""  # "kind" | "name" | "prop" | "qualifier" | "unit" | "call" | "arg" | "value" | "use"

    @property
    def node(self):
        return self.nodes[-1] if self.nodes else None


def _inside(span: Span | None, line: int, column: int) -> bool:
    return span is not None and span.contains(line, column)


def node_at(module: ast.Module | None, line: int, column: int) -> Context:
    """``line``/``column`` 1-based."""
    ctx = Context()
    if module is None:
        return ctx
    for item in module.items:
        if isinstance(item, ast.Use):
            if _inside(item.span, line, column):
                ctx.use = item
                ctx.on = "use" if _inside(item.path_span, line, column) else ""
                return ctx
            continue
        if not (item.span.line <= line <= item.span.end_line):
            continue
        ctx.decl = item
        for span, on in ((item.kind_span, "kind"), (item.name_span, "name")):
            if _inside(span, line, column):
                ctx.on = on
                return ctx
        for prop in item.props:
            if not (prop.span.line <= line <= prop.span.end_line):
                continue
            ctx.prop = prop
            for span, on in ((prop.name_span, "prop"), (prop.qualifier_span, "qualifier")):
                if _inside(span, line, column):
                    ctx.on = on
                    return ctx
            for value in (prop.value, prop.high, prop.at, prop.duration):
                if value is not None and _inside(value.span, line, column):
                    _descend(value, line, column, ctx)
                    return ctx
            return ctx
        return ctx
    return ctx


def _descend(node, line: int, column: int, ctx: Context) -> None:
    ctx.nodes.append(node)
    ctx.on = "value"
    if isinstance(node, ast.Quantity):
        if _inside(node.unit_span, line, column):
            ctx.on = "unit"
        return
    if isinstance(node, ast.Call):
        if _inside(node.name_span, line, column):
            ctx.on = "call"
            return
        for arg in node.args:
            if arg.name_span is not None and _inside(arg.name_span, line, column):
                ctx.nodes.append(arg)
                ctx.on = "arg"
                return
            if _inside(arg.value.span, line, column):
                ctx.nodes.append(arg)
                _descend(arg.value, line, column, ctx)
                return
        return
    children = []
    if isinstance(node, ast.ListExpr):
        children = node.items
    elif isinstance(node, ast.Point):
        children = [node.x, node.y]
    elif isinstance(node, ast.BinOp):
        children = [node.left, node.right]
    elif isinstance(node, ast.Neg):
        children = [node.operand]
    for child in children:
        if _inside(child.span, line, column):
            _descend(child, line, column, ctx)
            return


def iter_nodes(node):
    """Every expression node under ``node`` (itself included), depth first."""
    if node is None:
        return
    yield node
    if isinstance(node, ast.Call):
        for arg in node.args:
            yield from iter_nodes(arg.value)
    elif isinstance(node, ast.ListExpr):
        for item in node.items:
            yield from iter_nodes(item)
    elif isinstance(node, ast.Point):
        yield from iter_nodes(node.x)
        yield from iter_nodes(node.y)
    elif isinstance(node, ast.BinOp):
        yield from iter_nodes(node.left)
        yield from iter_nodes(node.right)
    elif isinstance(node, ast.Neg):
        yield from iter_nodes(node.operand)


# --- the standard library, indexed once ---------------------------------------------------


@dataclass(frozen=True)
class LibraryDecl:
    module: str  # dotted, e.g. cells.lg
    kind: str
    name: str
    path: str  # absolute
    decl: ast.Decl


_LIBRARY: list[LibraryDecl] | None = None


def library() -> list[LibraryDecl]:
    """Every declaration of the standard library (parsed once per process)."""
    global _LIBRARY
    if _LIBRARY is None:
        from battgen.frontend.parser import parse
        from battgen.frontend.workspace import STDLIB, library_modules

        out = []
        for dotted in library_modules():
            path = STDLIB.joinpath(*dotted.split(".")).with_suffix(".batt")
            try:
                text = path.read_text(encoding="utf-8")
            except OSError:
                continue
            module = parse(text, str(path)).module
            for decl in module.decls:
                out.append(LibraryDecl(dotted, decl.kind, decl.name, str(path), decl))
        _LIBRARY = out
    return _LIBRARY
