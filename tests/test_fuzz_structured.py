"""Structured fuzz: 10,000 generated documents through `check`, fmt and (a tenth) the estimate.

A generator that knows the language (declarations of every kind and some that are not, the
schema's properties and some that are not, every operator, quantities with good and bad units,
expressions nested up to past the limit, calls, lists, points, strings, comments, `use` lines)
writes documents that are mostly well formed, then mutates a few of them the way a hand or a
tool does (a character dropped or doubled, a hostile character inserted, a line duplicated).
Every outcome must be diagnostics with registered codes, hints and spans in the text — never an
exception, never E901; every document that parses must format to the same tree with the same
comments, and formatting must be idempotent. Seeded, so a failure is reproducible by its index.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from battgen.core import schema as sc
from battgen.core.diagnostics import CODES
from battgen.core.limits import MAX_EXPRESSION_DEPTH
from battgen.driver.pipeline import check, estimate_result
from battgen.frontend import ast
from battgen.frontend.format import format_module
from battgen.frontend.parser import parse
from battgen.frontend.workspace import Workspace

DOCUMENTS = 10_000
CHUNKS = 4  # run side by side by pytest-xdist
UNITS = ["mm", "m", "V", "A", "Ah", "kWh", "Wh", "kW", "W", "g", "kg", "mOhm", "Ohm", "degC", "K", "%", "s",
         "L/min", "C", "USD", "kg/m^3", "W/m/K", "J/kg/K", "kwh", "mV", "uOhm", "µOhm", "°C", "furlong"]  # fmt: skip
WORDS = ["hex", "square", "auto", "bottom", "top", "sides", "air", "none", "per_cell", "mass", "nmc811", "lfp",
         "m50t", "aluminium", "copper", "glycol50", "steel", "tray", "x", "conductor", "coolant"]  # fmt: skip
CALLS = ["rect", "circle", "polygon", "rounded_rect", "cylindrical", "prismatic", "pouch", "cold_plate",
         "aluminium", "copper", "steel", "f"]  # fmt: skip
HOSTILE = ["\u00a0", "\u200b", "\u03bc", "\u2212", "\x1b", "\x00", "\ufeff", "\u202e", "é", "🔋", "'", ";", "`",
           "{", "}", "(", ")", "\"", "#", "\t", "\\"]  # fmt: skip
KINDS = ["cell", "envelope", "pack", "material", "pakc", "module"]
USES = ["use cells.lg.m50t", "use cells.samsung.inr21700_50e", "use materials.aluminium", "use cells.lg",
        'use "./missing.batt"', "use nope.nope", 'use "../../etc/passwd"', "use cells.lg.nothing"]  # fmt: skip


class Writer:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def number(self) -> str:
        r = self.rng
        return r.choice(
            [str(r.randint(0, 500)), f"{r.uniform(0, 100):.3g}", "0", "1e309", "0.0001", "1e-9", ".5", "3.63", "00"]
        )

    def atom(self, depth: int) -> str:
        r = self.rng
        roll = r.random()
        if roll < 0.45:
            return f"{self.number()} {r.choice(UNITS)}" if r.random() < 0.8 else self.number()
        if roll < 0.6:
            return r.choice(WORDS)
        if roll < 0.65:
            return '"' + "".join(r.choice("abc 123-" + "".join(HOSTILE[:9])) for _ in range(r.randint(0, 12))) + '"'
        if depth <= 0:
            return self.number()
        if roll < 0.8:
            args = [self.arg(depth - 1) for _ in range(r.randint(0, 3))]
            return f"{r.choice(CALLS)}({', '.join(args)})"
        if roll < 0.87:
            return f"[{', '.join(self.expr(depth - 1) for _ in range(r.randint(0, 3)))}]"
        if roll < 0.94:
            return f"({self.expr(depth - 1)}, {self.expr(depth - 1)})"
        if roll < 0.97:
            return f"-{self.atom(depth - 1)}"
        return f"({self.expr(depth - 1)})"

    def arg(self, depth: int) -> str:
        if self.rng.random() < 0.5:
            name = self.rng.choice(["width", "depth", "diameter", "height", "side", "flow", "fins", "thickness", "x"])
            return f"{name} = {self.expr(depth)}"
        return self.expr(depth)

    def expr(self, depth: int) -> str:
        r = self.rng
        if r.random() < 0.004:  # a chain around the nesting limit
            n = r.randint(MAX_EXPRESSION_DEPTH - 5, MAX_EXPRESSION_DEPTH + 20)
            return f" {r.choice('+-*/')} ".join(self.atom(0) for _ in range(n))
        parts = [self.atom(depth)]
        for _ in range(r.choice([0, 0, 0, 0, 1, 1, 2])):
            parts += [r.choice(["+", "-", "*", "/"]), self.atom(depth)]
        return " ".join(parts)

    def prop(self, kind: str) -> str:
        r = self.rng
        names = list(sc.PROPS.get(kind, sc.PROPS["pack"])) + ["energie", "colour"]
        name = r.choice(names)
        head = f"{name} {r.choice(['bdu', 'tunnel'])}" if name == "keepout" or r.random() < 0.02 else name
        op = r.choice(["=", "=", "=", ">=", "<=", "in"])
        value = self.expr(r.choice([0, 0, 1, 1, 2]))
        if op == "in":
            line = f"{head} in {value} .. {self.expr(1)}"
        else:
            line = f"{head} {op} {value}"
        if r.random() < 0.1:
            line += f" for {self.number()} s"
        if r.random() < 0.1:
            line += f" at ({self.number()} mm, {self.number()} mm)"
        if r.random() < 0.15:
            line += "  # " + r.choice(["note", "é µ", "}", '"'])
        return "    " + line

    def document(self) -> str:
        r = self.rng
        out = [r.choice(USES) for _ in range(r.randint(0, 2))]
        for i in range(r.randint(1, 3)):
            kind = r.choice(KINDS)
            out.append("")
            if r.random() < 0.3:
                out.append("# " + r.choice(["a comment", "{", "µ", "\u00a0"]))
            out.append(f"{kind} {r.choice(['p', 'c', 'tray', 'm'])}{i} {{")
            out += [self.prop(kind) for _ in range(r.randint(0, 6))]
            if r.random() < 0.95:
                out.append("}")
        return self.mutate("\n".join(out) + "\n")

    def mutate(self, text: str) -> str:
        r = self.rng
        for _ in range(r.choice([0, 0, 0, 1, 1, 2])):
            if not text:
                break
            at = r.randrange(len(text))
            move = r.randrange(4)
            if move == 0:
                text = text[:at] + text[at + 1 :]
            elif move == 1:
                text = text[:at] + r.choice(HOSTILE) + text[at:]
            elif move == 2:
                text = text[:at] + text[at] + text[at:]
            else:
                lines = text.split("\n")
                i = r.randrange(len(lines))
                lines.insert(i, lines[i])
                text = "\n".join(lines)
        return text


def _formats_faithfully(module: ast.Module, where: str) -> None:
    """The formatted text parses to the same tree with the same comments, and formats to itself."""
    formatted = format_module(module)
    after = parse(formatted)
    assert after.ok and len(after.module.items) == len(module.items), where
    assert all(ast.same_as(a, b) for a, b in zip(after.module.items, module.items)), where
    assert sorted(c.text for c in after.module.comments) == sorted(c.text for c in module.comments), where
    assert format_module(after.module) == formatted, where


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_structured_fuzz(chunk):
    rng = random.Random(1900 + chunk)
    writer = Writer(rng)
    workspace = Workspace()
    path = Path("/nowhere/fuzz.batt")
    parsed_clean = 0
    for index in range(DOCUMENTS // CHUNKS):
        text = writer.document()
        where = f"chunk {chunk} document {index}:\n{text}"
        if index % 10 == 0:
            result = estimate_result(path, workspace, text=text)
            lowered, diagnostics = result.lowered, result.diagnostics
        else:
            lowered = check(path, workspace, text=text)
            diagnostics = lowered.diagnostics
        lines = text.count("\n") + 2
        for d in diagnostics:
            assert d.code in CODES and d.code != "E901", (d, where)
            assert d.hint, (d, where)
            assert d.span.line >= 1 and d.span.column >= 1, (d, where)
            assert (d.span.end_line, d.span.end_column) >= (d.span.line, d.span.column), (d, where)
            if d.span.file == lowered.root:
                assert d.span.line <= lines, (d, where)
        syntax = any(d.code.startswith("E1") and d.span.file == lowered.root for d in diagnostics)
        module = lowered.modules.get(lowered.root)
        if module is not None and not syntax:  # what `battc fmt` would write: no meaning lost
            parsed_clean += 1
            _formats_faithfully(module, where)
    assert parsed_clean > DOCUMENTS // CHUNKS // 10  # the generator writes real documents too
