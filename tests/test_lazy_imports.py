"""`battc check` and the language server never load the heavy modules (cadquery/OCP ≈ 4 s,
scipy, shapely, networkx, trimesh, scikit-fem): only `battc build` stages import them. Each probe runs in
a fresh interpreter so nothing this test process imported can hide a regression."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("cadquery", "OCP", "scipy", "shapely", "networkx", "trimesh", "matplotlib", "PIL", "blast", "pandas", "bpx")
HEAVY += ("skfem",)

PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded(body: str) -> list[str]:
    code = PROBE.format(body=body, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_check_loads_no_heavy_module():
    body = """
from battgen.cli import main
try:
    main(["check", "examples/sedan.batt"])
except SystemExit:
    pass
"""
    assert _loaded(body) == []


def test_language_server_analysis_and_hover_load_no_heavy_module():
    body = """
from pathlib import Path
from battgen.lsp import server  # noqa: F401 - the server module and everything it imports
from battgen.lsp.analysis import analyse
from battgen.frontend.workspace import Workspace
path = Path("examples/sedan.batt").resolve()
analysis = analyse(str(path), path.read_text(), Workspace(path.parent), {})
assert analysis is not None
"""
    assert _loaded(body) == []


def test_the_language_server_builds_in_a_worker_that_alone_loads_them():
    """The as-built build runs in the server's worker process (lsp/builds.py): the server's own
    process has the build's diagnostics and figures, and none of the modules that made them."""
    body = """
import threading
from pathlib import Path
from battgen.lsp.builds import Built, BuildRunner
path = Path("examples/ebike.batt").resolve()
done = threading.Event()
found = []
def on_message(message):
    if isinstance(message, Built):
        found.append(message)
        done.set()
runner = BuildRunner(on_message)
runner.submit(path.as_uri(), str(path), path.read_text(), 1, {}, False)
assert done.wait(300), "no build"
(built,) = found
assert built.packs and built.packs[0].label and built.packs[0].mass > 0, built
assert runner.process.pid != __import__("os").getpid()
runner.close()
"""
    assert _loaded(body) == []
