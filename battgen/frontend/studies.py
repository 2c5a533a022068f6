"""Lowering a ``study``: the variants of a pack to build and compare.

A study names a pack and, for each pack property it varies, the values to try — written as the
pack would take them, in a list (``cell = [m50t, p45b]``, ``cooling = [cold_plate(side =
bottom), air]``), or as a range for the optimiser (``gap in 0.5 mm .. 2 mm``). Each value is
checked exactly as the pack's own property would be (the same schema entry, the same checks),
so a wrong unit or an unknown cell in a study is the same diagnostic, at the same place, as in
a pack. A value keeps its source text: a variant of the pack is the pack's file with those texts
substituted (``frontend.variants``), a real design that can be written out and checked.

``busbar_thickness``, ``coolant_flow`` and ``fins`` set one argument of the pack's busbar or
cold plate. ``objectives`` are metrics of the built pack (``core.schema.METRICS``); a metric
written as a bound (``temperature <= 50 degC``) constrains the variants on top of the pack's own
requirements.
"""

from __future__ import annotations

from typing import Any

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Related, Span
from battgen.frontend import ast
from battgen.frontend.constructors import Constructing


def span_text(text: str, span: Span) -> str:
    """The source text a span covers (lines and columns 1-based, end column exclusive)."""
    lines = text.split("\n")
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    head = lines[span.line - 1][span.column - 1 :]
    middle = lines[span.line : span.end_line - 1]
    tail = lines[span.end_line - 1][: span.end_column - 1]
    return "\n".join([head, *middle, tail])


def bound_words(bound: ir.Bound) -> str:
    """A count's bound in words: "4", "4 to 8", "at least 4", "at most 8"."""
    low, high = bound.low, bound.high
    if low is not None and high is not None:
        return f"{low:g}" if low == high else f"{low:g} to {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def module_series_conflict(
    sizes: tuple[int, ...], strings: int, series: int | None, modules: ir.Bound | None
) -> tuple[str, str, str] | None:
    """Why ``module_series = sizes`` disagrees with a pack's fixed ``series`` or its ``modules``
    bound, as (``"series"`` or ``"modules"``, message, hint); None when they agree. The list fixes S
    (its sum, per string) and the module count (its length, per string). The pack's own list
    (E503 in ``declarations``) and a study's lists to try are checked by this one rule."""
    total, count = sum(sizes), len(sizes) * strings
    if series is not None and series != total:
        return (
            "series",
            f"`module_series` and `series = {series}` conflict: the modules hold {total} series groups "
            f"({' + '.join(str(k) for k in sizes)}), not {series}",
            f"make the modules add up to {series}, or drop `series` (the list fixes it)",
        )
    if modules is not None and not (
        (modules.low is None or count >= modules.low) and (modules.high is None or count <= modules.high)
    ):
        per = f" ({len(sizes)} a string × {strings} strings)" if strings > 1 else ""
        return (
            "modules",
            f"`module_series` lists {count} modules{per}; `modules` allows {bound_words(modules)}",
            f"list {bound_words(modules)} modules, or drop `modules` (the list fixes it)",
        )
    return None


class StudyLowering(Constructing):
    """A study's list values (``choices``) and its builder (``build_study``)."""

    def typed(self, spec: sc.Prop, node: ast.Node, prop: ast.Property) -> Any:  # the declarations' typing
        raise NotImplementedError

    def choices(self, spec: sc.Prop, prop: ast.Property) -> tuple[ir.Choice, ...] | None:
        """``name = [a, b, c]`` (or one value): each value typed as the schema entry says, with
        its source text."""
        node = prop.value
        items = node.items if isinstance(node, ast.ListExpr) else [node]
        if spec.kind == sc.COUNT_LIST and not all(isinstance(item, ast.ListExpr) for item in items):
            items = [node]  # a value that is itself a list: `[10, 10, 8]` is one, `[[8, 8], [6, 5, 5]]` two
        if not items:
            self.error("E302", f"`{spec.name}` needs at least one value", node.span, f"e.g. `{spec.name} = [a, b]`")
            return None
        source = self.project.files[self.file_path].text
        out = []
        for item in items:
            value = self.typed(spec, item, prop)
            if value is None:
                return None
            out.append(ir.Choice(span_text(source, item.span), value, item.span))
        return tuple(out)

    def build_study(self, values: dict[str, tuple[Any, ast.Property]], qualified: dict) -> ir.Study | None:
        def get(name: str) -> Any:
            """The value as written, else the schema's default (SI)."""
            return values[name][0] if name in values else sc.PROPS["study"][name].value

        variables = []
        for name, (value, prop) in values.items():  # in the order written: the table's columns
            spec = sc.PROPS["study"][name]
            if spec.listed and name != "objectives":
                variables.append(self._variable(spec, value, prop))
        objectives = tuple(c.value for c in values["objectives"][0]) if "objectives" in values else get("objectives")
        if len(set(objectives)) < len(objectives):
            self.error(
                "E206",
                "an objective is listed twice",
                values["objectives"][1].value.span,
                "list each objective once",
            )
            return None
        constraints = {name: values[name][0] for name in sc.METRICS if name in values}
        search = get("search")
        ranges = [v for v in variables if v.is_range]
        if search == "grid" and ranges:
            first = ranges[0]
            self.error(
                "E250",
                f"`{first.name}` is a range, which a grid cannot enumerate",
                first.span,
                f"give a list (`{first.name} = [..., ...]`), or add `search = nsga2` to optimise over the range",
            )
            return None
        budget, population = get("budget"), get("population")
        if search == "nsga2" and budget < population:
            span = values["budget"][1].span if "budget" in values else self.decl.name_span
            self.error(
                "E251",
                f"a budget of {budget} designs is less than one generation of {population}",
                span,
                f"set `budget` to at least {population} (a few generations: {4 * population})",
            )
            return None
        pack = get("pack")
        if not self.module_series_agree(values, pack):
            return None
        return ir.Study(
            name=self.decl.name,
            pack=pack,
            variables=tuple(variables),
            objectives=tuple(objectives),
            constraints=constraints,
            search=search,
            budget=budget,
            population=population,
            seed=get("seed"),
            span=self.decl.span,
            name_span=self.decl.name_span,
        )

    def module_series_agree(self, values: dict[str, tuple[Any, ast.Property]], pack: ir.Pack | None) -> bool:
        """Each ``module_series`` to try is checked as the pack's own list would be (E503): its sum
        against the pack's ``series``, its length against the pack's ``modules``; a study varies
        the module count or the modules' sizes, not both (the list fixes the count)."""
        if "module_series" not in values or pack is None:
            return True
        choices, prop = values["module_series"]
        if "modules" in values:
            self.error(
                "E503",
                "a study varies `modules` or `module_series`, not both: each list fixes the module count",
                prop.span,
                "drop `modules` (the lists' lengths are the counts), or vary `modules` alone",
                related=(Related(values["modules"][1].span, "`modules` varied here"),),
            )
            return False
        for choice in choices:
            conflict = module_series_conflict(choice.value, pack.strings, pack.series, pack.modules)
            if conflict is None:
                continue
            which, message, hint = conflict
            span = pack.series_span if which == "series" else (pack.modules.span if pack.modules else None)
            note = f"`{pack.name}`: S = {pack.series} here" if which == "series" else f"`{pack.name}`: its module count"
            self.error("E503", message, choice.span, hint, related=(Related(span, note),) if span else ())
            return False
        return True

    def _variable(self, spec: sc.Prop, value: Any, prop: ast.Property) -> ir.Variable:
        """A list of choices, or a range with the unit it was written in (to write values back)."""
        if not isinstance(value, ir.Bound):
            return ir.Variable(spec.name, prop.span, choices=value)
        unit, scale, offset = "", 1.0, 0.0
        if spec.kind == sc.QUANTITY:
            # the unit the low end was written in, else the dimension's usual one
            unit = prop.value.unit if isinstance(prop.value, ast.Quantity) else u.EXAMPLE_UNIT[spec.dim]
            parsed = u.parse_unit(unit)  # it lowered (or is the table's), so it parses
            scale, offset = parsed.factor, parsed.offset
        return ir.Variable(
            spec.name,
            prop.span,
            low=value.low,
            high=value.high,
            unit=unit,
            scale=scale,
            offset=offset,
            whole=spec.kind == sc.COUNT,
        )
