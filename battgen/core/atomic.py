"""Atomic output: a file appears whole or not at all.

The data is written to a temporary file in the same folder and renamed over the target
(``os.replace`` is atomic on POSIX), so an interrupted write never leaves half a file. A file
that is replaced keeps its permission bits (``battc fmt`` must not make a script or a private
file world-readable); a new one is an ordinary 0644 file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        permissions = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:  # a new file (or one we cannot stat: the rename will say why)
        permissions = 0o644
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as binary:
                binary.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as text:
                text.write(data)
        os.chmod(temporary, permissions)  # mkstemp makes 0600
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
