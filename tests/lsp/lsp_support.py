"""Helpers for the language-server tests (imported as `lsp_support`, not `conftest`, so it
cannot shadow tests/conftest.py): a pytest-lsp client talking to the real
``python -m battgen lsp`` process, and small async helpers to open, edit and wait."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SERVER = [sys.executable, "-m", "battgen", "lsp"]


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    params = lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(),
        root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="ws")],
    )
    await lsp_client.initialize_session(params)
    lsp_client.root = root
    yield
    await lsp_client.shutdown_session()


class Doc:
    """An open document in the test client."""

    def __init__(self, client: LanguageClient, path: Path, text: str):
        self.client, self.path, self.text, self.version = client, path, text, 1
        self.uri = path.as_uri()

    async def open(self, timeout: float = 20.0):
        self.client.diagnostics.pop(self.uri, None)
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(self.uri, "batt", self.version, self.text))
        )
        return await self.wait_diagnostics(timeout)

    async def wait_diagnostics(self, timeout: float = 20.0):
        deadline = asyncio.get_running_loop().time() + timeout
        while self.uri not in self.client.diagnostics:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no diagnostics for {self.uri}")
            await asyncio.sleep(0.01)
        return list(self.client.diagnostics[self.uri])

    async def change(self, text: str, timeout: float = 20.0):
        """Replace the whole text and wait for the diagnostics of the new version."""
        self.version += 1
        self.text = text
        self.client.diagnostics.pop(self.uri, None)
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version=self.version, uri=self.uri),
                [lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return await self.wait_diagnostics(timeout)

    def close(self):
        self.client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(self.uri)))

    def pos(self, needle: str, offset: int = 0, nth: int = 0) -> lsp.Position:
        """The position of the ``nth`` occurrence of ``needle`` (plus ``offset`` characters)."""
        index = -1
        for _ in range(nth + 1):
            index = self.text.index(needle, index + 1)
        index += offset
        line = self.text.count("\n", 0, index)
        column = index - (self.text.rfind("\n", 0, index) + 1)
        return lsp.Position(line, column)

    @property
    def ident(self) -> lsp.TextDocumentIdentifier:
        return lsp.TextDocumentIdentifier(self.uri)


def make_doc(client: LanguageClient, name: str, text: str, folder: Path | None = None) -> Doc:
    folder = folder or client.root
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return Doc(client, path, text)


@pytest.fixture
def sedan_text() -> str:
    return (EXAMPLES / "sedan.batt").read_text(encoding="utf-8")
