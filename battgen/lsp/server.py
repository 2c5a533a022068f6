"""The protocol door of the language server (pygls 2): ``battc lsp`` runs ``run()`` over stdio.

Analysis: every didOpen/didChange schedules the document. When the document has been quiet
for ``LEADING_IDLE`` seconds the analysis starts at once (a single edit gets its diagnostics
in the time the pipeline takes); inside a burst of edits it waits ``DEBOUNCE`` seconds after
the last one. Analyses run one at a time on a worker thread (the pipeline shares the parse
cache), results for a version the editor has already replaced are dropped, and the newest
analysis is kept per document (plus the last synthesis that found a design) for hover,
inlay hints and completion. Every handler is wrapped: an exception is logged and answered
with an empty result, so bad input never takes the server down.

As built: once a version's analysis has no errors and declares a pack, the build stages (no
CAD) run for it in a worker process (``lsp.builds``); a newer version makes the build under way
give way. When a build of the newest text finishes, its diagnostics (``battc FILE``'s) replace
the estimate's for that version; hover and inlay hints show its figures, marked stale once the
text has changed. The client is told of every stage (``battgen/building``), every finished
build (``battgen/built``) and, with the preview on (``battgen/preview``), the pictures
(``battgen/pictures``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import os
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from battgen.core.diagnostics import raised_at
from battgen.core.limits import MAX_WORKSPACE_FILES
from battgen.lsp import features as F
from battgen.lsp.analysis import (
    DocumentState,
    analyse,
    library,
    path_to_uri,
    same_file,
    span_location,
    span_range,
    too_large,
    uri_to_path,
)
from battgen.lsp.builds import BuildRunner
from battgen.lsp.protocol import BattProtocol, OneLineFormatter

log = logging.getLogger("battgen.lsp")

DEBOUNCE = float(os.environ.get("BATTGEN_LSP_DEBOUNCE_MS", "60")) / 1000
LEADING_IDLE = float(os.environ.get("BATTGEN_LSP_IDLE_MS", "150")) / 1000
# Analyses run on this many threads, a document at a time each: one slow or stuck document
# (a 5 MB file, an import on a hung network drive) holds one thread, never the others' turns.
ANALYSIS_WORKERS = 4


class BattServer(LanguageServer):
    def __init__(self):
        from battgen import __version__

        super().__init__(
            "battgen",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            protocol_cls=BattProtocol,
        )
        self.docs: dict[str, DocumentState] = {}
        self.executor = ThreadPoolExecutor(max_workers=ANALYSIS_WORKERS, thread_name_prefix="battgen-analysis")
        self.tasks: dict[str, asyncio.Task] = {}
        self.last_change: dict[str, float] = {}
        self.battgen_workspace = None
        self.timings: collections.deque[float] = collections.deque(maxlen=1000)  # the latest analyses
        self.analyses = 0
        self.builds = BuildRunner(self._build_message)
        self.event_loop: asyncio.AbstractEventLoop | None = None
        self.preview = False  # the client shows the pictures (battgen/preview)

    def report_server_error(self, error: Exception, source) -> None:
        """A message that could not be read or handled: one log line, and for a body that was
        not JSON a ParseError reply; never a pop-up in the editor."""
        import json

        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
            protocol = self.protocol
            assert isinstance(protocol, BattProtocol)  # the server is made with it (``server`` below)
            protocol.parse_error(error)
            return
        log.warning("%s: %s%s", type(error).__name__, error, raised_at(error))

    def text(self, uri: str) -> str | None:
        """An open document's text (what the editor shows); None for one never opened (the
        server reads no document from disk to answer a request: it could be a FIFO) or one
        over ``MAX_FILE_BYTES`` (its only diagnostic is E801, as in the CLI)."""
        state = self.docs.get(uri)
        if state is None or too_large(state.text):
            return None
        return state.text

    # --- documents and analysis -----------------------------------------------------------

    def doc(self, uri: str) -> DocumentState:
        state = self.docs.get(uri)
        if state is None:
            state = DocumentState(uri, uri_to_path(uri))
            self.docs[uri] = state
        return state

    def overlays(self) -> dict[str, str]:
        out = {}
        for uri, state in self.docs.items():
            if uri.startswith("file:"):
                out[str(Path(state.path).resolve())] = state.text
        return out

    def schedule(self, uri: str) -> None:
        now = time.monotonic()
        previous = self.last_change.get(uri, 0.0)
        self.last_change[uri] = now
        task = self.tasks.get(uri)
        if task is not None and not task.done():
            return  # the running task picks up the newest version
        immediate = now - previous >= LEADING_IDLE
        self.tasks[uri] = asyncio.get_running_loop().create_task(self._analyse_loop(uri, immediate))

    async def _analyse_loop(self, uri: str, immediate: bool) -> None:
        from battgen.frontend.workspace import Workspace

        loop = asyncio.get_running_loop()
        if self.battgen_workspace is None:
            self.battgen_workspace = Workspace()
        try:
            if not immediate:
                await self._quiet(uri)
            while uri in self.docs:
                state = self.docs[uri]
                version, text = state.version, state.text
                analysis = await loop.run_in_executor(
                    self.executor, analyse, state.path, text, self.battgen_workspace, self.overlays(), version
                )
                now_state = self.docs.get(uri)
                if now_state is None:
                    return
                state = now_state
                if state.version != version or state.text != text:
                    await self._quiet(uri)  # stale: drop it, wait for the burst to end, rerun
                    continue
                first = state.analysis is None
                state.update(analysis)
                self.timings.append(analysis.seconds)
                self.analyses += 1
                self.publish(state)
                self._refresh_views(first)
                self._refresh_dependents(state)
                self.request_build(state)
                return
        except Exception as error:  # noqa: BLE001
            log.error("analysis of %s failed: %s: %s%s", uri, type(error).__name__, error, raised_at(error))

    # --- the build, as built -------------------------------------------------------------------

    def request_build(self, state: DocumentState) -> None:
        """Build the analysed text in the worker (when it has no errors and declares a pack),
        superseding any build under way."""
        analysis = state.analysis
        if analysis is None or analysis.estimate is None or too_large(analysis.text):
            return
        module = analysis.module
        packs = module is not None and any(d.kind == "pack" for d in module.decls)
        if not packs or any(d.is_error for d in analysis.diagnostics):
            self.builds.cancel(state.uri)  # the text has errors now: its older build is moot
            return
        if self.event_loop is None:
            self.event_loop = asyncio.get_running_loop()
        self.builds.submit(state.uri, state.path, analysis.text, analysis.version, self.overlays(), self.preview)

    def _build_message(self, message) -> None:
        """From the build runner's thread: handled on the event loop."""
        if self.event_loop is not None:
            self.event_loop.call_soon_threadsafe(self._on_build, message)

    def _on_build(self, message) -> None:
        from battgen.lsp import builds

        state = self.docs.get(message.uri)
        if state is None:
            return
        if isinstance(message, builds.Progress):
            state.building = message
            self._notify(
                "battgen/building",
                {"uri": message.uri, "version": message.version, "stage": message.stage, "detail": message.detail},
            )
        elif isinstance(message, builds.Abandoned):
            if state.building is not None and state.building.generation == message.generation:
                state.building = None
        elif isinstance(message, builds.Built):
            if state.building is not None and state.building.generation <= message.generation:
                state.building = None
            if state.built is None or state.built.generation < message.generation:
                state.built = message
            current = (
                state.current_build() is message and message.version == state.version and message.text == state.text
            )
            if current:
                self.publish(state)
                self._refresh_views(False)
            self._notify("battgen/built", F.built_notification(state, message, current))
        elif isinstance(message, builds.Pictures) and self.preview:
            packs = [
                {"name": name, "pictures": [{"file": file, "svg": svg} for file, svg in files.items()]}
                for name, files in message.files.items()
            ]
            self._notify("battgen/pictures", {"uri": message.uri, "version": message.version, "packs": packs})

    def _notify(self, method: str, params: dict) -> None:
        try:
            self.protocol.notify(method, params)
        except Exception as error:  # noqa: BLE001 - the client may be gone
            log.warning("%s: %s: %s", method, type(error).__name__, error)

    async def _quiet(self, uri: str) -> None:
        while True:
            wait = self.last_change.get(uri, 0.0) + DEBOUNCE - time.monotonic()
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def publish(self, state: DocumentState) -> None:
        pairs = F.document_diagnostics(state)
        state.published = pairs
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=state.uri, diagnostics=[p for p, _ in pairs], version=state.version)
        )

    def _refresh_views(self, first: bool) -> None:
        """Ask the editor to re-request inlay hints (they depend on the estimate, which was
        not ready when the editor first asked) and semantic tokens."""
        try:
            caps = self.client_capabilities.workspace
            if caps is not None and caps.inlay_hint is not None and caps.inlay_hint.refresh_support:
                self.workspace_inlay_hint_refresh(None)
            if first and caps is not None and caps.semantic_tokens is not None and caps.semantic_tokens.refresh_support:
                self.workspace_semantic_tokens_refresh(None)
        except Exception as error:  # noqa: BLE001
            log.warning("refresh failed: %s: %s", type(error).__name__, error)

    def _refresh_dependents(self, changed: DocumentState) -> None:
        """Re-check other open documents that import the one just analysed."""
        for uri, state in self.docs.items():
            if uri == changed.uri or state.analysis is None:
                continue
            if any(same_file(f, changed.path) for f in state.analysis.lowered.sources if f != state.analysis.display):
                task = self.tasks.get(uri)
                if task is None or task.done():
                    self.tasks[uri] = asyncio.get_running_loop().create_task(self._analyse_loop(uri, True))

    # --- workspace files ----------------------------------------------------------------------

    def workspace_roots(self) -> list[Path]:
        roots = []
        try:
            for folder in self.workspace.folders.values():
                roots.append(Path(uri_to_path(folder.uri)))
            if not roots and self.workspace.root_path:
                roots.append(Path(self.workspace.root_path))
        except Exception:  # noqa: BLE001
            pass
        if not roots:
            roots = [Path(s.path).parent for s in self.docs.values()]
        return roots

    def workspace_files(self) -> list[Path]:
        seen, out = set(), []
        for root in self.workspace_roots():
            try:
                for dirpath, dirnames, filenames in os.walk(root):
                    dirnames[:] = [
                        d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "__pycache__")
                    ]
                    for name in filenames:
                        if name.endswith(".batt"):
                            p = Path(dirpath, name).resolve()
                            if p not in seen:
                                seen.add(p)
                                out.append(p)
                    if len(out) >= MAX_WORKSPACE_FILES:
                        log.warning(
                            "the workspace holds more than %d .batt files; using the first", MAX_WORKSPACE_FILES
                        )
                        return out
            except OSError:
                continue
        return out

    def workspace_decls(self) -> list[tuple[str, str, str]]:
        from battgen.frontend.workspace import Workspace

        ws = self.battgen_workspace or Workspace()
        out = []
        for path in self.workspace_files():
            loaded = ws.load(path)
            if hasattr(loaded, "parsed"):
                for decl in loaded.parsed.module.decls:
                    out.append((decl.kind, decl.name, str(path)))
        return out


server = BattServer()


def safe(default=None):
    """Log any exception of a handler and answer ``default`` instead."""

    def wrap(fn):
        if asyncio.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(ls, params):
                try:
                    return await fn(ls, params)
                except Exception:  # noqa: BLE001
                    _log_error(ls, fn.__name__)
                    return default() if callable(default) else default

            return run_async

        @functools.wraps(fn)
        def run(ls, params):
            try:
                return fn(ls, params)
            except Exception:  # noqa: BLE001
                _log_error(ls, fn.__name__)
                return default() if callable(default) else default

        return run

    return wrap


def _log_error(ls, name: str) -> None:
    """One line for a handler that failed (type, message, where; no traceback: BATTGEN_DEBUG)."""
    error = sys.exc_info()[1]
    text = f"battgen: {name} failed: {type(error).__name__}: {error}{raised_at(error) if error else ''}"
    if os.environ.get("BATTGEN_DEBUG"):
        text += "\n" + traceback.format_exc()
    log.error(text)
    with contextlib.suppress(Exception):  # the client may be gone; the log above has it
        ls.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Error, message=text))


# --- lifecycle and sync -------------------------------------------------------------------


@server.feature(lsp.EXIT)
def exit_now(ls: BattServer, *args):
    """End the process at once (0 after ``shutdown``, else 1, as LSP says): an analysis still
    running on a worker thread is abandoned, not waited for (Python joins pool threads at exit,
    so a document of megabytes would keep the process alive for its whole parse)."""
    with contextlib.suppress(Exception):
        ls.builds.close()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(0 if ls.protocol._shutdown else 1)


@server.feature(lsp.INITIALIZED)
@safe()
def initialized(ls: BattServer, params):
    def warm():
        from battgen.frontend.parser import parse
        from battgen.passes import synthesis  # noqa: F401 - numpy, before the first edit needs it

        parse("pack p {\n    cell = c\n}\n")
        library()

    ls.executor.submit(warm)


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
@safe()
def did_open(ls: BattServer, params: lsp.DidOpenTextDocumentParams):
    state = ls.doc(params.text_document.uri)
    state.text = params.text_document.text
    state.version = params.text_document.version
    ls.last_change[state.uri] = 0.0
    ls.schedule(state.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
@safe()
def did_change(ls: BattServer, params: lsp.DidChangeTextDocumentParams):
    uri = params.text_document.uri
    document = ls.workspace.text_documents.get(unquote(uri))
    if document is None:  # never opened: the protocol dropped the edit
        return
    state = ls.doc(uri)
    state.text = document.source
    state.version = params.text_document.version
    ls.schedule(uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
@safe()
def did_save(ls: BattServer, params: lsp.DidSaveTextDocumentParams):
    for uri in list(ls.docs):
        if uri != params.text_document.uri:
            ls.schedule(uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
@safe()
def did_close(ls: BattServer, params: lsp.DidCloseTextDocumentParams):
    uri = params.text_document.uri
    ls.docs.pop(uri, None)
    ls.builds.cancel(uri)
    task = ls.tasks.pop(uri, None)
    if task is not None:
        task.cancel()
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _state(ls: BattServer, uri: str) -> DocumentState | None:
    state = ls.docs.get(uri)
    if state is None or state.analysis is None:
        return None
    return state


async def _ready(ls: BattServer, uri: str, timeout: float = 3.0) -> DocumentState | None:
    """The document's state, after the analysis of its newest text when one is running."""
    state = ls.docs.get(uri)
    task = ls.tasks.get(uri)
    if state is not None and task is not None and not task.done():
        if state.analysis is None or state.analysis.version != state.version:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), timeout)
    return _state(ls, uri)


# --- features -----------------------------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
@safe()
async def hover(ls: BattServer, params: lsp.HoverParams):
    state = await _ready(ls, params.text_document.uri)
    return F.hover(state, params.position) if state else None


@server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
@safe(list)
async def inlay_hint(ls: BattServer, params: lsp.InlayHintParams):
    state = await _ready(ls, params.text_document.uri)
    return F.inlay_hints(state, params.range) if state else []


@server.feature(
    lsp.TEXT_DOCUMENT_COMPLETION,
    lsp.CompletionOptions(trigger_characters=[" ", ".", "(", ",", "=", '"']),
)
@safe()
async def completion(ls: BattServer, params: lsp.CompletionParams):
    uri = params.text_document.uri
    text = ls.text(uri)
    if text is None:
        return lsp.CompletionList(is_incomplete=False, items=[])

    def complete():  # reads the workspace's files: off the event loop
        return F.completions(ls.docs[uri], text, params.position, ls.workspace_decls())

    items = await asyncio.get_running_loop().run_in_executor(ls.executor, complete)
    return lsp.CompletionList(is_incomplete=False, items=items)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
@safe()
async def definition(ls: BattServer, params: lsp.DefinitionParams):
    state = await _ready(ls, params.text_document.uri)
    if state is None:
        return None
    found, file = F.definition_at(state, params.position)
    if found is not None:
        return F.definition_location(found)
    if file is not None:
        return lsp.Location(path_to_uri(file), lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))
    return None


def _analyses_for_references(ls: BattServer, extra_files: bool):
    """Analyses of the open documents, plus checks of the workspace's other files."""
    from battgen.driver.pipeline import check

    out = [s.analysis.lowered for s in ls.docs.values() if s.analysis is not None]
    if extra_files:
        open_paths = {os.path.abspath(s.path) for s in ls.docs.values()}
        for path in ls.workspace_files():
            if str(path) in open_paths:
                continue
            try:
                out.append(check(path, ls.battgen_workspace))
            except Exception:  # noqa: BLE001
                continue
    return out


def _reference_spans(ls: BattServer, target, include_declaration: bool):
    target_file = os.path.abspath(target.file)
    seen, spans = set(), []
    for lowered in _analyses_for_references(ls, extra_files=True):
        for span in F.references_in(lowered, target_file, target.name):
            key = (os.path.abspath(span.file), span.line, span.column)
            if key not in seen:
                seen.add(key)
                spans.append(span)
    if include_declaration:
        key = (target_file, target.name_span.line, target.name_span.column)
        if key not in seen:
            spans.insert(0, target.name_span)
    return spans


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
@safe(list)
async def references(ls: BattServer, params: lsp.ReferenceParams):
    state = _state(ls, params.text_document.uri)
    if state is None:
        return []
    found, _ = F.definition_at(state, params.position)
    if found is None:
        return []
    include = params.context.include_declaration if params.context else True
    loop = asyncio.get_running_loop()
    spans = await loop.run_in_executor(ls.executor, _reference_spans, ls, found, include)
    return [span_location(s) for s in spans]


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
@safe()
def prepare_rename(ls: BattServer, params: lsp.PrepareRenameParams):
    from battgen.frontend.workspace import STDLIB

    state = _state(ls, params.text_document.uri)
    if state is None:
        return None
    found, _ = F.definition_at(state, params.position)
    if found is None or _within(found.file, STDLIB):
        return None
    ctx = F.context_at(state, params.position)
    span = found.name_span
    if ctx.on == "name" and ctx.decl is not None:
        span = ctx.decl.name_span
    elif ctx.node is not None and hasattr(ctx.node, "name"):
        span = ctx.node.name_span if hasattr(ctx.node, "name_span") and ctx.on == "call" else ctx.node.span
    elif ctx.use is not None:
        s = ctx.use.path_span
        span = s._replace(column=s.end_column - len(found.name))
    return lsp.PrepareRenamePlaceholder(range=span_range(span), placeholder=found.name)


def _within(file: str, folder: Path) -> bool:
    try:
        Path(os.path.abspath(file)).relative_to(folder)
        return True
    except ValueError:
        return False


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
async def rename(ls: BattServer, params: lsp.RenameParams):
    from pygls.exceptions import JsonRpcInvalidParams

    from battgen.frontend.tokens import is_name
    from battgen.frontend.workspace import STDLIB

    state = _state(ls, params.text_document.uri)
    if state is None:
        return None
    found, _ = F.definition_at(state, params.position)
    if found is None:
        raise JsonRpcInvalidParams("no declaration to rename here")
    if _within(found.file, STDLIB):
        raise JsonRpcInvalidParams(f"`{found.name}` is declared in the standard library and cannot be renamed")
    new = params.new_name
    if not is_name(new):  # one NAME token of the grammar: no keyword
        raise JsonRpcInvalidParams(f"`{new}` is not a valid name")
    loop = asyncio.get_running_loop()
    try:
        spans = await loop.run_in_executor(ls.executor, _reference_spans, ls, found, True)
    except Exception as error:  # noqa: BLE001
        _log_error(ls, "rename")
        raise JsonRpcInvalidParams(f"rename failed: {error}") from None
    changes: dict[str, list[lsp.TextEdit]] = {}
    for span in spans:
        uri = path_to_uri(span.file)
        for open_uri, s in ls.docs.items():
            if same_file(span.file, s.path):
                uri = open_uri
        changes.setdefault(uri, []).append(lsp.TextEdit(span_range(span), new))
    return lsp.WorkspaceEdit(changes=changes)


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@safe(list)
async def document_symbol(ls: BattServer, params: lsp.DocumentSymbolParams):
    state = await _ready(ls, params.text_document.uri)
    if state is None:
        return []
    return F.document_symbols(state.analysis.module if state.analysis is not None else None, state)


@server.feature(lsp.WORKSPACE_SYMBOL)
@safe(list)
def workspace_symbol(ls: BattServer, params: lsp.WorkspaceSymbolParams):
    modules = {}
    for state in ls.docs.values():
        if state.analysis is not None:
            for file, module in state.analysis.lowered.modules.items():
                modules[os.path.abspath(file)] = module
    from battgen.frontend.workspace import Workspace

    ws = ls.battgen_workspace or Workspace()
    for path in ls.workspace_files():
        if str(path) not in modules:
            loaded = ws.load(path)
            if hasattr(loaded, "parsed"):
                modules[str(path)] = loaded.parsed.module
    return F.workspace_symbols(params.query, modules)


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
@safe(list)
async def formatting(ls: BattServer, params: lsp.DocumentFormattingParams):
    uri = params.text_document.uri
    text = ls.text(uri)
    if text is None:
        return []
    edits = await asyncio.get_running_loop().run_in_executor(ls.executor, F.format_document, text, uri_to_path(uri))
    return edits or []


@server.feature(
    lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
    lsp.SemanticTokensLegend(token_types=F.TOKEN_TYPES, token_modifiers=F.TOKEN_MODIFIERS),
)
@safe()
async def semantic_tokens(ls: BattServer, params: lsp.SemanticTokensParams):
    uri = params.text_document.uri
    text = ls.text(uri)
    if text is None:  # never opened: nothing to colour (the server reads no document from disk)
        return lsp.SemanticTokens(data=[])
    declared = F.declared_names(ls.docs[uri])
    data = await asyncio.get_running_loop().run_in_executor(ls.executor, F.semantic_tokens, text, declared)
    return lsp.SemanticTokens(data=data)


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
)
@safe(list)
def code_action(ls: BattServer, params: lsp.CodeActionParams):
    state = ls.docs.get(params.text_document.uri)
    if state is None:
        return []
    return F.quick_fixes(state, params.range, list(params.context.diagnostics or []))


@server.feature("battgen/preview")
@safe()
def preview(ls: BattServer, params):
    """The client opened (``enabled``) or closed its preview: with it open, every build also
    sends its pictures; opening it builds ``uri`` again (from the cache) to send them now."""
    enabled = bool(getattr(params, "enabled", False))
    ls.preview = enabled
    uri = getattr(params, "uri", None)
    state = ls.docs.get(uri) if uri else None
    if enabled and state is not None:
        ls.request_build(state)


@server.command("battgen.serverInfo")
def server_info(ls: BattServer, *args):
    """For tests and benchmarks: which heavy modules the process has loaded, and timings."""
    return {
        "pid": os.getpid(),
        "cadquery_loaded": "cadquery" in sys.modules,
        "numpy_loaded": "numpy" in sys.modules,
        # what only the build worker may load (tests/test_lazy_imports.py)
        "build_modules_loaded": sorted(
            m for m in ("scipy", "shapely", "networkx", "cadquery", "OCP") if m in sys.modules
        ),
        "analyses": ls.analyses,
        "analysis_ms": [round(t * 1000, 2) for t in list(ls.timings)[-200:]],
        "debounce_ms": DEBOUNCE * 1000,
        "leading_idle_ms": LEADING_IDLE * 1000,
        "documents": len(ls.docs),
        "tasks": len(ls.tasks),
        "builds": ls.builds.stats.as_json(),
        "build_worker_pid": ls.builds.process.pid if ls.builds.process is not None else None,
        "rss_MiB": _resident_memory(),
    }


def _resident_memory() -> float:
    """This process's resident memory now, MiB (Linux /proc; elsewhere the peak)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run() -> int:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    server.start_io()
    return 0
