"""Evaluating expressions: syntax → values, with units and dimensions checked.

A quantity's unit is parsed and the number brought to SI (``-20 degC`` is negated before the
offset); arithmetic checks dimensions (``+``/``-`` need the same one, ``*``/``/`` combine
them) and refuses division by zero and non-finite results. Every problem is a diagnostic and
an ``Invalid`` value, which the checks after it skip silently.
"""

from __future__ import annotations

import math

from battgen.core import units as u
from battgen.core.diagnostics import Fix
from battgen.frontend import ast
from battgen.frontend.messages import Reporter
from battgen.frontend.values import CallV, Invalid, ListV, PointV, Q, Text, Value, Word


class Evaluating(Reporter):
    """Expressions to values (the first step of lowering a declaration)."""

    def evaluate(self, node: ast.Node) -> Value:
        if isinstance(node, ast.Quantity):
            return self.quantity(node, 1.0)
        if isinstance(node, ast.Number):
            return self.finite(Q(node.value, u.DIMENSIONLESS, node.span, True, node.text))
        if isinstance(node, ast.String):
            return Text(node.value, node.span)
        if isinstance(node, ast.Ref):
            return Word(node.name, node.span)
        if isinstance(node, ast.Neg):
            if isinstance(node.operand, ast.Quantity):  # `-20 degC`: negate before the offset
                value = self.quantity(node.operand, -1.0)
                if isinstance(value, Q):
                    value.span, value.text = node.span, f"-{value.text}"
                return value
            inner = self.evaluate(node.operand)
            if isinstance(inner, Invalid):
                return inner
            if not isinstance(inner, Q):
                self.error("E303", "only a number or quantity can be negated", node.span, "write `-` before a number")
                return Invalid(node.span)
            return Q(-inner.value, inner.dim, node.span, inner.unitless)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            args = []
            for arg in node.args:
                args.append((arg.name, arg.name_span, self.evaluate(arg.value)))
            return CallV(node.name, node.name_span, args, node.span)
        if isinstance(node, ast.ListExpr):
            return ListV([self.evaluate(item) for item in node.items], node.span)
        if isinstance(node, ast.Point):
            return PointV(self.evaluate(node.x), self.evaluate(node.y), node.span)
        raise AssertionError(type(node))

    def quantity(self, node: ast.Quantity, sign: float) -> Q | Invalid:
        try:
            unit = u.parse_unit(node.unit)
        except u.UnitError as error:
            suggestion = error.suggestion
            fixes: tuple[Fix, ...]
            if suggestion and error.part == node.unit:
                hint = f"did you mean `{suggestion}`?"
                fixes = (Fix(f"change to `{suggestion}`", node.unit_span, suggestion),)
            elif suggestion:
                fixed = node.unit.replace(error.part, suggestion)
                hint = f"did you mean `{fixed}`?"
                fixes = (Fix(f"change to `{fixed}`", node.unit_span, fixed),)
            else:
                hint, fixes = "units are case-sensitive: e.g. kWh, mOhm, degC, L/min", ()
            self.error(
                "E301",
                f"unknown unit `{node.unit}`" + (f" — {hint}" if suggestion else ""),
                node.unit_span,
                "units are case-sensitive: e.g. kWh, mOhm, degC, L/min",
                fixes=fixes,
            )
            return Invalid(node.span)
        value = u.to_si(sign * node.value, unit)
        return self.finite(Q(value, unit.dim, node.span, False, f"{node.text} {node.unit}"))

    def finite(self, q: Q) -> Q | Invalid:
        if not math.isfinite(q.value):
            self.error("E403", "this number is not finite", q.span, "write a finite value")
            return Invalid(q.span)
        return q

    def binary(self, node: ast.BinOp) -> Q | Invalid:
        left, right = self.evaluate(node.left), self.evaluate(node.right)
        if isinstance(left, Invalid) or isinstance(right, Invalid):
            return Invalid(node.span)
        if not isinstance(left, Q) or not isinstance(right, Q):
            side = left if not isinstance(left, Q) else right  # the first that is not a number
            what = f"`{side.name}`" if isinstance(side, Word) else "this"
            self.error(
                "E303",
                f"{what} is not a number, so it cannot be used with `{node.op}`",
                side.span,
                "arithmetic works on numbers and quantities",
            )
            return Invalid(node.span)
        unitless = left.unitless and right.unitless
        if node.op in "+-":
            if left.dim != right.dim:
                self.error(
                    "E303",
                    f"cannot {'add' if node.op == '+' else 'subtract'} {u.describe_dim(right.dim)} "
                    f"{'to' if node.op == '+' else 'from'} {u.describe_dim(left.dim)}",
                    node.span,
                    "both sides need the same dimension",
                )
                return Invalid(node.span)
            value = left.value + right.value if node.op == "+" else left.value - right.value
            return self.finite(Q(value, left.dim, node.span, unitless))
        if node.op == "*":
            return self.finite(Q(left.value * right.value, u.dim_mul(left.dim, right.dim), node.span, unitless))
        if right.value == 0:
            self.error("E407", "division by zero", node.right.span, "divide by a non-zero value")
            return Invalid(node.span)
        return self.finite(Q(left.value / right.value, u.dim_div(left.dim, right.dim), node.span, unitless))
