"""The STEP file: writing it from the document, the fixes that make its bytes deterministic, and
the process of its own that large packs write it in.

``write_step`` writes the plan's STEP atomically: AP214 from the XCAF document (``document``),
then a constant FILE_NAME, NAUO ids counted from 1 and the style entities renumbered in a fixed
order, so that either process writes the same bytes.

``_StepProcess`` runs the export beside the parent (``build``) for packs of
``STEP_PROCESS_CELLS`` cells or more:

    python -c "from battgen.emit.cad.step import main; raise SystemExit(main())" < plan.pickle

``main`` imports OCP, then reads ``{"plan": Plan, "name": pack name, "path": where}`` pickled on
stdin (the parent starts this process first and sends the plan once made), rebuilds the
XCAF document from the plan (the same function and order as the parent's, so the same bytes)
and writes the STEP file atomically. Prints one line of JSON on stdout, whatever happens:
``{"ok": true, "times": {...}, "maxrss_MiB": ...}`` or ``{"ok": false, "error": type name,
"message": ...}``; the parent turns a failure into a diagnostic, never a traceback. OCCT's own
messages are sent to stderr so that stdout carries only that line. (Started with ``-c``, not
``-m``: ``-m`` would run a second copy of this module beside the one the package imports.)
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from battgen.emit.cad.document import _document
from battgen.emit.cad.parts import Plan

if TYPE_CHECKING:
    from OCP.TDocStd import TDocStd_Document

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


def _export_step(doc: TDocStd_Document, path: Path, clock: _Clock | None = None) -> None:
    """AP214 STEP of the document, without pcurves: every face is planar or a cylinder and
    readers rebuild them; they were half the entities of the file and of the export time."""
    from OCP.IFSelect import IFSelect_ReturnStatus
    from OCP.Interface import Interface_Static
    from OCP.STEPCAFControl import STEPCAFControl_Writer
    from OCP.STEPControl import STEPControl_StepModelType
    from OCP.XSControl import XSControl_WorkSession

    clock = clock or _Clock()
    session = XSControl_WorkSession()
    writer = STEPCAFControl_Writer(session, False)
    writer.SetColorMode(True)
    writer.SetNameMode(True)
    # Nothing to write for these (no layers, validation properties, SHUOs, materials, GD&T),
    # but looking costs: the properties pass counts each assembly's children once per part,
    # quadratic in the parts (16,000 instances: the transfer took 1.5 s with it, 0.9 s without).
    writer.SetLayerMode(False)
    writer.SetPropsMode(False)
    writer.SetSHUOMode(False)
    writer.SetMaterialMode(False)
    writer.SetDimTolMode(False)
    Interface_Static.SetIVal_s("write.surfacecurve.mode", 0)
    # The uncertainty written with each representation: a stated 1e-7 mm (OCCT's confusion
    # tolerance, what every shape here has) instead of the average over the shape ("mode 0"),
    # which walks every vertex and edge of every placed instance (14% of the transfer).
    Interface_Static.SetIVal_s("write.precision.mode", 2)
    Interface_Static.SetRVal_s("write.precision.val", 1e-7)
    Interface_Static.SetIVal_s("write.stepcaf.subshapes.name", 1)
    Interface_Static.SetCVal_s("xstep.cascade.unit", "MM")
    Interface_Static.SetCVal_s("write.step.unit", "MM")
    Interface_Static.SetIVal_s("write.step.tessellated", 0)  # B-rep only, never the glTF mesh
    writer.Transfer(doc, STEPControl_StepModelType.STEPControl_AsIs)
    clock.lap("transfer")
    if writer.Write(str(path)) != IFSelect_ReturnStatus.IFSelect_RetDone:
        raise OSError(f"cannot write {path.name}")
    clock.lap("write")


def _canonical_styles(text: str) -> str:
    """Renumber the colour styling entities at the end of the DATA section in a fixed order.

    OCCT writes one MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION chain per coloured
    shape, iterating a map keyed by pointers: the chains' order (and so their entity numbers)
    changes from run to run although their content does not. The chains are re-emitted by a
    depth-first walk from their roots, sorted by the (stable) entity each one styles."""
    start = text.find("MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION")
    end = text.rfind("ENDSEC;")
    if start < 0 or end < 0:
        return text
    start = text.rfind("\n#", 0, start) + 1
    tail = text[start:end]
    entities = re.findall(r"#(\d+) = (.*?);\s*(?=#\d+ = |$)", tail, flags=re.DOTALL)
    if not entities:
        return text
    body = {int(i): b for i, b in entities}
    first = min(body)
    refs = {i: [int(r) for r in re.findall(r"#(\d+)", b)] for i, b in body.items()}
    roots = [i for i, b in body.items() if b.startswith("MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION")]

    def key(root: int) -> tuple[list[int], str]:  # the styled item's target outside the tail
        outside: list[int] = []
        stack, seen = [root], set()
        while stack:
            i = stack.pop()
            if i in seen or i not in body:
                continue
            seen.add(i)
            outside.extend(r for r in refs[i] if r not in body)
            stack.extend(refs[i])
        return sorted(outside), body[root]

    order: list[int] = []
    placed: set[int] = set()

    def visit(i: int) -> None:
        stack = [i]
        while stack:
            j = stack.pop()
            if j in placed or j not in body:
                continue
            placed.add(j)
            order.append(j)
            stack.extend(reversed(refs[j]))

    for root in sorted(roots, key=key):
        visit(root)
    order.extend(i for i in sorted(body) if i not in placed)
    new_id = {old: first + n for n, old in enumerate(order)}

    def renumber(b: str) -> str:
        return re.sub(r"#(\d+)", lambda m: f"#{new_id.get(int(m.group(1)), int(m.group(1)))}", b)

    flat = {i: renumber(re.sub(r"\s*\n\s*", " ", b)) for i, b in body.items()}
    out = "".join(f"#{new_id[i]} = {flat[i]};\n" for i in order)
    return text[:start] + out + text[end:]


def _fixed_step(data: bytes) -> bytes:
    """The STEP text with a constant FILE_NAME (the temp path and the timestamp change on every
    run), NAUO ids counted from 1 and the styles in a fixed order."""
    text = data.decode("latin-1")
    text = re.sub(r"FILE_NAME\(.*?\);", lambda _m: STEP_FILE_NAME, text, count=1, flags=re.DOTALL)
    counter = iter(range(1, 10**9))  # NAUO ids come from a per-process OCCT counter

    def nauo(match: re.Match[str]) -> str:  # one line each: OCCT wraps the entity by the id's length
        rest = re.sub(r"\n *", "", match.group(1))
        return f"NEXT_ASSEMBLY_USAGE_OCCURRENCE('{next(counter)}'{rest});"

    text = re.sub(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('\d+'(.*?)\);", nauo, text, flags=re.DOTALL)
    text = _canonical_styles(text)
    return text.encode("latin-1")


class StepExportError(Exception):
    """The STEP export failed; ``kind`` is the exception's type name ("OSError": the file could not
    be written), ``message`` what went wrong."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def write_step(plan: Plan, name: str, path: Path) -> dict:
    """Write the plan's STEP to ``path`` atomically; returns the wall and CPU seconds of each
    step (``{"times": …, "cpu": …}``). OCP
    missing (or a broken shared library) is a ``StepExportError`` of kind "ImportError"."""
    from battgen.core.atomic import write_atomic

    clock = _Clock()
    try:
        import OCP.OCP  # noqa: F401 - the binding: the parent of a large pack never imports it
    except ImportError as error:
        raise StepExportError("ImportError", str(error)) from error
    doc = _document(plan, name)
    clock.lap("document")
    fd, raw = tempfile.mkstemp(prefix=".pack.step.", suffix=".raw", dir=path.parent)
    os.close(fd)
    try:
        _export_step(doc, Path(raw), clock)
        data = _fixed_step(Path(raw).read_bytes())
    finally:
        os.unlink(raw)
    write_atomic(path, data)
    clock.lap("fix and write")
    return {"times": clock.times, "cpu": clock.cpu}


# --- the STEP process: the parent's side ------------------------------------------------------


class _StepProcess:
    """``STEP_PROCESS_COMMAND`` (``main`` below) running beside this process: a fresh interpreter
    (spawned, never forked: a fork of a process whose OCCT threads hold locks can hang) that
    rebuilds the document from the pickled plan and writes the STEP file atomically. It starts
    before the plan is made, so that its imports (OCP: about a second) overlap the plan; ``send``
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

    def send(self, plan: Plan, name: str, path: Path) -> None:
        """Hand the child its work: from a thread, as the pipe takes the plan only as fast as
        the child reads it (after its imports), and this process has the GLB to write."""
        data = pickle.dumps({"plan": plan, "name": name, "path": str(path)}, protocol=pickle.HIGHEST_PROTOCOL)

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
        try:
            import OCP.OCP  # noqa: F401 - the binding (about 1 s)
        except ImportError as error:  # no OCP, or a broken shared library: E803 in the parent
            raise StepExportError("ImportError", str(error)) from error
        import shapely  # noqa: F401 - the plan's geometry

        clock.lap("start and import")
        payload = pickle.load(sys.stdin.buffer)
        clock.lap("wait for the plan")
        done = write_step(payload["plan"], payload["name"], Path(payload["path"]))
        report = {
            "ok": True,
            "times": {**clock.times, **done["times"]},
            "cpu": {**clock.cpu, **done["cpu"]},
        }
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
