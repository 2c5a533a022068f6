"""Go to definition, find references and the rename support: what a name (or a ``use`` line)
refers to, and every span that names a declaration."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from battgen.core.diagnostics import Span
from battgen.frontend import ast
from battgen.lsp.analysis import Context, DocumentState, iter_nodes, node_at, span_location
from battgen.lsp.features.common import pos, root_module

if TYPE_CHECKING:
    from battgen.frontend.lower import Definition, Lowered


def resolve(state: DocumentState, name: str, span: Span | None = None) -> Definition | None:
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


def use_target(state: DocumentState, use: ast.Use) -> tuple[Path, str | None] | None:
    """The file a ``use`` line imports, and the declaration it names (None for a whole file)."""
    from battgen.frontend.workspace import ImportTarget, project_root, resolve_use

    importer = Path(state.path)
    target = resolve_use(use, importer, project_root(importer))
    if isinstance(target, ImportTarget):
        return target.path.resolve(), target.name
    return None


# --- definitions --------------------------------------------------------------------------


def definition_at(state: DocumentState, position: lsp.Position) -> tuple[Definition | None, str | None]:
    """(Definition | None, use-target path | None) at the position."""
    module = root_module(state)
    if module is None or state.analysis is None:
        return None, None
    lowered = state.analysis.lowered
    line, column = pos(position)
    ctx = node_at(module, line, column)
    if ctx.use is not None and ctx.on == "use":
        target = use_target(state, ctx.use)
        if target is None:
            return None, None
        path, name = target
        if name is not None:
            for definition in lowered.definitions.values():
                if definition.name == name and os.path.abspath(definition.file) == str(path):
                    return definition, None
        return None, str(path)
    if ctx.decl is None:
        return None, None
    if ctx.on == "name":
        return lowered.scopes.get(lowered.root, {}).get(ctx.decl.name), None
    node = ctx.node
    if isinstance(node, ast.Ref):
        return resolve(state, node.name, node.span), None
    if ctx.on == "call" and isinstance(node, ast.Call):
        return resolve(state, node.name, node.name_span), None
    return None, None


def definition_location(definition: Definition) -> lsp.Location:
    return span_location(definition.name_span)


def references_in(lowered: Lowered, target_file: str, name: str, importer_path: str | None = None) -> list[Span]:
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


def context_at(state: DocumentState, position: lsp.Position) -> Context:
    line, column = pos(position)
    return node_at(root_module(state), line, column)
