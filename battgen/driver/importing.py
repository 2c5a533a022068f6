"""Writing an imported cell (``battc import-bpx``): the BPX file's cell as a ``.batt`` file,
never over a file that is already there (a user's cell may hold hand edits) — E802 instead,
unless asked to (``replace``) — and an OS error as E802, never a traceback."""

from __future__ import annotations

from pathlib import Path

from battgen.core.diagnostics import Diagnostic, Span
from battgen.frontend.bpx import BpxImport, import_bpx


def import_cell(
    path: Path, out: Path | None, name: str | None = None, sets: tuple[str, ...] = (), replace: bool = False
) -> tuple[BpxImport, list[str]]:
    """The BPX file ``path``'s cell, written to ``out`` (default: ``<name>.batt``) when the file is
    usable; (the import, its diagnostics and any E802 among them; the paths written)."""
    from battgen.core.atomic import write_atomic
    from battgen.core.reading import reason

    result = import_bpx(path, name, sets)
    if result.text is None:
        return result, []
    target = out or Path(f"{result.name}.batt")
    if not replace and (target.exists() or target.is_symlink()):
        why, hint = (
            f"`{target}` is already there (it is left as it is)",
            "give another `--out`, or `--replace` to write over it",
        )
    else:
        try:
            write_atomic(target, result.text)
            return result, [str(target)]
        except OSError as error:
            why, hint = reason(error), "choose a folder you can write to with `--out`"
    result.diagnostics.append(Diagnostic("E802", f"cannot write the cell: {why}", Span(str(target), 1, 1, 1, 1), hint))
    return result, []
