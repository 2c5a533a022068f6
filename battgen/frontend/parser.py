"""Parse .batt text into a syntax tree, never aborting.

``parse(text, file) -> ParseResult(module, diagnostics)``. The fast path parses the whole file
with one LALR pass whose transformer builds the tree during the parse (no lark tree is kept).
When that fails, the file is re-parsed piece by piece (``battgen.frontend.recover``) — each
``use`` line and declaration on its own, and inside a broken declaration each property line
on its own — so that a file with several mistakes reports all of them and a half-typed file
still yields everything that did parse. Lines and columns in the pieces are the file's own
(pieces are parsed with their line offset, kept here in ``_state``), so every diagnostic
points at the real text.

This module holds the LALR parser (built once), the transformer that builds the tree, the
comment collection, ``parse``, ``parse_piece`` (one piece at its line offset, for the language
server's incremental parse) and ``parse_property``. Every tree it returns nests at most
``MAX_EXPRESSION_DEPTH`` levels (deeper properties are E106 and left out: the evaluator, the
formatter and the editor features walk expressions recursively), and a leading byte-order mark
is white space.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput

from battgen.core.diagnostics import Diagnostic, Span
from battgen.core.limits import MAX_EXPRESSION_DEPTH
from battgen.frontend import ast

GRAMMAR_PATH = Path(__file__).resolve().parents[2] / "grammar" / "batt.lark"
BOM = "\ufeff"

# The file being parsed and the line offset of the piece being parsed (0 for a whole file; a
# piece of a broken file is parsed alone and its lines shifted to the file's), read by the span
# builder and the comment collector.
_state = threading.local()


def _file() -> str:
    return _state.file


def _tok(token: Token) -> Span:
    # lark types a token's position Optional (a Token made by hand has none); its lexer sets all
    # four on every token it makes, and this runs once a token, so they are not checked.
    offset = _state.offset
    return Span(_state.file, token.line + offset, token.column, token.end_line + offset, token.end_column)  # type: ignore[arg-type]


def _join(a: Span, b: Span) -> Span:
    return Span(a.file, a.line, a.column, b.end_line, b.end_column)


class _Build(Transformer):
    """Builds ``battgen.frontend.ast`` nodes inside the LALR parse (lark's inline transformer).

    Each callback takes the list of children as lark passes it, punctuation and newlines
    included (``keep_all_tokens``), and picks its parts by position: no ``v_args`` wrapper and
    no child filter, two Python calls fewer per reduction."""

    # expressions
    def number(self, children):
        (tok,) = children
        return ast.Number(str(tok), float(tok), _tok(tok))

    def quantity(self, children):
        num, unit = children
        unit_span = _tok(unit)
        return ast.Quantity(str(num), float(num), str(unit), unit_span, _join(_tok(num), unit_span))

    def string(self, children):
        (tok,) = children
        return ast.String(tok[1:-1], _tok(tok))

    def ref(self, children):
        (tok,) = children
        return ast.Ref(str(tok), _tok(tok))

    def call0(self, children):
        name, _, rpar = children
        span = _tok(name)
        return ast.Call(str(name), span, [], _join(span, _tok(rpar)))

    def call(self, children):
        name, _, args, rpar = children
        span = _tok(name)
        return ast.Call(str(name), span, args, _join(span, _tok(rpar)))

    def args(self, children):
        items = children[::2]  # without the commas
        out = []
        for item in items:
            if isinstance(item, ast.Arg):
                out.append(item)
            else:
                out.append(ast.Arg(None, None, item, item.span))
        return out

    def kwarg(self, children):
        name, _, value = children
        span = _tok(name)
        return ast.Arg(str(name), span, value, _join(span, value.span))

    def items(self, children):
        items = children[::2]
        return list(items)

    def empty_list(self, children):
        lsqb, rsqb = children
        return ast.ListExpr([], _join(_tok(lsqb), _tok(rsqb)))

    def list(self, children):
        lsqb, items, rsqb = children
        return ast.ListExpr(items, _join(_tok(lsqb), _tok(rsqb)))

    def point(self, children):
        lpar, x, _, y, rpar = children
        return ast.Point(x, y, _join(_tok(lpar), _tok(rpar)))

    def binary(self, children):
        """Left to right as parsed; `*` and `/` then take their operand back from a `+`/`-`
        on their left (unless that one was in parentheses), which gives the usual precedence."""
        left, op, right = children
        return _combine(str(op), left, right)

    def group(self, children):
        lpar, inner, rpar = children
        if isinstance(inner, ast.BinOp):
            inner.grouped = True
        return inner

    def neg(self, children):
        minus, operand = children
        return ast.Neg(operand, _join(_tok(minus), operand.span))

    # properties
    def set(self, children):
        name, _, value, _ = children
        span = _tok(name)
        return ast.Property(str(name), span, None, None, "=", value, None, None, None, _join(span, value.span))

    def set_named(self, children):
        name, qualifier, _, value, _ = children
        span = _tok(name)
        return ast.Property(
            str(name), span, str(qualifier), _tok(qualifier), "=", value, None, None, None, _join(span, value.span)
        )

    def set_named_at(self, children):
        name, qualifier, _, value, _, at, _ = children
        span = _tok(name)
        return ast.Property(
            str(name), span, str(qualifier), _tok(qualifier), "=", value, None, at, None, _join(span, at.span)
        )

    def at_least(self, children):
        name, _, value, _ = children
        span = _tok(name)
        return ast.Property(str(name), span, None, None, ">=", value, None, None, None, _join(span, value.span))

    def at_least_for(self, children):
        name, _, value, _, duration, _ = children
        span = _tok(name)
        return ast.Property(str(name), span, None, None, ">=", value, None, None, duration, _join(span, duration.span))

    def at_most(self, children):
        name, _, value, _ = children
        span = _tok(name)
        return ast.Property(str(name), span, None, None, "<=", value, None, None, None, _join(span, value.span))

    def at_most_for(self, children):
        name, _, value, _, duration, _ = children
        span = _tok(name)
        return ast.Property(str(name), span, None, None, "<=", value, None, None, duration, _join(span, duration.span))

    def within(self, children):
        name, _, low, _, high, _ = children
        span = _tok(name)
        return ast.Property(str(name), span, None, None, "in", low, high, None, None, _join(span, high.span))

    def within_for(self, children):
        name, _, low, _, high, _, duration, _ = children
        span = _tok(name)
        return ast.Property(str(name), span, None, None, "in", low, high, None, duration, _join(span, duration.span))

    # declarations and files
    def decl(self, children):
        kind, name = children[0], children[1]
        props, rbrace = children[4:-2], children[-2]  # after `{` and its newline; `}` and its newline
        kind_span = _tok(kind)
        return ast.Decl(str(kind), kind_span, str(name), _tok(name), props, _join(kind_span, _tok(rbrace)))

    def dotted(self, children):
        names = children[::2]  # without the dots
        return names

    def use_library(self, children):
        use, names, _ = children
        path_span = _join(_tok(names[0]), _tok(names[-1]))
        return ast.Use(tuple(str(n) for n in names), None, path_span, _join(_tok(use), path_span))

    def use_file(self, children):
        use, string, _ = children
        span = _tok(string)
        return ast.Use(None, string[1:-1], span, _join(_tok(use), span))

    def start(self, children):
        return [item for item in children if not isinstance(item, Token)]

    def line(self, children):
        prop = children[-1]
        return prop


_ADDITIVE = ("+", "-")


def _combine(op: str, left, right):
    if op not in _ADDITIVE and isinstance(left, ast.BinOp) and left.op in _ADDITIVE and not left.grouped:
        return ast.BinOp(left.op, left.left, _combine(op, left.right, right), _join(left.span, right.span))
    return ast.BinOp(op, left, right, _join(left.span, right.span))


class _DropNewlinesInBrackets:
    """Post-lexer: inside ( ) and [ ] a newline is whitespace, so lists may span lines.

    It also collects the comments that ride inside newline tokens (full-line comments) for
    the formatter; end-of-line comments arrive through the COMMENT lexer callback."""

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        comments = _state.comments
        for token in stream:
            kind = token.type
            if kind == "_NL":
                if "#" in token:
                    _collect_line_comments(token, comments)
                if depth:
                    continue
            elif kind == "LPAR" or kind == "LSQB":
                depth += 1
            elif kind == "RPAR" or kind == "RSQB":
                depth = max(depth - 1, 0)
            yield token


def _collect_line_comments(token: Token, comments: list) -> None:
    line = token.line + _state.offset
    for index, piece in enumerate(token.split("\n")):
        stripped = piece.strip()
        if index and stripped.startswith("#"):
            column = len(piece) - len(piece.lstrip()) + 1
            comments.append(ast.Comment(stripped, line + index, column, trailing=False))


def _on_comment(token: Token) -> Token:
    column = token.column  # the lexer's tokens always have a position (lark types it Optional)
    assert column is not None
    _state.comments.append(ast.Comment(str(token).rstrip(), token.line + _state.offset, column, trailing=True))
    return token


_PARSER: Lark | None = None
_lock = threading.Lock()


def get_parser() -> Lark:
    """The LALR parser, built once per process (lark caches the tables on disk)."""
    global _PARSER
    if _PARSER is None:
        with _lock:
            if _PARSER is None:
                _PARSER = Lark(
                    GRAMMAR_PATH.read_text(encoding="utf-8"),
                    parser="lalr",
                    lexer="contextual",
                    start=["start", "line"],
                    transformer=_Build(),
                    postlex=_DropNewlinesInBrackets(),
                    lexer_callbacks={"COMMENT": _on_comment},
                    maybe_placeholders=False,
                    # every token reaches the callbacks, which pick theirs by position: lark then
                    # needs no child filter per reduction (a tenth of the parse time)
                    keep_all_tokens=True,
                    cache=True,
                )
    return _PARSER


# --- results ------------------------------------------------------------------------------


@dataclass
class ParseResult:
    module: ast.Module
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def parse(text: str, file: str = "<input>") -> ParseResult:
    """Parse a whole file. Never raises on user input."""
    if not text.endswith("\n"):
        text += "\n"  # every statement ends with a newline, the last one too
    if text.startswith(BOM):
        text = " " + text[1:]  # a byte-order mark (Windows editors write one) is white space
    _state.file = file
    _state.offset = 0
    _state.comments = []
    parser = get_parser()
    diagnostics: list[Diagnostic] = []
    items: list[ast.Use | ast.Decl]
    try:
        # the transformer builds the items during the parse (lark types the result a tree)
        items = cast("list[ast.Use | ast.Decl]", parser.parse(text, start="start"))
    except UnexpectedInput:
        from battgen.frontend.recover import _recover  # only a broken file needs the scanner

        _state.comments = []
        items = _recover(text, file, diagnostics)
    lines = text.split("\n")
    items = _within_depth(items, diagnostics)
    return ParseResult(_module(items, lines, file, 0), diagnostics)


def parse_piece(text: str, file: str, first_line: int) -> ParseResult | None:
    """A piece of a file that starts at its 0-based line ``first_line`` (spans and comments in
    the file's lines), parsed in one pass; None if it does not parse (the caller then parses
    the whole file, with error recovery). The language server's incremental parse."""
    if not text.endswith("\n"):
        text += "\n"
    _state.file = file
    _state.offset = first_line
    _state.comments = []
    try:
        # the transformer builds the items during the parse (lark types the result a tree)
        items = cast("list[ast.Use | ast.Decl]", get_parser().parse(text, start="start"))
    except UnexpectedInput:
        return None
    finally:
        _state.offset = 0
    diagnostics: list[Diagnostic] = []
    items = _within_depth(items, diagnostics)
    return ParseResult(_module(items, text.split("\n"), file, first_line), diagnostics)


def _module(items: list[ast.Use | ast.Decl], lines: list[str], file: str, first_line: int) -> ast.Module:
    """The module of ``items`` parsed from ``lines`` (the file's lines from ``first_line``)."""
    comments = sorted(_state.comments, key=lambda c: (c.line, c.column))
    for comment in comments:  # a `#` with nothing before it on its line stands alone
        if comment.trailing and not lines[comment.line - 1 - first_line][: comment.column - 1].strip():
            comment.trailing = False
    blank_lines = frozenset(first_line + i + 1 for i, line in enumerate(lines) if not line.strip())
    end = Span(file, 1, 1, max(first_line + len(lines), 1), 1)
    return ast.Module(items, comments, file, end, blank_lines)


def _within_depth(items: list[ast.Use | ast.Decl], diagnostics: list[Diagnostic]) -> list[ast.Use | ast.Decl]:
    """Properties whose expressions nest deeper than ``MAX_EXPRESSION_DEPTH`` reported (E106)
    and left out, so that nothing after the parser recurses deeper than the limit. A level
    takes at least a character, so only a property longer than the limit is measured."""
    for item in items:
        if not isinstance(item, ast.Decl):
            continue
        kept = []
        for prop in item.props:
            span = prop.span
            if span.line == span.end_line and span.end_column - span.column <= MAX_EXPRESSION_DEPTH:
                kept.append(prop)
                continue
            depth, deepest = _depth(prop)
            if depth <= MAX_EXPRESSION_DEPTH:
                kept.append(prop)
                continue
            diagnostics.append(
                Diagnostic(
                    "E106",
                    f"`{prop.name}` nests {depth:,} levels deep; an expression nests at most "
                    f"{MAX_EXPRESSION_DEPTH} (MAX_EXPRESSION_DEPTH: each operator in a chain, call, list, point "
                    "and sign adds a level)",
                    deepest,
                    hint="compute the value outside and write the result, or split the sum",
                )
            )
            item.broken = item.broken | {prop.name}  # its line is reported: no E205 "missing" too
        if len(kept) != len(item.props):
            item.props = kept
    return items


def _depth(prop: ast.Property) -> tuple[int, Span]:
    """The deepest nesting of a property's expressions, without recursion, and the span of
    the expression that reaches it."""
    deepest, where = 0, prop.span
    for root in (prop.value, prop.high, prop.at, prop.duration):
        if root is None:
            continue
        stack = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > deepest:
                deepest, where = depth, root.span
            if isinstance(node, ast.BinOp):
                stack.append((node.left, depth + 1))
                stack.append((node.right, depth + 1))
            elif isinstance(node, ast.Neg):
                stack.append((node.operand, depth + 1))
            elif isinstance(node, ast.Call):
                stack.extend((arg.value, depth + 1) for arg in node.args)
            elif isinstance(node, ast.ListExpr):
                stack.extend((child, depth + 1) for child in node.items)
            elif isinstance(node, ast.Point):
                stack.append((node.x, depth + 1))
                stack.append((node.y, depth + 1))
    return deepest, where


def parse_property(text: str, file: str = "<input>") -> ast.Property | None:
    """Parse one property line (used by the language server and a study's variants)."""
    _state.file = file
    _state.offset = 0
    _state.comments = []  # the comment collector's list (a thread that never ran `parse` has none)
    try:
        # the transformer builds the property during the parse (lark types the result a tree)
        return cast(ast.Property, get_parser().parse(text if text.endswith("\n") else text + "\n", start="line"))
    except UnexpectedInput:
        return None
