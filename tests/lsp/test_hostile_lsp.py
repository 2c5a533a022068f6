"""The language server answers every request, over raw JSON-RPC to the real `battc lsp`.

A client library never sends a negative character, a line of 2^40, `params: null`, bytes that
are not UTF-8 or a request after `shutdown`; a buggy or hostile one does, and pygls answered
none of those (the client waited forever) and printed tracebacks. Here each gets its answer —
InvalidParams, ParseError, InvalidRequest — and the server goes on serving, with nothing but
one-line log messages on stderr. And analyses run side by side: a document that imports a FIFO
answers at once, and a document of megabytes does not hold a small one's diagnostics back.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from raw_rpc import REPO, RawServer

from battgen.core.limits import MAX_FILE_BYTES

SEDAN = (REPO / "examples" / "sedan.batt").read_text()
INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, METHOD_NOT_FOUND = -32602, -32600, -32700, -32601


@pytest.fixture
def server(tmp_path):
    running = RawServer()
    running.initialize(tmp_path)
    yield running
    if running.proc.poll() is None:
        running.close()


def _hover(uri: str, line, character) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def test_every_request_is_answered_and_nothing_is_a_traceback(server, tmp_path):
    path = tmp_path / "sedan.batt"
    path.write_text(SEDAN)
    uri = path.as_uri()
    server.open(uri, SEDAN)
    assert not [d for d in server.wait_diagnostics(uri) if d["severity"] == 1]

    for params in (_hover(uri, 0, -1), _hover(uri, 2**40, 0), None, {"textDocument": {"uri": uri}}, _hover(uri, -5, 2)):
        reply = server.request("textDocument/hover", params, timeout=20)
        assert reply["error"]["code"] == INVALID_PARAMS, reply
    reply = server.request("textDocument/completion", {"textDocument": None, "position": None}, timeout=20)
    assert reply["error"]["code"] == INVALID_PARAMS
    assert server.request("textDocument/nonsense", {}, timeout=20)["error"]["code"] == METHOD_NOT_FOUND

    never = (tmp_path / "never-opened.batt").as_uri()
    assert server.request("textDocument/semanticTokens/full", {"textDocument": {"uri": never}})["result"] == {
        "data": []
    }
    assert server.request("textDocument/hover", _hover(never, 0, 0))["result"] is None
    assert server.request("textDocument/formatting", {"textDocument": {"uri": never}, "options": {
        "tabSize": 4, "insertSpaces": True}})["result"] == []  # fmt: skip

    # edits: a negative range is dropped (one log line); one beyond the end is clamped to it (LSP
    # 3.17 "Position"); bytes that are not UTF-8 are a ParseError with id null (JSON-RPC 5.1)
    change = {"textDocument": {"uri": uri, "version": 2}, "contentChanges": []}
    bad = {"range": {"start": {"line": -1, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "junk"}
    server.notify("textDocument/didChange", {**change, "contentChanges": [bad]})
    beyond = {
        "range": {"start": {"line": 9000, "character": 0}, "end": {"line": 9001, "character": 7}},
        "text": "\n}\n",
    }
    server.notify(
        "textDocument/didChange", {**change, "textDocument": {"uri": uri, "version": 3}, "contentChanges": [beyond]}
    )
    body = json.dumps({"jsonrpc": "2.0", "id": 999, "method": "textDocument/hover", "params": _hover(uri, 0, 0)})
    server.send_raw(body.encode().replace(b'"textDocument"', b'"text\xffDocument"', 1))
    reply = server.wait(lambda m: m.get("error", {}).get("code") == PARSE_ERROR, timeout=20)
    assert reply["id"] is None
    diagnostics = server.wait_diagnostics(uri, version=3)  # the `}` appended at the end: one stray brace
    codes = [d["code"] for d in diagnostics if d["severity"] == 1]
    assert codes == ["E102"], diagnostics
    line = SEDAN[: SEDAN.index("pack sedan")].count("\n")
    assert "cells" in server.request("textDocument/hover", _hover(uri, line, 6))["result"]["contents"]["value"]

    assert server.request("shutdown", None)["result"] is None
    after = server.request("textDocument/hover", _hover(uri, 0, 0), timeout=20)
    assert after["error"]["code"] == INVALID_REQUEST
    server.notify("exit", None)
    assert server.proc.wait(timeout=20) == 0
    time.sleep(0.1)
    assert not server.tracebacks(), "".join(server.stderr)
    assert server.stderr, "the rejected messages are logged"
    assert all(line.startswith("battgen-lsp ") for line in server.stderr), server.stderr


def test_a_document_importing_a_fifo_answers_and_a_big_one_does_not_hold_a_small_one(server, tmp_path):
    os.mkfifo(tmp_path / "pipe.batt")
    (tmp_path / "batt.toml").write_text("")
    blocked = tmp_path / "blocked.batt"
    blocked.write_text('use "./pipe.batt"\n')
    server.open(blocked.as_uri(), blocked.read_text())
    [diagnostic] = server.wait_diagnostics(blocked.as_uri(), timeout=30)
    assert diagnostic["code"] == "E210" and "FIFO" in diagnostic["message"]

    big = tmp_path / "big.batt"
    cell = SEDAN[SEDAN.index("pack sedan") :].replace("pack sedan", "pack p{i}")
    big.write_text("use cells.lg.m50t\nuse materials.aluminium\n" + "".join(
        cell.replace("{i}", str(i)).replace("envelope = floor", "") for i in range(150)))  # fmt: skip
    small = tmp_path / "small.batt"
    small.write_text("use cells.lg.m50t\n\npack tiny {\n    cell   = m50t\n    energy >= 1 kWh\n}\n")
    server.open(big.as_uri(), big.read_text())
    server.open(small.as_uri(), small.read_text())
    server.wait_diagnostics(small.as_uri(), timeout=60)
    server.wait_diagnostics(big.as_uri(), timeout=120)
    assert server.published[small.as_uri()] < server.published[big.as_uri()]
    assert server.request("textDocument/hover", _hover(small.as_uri(), 2, 6), timeout=20)["result"] is not None
    # exit while the big document is analysed again: the process ends without waiting for it
    server.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": big.as_uri(), "version": 2}, "contentChanges": [{"text": big.read_text() + "\n"}]},
    )
    assert server.request("shutdown", None)["result"] is None
    server.notify("exit", None)
    assert server.proc.wait(timeout=60) == 0
    assert server.versions[big.as_uri()] != 2  # its analysis was abandoned, not waited for


def test_a_document_over_the_size_limit_is_e801_at_once(server, tmp_path):
    huge = tmp_path / "huge.batt"
    text = "# " + "x" * (MAX_FILE_BYTES + 100) + "\n"
    server.open(huge.as_uri(), text)
    [diagnostic] = server.wait_diagnostics(huge.as_uri(), timeout=60)
    assert diagnostic["code"] == "E801" and f"{MAX_FILE_BYTES:,}" in diagnostic["message"]
    assert server.request("textDocument/semanticTokens/full", {"textDocument": {"uri": huge.as_uri()}})["result"] == {
        "data": []
    }


def test_lone_surrogates_and_control_characters_in_a_buffer(server, tmp_path):
    path = tmp_path / "odd.batt"
    text = 'pack p {\n    cell = \ud800\x1b[2J\n    source = "\u202e"\n}\n'
    server.open(path.as_uri(), text)
    codes = {d["code"] for d in server.wait_diagnostics(path.as_uri())}
    assert "E101" in codes and "E901" not in codes
    reply = server.request("textDocument/semanticTokens/full", {"textDocument": {"uri": path.as_uri()}})
    assert "result" in reply
    assert not server.tracebacks()


def test_a_burst_of_edits_is_never_answered_with_an_older_version(server, tmp_path):
    """Keystrokes 2 ms apart, several bursts: the versions published for the document only ever
    increase (a stale analysis is dropped, never published after a newer one), and the last one
    published is the last one typed, with its error."""
    path = tmp_path / "burst.batt"
    path.write_text(SEDAN)
    uri = path.as_uri()
    server.open(uri, SEDAN)
    server.wait_diagnostics(uri, version=1)
    version = 1
    for burst in range(4):
        for i in range(12):
            version += 1
            last = burst == 3 and i == 11
            text = SEDAN.replace("75 kWh", "75 kwhx" if last else f"7{i % 10} kWh")
            change = {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}
            server.notify("textDocument/didChange", change)
            time.sleep(0.002)
        time.sleep(0.05)
    final = server.wait_diagnostics(uri, version=version, timeout=60)
    assert [d["code"] for d in final if d["severity"] == 1] == ["E301"]
    time.sleep(0.3)
    published = server.history[uri]
    assert published == sorted(published) and len(set(published)) == len(published), published
    assert published[-1] == version
