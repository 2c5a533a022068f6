"""The tokens of .batt text for the editor: one lexer whose terminals are the grammar's own.

The language server colours, completes and scans text as it is being typed, which the parser
rejects. ``tokenize(text)`` lexes any text with the terminal definitions of
``grammar/batt.lark``, read from the LALR parser ``parser.get_parser()`` builds (a terminal
changed in the grammar changes here too), and never fails. It returns typed ``Token`` s
(kind, text, line, column, end) whose kinds are the grammar's terminals (``Kind``), so the
editor features ask "is this a NAME followed by ``=``" instead of each carrying its own regular
expressions.

It lexes like the parser's contextual lexer, where it can: which terminals may match depends on
where a token stands, and that is read from the parse table. Right after a number a word is a
``UNIT`` (``kWh``, ``L/min``, ``K^-1``) and only the keywords the grammar accepts after a value
(``at``, ``for``) are keywords; elsewhere a word is a ``NAME`` unless it is a keyword
(``use``, ``in``, ``at``, ``for``), as lark's own keyword rule decides. Three differences, all
for text being typed:

* a line break is one ``NEWLINE`` token, and it ends the after-a-number context (the grammar's
  ``_NL`` also swallows the indentation and the comment lines after it, because the parser
  wants one token per statement end; an editor wants every comment as a token);
* a string whose closing quote is not typed yet is an ``OPEN_STRING`` running to the end of its
  line (the parser reports it as E105);
* a character no terminal matches is an ``ERROR`` token of its own, and lexing goes on after it.

White space (the grammar's ignored terminal) produces no token: a token's ``column`` and
``end`` tell what is adjacent. Lines and columns are 0-based and count characters, like the
``str`` indices of the line (an editor's positions).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from lark.lexer import TerminalDef


class Kind(str, enum.Enum):
    """What a token is. The grammar's terminals by their names in ``batt.lark`` (the anonymous
    ones, which lark names ``__ANON_n``, by their text), then the editor's own three. (A ``str``
    enum: its members hash as fast as strings, and the editor looks kinds up per token.)"""

    # words
    NAME = "NAME"
    USE = "USE"
    IN = "IN"
    AT = "AT"
    FOR = "FOR"
    # values
    NUMBER = "NUMBER"
    UNIT = "UNIT"
    STRING = "STRING"
    COMMENT = "COMMENT"
    # operators
    EQUAL = "EQUAL"
    AT_LEAST = ">="
    AT_MOST = "<="
    RANGE = ".."
    PLUS = "PLUS"
    MINUS = "MINUS"
    STAR = "STAR"
    SLASH = "SLASH"
    # punctuation
    LPAR = "LPAR"
    RPAR = "RPAR"
    LSQB = "LSQB"
    RSQB = "RSQB"
    LBRACE = "LBRACE"
    RBRACE = "RBRACE"
    COMMA = "COMMA"
    DOT = "DOT"
    # the editor's own
    NEWLINE = "NEWLINE"  # a line break (the grammar's _NL is more, see the module's docstring)
    OPEN_STRING = "OPEN_STRING"  # `"` and the rest of its line: a string not closed yet
    ERROR = "ERROR"  # one character no terminal matches


KEYWORDS = frozenset({Kind.USE, Kind.IN, Kind.AT, Kind.FOR})
WORDS = KEYWORDS | {Kind.NAME}  # tokens spelt as a name: a keyword is a word too
OPENERS = frozenset({Kind.LPAR, Kind.LSQB})
CLOSERS = frozenset({Kind.RPAR, Kind.RSQB})


class Token(NamedTuple):
    kind: Kind
    text: str
    line: int  # 0-based
    column: int  # 0-based, in characters
    end: int  # the column after the token's last character (a token never spans lines)


# The editor's own patterns, tried after every terminal of the grammar has failed.
_NEWLINE = r"\r?\n"
_OPEN_STRING = r'"[^"\n]*'
_ERROR = r"(?s:.)"


class _Scanner(NamedTuple):
    """One lexing context: a master pattern (the white space the grammar ignores, then a named
    group per terminal, tried in lark's order), and the words its NAME or UNIT matches that are
    keywords instead."""

    match: Callable[[str, int], re.Match[str] | None]  # the master pattern's match
    kinds: dict[str, Kind | None]  # group name -> kind; None for white space at the text's end
    keywords: dict[str, Kind]  # the text of a keyword -> its kind


def tokenize(text: str, line: int = 0) -> list[Token]:
    """The tokens of ``text`` (a file, a line, or the part of a line before the cursor), the
    first on line ``line``. Never raises: see the module's docstring for half-typed text."""
    default, after_number = _scanners()
    out: list[Token] = []
    append = out.append
    new = tuple.__new__  # a Token without NamedTuple's Python-level constructor (a third faster)
    newline, number = Kind.NEWLINE, Kind.NUMBER
    match, kinds, keywords = default  # the hot loop reads locals only
    after = False  # right after a NUMBER
    pos, size, line_start = 0, len(text), 0
    while pos < size:
        # always a match (ERROR takes any character), and every alternative is a named group
        found: re.Match[str] = match(text, pos)  # type: ignore[assignment]
        group: str = found.lastgroup  # type: ignore[assignment]
        kind = kinds[group]
        if kind is None:  # white space up to the end
            break
        start, pos = found.span(group)
        word = text[start:pos]
        kind = keywords.get(word, kind)
        append(new(Token, (kind, word, line, start - line_start, pos - line_start)))
        if kind is newline:
            line += 1
            line_start = pos
        if kind is number:
            match, kinds, keywords = after_number
            after = True
        elif after:
            match, kinds, keywords = default
            after = False
    return out


def starts_with_word(line: str) -> bool:
    """Whether the line's first character begins a word (a NAME or a keyword), lexing no
    further: one match of the grammar's NAME terminal, cheap enough for every line of a file."""
    return _word().match(line) is not None


def is_name(text: str) -> bool:
    """Whether ``text`` is exactly one NAME (a keyword is not a name)."""
    tokens = tokenize(text)
    return len(tokens) == 1 and tokens[0].kind is Kind.NAME and tokens[0].text == text


# --- the tables, from the grammar ---------------------------------------------------------


@functools.cache
def _word() -> re.Pattern[str]:
    from battgen.frontend.parser import get_parser

    (name,) = [t for t in get_parser().terminals if t.name == "NAME"]
    return re.compile(name.pattern.to_regexp())


@functools.cache
def _scanners() -> tuple[_Scanner, _Scanner]:
    """(default, after a number), built once from the parser's terminals and parse table."""
    from lark.parsers.lalr_analysis import Shift

    from battgen.frontend.parser import get_parser

    parser = get_parser()
    terminals = {t.name: t for t in parser.terminals}
    ignored = set(parser.lexer_conf.ignore)
    kinds = {name: _kind_of(terminal, ignored) for name, terminal in terminals.items() if name != "_NL"}
    # the contexts, as the contextual lexer has them: the terminals the parse table accepts in
    # the states a NUMBER leads to, and in every other state
    table = parser.parser.parser._parse_table.states  # lark keeps it on its LALR parser
    after = {
        target
        for actions in table.values()
        for name, (action, target) in actions.items()
        if name == "NUMBER" and action is Shift
    }

    def accepted(states: Iterable[int]) -> set[str]:
        return {name for state in states for name in table[state] if name in kinds} | ignored

    after_number = accepted(after)
    elsewhere = accepted(set(table) - after)
    # after a number, the other terminals follow as a fallback (lark's contextual lexer, too,
    # tries all terminals when the state's own do not match): `5 = ...` still lexes
    (white_space,) = [terminals[n].pattern.to_regexp() for n in ignored if kinds[n] is None]
    return (
        _scanner([terminals[n] for n in elsewhere], kinds, white_space),
        _scanner(
            [terminals[n] for n in after_number], kinds, white_space, [terminals[n] for n in elsewhere - after_number]
        ),
    )


def _kind_of(terminal: TerminalDef, ignored: set[str]) -> Kind | None:
    """The Kind of a grammar terminal; None for the ignored white space."""
    if terminal.name in Kind.__members__:
        return Kind[terminal.name]
    if terminal.name.startswith("__ANON") and terminal.pattern.type == "str":
        return Kind(terminal.pattern.value)
    if terminal.name in ignored:
        return None
    raise ValueError(f"the grammar's terminal {terminal.name} has no Kind in battgen.frontend.tokens")


def _scanner(
    own: Sequence[TerminalDef], kinds: dict[str, Kind | None], white_space: str, fallback: Sequence[TerminalDef] = ()
) -> _Scanner:
    """The master pattern of a context: its own terminals, then the fallback ones, each group
    in lark's order (priority, then the longest possible match first). A string terminal that
    the context's own NAME or UNIT also matches (``use``, ``in``, ``at``, ``for``) is no
    alternative of its own: it is a keyword, found by its text after the word matched (lark's
    rule). The fallback terminals are tried as they are."""
    keywords: dict[str, Kind] = {}
    alternatives: list[tuple[str, str]] = []
    for group in (own, fallback):
        words = [t for t in group if t.pattern.type == "re"]
        for terminal in sorted(group, key=_lark_order):
            if kinds[terminal.name] is None:
                continue  # white space: before every alternative
            regexp = terminal.pattern.to_regexp()
            if terminal.pattern.type == "str" and group is own:
                value = terminal.pattern.value
                if any(_matches(word, value) for word in words):
                    kind = kinds[terminal.name]
                    assert kind is not None
                    keywords[value] = kind
                    continue
            alternatives.append((terminal.name, regexp))
    alternatives += [("NEWLINE", _NEWLINE), ("OPEN_STRING", _OPEN_STRING), ("ERROR", _ERROR)]
    groups: dict[str, Kind | None] = {name: kinds[name] if name in kinds else Kind[name] for name, _ in alternatives}
    # white space before a token is skipped in the same match (half the matches); after the
    # last token it matches alone, as the empty END
    alternatives.append(("END", ""))
    groups["END"] = None
    tokens = "|".join(f"(?P<{name}>{regexp})" for name, regexp in alternatives)
    return _Scanner(re.compile(f"(?:{white_space})?(?:{tokens})").match, groups, keywords)


def _lark_order(terminal: TerminalDef) -> tuple[int, int, int, str]:
    return (-terminal.priority, -terminal.pattern.max_width, -len(terminal.pattern.value), terminal.name)


def _matches(word_terminal: TerminalDef, text: str) -> bool:
    match = re.match(word_terminal.pattern.to_regexp(), text)
    return match is not None and match.group(0) == text
