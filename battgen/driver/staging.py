"""Atomic build folders: a folder appears whole or not at all.

A build folder is staged (``StagedFolder``): its files go into a sibling temporary folder
(each written with ``core.atomic.write_atomic``) that replaces the old one only when every
output was written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from battgen.core.atomic import write_atomic


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
