"""The battgen language server (``battc lsp``).

``server`` is the protocol door (pygls): document sync, debounced analysis off the protocol
thread, and one handler per LSP feature. The handlers call pure functions in the ``features``
package (a module per feature), which compute hover text, completion items, symbols, inlay
hints, semantic tokens, edits and locations from an ``Analysis`` of a document (the same
``estimate_result`` the CLI runs), so they are unit-testable without the protocol; the ones
that read text as it is typed lex it with ``battgen.frontend.tokens``. ``incremental`` parses
a buffer piece by piece. ``builds`` runs the build stages (no CAD) of the edited document in a
worker process, for the as-built diagnostics and figures. ``analysis`` holds the per-document state and the mapping between
battgen spans (1-based, display paths) and LSP ranges (0-based, URIs).
"""
