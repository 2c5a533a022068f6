"""The editor features as pure functions of a document's state (no protocol, no I/O).

Each takes a ``DocumentState`` (its newest ``Analysis`` and last good syntheses) and a
position, and returns lsprotocol values. Positions in arguments are LSP positions (0-based line
and character). One module per feature: ``hover``, ``completion``, ``tokens`` (semantic
tokens), ``symbols`` (document and workspace symbols), ``definitions`` (definition, references,
rename), ``inlay`` (inlay hints), ``fixes`` (diagnostics, quick fixes, formatting), and
``common`` for what they share (numbers for people, a pack's requirement lines). The features
that read text as it is typed lex it with ``battgen.frontend.tokens``.
"""

from battgen.lsp.features.common import (
    REQUIREMENTS,
    STALE,
    as_built_line,
    built_notification,
    margin,
    pack_summary,
    qty,
    requirement_lines,
    requirement_text,
)
from battgen.lsp.features.completion import DECL_KINDS, KEYWORDS, completions, enclosing_kind
from battgen.lsp.features.definitions import (
    context_at,
    definition_at,
    definition_location,
    references_in,
    resolve,
)
from battgen.lsp.features.fixes import document_diagnostics, format_document, quick_fixes, to_lsp_diagnostic
from battgen.lsp.features.hover import hover, quantity_hover
from battgen.lsp.features.inlay import inlay_hints
from battgen.lsp.features.symbols import SYMBOL_KIND, document_symbols, workspace_symbols
from battgen.lsp.features.tokens import TOKEN_MODIFIERS, TOKEN_TYPES, declared_names, semantic_tokens

__all__ = [
    "DECL_KINDS",
    "KEYWORDS",
    "REQUIREMENTS",
    "STALE",
    "SYMBOL_KIND",
    "TOKEN_MODIFIERS",
    "TOKEN_TYPES",
    "as_built_line",
    "built_notification",
    "completions",
    "context_at",
    "declared_names",
    "definition_at",
    "definition_location",
    "document_diagnostics",
    "document_symbols",
    "enclosing_kind",
    "format_document",
    "hover",
    "inlay_hints",
    "margin",
    "pack_summary",
    "qty",
    "quantity_hover",
    "quick_fixes",
    "references_in",
    "requirement_lines",
    "requirement_text",
    "resolve",
    "semantic_tokens",
    "to_lsp_diagnostic",
    "workspace_symbols",
]
