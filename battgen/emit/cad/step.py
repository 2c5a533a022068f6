"""The STEP file: writing it, and the process of its own that large packs write it in.

``write_step`` writes the plan's STEP atomically: the AP214 text ``document.step_text`` writes
in one pass with a constant FILE_NAME, so that either process writes the same bytes.

``_StepProcess`` runs the export beside the parent (``build``) for packs of
``STEP_PROCESS_CELLS`` cells or more:

    python -c "from battgen.emit.cad.step import main; raise SystemExit(main())" < plan.pickle

``main`` imports numpy and shapely, then reads ``{"plan": Plan, "name": pack name, "path": where,
"thin": bool}`` pickled on stdin (the parent starts this process first and sends the plan once
made, ``_PlanPickler``), writes the STEP file atomically (the same function as the parent's, so
the same bytes), then preview.png and preview_top.png beside it (``preview.write_previews``).
Prints one line of JSON on stdout, whatever happens:
``{"ok": true, "times": {...}, "previews": [names], "maxrss_MiB": ...}`` or ``{"ok": false,
"error": type name, "message": ...}``; the parent turns a failure into a diagnostic, never a
traceback. Anything else printed goes to stderr so that stdout carries only that line. (Started
with ``-c``, not
``-m``: ``-m`` would run a second copy of this module beside the one the package imports.)
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import pickle
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from battgen.emit.cad.document import step_text
from battgen.emit.cad.parts import Plan

STEP_FILE_NAME = "FILE_NAME('pack.step','2000-01-01T00:00:00',('battgen'),('battgen'),'battgen','battgen','');"

# Seconds the STEP export process may take before it is stopped (its work takes about 5 s for
# 4,416 cells on a 2-core machine; a hang must not block a build forever).
STEP_TIMEOUT = 600

# What the STEP export process runs (a module path, with the package importable from the
# folder that holds it: ``_StepProcess`` puts that folder on the child's PYTHONPATH).
STEP_PROCESS_COMMAND = "from battgen.emit.cad.step import main; raise SystemExit(main())"


# --- writing ----------------------------------------------------------------------------------


class _Clock:
    """The wall and CPU seconds of each step of the export (``lap``): the CPU seconds tell the
    work on a machine shared with other processes, where the wall seconds mean little."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.wall, self.used = time.perf_counter(), time.process_time()

    def lap(self, step: str) -> None:
        wall, used = time.perf_counter(), time.process_time()
        self.times[step], self.cpu[step] = wall - self.wall, used - self.used
        self.wall, self.used = wall, used


class StepExportError(Exception):
    """The STEP export failed; ``kind`` is the exception's type name ("OSError": the file could not
    be written), ``message`` what went wrong."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def write_step(plan: Plan, name: str, path: Path) -> dict:
    """Write the plan's STEP to ``path`` atomically (``document.step_text``); returns the wall and
    CPU seconds of each step (``{"times": …, "cpu": …}``)."""
    from battgen.core.atomic import write_atomic

    if not path.parent.is_dir():  # the build made its folder: gone, it is an error, never made again here
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path.parent))
    clock = _Clock()
    data = step_text(plan, name, STEP_FILE_NAME).encode("ascii")
    clock.lap("text")
    write_atomic(path, data)
    clock.lap("write")
    return {"times": clock.times, "cpu": clock.cpu}


# --- the STEP process: the parent's side ------------------------------------------------------


class _PlanPickler(pickle.Pickler):
    """Pickles a plan for the STEP process with each shapely geometry's precision grid: shapely
    pickles a geometry as WKB, which drops the grid ``passes.drawn.clean`` snapped it to, and
    an overlay in the child (a void's layers, a preview's holes) then rounds otherwise than here:
    on the e-bike, preview.png moved by 5e-5 mm and its bytes changed."""

    def reducer_override(self, obj: object) -> Any:  # a reduction, or NotImplemented: pickle's own way
        import shapely

        if isinstance(obj, shapely.Geometry):
            return _geometry, (shapely.to_wkb(obj, include_srid=True), float(shapely.get_precision(obj)))
        return NotImplemented


def _geometry(wkb: bytes, grid: float) -> object:
    """A geometry as ``_PlanPickler`` sent it: its coordinates, on its precision grid."""
    import shapely

    geometry = shapely.from_wkb(wkb)
    return shapely.set_precision(geometry, grid, mode="pointwise") if grid > 0 else geometry


class _StepProcess:
    """``STEP_PROCESS_COMMAND`` (``main`` below) running beside this process: a fresh interpreter
    (spawned, never forked: a fork of a threaded process can hang) that writes the STEP file
    atomically from the pickled plan, then the previews. It starts before the plan is made, so
    that its imports overlap the plan; ``send``
    then hands it the plan through its stdin. Its result, or what went wrong, comes back as one
    line of JSON on its stdout."""

    def __init__(self) -> None:
        import subprocess

        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 - the child's stderr, closed by ``stop``
        self.sender: threading.Thread | None = None
        root = str(Path(__file__).resolve().parents[3])  # the folder holding the battgen package
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", STEP_PROCESS_COMMAND],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            env=env,
        )

    def send(self, plan: Plan, name: str, path: Path, thin: bool = False) -> None:
        """Hand the child its work (the STEP file at ``path``, then the previews beside it,
        ``thin`` as ``preview.write_previews`` takes it): from a thread, as the pipe takes the plan
        only as fast as the child reads it (after its imports), and this process has the GLB to
        write."""
        payload = {"plan": plan, "name": name, "path": str(path), "thin": thin}
        buffer = io.BytesIO()
        _PlanPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(payload)
        data = buffer.getvalue()

        stdin = self.proc.stdin
        assert stdin is not None  # a pipe: ``__init__`` asked for one

        def write() -> None:
            try:
                stdin.write(data)
                stdin.flush()  # ``communicate`` closes it
            except (OSError, ValueError):  # the child ended (or was stopped) early: ``result`` says how
                pass

        self.sender = threading.Thread(target=write, name="battgen-step-send", daemon=True)
        self.sender.start()

    def result(self) -> dict:
        """Wait for the process; its report (times, peak memory), or ``StepExportError``."""
        import subprocess

        try:
            if self.sender is not None:
                self.sender.join(timeout=STEP_TIMEOUT)
                if self.sender.is_alive():
                    raise subprocess.TimeoutExpired(self.proc.args, STEP_TIMEOUT)
            out, _ = self.proc.communicate(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.stop()
            raise StepExportError("TimeoutError", f"the STEP export process took more than {STEP_TIMEOUT} s") from None
        lines = out.decode("utf-8", "replace").strip().splitlines()
        try:
            report = json.loads(lines[-1]) if lines else None
        except ValueError:
            report = None
        if not isinstance(report, dict) or "ok" not in report:
            self.errors.seek(0)
            tail = self.errors.read().decode("utf-8", "replace").strip().splitlines()
            code = self.proc.returncode
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            raise StepExportError(
                "ProcessError",
                f"the STEP export process {how} without a result" + (f" ({tail[-1].strip()})" if tail else ""),
            )
        if not report["ok"]:
            raise StepExportError(report.get("error", "Error"), report.get("message", ""))
        return report

    def stop(self) -> None:
        """End the process if it still runs (this process failed or gave up on it)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for handle in (self.proc.stdin, self.proc.stdout, self.errors):
            if handle is not None:
                with contextlib.suppress(OSError):  # a pipe with unsent bytes to a child that is gone
                    handle.close()


# --- the STEP process: the child's side -------------------------------------------------------


def main() -> int:
    """The STEP export process (see the module's docstring); 0 if the file was written."""
    report_fd = os.dup(1)
    os.dup2(2, 1)  # anything else written to stdout (OCCT, print) goes to stderr
    clock = _Clock()
    report: dict
    try:
        # Imports first: the parent is still making the plan.
        import numpy  # noqa: F401 - the placements
        import shapely  # noqa: F401 - the plan's geometry

        clock.lap("start and import")
        payload = pickle.load(sys.stdin.buffer)
        clock.lap("wait for the plan")
        done = write_step(payload["plan"], payload["name"], Path(payload["path"]))
        times, cpu = {**clock.times, **done["times"]}, {**clock.cpu, **done["cpu"]}
        clock = _Clock()
        from battgen.emit.cad.preview import write_previews

        previews = write_previews(payload["plan"], Path(payload["path"]).parent, payload["thin"])
        clock.lap("previews")
        report = {"ok": True, "times": {**times, **clock.times}, "cpu": {**cpu, **clock.cpu}, "previews": previews}
    except OSError as error:  # the parent names the file (pack.step); its temporary names mean nothing
        report = {"ok": False, "error": "OSError", "message": error.strerror or str(error)}
    except StepExportError as error:
        report = {"ok": False, "error": error.kind, "message": error.message}
    except BaseException as error:  # noqa: BLE001 - everything goes back to the parent as a report
        from battgen.core.diagnostics import raised_at

        report = {"ok": False, "error": type(error).__name__, "message": f"{error}{raised_at(error)}"}
    report["maxrss_MiB"] = _peak_memory()
    os.write(report_fd, (json.dumps(report) + "\n").encode())
    return 0 if report["ok"] else 1


def _peak_memory() -> float:
    """This process's peak resident memory, MiB. Linux's VmHWM counts this program only;
    ``ru_maxrss`` of a spawned process also counts the parent's memory at the moment it was
    spawned (the exec'd-over address space), so it is only the fallback."""
    import resource  # POSIX only: imported where it is used

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
