"""Fuzzing the front end: thousands of mutated and truncated examples.

No exception may escape `check`, and every problem must be a diagnostic with a code from the
registry and a span inside the text (what the editor sees on every keystroke)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from battgen.core.diagnostics import CODES
from battgen.driver.pipeline import check
from battgen.frontend.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").rglob("*.batt"))
ALPHABET = list("{}()[]=<>.,#\"'\n -+*/0123456789") + ["kWh", "mm", "in", "for", "at", "use", "pack", "\t", "é", "µ"]


def mutate(text: str, rng: random.Random) -> str:
    choice = rng.randrange(6)
    if not text:
        return text
    position = rng.randrange(len(text))
    if choice == 0:  # truncate: the half-typed file
        return text[:position]
    if choice == 1:  # delete a run
        return text[:position] + text[position + rng.randrange(1, 40) :]
    if choice == 2:  # insert junk
        return text[:position] + "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 6))) + text[position:]
    lines = text.split("\n")
    index = rng.randrange(len(lines))
    if choice == 3:  # duplicate a line
        lines.insert(index, lines[index])
    elif choice == 4:  # swap two lines
        other = rng.randrange(len(lines))
        lines[index], lines[other] = lines[other], lines[index]
    else:  # replace a number with something odd
        lines[index] = lines[index].replace("0", rng.choice(["", "nan", "1e999", "-", "0.0.0", "00"]), 1)
    return "\n".join(lines)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_mutated_examples_give_diagnostics_never_exceptions(example: Path):
    rng = random.Random(example.name)  # deterministic
    source = example.read_text()
    workspace = Workspace()
    for _ in range(300):
        text = source
        for _ in range(rng.randrange(1, 4)):
            text = mutate(text, rng)
        result = check(example, workspace, text=text)
        line_count = text.count("\n") + 2
        for diagnostic in result.diagnostics:
            assert diagnostic.code in CODES
            assert diagnostic.code != "E901", diagnostic.message
            span = diagnostic.span
            assert span.line >= 1 and span.column >= 1
            assert (span.end_line, span.end_column) >= (span.line, span.column)
            if span.file == result.root:
                assert span.line <= line_count, (diagnostic, text)
