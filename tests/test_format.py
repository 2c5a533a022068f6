"""The formatter: golden files, the examples, and hypothesis properties on generated programs
(`fmt` is idempotent; `parse(fmt(x))` has the same tree as `parse(x)`; comments survive)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from battgen.frontend.ast import same_as
from battgen.frontend.format import format_text
from battgen.frontend.parser import parse

HERE = Path(__file__).parent
REPO = HERE.parent


@pytest.mark.parametrize("case", sorted((HERE / "format").glob("*.input.batt")), ids=lambda p: p.name.split(".")[0])
def test_golden(case: Path):
    expected = case.with_name(case.name.replace(".input.", ".expected."))
    formatted, result = format_text(case.read_text(), case.name)
    assert result.ok
    assert formatted == expected.read_text()


@pytest.mark.parametrize(
    "path",
    sorted(list((REPO / "examples").rglob("*.batt")) + list((REPO / "stdlib").rglob("*.batt"))),
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_shipped_files_are_formatted_and_keep_meaning(path: Path):
    text = path.read_text()
    formatted, result = format_text(text, path.name)
    assert formatted is not None
    assert same_as(parse(text).module, parse(formatted).module)
    assert format_text(formatted)[0] == formatted
    assert _comment_texts(text) == _comment_texts(formatted)
    assert formatted == text, f"{path} is not formatted: run `battc fmt {path.relative_to(REPO)}`"


def test_syntax_errors_are_not_formatted():
    formatted, result = format_text("pack p {\n    energy >=\n}\n")
    assert formatted is None and not result.ok


def _comment_texts(text: str) -> list[str]:
    return sorted(c.text for c in parse(text).module.comments)


# --- generated programs -------------------------------------------------------------------

names = st.sampled_from(["energy", "mass", "voltage", "cell", "outline", "gap", "x", "source", "keepout"])
units = st.sampled_from(["mm", "kWh", "V", "A", "mOhm", "kg", "L/min", "J/kg/K", "%", "degC", "C"])
numbers = st.one_of(
    st.integers(0, 5000).map(str),
    st.tuples(st.integers(0, 999), st.integers(0, 999)).map(lambda t: f"{t[0]}.{t[1]}"),
)
spaces = st.sampled_from(["", " ", "  "])


def _expressions(depth: int = 2):
    leaf = st.one_of(
        st.tuples(numbers, units).map(lambda t: f"{t[0]} {t[1]}"),
        numbers,
        st.sampled_from(["m50t", "bottom", "hex", '"a string"']),
    )
    if depth == 0:
        return leaf
    inner = _expressions(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"-{e}" if not e.startswith("-") else e),
        st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]}, {t[1]})"),
        st.tuples(
            st.sampled_from(["rect", "cold_plate", "f"]),
            st.lists(st.tuples(st.sampled_from(["", "side = "]), inner), max_size=3),
        ).map(lambda t: f"{t[0]}({', '.join(a + v for a, v in t[1])})"),
    )


comments = st.one_of(st.none(), st.sampled_from(["# note", "# source: datasheet, rev 2", "#x"]))


@st.composite
def properties(draw):
    name = draw(names)
    op = draw(st.sampled_from(["=", ">=", "<=", "in"]))
    value = draw(_expressions())
    if name == "keepout":
        text = f"keepout k{draw(st.integers(0, 9))} = {value} at ({draw(numbers)} mm, 0 mm)"
    elif op == "in":
        text = f"{name} in {value} .. {draw(_expressions(1))}"
    else:
        text = f"{name}{draw(spaces)} {op}{draw(spaces)} {value}"
        if op in (">=", "<=") and draw(st.booleans()):
            text += f" for {draw(numbers)} s"
    comment = draw(comments)
    return text + (f"  {comment}" if comment else "")


@st.composite
def programs(draw):
    lines = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["use cells.lg.m50t", 'use "./a.batt"', "# header comment"])))
    for index in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["cell", "pack", "envelope", "material"]))
        header_comment = draw(comments)
        lines.append(f"{kind} d{index} {{" + (f"  {header_comment}" if header_comment else ""))
        for _ in range(draw(st.integers(0, 5))):
            prefix = draw(st.sampled_from(["    ", "  ", "\t", "        "]))
            lines.append(prefix + draw(properties()))
            if draw(st.integers(0, 4)) == 0:
                lines.append(draw(st.sampled_from(["", "    # standalone", "", "   "])))
        lines.append("}")
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# between", "", ""])))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_formatting_is_idempotent_and_keeps_meaning(text):
    result = parse(text)
    assert result.ok, (text, result.diagnostics)
    formatted, _ = format_text(text)
    assert formatted is not None
    assert same_as(parse(formatted).module, result.module), formatted
    assert format_text(formatted)[0] == formatted
    assert _comment_texts(formatted) == _comment_texts(text)
