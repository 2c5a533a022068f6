"""A raw JSON-RPC client for the real ``battc lsp`` process: it can send what a well-behaved
client library never would (invalid params, bytes that are not UTF-8, requests after
``shutdown``), and it keeps the server's stderr to check that nothing was a traceback."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class RawServer:
    def __init__(self, cwd: Path | None = None, env: dict | None = None):
        environment = {**os.environ, **(env or {})}
        environment.pop("BATTGEN_DEBUG", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "battgen", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd or REPO,
            env=environment,
        )
        self.inbox: queue.Queue = queue.Queue()
        self.stderr: list[str] = []
        self.next_id = 0
        self.diagnostics: dict[str, list] = {}
        self.published: dict[str, float] = {}  # uri -> when its latest diagnostics arrived
        self.versions: dict[str, int | None] = {}  # uri -> the version they are of
        self.history: dict[str, list] = {}  # uri -> the version of every publication, in order
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_errors, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(stream.read(length))
            if message.get("method") == "textDocument/publishDiagnostics":
                with self._lock:
                    uri = message["params"]["uri"]
                    self.diagnostics[uri] = message["params"]["diagnostics"]
                    self.published[uri] = time.monotonic()
                    self.versions[uri] = message["params"].get("version")
                    self.history.setdefault(uri, []).append(message["params"].get("version"))
            elif "id" in message and "method" in message:  # a request from the server: answer it
                self.send_raw(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": None}).encode())
            self.inbox.put(message)

    def _read_errors(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line.decode("utf-8", "replace"))

    # --- sending -------------------------------------------------------------------------------

    def send_raw(self, body: bytes) -> None:
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def send(self, message: dict) -> None:
        self.send_raw(json.dumps({"jsonrpc": "2.0", **message}).encode())

    def notify(self, method: str, params) -> None:
        self.send({"method": method, "params": params})

    def request_id(self, method: str, params) -> int:
        """Send a request without waiting; its id."""
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.next_id

    def request(self, method: str, params, timeout: float = 30.0) -> dict:
        """Send a request and wait for its response (the whole message: result or error)."""
        return self.response(self.request_id(method, params), timeout)

    def response(self, rid, timeout: float = 30.0) -> dict:
        return self.wait(lambda m: m.get("id") == rid and "method" not in m, timeout)

    def wait(self, predicate, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        kept = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no such message from the server")
                message = self.inbox.get(timeout=left)
                if predicate(message):
                    return message
                kept.append(message)
        finally:
            for message in kept:
                self.inbox.put(message)

    # --- the session ---------------------------------------------------------------------------

    def initialize(self, root: Path) -> dict:
        reply = self.request(
            "initialize",
            {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {}},
        )
        self.notify("initialized", {})
        return reply

    def open(self, uri: str, text: str, version: int = 1) -> None:
        with self._lock:
            self.diagnostics.pop(uri, None)
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "batt", "version": version, "text": text}},
        )

    def wait_diagnostics(self, uri: str, timeout: float = 30.0, version: int | None = None) -> list:
        """The document's diagnostics (of ``version``, when given)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if uri in self.diagnostics and (version is None or self.versions.get(uri) == version):
                    return self.diagnostics[uri]
            time.sleep(0.005)
        raise TimeoutError(f"no diagnostics for {uri}" + (f" version {version}" if version is not None else ""))

    def info(self) -> dict:
        return self.request("workspace/executeCommand", {"command": "battgen.serverInfo", "arguments": []})["result"]

    def close(self) -> int:
        """Shut down and exit; the return code."""
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            return self.proc.wait(timeout=10)
        except (OSError, TimeoutError, subprocess.TimeoutExpired):
            self.proc.kill()
            return self.proc.wait()

    def tracebacks(self) -> list[str]:
        return [line for line in self.stderr if "Traceback" in line or line.startswith("  File ")]
