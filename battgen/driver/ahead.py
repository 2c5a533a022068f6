"""Stages run ahead: a stage after the design loop starts in a thread while the loop goes on.

The structure stage reads the placed and routed pack and nothing the loop makes after routing
(``Stage.starts_after``). Once routing is done for an architecture, it starts in a thread; heat,
lifetime, the BMS, the BOM and the check go on in the caller's. On two cores the finite-element
solves and the BOM's drawn parts run side by side: NumPy, SciPy and GEOS let go of the
interpreter's lock in their loops (on the Model S the two took 358-394 ms one after the other,
250-346 ms side by side). When the stage's turn comes after the loop, its result is taken if it
was started with the same key (the architecture that passed), else the stage runs as it would
have. A stage is a pure function of its inputs, so where it ran does not change what it makes.
Started for an attempt that fails, it runs to its end and goes into the stage cache when the
build ends, if it has ended by then: the next edit of a pack whose loop tries several
architectures (the sedan's three) does not start it again for those that fail.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from battgen.driver.stages import BuildOptions, Diagnostics, Stage
    from battgen.passes.build import PackBuild


@dataclass
class _Run:
    """One stage running in its thread: its written fields and diagnostics, or what it raised."""

    held: Any = None  # the build it started from, held while it may be taken: the identities a
    # key without a cache is made of (``stages._ahead_key``) are not reused meanwhile
    done: threading.Event = field(default_factory=threading.Event)
    fields: dict[str, Any] | None = None
    found: Diagnostics = ()
    error: BaseException | None = None

    def compute(self, stage: Stage, build: PackBuild, options: BuildOptions) -> None:
        try:
            new, self.found = stage.run(build, options)
            self.fields = {name: getattr(new, name) for name in stage.writes}
        except BaseException as error:  # noqa: BLE001 - raised again where the stage is taken
            self.error = error
        finally:
            self.done.set()


class Ahead:
    """The stages one pack's build started ahead, by stage key. With one core there is nothing
    to run side by side: ``start`` does nothing and every stage runs in its turn."""

    def __init__(self) -> None:
        self.enabled = (os.cpu_count() or 1) > 1
        self._runs: dict[str, _Run] = {}

    def start(self, stage: Stage, build: PackBuild, options: BuildOptions, key: str) -> None:
        if not self.enabled or key in self._runs:
            return
        run = self._runs[key] = _Run(held=build)
        # a daemon: an interrupted build does not wait for it at exit
        threading.Thread(
            target=run.compute, args=(stage, build, options), name=f"battgen-{stage.name}", daemon=True
        ).start()

    def finished(self) -> list[tuple[str, dict[str, Any], Diagnostics]]:
        """The runs done and never taken (started for attempts that failed), without an error:
        (key, fields, diagnostics), dropped from here."""
        done = [(key, run) for key, run in self._runs.items() if run.done.is_set() and run.error is None]
        for key, _run in done:
            del self._runs[key]
        return [(key, run.fields, run.found) for key, run in done if run.fields is not None]

    def take(self, key: str) -> tuple[dict[str, Any], Diagnostics] | None:
        """The written fields and diagnostics of the stage started with ``key`` (waiting for it
        to finish), None if none was; what it raised is raised here, as if it ran here."""
        run = self._runs.pop(key, None)
        if run is None:
            return None
        run.done.wait()
        if run.error is not None:
            raise run.error
        assert run.fields is not None
        return run.fields, run.found
