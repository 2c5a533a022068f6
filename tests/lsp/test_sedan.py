"""The language server on examples/sedan.batt: diagnostics, hover, inlay hints, symbols,
definitions, references, formatting, semantic tokens — against the real `battc lsp`."""

from __future__ import annotations

import pytest
import pytest_asyncio
from lsp_support import client, make_doc  # noqa: F401 - the client fixture
from lsprotocol import types as lsp

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def sedan_source():
    from lsp_support import EXAMPLES

    return (EXAMPLES / "sedan.batt").read_text(encoding="utf-8")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sedan(client, sedan_source):
    doc = make_doc(client, "sedan.batt", sedan_source)
    diagnostics = await doc.open()
    doc.initial = diagnostics
    return doc


async def test_diagnostics_match_the_cli(client, sedan):
    from battgen.driver.pipeline import estimate_result

    expected = estimate_result(sedan.path).diagnostics
    got = sedan.initial
    assert sorted((d.code, d.range.start.line + 1) for d in got) == sorted(
        (d.code, d.span.line) for d in expected if d.span.file.endswith("sedan.batt")
    )
    assert all(d.source == "battgen" for d in got)


async def test_hover_on_pack_name_shows_the_estimate(client, sedan):
    result = await client.text_document_hover_async(lsp.HoverParams(sedan.ident, sedan.pos("pack sedan", 6)))
    text = result.contents.value
    assert "kWh" in text and "cells" in text and "Wh/kg" in text
    assert "s" in text and "p," in text  # 91s49p, ...


async def test_inlay_hints(client, sedan):
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(sedan.ident, lsp.Range(lsp.Position(0, 0), lsp.Position(100, 0)))
    )
    labels = [h.label for h in hints]
    energy = [h for h in hints if h.position.line == sedan.pos("energy           >=").line]
    assert energy and "kWh" in energy[0].label and "%" in energy[0].label
    header = [h for h in hints if h.position.line == sedan.pos("pack sedan").line]
    assert header and "cells" in header[0].label, labels
