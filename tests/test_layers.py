"""The layer rule: core ← front end, models ← passes ← emitters ← driver ← doors (CLI, language
server, Python API). A module imports only from its own layer and the layers it builds on, at
the top of the file or inside a function; only annotations may look further (``if
TYPE_CHECKING:``), and never upward past the driver."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "battgen"

# each layer and what it may import (besides itself)
ALLOWED = {
    "core": set(),
    "frontend": {"core"},
    "models": {"core"},
    "passes": {"core", "models"},
    "emit": {"core", "models", "passes"},
    "driver": {"core", "frontend", "models", "passes", "emit"},
    "doors": {"core", "frontend", "models", "passes", "emit", "driver"},
}
DOORS = {"cli", "lsp", "__init__", "__main__", "validation"}


def layer_of(module: str) -> str:
    """``battgen.passes.heat`` → ``passes``; the doors are the CLI, the language server, the
    package's own API and the validation report."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in DOORS or parts[1] == "__version__":
        return "doors"
    return parts[1]


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(module imported, line, only for type checking) for every battgen import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                checking.update(id(n) for n in ast.walk(inner))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "battgen":
                out.append((name, node.lineno, id(node) in checking))
    return out


def _module(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(rel.parts)


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = layer_of(_module(path))
        for name, line, typing_only in _imports(path):
            there = layer_of(name)
            if name in ("battgen", "battgen.__version__"):
                continue  # the package's version string, read by the doors and the CAD's STEP header
            if there == here or there in ALLOWED[here]:
                continue
            if typing_only and here != "doors" and there != "driver" and there != "doors":
                continue  # an annotation naming a type from above (never the driver's or a door's)
            found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {here} imports {name} ({there})")
    return found


def test_no_module_imports_a_layer_above_its_own():
    assert violations() == []


def test_the_rule_catches_a_pass_importing_an_emitter(tmp_path, monkeypatch):
    """The check itself: a pass that imports the CAD emitter or the driver is reported."""
    fake = PACKAGE / "passes" / "_layer_probe.py"
    fake.write_text("from battgen.emit.cad import cad_stage\n\n\ndef f():\n    from battgen.driver import stages\n")
    try:
        found = violations()
    finally:
        fake.unlink()
    assert any("passes imports battgen.emit.cad" in v for v in found)
    assert any("passes imports battgen.driver" in v for v in found)
