"""As-built feedback through a real `battc lsp` over stdio: the build stages run in a worker
process after the front end's diagnostics, their diagnostics are the CLI's on the CLI's spans,
hover and completion are answered while a build runs, and a newer edit makes the older build
give way (only the newest version's as-built diagnostics are published).

The order of events is what is asserted, never a wall-clock time: every notification and reply
the client receives is appended to one log as it arrives."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys

import pytest
import pytest_lsp
from lsp_support import EXAMPLES, REPO, SERVER, Doc
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

# The sedan pinned to 96s45p (the design loop cannot add cells in parallel) in a 3 mm wall (the
# layout whose currents these figures are): at 150 kW its most loaded cell stays inside the
# M50T's 14.55 A; at 180 kW synthesis's estimate (13.84 A) still fits, but the routed pack shares
# current unevenly and the worst cell carries 14.64 A: only the build can say so.
PINNED = re.sub(
    r"wall +=[^\n]*",
    "wall    = 3 mm",
    (EXAMPLES / "sedan.batt")
    .read_text(encoding="utf-8")
    .replace("    cell     = m50t\n", "    cell     = m50t\n    series   = 96\n    parallel = 45\n"),
)
POWER = "power            >= 200 kW for 10 s"


def pinned(power_kw: int, gap: str = "1 mm") -> str:
    return PINNED.replace(POWER, f"power            >= {power_kw} kW for 10 s").replace(
        "gap      = 1 mm", f"gap      = {gap}"
    )


def _get(params, name):
    return params.get(name) if isinstance(params, dict) else getattr(params, name, None)


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path_factory):
    root = tmp_path_factory.mktemp("live")
    lsp_client.root = root
    lsp_client.events = []  # (kind, uri, version, params) in the order they arrived

    @lsp_client.feature("battgen/building")
    def building(params):
        lsp_client.events.append(("building", _get(params, "uri"), _get(params, "version"), params))

    @lsp_client.feature("battgen/built")
    def built(params):
        lsp_client.events.append(("built", _get(params, "uri"), _get(params, "version"), params))

    await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=root.as_uri())
    )
    yield
    await lsp_client.shutdown_session()


async def _until(condition, what: str, timeout: float = 300.0):
    """Poll ``condition`` until true (the timeout only ends a hung test; nothing is timed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (found := condition()):
        if loop.time() > deadline:
            raise TimeoutError(f"no {what}")
        await asyncio.sleep(0.02)
    return found


def _built(client, doc: Doc, version: int):
    return [e for e in client.events if e[0] == "built" and e[1] == doc.uri and e[2] == version]


async def _as_built(client, doc: Doc) -> list[lsp.Diagnostic]:
    """The diagnostics published with the build of the document's current version (the server
    publishes them, then sends ``battgen/built``)."""
    events = await _until(lambda: _built(client, doc, doc.version), f"build of version {doc.version}")
    assert _get(events[-1][3], "current")
    at = client.events.index(events[-1])
    published = [e for e in client.events[:at] if e[0] == "published" and e[1] == doc.uri and e[2] == doc.version]
    return list(published[-1][3].diagnostics)


def _cli_diagnostics(path) -> list[dict]:
    """``battc FILE --no-cad --format json``: the build's diagnostics as the CLI prints them."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "battgen",
            str(path),
            "--no-cad",
            "--no-cache",
            "--format",
            "json",
            "--out",
            str(path.parent / "out"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)["diagnostics"]


def _open(client, name: str, text: str) -> Doc:
    path = client.root / name
    path.write_text(text, encoding="utf-8")
    doc = Doc(client, path, text)
    return doc


def _track_versions(client) -> None:
    """Record the version of every publishDiagnostics (the harness keeps only the list)."""
    if hasattr(client, "published_version"):
        return
    client.published_version = {}  # also the marker that the wrapper is in place
    handler = client.protocol.fm.features["textDocument/publishDiagnostics"]

    def publish(params: lsp.PublishDiagnosticsParams):
        client.published_version[params.uri] = params.version
        client.events.append(("published", params.uri, params.version, params))
        return handler(params)

    client.protocol.fm.features["textDocument/publishDiagnostics"] = publish


async def test_raising_power_over_a_cell_rating_gives_the_cli_as_built_diagnostic(client):
    _track_versions(client)
    doc = _open(client, "power.batt", pinned(150))
    await doc.open()
    first = await _as_built(client, doc)
    assert not [d for d in first if d.severity == lsp.DiagnosticSeverity.Error], first

    await doc.change(pinned(180))  # the front end and synthesis see nothing wrong ...
    front = [d for d in client.diagnostics[doc.uri] if d.severity == lsp.DiagnosticSeverity.Error]
    assert not front
    built = await _as_built(client, doc)  # ... the pack as built does
    codes = [d.code for d in built]
    assert "E711" in codes, codes
    (over,) = [d for d in built if d.code == "E711"]
    assert over.range.start.line == doc.pos("power            >=").line
    assert "14.55 A" in over.message

    doc.path.write_text(doc.text, encoding="utf-8")
    cli = [d for d in _cli_diagnostics(doc.path) if d["file"].endswith("power.batt")]
    assert sorted(
        (d["code"], d["line"], d["column"], d["end_line"], d["end_column"], d["message"]) for d in cli
    ) == sorted(
        (
            d.code,
            d.range.start.line + 1,
            d.range.start.character + 1,
            d.range.end.line + 1,
            d.range.end.character + 1,
            d.message.split("\nhint: ")[0],
        )
        for d in built
    )

    hover = await client.text_document_hover_async(lsp.HoverParams(doc.ident, doc.pos("pack sedan", 6)))
    text = hover.contents.value
    assert "as built: 96s45p" in text and "worst cell" in text and "of 14.55 A" in text and "hottest cell" in text
    assert "stale" not in text
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(doc.ident, lsp.Range(lsp.Position(0, 0), lsp.Position(99, 0)))
    )
    assert any("as built: 96s45p" in h.label for h in hints)
    doc.close()


async def test_hover_and_completion_are_answered_while_a_build_runs(client):
    _track_versions(client)
    doc = _open(client, "busy.batt", pinned(150))
    await doc.open()
    await _as_built(client, doc)
    # a gap no build has seen: layout and everything after it run again (seconds)
    await doc.change(pinned(150, "1.3 mm"))
    await _until(
        lambda: [
            e
            for e in client.events
            if e[0] == "building" and e[1] == doc.uri and e[2] == doc.version and _get(e[3], "stage") == "layout"
        ],
        "layout stage",
    )
    hover = await client.text_document_hover_async(lsp.HoverParams(doc.ident, doc.pos("pack sedan", 6)))
    client.events.append(("hover answered", doc.uri, doc.version, None))
    items = await client.text_document_completion_async(lsp.CompletionParams(doc.ident, doc.pos("    layout   =", 4)))
    client.events.append(("completion answered", doc.uri, doc.version, None))
    assert items is not None and items.items
    text = hover.contents.value
    # the figures shown are the previous build's, and say so; the stage under way is named
    assert "as built: 96s45p" in text and "(stale: from the version before your last edit)" in text
    assert "building:" in text
    await _as_built(client, doc)
    kinds = [e[0] for e in client.events if e[1] == doc.uri and e[2] == doc.version]
    assert kinds.index("hover answered") < kinds.index("built"), kinds
    assert kinds.index("completion answered") < kinds.index("built"), kinds
    hover = await client.text_document_hover_async(lsp.HoverParams(doc.ident, doc.pos("pack sedan", 6)))
    assert "as built: 96s45p" in hover.contents.value and "stale" not in hover.contents.value
    doc.close()


async def test_a_newer_edit_makes_the_older_build_give_way(client):
    _track_versions(client)
    info = lambda: client.workspace_execute_command_async(  # noqa: E731
        lsp.ExecuteCommandParams(command="battgen.serverInfo", arguments=[])
    )
    doc = _open(client, "newer.batt", pinned(150))
    await doc.open()
    await _as_built(client, doc)
    before = (await info())["builds"]
    await doc.change(pinned(180, "1.2 mm"))  # over the rating: its build would publish E711
    older = doc.version
    await _until(
        lambda: [
            e
            for e in client.events
            if e[0] == "building" and e[1] == doc.uri and e[2] == older and _get(e[3], "stage") == "layout"
        ],
        "layout stage of the older version",
    )
    await doc.change(pinned(150, "1.2 mm"))
    newest = await _as_built(client, doc)
    assert "E711" not in [d.code for d in newest]
    assert not _built(client, doc, older), "the older build finished instead of giving way"
    published = [e[3] for e in client.events if e[0] == "published" and e[1] == doc.uri and e[2] == older]
    assert published and not [d for p in published for d in p.diagnostics if d.code == "E711"]
    after = (await info())["builds"]
    assert after["abandoned"] > before["abandoned"]
    doc.close()


async def test_the_server_process_loads_no_build_module(client):
    info = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="battgen.serverInfo", arguments=[])
    )
    # after the builds above: they ran in the worker, the server loaded none of their modules
    assert info["builds"]["finished"] >= 5
    assert info["cadquery_loaded"] is False and info["build_modules_loaded"] == []
    assert info["build_worker_pid"] not in (None, info["pid"])


async def test_the_preview_sends_the_build_s_pictures(client):
    """`battgen/preview` on: the document is built again (from the cache) and its pictures
    come as `battgen/pictures`, the SVG files the build folder holds."""
    _track_versions(client)
    if "battgen/pictures" not in client.protocol.fm.features:

        @client.feature("battgen/pictures")
        def on_pictures(params):
            client.events.append(("pictures", _get(params, "uri"), _get(params, "version"), params))

    doc = _open(client, "preview.batt", pinned(150))
    await doc.open()
    await _as_built(client, doc)
    client.protocol.notify("battgen/preview", {"enabled": True, "uri": doc.uri})
    found = await _until(
        lambda: [e for e in client.events if e[0] == "pictures" and e[1] == doc.uri and e[2] == doc.version],
        "pictures",
    )
    (pack,) = _get(found[-1][3], "packs")
    assert _get(pack, "name") == "sedan"
    files = {_get(p, "file"): _get(p, "svg") for p in _get(pack, "pictures")}
    assert sorted(files) == ["busbars.svg", "layout.svg", "temperatures.svg"]
    for name, svg in files.items():
        assert "<svg" in svg[:500] and svg.rstrip().endswith("</svg>"), name
    assert "96s45p" in files["layout.svg"]
    client.protocol.notify("battgen/preview", {"enabled": False})
    doc.close()


async def test_a_build_worker_that_dies_is_started_again(client):
    import os
    import signal

    _track_versions(client)
    info = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="battgen.serverInfo", arguments=[])
    )
    os.kill(info["build_worker_pid"], signal.SIGKILL)
    doc = _open(client, "after.batt", pinned(150, "1.1 mm"))
    await doc.open()
    built = await _as_built(client, doc)
    assert not [d for d in built if d.severity == lsp.DiagnosticSeverity.Error]
    after = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="battgen.serverInfo", arguments=[])
    )
    assert after["builds"]["restarts"] > info["builds"]["restarts"]
    assert after["build_worker_pid"] not in (None, info["build_worker_pid"], after["pid"])
    doc.close()
