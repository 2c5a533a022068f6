"""Parse .batt text into a syntax tree, never aborting.

``parse(text, file) -> ParseResult(module, diagnostics)``. The fast path parses the whole file
with one LALR pass whose transformer builds the tree during the parse (no lark tree is kept).
When that fails, the file is re-parsed piece by piece — each ``use`` line and declaration on
its own, and inside a broken declaration each property line on its own — so that a file with
several mistakes reports all of them and a half-typed file still yields everything that did
parse. Lines and columns in the pieces are the file's own (pieces are parsed with their line
offset), so every diagnostic points at the real text.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.frontend import ast

GRAMMAR_PATH = Path(__file__).resolve().parents[2] / "grammar" / "batt.lark"

# The file being parsed and the line offset of the piece being parsed (0 for a whole file; a
# piece of a broken file is parsed alone and its lines shifted to the file's), read by the span
# builder and the comment collector.
_state = threading.local()


def _file() -> str:
    return _state.file


def _tok(token: Token) -> Span:
    offset = _state.offset
    return Span(_state.file, token.line + offset, token.column, token.end_line + offset, token.end_column)


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
    _state.comments.append(ast.Comment(str(token).rstrip(), token.line + _state.offset, token.column, trailing=True))
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
    _state.file = file
    _state.offset = 0
    _state.comments = []
    parser = get_parser()
    diagnostics: list[Diagnostic] = []
    try:
        items = parser.parse(text, start="start")
    except UnexpectedInput:
        _state.comments = []
        items = _recover(text, file, diagnostics)
    lines = text.split("\n")
    comments = sorted(_state.comments, key=lambda c: (c.line, c.column))
    for comment in comments:  # a `#` with nothing before it on its line stands alone
        if comment.trailing and not lines[comment.line - 1][: comment.column - 1].strip():
            comment.trailing = False
    blank_lines = frozenset(i + 1 for i, line in enumerate(lines) if not line.strip())
    end = Span(file, 1, 1, max(len(lines), 1), 1)
    return ParseResult(ast.Module(items, comments, file, end, blank_lines), diagnostics)


def parse_property(text: str, file: str = "<input>") -> ast.Property | None:
    """Parse one property line (used by the language server)."""
    _state.file = file
    _state.offset = 0
    try:
        return get_parser().parse(text if text.endswith("\n") else text + "\n", start="line")
    except UnexpectedInput:
        return None


# --- error recovery -----------------------------------------------------------------------


def _recover(text: str, file: str, diagnostics: list[Diagnostic]) -> list:
    """Parse each top-level piece on its own; report every piece that fails."""
    lines = text.split("\n")
    items: list = []
    for piece in _top_level_pieces(lines):
        first, last, closed = piece
        try:
            items.extend(_parse_piece(lines, first, last, "start"))
            continue
        except UnexpectedInput as error:
            error_in_piece = error
        header = lines[first].strip()
        if header.endswith("{") and len(header.split()) >= 2:
            decl = _recover_declaration(lines, first, last, closed, file, diagnostics)
            if decl is not None:
                items.append(decl)
                continue
        diagnostics.append(_diagnostic_for(error_in_piece, file, lines, first, last))
    return items


def _parse_piece(lines: list[str], first: int, last: int, rule: str):
    """lines[first..last] (0-based) parsed alone with ``rule``, spans in the file's lines: the
    piece's text only, so recovering a file of n pieces reads each line once (linear time)."""
    _state.offset = first
    try:
        return get_parser().parse("\n".join(lines[first : last + 1]) + "\n", start=rule)
    finally:
        _state.offset = 0


def _top_level_pieces(lines: list[str]):
    """Yield (first_line, last_line, closed) for each top-level statement, 0-based lines.

    A declaration runs from its header to the line where braces balance again; an unclosed
    one ends before the next line that starts a declaration at column 1 (what an editor
    sees while a block is being typed)."""
    index, count = 0, len(lines)
    while index < count:
        if _blank(lines[index]):
            index += 1
            continue
        stripped = _code(lines[index]).strip()
        depth = stripped.count("{") - stripped.count("}")
        if depth <= 0:
            yield index, index, True
            index += 1
            continue
        first = index
        index += 1
        closed = False
        while index < count:
            line = _code(lines[index])
            if depth > 0 and line[:1].isalpha() and line.rstrip().endswith("{"):
                break  # the next declaration starts: this one was never closed
            depth += line.count("{") - line.count("}")
            index += 1
            if depth <= 0:
                closed = True
                break
        yield first, index - 1, closed


def _blank(line: str) -> bool:
    """Nothing but white space and a comment: a string or a number alone is not blank (it is
    a statement the parser must judge, never a line to skip)."""
    in_string = False
    for char in line:
        if char == '"':
            in_string = not in_string
        elif not in_string and char == "#":
            return True
        if not char.isspace():
            return False
    return True


def _code(line: str) -> str:
    """The line without its comment and strings (braces inside them do not count)."""
    out, in_string = [], False
    for char in line:
        if char == '"':
            in_string = not in_string
            continue
        if in_string:
            continue
        if char == "#":
            break
        out.append(char)
    return "".join(out)


def _recover_declaration(lines, first, last, closed, file, diagnostics) -> ast.Decl | None:
    header = lines[first]
    words = _code(header).replace("{", " ").split()
    if len(words) != 2 or not all(w.isidentifier() for w in words):
        return None
    kind, name = words
    kind_col = header.index(kind) + 1
    name_col = header.index(name, kind_col - 1 + len(kind)) + 1
    kind_span = Span(file, first + 1, kind_col, first + 1, kind_col + len(kind))
    name_span = Span(file, first + 1, name_col, first + 1, name_col + len(name))
    body_last = last - 1 if closed else last
    props: list[ast.Property] = []
    broken: set[str] = set()
    for start, end in _statements(lines, first + 1, body_last):
        try:
            props.append(_parse_piece(lines, start, end, "line"))
        except UnexpectedInput as error:
            diagnostics.append(_diagnostic_for(error, file, lines, start, end))
            words = _code(lines[start]).split()
            if words:
                broken.add(words[0])
    if closed:
        close_line = lines[last]
        end_span = Span(file, last + 1, close_line.index("}") + 1, last + 1, close_line.index("}") + 2)
    else:
        end_span = Span(file, body_last + 1, 1, body_last + 1, len(lines[body_last]) + 1)
        diagnostics.append(
            Diagnostic(
                "E103",
                f"`{kind} {name}` is never closed",
                kind_span.to(name_span),
                hint="add `}` on its own line after the last property",
            )
        )
    return ast.Decl(
        kind, kind_span, name, name_span, props, kind_span.to(end_span), complete=closed, broken=frozenset(broken)
    )


def _statements(lines, first, last):
    """Property statements in lines[first..last]: one line each, or several while a bracket
    is open."""
    index = first
    while index <= last:
        code = _code(lines[index])
        if _blank(lines[index]):
            index += 1
            continue
        start = index
        indent = len(lines[start]) - len(lines[start].lstrip())
        depth = code.count("(") + code.count("[") - code.count(")") - code.count("]")
        while depth > 0 and index < last:
            following = _code(lines[index + 1])
            following_indent = len(following) - len(following.lstrip())
            if following_indent <= indent and _PROPERTY_START.match(following):
                break  # an unclosed bracket: the next property starts here
            index += 1
            depth += following.count("(") + following.count("[") - following.count(")") - following.count("]")
        yield start, index
        index += 1


_PROPERTY_START = re.compile(r"\s*[A-Za-z_]\w*(\s+[A-Za-z_]\w*)?\s*(=|>=|<=|in\b)")


_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "UNIT": "a unit",
    "STRING": "a string",
    "_NL": "the end of the line",
    "EQUAL": "`=`",
    "MORETHAN": "`>`",
    "LESSTHAN": "`<`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "COMMA": "`,`",
    "MINUS": "`-`",
    "PLUS": "`+`",
    "STAR": "`*`",
    "SLASH": "`/`",
    "IN": "`in`",
    "FOR": "`for`",
    "AT": "`at`",
    "USE": "`use`",
    "DOT": "`.`",
    "$END": "the end of the file",
}


def _describe_expected(expected) -> str:
    words = sorted({_WORDS.get(name, name.lower().strip("_")) for name in expected})
    if not words:
        return ""
    if len(words) > 6:
        return ""
    return " or ".join(words)


def _token_text(token) -> str:
    if token.type == "_NL":
        return "the end of the line"
    if token.type == "$END":
        return "the end of the file"
    return f"`{token}`"


def _unclosed_bracket(lines: list[str], first: int, last: int) -> tuple[int, int, str] | None:
    """The last `(` or `[` in lines[first..last] that is never closed: (line, column, char)."""
    stack: list[tuple[int, int, str]] = []
    for number in range(first, last + 1):
        code = _code(lines[number])
        for column, char in enumerate(code):
            if char in "([":
                stack.append((number + 1, column + 1, char))
            elif char in ")]" and stack:
                stack.pop()
    return stack[-1] if stack else None


def _diagnostic_for(error: UnexpectedInput, file: str, lines: list[str], first: int, last: int) -> Diagnostic:
    """Turn a lark exception in the piece lines[first..last] (parsed alone: its line 1 is the
    file's line ``first + 1``) into a diagnostic in the user's words."""
    if isinstance(error, UnexpectedCharacters):
        line, column = error.line + first, error.column
        char = lines[line - 1][column - 1] if line - 1 < len(lines) and column - 1 < len(lines[line - 1]) else "?"
        span = Span(file, line, column, line, column + 1)
        if char == '"':
            return Diagnostic("E105", "this string is never closed", span, hint='close it with `"` on the same line')
        return Diagnostic("E101", f"unexpected character `{char}`", span, hint=_hint_for_character(char))
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        bracket = _unclosed_bracket(lines, first, last)
        if bracket is not None:
            line, column, char = bracket
            closer = ")" if char == "(" else "]"
            return Diagnostic(
                "E103",
                f"`{char}` is never closed",
                Span(file, line, column, line, column + 1),
                hint=f"add the matching `{closer}`",
            )
        while last > first and not lines[last].strip():
            last -= 1
        span = Span(file, last + 1, 1, last + 1, len(lines[last]) + 1)
        return Diagnostic("E103", "the text ends inside a block", span, hint="close every `{` with `}`")
    assert isinstance(error, UnexpectedToken)
    token = error.token
    line = (token.line or 1) + first
    column = token.column or 1
    if token.type == "_NL":
        previous = lines[line - 1].rstrip() if line - 1 < len(lines) else ""
        span = Span(file, line, max(len(previous), 1), line, max(len(previous), 1) + 1)
        # A newline where a value should continue: the most common half-typed state.
        expected = _describe_expected(error.expected)
        message = "this line ends too early"
        if expected:
            message += f"; expected {expected}"
        return Diagnostic("E102", message, span, hint=_hint_for_line(previous))
    end_line = token.end_line + first if token.end_line else line
    end_column = token.end_column or column + len(token)
    span = Span(file, line, column, end_line, end_column)
    if token.type in ("STRING", "NUMBER") and not lines[line - 1][: column - 1].strip():
        what = "a string" if token.type == "STRING" else "a number"
        return Diagnostic(
            "E102",
            f"{what} alone on a line belongs to no property",
            span,
            hint="a note is a comment (`# ...`); a value needs its property (`name = value`)",
        )
    expected = _describe_expected(error.expected)
    message = f"unexpected {_token_text(token)}"
    if expected:
        message += f"; expected {expected}"
    hint = ""
    if token.type in ("NAME", "NUMBER", "UNIT", "STRING") and "_NL" in error.expected:
        hint = "one property per line: start a new line before this, or remove it"
    elif token.type == "UNIT":
        hint = "a unit is written right after its number, with no operator between"
    elif token.type == "EQUAL" and "IN" in error.expected:
        hint = "write the property as `name = value`, `name >= value`, `name <= value` or `name in low .. high`"
    return Diagnostic("E102", message, span, hint=hint, severity=Severity.ERROR)


def _hint_for_character(char: str) -> str:
    if char in "'`":
        return 'strings use double quotes: "..."'
    if char == ";":
        return "statements end at the end of the line; no `;` needed"
    if char in "<>":
        return "bounds are written `>=` or `<=`"
    if char == "=":
        return "use `=` to set, `>=`/`<=` to bound"
    return "remove it, or put it inside a string or comment"


def _hint_for_line(line: str) -> str:
    stripped = line.rstrip()
    if stripped.endswith(("=", ">=", "<=", "in", "..", "+", "-", "*", "/", "for", "at", ",")):
        return "complete the value, e.g. `75 kWh`"
    return "check the line for a missing value or operator"
