"""How lowering speaks: the reporter every step of lowering one declaration shares, and the
helpers that word its messages (close spellings, how a value is described, an example line
for a property).

``Reporter`` is the base of the declaration lowering (``declarations._DeclLowering``, built
up through ``evaluate``, ``checks`` and ``constructors``): it knows the declaration, its file
and the project, and its ``error`` also marks the declaration failed, so a declaration with
any error lowers to nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Fix, Related, Span
from battgen.frontend import ast
from battgen.frontend.resolve import Definition, Lowering, _Project
from battgen.frontend.values import CallV, ListV, PointV, Q, Text, Value, Word


def _suggest(word: str, options: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return close[0] if close else None


class Reporter:
    """One declaration being lowered: where it is, and how it reports."""

    def __init__(self, project: _Project, definition: Definition) -> None:
        self.project = project
        self.definition = definition
        self.decl = definition.decl
        self.kind = definition.kind
        self.file_path = project.path_of(definition)
        self.sink = project.sink
        self.failed = False

    def error(
        self,
        code: str,
        message: str,
        span: Span,
        hint: str = "",
        *,
        related: tuple[Related, ...] = (),
        fixes: tuple[Fix, ...] = (),
    ) -> None:
        self.failed = True
        self.sink.error(code, message, span, hint, related=related, fixes=fixes)

    def warning(self, code: str, message: str, span: Span, hint: str = "") -> None:
        self.sink.warning(code, message, span, hint)

    def lower(self, definition: Definition) -> Lowering | None:
        """Another declaration, lowered (once per project): given by the declaration driver."""
        raise NotImplementedError


def _number_text(q: Q) -> str:
    return q.text or f"{q.value:g}"


def _shown(node: ast.Node) -> str:
    if isinstance(node, ast.Quantity):
        return f"`{node.text} {node.unit}`"
    if isinstance(node, ast.Number):
        return f"`{node.text}`"
    return "the low end"


def _describe_value(value: Value) -> str:
    if isinstance(value, Q):
        return "a plain number" if value.unitless else u.describe_dim(value.dim)
    if isinstance(value, Word):
        return f"the name `{value.name}`"
    if isinstance(value, Text):
        return "a string"
    if isinstance(value, CallV):
        return f"`{value.name}(...)`"
    if isinstance(value, ListV):
        return "a list"
    if isinstance(value, PointV):
        return "a point"
    return "an invalid value"


def _example_quantity(dim: u.Dim) -> str:
    examples = {
        u.ENERGY: "75 kWh",
        u.VOLTAGE: "350 V",
        u.POWER: "250 kW",
        u.MASS: "500 kg",
        u.LENGTH: "140 mm",
        u.CHARGE: "4.85 Ah",
        u.CURRENT: "300 A",
        u.RESISTANCE: "23 mOhm",
        u.TIME: "10 s",
        u.TEMPERATURE: "25 degC",
        u.VOLUME: "300 L",
        u.MONEY: "12000 USD",
        u.FREQUENCY: "1 C",
        u.DENSITY: "2700 kg/m3",
        u.FLOW: "8 L/min",
    }
    return examples.get(dim, f"1 {u.EXAMPLE_UNIT.get(dim, '')}".strip())


def _example(spec: sc.Prop) -> str:
    op = spec.ops[0]
    if spec.kind == sc.QUANTITY:
        value = _example_quantity(spec.dim)
        if op == "in":
            return f"{spec.name} in {value} .. {value}"
        return f"{spec.name} {op} {value}"
    if spec.kind == sc.COUNT:
        return f"{spec.name} {op} 4" if op != "in" else f"{spec.name} in 4 .. 6"
    if spec.kind == sc.COUNT_LIST:
        return f"{spec.name} = [10, 10, 8]"
    if spec.kind == sc.OPTION:
        return f"{spec.name} = {spec.options[0]}"
    if spec.kind == sc.STRING:
        return f'{spec.name} = "..."'
    if spec.kind == sc.REF:
        return f"{spec.name} = NAME"
    if spec.kind == sc.SHAPE:
        return f"{spec.name} = rect(1880 mm, 1380 mm)"
    if spec.kind == sc.FORMAT:
        return f"{spec.name} = cylindrical(diameter = 21.1 mm, height = 70.15 mm)"
    return f"{spec.name} = ..."
