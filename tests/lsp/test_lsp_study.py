"""A `study` in the editor, through the real `battc lsp` process: its diagnostics, the hover on
its name, and completion of its properties and of the values inside its lists."""

from __future__ import annotations

import pytest
from lsp_support import client, make_doc  # noqa: F401 - the client fixture
from lsprotocol import types as lsp

pytestmark = pytest.mark.asyncio(loop_scope="module")

STUDY_FILE = """use cells.lg.m50t
use cells.molicel.p45b

pack small {
    cell   = m50t
    series = 4
}

study sweep {
    pack       = small
    cell       = [m50t, p45b]
    layout     = [hex, square]
    objectives = [mass, cost]
}
"""


async def complete(client, doc, position):
    result = await client.text_document_completion_async(lsp.CompletionParams(doc.ident, position))
    items = result.items if isinstance(result, lsp.CompletionList) else result
    return {item.label: item for item in items or []}


async def test_a_study_is_checked_and_hovered(client):
    doc = make_doc(client, "study.batt", STUDY_FILE)
    assert await doc.open() == []
    hover = await client.text_document_hover_async(lsp.HoverParams(doc.ident, doc.pos("study sweep", 7)))
    assert hover is not None
    text = hover.contents.value
    assert "4 variants of pack `small` (2 cell × 2 layout)" in text and "objectives mass, cost" in text
    found = await doc.change(STUDY_FILE.replace("[hex, square]", "[hex, sqare]"))
    (problem,) = found
    assert problem.code == "E214" and problem.range.start == lsp.Position(11, 23)  # `sqare`, 0-based
    assert "did you mean `square`?" in problem.message


async def test_completion_in_a_study(client):
    text = STUDY_FILE.replace("    objectives = [mass, cost]\n", "    objectives = [mass, \n    \n")
    doc = make_doc(client, "complete.batt", text)
    await doc.open()
    inside = await complete(client, doc, doc.pos("[mass, ", 7))
    assert {"temperature", "parts", "welds"} <= set(inside) and "hex" not in inside
    props = await complete(client, doc, lsp.Position(text.split("\n").index("    "), 4))
    assert {"busbar_thickness", "coolant_flow", "search", "budget"} <= set(props)
    assert "cell" not in props  # already set
    cells = await complete(client, doc, doc.pos("[m50t, ", 7))
    assert {"m50t", "p45b", "tesla2170l"} <= set(cells)
