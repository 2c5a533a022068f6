"""Atomic output: a file appears whole or not at all.

Every output is written to a temporary file in the same folder and renamed over the
target (``os.replace`` is atomic on POSIX), so an interrupted build never leaves a half
written ``design.json``. A whole build folder is staged the same way (``stage_folder``): the
files go into a sibling temporary folder that replaces the old one only when every output
was written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"})) as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


class StagedFolder:
    """Collect a build folder in a temporary sibling, then swap it in with ``commit``."""

    def __init__(self, target: Path):
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        os.chmod(self.stage, 0o755)
        self.written: list[str] = []

    def path(self, name: str) -> Path:
        return self.stage / name

    def write(self, name: str, data: str | bytes) -> None:
        write_atomic(self.stage / name, data)
        self.written.append(name)

    def commit(self) -> list[str]:
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(self.target, old)
        os.replace(self.stage, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return sorted(self.written)

    def discard(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)
