"""``battc diff``: what a change to a ``.batt`` file does to the pack.

Two versions of a design — two files, or one file at a git revision and as it is now — are each
built without CAD (the whole checked pipeline) and compared pack by pack
(``passes.compare``). At a revision, the file and every ``.batt`` file of the repository are
read as they were at that revision (``git ls-tree`` and ``git cat-file --batch``: one
process each) and lowered in their own place, so relative imports see that revision too; the
standard library is the installed one.

As a git diff driver (``diff.batt.command``, docs/diff.md) git calls the command with seven
arguments: the path, then the old file, its blob and mode, then the new file, its blob and
mode; the old and new files may be temporary copies (or ``/dev/null`` for a file added or
deleted), so each is lowered as the path in the repository with the copy's text.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from battgen.core.diagnostics import Diagnostic, Span
from battgen.frontend.workspace import Workspace
from battgen.passes.compare import PackDiff, compare


@dataclass
class Version:
    """One side of a diff: what it is called, and its build (None: the file is absent)."""

    label: str
    result: object | None  # a driver.pipeline.BuildResult


@dataclass
class DiffResult:
    old: Version
    new: Version
    packs: list[PackDiff]
    diagnostics: list[Diagnostic]  # problems reading a version (E850); the builds' own stay in them


class GitError(Exception):
    pass


def _git(folder: Path, *args: str, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], input=data, capture_output=True, check=False)
    except OSError as error:
        raise GitError(f"cannot run git: {error.strerror or error}") from error
    if done.returncode != 0:
        raise GitError(done.stderr.decode(errors="replace").strip() or f"git {' '.join(args)} failed")
    return done.stdout


def files_at(path: Path, revision: str) -> tuple[str, dict[str, str]]:
    """The text of ``path`` at ``revision`` and every ``.batt`` file of its repository then
    (absolute path → text)."""
    folder = path.resolve().parent
    top = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
    relative = path.resolve().relative_to(top).as_posix()
    listing = _git(top, "ls-tree", "-r", "-z", revision).split(b"\0")
    blobs: list[tuple[str, str]] = []  # (path in the repository, blob id)
    for entry in listing:
        if not entry:
            continue
        meta, path_bytes = entry.split(b"\t", 1)
        _, kind, sha = meta.split()
        if kind == b"blob" and path_bytes.endswith(b".batt"):
            blobs.append((path_bytes.decode(), sha.decode()))
    if relative not in {name for name, _ in blobs}:
        raise GitError(f"`{relative}` is not in {revision}")
    out = _git(top, "cat-file", "--batch", data="".join(f"{sha}\n" for _, sha in blobs).encode())
    texts: dict[str, str] = {}
    at = 0
    for name, _ in blobs:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        body = out[header_end + 1 : header_end + 1 + size]
        texts[str((top / name).resolve())] = body.decode("utf-8", errors="replace")
        at = header_end + 1 + size + 1  # the body is followed by a newline
    return texts[str(path.resolve())], texts


def _build(path: Path, text: str | None, workspace: Workspace | None = None):
    from battgen.driver.pipeline import build_result

    return build_result(path, None, cad=False, workspace=workspace, text=text)


def _compare(old: Version, new: Version, diagnostics: list[Diagnostic]) -> DiffResult:
    def packs(result) -> dict:
        if result is None:
            return {}
        built = dict(result.packs)
        design = result.estimate.lowered.design
        return {name: built.get(name, design.packs[name]) for name in design.packs}

    def errors(result, name: str) -> tuple[str, ...]:
        if result is None:
            return ()
        build = result.packs.get(name)
        found = build.diagnostics if build is not None else result.diagnostics
        return tuple(f"{d.code} {d.message}" for d in found if d.is_error)

    a, b = packs(old.result), packs(new.result)
    names = sorted(set(a) | set(b))
    diffs = [compare(n, a.get(n), b.get(n), errors(old.result, n), errors(new.result, n)) for n in names]
    return DiffResult(old, new, diffs, diagnostics)


def diff_files(old: Path, new: Path) -> DiffResult:
    """``battc diff OLD NEW``."""
    return _compare(Version(str(old), _build(old, None)), Version(str(new), _build(new, None)), [])


def diff_revision(path: Path, revision: str) -> DiffResult:
    """``battc diff FILE --rev REV``: the file at ``revision`` against the file as it is."""
    try:
        text, files = files_at(path, revision)
    except GitError as error:
        problem = Diagnostic(
            "E850",
            f"cannot read `{path}` at `{revision}`: {error}",
            Span(str(path), 1, 1, 1, 1),
            "give a revision git knows (`HEAD~1`, a branch, a commit) for a file it tracks",
        )
        return DiffResult(Version(f"{revision}:{path}", None), Version(str(path), None), [], [problem])
    old = Version(f"{revision}:{path}", _build(path, text, Workspace(overlays=files)))
    return _compare(old, Version(str(path), _build(path, None)), [])


def diff_git(path: Path, old_file: str, new_file: str) -> DiffResult:
    """git's external diff: ``path`` in the repository, its old and new contents in files
    (``/dev/null``: absent)."""

    def side(file: str, label: str) -> Version:
        if file == "/dev/null":
            return Version(label, None)
        text = Path(file).read_text(encoding="utf-8", errors="replace")
        return Version(label, _build(path, text))

    return _compare(side(old_file, f"a/{path}"), side(new_file, f"b/{path}"), [])
