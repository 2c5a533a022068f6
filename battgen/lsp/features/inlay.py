"""Inlay hints: a pack's chosen design after its header (and, once built, the pack as built),
and the estimate with its margin after each requirement line."""

from __future__ import annotations

import math

from lsprotocol import types as lsp

from battgen.core import units as u
from battgen.lsp.analysis import DocumentState
from battgen.lsp.features.common import (
    REQUIREMENTS,
    STALE,
    as_built_line,
    margin,
    md,
    pack_summary,
    pct,
    qty,
    requirement_lines,
    requirement_text,
    root_module,
)

# --- inlay hints --------------------------------------------------------------------------


def inlay_hints(state: DocumentState, rng: lsp.Range | None = None) -> list[lsp.InlayHint]:
    module = root_module(state)
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
        hints.append(lsp.InlayHint(header, label, padding_left=True, tooltip=md(pack_summary(c))))
        built, old = state.built_pack(decl.name)
        if built is not None:
            text = "· " + as_built_line(built) + (" (stale)" if old else "")
            hints.append(lsp.InlayHint(header, text, padding_left=True, tooltip=STALE if old else None))
        for prop, low, high in requirement_lines(state, decl):
            if not first <= prop.span.end_line <= last:
                continue
            value = c.value(prop.name)
            dim = REQUIREMENTS[prop.name]
            m = margin(low, high, value)
            text = f"≈ {qty(value, dim)} ({pct(m)})" if math.isfinite(m) else f"≈ {qty(value, dim)}"
            end = lsp.Position(prop.span.end_line - 1, prop.span.end_column - 1)
            hints.append(
                lsp.InlayHint(end, text, padding_left=True, tooltip=requirement_text(prop.name, low, high, value))
            )
        for prop in decl.props:
            if prop.name == "modules" and first <= prop.span.end_line <= last:
                end = lsp.Position(prop.span.end_line - 1, prop.span.end_column - 1)
                hints.append(lsp.InlayHint(end, f"= {c.modules_text}", padding_left=True))
    return hints
