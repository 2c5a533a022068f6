"""Diagnostics in LSP form, the quick fixes (code actions) they carry, and formatting edits:
the features that hand the editor edits to apply."""

from __future__ import annotations

from lsprotocol import types as lsp

from battgen.core.diagnostics import Diagnostic, Severity
from battgen.lsp.analysis import DocumentState, same_file, span_location, span_range, uri_for

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
    """The document's diagnostics: the build's (every one ``battc FILE`` prints) when the newest
    build is of the analysed text, else the front end's and synthesis's (``battc check``'s)."""
    analysis = state.analysis
    if analysis is None:
        return []
    built = state.current_build()
    if built is not None:
        return [(to_lsp_diagnostic(d), d) for d in built.diagnostics if same_file(d.span.file, state.path)]
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
