"""Files, imports and the standard library.

A *project* is the tree under its root: the nearest ancestor of the compiled file holding a
``.git`` folder or a ``batt.toml`` (else the file's own folder). ``use "./x.batt"`` may name
files inside the project root or the standard library, never elsewhere.
``use cells.lg.m50t`` looks in ``stdlib/`` for ``cells/lg/m50t.batt`` (a whole file) and then
for declaration ``m50t`` in ``cells/lg.batt``; ``use cells.lg`` imports all of ``cells/lg.batt``.
``stdlib/materials.batt`` is the prelude: its names are visible everywhere unless shadowed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from battgen.core.diagnostics import Diagnostic
from battgen.core.reading import read_source, reason, shorten, unreadable
from battgen.core.text import printable
from battgen.frontend import ast
from battgen.frontend.parser import ParseResult, parse

STDLIB = Path(__file__).resolve().parents[2] / "stdlib"
PRELUDE = STDLIB / "materials.batt"


def project_root(path: Path) -> Path:
    path = path.resolve()
    for folder in (path.parent, *path.parent.parents):
        if (folder / ".git").exists() or (folder / "batt.toml").exists():
            return folder
    return path.parent


@dataclass
class SourceFile:
    path: str  # as shown to the user
    text: str
    parsed: ParseResult


@dataclass
class Workspace:
    """Parsed files by absolute path. The language server keeps one and swaps in open
    editor buffers (``overlays``) so imports see unsaved text."""

    overlays: dict[str, str] = field(default_factory=dict)
    cache: dict[str, tuple[float, SourceFile]] = field(default_factory=dict)
    # how a file is shown, by absolute path, where it is not the path relative to the working
    # directory (a study's workers show the paths the study was started with)
    displays: dict[str, str] = field(default_factory=dict)

    def load(self, path: Path, display: str | None = None) -> SourceFile | Diagnostic:
        key = str(path)
        shown = display or self.displays.get(key) or _display(path)
        if key in self.overlays:
            text = self.overlays[key]
            cached = self.cache.get(key)
            if cached and cached[1].text == text:
                return cached[1]
            source = SourceFile(shown, text, parse(text, shown))
            self.cache[key] = (-1.0, source)
            return source
        try:
            stat = path.stat()
        except OSError as error:
            return unreadable(shown, error)
        cache = _STDLIB_CACHE if key.startswith(_STDLIB_PREFIX) else self.cache
        cached = cache.get(key)
        if cached and cached[0] == stat.st_mtime and cached[1].path == shown:
            return cached[1]
        read = read_source(path, shown)  # a regular file, never blocking, or E801 saying why
        if isinstance(read, Diagnostic):
            return read
        source = SourceFile(shown, read, parse(read, shown))
        cache[key] = (stat.st_mtime, source)
        return source


# Standard-library files are parsed once per process, whichever workspace asks (they do not
# change under a running compiler; the modification time is still checked).
_STDLIB_CACHE: dict[str, tuple[float, SourceFile]] = {}
_STDLIB_PREFIX = str(STDLIB.resolve()) + os.sep


def _display(path: Path) -> str:
    """Paths as the user sees them: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class ImportTarget:
    path: Path
    name: str | None  # a single declaration, or None for the whole file


def resolve_use(use: ast.Use, importer: Path, root: Path) -> ImportTarget | Diagnostic:
    if use.file is not None:
        if "\x00" in use.file:  # no file system takes it (os functions raise ValueError)
            return Diagnostic(
                "E210",
                f"cannot import `{shorten(printable(use.file))}`: a file name cannot hold a NUL character",
                use.path_span,
                hint="check the path",
            )
        target = (importer.parent / use.file).resolve()
        inside = _is_within(target, root) or _is_within(target, STDLIB)
        if not inside:
            return Diagnostic(
                "E209",
                f"`{use.file}` is outside the project ({root}) and the standard library",
                use.path_span,
                hint="copy the file into the project",
            )
        try:
            os.stat(target)
        except FileNotFoundError:
            return Diagnostic(
                "E207",
                f"no file `{shorten(use.file)}` next to `{importer.name}`",
                use.path_span,
                hint=_nearby_files(importer.parent, use.file),
            )
        except OSError as error:  # a name too long, a loop of links, no permission to look
            return Diagnostic(
                "E210",
                f"cannot import `{shorten(use.file)}`: {reason(error)}",
                use.path_span,
                hint="check the path and its permissions",
            )
        return ImportTarget(target, None)
    parts = use.path or ()
    whole = STDLIB.joinpath(*parts).with_suffix(".batt")
    if _is_file(whole):
        return ImportTarget(whole, None)
    if len(parts) >= 2:
        container = STDLIB.joinpath(*parts[:-1]).with_suffix(".batt")
        if _is_file(container):
            return ImportTarget(container, parts[-1])
    dotted = ".".join(parts)
    return Diagnostic(
        "E207", f"no `{shorten(dotted)}` in the standard library", use.path_span, hint=_library_hint(parts)
    )


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a regular file; False for a name the file system refuses (too long)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _nearby_files(folder: Path, wanted: str) -> str:
    import difflib

    try:
        names = sorted(p.name for p in folder.glob("*.batt"))
    except OSError:
        names = []
    close = difflib.get_close_matches(Path(wanted).name, names, n=1)
    return f"did you mean `./{close[0]}`?" if close else "paths are relative to the importing file"


def library_modules() -> list[str]:
    """Dotted names of every stdlib file, e.g. ``cells.lg``."""
    out = []
    for path in sorted(STDLIB.rglob("*.batt")):
        out.append(".".join(path.relative_to(STDLIB).with_suffix("").parts))
    return out


def _library_hint(parts: tuple[str, ...]) -> str:
    import difflib

    modules = library_modules()
    wanted = ".".join(parts[:-1]) if len(parts) > 1 else parts[0] if parts else ""
    close = difflib.get_close_matches(wanted, modules, n=1, cutoff=0.5)
    if close:
        return f"did you mean `{close[0]}`? the library has: " + ", ".join(modules)
    return "the library has: " + ", ".join(modules)
