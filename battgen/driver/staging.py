"""Build folders written whole or not at all, beside concurrent builds and through interruptions,
never over a file the user made.

One build writes ``OUT/<pack>/`` for each of its packs in four steps:

1. **Stage.** Every pack's files go into this build's own staging folder,
   ``OUT/.battgen-stage-<host>-<pid>-<random>/<pack>/`` (each file atomically), with a manifest,
   ``.battgen-build``, listing them. Two builds never share a staging name.
2. **Own the target.** ``OUT/<pack>`` is replaced only if battgen made it: absent, empty, or a
   folder whose every entry its manifest lists (a folder from before manifests: every entry a
   name battgen writes). Anything else — a file, a link, a folder holding a file the user put
   there — is left as it is and the build reports E802 (``NotOurs``).
3. **Swap.** ``rename(stage/<pack>, OUT/<pack>)`` when the target is absent; otherwise the two
   are exchanged atomically (Linux ``renameat2(RENAME_EXCHANGE)``), or, where that is missing,
   the old folder is moved into the staging folder and the new one renamed in, again if a
   concurrent build put its own there in between. A reader sees the old build or the new one,
   never a mixture; of two builds of the same pack, the last to swap wins and both succeed.
4. **Clean.** The staging folder (with the builds it replaced) is removed. Signals are held
   while the swap and the clean run, so an interrupt lands before or after them, not inside.
   On SIGINT/SIGTERM the exception unwinds through ``StagedBuild.__exit__``, which removes the
   staging folder; a build killed outright (SIGKILL, power loss) leaves it, and the next build
   into ``OUT`` removes every staging folder of this host whose process no longer runs.

A replaced build folder is removed file by file, only the files its manifest lists: a file a
user added since the check stays, in the folder, renamed into view (``<pack>.replaced-<pid>``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import secrets
import shutil
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

from battgen.core.atomic import write_atomic

MANIFEST = ".battgen-build"
STAGE_PREFIX = ".battgen-stage-"
# What builds wrote before manifests existed: a folder holding only these may be replaced.
LEGACY_OUTPUTS = frozenset(
    {
        "report.html",
        "bom.csv",
        "design.json",
        "layout.svg",
        "busbars.svg",
        "currents.svg",
        "pack.step",
        "pack.glb",
        "preview.png",
        "pack.stl",
    }
)
_SWAP_ATTEMPTS = 100  # concurrent builds each finish a swap within a few tries
_SIGNALS = {signal.SIGINT, signal.SIGTERM} | ({signal.SIGHUP} if hasattr(signal, "SIGHUP") else set())


class NotOurs(OSError):
    """``OUT/<pack>`` holds something battgen did not make; the build leaves it alone."""

    def __init__(self, path: Path, why: str):
        super().__init__(errno.EEXIST, f"`{path}` {why}; battgen replaces only build folders it made")
        self.path = path


def _host() -> str:
    return "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40] or "host"


class StagedBuild:
    """One build's staging folder in ``out``; a context manager that always removes it.

    ``folder(pack)`` gives the pack's staged folder; ``write(pack, name, data)`` writes a file
    there; ``commit()`` swaps every pack's folder into place and returns the paths written."""

    def __init__(self, out: Path):
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_stages(out)
        self.stage = out / f"{STAGE_PREFIX}{_host()}-{os.getpid()}-{secrets.token_hex(4)}"
        self.files: dict[str, list[str]] = {}

    def __enter__(self) -> StagedBuild:
        # made here, not in __init__: a signal between the folder's making and the ``with`` body
        # would otherwise leave it behind (``__exit__`` runs only once ``__enter__`` returned)
        try:
            with _signals_held():
                self.stage.mkdir(mode=0o755)
        except BaseException:
            shutil.rmtree(self.stage, ignore_errors=True)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        with _signals_held():
            with contextlib.suppress(OSError):
                self._clear_replaced()
            shutil.rmtree(self.stage, ignore_errors=True)

    def folder(self, pack: str) -> Path:
        return self.stage / pack

    def write(self, pack: str, name: str, data: str | bytes) -> None:
        write_atomic(self.stage / pack / name, data)
        self.files.setdefault(pack, []).append(name)

    def commit(self) -> list[str]:
        """Check every target is ours, then swap each pack's folder in; the paths written."""
        from battgen import __version__

        for pack, names in self.files.items():
            manifest = {"battgen": __version__, "files": sorted(names)}
            write_atomic(self.stage / pack / MANIFEST, json.dumps(manifest, indent=1) + "\n")
        for pack in self.files:
            check_ours(self.out / pack)
        written: list[str] = []
        with _signals_held():
            for pack, names in sorted(self.files.items()):
                _swap_in(self.stage / pack, self.out / pack, self.stage)
                written.extend(str(self.out / pack / name) for name in sorted(names))
            self._clear_replaced()
        return written

    def _clear_replaced(self) -> None:
        """The build folders the swaps moved into the stage, removed (only their own files)."""
        for entry in self.stage.iterdir():
            if ".replaced" in entry.name and entry.is_dir() and not entry.is_symlink():
                pack = entry.name.split(".replaced")[0]
                remove_build_folder(entry, _free(self.out / f"{pack}.replaced-{os.getpid()}"))


def _listed(folder: Path) -> frozenset[str] | None:
    """The files the manifest of ``folder`` lists; None without a readable manifest."""
    try:
        files = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return frozenset(f for f in files if isinstance(f, str))


def check_ours(target: Path) -> None:
    """Raise ``NotOurs`` unless ``target`` is absent, an empty folder, or a build folder."""
    try:
        if target.is_symlink() or not target.is_dir():
            if target.is_symlink() or target.exists():
                raise NotOurs(target, "is a file or a link, not a build folder")
            return
        entries = list(target.iterdir())
    except NotOurs:
        raise
    except FileNotFoundError:  # removed by a concurrent build since: nothing to protect
        return
    listed = _listed(target)
    allowed = (listed | {MANIFEST}) if listed is not None else LEGACY_OUTPUTS
    for entry in entries:
        if entry.name not in allowed or entry.is_symlink() or not entry.is_file():
            raise NotOurs(target, f"holds `{entry.name}`, which no battgen build wrote")


def remove_build_folder(folder: Path, keep_as: Path) -> None:
    """Remove a build folder battgen made, file by file (only what its manifest lists); a
    folder left holding anything else is moved to ``keep_as`` in plain view, never deleted."""
    listed = _listed(folder)
    allowed = (listed | {MANIFEST}) if listed is not None else LEGACY_OUTPUTS
    for entry in list(folder.iterdir()):
        if entry.name in allowed and entry.is_file() and not entry.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
    try:
        folder.rmdir()
    except OSError:
        with contextlib.suppress(OSError):
            os.rename(folder, keep_as)


def _swap_in(staged: Path, target: Path, stage: Path) -> None:
    """Put ``staged`` at ``target`` atomically; the folder it replaces ends up in ``stage``."""
    aside = stage / f"{target.name}.replaced"
    for _attempt in range(_SWAP_ATTEMPTS):
        try:
            os.rename(staged, target)  # the target is absent (or an empty folder)
            return
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
                raise
        check_ours(target)
        if _exchange(staged, target):  # ours at target, the old build at ``staged``
            os.rename(staged, _free(aside))
            return
        try:
            os.rename(target, _free(aside))  # a concurrent build may take its turn in between
        except FileNotFoundError:
            continue
    raise OSError(errno.EBUSY, f"`{target}` kept changing under concurrent builds ({_SWAP_ATTEMPTS} tries)")


def _free(path: Path) -> Path:
    """``path``, or ``path-N`` for the first N not taken."""
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}-{n}")
        n += 1
    return candidate


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where it is missing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOENT):
        return False  # the kernel or file system cannot, or the target just went: the fallback
    raise OSError(code, os.strerror(code), str(b))


def remove_stale_stages(out: Path) -> None:
    """Staging folders of this host in ``out`` whose build process no longer runs, removed."""
    prefix = f"{STAGE_PREFIX}{_host()}-"
    try:
        entries = [e for e in out.iterdir() if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        try:
            pid = int(entry.name[len(prefix) :].split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _running(pid):
            shutil.rmtree(entry, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP while the block runs (in the main thread), so that a swap
    or a clean-up is not cut in half; a held signal is delivered when the block ends."""
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
