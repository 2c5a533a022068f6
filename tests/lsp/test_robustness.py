"""Broken files, rapid edits and bad requests: the server keeps answering, keeps the last good
estimate for hover and inlay hints, drops stale results, and never loads cadquery."""

from __future__ import annotations

import asyncio

import pytest
from lsp_support import EXAMPLES, client, make_doc  # noqa: F401 - the client fixture
from lsprotocol import types as lsp

pytestmark = pytest.mark.asyncio(loop_scope="module")


def sedan_text() -> str:
    return (EXAMPLES / "sedan.batt").read_text(encoding="utf-8")


async def test_unit_typo_squiggle_and_undo(client):
    text = sedan_text()
    doc = make_doc(client, "typo.batt", text)
    clean = await doc.open()
    assert not [d for d in clean if d.severity == lsp.DiagnosticSeverity.Error]
    diagnostics = await doc.change(text.replace("75 kWh", "75 kwh"))
    errors = [d for d in diagnostics if d.severity == lsp.DiagnosticSeverity.Error]
    assert [d.code for d in errors] == ["E301"]
    assert errors[0].range.start == doc.pos("kwh")
    # hover and inlay hints still show the last good estimate
    hover = await client.text_document_hover_async(lsp.HoverParams(doc.ident, doc.pos("pack sedan", 6)))
    assert "kWh" in hover.contents.value and "last" in hover.contents.value
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(doc.ident, lsp.Range(lsp.Position(0, 0), lsp.Position(99, 0)))
    )
    assert any("cells" in h.label for h in hints)
    again = await doc.change(text)
    assert not [d for d in again if d.severity == lsp.DiagnosticSeverity.Error]
    doc.close()


async def test_hover_on_requirement_and_quantity(client):
    doc = make_doc(client, "hover.batt", sedan_text())
    await doc.open()
    hover = await client.text_document_hover_async(lsp.HoverParams(doc.ident, doc.pos("energy           >=", 2)))
    assert "energy" in hover.contents.value and "≥ 75 kWh" in hover.contents.value and "%" in hover.contents.value
    hover = await client.text_document_hover_async(lsp.HoverParams(doc.ident, doc.pos("140 mm", 1)))
    assert "cm" in hover.contents.value and "0.14 m" in hover.contents.value
    hover = await client.text_document_hover_async(lsp.HoverParams(doc.ident, doc.pos("= m50t", 3)))
    assert "cell m50t" in hover.contents.value and "Source:" in hover.contents.value
    doc.close()


async def test_infeasible_requirements_show_as_diagnostics(client):
    text = sedan_text().replace("energy           >= 75 kWh", "energy           >= 750 kWh")
    doc = make_doc(client, "infeasible.batt", text)
    diagnostics = await doc.open()
    assert any(d.code and str(d.code).startswith("E5") for d in diagnostics)
    doc.close()


async def test_rapid_edits_publish_only_the_newest_version(client):
    text = sedan_text()
    doc = make_doc(client, "rapid.batt", text)
    await doc.open()
    client.diagnostics.pop(doc.uri, None)
    for i in range(15):  # a burst of keystrokes; the last one leaves an error
        doc.version += 1
        doc.text = text.replace("75 kWh", f"7{i % 10} kWh") if i < 14 else text.replace("75 kWh", "75 kwhx")
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version=doc.version, uri=doc.uri),
                [lsp.TextDocumentContentChangeWholeDocument(text=doc.text)],
            )
        )
        await asyncio.sleep(0.005)
    # The newest version's diagnostics arrive and stay. (A version the server finished before
    # the next keystroke reached it may be published on the way — on a loaded machine the
    # client's 5 ms apart become more than an analysis — but never after a newer one:
    # tests/lsp/test_hostile_lsp.py checks the order of the published versions.)
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        diagnostics = await doc.wait_diagnostics()
        errors = [d.code for d in diagnostics if d.severity == lsp.DiagnosticSeverity.Error]
        if errors == ["E301"] or asyncio.get_running_loop().time() > deadline:
            break
        client.diagnostics.pop(doc.uri, None)
    assert errors == ["E301"]
    await asyncio.sleep(0.3)
    assert [d.code for d in client.diagnostics[doc.uri] if d.severity == lsp.DiagnosticSeverity.Error] == ["E301"]
    doc.close()


async def test_garbage_files_and_bad_requests(client):
    nasty = [
        "",
        "}}}}\n{{{{\n",
        "pack {\n",
        "cell x {\n    capacity = 1e999 Ah\n    nominal = 1 / 0 V\n}\n",
        'use "../../../../etc/passwd"\nuse nope.nope\n',
        "pack p {\n    cell = p\n    envelope = p\n}\n",
        "\x00\x01 binary \ufeff ü 🔋\n",
        "pack p {\n    energy >= (((((((1 kWh\n",
    ]
    for i, text in enumerate(nasty):
        doc = make_doc(client, f"nasty{i}.batt", text)
        await doc.open()
        for line in range(3):
            for char in (0, 3, 200):
                position = lsp.Position(line, char)
                await client.text_document_hover_async(lsp.HoverParams(doc.ident, position))
                await client.text_document_completion_async(lsp.CompletionParams(doc.ident, position))
                await client.text_document_definition_async(lsp.DefinitionParams(doc.ident, position))
        await client.text_document_inlay_hint_async(
            lsp.InlayHintParams(doc.ident, lsp.Range(lsp.Position(0, 0), lsp.Position(50, 0)))
        )
        await client.text_document_semantic_tokens_full_async(lsp.SemanticTokensParams(doc.ident))
        await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(doc.ident))
        doc.close()
    # a document the server never saw
    ghost = lsp.TextDocumentIdentifier("file:///nowhere/ghost.batt")
    assert await client.text_document_hover_async(lsp.HoverParams(ghost, lsp.Position(0, 0))) is None
    # still alive and correct
    doc = make_doc(client, "alive.batt", sedan_text())
    assert not [d for d in await doc.open() if d.severity == lsp.DiagnosticSeverity.Error]
    doc.close()


async def test_an_open_import_is_seen_unsaved_and_dependents_refresh(client, tmp_path_factory):
    folder = tmp_path_factory.mktemp("imports")
    cell = (EXAMPLES.parent / "stdlib" / "cells" / "lg.batt").read_text().split("cell m50t {")[1].split("\n}\n")[0]
    cells = make_doc(client, "cells.batt", "cell mine {" + cell + "\n}\n", folder)
    pack = make_doc(
        client, "pack.batt", 'use "./cells.batt"\n\npack p {\n    cell = mine\n    energy >= 20 kWh\n}\n', folder
    )
    await cells.open()
    assert not [d for d in await pack.open() if d.severity == lsp.DiagnosticSeverity.Error]
    client.diagnostics.pop(pack.uri, None)
    await cells.change(cells.text.replace("cell mine {", "cell yours {"))  # unsaved rename
    diagnostics = await pack.wait_diagnostics()
    assert any(d.code == "E201" for d in diagnostics)
    cells.close()
    pack.close()


async def test_no_cadquery_in_the_server(client):
    info = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="battgen.serverInfo", arguments=[])
    )
    assert info["cadquery_loaded"] is False
    assert info["analyses"] > 0
