"""What several editor features share: LSP positions and markdown, numbers written for people
(``qty``), and a pack's requirement lines with their margins (hover, inlay hints and symbols
all show them the same way)."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from battgen.core import schema as sc
from battgen.core import units as u
from battgen.frontend import ast
from battgen.lsp.analysis import DocumentState

if TYPE_CHECKING:
    from battgen.passes.synthesis import Candidate

# (property, SI lower bound, SI upper bound) of a requirement line
RequirementLine = tuple[ast.Property, float | None, float | None]

# Requirement names of ``ir.Pack.requirements`` (and ``Candidate.value``) with their dimension,
# from the schema (the one place requirements are declared)
REQUIREMENTS: dict[str, u.Dim] = {name: sc.PROPS["pack"][name].dim for name in sc.REQUIREMENTS}


def pos(position: lsp.Position) -> tuple[int, int]:
    return position.line + 1, position.character + 1


def md(text: str) -> lsp.MarkupContent:
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


def pack_summary(candidate: Candidate) -> str:
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


def pct(m: float) -> str:
    if not math.isfinite(m):
        return ""
    return f"{'+' if m >= 0 else '−'}{abs(m) * 100:.1f}%"


def requirement_text(name: str, low: float | None, high: float | None, value: float) -> str:
    """``energy 77.3 kWh ≥ 75 kWh, +3.1%``."""
    dim = REQUIREMENTS.get(name, u.DIMENSIONLESS)
    m = margin(low, high, value)
    shown = qty(value, dim)
    if low is not None and high is not None:
        rel = f"in {qty(low, dim)} .. {qty(high, dim)}"
    elif low is not None:
        rel = f"{'≥' if value >= low else '<'} {qty(low, dim)}"
    elif high is not None:
        rel = f"{'≤' if value <= high else '>'} {qty(high, dim)}"
    else:  # a requirement states a bound: no line without one
        rel = ""
    text = f"{name} {shown} {rel}, {pct(m)}"
    if m < 0:
        text += " (not met)"
    return text


# --- requirement lines of a pack ----------------------------------------------------------


def _literal(node: ast.Node | None) -> float | None:
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


def requirement_lines(state: DocumentState, decl: ast.Decl) -> list[RequirementLine]:
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


def root_module(state: DocumentState) -> ast.Module | None:
    return state.analysis.module if state.analysis else None


# --- the pack as built -----------------------------------------------------------------------

STALE = "(stale: from the version before your last edit)"


def as_built_line(pack) -> str:
    """``as built: 96s50p, 512 kg, hottest cell 41 °C, worst cell 14.1 A of 14.55 A`` from a
    ``lsp.builds.BuiltPack``."""
    parts = [pack.label] if pack.label else []
    if pack.mass is not None:
        parts.append(qty(pack.mass, u.MASS))
    if pack.hottest is not None:
        parts.append(f"hottest cell {pack.hottest - 273.15:.0f} °C")
    if pack.worst_current is not None:
        worst = f"worst cell {qty(pack.worst_current, u.CURRENT)}"
        if pack.rating is not None:
            worst += f" of {u.format_quantity(pack.rating, u.CURRENT)}"
        parts.append(worst)
    return "as built: " + ", ".join(parts)


def built_notification(state: DocumentState, built, current: bool) -> dict:
    """The ``battgen/built`` notification of a finished build (``lsp.builds.Built``): what the
    editor's status bar and preview show. ``current``: the build is of the newest text."""
    own = [d for d in built.diagnostics if os.path.abspath(d.span.file) == os.path.abspath(state.path)]
    return {
        "uri": state.uri,
        "version": built.version,
        "current": current,
        "seconds": round(built.seconds, 3),
        "cached": built.hits,
        "ran": built.misses,
        "errors": sum(d.is_error for d in own),
        "warnings": sum(not d.is_error for d in own),
        "packs": [{"name": p.name, "summary": as_built_line(p), "passed": p.passed} for p in built.packs],
    }
