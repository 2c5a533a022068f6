"""Document symbols (the outline: ``use`` lines, declarations and their properties) and
workspace symbols (declarations in the workspace's files and the standard library)."""

from __future__ import annotations

import os
from pathlib import Path

from lsprotocol import types as lsp

from battgen.core import units as u
from battgen.core.diagnostics import Span
from battgen.frontend import ast
from battgen.lsp.analysis import DocumentState, library, span_range
from battgen.lsp.features.common import qty

# --- symbols ------------------------------------------------------------------------------

SYMBOL_KIND = {
    "cell": lsp.SymbolKind.Class,
    "material": lsp.SymbolKind.Constant,
    "envelope": lsp.SymbolKind.Struct,
    "pack": lsp.SymbolKind.Module,
    "study": lsp.SymbolKind.Event,
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

    def add(name: str, kind: str, path: str, span: Span, container: str) -> None:
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
