"""Where a study's variants are built: a Dask cluster, or this process.

``DaskPool`` runs each variant as a Dask task on a ``LocalCluster`` of worker processes (one
thread each: a build is pure Python and numpy, it holds the GIL) or on a running cluster
(``scheduler="tcp://host:port"``). What every variant shares travels once: the project's
files, parsed (the pack's file, everything it imports and the standard library), go to every
worker as one scattered ``Workspace``; a task carries only its variant's text (a couple of
kB) and comes back as an ``Evaluation`` (a few hundred bytes). Tasks are submitted in a
window of a few per worker thread, so a study of 100,000 variants never holds 100,000 futures,
the variants expected to take longest first (``Queue``: a slow variant submitted last would
end the study alone on one worker). Each worker imports what a build needs before its first
task (``warm``), so that no task pays for it.

``InlinePool`` builds in this process, one after the other (``--workers 0``: no cluster, for
debugging and small runs).

The task functions (``evaluate_variant``, ``render_variant``) are module-level so that Dask
pickles them by reference: a worker imports ``battgen`` itself.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from battgen.frontend.parser import parse
from battgen.frontend.workspace import SourceFile, Workspace
from battgen.passes.study import ERROR, Evaluation, evaluate

WINDOW_PER_THREAD = 3  # tasks in flight per worker thread: the next is queued when one ends
# A LocalCluster's workers without the statistical profiler, which samples the task's stack
# every 10 ms from a second thread (the dashboard's profile: not shown here)
WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


@dataclass(frozen=True)
class Job:
    """One variant to build: its key, its text, the path its file compiles as, its pack."""

    key: str
    text: str
    root: str  # absolute path of the pack's file (imports resolve from it)
    pack: str
    settings: tuple[tuple[str, str], ...] = ()  # the study's (variable, value) pairs: what its time is learnt by


def shared_workspace(sources: dict[str, str]) -> Workspace:
    """A workspace holding every file of the project, parsed (display path → text in; keyed by
    absolute path, shown as given)."""
    overlays, cache, displays = {}, {}, {}
    for display, text in sources.items():
        key = str(Path(display).resolve())
        overlays[key] = text
        cache[key] = (-1.0, SourceFile(display, text, parse(text, display)))
        displays[key] = display
    return Workspace(overlays=overlays, cache=cache, displays=displays)


def _variant_workspace(shared: Workspace, job: Job) -> Workspace:
    """The shared workspace with the variant's text as its pack's file (the parsed files and
    their cache are shared, not copied)."""
    return replace(shared, overlays={**shared.overlays, job.root: job.text})


def _build(job: Job, shared: Workspace):
    from battgen.driver.pipeline import build_result

    return build_result(Path(job.root), None, cad=False, workspace=_variant_workspace(shared, job), only=(job.pack,))


def evaluate_variant(job: Job, shared: Workspace) -> Evaluation:
    """Build one variant without CAD and read its figures (runs on a worker)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = _build(job, shared)
    build = result.packs.get(job.pack)
    evaluation = evaluate(job.key, build, result.diagnostics, time.perf_counter() - start)
    return replace(evaluation, cpu=time.process_time() - cpu)


def render_variant(job: Job, shared: Workspace) -> tuple[str, dict[str, bytes]]:
    """A variant's key and build folder, as bytes by file name (runs on a worker; the driver
    writes them)."""
    from battgen.core.diagnostics import sort_key
    from battgen.emit.files import render_all

    result = _build(job, shared)
    build = result.packs.get(job.pack)
    if build is None:
        return job.key, {}
    warnings = sorted([*result.estimate.lowered.diagnostics, *build.diagnostics], key=sort_key)
    files = render_all(build, warnings)
    return job.key, {name: data.encode() if isinstance(data, str) else data for name, data in files.items()}


def warm() -> str:
    """Import what a build imports (once per worker, before any task: ``stages.warm_imports``):
    2-3 CPU-s of imports, which the first variant on each worker paid inside its task (a sedan
    variant built first in a process took 6.1 CPU-s, built again 3.4; after ``warm``, 3.1
    against 2.8)."""
    from battgen.driver.stages import warm_imports

    warm_imports()
    return str(os.getpid())


def lost(job: Job, task: Callable, error: BaseException):
    """What a task that raised (a bug, or a worker lost twice) stands for: an error evaluation,
    or no files."""
    if task is evaluate_variant:
        return Evaluation(job.key, ERROR, failures=(f"E901 {type(error).__name__}: {error}",))
    return job.key, {}


class InlinePool:
    """Builds in this process."""

    workers = 1
    address = "in process"

    def __init__(self, sources: dict[str, str]) -> None:
        self.shared = shared_workspace(sources)
        warm()

    def run(self, jobs: Iterable[Job], task: Callable = evaluate_variant) -> Iterator:
        for job in jobs:
            try:
                yield task(job, self.shared)
            except Exception as error:  # noqa: BLE001 - one variant's bug must not end the study
                yield lost(job, task, error)

    def close(self) -> None:
        pass


class Queue:
    """The jobs not yet submitted, the one expected to take longest first.

    A study ends when its last task does: a long variant submitted last runs alone on one
    worker while the others have nothing left to do (the grid's order put the sedan's slow
    cell last in the benchmark: 1.45x on 2 workers). Longest first is Graham's rule, whose
    finish is within 4/3 of the best possible order's (R. L. Graham, "Bounds on multiprocessing
    timing anomalies", SIAM J. Appl. Math. 17(2), 1969). A variant's time is not known before
    it is built (the design loop builds 1 to 6 architectures), so it is learnt from the results
    as they arrive: the mean CPU time of the builds with each setting (a cell, a layout, ...),
    and a variant expected to take the mean of all builds plus, for each of its settings, that
    setting's difference from it (main effects). A variant with settings not seen yet goes
    before the others (the one with most first): building it is what teaches the order. Ties
    keep the study's order. The jobs are sorted again when a setting is first seen and when the
    results learnt from have doubled: a few dozen sorts for a study of 100,000."""

    def __init__(self, jobs: Iterable[Job]) -> None:
        self.jobs = list(jobs)[::-1]  # the next to submit last
        self.seconds: dict[tuple[str, str], list[float]] = {}  # setting -> [sum, count]
        self.total = 0.0
        self.count = 0
        self.sorted_at = 0  # results learnt from at the last sort

    def __len__(self) -> int:
        return len(self.jobs)

    def pop(self) -> Job | None:
        return self.jobs.pop() if self.jobs else None

    def expected(self, job: Job) -> tuple[int, float]:
        """(settings not seen yet, seconds expected): the larger goes first."""
        return self._rank(self._effects())(job)

    def priority(self, job: Job) -> int:
        """Dask's priority for the job (higher runs first among the queued tasks)."""
        unseen, seconds = self.expected(job)
        return unseen * 1_000_000 + round(max(seconds, 0.0) * 1000)

    def learn(self, job: Job, seconds: float) -> None:
        first = False
        for setting in job.settings:
            entry = self.seconds.setdefault(setting, [0.0, 0])
            first = first or entry[1] == 0
            entry[0] += seconds
            entry[1] += 1
        self.total += seconds
        self.count += 1
        if self.jobs and (first or self.count >= 2 * self.sorted_at):
            self.sorted_at = self.count
            self.jobs.sort(key=self._rank(self._effects()))  # stable: ties keep the study's order

    def _effects(self) -> tuple[float, dict[tuple[str, str], float]]:
        """The mean of all builds, and each setting's difference from it."""
        mean = self.total / self.count if self.count else 0.0
        return mean, {setting: total / count - mean for setting, (total, count) in self.seconds.items()}

    @staticmethod
    def _rank(effects: tuple[float, dict[tuple[str, str], float]]) -> Callable[[Job], tuple[int, float]]:
        mean, effect = effects

        def rank(job: Job) -> tuple[int, float]:
            unseen, expected = 0, mean
            for setting in job.settings:
                difference = effect.get(setting)
                if difference is None:
                    unseen += 1
                else:
                    expected += difference
            return unseen, expected

        return rank


class DaskPool:
    """Builds on Dask workers: a LocalCluster of ``workers`` processes, or the cluster at
    ``scheduler``."""

    def __init__(self, sources: dict[str, str], scheduler: str | None = None, workers: int | None = None) -> None:
        import dask
        from dask.distributed import Client, LocalCluster

        self.cluster: LocalCluster | None = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
            self.address = scheduler
        else:
            # the workers take the configuration in effect when their nannies start them
            with dask.config.set(WORKER_CONFIG):
                self.cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    memory_limit=0,  # no memory monitor: a build holds about 240 MB, nothing to spill
                    dashboard_address=None,
                    # the scheduler's HTTP routes on a free port, not 8787 (another cluster's)
                    scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
                    silence_logs=logging.ERROR,
                )
            self.client = Client(self.cluster)
            self.address = self.cluster.scheduler_address
        self.client.run(warm)
        self.workers = max(sum(self.client.nthreads().values()), 1)
        # the project's parsed files: sent once to every worker, referenced by each task
        self.shared = self.client.scatter(shared_workspace(sources), broadcast=True, hash=False)

    def run(self, jobs: Iterable[Job], task: Callable = evaluate_variant) -> Iterator:
        """Results as they complete (not in the order of ``jobs``): the longest expected first
        (``Queue``)."""
        from dask.distributed import as_completed

        pending = Queue(jobs)
        prefix = "variant" if task is evaluate_variant else task.__name__
        running = as_completed()
        jobs_of: dict[object, Job] = {}  # by the future's key

        def submit(job: Job) -> None:
            future = self.client.submit(
                task, job, self.shared, key=f"{prefix}-{job.key}", retries=1, priority=pending.priority(job)
            )
            jobs_of[future.key] = job
            running.add(future)

        while len(jobs_of) < WINDOW_PER_THREAD * self.workers and (first := pending.pop()) is not None:
            submit(first)
        for future in running:
            job = jobs_of.pop(future.key)
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - one variant's bug (or a lost worker) must not end the study
                result = lost(job, task, error)
            future.release()
            if isinstance(result, Evaluation) and result.status != ERROR:  # a lost task's time is not its build's
                pending.learn(job, result.cpu or result.seconds)
            yield result
            following = pending.pop()
            if following is not None:
                submit(following)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def open_pool(sources: dict[str, str], scheduler: str | None, workers: int | None) -> InlinePool | DaskPool:
    if workers == 0 and not scheduler:
        return InlinePool(sources)
    return DaskPool(sources, scheduler, workers)


def unique(jobs: Sequence[Job]) -> list[Job]:
    """Each key once, in order."""
    seen: set[str] = set()
    out = []
    for job in jobs:
        if job.key not in seen:
            seen.add(job.key)
            out.append(job)
    return out
