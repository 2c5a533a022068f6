"""The editor's tokenizer (battgen.frontend.tokens): the grammar's terminals, lexed the way the
parser's contextual lexer does, and tolerant of half-typed text."""

from __future__ import annotations

from battgen.frontend.parser import get_parser
from battgen.frontend.tokens import Kind, is_name, starts_with_word, tokenize


def kinds(text: str) -> list[tuple[Kind, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


def test_every_terminal_of_the_grammar_has_a_kind():
    from battgen.frontend.tokens import _kind_of

    parser = get_parser()
    for terminal in parser.terminals:
        if terminal.name != "_NL":
            _kind_of(terminal, set(parser.lexer_conf.ignore))  # raises for a terminal without a Kind


def test_a_property_line():
    assert kinds("    energy >= 75 kWh for 10 s  # note\n") == [
        (Kind.NAME, "energy"),
        (Kind.AT_LEAST, ">="),
        (Kind.NUMBER, "75"),
        (Kind.UNIT, "kWh"),
        (Kind.FOR, "for"),
        (Kind.NUMBER, "10"),
        (Kind.UNIT, "s"),
        (Kind.COMMENT, "# note"),
        (Kind.NEWLINE, "\n"),
    ]


def test_a_word_after_a_number_is_a_unit_and_keywords_follow_the_grammar():
    # after a value the grammar accepts `at` and `for`, not `in`: there `in` is a unit (as in
    # the parser's contextual lexer); elsewhere `in` is the keyword
    assert kinds("5 in") == [(Kind.NUMBER, "5"), (Kind.UNIT, "in")]
    assert kinds("x = 5 at (1 mm, 2 mm)")[3] == (Kind.AT, "at")
    assert kinds("voltage in 2.5 V .. 4.2 V")[1] == (Kind.IN, "in")
    assert kinds("3 L/min 1 K^-1") == [
        (Kind.NUMBER, "3"),
        (Kind.UNIT, "L/min"),
        (Kind.NUMBER, "1"),
        (Kind.UNIT, "K^-1"),
    ]
    assert kinds("kWh") == [(Kind.NAME, "kWh")]  # no number before it
    assert kinds("5\nkWh")[-1] == (Kind.NAME, "kWh")  # a line break ends the context


def test_half_typed_text_lexes_to_the_end():
    assert kinds('source = "abc') == [(Kind.NAME, "source"), (Kind.EQUAL, "="), (Kind.OPEN_STRING, '"abc')]
    assert kinds("a ; b ^") == [(Kind.NAME, "a"), (Kind.ERROR, ";"), (Kind.NAME, "b"), (Kind.ERROR, "^")]
    assert kinds("") == []


def test_positions_are_0_based_lines_and_columns():
    tokens = tokenize("cell c {\n    mass = 70 g\n}\n", line=4)
    mass = next(t for t in tokens if t.text == "mass")
    assert (mass.line, mass.column, mass.end) == (5, 4, 8)
    assert tokens[-2].kind is Kind.RBRACE and (tokens[-2].line, tokens[-2].column) == (6, 0)


def test_names():
    assert is_name("m50t") and is_name("_x")
    assert not any(is_name(text) for text in ("in", "use", "1x", "a b", " a", "", "a-b"))
    assert starts_with_word("pack p {") and starts_with_word("use x")
    assert not any(starts_with_word(line) for line in ("    mass = 1 g", "# x", "}", "", "1"))


def test_semantic_tokens_colour_a_keyword_after_a_number_as_a_keyword():
    from battgen.lsp.features.tokens import TOKEN_TYPES, semantic_tokens

    data = semantic_tokens("cell c {\n    pulse <= 23 for 10 s\n}\n")
    types = [TOKEN_TYPES[data[i + 3]] for i in range(0, len(data), 5)]
    assert types == ["keyword", "class", "property", "number", "keyword", "number", "type"]
