"""The pack as built, live in the editor: a real ``battc lsp`` over stdio, timed as an editor sees it.

    python benchmarks/live.py [--rounds 3] [--only sedan|model_s]

On the Model S 85 validation pack (7,104 cells) and examples/sedan.batt, from a copy in a
temporary folder (no tracked file is written):

* cold: ``didOpen`` → the as-built diagnostics (``publishDiagnostics`` followed by
  ``battgen/built`` of that version): the first build, no stage cached, no CAD;
* per edit, ``didChange`` → the front end's diagnostics and → the as-built diagnostics, for an
  edit that touches
  - a comment (every stage from the cache),
  - ``busbar`` (routing, heat, bom and check run; layout from the cache),
  - ``cooling`` (heat, lifetime, check and safety run; layout, routing, the BMS, the BOM and the
    structure from the cache),
  - ``energy`` (synthesis chooses another architecture: every stage runs),
  each with a value no earlier build saw (so what is cached is what the edit leaves alone);
* hover and completion while a build runs: requests sent while the worker builds (between
  ``battgen/building`` and ``battgen/built``), request → response.

Goals (issue 20): a cold build without CAD under 1 s for 7,104 cells; from an edit to the
as-built diagnostics under 1 s, under 100 ms for an edit that touches only heat; hover and
completion under 20 ms while a build runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import lsp as lsp_benchmark  # noqa: E402 - benchmarks/lsp.py, the stdio client

BUSBAR = "    busbar   = aluminium(thickness = 2 mm)\n"


class Server(lsp_benchmark.Server):
    """benchmarks/lsp.py's client, waiting as long as a cold build of the Model S may take."""

    WAIT = 600.0


def _is(method: str, uri: str, version: int):
    return lambda m: m.get("method") == method and m["params"]["uri"] == uri and m["params"].get("version") == version


class Document:
    def __init__(self, server: Server, path: Path, text: str):
        self.server, self.path, self.text, self.version = server, path, text, 1
        self.uri = path.as_uri()

    def open(self) -> dict:
        start = self.server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": self.uri, "languageId": "batt", "version": 1, "text": self.text}},
        )
        return self._timed(start)

    def change(self, old: str, new: str) -> dict:
        assert old in self.text, old
        self.text = self.text.replace(old, new, 1)
        self.version += 1
        start = self.server.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": self.uri, "version": self.version}, "contentChanges": [{"text": self.text}]},
        )
        return self._timed(start)

    def _timed(self, start: float) -> dict:
        """Front-end diagnostics, then the as-built ones (published just before ``battgen/built``)."""
        seen: list = []
        front, first = self.server.wait(_is("textDocument/publishDiagnostics", self.uri, self.version), seen=seen)
        errors = [d["message"] for d in first["params"]["diagnostics"] if d.get("severity") == 1]
        if errors:  # nothing to build
            raise SystemExit(f"{self.path.name} version {self.version} has errors: {errors}")
        _, built = self.server.wait(_is("battgen/built", self.uri, self.version), seen=seen)
        published = [w for w, m in seen if _is("textDocument/publishDiagnostics", self.uri, self.version)(m)]
        return {
            "front": front - start,
            "as_built": published[-1] - start,
            "build": built["params"]["seconds"],
            "cached": built["params"]["cached"],
            "ran": built["params"]["ran"],
            "errors": built["params"]["errors"],
            "summary": "; ".join(p["summary"] for p in built["params"]["packs"]),
        }


def responsiveness(doc: Document, old: str, new: str, pack_line: int, complete_at: tuple[int, int]) -> dict:
    """Hover and completion sent while the build of an edit runs: request → response."""
    server = doc.server
    assert old in doc.text
    doc.text = doc.text.replace(old, new, 1)
    doc.version += 1
    server.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": doc.uri, "version": doc.version}, "contentChanges": [{"text": doc.text}]},
    )
    server.wait(lambda m: m.get("method") == "battgen/building" and m["params"]["version"] == doc.version)
    hover, completion, built = [], [], False
    while not built and len(hover) < 200:
        for method, params, out in (
            ("textDocument/hover", {"position": {"line": pack_line, "character": 6}}, hover),
            (
                "textDocument/completion",
                {"position": {"line": complete_at[0], "character": complete_at[1]}},
                completion,
            ),
        ):
            rid, sent = server.request_id(method, {"textDocument": {"uri": doc.uri}, **params})
            seen: list = []
            when, _ = server.wait(lambda m, rid=rid: m.get("id") == rid and "method" not in m, seen=seen)
            out.append(when - sent)
            built = built or any(_is("battgen/built", doc.uri, doc.version)(m) for _, m in seen)
        time.sleep(0.02)
    if not built:
        server.wait(_is("battgen/built", doc.uri, doc.version))
    return {"hover": hover, "completion": completion}


def prepare(name: str, text: str) -> tuple[str, list[tuple[str, callable]]]:
    """The pack's text as benchmarked (a busbar and a coolant inlet stated, so that both can be
    edited) and its edits: (kind, round → (old, new))."""
    if "busbar" not in text:
        text = text.replace("    fuse ", BUSBAR + "    fuse ", 1)
        text = text.replace("use cells", "use materials.aluminium\nuse cells", 1)
    text = text.replace("cold_plate(side = bottom)", "cold_plate(side = bottom, inlet = 25 degC)", 1)
    energy = next(line for line in text.splitlines() if line.strip().startswith("energy") and "kWh" in line)
    value = float(energy.split(">=")[1].split("kWh")[0])
    comment = next(line for line in text.splitlines() if line.startswith("#"))
    edits = [
        ("comment", lambda r, s: (comment if r == 0 else f"{comment} {r - 1}", f"{comment} {r}")),
        ("busbar", lambda r, s: (f"thickness = {2 + 0.1 * r:g} mm", f"thickness = {2 + 0.1 * (r + 1):g} mm")),
        ("cooling", lambda r, s: (f"inlet = {25 + r} degC", f"inlet = {25 + r + 1} degC")),
        ("energy", lambda r, s: (f">= {value - r:g} kWh", f">= {value - r - 1:g} kWh")),  # another architecture
    ]
    return text, edits


def bench(name: str, source: Path, rounds: int) -> None:
    server = Server()
    rid, _ = server.request_id("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {}})
    server.wait(lambda m: m.get("id") == rid)
    server.notify("initialized", {})
    text, edits = prepare(name, source.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / source.name
        path.write_text(text, encoding="utf-8")
        doc = Document(server, path, text)
        cold = doc.open()
        print(f"\n{name} ({source.relative_to(REPO)}): {cold['summary']}")
        print(
            f"  cold (didOpen → as built)      {cold['as_built'] * 1000:8.0f} ms   "
            f"(front end {cold['front'] * 1000:.0f} ms; build {cold['build'] * 1000:.0f} ms in the worker, "
            f"{cold['ran']} stages run; {cold['errors']} errors)"
        )
        for kind, edit in edits:
            times = []
            for r in range(rounds):
                time.sleep(0.3)  # quiet before the edit: the analysis starts at once
                old, new = edit(r, doc.text)
                times.append(doc.change(old, new))
            last = times[-1]
            best = min(t["as_built"] for t in times) * 1000
            print(
                f"  edit {kind:9s} → as built  median {sorted(t['as_built'] for t in times)[len(times) // 2] * 1000:6.0f} ms"
                f"  best {best:6.0f} ms   (front end {min(t['front'] for t in times) * 1000:.0f} ms; "
                f"{last['cached']} stages cached, {last['ran']} run; {last['summary']})"
            )
        lines = doc.text.split("\n")
        pack_line = next(i for i, line in enumerate(lines) if line.startswith("pack "))
        layout_line = next(i for i, line in enumerate(lines) if line.strip().startswith("layout"))
        gap = next(line for line in lines if line.strip().startswith("gap"))
        busy = responsiveness(
            doc, gap, gap.replace("1 mm", "1.05 mm"), pack_line, (layout_line, lines[layout_line].index("=") + 2)
        )
        for key in ("hover", "completion"):
            values = sorted(busy[key])
            if values:
                print(
                    f"  {key:10s} while building     p50 {values[len(values) // 2] * 1000:6.1f} ms   "
                    f"max {values[-1] * 1000:6.1f} ms   (n={len(values)})"
                )
    rid, _ = server.request_id("workspace/executeCommand", {"command": "battgen.serverInfo", "arguments": []})
    _, info = server.wait(lambda m: m.get("id") == rid)
    result = info.get("result") or {}
    print(
        f"  server: cadquery loaded {result.get('cadquery_loaded')}, numpy loaded {result.get('numpy_loaded')}; "
        f"builds {result.get('builds', {}).get('finished')} finished, {result.get('builds', {}).get('abandoned')} gave way"
    )
    server.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("sedan", "model_s"))
    args = parser.parse_args()
    packs = {
        "model_s": REPO / "examples" / "validation" / "tesla_model_s_85.batt",
        "sedan": REPO / "examples" / "sedan.batt",
    }
    for name, path in packs.items():
        if args.only in (None, name):
            bench(name, path, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
