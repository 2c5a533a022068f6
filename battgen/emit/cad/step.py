"""The STEP export as a process of its own (started by ``battgen.emit.cad`` for large packs).

    python -m battgen.emit.step_export < plan.pickle

Imports OCP, then reads ``{"plan": cad.Plan, "name": pack name, "path": where}`` pickled on
stdin (the parent starts this process first and sends the plan once made), rebuilds the
XCAF document from the plan (the same function and order as the parent's, so the same bytes)
and writes the STEP file atomically. Prints one line of JSON on stdout, whatever happens:
``{"ok": true, "times": {...}, "maxrss_MiB": ...}`` or ``{"ok": false, "error": type name,
"message": ...}``; the parent turns a failure into a diagnostic, never a traceback. OCCT's own
messages are sent to stderr so that stdout carries only that line.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import sys
import time
from pathlib import Path


def main() -> int:
    report_fd = os.dup(1)
    os.dup2(2, 1)  # anything else written to stdout (OCCT, print) goes to stderr
    start = time.perf_counter()
    report: dict
    try:
        # Imports first: the parent is still making the plan.
        import OCP.OCP  # noqa: F401 - the binding (about 1 s)
        import shapely  # noqa: F401 - the plan's geometry

        from battgen.emit.cad import write_step

        loaded = time.perf_counter()
        payload = pickle.load(sys.stdin.buffer)
        received = time.perf_counter()
        report = {"ok": True, **write_step(payload["plan"], payload["name"], Path(payload["path"]))}
        report["times"] = {
            "start and import": loaded - start,
            "wait for the plan": received - loaded,
            **report["times"],
        }
    except OSError as error:  # the parent names the file (pack.step); its temporary names mean nothing
        report = {"ok": False, "error": "OSError", "message": error.strerror or str(error)}
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
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


if __name__ == "__main__":
    raise SystemExit(main())
