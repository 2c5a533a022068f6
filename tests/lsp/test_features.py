"""Completion, navigation, rename, symbols, formatting, semantic tokens and quick fixes,
against the real `battc lsp` process, on examples/sedan.batt and small files in tmp dirs."""

from __future__ import annotations

import pytest
import pytest_asyncio
from lsp_support import EXAMPLES, client, make_doc  # noqa: F401 - the client fixture
from lsprotocol import types as lsp

pytestmark = pytest.mark.asyncio(loop_scope="module")

CELL_FILE = """cell mycell {
    format     = cylindrical(diameter = 21.1 mm, height = 70.15 mm)
    chemistry  = nmc811
    nominal    = 3.63 V
    voltage    in 2.5 V .. 4.2 V
    capacity   = 4.85 Ah
    mass       = 70 g
    resistance = 25 mOhm
    discharge  <= 14.55 A
    source     = "test"
}
"""

PACK_FILE = """use "./cells.batt"

pack small {
    cell    = mycell
    voltage in 40 V .. 52 V
    energy  >= 2 kWh
}
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sedan(client):
    doc = make_doc(client, "sedan.batt", (EXAMPLES / "sedan.batt").read_text(encoding="utf-8"))
    await doc.open()
    return doc


async def complete(client, doc, position):
    result = await client.text_document_completion_async(lsp.CompletionParams(doc.ident, position))
    items = result.items if isinstance(result, lsp.CompletionList) else result
    return {item.label: item for item in items or []}


async def test_completion_keywords_at_top_level(client):
    doc = make_doc(client, "kw.batt", "\n")
    await doc.open()
    items = await complete(client, doc, lsp.Position(0, 0))
    assert {"cell", "envelope", "pack", "material", "use"} <= set(items)


async def test_completion_properties_of_the_declaration(client):
    doc = make_doc(client, "props.batt", "pack p {\n    cell = m50t\n    \n}\n")
    await doc.open()
    items = await complete(client, doc, lsp.Position(2, 4))
    assert "energy" in items and "voltage" in items and "optimise" in items
    assert "cell" not in items  # already set
    assert "chemistry" not in items  # a cell property, not a pack one
    assert items["energy"].documentation is not None


async def test_completion_units_after_a_number(client):
    doc = make_doc(client, "units.batt", "pack p {\n    energy >= 75 \n}\n")
    await doc.open()
    items = await complete(client, doc, lsp.Position(1, 17))
    assert "kWh" in items and "Wh" in items
    assert "mm" not in items  # the property wants an energy


async def test_completion_cells_from_the_library_add_the_import(client):
    doc = make_doc(client, "cells.batt", "pack p {\n    cell = \n}\n")
    await doc.open()
    items = await complete(client, doc, lsp.Position(1, 11))
    assert "m50t" in items and "e78" in items
    edits = items["m50t"].additional_text_edits
    assert edits and edits[0].new_text == "use cells.lg.m50t\n"


async def test_completion_options_and_constructor_arguments(client):
    doc = make_doc(client, "opts.batt", "pack p {\n    fuse = \n    cooling = cold_plate(\n}\n")
    await doc.open()
    items = await complete(client, doc, lsp.Position(1, 11))
    assert {"per_cell", "per_group", "none"} <= set(items)
    items = await complete(client, doc, lsp.Position(2, 25))
    assert {"side", "coolant", "flow"} <= set(items)


async def test_completion_use_paths(client):
    doc = make_doc(client, "usepath.batt", "use \n")
    await doc.open()
    items = await complete(client, doc, lsp.Position(0, 4))
    assert "cells.lg" in items and "cells.lg.m50t" in items and "materials" in items


async def test_definition_into_the_standard_library(client, sedan):
    result = await client.text_document_definition_async(
        lsp.DefinitionParams(sedan.ident, sedan.pos("m50t\n    envelope", 1))
    )
    location = result[0] if isinstance(result, list) else result
    assert location.uri.endswith("stdlib/cells/lg.batt")
    stdlib_text = (EXAMPLES.parent / "stdlib" / "cells" / "lg.batt").read_text().split("\n")
    assert "cell m50t" in stdlib_text[location.range.start.line]


async def test_definition_and_references_in_the_file(client, sedan):
    result = await client.text_document_definition_async(lsp.DefinitionParams(sedan.ident, sedan.pos("= floor", 3)))
    location = result[0] if isinstance(result, list) else result
    assert location.uri == sedan.uri and location.range.start.line == sedan.pos("envelope floor").line
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            context=lsp.ReferenceContext(include_declaration=True),
            text_document=sedan.ident,
            position=sedan.pos("envelope floor", 10),
        )
    )
    assert sorted(r.range.start.line for r in refs) == [sedan.pos("envelope floor").line, sedan.pos("= floor").line]


async def test_document_and_workspace_symbols(client, sedan):
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(sedan.ident))
    names = [s.name for s in symbols]
    assert "floor" in names and "sedan" in names
    pack = next(s for s in symbols if s.name == "sedan")
    assert "energy" in [c.name for c in pack.children]
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="m50"))
    assert {"m50", "m50t"} <= {s.name for s in found}


async def test_rename_across_files(client, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rename")
    cells = make_doc(client, "cells.batt", CELL_FILE, folder)
    pack = make_doc(client, "pack.batt", PACK_FILE, folder)
    await cells.open()
    await pack.open()
    prepared = await client.text_document_prepare_rename_async(
        lsp.PrepareRenameParams(pack.ident, pack.pos("= mycell", 3))
    )
    assert prepared is not None
    edit = await client.text_document_rename_async(
        lsp.RenameParams(pack.ident, pack.pos("= mycell", 3), new_name="bigcell")
    )
    assert set(edit.changes) == {cells.uri, pack.uri}
    assert [e.new_text for e in edit.changes[cells.uri]] == ["bigcell"]
    assert edit.changes[cells.uri][0].range.start == lsp.Position(0, 5)
    assert edit.changes[pack.uri][0].range.start == pack.pos("mycell")
    cells.close()
    pack.close()


async def test_rename_refuses_the_standard_library(client, sedan):
    with pytest.raises(Exception):
        await client.text_document_rename_async(lsp.RenameParams(sedan.ident, sedan.pos("= m50t", 2), new_name="x"))


async def test_formatting(client):
    doc = make_doc(client, "fmt.batt", "pack p {\n  cell=m50t\n    energy >= 75 kWh\n}\n")
    await doc.open()
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(doc.ident, lsp.FormattingOptions(tab_size=4, insert_spaces=True))
    )
    assert len(edits) == 1
    assert edits[0].new_text == "pack p {\n    cell   = m50t\n    energy >= 75 kWh\n}\n"
    broken = make_doc(client, "fmt_broken.batt", "pack p {\n  cell = = m50t\n}\n")
    await broken.open()
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(broken.ident, lsp.FormattingOptions(tab_size=4, insert_spaces=True))
    )
    assert not edits


async def test_semantic_tokens(client, sedan):
    from battgen.lsp.features.tokens import TOKEN_TYPES

    result = await client.text_document_semantic_tokens_full_async(lsp.SemanticTokensParams(sedan.ident))
    data = result.data
    assert len(data) % 5 == 0 and data
    lines = sedan.text.split("\n")
    tokens, line, col = [], 0, 0
    for i in range(0, len(data), 5):
        dl, dc, length, kind, _ = data[i : i + 5]
        line += dl
        col = col + dc if dl == 0 else dc
        tokens.append((lines[line][col : col + length], TOKEN_TYPES[kind]))
    assert ("pack", "keyword") in tokens and ("sedan", "class") in tokens
    assert ("energy", "property") in tokens and ("75", "number") in tokens and ("kWh", "type") in tokens
    assert ("rect", "function") in tokens and ("hex", "enumMember") in tokens
    assert any(kind == "comment" for _, kind in tokens)
    assert ("side", "parameter") in tokens


async def test_quick_fix_from_diagnostic_fixes(client):
    doc = make_doc(client, "fix.batt", "use cells.lg.m50t\n\npakc p {\n    cell = m50t\n}\n")
    diagnostics = await doc.open()
    e203 = [d for d in diagnostics if d.code == "E203"]
    assert e203
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(doc.ident, e203[0].range, lsp.CodeActionContext(diagnostics=e203))
    )
    assert actions and actions[0].kind == lsp.CodeActionKind.QuickFix
    edit = actions[0].edit.changes[doc.uri][0]
    assert edit.new_text == "pack" and edit.range == e203[0].range


async def test_related_information(client):
    doc = make_doc(
        client,
        "dup.batt",
        "envelope e {\n    outline = rect(1 m, 1 m)\n    height = 1 m\n}\n\n"
        "envelope e {\n    outline = rect(1 m, 1 m)\n    height = 1 m\n}\n",
    )
    diagnostics = await doc.open()
    dup = [d for d in diagnostics if d.code == "E202"]
    assert dup and dup[0].related_information
    assert dup[0].related_information[0].location.range.start.line == 0


async def test_hover_says_the_modules_as_built(client):
    """The Chevrolet Bolt's 10 modules of two sizes (`module_series`): the pack's hover says what
    is built, by size, in the words `battc estimate` prints (one wording for both,
    ``Candidate.modules_text``), not the largest module's 10s as if all were alike."""
    import os
    import subprocess
    import sys

    text = (EXAMPLES / "validation" / "chevrolet_bolt_60.batt").read_text(encoding="utf-8")
    doc = make_doc(client, "bolt.batt", text)
    await doc.open()
    result = await client.text_document_hover_async(lsp.HoverParams(doc.ident, doc.pos("pack chevrolet_bolt_60", 6)))
    hover = result.contents.value
    assert "10 modules: 8 × 10s3p + 2 × 8s3p" in hover
    assert "s per module" not in hover and "10s each" not in hover
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "battgen", "estimate", str(doc.path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "10 modules: 8 × 10s3p + 2 × 8s3p" in " ".join(run.stdout.split()), run.stdout + run.stderr
