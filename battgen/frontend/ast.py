"""The syntax tree of a .batt file.

Plain classes with ``__slots__`` (they are built once per token run by the parser, so they
are kept cheap). Every node carries a ``span``. ``same_as`` compares two trees while ignoring
spans and number spellings, which is what "formatting never changes meaning" means.
"""

from __future__ import annotations

from battgen.core.diagnostics import Span


class Node:
    __slots__ = ("span",)
    span: Span
    _fields: tuple[str, ...] = ()

    def key(self):
        """A span-free structural key (used to check that formatting keeps meaning)."""
        return (type(self).__name__,) + tuple(_key(getattr(self, f)) for f in self._fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({inner})"


def _key(value):
    if isinstance(value, Node):
        return value.key()
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    return value


# --- expressions --------------------------------------------------------------------------


class Number(Node):
    """A plain number (a count, or a physical value that forgot its unit)."""

    __slots__ = ("text", "value")
    _fields = ("value",)

    def __init__(self, text: str, value: float, span: Span):
        self.text, self.value, self.span = text, value, span


class Quantity(Node):
    """``4.85 Ah``: the number as written and the unit token."""

    __slots__ = ("text", "value", "unit", "unit_span")
    _fields = ("value", "unit")

    def __init__(self, text: str, value: float, unit: str, unit_span: Span, span: Span):
        self.text, self.value, self.unit, self.unit_span, self.span = text, value, unit, unit_span, span


class String(Node):
    __slots__ = ("value",)
    _fields = ("value",)

    def __init__(self, value: str, span: Span):
        self.value, self.span = value, span


class Ref(Node):
    """A name: another declaration (``m50t``) or an option word (``bottom``, ``hex``)."""

    __slots__ = ("name",)
    _fields = ("name",)

    def __init__(self, name: str, span: Span):
        self.name, self.span = name, span


class Arg(Node):
    __slots__ = ("name", "name_span", "value")
    _fields = ("name", "value")

    def __init__(self, name: str | None, name_span: Span | None, value: Node, span: Span):
        self.name, self.name_span, self.value, self.span = name, name_span, value, span


class Call(Node):
    """``rect(1880 mm, 1380 mm)``, ``cold_plate(side = bottom)``, ``aluminium(thickness = 2 mm)``."""

    __slots__ = ("name", "name_span", "args")
    _fields = ("name", "args")

    def __init__(self, name: str, name_span: Span, args: list[Arg], span: Span):
        self.name, self.name_span, self.args, self.span = name, name_span, args, span


class ListExpr(Node):
    __slots__ = ("items",)
    _fields = ("items",)

    def __init__(self, items: list[Node], span: Span):
        self.items, self.span = items, span


class Point(Node):
    __slots__ = ("x", "y")
    _fields = ("x", "y")

    def __init__(self, x: Node, y: Node, span: Span):
        self.x, self.y, self.span = x, y, span


class BinOp(Node):
    __slots__ = ("op", "left", "right", "grouped")
    _fields = ("op", "left", "right")

    def __init__(self, op: str, left: Node, right: Node, span: Span):
        self.op, self.left, self.right, self.span = op, left, right, span
        self.grouped = False  # written in parentheses (the parser's precedence fix-up respects it)


class Neg(Node):
    __slots__ = ("operand",)
    _fields = ("operand",)

    def __init__(self, operand: Node, span: Span):
        self.operand, self.span = operand, span


# --- statements ---------------------------------------------------------------------------

# Property operators: "=" sets, ">=" / "<=" bound, "in" bounds both ways.
SET, AT_LEAST, AT_MOST, WITHIN = "=", ">=", "<=", "in"


class Property(Node):
    """``name [qualifier] op value [.. high] [at point] [for duration]``."""

    __slots__ = ("name", "name_span", "qualifier", "qualifier_span", "op", "value", "high", "at", "duration")
    _fields = ("name", "qualifier", "op", "value", "high", "at", "duration")

    def __init__(self, name, name_span, qualifier, qualifier_span, op, value, high, at, duration, span):
        self.name, self.name_span = name, name_span
        self.qualifier, self.qualifier_span = qualifier, qualifier_span
        self.op, self.value, self.high, self.at, self.duration = op, value, high, at, duration
        self.span = span


class Decl(Node):
    """``cell m50t { ... }``: kind, name and properties in source order."""

    __slots__ = ("kind", "kind_span", "name", "name_span", "props", "complete", "broken")
    _fields = ("kind", "name", "props")

    def __init__(self, kind, kind_span, name, name_span, props, span, complete=True, broken=frozenset()):
        self.kind, self.kind_span, self.name, self.name_span = kind, kind_span, name, name_span
        self.props, self.span, self.complete = props, span, complete
        self.broken = broken  # names of property lines that failed to parse (error recovery)


class Use(Node):
    """``use cells.lg.m50t`` (``path``) or ``use "./my_cells.batt"`` (``file``)."""

    __slots__ = ("path", "file", "path_span")
    _fields = ("path", "file")

    def __init__(self, path: tuple[str, ...] | None, file: str | None, path_span: Span, span: Span):
        self.path, self.file, self.path_span, self.span = path, file, path_span, span


class Comment:
    __slots__ = ("text", "line", "column", "trailing")

    def __init__(self, text: str, line: int, column: int, trailing: bool):
        self.text, self.line, self.column, self.trailing = text, line, column, trailing

    def __repr__(self) -> str:
        return f"Comment({self.text!r}, line={self.line}, trailing={self.trailing})"


class Module(Node):
    """One parsed file: its ``use`` lines and declarations, in source order."""

    __slots__ = ("items", "comments", "file", "blank_lines")
    _fields = ("items",)

    def __init__(self, items, comments, file, span, blank_lines=frozenset()):
        self.items, self.comments, self.file, self.span = items, comments, file, span
        self.blank_lines = blank_lines

    @property
    def decls(self) -> list[Decl]:
        return [item for item in self.items if isinstance(item, Decl)]

    @property
    def uses(self) -> list[Use]:
        return [item for item in self.items if isinstance(item, Use)]


def same_as(a: Node, b: Node) -> bool:
    return a.key() == b.key()
