"""Incremental parsing of editor buffers: a file is cut into top-level pieces (each starts at a
line whose first token is a word at column 1: a ``use`` line or a declaration header) and each
piece is parsed on its own, at its own line offset, with the result cached by its text. An
edit re-parses only the piece it touched, so a 2,000-line file costs one declaration's parse.

The merged result equals ``parse(text)`` whenever every piece parses cleanly; when any piece
has an error the whole text is parsed the ordinary way, so diagnostics and error recovery are
exactly the CLI's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from battgen.core.diagnostics import Span
from battgen.frontend import ast
from battgen.frontend.parser import ParseResult, parse, parse_piece
from battgen.frontend.tokens import starts_with_word

MIN_LINES = 120  # below this a whole parse is as fast as the bookkeeping
_CACHE: OrderedDict = OrderedDict()
_LOCK = threading.Lock()  # analyses of several documents run at once (the server's threads)
_CACHE_SIZE = 20000


def _starts(lines: list[str]) -> list[int]:
    """Line 0 and every line whose first token is a word at its first character: a ``use``
    line or a declaration's header (a property is indented, a comment is no word)."""
    out = [0]
    for i, line in enumerate(lines):
        if i and starts_with_word(line):
            out.append(i)
    return out


def parse_incremental(text: str, file: str) -> ParseResult:
    if not text.endswith("\n"):
        text += "\n"
    lines = text.split("\n")
    if len(lines) < MIN_LINES:
        return parse(text, file)
    starts = _starts(lines)
    bounds = list(zip(starts, starts[1:] + [len(lines)]))
    items: list = []
    comments: list = []
    for first, end in bounds:
        body = "\n".join(lines[first:end])
        key = (file, first, body)
        with _LOCK:
            result = _CACHE.get(key)
            if result is not None:
                _CACHE.move_to_end(key)
        if result is None:
            result = parse_piece(body, file, first)  # at its own line offset: linear in the file
            if result is None or result.diagnostics:
                return parse(text, file)  # a broken piece: recover over the whole file, as the CLI does
            with _LOCK:
                _CACHE[key] = result
                if len(_CACHE) > _CACHE_SIZE:
                    _CACHE.popitem(last=False)
        items.extend(result.module.items)
        comments.extend(result.module.comments)
    blank_lines = frozenset(i + 1 for i, line in enumerate(lines) if not line.strip())
    whole = Span(file, 1, 1, max(len(lines), 1), 1)
    return ParseResult(ast.Module(items, comments, file, whole, blank_lines), [])
