"""Hover: the markdown shown for what is under the cursor (a pack's estimate and margins, a
declaration's properties, a property's or a constructor's documentation, a quantity in other
units, a ``use`` line's target). The documentation texts here double as the documentation of
completion items."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types as lsp

from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Span
from battgen.frontend import ast
from battgen.lsp.analysis import DocumentState, library, node_at, span_range
from battgen.lsp.features.common import (
    REQUIREMENTS,
    STALE,
    as_built_line,
    margin,
    md,
    pack_summary,
    pct,
    pos,
    qty,
    requirement_lines,
    requirement_text,
    root_module,
)
from battgen.lsp.features.definitions import resolve, use_target

# --- hover --------------------------------------------------------------------------------


def hover(state: DocumentState, position: lsp.Position) -> lsp.Hover | None:
    module = root_module(state)
    line, column = pos(position)
    ctx = node_at(module, line, column)
    parts: list[str] = []
    span: Span | None = None
    decl = ctx.decl
    if ctx.use is not None:
        text = _use_hover(state, ctx.use)
        if text:
            return lsp.Hover(md(text), span_range(ctx.use.path_span))
        return None
    if decl is None:
        return None
    if ctx.on == "name":
        span = decl.name_span
        if decl.kind == "pack":
            parts.append(_pack_hover(state, decl))
        else:
            assert state.analysis is not None  # a declaration was found in its module
            parts.append(declaration_hover(state, decl, state.analysis.lowered.root))
    elif ctx.on == "kind":
        span = decl.kind_span
        parts.append(
            f"**{decl.kind}** declaration — properties: "
            + ", ".join(f"`{p.name}`" for p in sc.KINDS.get(decl.kind, ()))
        )
    elif ctx.on == "prop" and ctx.prop is not None:
        span = ctx.prop.name_span
        prop = sc.PROPS.get(decl.kind, {}).get(ctx.prop.name)
        if prop is not None:
            parts.append(property_doc(decl.kind, prop))
    node = ctx.node
    if isinstance(node, ast.Ref) or (ctx.on == "call" and isinstance(node, ast.Call)):
        name = node.name
        span = node.name_span if isinstance(node, ast.Call) else node.span
        definition = resolve(state, name, span)
        if definition is not None:
            if definition.kind == "pack":
                parts.append(_pack_hover(state, definition.decl))
            else:
                parts.append(declaration_hover(state, definition.decl, definition.file))
        elif isinstance(node, ast.Call) and node.name in sc.CONSTRUCTORS:
            parts.append(constructor_doc(node.name, sc.CONSTRUCTORS[node.name]))
    elif ctx.on == "arg" and isinstance(node, ast.Arg):
        call = ctx.nodes[-2] if len(ctx.nodes) >= 2 else None
        params = sc.CONSTRUCTORS.get(call.name, sc.CONDUCTOR_PARAMS) if isinstance(call, ast.Call) else ()
        for p in params:
            if p.name == node.name:
                span = node.name_span
                parts.append(param_doc(p))
    elif isinstance(node, ast.Quantity):
        span = node.span
        text = quantity_hover(node)
        if text:
            parts.append(text)
    if decl.kind == "pack" and ctx.prop is not None and ctx.on != "name":
        text = _requirement_hover(state, decl, ctx.prop)
        if text:
            parts.insert(0, text)
            span = span or ctx.prop.span
    parts = [p for p in parts if p]
    if not parts:
        return None
    return lsp.Hover(md("\n\n---\n\n".join(parts)), span_range(span) if span else None)


def _pack_hover(state: DocumentState, decl: ast.Decl) -> str:
    synthesis, stale = state.synthesis(decl.name)
    head = f"**pack {decl.name}**"
    if synthesis is None:
        return head + " — no estimate yet (fix the errors in the pack first)"
    if synthesis.chosen is None:
        text = head + f" — **no feasible design** among {synthesis.evaluated:,} architectures evaluated"
        return text
    c = synthesis.chosen
    lines = [head + " — " + pack_summary(c)]
    if stale:
        lines.append("_(last estimate that compiled; the pack has errors now)_")
    built = as_built_text(state, decl.name)
    if built:
        lines.append(built)
    analysis = state.analysis
    rows = []
    for prop, low, high in requirement_lines(state, decl):
        value = c.value(prop.name)
        dim = REQUIREMENTS[prop.name]
        if low is not None:
            bound = f"{qty(low, dim)} .. {qty(high, dim)}" if high is not None else f"≥ {qty(low, dim)}"
        else:
            bound = f"≤ {qty(high, dim)}" if high is not None else ""
        shown = pct(margin(low, high, value))
        rows.append(f"| {prop.name} | {qty(value, dim)} | {bound} | {shown} |")
    if rows:
        lines.append("| requirement | estimate | bound | margin |\n|---|---|---|---|\n" + "\n".join(rows))
    extra = [
        c.modules_text,
        f"capacity {qty(c.capacity, u.CHARGE)}",
        f"usable {qty(c.usable_energy, u.ENERGY)}",
        f"continuous {qty(c.continuous_power, u.POWER)}",
        f"resistance {qty(c.resistance, u.RESISTANCE)}",
        f"{c.cycles:,.0f} cycles to 80 %",
    ]
    lines.append(" · ".join(extra))
    if synthesis.runners_up:
        lines.append(
            "Runners-up: "
            + ", ".join(
                f"{r.label} ({qty(r.energy, u.ENERGY)}, {qty(r.mass, u.MASS)})" for r in synthesis.runners_up[:3]
            )
        )
    del analysis
    return "\n\n".join(lines)


def as_built_text(state: DocumentState, pack: str) -> str:
    """The pack as built (``as built: 96s50p, 512 kg, hottest cell 41 °C, worst cell 14.1 A of
    14.55 A``), saying when that build is of an older text and which stage is running now."""
    built, stale = state.built_pack(pack)
    building = state.building
    running = f"building: {building.stage}…" if building is not None and building.stage else ""
    if built is None:
        return f"_{running}_" if running else ""
    text = "**" + as_built_line(built) + "**"
    if not built.passed and built.stage:
        text += " — fails the as-built check" if built.stage == "check" else f" — stopped at {built.stage}"
    if built.attempts > 1:
        text += f" ({built.attempts} architectures built)"
    if stale:
        text += f" _{STALE}_"
    if running:
        text += f" _{running}_"
    return text


def _requirement_hover(state: DocumentState, decl: ast.Decl, prop: ast.Property) -> str:
    synthesis, stale = state.synthesis(decl.name)
    if prop.name == "modules" and synthesis is not None and synthesis.chosen is not None:
        return f"modules: {synthesis.chosen.modules_text}"
    if synthesis is None or synthesis.chosen is None:
        return ""
    for p, low, high in requirement_lines(state, decl):
        if p is prop:
            text = requirement_text(prop.name, low, high, synthesis.chosen.value(prop.name))
            if prop.name in synthesis.chosen.binding:
                text += " — **binding** (this requirement limits the design)"
            return text + (" _(last good estimate)_" if stale else "")
    return ""


def quantity_hover(node: ast.Quantity) -> str:
    try:
        unit = u.parse_unit(node.unit)
    except u.UnitError as error:
        hint = f" — did you mean `{error.suggestion}`?" if error.suggestion else ""
        return f"unknown unit `{node.unit}`{hint}"
    value = u.to_si(node.value, unit)
    alternatives = u.alternatives(value, unit.dim)
    written = f"{node.text} {node.unit}"
    others = [a for a in alternatives if a.replace(" ", "") != written.replace(" ", "")]
    name = u.DIM_NAMES.get(unit.dim, u.dim_symbol(unit.dim))
    if not others:
        others = [u.format_quantity(value, unit.dim)]
    return f"**{written}** ({name}) = " + " = ".join(others)


def declaration_hover(state: DocumentState, decl: ast.Decl, file: str) -> str:
    from battgen.frontend.format import property_parts

    lines = [f"**{decl.kind} {decl.name}**" + (f" — `{short_path(file)}`" if file else "")]
    source = ""
    rows = []
    for prop in decl.props:
        if prop.name == "source" and isinstance(prop.value, ast.String):
            source = prop.value.value
            continue
        head, rest = property_parts(prop)
        rows.append(f"| {head} | `{rest}` |")
    if decl.kind == "cell":
        cell = None
        if state.analysis is not None:
            cell = state.analysis.lowered.design.cells.get(decl.name)
        if cell is not None and cell.span.line == decl.span.line:
            derived = [
                f"{qty(cell.energy, u.ENERGY)} per cell",
                f"{cell.energy / 3600 / cell.mass:.0f} Wh/kg" if cell.mass else "",
            ]
            lines.append(" · ".join(d for d in derived if d))
    if decl.kind == "study" and state.analysis is not None:
        study = state.analysis.lowered.design.studies.get(decl.name)
        if study is not None and study.span.line == decl.span.line:
            lines.append(study_summary(study))
    if rows:
        lines.append("| property | value |\n|---|---|\n" + "\n".join(rows))
    if source:
        lines.append(f"Source: {source}")
    return "\n\n".join(lines)


def study_summary(study) -> str:
    """What ``battc study`` will build: the grid's size and what it is made of, or the
    optimiser's budget, and what the designs are compared on."""
    lists = [f"{len(v.choices)} {v.name}" for v in study.variables if not v.is_range]
    ranges = [v.name for v in study.variables if v.is_range]
    if study.search == "grid":
        head = f"{study.grid_size:,} variants of pack `{study.pack.name}`" + (
            f" ({' × '.join(lists)})" if lists else ""
        )
    else:
        head = (
            f"NSGA-II over pack `{study.pack.name}`: {study.budget:,} designs in generations of {study.population}"
            + (f", ranges {', '.join(ranges)}" if ranges else "")
            + (f", lists {' × '.join(lists)}" if lists else "")
        )
    return head + " · objectives " + ", ".join(study.objectives) + " · run with `battc study FILE`"


def short_path(file: str) -> str:
    from battgen.frontend.workspace import STDLIB

    try:
        return "stdlib/" + Path(os.path.abspath(file)).relative_to(STDLIB).as_posix()
    except ValueError:
        return file


def _use_hover(state: DocumentState, use: ast.Use) -> str:
    target = use_target(state, use)
    if target is None:
        return ""
    path, name = target
    if name is not None:
        for d in library():
            if d.path == str(path) and d.name == name:
                return declaration_hover(state, d.decl, d.path)
    names = [f"{d.kind} `{d.name}`" for d in library() if d.path == str(path)]
    return f"`{short_path(str(path))}`" + (": " + ", ".join(names) if names else "")


def property_doc(kind: str, prop: sc.Prop) -> str:
    lines = [f"**{prop.name}** ({kind}) — {prop.doc}"]
    facts = []
    if prop.kind == sc.QUANTITY:
        facts.append(f"{u.DIM_NAMES.get(prop.dim, u.dim_symbol(prop.dim))}, e.g. `{u.EXAMPLE_UNIT.get(prop.dim, '')}`")
    elif prop.kind == sc.OPTION:
        facts.append("one of " + ", ".join(f"`{o}`" for o in prop.options))
    elif prop.kind == sc.REF:
        facts.append(f"the name of a {prop.ref_kind}")
    else:
        facts.append(prop.kind.replace("_", " "))
    facts.append("operators " + " ".join(f"`{o}`" for o in prop.ops))
    if prop.required:
        facts.append("required")
    if prop.default is not None:
        facts.append(f"default `{prop.default}`")
    if prop.duration:
        facts.append("takes `for <duration>`")
    lines.append(" · ".join(facts))
    return "\n\n".join(lines)


def param_doc(p: sc.Param) -> str:
    what = u.DIM_NAMES.get(p.dim, "") if p.dim is not None else "a name"
    text = f"**{p.name}** — {what}"
    if p.options:
        text += " — one of " + ", ".join(f"`{o}`" for o in p.options)
    if p.default is not None:
        text += f" (default `{p.default}`)"
    elif not p.required:
        text += " (optional)"
    return text


def constructor_doc(name: str, params: Sequence[sc.Param]) -> str:
    args = ", ".join(p.name + (f" = {p.default}" if p.default else "") for p in params)
    return f"`{name}({args})`\n\n" + "\n\n".join(param_doc(p) for p in params)
