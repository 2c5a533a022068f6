"""Semantic tokens: the colour of every token in the editor.

The text is lexed by ``battgen.frontend.tokens`` (the grammar's terminals, tolerant of broken
code); this module only decides the colour of each token. Values and comments have one colour
each; a word's colour depends on where it stands, by a line-by-line reading that needs no
parse (``_word_type``), so a half-typed file is coloured as it is typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from battgen.frontend.tokens import WORDS, Kind, Token, tokenize
from battgen.lsp.analysis import DocumentState

TOKEN_TYPES = [
    "keyword",
    "class",
    "property",
    "number",
    "type",
    "string",
    "comment",
    "function",
    "enumMember",
    "parameter",
    "namespace",
    "variable",
    "operator",
]
TOKEN_MODIFIERS = ["declaration", "defaultLibrary"]
_T = {name: i for i, name in enumerate(TOKEN_TYPES)}
# the modifier bits (LSP encodes a token's modifiers as a bit set over TOKEN_MODIFIERS)
NONE = 0
DECLARATION = 1 << TOKEN_MODIFIERS.index("declaration")
DEFAULT_LIBRARY = 1 << TOKEN_MODIFIERS.index("defaultLibrary")

# tokens whose colour is their kind's
_VALUES = {
    Kind.COMMENT: "comment",
    Kind.STRING: "string",
    Kind.OPEN_STRING: "string",
    Kind.NUMBER: "number",
    Kind.UNIT: "type",
}


@dataclass
class _Line:
    """Where the words of the current line stand."""

    words: int = 0  # words seen on this line before the current one
    head: str | None = None  # the first word: a declaration's kind or a property's name
    after_kind: bool = False  # the first word was a declaration's kind: the next is its name
    in_use: bool = False  # a `use` line: every word is a module's


@dataclass
class _Nesting:
    """Open braces and brackets (they span lines)."""

    braces: int = 0
    brackets: int = 0  # ( and [

    def read(self, kind: Kind) -> None:
        if kind is Kind.LBRACE:
            self.braces += 1
        elif kind is Kind.LPAR or kind is Kind.LSQB:
            self.brackets += 1
        elif kind is Kind.RBRACE:
            self.braces = max(self.braces - 1, 0)
            self.brackets = 0
        elif kind is Kind.RPAR or kind is Kind.RSQB:
            self.brackets = max(self.brackets - 1, 0)


_BRACKETS = frozenset({Kind.LBRACE, Kind.RBRACE, Kind.LPAR, Kind.RPAR, Kind.LSQB, Kind.RSQB})


def semantic_tokens(text: str, declared: set[str] | frozenset[str] = frozenset()) -> list[int]:
    """LSP relative-encoded tokens for the whole text (a lexer that tolerates broken code).

    Lexed line by line (a line's tokens are all a colour needs to look ahead at): the tokens
    of a 2,000-line file at once are some 10,000 objects alive together, enough to set off the
    garbage collector's full passes over the server's heap (tens of milliseconds)."""
    data: list[int] = []
    prev_line = prev_col = 0
    nesting = _Nesting()
    for number, text_line in enumerate(text.split("\n")):
        tokens = tokenize(text_line, number)
        line = _Line()
        for index, token in enumerate(tokens):
            kind = token.kind
            if kind in WORDS:
                type_, modifiers = _word_type(tokens, index, line, nesting, declared)
                line.words += 1
            elif kind in _VALUES:
                type_, modifiers = _VALUES[kind], NONE
            else:
                if kind in _BRACKETS:
                    nesting.read(kind)
                continue
            delta_line = number - prev_line
            delta_col = token.column - prev_col if delta_line == 0 else token.column
            data.extend((delta_line, delta_col, len(token.text), _T[type_], modifiers))
            prev_line, prev_col = number, token.column
    return data


def _word_type(
    tokens: list[Token], index: int, line: _Line, nesting: _Nesting, declared: set[str] | frozenset[str]
) -> tuple[str, int]:
    """The colour of the word ``tokens[index]`` (and the modifiers): a declaration's kind and
    name, a property, a named part (``keepout NAME = ...``), a keyword, a function, an argument,
    a declared name, or else an option (enumMember). Updates ``line`` with what the word says of
    its line."""
    token = tokens[index]
    word = token.text
    if line.in_use:
        return "namespace", NONE
    if line.words == 0 and nesting.braces == 0:
        if token.kind is Kind.USE:
            line.in_use = True
        else:
            line.head = word
            line.after_kind = True
        return "keyword", NONE
    if line.after_kind and line.words == 1:
        line.after_kind = False
        return "class", DECLARATION
    if line.words == 0 and nesting.brackets == 0:
        line.head = word
        return "property", NONE
    following = tokens[index + 1 : index + 3]
    sets = _sets(following)
    if line.words == 1 and nesting.brackets == 0 and line.head is not None and sets:
        return "variable", DECLARATION  # keepout NAME = ...
    if token.kind in (Kind.IN, Kind.AT, Kind.FOR):
        return "keyword", NONE
    if following and following[0].kind is Kind.LPAR:
        return "function", NONE if word in declared else DEFAULT_LIBRARY
    if nesting.brackets > 0 and sets:
        return "parameter", NONE
    if word in declared:
        return "class", NONE
    return "enumMember", NONE


def _sets(following: list[Token]) -> bool:
    """The word is followed by `=` (and not by `==`)."""
    if not following or following[0].kind is not Kind.EQUAL:
        return False
    return not (len(following) > 1 and following[1].kind is Kind.EQUAL and following[1].column == following[0].end)


def declared_names(state: DocumentState) -> set[str]:
    analysis = state.analysis
    if analysis is None:
        return set()
    return set(analysis.lowered.scopes.get(analysis.lowered.root, {}))
