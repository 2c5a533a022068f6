"""Typed values: the checks a value passes to become what a property or argument needs.

A quantity of the right dimension (a forgotten unit told from a wrong one) and a plausible
magnitude (``plausible``: below absolute zero, a wrong prefix, an unusual value), a whole
count, one word of a set of options, the name of a declaration of the right kind (which is
lowered too, and recorded as a reference for the editor), and a call's arguments bound to
its parameters (``bind``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Fix, Related
from battgen.frontend.evaluate import Evaluating
from battgen.frontend.messages import _describe_value, _example, _example_quantity, _number_text, _suggest
from battgen.frontend.resolve import Lowering, Reference
from battgen.frontend.values import CallV, Invalid, Q, Value, Word


class Checking(Evaluating):
    """Values to typed values (floats in SI, counts, option words, declarations, arguments)."""

    def expect_quantity(
        self, value: Value, dim: u.Dim, what: str, spec: sc.Prop | None = None, positive: bool = False
    ) -> float | None:
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, Q):
            self.error(
                "E302",
                f"{what} needs {u.describe_dim(dim)}, got {_describe_value(value)}",
                value.span,
                f"e.g. `{_example_quantity(dim)}`",
            )
            return None
        if dim != u.DIMENSIONLESS and value.unitless:
            example = u.EXAMPLE_UNIT.get(dim, "")
            self.error(
                "E305",
                f"expected a unit after `{_number_text(value)}` (e.g. `{example}`)",
                value.span,
                f"{what} needs {u.describe_dim(dim)}: write `{_number_text(value)} {example}`",
                fixes=(Fix(f"add `{example}`", value.span, f"{_number_text(value)} {example}"),),
            )
            return None
        if value.dim != dim:
            self.error(
                "E302",
                f"{what} needs {u.describe_dim(dim)}, got {u.describe_dim(value.dim)} "
                f"(`{value.text or u.format_quantity(value.value, value.dim)}`)",
                value.span,
                f"e.g. `{_example_quantity(dim)}`",
            )
            return None
        if positive and value.value <= 0:
            self.error("E402", f"{what} must be positive", value.span, "give a value above zero")
            return None
        if spec is not None and not self.plausible(value, spec):
            return None
        return value.value

    def plausible(self, value: Q, spec: sc.Prop | sc.Param, label: str = "") -> bool:
        """A value of the right dimension checked against its physical range (``spec.sane``):
        below zero where the range starts at zero (a gap, a wall) or at or below zero where it
        starts above (a size, a flow) is E402, below absolute zero E406, beyond ten times
        either end E404 (a wrong prefix), outside the range W401."""
        v = value.value
        name = label or f"`{spec.name}`"
        if spec.dim == u.TEMPERATURE and v < 0:
            self.error("E406", f"{name} is below absolute zero", value.span, "check the sign and unit")
            return False
        if spec.sane is None:
            return True
        low, high = spec.sane
        if v <= 0 and low > 0:
            self.error(
                "E402",
                f"{name} must be positive, got `{value.text or v}`",
                value.span,
                "sizes, masses, capacities, flows and resistances are above zero",
            )
            return False
        if v < 0 and low == 0:
            self.error(
                "E402",
                f"{name} cannot be negative, got `{value.text or v}`",
                value.span,
                "a clearance, gap or fraction is zero or more",
            )
            return False
        if isinstance(spec, sc.Param):  # an argument: no percentage form, no W401 wording below
            spec = sc.Prop(spec.name, sc.QUANTITY, "", dim=spec.dim or u.DIMENSIONLESS, sane=spec.sane)
        if spec.dim == u.DIMENSIONLESS and spec.kind == sc.QUANTITY and not (low <= v <= high):
            self.error(
                "E406",
                f"{name} must lie between {low:.0%} and {high:.0%}",
                value.span,
                "write a percentage, e.g. `80 %`",
            )
            return False
        if v > high * 10 or (low > 0 and v < low / 10):
            shown = u.format_quantity(v, spec.dim) if spec.dim != u.DIMENSIONLESS else f"{v:g}"
            self.error(
                "E404",
                f"{name} = {shown} is not a plausible {u.DIM_NAMES.get(spec.dim, 'value')}",
                value.span,
                "check the prefix and the unit (e.g. `mOhm` vs `Ohm`, `g` vs `kg`)",
            )
            return False
        if not (low <= v <= high):
            shown = u.format_quantity(v, spec.dim) if spec.dim != u.DIMENSIONLESS else f"{v:g}"
            self.warning(
                "W401",
                f"{name} = {shown} is unusual for {u.describe_dim(spec.dim)} here",
                value.span,
                "check the value",
            )
        return True

    def expect_count(self, value: Value, spec: sc.Prop, whole: bool = True) -> int | float | None:
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, Q):
            self.error(
                "E302",
                f"`{spec.name}` needs a plain number, got {_describe_value(value)}",
                value.span,
                f"e.g. `{_example(spec)}`",
            )
            return None
        if not value.unitless:
            self.error(
                "E304",
                f"`{spec.name}` is a count; it takes no unit",
                value.span,
                f"write a plain number, e.g. `{spec.name} = 4`",
            )
            return None
        if whole and (value.value != int(value.value) or value.value < 1):
            self.error(
                "E405",
                f"`{spec.name}` must be a positive whole number, got `{value.value:g}`",
                value.span,
                "counts are whole numbers: 1, 2, 3, ...",
            )
            return None
        if spec.limit is not None and value.value > spec.limit:
            self.error(
                "E504",
                f"`{spec.name} = {value.value:.0f}` is more than battgen builds: at most {spec.limit:,} "
                f"({spec.limit_name})",
                value.span,
                "docs/limits.md lists battgen's limits and why",
            )
            return None
        if spec.sane and not self.plausible(value, spec):
            return None
        return int(value.value) if whole else value.value

    def expect_option(self, value: Value, options: tuple[str, ...], what: str) -> str | None:
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, Word):
            self.error("E302", f"{what} needs one of: {', '.join(options)}", value.span, f"e.g. `{options[0]}`")
            return None
        if value.name not in options:
            close = _suggest(value.name, options)
            self.error(
                "E214",
                f"`{value.name}` is not an option of {what}",
                value.span,
                (f"did you mean `{close}`? " if close else "") + "options: " + ", ".join(options),
                fixes=(Fix(f"change to `{close}`", value.span, close),) if close else (),
            )
            return None
        return value.name

    def expect_ref(self, value: Value, kind: str, prop_name: str) -> Lowering | None:
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, Word):
            self.error(
                "E302",
                f"`{prop_name}` needs the name of a {kind}",
                value.span,
                f"declare one with `{kind} NAME {{ ... }}` or import it with `use`",
            )
            return None
        definition = self.project.lookup(self.file_path, value.name)
        if definition is None:
            candidates = self.project.names_in_scope(self.file_path, kind)
            close = _suggest(value.name, candidates)
            hint = (
                f"did you mean `{close}`?"
                if close
                else (
                    "import it, e.g. `use cells.lg.m50t`"
                    if kind == "cell"
                    else f"declare `{kind} {value.name} {{ ... }}`"
                )
            )
            self.error(
                "E201",
                f"unknown {kind} `{value.name}`",
                value.span,
                hint,
                fixes=(Fix(f"change to `{close}`", value.span, close),) if close else (),
            )
            return None
        self.project.references.append(Reference(value.name, value.span, definition))
        if definition.kind != kind:
            self.error(
                "E211",
                f"`{value.name}` is a {definition.kind}, but `{prop_name}` needs a {kind}",
                value.span,
                f"name a {kind} here",
                related=(Related(definition.name_span, f"`{value.name}` declared here"),),
            )
            return None
        lowered = self.lower(definition)
        if lowered is None:
            self.failed = True  # the referenced declaration has its own diagnostics
        return lowered

    def expect_material(self, value: Value, prop_name: str) -> ir.Material | None:
        """``expect_ref`` of a material (a material's declaration lowers to an ``ir.Material``)."""
        return cast("ir.Material | None", self.expect_ref(value, "material", prop_name))

    def bind(self, call: CallV, params: tuple[sc.Param, ...]) -> dict[str, Any] | None:
        """Bind positional and named arguments to ``params``; check dimensions.

        A bound argument is the SI float of a parameter with a dimension, the word of one with
        options, else the value as written (a list of points, a coolant's name): the
        constructor reads each by its parameter's name, which a static type cannot follow."""
        bound: dict[str, Any] = {}
        names = [p.name for p in params]
        ok = True
        for index, (name, name_span, value) in enumerate(call.args):
            if name is None:
                if index >= len(params):
                    self.error(
                        "E212",
                        f"`{call.name}` takes at most {len(params)} arguments",
                        value.span,
                        f"`{call.name}({', '.join(names)})`",
                    )
                    ok = False
                    continue
                name = params[index].name
            elif name not in names:
                assert name_span is not None  # a named argument: the parser gave its name's span
                close = _suggest(name, names)
                self.error(
                    "E212",
                    f"`{call.name}` has no argument `{name}`",
                    name_span,
                    (f"did you mean `{close}`? " if close else "") + f"it takes: {', '.join(names)}",
                    fixes=(Fix(f"change to `{close}`", name_span, close),) if close else (),
                )
                ok = False
                continue
            if name in bound:
                self.error("E212", f"`{name}` is given twice", name_span or value.span, "give it once")
                ok = False
                continue
            bound[name] = value
        for param in params:
            if param.name not in bound:
                if param.required and ok:  # after a misspelt argument, "missing" would repeat it
                    self.error(
                        "E212", f"`{call.name}` needs `{param.name}`", call.span, f"`{call.name}({', '.join(names)})`"
                    )
                    ok = False
                continue
            value = bound[param.name]
            if param.dim is not None:
                q = self.expect_quantity(value, param.dim, f"`{param.name}` of `{call.name}`")
                if q is None:
                    ok = False
                    continue
                if q <= 0 and param.dim == u.LENGTH and param.name != "radius":
                    self.error(
                        "E402", f"`{param.name}` of `{call.name}` must be positive", value.span, "sizes are above zero"
                    )
                    ok = False
                    continue
                if isinstance(value, Q) and not self.plausible(value, param, f"`{param.name}` of `{call.name}`"):
                    ok = False
                    continue
                bound[param.name] = q
            elif param.options:
                option = self.expect_option(value, param.options, f"`{param.name}` of `{call.name}`")
                if option is None:
                    ok = False
                bound[param.name] = option
        return bound if ok else None

    def unknown_constructor(self, value: Value, allowed: Collection[str], what: str) -> None:
        if isinstance(value, CallV):
            close = _suggest(value.name, allowed)
            self.error(
                "E212",
                f"`{value.name}` is not {what}",
                value.name_span,
                (f"did you mean `{close}`? " if close else "") + "use one of: " + ", ".join(allowed),
                fixes=(Fix(f"change to `{close}`", value.name_span, close),) if close else (),
            )
        else:
            self.error(
                "E302",
                f"expected {what}, got {_describe_value(value)}",
                value.span,
                "use one of: " + ", ".join(f"{name}(...)" for name in allowed),
            )
        return None
