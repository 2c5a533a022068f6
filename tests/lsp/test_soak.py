"""Soak: 10,000 random edits and requests against a real `battc lsp`, then its memory.

Three documents (two examples and a broken file) take random incremental edits — text typed
and deleted anywhere, hostile characters, a few positions beyond the end (clamped) or negative
(refused) — interleaved with every kind of request at random positions, some with invalid
params. Everything is pipelined in batches of 100, as an editor does while the user types.
Every request must get exactly one answer (invalid params: InvalidParams; nothing may be an
internal error); at the end the server's text must equal the client's, character for
character (checked through the positions of its semantic tokens), each document's diagnostics
must be those of its final text, the server's resident memory may not have grown by more than
``MEMORY_GROWTH_MIB`` since the first batches, and its stderr may hold no traceback.
"""

from __future__ import annotations

import random

from raw_rpc import REPO, RawServer

from battgen.lsp import features as F

OPERATIONS = 10_000
BATCH = 100
# over the second half of the operations (the first fills the caches and reaches, on a loaded
# machine, code paths a quiet one reached sooner: 79 → 150 MiB once); 5,000 more grew it 15 MiB
MEMORY_GROWTH_MIB = 40
SNIPPETS = [
    " ", "\n", "\n    ", "{", "}", "(", ")", "[", "]", "=", ">=", "..", ",", "#", '"', "1", "75 kWh", "mm", "-",
    "pack q {\n    cell = m50t\n}\n", "energy >= 1 kWh", "\u00a0", "\u03bc", "\x1b[2J", "\u2212", "é", "   ", "in",
    "cold_plate(", "rect(1 m, 2 m)", "use cells.lg.m50t\n", "f(" * 30, "+ 1 kg" * 20, "\t",
]  # fmt: skip
REQUESTS = [
    "textDocument/hover", "textDocument/completion", "textDocument/definition", "textDocument/documentSymbol",
    "textDocument/semanticTokens/full", "textDocument/inlayHint", "textDocument/formatting",
    "textDocument/codeAction", "textDocument/prepareRename", "textDocument/references",
]  # fmt: skip


class Document:
    """The client's copy of a document, edited exactly as the server must edit its own."""

    def __init__(self, uri: str, text: str):
        self.uri, self.text, self.original, self.version = uri, text, text, 1

    def lines(self) -> list[str]:
        return self.text.split("\n")

    def offset(self, line: int, character: int) -> int:
        """Where a position falls, clamped as LSP says (beyond a line: its end; beyond the last
        line: the document's end)."""
        lines = self.lines()
        if line >= len(lines):
            return len(self.text)
        return sum(len(x) + 1 for x in lines[:line]) + min(character, len(lines[line]))

    def position(self, rng: random.Random) -> tuple[int, int]:
        lines = self.lines()
        line = rng.randrange(len(lines))
        return line, rng.randint(0, len(lines[line]))

    def edit(self, rng: random.Random) -> dict | None:
        """A random change event (applied here too); None for a full reset."""
        self.version += 1
        roll = rng.random()
        if roll < 0.01:
            self.text = self.original
            return {"text": self.text}
        start = self.position(rng)
        if roll < 0.03:  # beyond the end: clamped by the server, here the same way
            start = (len(self.lines()) + rng.randint(0, 50), rng.randint(0, 99))
        end = start
        if rng.random() < 0.4:  # a deletion (maybe across lines) or a replacement
            end_line = min(start[0] + rng.choice([0, 0, 0, 1, 2]), len(self.lines()) - 1)
            end = (max(end_line, start[0]), rng.randint(0, 40))
            if end[0] == start[0]:
                end = (end[0], start[1] + end[1])
        text = rng.choice(SNIPPETS) if rng.random() < 0.8 else ""
        a, b = self.offset(*start), self.offset(*end)
        a, b = min(a, b), max(a, b)
        self.text = self.text[:a] + text + self.text[b:]
        return {
            "range": {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}},
            "text": text,
        }


def _params(method: str, doc: Document, rng: random.Random, invalid: bool):
    line, character = doc.position(rng)
    if invalid:
        return {"textDocument": {"uri": doc.uri}, "position": {"line": line, "character": -1 - character}}
    ident = {"textDocument": {"uri": doc.uri}}
    position = {**ident, "position": {"line": line, "character": character}}
    span = {"start": {"line": line, "character": 0}, "end": {"line": line + 3, "character": 0}}
    return {
        "textDocument/documentSymbol": ident,
        "textDocument/semanticTokens/full": ident,
        "textDocument/formatting": {**ident, "options": {"tabSize": 4, "insertSpaces": True}},
        "textDocument/inlayHint": {**ident, "range": span},
        "textDocument/codeAction": {**ident, "range": span, "context": {"diagnostics": []}},
        "textDocument/references": {**position, "context": {"includeDeclaration": True}},
    }.get(method, position)


def test_ten_thousand_edits_and_requests(tmp_path):
    rng = random.Random(19)
    # two malloc arenas: glibc otherwise reserves one per thread that ever allocated, and on a
    # loaded machine more analysis threads overlap, so resident memory grew by arenas, not leaks
    env = {"BATTGEN_LSP_DEBOUNCE_MS": "10", "BATTGEN_LSP_IDLE_MS": "50", "MALLOC_ARENA_MAX": "2"}
    server = RawServer(env=env)
    try:
        server.initialize(tmp_path)
        docs = []
        for name, text in (
            ("sedan.batt", (REPO / "examples" / "sedan.batt").read_text()),
            ("ebike.batt", (REPO / "examples" / "ebike.batt").read_text()),
            ("broken.batt", "pack p {\n    cell = m50t\n    energy >= (1 kWh\n"),
        ):
            path = tmp_path / name
            path.write_text(text)
            doc = Document(path.as_uri(), text)
            server.open(doc.uri, text)
            server.wait_diagnostics(doc.uri, timeout=60)
            docs.append(doc)
        warm_memory = None
        answered = 0
        for batch in range(OPERATIONS // BATCH):
            pending = {}
            for _ in range(BATCH):
                doc = rng.choice(docs)
                if rng.random() < 0.7:
                    change = doc.edit(rng)
                    server.notify(
                        "textDocument/didChange",
                        {"textDocument": {"uri": doc.uri, "version": doc.version}, "contentChanges": [change]},
                    )
                else:
                    invalid = rng.random() < 0.05
                    method = "textDocument/hover" if invalid else rng.choice(REQUESTS)
                    pending[server.request_id(method, _params(method, doc, rng, invalid))] = invalid
                if rng.random() < 0.005:  # a negative range: refused, and the client keeps its text
                    bad = {"range": {"start": {"line": -3, "character": 0}, "end": {"line": 0, "character": 0}}}
                    server.notify(
                        "textDocument/didChange",
                        {
                            "textDocument": {"uri": doc.uri, "version": doc.version},
                            "contentChanges": [{**bad, "text": "x"}],
                        },
                    )
            for rid, invalid in pending.items():
                reply = server.response(rid, timeout=120)
                if invalid:
                    assert reply["error"]["code"] == -32602, reply
                else:
                    assert "error" not in reply, reply
                answered += 1
            if batch == OPERATIONS // BATCH // 2:  # warm: every code path the edits reach has run
                warm_memory = server.info()["rss_MiB"]
        assert answered > 0.2 * OPERATIONS

        for doc in docs:  # the server's text is the client's, character for character
            reply = server.request("textDocument/semanticTokens/full", {"textDocument": {"uri": doc.uri}})
            expected = F.semantic_tokens(doc.text, set())
            got = reply["result"]["data"]
            assert [got[i : i + 3] for i in range(0, len(got), 5)] == [
                expected[i : i + 3] for i in range(0, len(expected), 5)
            ], doc.uri
        for doc in docs:  # and its diagnostics are those of that text, once it is the original again
            doc.version += 1
            server.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": doc.uri, "version": doc.version}, "contentChanges": [{"text": doc.original}]},
            )
            final = server.wait_diagnostics(doc.uri, timeout=60, version=doc.version)
            errors = [d["code"] for d in final if d["severity"] == 1]
            assert (errors == []) == (doc.original.endswith("}\n")), (doc.uri, errors)
        memory = server.info()["rss_MiB"]
        assert memory - warm_memory < MEMORY_GROWTH_MIB, (warm_memory, memory)
        assert server.close() == 0
        assert not server.tracebacks(), "".join(server.stderr[-20:])
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
