"""``battc study FILE``: every variant of a study built, checked and compared.

For each ``study`` the file declares: its variants are written as source (``frontend.variants``),
built on the pool (``driver.pool``: Dask workers, each variant the whole checked pipeline
without CAD), and read into their figures (``passes.study``). A grid study builds every
combination of its lists; an ``nsga2`` study asks the optimiser (``driver.optimise``), which
builds through the same pool. Then ``<out>/<study>/`` gets:

* ``table.csv`` and ``table.parquet``: one row per variant (its settings, status, architecture
  and metrics), in the study's order;
* ``pareto.csv``: the rows on the Pareto front of the study's objectives;
* ``report.html``: the front plotted (inline SVG), the best designs with their pictures;
* ``designs/<key>/``: the best designs' build folders (without CAD), with ``variant.batt``, the
  variant's source;
* ``summary.json``: counts, the best designs and the front, by key.

Every result is stored as it arrives in ``<out>/results/<key>.json``, keyed by the hash of the
variant's source: a study interrupted and run again builds only what is missing, and studies
that share variants share their results. Everything written is deterministic (the same study
gives the same bytes, whichever cluster built it); how long a run took is printed, not written.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from battgen.core import ir
from battgen.core.atomic import write_atomic
from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.driver.pipeline import check
from battgen.driver.pool import Job, open_pool, render_variant, unique
from battgen.frontend.lower import Lowered
from battgen.frontend.variants import Variant, VariantMaker
from battgen.passes.study import INVALID, Evaluation, Row, best, front


@dataclass
class StudyRun:
    """One study's outcome."""

    study: ir.Study
    rows: list[Row]
    on_front: list[bool]
    best: list[tuple[str, int]]  # (why, row index)
    folder: Path
    built: int  # variants built in this run
    reused: int  # results found from an earlier run
    seconds: float
    written: list[str] = field(default_factory=list)


@dataclass
class StudyResult:
    lowered: Lowered | None
    runs: list[StudyRun]
    diagnostics: list[Diagnostic]
    workers: int = 0
    address: str = ""


def _version() -> str:
    from battgen import __version__

    return __version__


class _Store:
    """Results by variant key, in ``<out>/results/``."""

    def __init__(self, folder: Path, fresh: bool) -> None:
        self.folder = folder
        self.fresh = fresh

    def get(self, key: str) -> Evaluation | None:
        path = self.folder / f"{key}.json"
        if self.fresh or not path.is_file():
            return None
        try:
            return Evaluation.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError):
            return None  # a damaged record is built again

    def put(self, evaluation: Evaluation) -> None:
        write_atomic(self.folder / f"{evaluation.key}.json", json.dumps(evaluation.as_json(), sort_keys=True) + "\n")


class _Progress:
    """A rich progress bar with the ETA, when a terminal is watching."""

    def __init__(self, show: bool) -> None:
        self.bar = None
        if show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("elapsed"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.bar.start()

    def task(self, description: str, total: int):
        return self.bar.add_task(description, total=total) if self.bar else None

    def advance(self, task, amount: int = 1) -> None:
        if self.bar is not None and task is not None:
            self.bar.advance(task, amount)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class _Runner:
    """Builds variants on the pool, through the store."""

    def __init__(self, pool, store: _Store, progress: _Progress, maker: VariantMaker, pack: str) -> None:
        self.pool, self.store, self.progress, self.maker, self.pack = pool, store, progress, maker, pack
        self.built = 0
        self.reused = 0
        self.results: dict[str, Evaluation] = {}  # everything evaluated in this run, by key

    def job(self, variant: Variant) -> Job:
        return Job(variant.key, variant.text, str(self.maker.path), self.pack, variant.settings)

    def evaluate(self, variants: Sequence[Variant], description: str) -> dict[str, Evaluation]:
        results: dict[str, Evaluation] = {}
        todo = []
        for job in unique([self.job(v) for v in variants]):
            if job.key in self.results:  # asked for again in this run
                results[job.key] = self.results[job.key]
                continue
            stored = self.store.get(job.key)
            if stored is not None:
                results[job.key] = self.results[job.key] = stored
                self.reused += 1
            else:
                todo.append(job)
        task = self.progress.task(description, len(todo)) if todo else None
        for evaluation in self.pool.run(todo):
            self.store.put(evaluation)
            results[evaluation.key] = self.results[evaluation.key] = evaluation
            self.built += 1
            self.progress.advance(task)
        return results


def run_study(
    source: Path,
    out: Path,
    *,
    names: Sequence[str] = (),
    scheduler: str | None = None,
    workers: int | None = None,
    fresh: bool = False,
    progress: bool = False,
) -> StudyResult:
    """Run the studies ``source`` declares (``names``: only these) and write ``out/<study>/``."""
    lowered = check(source)
    diagnostics = list(lowered.diagnostics)
    if lowered.has_errors:
        return StudyResult(lowered, [], diagnostics)
    studies = [s for name, s in sorted(lowered.design.studies.items()) if not names or name in names]
    unknown = [n for n in names if n not in lowered.design.studies]
    if not studies or unknown:
        what = f"no study `{unknown[0]}` in `{lowered.root}`" if unknown else f"`{lowered.root}` declares no study"
        declared = ", ".join(sorted(lowered.design.studies)) or "none"
        diagnostics.append(
            Diagnostic(
                "E253",
                what,
                Span(lowered.root, 1, 1, 1, 1),
                f"declare one (`study NAME {{ pack = ...; cell = [...] }}`); studies here: {declared}",
            )
        )
        return StudyResult(lowered, [], diagnostics)
    makers = {}
    for study in studies:
        maker = VariantMaker(lowered, study, _version())
        diagnostics.extend(maker.diagnostics)
        makers[study.name] = maker
    if any(d.is_error for d in diagnostics):
        return StudyResult(lowered, [], diagnostics)
    store = _Store(out / "results", fresh)
    try:
        pool = open_pool(lowered.sources, scheduler, workers)
    except (OSError, ValueError) as error:  # an address that is wrong, or a scheduler that is down
        diagnostics.append(
            Diagnostic(
                "E254",
                f"cannot reach the Dask scheduler at `{scheduler}`: {error}",
                Span(lowered.root, 1, 1, 1, 1),
                "start one (`dask scheduler`, then `dask worker tcp://HOST:PORT`), or leave out --scheduler "
                "for a local cluster",
            )
        )
        return StudyResult(lowered, [], diagnostics)
    bar = _Progress(progress)
    runs = []
    try:
        for study in studies:
            runs.append(_run_one(study, makers[study.name], pool, store, bar, out))
    finally:
        bar.close()
        pool.close()
    for run in runs:
        diagnostics.extend(_warnings(run))
    return StudyResult(lowered, runs, diagnostics, pool.workers, pool.address)


def _run_one(study: ir.Study, maker: VariantMaker, pool, store: _Store, bar: _Progress, out: Path) -> StudyRun:
    from battgen.driver.optimise import optimise

    start = time.perf_counter()
    runner = _Runner(pool, store, bar, maker, study.pack.name)
    if study.search == "grid":
        variants = maker.grid()
        results = runner.evaluate(variants, f"study {study.name}")
        rows = [Row(i, v.settings, v.key, results[v.key]) for i, v in enumerate(variants)]
    else:
        generation = [0]

        def evaluate(variants: list[Variant]) -> dict[str, Evaluation]:
            generation[0] += 1
            return runner.evaluate(variants, f"study {study.name}, generation {generation[0]}")

        asked = optimise(study, maker, evaluate)
        rows = [
            Row(i, a.variant.settings, a.variant.key, runner.results[a.variant.key], a.generation)
            for i, a in enumerate(asked)
        ]
    on_front = front([r.evaluation for r in rows], study)
    chosen = best([r.evaluation for r in rows], on_front, study)
    run = StudyRun(study, rows, on_front, chosen, out / study.name, runner.built, runner.reused, 0.0)
    designs = _render_best(run, maker, pool, bar)
    run.seconds = time.perf_counter() - start
    run.written = _write(run, designs)
    return run


def _render_best(run: StudyRun, maker: VariantMaker, pool, bar: _Progress) -> dict[str, dict[str, bytes]]:
    """The best designs' build folders, as bytes by file name, by key."""
    rows = [run.rows[i] for _, i in run.best]
    jobs = unique([Job(r.key, maker.variant(r.settings).text, str(maker.path), run.study.pack.name) for r in rows])
    done = [job for job in jobs if _written(run.folder / "designs" / job.key, job.text)]
    jobs = [job for job in jobs if job not in done]
    task = bar.task(f"study {run.study.name}, best designs", len(jobs))
    designs: dict[str, dict[str, bytes]] = {}
    texts = {job.key: job.text for job in jobs}
    for key, files in pool.run(jobs, render_variant):
        designs[key] = {"variant.batt": texts[key].encode(), **files}
        bar.advance(task)
    for job in done:  # written by an earlier run: read back (the report links its pictures)
        folder = run.folder / "designs" / job.key
        designs[job.key] = {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}
    return designs


def _written(folder: Path, text: str) -> bool:
    """A design folder an earlier run wrote for this very source."""
    source = folder / "variant.batt"
    try:
        return source.read_text(encoding="utf-8") == text and (folder / "design.json").is_file()
    except OSError:
        return False


def _write(run: StudyRun, designs: dict[str, dict[str, bytes]]) -> list[str]:
    from battgen.driver.staging import NotOurs, StagedBuild, check_ours
    from battgen.emit import study as emit

    folder = run.folder
    written = []
    files: dict[str, str | bytes] = {
        "table.csv": emit.table_csv(run.study, run.rows, run.on_front),
        "table.parquet": emit.table_parquet(run.study, run.rows, run.on_front),
        "pareto.csv": emit.table_csv(run.study, [r for r, on in zip(run.rows, run.on_front) if on], None),
        "report.html": emit.report_html(run.study, run.rows, run.on_front, run.best, designs),
        "summary.json": emit.summary_json(run.study, run.rows, run.on_front, run.best),
    }
    for name, data in sorted(files.items()):
        write_atomic(folder / name, data)
        written.append(str(folder / name))
    fresh = {}
    for key, design in sorted(designs.items()):
        if _written(folder / "designs" / key, design["variant.batt"].decode()):
            written.extend(str(folder / "designs" / key / name) for name in sorted(design))
        else:
            fresh[key] = design
    if fresh:  # staged and swapped in as a build's folders are (driver.staging)
        with StagedBuild(folder / "designs") as staged:
            for key, design in sorted(fresh.items()):
                for name, data in sorted(design.items()):
                    staged.write(key, name, data)
            written.extend(staged.commit())
    if (folder / "designs").is_dir():  # designs an earlier run chose and this one did not
        for stale in (folder / "designs").iterdir():
            if stale.is_dir() and stale.name not in designs and not stale.name.startswith("."):
                try:
                    check_ours(stale)  # a folder someone else put there is left alone
                except NotOurs:
                    continue
                shutil.rmtree(stale, ignore_errors=True)
    return sorted(written)


def _warnings(run: StudyRun) -> list[Diagnostic]:
    """W250 when variants do not compile: a study's value the pack cannot take together with
    the others (the first reason given)."""
    invalid = [r for r in run.rows if r.evaluation.status == INVALID]
    if not invalid:
        return []
    first = invalid[0]
    settings = ", ".join(f"{k} = {v}" for k, v in first.settings)
    reason = first.evaluation.failures[0] if first.evaluation.failures else "errors"
    return [
        Diagnostic(
            "W250",
            f"{len(invalid)} of {len(run.rows)} variants of `{run.study.name}` do not compile; e.g. {settings}: {reason}",
            run.study.name_span,
            "the table lists them as `invalid`; change the lists so that every combination is a design",
            Severity.WARNING,
        )
    ]
