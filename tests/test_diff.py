"""`battc diff` on the real git history of a temporary repository: a cell change, a busbar
change and a comment-only change of the e-bike pack, through `--rev`, two files, and git's own
`git diff` with battc set up as the diff driver for .batt files (docs/diff.md)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest
from conftest import EXAMPLES, REPO, run_battc

from battgen.driver.diff import diff_files, diff_revision


def _git(repo, *args: str, env: dict | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """Three commits of pack.batt (the e-bike): as shipped, then Tesla's 2170 for the Samsung
    50E, then 0.3 mm strips for 0.2 mm; a fourth only edits a comment."""
    repo = tmp_path_factory.mktemp("designs")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "test@example.com")
    _git(repo, "config", "user.name", "test")
    pack = repo / "pack.batt"
    text = (EXAMPLES / "ebike.batt").read_text()
    versions = [
        ("as shipped", text),
        (
            "cell: tesla2170l",
            text.replace("use cells.samsung.inr21700_50e", "use cells.tesla.tesla2170l").replace(
                "= inr21700_50e", "= tesla2170l"
            ),
        ),
    ]
    versions.append(
        ("busbar: 0.3 mm", versions[-1][1].replace("copper(thickness = 0.2 mm)", "copper(thickness = 0.3 mm)"))
    )
    versions.append(("comment", versions[-1][1].replace("# passive:", "# passive, no fan:")))
    for message, content in versions:
        pack.write_text(content)
        _git(repo, "add", "pack.batt")
        _git(repo, "commit", "-q", "-m", message)
    return repo


def test_a_busbar_change_at_a_revision(repo):
    result = diff_revision(repo / "pack.batt", "HEAD~2")  # since then: the busbar, and a comment
    (pack,) = result.packs
    assert result.diagnostics == [] and pack.status == "changed"
    assert [(c.what, c.old, c.new) for c in pack.source] == [
        ("busbar", "copper(thickness = 0.2 mm)", "copper(thickness = 0.3 mm)")
    ]
    results = {d.name: d for d in pack.results}
    assert results["energy"].old == results["energy"].new  # the same cells
    assert results["temperature"].new < results["temperature"].old  # thicker strips, less heat in them
    parts = {d.name: d for d in pack.mass_by_part}
    assert parts["busbars"].new == pytest.approx(parts["busbars"].old * 1.5, rel=0.02)


def test_diff_across_the_cell_change_through_the_cli(repo):
    done = run_battc("diff", "pack.batt", "--rev", "HEAD~3", "--format", "json", cwd=repo)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["old"] == "HEAD~3:pack.batt" and data["new"] == "pack.batt"
    (pack,) = data["packs"]
    changes = {c["what"]: c for c in pack["source"]}
    assert changes["cell"]["old"] == "inr21700_50e (nca, cylindrical, 4.9 Ah, 3.63 V)"
    assert changes["cell"]["new"] == "tesla2170l (nca, cylindrical, 5 Ah, 3.65 V)"
    results = {d["name"]: d for d in pack["results"]}
    # 52 cells either way: the energy moves with the cell (4.9 Ah × 3.63 V → 5.0 Ah × 3.65 V)
    assert results["energy"]["new"] / results["energy"]["old"] == pytest.approx(5.0 * 3.65 / (4.9 * 3.63), rel=1e-6)
    assert pack["architecture"] == ["13s4p, 1 modules, 52 cells", "13s4p, 1 modules, 52 cells"]
    checks = {c["name"]: c for c in pack["checks"]}
    assert checks["energy"]["passed_old"] is True and checks["energy"]["passed_new"] is True
    assert checks["cell current (continuous)"]["bound_old"] == "<= 9.8 A"
    assert checks["cell current (continuous)"]["bound_new"] == "<= 10 A"


def test_the_terminal_and_markdown_forms(repo):
    text = run_battc("diff", "pack.batt", "--rev", "HEAD~1", cwd=repo)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("battc diff: HEAD~1:pack.batt → pack.batt\n")
    assert "pack ebike48: unchanged" in text.stdout  # a comment is not a change that matters
    markdown = run_battc("diff", "pack.batt", "--rev", "HEAD~2", "--format", "markdown", cwd=repo)
    assert markdown.returncode == 0, markdown.stderr
    assert "| busbar | `copper(thickness = 0.2 mm)` | `copper(thickness = 0.3 mm)` |" in markdown.stdout
    assert "| result | before | after | change |" in markdown.stdout


def test_two_files(repo, tmp_path):
    old = tmp_path / "old.batt"
    old.write_text(_git(repo, "show", "HEAD~3:pack.batt"))
    (tmp_path / "batt.toml").write_text("")
    result = diff_files(old, repo / "pack.batt")
    (pack,) = result.packs
    assert {c.what for c in pack.source} == {"cell", "busbar"}


def test_git_diff_with_battc_as_the_diff_driver(repo):
    """The set-up of docs/diff.md: `*.batt diff=batt` and `diff.batt.command`."""
    (repo / ".gitattributes").write_text("*.batt diff=batt\n")
    command = f"{shlex.quote(sys.executable)} -m battgen diff"
    _git(repo, "config", "diff.batt.command", command)
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", "COLUMNS": "120"}
    out = _git(repo, "diff", "HEAD~3", "HEAD~2", "--", "pack.batt", env=env)
    assert out.startswith("battc diff: a/pack.batt → b/pack.batt\n")
    assert "cell  inr21700_50e (nca, cylindrical, 4.9 Ah, 3.63 V) → tesla2170l (nca, cylindrical, 5 Ah, 3.65 V)" in out
    assert "energy" in out and "checks (as built)" in out


def test_an_unknown_revision_is_E850(repo):
    done = run_battc("diff", "pack.batt", "--rev", "no-such-branch", cwd=repo)
    assert done.returncode == 1
    assert "error[E850]: cannot read `pack.batt` at `no-such-branch`" in done.stderr


def test_git_is_needed_for_a_revision(tmp_path):
    shutil.copy(EXAMPLES / "ebike.batt", tmp_path / "pack.batt")
    result = diff_revision(tmp_path / "pack.batt", "HEAD")
    assert [d.code for d in result.diagnostics] == ["E850"] and result.packs == []
