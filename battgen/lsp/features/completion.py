"""The editor features as pure functions of a document's state (no protocol, no I/O).

Each takes a ``DocumentState`` (its newest ``Analysis`` and last good syntheses) and a
position, and returns lsprotocol values: hover markdown, inlay hints, completion items,
document symbols, semantic tokens, definition locations, formatting edits, quick fixes.
Positions in arguments are LSP positions (0-based line and character).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from lsprotocol import types as lsp

from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.frontend import ast
from battgen.lsp.analysis import (
    Context,
    DocumentState,
    iter_nodes,
    library,
    node_at,
    same_file,
    span_location,
    span_range,
    uri_for,
)

KEYWORDS = ("cell", "envelope", "pack", "material", "use")
DECL_KINDS = ("cell", "envelope", "pack", "material")

# Requirement names of ``ir.Pack.requirements`` (and ``Candidate.value``), with their dimension.
REQUIREMENTS: dict[str, u.Dim] = {
    "voltage": u.VOLTAGE,
    "max_voltage": u.VOLTAGE,
    "min_voltage": u.VOLTAGE,
    "energy": u.ENERGY,
    "usable_energy": u.ENERGY,
    "power": u.POWER,
    "continuous_power": u.POWER,
    "current": u.CURRENT,
    "peak_current": u.CURRENT,
    "mass": u.MASS,
    "volume": u.VOLUME,
    "cost": u.MONEY,
    "cycles": u.DIMENSIONLESS,
    "module_voltage": u.VOLTAGE,
}


def _pos(position: lsp.Position) -> tuple[int, int]:
    return position.line + 1, position.character + 1


def _md(text: str) -> lsp.MarkupContent:
    return lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text)


# --- numbers for people -------------------------------------------------------------------


def _sig(value: float, digits: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def qty(value: float, dim: u.Dim, digits: int = 3) -> str:
    if dim == u.MONEY:
        return f"${_sig(value, digits):,.0f}" if abs(value) >= 100 else f"${value:,.2f}"
    if dim == u.DIMENSIONLESS:
        return f"{_sig(value, digits):,.0f}" if abs(value) >= 100 else u.format_number(value, digits)
    return u.format_quantity(value, dim, digits)


def pack_summary(candidate) -> str:
    """``96s46p, 4,416 cells, 6 modules, 331–403 V, 77.3 kWh, 250 kW peak, 472 kg, 310 L,
    163 Wh/kg, $12,300; limited by energy, mass``."""
    c = candidate
    parts = [
        c.label,
        f"{c.cells:,} cells",
        f"{c.modules} module{'s' if c.modules != 1 else ''}",
        f"{u.format_number(_sig(c.min_voltage), 3)}–{u.format_number(_sig(c.max_voltage), 3)} V",
        qty(c.energy, u.ENERGY),
        f"{qty(c.peak_power, u.POWER)} peak",
        qty(c.mass, u.MASS),
        qty(c.volume, u.VOLUME),
        f"{c.energy / 3600 / c.mass:.0f} Wh/kg" if c.mass > 0 else "",
        qty(c.cost, u.MONEY) if c.cost else "",
    ]
    text = ", ".join(p for p in parts if p)
    if c.binding:
        text += "; limited by " + ", ".join(c.binding)
    return text


def margin(bound_low: float | None, bound_high: float | None, value: float) -> float:
    """Relative distance to the nearest bound: positive when met, negative when not."""
    out = math.inf
    if bound_low is not None:
        out = min(out, (value - bound_low) / abs(bound_low) if bound_low else value)
    if bound_high is not None:
        out = min(out, (bound_high - value) / abs(bound_high) if bound_high else -value)
    return out


def _pct(m: float) -> str:
    if not math.isfinite(m):
        return ""
    return f"{'+' if m >= 0 else '−'}{abs(m) * 100:.1f}%"


_CAPABILITY = ("current", "peak_current")


def requirement_text(name: str, low: float | None, high: float | None, value: float) -> str:
    """``energy 77.3 kWh ≥ 75 kWh, +3.1%``."""
    dim = REQUIREMENTS.get(name, u.DIMENSIONLESS)
    if name in _CAPABILITY and low is None:
        # `current <= X` limits the current drawn at the required power; the estimate is
        # what the pack can deliver, so there is no margin to compare
        return (
            f"{name}: the pack can deliver {qty(value, dim)}; the limit ≤ {qty(high, dim)} applies to the current drawn"
        )
    m = margin(low, high, value)
    shown = qty(value, dim)
    if low is not None and high is not None:
        rel = f"in {qty(low, dim)} .. {qty(high, dim)}"
    elif low is not None:
        rel = f"{'≥' if value >= low else '<'} {qty(low, dim)}"
    else:
        rel = f"{'≤' if value <= high else '>'} {qty(high, dim)}"
    text = f"{name} {shown} {rel}, {_pct(m)}"
    if m < 0:
        text += " (not met)"
    return text


# --- requirement lines of a pack ----------------------------------------------------------


def _literal(node) -> float | None:
    """SI value of a literal quantity or number (None for anything else)."""
    if isinstance(node, ast.Number):
        return node.value
    if isinstance(node, ast.Quantity):
        try:
            return u.to_si(node.value, u.parse_unit(node.unit))
        except u.UnitError:
            return None
    if isinstance(node, ast.Neg):
        inner = _literal(node.operand)
        return -inner if inner is not None else None
    return None


def requirement_lines(state: DocumentState, decl: ast.Decl):
    """(prop, low, high) for each requirement line of a pack declaration, with SI bounds from
    the IR when the pack lowered, else from the literal text."""
    analysis = state.analysis
    pack = analysis.lowered.design.packs.get(decl.name) if analysis else None
    out = []
    for prop in decl.props:
        if prop.name not in REQUIREMENTS or prop.op == "=":
            continue
        bound = pack.requirements.get(prop.name) if pack is not None else None
        if bound is not None and bound.span.line == prop.span.line:
            low, high = bound.low, bound.high
        else:
            first = _literal(prop.value)
            if prop.op == "in":
                low, high = first, _literal(prop.high)
            elif prop.op == ">=":
                low, high = first, None
            else:
                low, high = None, first
            if low is None and high is None:
                continue
        out.append((prop, low, high))
    return out


def _root_module(state: DocumentState) -> ast.Module | None:
    return state.analysis.module if state.analysis else None


# --- hover --------------------------------------------------------------------------------


def hover(state: DocumentState, position: lsp.Position) -> lsp.Hover | None:
    module = _root_module(state)
    line, column = _pos(position)
    ctx = node_at(module, line, column)
    parts: list[str] = []
    span: Span | None = None
    decl = ctx.decl
    if ctx.use is not None:
        text = _use_hover(state, ctx.use)
        if text:
            return lsp.Hover(_md(text), span_range(ctx.use.path_span))
        return None
    if decl is None:
        return None
    if ctx.on == "name":
        span = decl.name_span
        if decl.kind == "pack":
            parts.append(_pack_hover(state, decl))
        else:
            parts.append(_declaration_hover(state, decl, state.analysis.lowered.root))
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
            parts.append(_property_doc(decl.kind, prop))
    node = ctx.node
    if isinstance(node, ast.Ref) or (ctx.on == "call" and isinstance(node, ast.Call)):
        name = node.name
        span = node.name_span if isinstance(node, ast.Call) else node.span
        definition = resolve(state, name, span)
        if definition is not None:
            if definition.kind == "pack":
                parts.append(_pack_hover(state, definition.decl))
            else:
                parts.append(_declaration_hover(state, definition.decl, definition.file))
        elif isinstance(node, ast.Call) and node.name in sc.CONSTRUCTORS:
            parts.append(_constructor_doc(node.name, sc.CONSTRUCTORS[node.name]))
    elif ctx.on == "arg" and isinstance(node, ast.Arg):
        call = ctx.nodes[-2] if len(ctx.nodes) >= 2 else None
        params = sc.CONSTRUCTORS.get(call.name, sc.CONDUCTOR_PARAMS) if isinstance(call, ast.Call) else ()
        for p in params:
            if p.name == node.name:
                span = node.name_span
                parts.append(_param_doc(p))
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
    return lsp.Hover(_md("\n\n---\n\n".join(parts)), span_range(span) if span else None)


def resolve(state: DocumentState, name: str, span: Span | None = None):
    """The Definition a name at ``span`` refers to (recorded reference, else scope lookup)."""
    analysis = state.analysis
    if analysis is None:
        return None
    lowered = analysis.lowered
    if span is not None:
        for ref in lowered.references:
            if ref.span == span:
                return ref.target
    return lowered.scopes.get(lowered.root, {}).get(name)


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
    analysis = state.analysis
    rows = []
    for prop, low, high in requirement_lines(state, decl):
        value = c.value(prop.name)
        dim = REQUIREMENTS[prop.name]
        bound = (
            f"{qty(low, dim)} .. {qty(high, dim)}"
            if low is not None and high is not None
            else f"≥ {qty(low, dim)}"
            if low is not None
            else f"≤ {qty(high, dim)}"
        )
        shown = "capability" if prop.name in _CAPABILITY and low is None else _pct(margin(low, high, value))
        rows.append(f"| {prop.name} | {qty(value, dim)} | {bound} | {shown} |")
    if rows:
        lines.append("| requirement | estimate | bound | margin |\n|---|---|---|---|\n" + "\n".join(rows))
    extra = [
        f"{c.series_per_module}s per module",
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


def _requirement_hover(state: DocumentState, decl: ast.Decl, prop: ast.Property) -> str:
    synthesis, stale = state.synthesis(decl.name)
    if prop.name == "modules" and synthesis is not None and synthesis.chosen is not None:
        return f"modules: {synthesis.chosen.modules} ({synthesis.chosen.series_per_module}s each)"
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


def _declaration_hover(state: DocumentState, decl: ast.Decl, file: str) -> str:
    from battgen.frontend.format import property_parts

    lines = [f"**{decl.kind} {decl.name}**" + (f" — `{_short(file)}`" if file else "")]
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
    if rows:
        lines.append("| property | value |\n|---|---|\n" + "\n".join(rows))
    if source:
        lines.append(f"Source: {source}")
    return "\n\n".join(lines)


def _short(file: str) -> str:
    from battgen.frontend.workspace import STDLIB

    try:
        return "stdlib/" + Path(os.path.abspath(file)).relative_to(STDLIB).as_posix()
    except ValueError:
        return file


def _use_hover(state: DocumentState, use: ast.Use) -> str:
    target = _use_target(state, use)
    if target is None:
        return ""
    path, name = target
    if name is not None:
        for d in library():
            if d.path == str(path) and d.name == name:
                return _declaration_hover(state, d.decl, d.path)
    names = [f"{d.kind} `{d.name}`" for d in library() if d.path == str(path)]
    return f"`{_short(str(path))}`" + (": " + ", ".join(names) if names else "")


def _use_target(state: DocumentState, use: ast.Use):
    from battgen.frontend.workspace import ImportTarget, project_root, resolve_use

    importer = Path(state.path)
    target = resolve_use(use, importer, project_root(importer))
    if isinstance(target, ImportTarget):
        return target.path.resolve(), target.name
    return None


def _property_doc(kind: str, prop: sc.Prop) -> str:
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


def _param_doc(p: sc.Param) -> str:
    what = u.DIM_NAMES.get(p.dim, "") if p.dim is not None else "a name"
    text = f"**{p.name}** — {what}"
    if p.options:
        text += " — one of " + ", ".join(f"`{o}`" for o in p.options)
    if p.default is not None:
        text += f" (default `{p.default}`)"
    elif not p.required:
        text += " (optional)"
    return text


def _constructor_doc(name: str, params) -> str:
    args = ", ".join(p.name + (f" = {p.default}" if p.default else "") for p in params)
    return f"`{name}({args})`\n\n" + "\n\n".join(_param_doc(p) for p in params)


# --- inlay hints --------------------------------------------------------------------------


def inlay_hints(state: DocumentState, rng: lsp.Range | None = None) -> list[lsp.InlayHint]:
    module = _root_module(state)
    if module is None:
        return []
    first = rng.start.line + 1 if rng else 1
    last = rng.end.line + 1 if rng else 10**9
    hints = []
    for decl in module.decls:
        if decl.kind != "pack" or decl.span.end_line < first or decl.span.line > last:
            continue
        synthesis, stale = state.synthesis(decl.name)
        if synthesis is None:
            continue
        mark = " (last good)" if stale else ""
        header = lsp.Position(decl.name_span.end_line - 1, decl.name_span.end_column - 1)
        if synthesis.chosen is None:
            hints.append(lsp.InlayHint(header, " infeasible", padding_left=True))
            continue
        c = synthesis.chosen
        label = f"{c.label} · {c.cells:,} cells · {qty(c.energy, u.ENERGY)} · {qty(c.mass, u.MASS)}{mark}"
        hints.append(lsp.InlayHint(header, label, padding_left=True, tooltip=_md(pack_summary(c))))
        for prop, low, high in requirement_lines(state, decl):
            if not first <= prop.span.end_line <= last:
                continue
            value = c.value(prop.name)
            dim = REQUIREMENTS[prop.name]
            m = margin(low, high, value)
            if prop.name in _CAPABILITY and low is None:
                text = f"≈ {qty(value, dim)} capability"
            else:
                text = f"≈ {qty(value, dim)} ({_pct(m)})" if math.isfinite(m) else f"≈ {qty(value, dim)}"
            end = lsp.Position(prop.span.end_line - 1, prop.span.end_column - 1)
            hints.append(
                lsp.InlayHint(end, text, padding_left=True, tooltip=requirement_text(prop.name, low, high, value))
            )
        for prop in decl.props:
            if prop.name == "modules" and first <= prop.span.end_line <= last:
                end = lsp.Position(prop.span.end_line - 1, prop.span.end_column - 1)
                hints.append(lsp.InlayHint(end, f"= {c.modules} ({c.series_per_module}s each)", padding_left=True))
    return hints


# --- diagnostics --------------------------------------------------------------------------

_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}


def to_lsp_diagnostic(d: Diagnostic) -> lsp.Diagnostic:
    message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
    related = [lsp.DiagnosticRelatedInformation(span_location(r.span), r.message) for r in d.related] or None
    return lsp.Diagnostic(
        range=span_range(d.span),
        message=message,
        severity=_SEVERITY.get(d.severity, lsp.DiagnosticSeverity.Error),
        code=d.code,
        source="battgen",
        related_information=related,
        data={"fixes": len(d.fixes)} if d.fixes else None,
    )


def document_diagnostics(state: DocumentState) -> list[tuple[lsp.Diagnostic, Diagnostic]]:
    analysis = state.analysis
    if analysis is None:
        return []
    return [(to_lsp_diagnostic(d), d) for d in analysis.own_diagnostics()]


def quick_fixes(state: DocumentState, rng: lsp.Range, wanted: list[lsp.Diagnostic]) -> list[lsp.CodeAction]:
    out = []
    keys = {(w.range.start.line, w.range.start.character, str(w.code)) for w in wanted}
    for published, diagnostic in state.published:
        if not diagnostic.fixes:
            continue
        start = published.range.start
        key = (start.line, start.character, str(published.code))
        overlaps = published.range.start.line <= rng.end.line and published.range.end.line >= rng.start.line
        if key not in keys and not overlaps:
            continue
        for index, fix in enumerate(diagnostic.fixes):
            uri = state.uri if same_file(fix.span.file, state.path) else uri_for(fix.span.file)
            edit = lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(span_range(fix.span), fix.replacement)]})
            out.append(
                lsp.CodeAction(
                    title=fix.title,
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[published],
                    edit=edit,
                    is_preferred=index == 0,
                )
            )
    return out


# --- formatting ---------------------------------------------------------------------------


def format_document(text: str, file: str = "<input>") -> list[lsp.TextEdit] | None:
    """One edit replacing the whole text, [] when already formatted, None on syntax errors."""
    from battgen.frontend.format import format_text

    formatted, _ = format_text(text, file)
    if formatted is None:
        return None
    if formatted == text:
        return []
    lines = text.split("\n")
    end = lsp.Position(len(lines) - 1, len(lines[-1]))
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), formatted)]


# --- symbols ------------------------------------------------------------------------------

SYMBOL_KIND = {
    "cell": lsp.SymbolKind.Class,
    "material": lsp.SymbolKind.Constant,
    "envelope": lsp.SymbolKind.Struct,
    "pack": lsp.SymbolKind.Module,
}


def document_symbols(module: ast.Module | None, state: DocumentState | None = None) -> list[lsp.DocumentSymbol]:
    from battgen.frontend.format import property_parts

    if module is None:
        return []
    out = []
    for item in module.items:
        if isinstance(item, ast.Use):
            name = ".".join(item.path) if item.path else (item.file or "use")
            out.append(
                lsp.DocumentSymbol(
                    name=f"use {name}",
                    kind=lsp.SymbolKind.Namespace,
                    range=span_range(item.span),
                    selection_range=span_range(item.path_span),
                )
            )
            continue
        children = []
        for prop in item.props:
            head, rest = property_parts(prop)
            children.append(
                lsp.DocumentSymbol(
                    name=head,
                    detail=rest[:80],
                    kind=lsp.SymbolKind.Property,
                    range=span_range(prop.span),
                    selection_range=span_range(prop.name_span),
                )
            )
        detail = item.kind
        if item.kind == "pack" and state is not None:
            synthesis, _ = state.synthesis(item.name)
            if synthesis is not None and synthesis.chosen is not None:
                detail = f"pack · {synthesis.chosen.label} · {qty(synthesis.chosen.energy, u.ENERGY)}"
        out.append(
            lsp.DocumentSymbol(
                name=item.name,
                detail=detail,
                kind=SYMBOL_KIND.get(item.kind, lsp.SymbolKind.Object),
                range=span_range(item.span),
                selection_range=span_range(item.name_span),
                children=children,
            )
        )
    return out


def workspace_symbols(query: str, modules: dict[str, ast.Module], include_library: bool = True) -> list:
    """``modules``: absolute path → syntax tree."""
    q = query.lower()
    out, seen = [], set()

    def add(name, kind, path, span, container):
        key = (os.path.abspath(path), name, span.line)
        if key in seen or (q and q not in name.lower()):
            return
        seen.add(key)
        location = lsp.Location(Path(os.path.abspath(path)).as_uri(), span_range(span))
        out.append(
            lsp.SymbolInformation(
                name=name,
                kind=SYMBOL_KIND.get(kind, lsp.SymbolKind.Object),
                location=location,
                container_name=container,
            )
        )

    for path, module in sorted(modules.items()):
        for decl in module.decls:
            add(decl.name, decl.kind, path, decl.name_span, f"{decl.kind} · {os.path.basename(path)}")
    if include_library:
        for d in library():
            add(d.name, d.kind, d.path, d.decl.name_span, f"{d.kind} · stdlib {d.module}")
    return out


# --- semantic tokens ----------------------------------------------------------------------

TOKEN_TYPES = [
    "keyword",
    "class",
    "property",
    "number",
    "type",
    "string",
    "comment",
    "function",
    "enumMember",
    "parameter",
    "namespace",
    "variable",
    "operator",
]
TOKEN_MODIFIERS = ["declaration", "defaultLibrary"]
_T = {name: i for i, name in enumerate(TOKEN_TYPES)}

_UNIT = r"[A-Za-zµΩ°%][A-Za-z0-9µΩ°]*(?:\^-?\d+)?(?:[*·/][A-Za-zµΩ°%][A-Za-z0-9µΩ°]*(?:\^-?\d+)?)*"
_LEX = re.compile(
    r"(?P<comment>#.*)"
    r"|(?P<string>\"[^\"\n]*\"?)"
    r"|(?P<number>(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)(?:(?P<space>[ \t]*)(?P<unit>" + _UNIT + r"))?"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>>=|<=|\.\.|[=+\-*/])"
    r"|(?P<open>[{(\[])|(?P<close>[})\]])"
)


def semantic_tokens(text: str, declared: set[str] | frozenset = frozenset()) -> list[int]:
    """LSP relative-encoded tokens for the whole text (a lexer that tolerates broken code)."""
    data: list[int] = []
    prev_line = prev_col = 0
    depth = 0  # braces
    parens = 0

    def emit(line, col, length, kind, mods=0):
        nonlocal prev_line, prev_col
        delta_line = line - prev_line
        delta_col = col - prev_col if delta_line == 0 else col
        data.extend((delta_line, delta_col, length, _T[kind], mods))
        prev_line, prev_col = line, col

    for line_no, line in enumerate(text.split("\n")):
        index = 0  # names seen on this line
        line_head = None
        after_kind = False
        in_use = False
        for m in _LEX.finditer(line):
            group = m.lastgroup if m.lastgroup not in ("unit", "space") else "number"
            start = m.start()
            if m.group("comment") is not None:
                emit(line_no, start, len(m.group("comment")), "comment")
            elif m.group("string") is not None:
                emit(line_no, start, len(m.group("string")), "string")
            elif m.group("number") is not None:
                emit(line_no, start, len(m.group("number")), "number")
                if m.group("unit"):
                    emit(line_no, m.start("unit"), len(m.group("unit")), "type")
            elif m.group("name") is not None:
                word = m.group("name")
                rest = line[m.end() :].lstrip()
                if in_use:
                    emit(line_no, start, len(word), "namespace")
                elif index == 0 and depth == 0:
                    if word == "use":
                        in_use = True
                        emit(line_no, start, len(word), "keyword")
                    else:
                        line_head = word
                        after_kind = True
                        emit(line_no, start, len(word), "keyword")
                elif after_kind and index == 1:
                    emit(line_no, start, len(word), "class", 1)
                    after_kind = False
                elif index == 0 and parens == 0:
                    line_head = word
                    emit(line_no, start, len(word), "property")
                elif (
                    index == 1
                    and parens == 0
                    and line_head is not None
                    and rest.startswith("=")
                    and not rest.startswith("==")
                ):
                    emit(line_no, start, len(word), "variable", 1)  # keepout NAME = ...
                elif word in ("in", "at", "for"):
                    emit(line_no, start, len(word), "keyword")
                elif rest.startswith("("):
                    emit(line_no, start, len(word), "function", 0 if word in declared else 2)
                elif parens > 0 and rest.startswith("=") and not rest.startswith("=="):
                    emit(line_no, start, len(word), "parameter")
                elif word in declared:
                    emit(line_no, start, len(word), "class")
                else:
                    emit(line_no, start, len(word), "enumMember")
                index += 1
            elif m.group("op") is not None:
                pass
            elif m.group("open") is not None:
                if m.group("open") == "{":
                    depth += 1
                else:
                    parens += 1
            elif m.group("close") is not None:
                if m.group("close") == "}":
                    depth = max(depth - 1, 0)
                    parens = 0
                else:
                    parens = max(parens - 1, 0)
            del group
    return data


def declared_names(state: DocumentState) -> set[str]:
    analysis = state.analysis
    if analysis is None:
        return set()
    return set(analysis.lowered.scopes.get(analysis.lowered.root, {}))


# --- definitions --------------------------------------------------------------------------


def definition_at(state: DocumentState, position: lsp.Position):
    """(Definition | None, use-target path | None) at the position."""
    module = _root_module(state)
    line, column = _pos(position)
    ctx = node_at(module, line, column)
    if ctx.use is not None and ctx.on == "use":
        target = _use_target(state, ctx.use)
        if target is None:
            return None, None
        path, name = target
        if name is not None:
            for definition in state.analysis.lowered.definitions.values():
                if definition.name == name and os.path.abspath(definition.file) == str(path):
                    return definition, None
        return None, str(path)
    if ctx.decl is None:
        return None, None
    if ctx.on == "name":
        return state.analysis.lowered.scopes.get(state.analysis.lowered.root, {}).get(ctx.decl.name), None
    node = ctx.node
    if isinstance(node, ast.Ref):
        return resolve(state, node.name, node.span), None
    if ctx.on == "call" and isinstance(node, ast.Call):
        return resolve(state, node.name, node.name_span), None
    return None, None


def definition_location(definition) -> lsp.Location:
    return span_location(definition.name_span)


def references_in(lowered, target_file: str, name: str, importer_path: str | None = None) -> list[Span]:
    """Spans in one analysis that name the declaration (``target_file`` absolute): references
    and the last segment of ``use`` lines importing exactly it."""
    from battgen.frontend.workspace import ImportTarget, project_root, resolve_use

    out = []
    for ref in lowered.references:
        if ref.target.name == name and os.path.abspath(ref.target.file) == target_file:
            out.append(ref.span)
    for file, module in lowered.modules.items():
        path = Path(os.path.abspath(file))
        for use in module.uses:
            if not use.path or use.path[-1] != name:
                continue
            target = resolve_use(use, path, project_root(path))
            if isinstance(target, ImportTarget) and target.name == name and str(target.path.resolve()) == target_file:
                s = use.path_span
                out.append(Span(s.file, s.end_line, s.end_column - len(name), s.end_line, s.end_column))
            elif isinstance(target, ImportTarget) and target.name is None and str(target.path.resolve()) == target_file:
                pass  # whole-file import: nothing names the declaration
    # references from declarations that did not lower (not recorded): scan refs by scope
    for file, module in lowered.modules.items():
        scope = lowered.scopes.get(file, {})
        d = scope.get(name)
        if d is None or os.path.abspath(d.file) != target_file:
            continue
        for decl in module.decls:
            for prop in decl.props:
                for value in (prop.value, prop.high, prop.at, prop.duration):
                    for node in iter_nodes(value):
                        if isinstance(node, ast.Ref) and node.name == name:
                            out.append(node.span)
                        elif isinstance(node, ast.Call) and node.name == name:
                            out.append(node.name_span)
    return sorted(set(out))


# --- completion ---------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*([A-Za-z_]\w*)\s+([A-Za-z_]\w*)\s*\{")


def _strip(line: str) -> str:
    return re.sub(r'"[^"\n]*"?', '""', line).split("#", 1)[0]


def enclosing_kind(lines: list[str], line: int) -> str | None:
    """The declaration kind whose block holds 0-based ``line`` (text scan, for broken files)."""
    kind = None
    depth = 0
    for i in range(min(line + 1, len(lines))):
        code = _strip(lines[i])
        if i == line:
            break
        m = _HEADER.match(code)
        if m and depth == 0:
            kind = m.group(1)
        depth += code.count("{") - code.count("}")
        if depth <= 0:
            depth = 0
            kind = None
    return kind


def _unclosed_call(prefix: str):
    """(call name, text after its last top-level comma) when the cursor is inside a call."""
    depth = 0
    for i in range(len(prefix) - 1, -1, -1):
        ch = prefix[i]
        if ch in ")]":
            depth += 1
        elif ch in "([":
            if depth == 0:
                if ch == "[":
                    return None
                m = re.search(r"([A-Za-z_]\w*)\s*$", prefix[:i])
                if not m:
                    return None
                inner = prefix[i + 1 :]
                last = re.split(r",", inner)[-1]
                return m.group(1), last
            depth -= 1
    return None


def _item(label, kind, detail=None, doc=None, sort=None, insert=None, snippet=False, edits=None):
    return lsp.CompletionItem(
        label=label,
        kind=kind,
        detail=detail,
        documentation=_md(doc) if doc else None,
        sort_text=sort,
        insert_text=insert,
        insert_text_format=lsp.InsertTextFormat.Snippet if snippet else None,
        additional_text_edits=edits,
    )


_DECL_SNIPPETS = {
    "cell": "cell ${1:name} {\n    format     = cylindrical(diameter = ${2:21.1} mm, height = ${3:70.15} mm)\n"
    "    chemistry  = ${4:nmc811}\n    nominal    = ${5:3.63} V\n    voltage    in ${6:2.5} V .. ${7:4.2} V\n"
    "    capacity   = ${8:4.85} Ah\n    mass       = ${9:70} g\n    resistance = ${10:25} mOhm\n"
    '    discharge  <= ${11:14.55} A\n    source     = "${12:datasheet}"\n}',
    "envelope": "envelope ${1:name} {\n    outline = rect(${2:1900} mm, ${3:1400} mm)\n    height  = ${4:140} mm\n}",
    "pack": "pack ${1:name} {\n    cell    = ${2:m50t}\n    voltage in ${3:330} V .. ${4:370} V\n"
    "    energy  >= ${5:75} kWh\n}",
    "material": "material ${1:name} {\n    role    = ${2:conductor}\n    density = ${3:2700} kg/m3\n"
    '    source  = "${4:handbook}"\n}',
}


def completions(
    state: DocumentState, text: str, position: lsp.Position, workspace_decls=()
) -> list[lsp.CompletionItem]:
    """``workspace_decls``: (kind, name, absolute path) of declarations in the workspace's files."""
    lines = text.split("\n")
    if position.line >= len(lines):
        return []
    line = lines[position.line]
    prefix = line[: position.character]
    if "#" in _strip(prefix) or prefix.count('"') % 2 == 1 and not re.match(r'^\s*use\s+"', prefix):
        return []
    kind = enclosing_kind(lines, position.line)
    # use paths
    m = re.match(r"^\s*use\s+([\w.]*)$", prefix)
    if m and kind is None:
        return _use_completions(state)
    m = re.match(r'^\s*use\s+"([^"]*)$', prefix)
    if m and kind is None:
        return _file_completions(state)
    if kind is None:
        if re.match(r"^\s*\w*$", prefix):
            return [
                _item(
                    k,
                    lsp.CompletionItemKind.Keyword,
                    "declaration" if k != "use" else "import",
                    insert=_DECL_SNIPPETS.get(k),
                    snippet=k in _DECL_SNIPPETS,
                )
                for k in KEYWORDS
            ]
        return []
    props = sc.PROPS.get(kind, {})
    # a property name at the start of a line
    if re.match(r"^\s*\w*$", prefix):
        present = set(re.findall(r"^\s*([A-Za-z_]\w*)", "\n".join(_block_lines(lines, position.line)), re.M))
        out = []
        for i, p in enumerate(sc.KINDS.get(kind, ())):
            if p.name in present and not p.qualified:
                continue
            op = p.ops[0] if p.ops else "="
            out.append(
                _item(
                    p.name,
                    lsp.CompletionItemKind.Property,
                    f"{kind} · {'required' if p.required else 'optional'}",
                    _property_doc(kind, p),
                    sort=f"{0 if p.required else 1}{i:03d}",
                    insert=f"{p.name} {op} ",
                )
            )
        return out
    # units after a number
    m = re.search(r"(?:^|[^\w.])(\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?\s*([A-Za-zµΩ°%][\w/*^\-µΩ°]*)?$", prefix)
    if m and (m.group(2) is not None or prefix.endswith(" ")):
        prop_name = _line_property(prefix)
        dim = None
        if prop_name in props and props[prop_name].kind == sc.QUANTITY:
            dim = props[prop_name].dim
        call = _unclosed_call(prefix)
        if call is not None:
            arg = re.match(r"\s*([A-Za-z_]\w*)\s*=", call[1])
            params = sc.CONSTRUCTORS.get(call[0], sc.CONDUCTOR_PARAMS)
            for p in params:
                if arg and p.name == arg.group(1):
                    dim = p.dim
            if arg is None and (call[0] in sc.SHAPES or call[0] in sc.FORMATS):
                dim = u.LENGTH
        return _unit_completions(dim)
    # inside a constructor call
    call = _unclosed_call(prefix)
    if call is not None:
        name, last = call
        params = sc.CONSTRUCTORS.get(name)
        if params is None and name in _names_of_kind(state, "material", workspace_decls):
            params = sc.CONDUCTOR_PARAMS
        if params is None:
            return []
        am = re.match(r"^\s*([A-Za-z_]\w*)\s*=\s*\w*$", last)
        if am:
            for p in params:
                if p.name == am.group(1):
                    if p.options:
                        return [_item(o, lsp.CompletionItemKind.EnumMember, f"{name}({p.name})") for o in p.options]
                    if p.name == "coolant":
                        return _ref_items(state, "material", workspace_decls, role="coolant")
            return []
        if re.match(r"^\s*\w*$", last):
            used = set(re.findall(r"([A-Za-z_]\w*)\s*=", prefix[prefix.rfind(name + "(") :]))
            return [
                _item(
                    p.name,
                    lsp.CompletionItemKind.Field,
                    f"{name} argument",
                    _param_doc(p),
                    insert=f"{p.name} = ",
                    sort=f"{i:02d}",
                )
                for i, p in enumerate(params)
                if p.name not in used
            ]
        return []
    # a value after the operator
    vm = re.match(r"^\s*([A-Za-z_]\w*)(?:\s+[A-Za-z_]\w*)?\s*(=|>=|<=|in)\s*(\w*)$", prefix)
    if vm:
        prop = props.get(vm.group(1))
        if prop is None:
            return []
        return _value_completions(state, prop, workspace_decls)
    return []


def _block_lines(lines: list[str], line: int) -> list[str]:
    start = line
    while start > 0 and not _HEADER.match(_strip(lines[start])):
        start -= 1
    end = line
    while end + 1 < len(lines) and not _strip(lines[end]).strip().startswith("}"):
        end += 1
    return [lines[i] for i in range(start + 1, end + 1) if i != line]


def _line_property(prefix: str) -> str | None:
    m = re.match(r"^\s*([A-Za-z_]\w*)", prefix)
    return m.group(1) if m else None


def _unit_completions(dim) -> list[lsp.CompletionItem]:
    out = []
    for i, name in enumerate(u.COMMON_UNITS):
        try:
            unit = u.parse_unit(name)
        except u.UnitError:
            continue
        matches = dim is None or unit.dim == dim
        if dim is not None and not matches:
            continue
        what = u.DIM_NAMES.get(unit.dim, u.dim_symbol(unit.dim))
        out.append(_item(name, lsp.CompletionItemKind.Unit, what, sort=f"{0 if matches else 1}{i:03d}"))
    if not out:  # an unusual dimension: offer everything
        return _unit_completions(None)
    return out


def _value_completions(state: DocumentState, prop: sc.Prop, workspace_decls) -> list[lsp.CompletionItem]:
    K = lsp.CompletionItemKind
    if prop.kind == sc.OPTION:
        return [_item(o, K.EnumMember, prop.name) for o in prop.options]
    if prop.kind == sc.REF:
        return _ref_items(state, prop.ref_kind, workspace_decls)
    if prop.kind == sc.SHAPE:
        return [
            _item(n, K.Function, _constructor_doc(n, ps), insert=f"{n}(", sort=f"{i}")
            for i, (n, ps) in enumerate(sc.SHAPES.items())
        ]
    if prop.kind == sc.FORMAT:
        return [_item(n, K.Function, _constructor_doc(n, ps), insert=f"{n}(") for n, ps in sc.FORMATS.items()]
    if prop.kind == sc.COOLING:
        return [_item(n, K.Function, _constructor_doc(n, ps), insert=f"{n}(") for n, ps in sc.COOLINGS.items()] + [
            _item(w, K.EnumMember, "cooling") for w in sc.COOLING_WORDS
        ]
    if prop.kind == sc.CONDUCTOR:
        items = _ref_items(state, "material", workspace_decls, role="conductor")
        for item in items:
            item.insert_text = f"{item.label}(thickness = "
        return items
    if prop.kind == sc.ENCLOSURE:
        return _ref_items(state, "material", workspace_decls, role="structure")
    return []


def _names_of_kind(state: DocumentState, kind: str, workspace_decls) -> set[str]:
    names = set()
    if state.analysis is not None:
        for n, d in state.analysis.lowered.scopes.get(state.analysis.lowered.root, {}).items():
            if d.kind == kind:
                names.add(n)
    names.update(d.name for d in library() if d.kind == kind)
    names.update(n for k, n, _ in workspace_decls if k == kind)
    return names


def _role(decl: ast.Decl) -> str | None:
    for prop in decl.props:
        if prop.name == "role" and isinstance(prop.value, ast.Ref):
            return prop.value.name
    return None


def _ref_items(state: DocumentState, kind: str, workspace_decls, role: str | None = None) -> list[lsp.CompletionItem]:
    """Declarations of ``kind`` in scope, in the workspace and in the library (the latter two
    add the ``use`` line that imports them)."""
    K = lsp.CompletionItemKind.Class if kind == "cell" else lsp.CompletionItemKind.Constant
    out, seen = [], set()
    scope = {}
    if state.analysis is not None:
        scope = state.analysis.lowered.scopes.get(state.analysis.lowered.root, {})
    for name, d in sorted(scope.items()):
        if d.kind != kind or (role and _role(d.decl) not in (role, None)):
            continue
        seen.add(name)
        out.append(
            _item(name, K, f"{kind} · {_short(d.file)}", _declaration_hover(state, d.decl, d.file), sort=f"0{name}")
        )
    insert_at = lsp.Range(lsp.Position(_use_insert_line(state), 0), lsp.Position(_use_insert_line(state), 0))
    for d in library():
        if d.kind != kind or d.name in seen or (role and _role(d.decl) not in (role, None)):
            continue
        seen.add(d.name)
        edit = lsp.TextEdit(insert_at, f"use {d.module}.{d.name}\n")
        out.append(
            _item(
                d.name,
                K,
                f"{kind} · use {d.module}.{d.name}",
                _declaration_hover(state, d.decl, d.path),
                sort=f"1{d.name}",
                edits=[edit],
            )
        )
    for k, name, path in workspace_decls:
        if k != kind or name in seen or same_file(path, state.path):
            continue
        seen.add(name)
        rel = os.path.relpath(path, os.path.dirname(state.path)).replace(os.sep, "/")
        rel = rel if rel.startswith(".") else "./" + rel
        edit = lsp.TextEdit(insert_at, f'use "{rel}"\n')
        out.append(_item(name, K, f"{kind} · {rel}", sort=f"2{name}", edits=[edit]))
    return out


def _use_insert_line(state: DocumentState) -> int:
    module = _root_module(state)
    if module is not None and module.uses:
        return module.uses[-1].span.end_line
    if module is not None and module.items:
        return module.items[0].span.line - 1
    return 0


def _use_completions(state: DocumentState) -> list[lsp.CompletionItem]:
    from battgen.frontend.workspace import library_modules

    out = [_item(m, lsp.CompletionItemKind.Module, "standard library file") for m in library_modules()]
    for d in library():
        out.append(
            _item(
                f"{d.module}.{d.name}",
                lsp.CompletionItemKind.Reference,
                f"{d.kind} in {d.module}",
                _declaration_hover(state, d.decl, d.path),
            )
        )
    return out


def _file_completions(state: DocumentState) -> list[lsp.CompletionItem]:
    folder = Path(state.path).parent
    out = []
    try:
        for p in sorted(folder.rglob("*.batt"))[:200]:
            if p == Path(state.path) or any(part.startswith(".") or part == "node_modules" for part in p.parts):
                continue
            rel = "./" + p.relative_to(folder).as_posix()
            out.append(_item(rel, lsp.CompletionItemKind.File, "file"))
    except OSError:
        pass
    return out


def context_at(state: DocumentState, position: lsp.Position) -> Context:
    line, column = _pos(position)
    return node_at(_root_module(state), line, column)
