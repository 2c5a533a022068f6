"""As-built feedback: the build stages (no CAD) of the document being edited, in a worker process.

After a document's front-end diagnostics, the server asks ``BuildRunner`` for a build of its
newest text. The build runs in one worker *process* (``multiprocessing``, spawned: it imports
numpy, scipy and shapely, which the server's own process never loads, and a build of seconds
never holds the event loop that answers hover and completion). It calls the same driver
function as ``battc FILE --no-cad`` (``driver.pipeline.build_result`` with ``out=None``), so every
stage in the registry runs, and a stage added there appears here with no change, and the
diagnostics are the CLI's, on the same spans. The worker keeps a ``driver.cache.MemoryCache``
across builds: an edit that touches only ``cooling`` reruns heat and what reads it, and reuses
synthesis's layout and routing.

A newer edit supersedes the build under way: the runner raises a shared *generation* number, and
the worker abandons its build at the next stage boundary (the stages it finished stay in the
cache, so the newer build reuses what still applies). A worker that has not let go within
``ABANDON_GRACE`` seconds (one very long stage) is killed and a fresh one started; it starts
with an empty cache. A worker that dies is started again for the next build.

Messages from the worker (read on a thread of the server, handed to its event loop):

* ``Progress``: a stage of the build ``generation`` starts;
* ``Built``: the build finished: its diagnostics (every one the CLI prints), per-pack figures
  for hover and inlay hints (``BuiltPack``), seconds and the cache's hits;
* ``Pictures``: with the preview on, the pack's pictures (``layout.svg``, ``busbars.svg``,
  ``temperatures.svg``, as the build folder holds them), after ``Built``;
* ``Abandoned``: the build gave way to a newer one.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from battgen.core.diagnostics import Diagnostic

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

log = logging.getLogger("battgen.lsp")

ABANDON_GRACE = float(os.environ.get("BATTGEN_LSP_ABANDON_MS", "4000")) / 1000
CACHE_ENTRIES = 32  # stage results the worker keeps (a 7,000-cell pack's routing is tens of MB)
NICE = 10  # the worker's scheduling priority below the server's (POSIX nice increment)
PICTURES = ("layout.svg", "busbars.svg", "temperatures.svg")  # what the preview shows


# --- what travels between the processes (plain values: the server loads no numpy) ----------


@dataclass(frozen=True)
class Job:
    generation: int
    uri: str
    path: str  # absolute
    text: str
    version: int | None
    overlays: dict[str, str]  # the other open buffers, by absolute path (imports see them)
    pictures: bool = False  # render the preview's pictures after the build


@dataclass(frozen=True)
class BuiltPack:
    """One pack as built, in the figures hover and inlay hints show (SI)."""

    name: str
    label: str  # "96s50p"
    cells: int
    mass: float | None  # kg, the bill of materials
    hottest: float | None  # K, the hottest cell as the as-built check reads it
    worst_current: float | None  # A, the most loaded cell, nearest its rating
    rating: float | None  # A, that rating
    worst_case: str  # the load case of that figure: "peak"
    passed: bool  # every as-built check met
    stage: str  # the last stage that ran
    attempts: int  # architectures the design loop built


@dataclass(frozen=True)
class Progress:
    generation: int
    uri: str
    version: int | None
    stage: str
    detail: str


@dataclass(frozen=True)
class Built:
    generation: int
    uri: str
    version: int | None
    text: str
    diagnostics: tuple[Diagnostic, ...]
    packs: tuple[BuiltPack, ...]
    seconds: float
    hits: int  # stage results the cache supplied in this build
    misses: int  # stages that ran


@dataclass(frozen=True)
class Pictures:
    generation: int
    uri: str
    version: int | None
    files: dict[str, dict[str, str]]  # pack → file name → SVG text


@dataclass(frozen=True)
class Ready:
    """The worker waits for a job (sent once started, and after each job)."""


@dataclass(frozen=True)
class Abandoned:
    generation: int
    uri: str
    version: int | None
    stage: str  # where it stopped


Message = Progress | Built | Pictures | Abandoned | Ready


# --- the worker process ------------------------------------------------------------------------


class _GaveWay(BaseException):
    """A newer build was asked for (a BaseException: the driver turns an Exception of a stage
    into E901, and this is no error)."""


class _Reporter:
    """The stage reporter of one build: tells the server, and gives way to a newer build."""

    def __init__(self, job: Job, newest, send: Callable[[Message], None]):
        self.job, self.newest, self.send = job, newest, send
        self.current = ""

    def give_way(self) -> None:
        if self.newest.value != self.job.generation:
            raise _GaveWay

    def stage(self, name: str, detail: str = "") -> None:
        self.give_way()
        self.current = name
        self.send(Progress(self.job.generation, self.job.uri, self.job.version, name, detail))

    def step(self, step: str, done: int, total: int) -> None:
        self.give_way()


def built_pack(build) -> BuiltPack:
    """The figures of a ``PackBuild`` that hover shows: the architecture built, its mass from the
    bill of materials, the hottest cell and the cell nearest its current rating, from the
    as-built check's verdicts (the figures its diagnostics quote)."""
    candidate = build.candidate
    mass = sum(line.mass_kg for line in build.bom) if build.bom else None
    hottest = worst = rating = None
    case = ""
    checked = build.as_built
    if checked is not None:
        for verdict in checked.verdicts:
            if verdict.name == "cell temperature":
                hottest = verdict.built
            elif verdict.name.startswith("cell current") and verdict.built > 0:
                limit = verdict.built / (1.0 - verdict.margin) if verdict.margin < 1.0 else None
                if limit is not None and (worst is None or verdict.built / limit > worst / rating):
                    worst, rating, case = verdict.built, limit, verdict.name.split("(")[-1].rstrip(")")
        if worst is None and checked.worst_cells:
            case, _, worst = max(checked.worst_cells, key=lambda w: w[2])
    elif build.heat is not None:
        hottest = build.heat.core_temperature or build.heat.end_temperature or build.heat.base_temperature
    last = build.design_loop[-1].stage if build.design_loop else ""
    return BuiltPack(
        build.name,
        candidate.label if candidate is not None else "",
        candidate.cells if candidate is not None else 0,
        mass,
        hottest,
        worst,
        rating,
        case,
        checked is not None and checked.passed,
        last,
        len(build.design_loop),
    )


class _Counting:
    """The worker's ``MemoryCache``, counting one build's hits and misses."""

    def __init__(self, cache):
        self.cache = cache
        self.hits = self.misses = 0

    def get(self, key):
        entry = self.cache.get(key)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def has(self, key) -> bool:
        return self.cache.has(key)

    def put(self, key, entry) -> None:
        self.cache.put(key, entry)


def _build(job: Job, cache, parses: dict, newest, send: Callable[[Message], None]) -> None:
    from pathlib import Path

    from battgen.driver.pipeline import build_result, internal_error
    from battgen.frontend.workspace import Workspace

    start = time.perf_counter()
    reporter = _Reporter(job, newest, send)
    counting = _Counting(cache)
    key = str(Path(job.path).resolve())
    workspace = Workspace(overlays={**job.overlays, key: job.text}, cache=parses)
    try:
        if os.path.exists(key):
            result = build_result(Path(key), None, cad=False, workspace=workspace, cache=counting, reporter=reporter)
        else:  # an unsaved buffer: no file to read
            result = build_result(
                Path(job.path), None, cad=False, workspace=workspace, cache=counting, text=job.text, reporter=reporter
            )
        diagnostics, packs = tuple(result.diagnostics), tuple(built_pack(b) for _, b in sorted(result.packs.items()))
    except _GaveWay:
        send(Abandoned(job.generation, job.uri, job.version, reporter.current))
        return
    except Exception as error:  # noqa: BLE001 - a bug is a diagnostic, as in the CLI
        diagnostics, packs, result = (internal_error(error, job.path),), (), None
    seconds = time.perf_counter() - start
    send(
        Built(
            job.generation, job.uri, job.version, job.text, diagnostics, packs, seconds, counting.hits, counting.misses
        )
    )
    if job.pictures and result is not None and result.packs and newest.value == job.generation:
        from battgen.emit.files import pictures

        files = {}
        for name, build in sorted(result.packs.items()):
            if newest.value != job.generation:
                return
            drawn = pictures(build)
            files[name] = {file: drawn[file] for file in PICTURES if file in drawn}
        send(Pictures(job.generation, job.uri, job.version, files))


def serve(requests, replies, newest) -> None:
    """The worker process: builds each job it receives, newest first, until the server's end of
    ``requests`` closes (the server exited, however it ended)."""
    from battgen.driver.cache import MemoryCache
    from battgen.driver.stages import warm_imports

    def send(message: Message) -> None:
        replies.send(message)

    if hasattr(os, "nice"):
        os.nice(NICE)  # the server's hover and diagnostics come first; a build takes what is left
    cache = MemoryCache(CACHE_ENTRIES)
    parses: dict = {}
    warm_imports()  # before the first build: its time is the engineer's wait
    while True:
        send(Ready())
        try:
            job = requests.recv()
        except (EOFError, OSError):
            return
        if job.generation != newest.value:
            send(Abandoned(job.generation, job.uri, job.version, ""))
            continue
        _build(job, cache, parses, newest, send)


# --- the server's side ------------------------------------------------------------------------


@dataclass
class Stats:
    """What ``battgen.serverInfo`` reports of the builds."""

    requested: int = 0
    started: int = 0
    finished: int = 0
    abandoned: int = 0
    restarts: int = 0  # workers started again (killed for not giving way, or died)
    seconds: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=200))

    def as_json(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "started": self.started,
            "finished": self.finished,
            "abandoned": self.abandoned,
            "restarts": self.restarts,
            "build_ms": [round(s * 1000, 1) for s in list(self.seconds)[-50:]],
        }


class BuildRunner:
    """The server's handle on the worker: ``submit`` a document's newest text; ``on_message``
    is called with every ``Message`` but ``Ready`` (on the runner's reader thread).

    The server never waits on the worker: only the newest job of each document is kept, and the
    most recent of them is sent when the worker says it is ready (a pipe of queued jobs would
    fill, and block the sender, while a build of seconds runs). A newer job of the document
    being built makes its build give way; another document's waits its turn (re-checking the
    documents that import a saved file must not starve the one being typed in)."""

    def __init__(self, on_message: Callable[[Message], None]):
        self.on_message = on_message
        self.lock = threading.Lock()
        self.generation = 0
        self.running: int | None = None  # the generation whose stages the worker reports
        self.sent: Job | None = None  # the job the worker has (None: it is idle or starting)
        self.process: BaseProcess | None = None
        self.requests: Connection | None = None
        self.newest: Any = None  # shared (a RawValue): the generation the worker should be building
        self.idle = False  # the worker waits for a job
        self.pending: dict[str, Job] = {}  # uri → its newest job, not yet sent
        self.stats = Stats()
        self._timer: threading.Timer | None = None

    # the worker's life

    def _start(self) -> None:
        """A new worker (the lock held); it asks for a pending job once it is ready."""
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # never fork a threaded server
        if self.newest is None:
            self.newest = context.RawValue("q", 0)
        requests_read, requests_write = context.Pipe(duplex=False)
        replies_read, replies_write = context.Pipe(duplex=False)
        process = context.Process(
            target=serve, args=(requests_read, replies_write, self.newest), name="battgen-build", daemon=True
        )
        process.start()
        requests_read.close()
        replies_write.close()
        self.process, self.requests, self.idle, self.running, self.sent = process, requests_write, False, None, None
        reader = threading.Thread(target=self._read, args=(replies_read, process), name="battgen-build-reader")
        reader.daemon = True
        reader.start()

    def _send_pending(self) -> None:
        """The most recent pending job to the idle worker (the lock held)."""
        if not self.pending or not self.idle or self.requests is None:
            return
        job = max(self.pending.values(), key=lambda j: j.generation)
        del self.pending[job.uri]
        self.newest.value = job.generation
        self.idle, self.sent = False, job
        try:
            self.requests.send(job)  # the worker is in recv: it takes the job at once
        except (OSError, ValueError):  # it went away as we sent: its reader starts another
            self.pending.setdefault(job.uri, job)
            self.sent = None

    def _read(self, replies, process) -> None:
        while True:
            try:
                message = replies.recv()
            except (EOFError, OSError):
                break
            with self.lock:
                if self.process is not process:
                    continue  # a worker killed for not giving way: what it still says is moot
                if isinstance(message, Ready):
                    self.idle, self.running, self.sent = True, None, None
                    self._send_pending()
                    continue
                self._count(message)
            try:
                self.on_message(message)
            except Exception as error:  # noqa: BLE001
                log.warning("build message %s: %s: %s", type(message).__name__, type(error).__name__, error)
        with self.lock:
            if self.process is process and process is not None:  # died on its own (the system, a crash in GEOS)
                log.warning("the build worker ended (exit %s); another is started", process.exitcode)
                self.stats.restarts += 1
                self.process = self.requests = None
                sent, self.sent = self.sent, None
                if sent is not None and self.running != sent.generation:
                    # sent as it died, never started: built by the next worker (a job whose
                    # build was under way is not: what ended this worker would end the next)
                    self.pending.setdefault(sent.uri, sent)
                if self.pending:
                    self._start()

    def _count(self, message: Message) -> None:
        if isinstance(message, Progress) and self.running != message.generation:
            self.running = message.generation
            self.stats.started += 1
        elif isinstance(message, Built):
            self.stats.finished += 1
            self.stats.seconds.append(message.seconds)
        elif isinstance(message, Abandoned):
            self.stats.abandoned += 1

    def close(self) -> None:
        """End the worker now (the server is exiting)."""
        with self.lock:
            process, self.process, self.requests = self.process, None, None
        if process is not None and process.is_alive():
            process.kill()

    # builds

    def submit(self, uri: str, path: str, text: str, version: int | None, overlays: dict[str, str], pictures: bool):
        """Build this text; a build of an older text of the same document gives way to it."""
        with self.lock:
            self.generation += 1
            job = Job(self.generation, uri, path, text, version, overlays, pictures)
            self.pending[uri] = job
            self.stats.requested += 1
            if self.process is None:
                self._start()
            superseded = self.sent is not None and self.sent.uri == uri
            if superseded:
                self.newest.value = job.generation  # the build under way gives way at its next stage
            self._send_pending()
        if superseded:
            self._watch(job)

    def cancel(self, uri: str) -> None:
        """Abandon the document's builds, waiting or under way (it closed, or has errors now)."""
        with self.lock:
            self.pending.pop(uri, None)
            if self.sent is not None and self.sent.uri == uri and self.newest is not None:
                self.generation += 1
                self.newest.value = self.generation

    def _watch(self, job: Job) -> None:
        """Kill a worker still on an older build of ``job``'s document ``ABANDON_GRACE`` seconds
        after ``job`` was asked for; a fresh one takes the pending jobs."""

        def check() -> None:
            with self.lock:
                sent = self.sent
                stuck = sent is not None and sent.uri == job.uri and sent.generation < job.generation
                if not stuck or self.process is None or self.pending.get(job.uri) is not job:
                    return
                log.warning("the build worker did not give way in %.1f s; starting another", ABANDON_GRACE)
                old = self.process
                self.process = self.requests = None
                self.stats.restarts += 1
                self.stats.abandoned += 1
                old.kill()
                self._start()

        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(ABANDON_GRACE, check)
        self._timer.daemon = True
        self._timer.start()
