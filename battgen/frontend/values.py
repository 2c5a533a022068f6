"""The values a .batt expression evaluates to, before a property's schema gives them a type.

An expression (``ast``) evaluates (``evaluate.Evaluating``) to one of these: a quantity in SI
with its dimension, a bare name, a string, a call, a list, a point — or ``Invalid`` when its
evaluation already reported a problem. The checks (``checks.Checking``) then turn a value
into what its property needs (a float, a count, an option word, another declaration, an IR
part). Plain slotted classes: one is built per expression node.
"""

from __future__ import annotations

from battgen.core import units as u
from battgen.core.diagnostics import Span


class Q:
    """A quantity: SI value and dimension. ``unitless`` marks a plain number (or arithmetic
    on plain numbers only), so a forgotten unit can be told from a count."""

    __slots__ = ("value", "dim", "span", "unitless", "text")

    def __init__(self, value: float, dim: u.Dim, span: Span, unitless: bool, text: str = "") -> None:
        self.value, self.dim, self.span, self.unitless, self.text = value, dim, span, unitless, text


class Word:
    __slots__ = ("name", "span")

    def __init__(self, name: str, span: Span) -> None:
        self.name, self.span = name, span


class Text:
    __slots__ = ("value", "span")

    def __init__(self, value: str, span: Span) -> None:
        self.value, self.span = value, span


class CallV:
    __slots__ = ("name", "name_span", "args", "span")

    def __init__(
        self, name: str, name_span: Span, args: list[tuple[str | None, Span | None, Value]], span: Span
    ) -> None:
        self.name, self.name_span, self.args, self.span = name, name_span, args, span


class ListV:
    __slots__ = ("items", "span")

    def __init__(self, items: list[Value], span: Span) -> None:
        self.items, self.span = items, span


class PointV:
    __slots__ = ("x", "y", "span")

    def __init__(self, x: Value, y: Value, span: Span) -> None:
        self.x, self.y, self.span = x, y, span


class Invalid:
    """A value whose evaluation already produced a diagnostic; checks skip it silently."""

    __slots__ = ("span",)

    def __init__(self, span: Span) -> None:
        self.span = span


# What an expression evaluates to.
Value = Q | Word | Text | CallV | ListV | PointV | Invalid
