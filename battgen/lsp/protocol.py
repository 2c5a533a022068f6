"""The JSON-RPC layer of the language server, made to answer every request.

pygls drops a message it cannot read into its types with a traceback on stderr and no reply,
so a client waiting on a request with a negative character, a line of 2^40 or ``params: null``
waits forever. ``BattProtocol`` answers instead:

* a request whose params do not fit the method's type gets ``InvalidParams`` (-32602) naming
  what is wrong; a notification that does not fit is dropped with one line in the log (there is
  nobody to answer);
* a body that is not JSON (or not UTF-8) gets ``ParseError`` (-32700) with ``id: null``, as
  JSON-RPC 2.0 says (section 5.1: the id could not be read);
* after ``shutdown`` every request but ``exit`` gets ``InvalidRequest`` (-32600: LSP 3.17,
  "Shutdown Request": "If a server receives requests after a shutdown request those requests
  should error with InvalidRequest");
* a text edit whose range lies beyond the document is clamped to it (LSP 3.17, "Position": a
  character beyond the line's end defaults back to its end; so does a line beyond the last),
  and an edit to a document that was never opened is dropped with a log line.

``OneLineFormatter`` writes each log record on one line — the exception's type, message and
where it was raised, never a traceback (set ``BATTGEN_DEBUG=1`` for those).
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import unquote

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage

from battgen.core.diagnostics import raised_at

log = logging.getLogger("battgen.lsp")


class Unreadable:
    """A message whose params did not fit its method's type (what ``structure_message`` makes of
    it instead of raising inside the JSON decoder)."""

    jsonrpc = "2.0"

    def __init__(self, data: dict, problem: str):
        self.id = data.get("id")
        self.method = data.get("method", "")
        self.is_request = "id" in data and "method" in data
        self.problem = problem


def _problem(error: BaseException) -> str:
    """What a cattrs validation error says, in one line (the innermost messages)."""
    messages: list[str] = []

    def walk(exc: BaseException) -> None:
        inner = getattr(exc, "exceptions", None)
        if inner:
            for sub in inner:
                walk(sub)
        else:
            note = "; ".join(str(n) for n in getattr(exc, "__notes__", []) or [])
            messages.append(f"{note + ': ' if note else ''}{exc}")

    walk(error)
    return "; ".join(dict.fromkeys(messages))[:300] or type(error).__name__


class BattProtocol(LanguageServerProtocol):
    """pygls's LSP protocol that answers every request (module docstring)."""

    def structure_message(self, data: dict[str, Any]):
        if "jsonrpc" not in data:
            return data
        if "method" in data and ("error" not in data):
            method = data.get("method", "")
            try:
                if "id" in data:
                    kind = self.get_message_type(method) or JsonRPCRequestMessage
                else:
                    kind = self.get_message_type(method) or JsonRPCNotification
                return self._converter.structure(data, kind)
            except Exception as error:  # noqa: BLE001 - any failure to fit the type is "invalid params"
                return Unreadable(data, _problem(error))
        return super().structure_message(data)

    def handle_message(self, message) -> None:
        if isinstance(message, Unreadable):
            if message.is_request:
                log.warning("invalid params for %s: %s", message.method, message.problem)
                invalid = JsonRpcInvalidParams(message=f"invalid params for {message.method}: {message.problem}")
                self._send_response(message.id, error=invalid.to_response_error())  # type: ignore[arg-type]  # a request has an id
            else:
                log.warning("dropped %s: invalid params: %s", message.method or "a notification", message.problem)
            return
        method = getattr(message, "method", None)
        if self._shutdown and method is not None and method != lsp.EXIT:
            if getattr(message, "id", None) is not None:  # a request: answer it
                refused = JsonRpcInvalidRequest(message=f"the server is shutting down: {method} refused")
                self._send_response(message.id, error=refused.to_response_error())
            return
        super().handle_message(message)

    def parse_error(self, error: BaseException) -> None:
        """The reply to a body that was not JSON (JSON-RPC 2.0: id null)."""
        log.warning("unreadable message: %s", _problem(error))
        parse_error = JsonRpcParseError(message=f"Parse error: {_problem(error)}")
        # written by hand: the typed message would drop an id of None, which JSON-RPC requires here
        self._send_data(
            {"jsonrpc": "2.0", "id": None, "error": {"code": parse_error.code, "message": parse_error.message}}
        )

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams):
        uri = unquote(params.text_document.uri)  # pygls keeps documents by their unquoted URI
        documents = self.workspace.text_documents
        if uri not in documents:
            log.warning("dropped an edit to %s, which was never opened", uri)
            return
        for change in params.content_changes:
            self.workspace.update_text_document(params.text_document, _clamped(change, documents[uri].lines))
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None


def _clamped(change, lines: list[str]):
    """An incremental change with its range inside the document (LSP: a position beyond a line's
    end is its end; beyond the last line, the document's end), its ends in order."""
    if not isinstance(change, lsp.TextDocumentContentChangePartial):
        return change
    if not lines:
        end = lsp.Position(0, 0)
    else:
        last = lines[-1]
        end = (
            lsp.Position(len(lines), 0)
            if last.endswith("\n")
            else lsp.Position(len(lines) - 1, _utf16_length(last.rstrip("\r\n")))
        )

    def clamp(position: lsp.Position) -> lsp.Position:
        if position.line > end.line or (position.line == end.line and position.character >= end.character):
            return end
        line = lines[position.line].rstrip("\r\n") if position.line < len(lines) else ""
        return lsp.Position(position.line, min(position.character, _utf16_length(line)))

    start, stop = clamp(change.range.start), clamp(change.range.end)
    if (stop.line, stop.character) < (start.line, start.character):
        start, stop = stop, start
    return lsp.TextDocumentContentChangePartial(
        range=lsp.Range(start, stop), text=change.text, range_length=change.range_length
    )


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class OneLineFormatter(logging.Formatter):
    """``battgen-lsp LEVEL: message`` on one line; an exception as its type, message and where
    it was raised. With ``BATTGEN_DEBUG`` set, the traceback too."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if os.environ.get("BATTGEN_DEBUG"):
            return f"battgen-lsp {record.levelname.lower()}: {super().format(record)}"
        message = message.split("\n", 1)[0]  # pygls puts a formatted traceback in some messages
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            message += f": {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}{raised_at(error)}"
        return f"battgen-lsp {record.levelname.lower()}: {message}"
