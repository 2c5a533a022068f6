"""Error recovery: a file the one-pass parse rejected, re-read piece by piece.

The scanner cuts the text into top-level pieces (a ``use`` line, or a declaration from its
header to where its braces balance again — or, unclosed, to the next header at column 1) and
parses each alone; inside a broken declaration each property statement is parsed alone. So a
file with several mistakes reports all of them, a half-typed file still yields everything
that did parse, and every piece is read once (linear time). Lark's exceptions are turned into
diagnostics in the user's words (``_diagnostic_for``).

It lives apart from ``parser`` because it is a different job (a line scanner and a message
writer around the LALR parser) that only runs once a parse has failed: ``parser.parse`` loads
it then.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterator
from typing import Literal, cast, overload

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.core.text import describe
from battgen.frontend import ast
from battgen.frontend.parser import _state, get_parser


def _recover(text: str, file: str, diagnostics: list[Diagnostic]) -> list[ast.Use | ast.Decl]:
    """Parse each top-level piece on its own; report every piece that fails."""
    lines = text.split("\n")
    items: list[ast.Use | ast.Decl] = []
    for piece in _top_level_pieces(lines):
        first, last, closed = piece
        try:
            items.extend(_parse_piece(lines, first, last, "start"))
            continue
        except UnexpectedInput as error:
            error_in_piece = error
        header = _code(lines[first]).strip()  # a `{` inside a string or comment opens nothing
        if header.endswith("{") and len(header.split()) >= 2:
            decl = _recover_declaration(lines, first, last, closed, file, diagnostics)
            if decl is not None:
                items.append(decl)
                continue
        diagnostics.append(_diagnostic_for(error_in_piece, file, lines, first, last))
    _state.comments = _comments(lines)  # the pieces' parses saw some twice (a failed try) and skipped others
    return items


def _comments(lines: list[str]) -> list[ast.Comment]:
    """Every comment of the text, read off its lines as the lexer reads them (a `#` outside a
    string to the end of its line): recovery parses only the pieces it can, and the comment
    lines between them must reach the formatter and the editor all the same."""
    out = []
    for number, line in enumerate(lines, start=1):
        if "#" not in line:
            continue
        in_string = False
        for index, char in enumerate(line):
            if char == '"':
                in_string = not in_string
            elif char == "#" and not in_string:
                trailing = bool(line[:index].strip())
                out.append(ast.Comment(line[index:].rstrip(), number + _state.offset, index + 1, trailing))
                break
    return out


@overload
def _parse_piece(lines: list[str], first: int, last: int, rule: Literal["start"]) -> list[ast.Use | ast.Decl]: ...
@overload
def _parse_piece(lines: list[str], first: int, last: int, rule: Literal["line"]) -> ast.Property: ...
def _parse_piece(lines: list[str], first: int, last: int, rule: str) -> list[ast.Use | ast.Decl] | ast.Property:
    """lines[first..last] (0-based) parsed alone with ``rule``, spans in the file's lines: the
    piece's text only, so recovering a file of n pieces reads each line once (linear time).
    The transformer builds the rule's node during the parse (lark types it as a tree)."""
    _state.offset = first
    try:
        built = get_parser().parse("\n".join(lines[first : last + 1]) + "\n", start=rule)
        return cast("list[ast.Use | ast.Decl] | ast.Property", built)
    finally:
        _state.offset = 0


def _top_level_pieces(lines: list[str]) -> Iterator[tuple[int, int, bool]]:
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
    """The line with its strings (quotes included) and its comment blanked out: braces and
    brackets inside them do not count, and every column is still the line's own."""
    if '"' not in line and "#" not in line:
        return line
    out, in_string = [], False
    for index, char in enumerate(line):
        if char == '"':
            in_string = not in_string
            out.append(" ")
        elif in_string:
            out.append(" ")
        elif char == "#":
            out.append(" " * (len(line) - index))
            break
        else:
            out.append(char)
    return "".join(out)


def _recover_declaration(
    lines: list[str], first: int, last: int, closed: bool, file: str, diagnostics: list[Diagnostic]
) -> ast.Decl | None:
    header = _code(lines[first])
    words = header.replace("{", " ").split()
    if len(words) != 2 or not all(w.isidentifier() for w in words):
        return None
    kind, name = words
    kind_col = header.index(kind) + 1
    name_col = header.index(name, kind_col - 1 + len(kind)) + 1
    kind_span = Span(file, first + 1, kind_col, first + 1, kind_col + len(kind))
    name_span = Span(file, first + 1, name_col, first + 1, name_col + len(name))
    brace = _code(lines[last]).rfind("}") if closed and last > first else -1
    closed = brace >= 0  # the scanner counted a `}` outside strings and comments on that line
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
        end_span = Span(file, last + 1, brace + 1, last + 1, brace + 2)
        if _code(lines[last]).strip() != "}":  # the closing line holds more than its brace
            try:
                _parse_piece(lines, last, last, "line")
            except UnexpectedInput as error:
                diagnostics.append(_diagnostic_for(error, file, lines, last, last))
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


def _statements(lines: list[str], first: int, last: int) -> Iterator[tuple[int, int]]:
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


def _describe_expected(expected: Collection[str]) -> str:
    return _expected_words(frozenset(expected))


@functools.lru_cache(maxsize=512)
def _expected_words(expected: frozenset[str]) -> str:
    """The tokens a parser state expects, in words (a few hundred states: cached, so that a file
    of 20,000 broken lines does not sort the same set 20,000 times)."""
    words = sorted({_WORDS.get(name, name.lower().strip("_")) for name in expected})
    if not words:
        return ""
    if len(words) > 6:
        return ""
    return " or ".join(words)


def _token_text(token: Token) -> str:
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
        if char.isascii() and char.isprintable():
            return Diagnostic("E101", f"unexpected character `{char}`", span, hint=_hint_for_character(char))
        what, hint = describe(char)  # invisible, look-alike or control: named, with what to write
        return Diagnostic("E101", f"unexpected character {what}", span, hint=hint)
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
    elif not hint:
        hint = "a property is `name = value` (or `>=`, `<=`, `in low .. high`); a declaration starts `kind name {`"
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
