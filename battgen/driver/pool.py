"""Where a study's variants are built: a Dask cluster, or this process.

``DaskPool`` runs each variant as a Dask task on a ``LocalCluster`` of worker processes (one
thread each: a build is pure Python and numpy, it holds the GIL) or on a running cluster
(``scheduler="tcp://host:port"``). What every variant shares travels once: the project's
files, parsed (the pack's file, everything it imports and the standard library), go to every
worker as one scattered ``Workspace``; a task carries only its variant's text (a couple of
kB) and comes back as an ``Evaluation`` (a few hundred bytes). Tasks are submitted in a
window of a few per worker thread, so a study of 100,000 variants never holds 100,000 futures.

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


@dataclass(frozen=True)
class Job:
    """One variant to build: its key, its text, the path its file compiles as, its pack."""

    key: str
    text: str
    root: str  # absolute path of the pack's file (imports resolve from it)
    pack: str


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
    """Import what a build needs (run once per worker, before the timed work)."""
    import battgen.driver.loop
    import battgen.passes.asbuilt
    import battgen.passes.heat
    import battgen.passes.layout
    import battgen.passes.routing.stage  # noqa: F401

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


class DaskPool:
    """Builds on Dask workers: a LocalCluster of ``workers`` processes, or the cluster at
    ``scheduler``."""

    def __init__(self, sources: dict[str, str], scheduler: str | None = None, workers: int | None = None) -> None:
        from dask.distributed import Client, LocalCluster

        self.cluster: LocalCluster | None = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
            self.address = scheduler
        else:
            self.cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
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
        """Results as they complete (not in the order of ``jobs``)."""
        from dask.distributed import as_completed

        pending = iter(jobs)
        prefix = "variant" if task is evaluate_variant else task.__name__
        running = as_completed()
        jobs_of: dict[object, Job] = {}  # by the future's key

        def submit(job: Job) -> None:
            future = self.client.submit(task, job, self.shared, key=f"{prefix}-{job.key}", retries=1)
            jobs_of[future.key] = job
            running.add(future)

        for job in pending:
            submit(job)
            if len(jobs_of) >= WINDOW_PER_THREAD * self.workers:
                break
        for future in running:
            job = jobs_of.pop(future.key)
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - one variant's bug (or a lost worker) must not end the study
                result = lost(job, task, error)
            future.release()
            yield result
            following = next(pending, None)
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
