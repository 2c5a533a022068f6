"""Studies: the `study` declaration, its variants as source, running them, the table and the front.

The runs here build in this process (``workers=0``) on the e-bike and the storage rack, whose
builds take a fraction of a second; tests/test_study_dask.py runs the same study on real Dask
processes. The 200-variant sedan study is a command in the README (benchmarks/study.py times it).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import random
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO

from battgen import __version__
from battgen.core.diagnostics import Span
from battgen.driver.pipeline import build_result, check
from battgen.driver.study import run_study
from battgen.frontend.variants import VariantMaker, set_argument
from battgen.passes.study import FAILED, PASSED, Evaluation, best, dominates, figures, objective_vector, pareto

STUDIES = REPO / "tests" / "studies"
SEDAN_STUDY = EXAMPLES / "studies" / "sedan.batt"


def _maker(path: Path, name: str, text: str | None = None) -> VariantMaker:
    lowered = check(path, text=text)
    assert not lowered.has_errors, [d.message for d in lowered.diagnostics]
    return VariantMaker(lowered, lowered.design.studies[name], __version__)


def _project(tmp_path: Path, *files: Path) -> Path:
    """A project folder (``batt.toml`` marks its root) holding copies of ``files``."""
    (tmp_path / "batt.toml").write_text("")
    for file in files:
        shutil.copy(file, tmp_path / file.name)
    return tmp_path


# --- the language -------------------------------------------------------------------------


def test_the_sedan_study_declares_200_variants():
    lowered = check(SEDAN_STUDY)
    assert not lowered.has_errors
    study = lowered.design.studies["sedan_grid"]
    assert study.grid_size == 200
    assert study.pack.name == "sedan"
    assert [v.name for v in study.variables] == ["cell", "layout", "cooling", "modules", "busbar_thickness"]
    assert [c.text for c in study.variables[2].choices] == ["cold_plate(side = bottom)", "cold_plate(side = top)"]
    assert study.objectives == ("mass", "cost", "temperature", "parts")
    assert [c.value for c in study.variables[4].choices] == pytest.approx([0.0015, 0.002, 0.0025, 0.003, 0.004])


def test_a_range_keeps_the_unit_it_was_written_in():
    tune = check(STUDIES / "rack_study.batt").design.studies["rack_tune"]
    thickness = next(v for v in tune.variables if v.name == "busbar_thickness")
    assert (thickness.low, thickness.high, thickness.unit) == (pytest.approx(0.001), pytest.approx(0.004), "mm")
    assert (tune.search, tune.budget, tune.population, tune.seed) == ("nsga2", 24, 8, 1)


# --- variants as source -------------------------------------------------------------------


def test_a_variant_is_the_pack_file_with_the_values_written_in():
    maker = _maker(SEDAN_STUDY, "sedan_grid")
    settings = (
        ("cell", "p45b"),
        ("layout", "square"),
        ("cooling", "cold_plate(side = top)"),
        ("modules", "12"),
        ("busbar_thickness", "3 mm"),
    )
    variant = maker.variant(settings)
    lowered = check(maker.path, text=variant.text)  # it compiles alone, as the pack's file
    assert not lowered.has_errors, [d.message for d in lowered.diagnostics]
    pack = lowered.design.packs["sedan"]
    assert pack.cell.name == "p45b" and pack.layout == "square" and pack.cooling.side == "top"
    assert (pack.modules.low, pack.modules.high) == (12, 12)
    assert pack.busbar.material.name == "aluminium" and pack.busbar.thickness == pytest.approx(0.003)
    sedan = check(EXAMPLES / "sedan.batt").design.packs["sedan"]
    assert {k: (b.low, b.high, b.duration) for k, b in pack.requirements.items()} == {
        k: (b.low, b.high, b.duration) for k, b in sedan.requirements.items()
    }
    assert pack.envelope.outline == sedan.envelope.outline and pack.fuse == sedan.fuse
    # only the substituted lines changed, and the import the new cell needs was added
    original = (EXAMPLES / "sedan.batt").read_text().splitlines()
    changed = [line for line in variant.text.splitlines() if line not in original]
    assert changed == [
        "use cells.molicel.p45b",
        "    cell     = p45b",
        "    modules          = 12",
        "    layout   = square",
        "    cooling  = cold_plate(side = top)",
        "    busbar   = aluminium(thickness = 3 mm)",
    ]


def test_the_pack_as_declared_is_its_own_variant():
    text = 'use "../../examples/sedan.batt"\n\nstudy same {\n    pack   = sedan\n    layout = [hex]\n}\n'
    maker = _maker(STUDIES / "inline.batt", "same", text)
    (variant,) = maker.grid()
    assert variant.text == (EXAMPLES / "sedan.batt").read_text()


def test_a_variant_s_key_is_a_hash_of_its_source():
    grid = _maker(SEDAN_STUDY, "sedan_grid")
    text = (
        'use "../../examples/sedan.batt"\nuse cells.lg.m50t\nuse cells.tesla.tesla2170l\n\n'
        "study other {\n    pack    = sedan\n    cell    = [tesla2170l, m50t]\n    coolant_flow = [10 L/min]\n"
        "    cooling = [cold_plate(side = top), air]\n}\n"
    )
    other = _maker(STUDIES / "inline.batt", "other", text)
    # the same design from another study file has the same key: studies share their results
    a = grid.variant((("cell", "tesla2170l"), ("cooling", "cold_plate(side = top)")))
    b = other.variant((("cell", "tesla2170l"), ("cooling", "cold_plate(side = top)")))
    assert a.text == b.text and a.key == b.key
    keys = [v.key for v in other.grid()]
    assert len(set(keys)) == 4
    # a flow means nothing without a cold plate: with `air` the variant is the same source
    air = other.variant((("cell", "m50t"), ("coolant_flow", "10 L/min"), ("cooling", "air")))
    air_without_flow = other.variant((("cell", "m50t"), ("cooling", "air")))
    assert air.key == air_without_flow.key
    assert "cooling  = cold_plate(side = top, flow = 10 L/min)" in other.grid()[0].text
    # another battgen version builds differently: another key
    assert VariantMaker(other.lowered, other.study, "0.0.0-other").variant(a.settings).key != a.key


@pytest.mark.parametrize(
    ("value", "constructor", "argument", "expected"),
    [
        ("cold_plate(side = bottom)", "cold_plate", "flow", "cold_plate(side = bottom, flow = 10 L/min)"),
        ("cold_plate(bottom, glycol50, 3 L/min)", "cold_plate", "flow", "cold_plate(bottom, glycol50, 10 L/min)"),
        ("cold_plate(flow = 3 L/min)", "cold_plate", "flow", "cold_plate(flow = 10 L/min)"),
        ("cold_plate", "cold_plate", "flow", "cold_plate(flow = 10 L/min)"),
        ("air", "cold_plate", "flow", None),
        ("copper", "", "thickness", "copper(thickness = 10 L/min)"),
        ("copper(2 mm)", "", "thickness", "copper(10 L/min)"),
    ],
)
def test_setting_one_argument_of_a_value(value, constructor, argument, expected):
    assert set_argument(value, constructor, argument, "10 L/min") == expected


def test_a_study_beside_its_pack_is_left_out_of_the_variants():
    text = (EXAMPLES / "ebike.batt").read_text() + "\nstudy strips {\n    pack = ebike48\n    gap  = [1 mm, 2 mm]\n}\n"
    maker = _maker(EXAMPLES / "ebike.batt", "strips", text)
    variants = maker.grid()
    assert [v.settings for v in variants] == [(("gap", "1 mm"),), (("gap", "2 mm"),)]
    assert variants[0].text == (EXAMPLES / "ebike.batt").read_text() + "\n"
    assert "study" not in variants[1].text and "    gap      = 2 mm" in variants[1].text


def test_a_value_the_pack_file_cannot_see_is_E252(tmp_path):
    project = _project(tmp_path, EXAMPLES / "ebike.batt")
    cell = (REPO / "stdlib" / "cells" / "samsung.batt").read_text().split("cell inr21700_50e", 1)[1].split("}", 1)[0]
    (project / "study.batt").write_text(
        'use "ebike.batt"\n\ncell own_cell' + cell + "}\n\nstudy s {\n    pack = ebike48\n    cell = [own_cell]\n}\n"
    )
    result = run_study(project / "study.batt", tmp_path / "out", workers=0)
    (e252,) = [d for d in result.diagnostics if d.code == "E252"]
    line = (project / "study.batt").read_text().splitlines().index("    cell = [own_cell]") + 1
    assert "declared in the study's file" in e252.message and (e252.span.line, e252.span.column) == (line, 13)
    assert result.runs == [] and not (tmp_path / "out").exists()


def test_a_file_without_a_study_is_E253():
    result = run_study(EXAMPLES / "ebike.batt", Path("unused"), workers=0)
    assert [d.code for d in result.diagnostics] == ["E253"]
    assert result.diagnostics[0].span == Span(result.lowered.root, 1, 1, 1, 1)


def test_a_scheduler_that_cannot_be_reached_is_E254(tmp_path):
    result = run_study(STUDIES / "ebike_study.batt", tmp_path, scheduler="nonsense://host:8786")
    (e254,) = result.diagnostics
    assert e254.code == "E254" and "unknown address scheme 'nonsense'" in e254.message
    assert result.runs == [] and not (tmp_path / "ebike_grid").exists()


def _ebike_free_modules(project: Path) -> None:
    """The e-bike without its one-module bound and its mass cap: its 13 series groups may be split
    into modules (each module's walls and electronics weigh, which the cap does not allow)."""
    text = (EXAMPLES / "ebike.batt").read_text()
    for line in ("    modules          in 1 .. 1\n", "    mass             <= 6 kg"):
        assert line in text
    text = text.replace("    modules          in 1 .. 1\n", "")
    text = "\n".join(line for line in text.split("\n") if not line.startswith("    mass             <= 6 kg"))
    (project / "ebike.batt").write_text(text)


def test_a_study_varies_the_sizes_of_the_modules(tmp_path):
    """`module_series = [[13], [7, 6], [5, 4, 4]]`: each value a list, each variant the pack with
    that list written in, built through the pipeline in its modules of those sizes."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "batt.toml").write_text("")
    _ebike_free_modules(project)
    (project / "study.batt").write_text(
        'use "ebike.batt"\n\nstudy split {\n    pack          = ebike48\n'
        "    module_series = [[13], [7, 6], [5, 4, 4]]\n    objectives    = [mass, parts]\n}\n"
    )
    lowered = check(project / "study.batt")
    assert not lowered.has_errors, [d.message for d in lowered.diagnostics]
    (variable,) = lowered.design.studies["split"].variables
    assert [c.value for c in variable.choices] == [(13,), (7, 6), (5, 4, 4)]
    maker = VariantMaker(lowered, lowered.design.studies["split"], __version__)
    variants = maker.grid()
    assert [v.settings for v in variants] == [(("module_series", t),) for t in ("[13]", "[7, 6]", "[5, 4, 4]")]
    assert "    module_series = [5, 4, 4]\n}" in variants[2].text

    result = run_study(project / "study.batt", tmp_path / "out", workers=0)
    assert not any(d.is_error for d in result.diagnostics), [d.message for d in result.diagnostics]
    rows = _table(tmp_path / "out" / "split" / "table.csv")
    assert [r["module_series"] for r in rows] == ["[13]", "[7, 6]", "[5, 4, 4]"]
    assert [r["status"] for r in rows] == ["passed"] * 3
    assert [(r["architecture"], r["modules_built"]) for r in rows] == [("13s4p", "1"), ("13s4p", "2"), ("13s4p", "3")]
    masses = [float(r["mass_kg"]) for r in rows]
    assert masses[0] < masses[1] < masses[2]  # every module has its own walls, covers and electronics
    built = build_result(project / "ebike.batt", None, cad=False, text=variants[2].text).packs["ebike48"]
    assert built.candidate is not None and built.candidate.module_sizes == (5, 4, 4)
    assert built.layout is not None and [len(m.groups) for m in built.layout.modules] == [5, 4, 4]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            "    module_series = [[13], [7, 5]]\n",
            "`module_series` and `series = 13` conflict: the modules hold 12 series groups (7 + 5), not 13",
        ),
        ("    module_series = [[7, 6], [13]]\n", "`module_series` lists 2 modules; `modules` allows 1"),
        (
            "    modules       = [1, 2]\n    module_series = [[13]]\n",
            "a study varies `modules` or `module_series`, not both: each list fixes the module count",
        ),
        ("    module_series = [[13], [7, 0]]\n", None),
    ],
)
def test_each_module_series_to_try_is_checked_as_the_pack_s_own(tmp_path, lines, message):
    """The study's lists are checked by the pack's rule (E503 against its `series` and `modules`),
    each entry as a count (E405 for a module of no groups, as in the pack)."""
    project = _project(tmp_path, EXAMPLES / "ebike.batt")
    pack = (project / "ebike.batt").read_text()
    if "7, 5" in lines:
        pack = pack.replace("    modules          in 1 .. 1\n", "    series           = 13\n")
    (project / "ebike.batt").write_text(pack)
    (project / "study.batt").write_text('use "ebike.batt"\n\nstudy s {\n    pack          = ebike48\n' + lines + "}\n")
    lowered = check(project / "study.batt")
    errors = [d for d in lowered.diagnostics if d.is_error]
    assert len(errors) == 1, [d.message for d in errors]
    if message is None:  # the code and words the pack's own `module_series = [7, 0]` gets
        own = pack.replace("    modules          in 1 .. 1\n", "    module_series    = [7, 0]\n")
        (pack_errors,) = [d for d in check(project / "ebike.batt", text=own).diagnostics if d.is_error]
        assert errors[0].code == pack_errors.code == "E405" and errors[0].message == pack_errors.message
        return
    assert (errors[0].code, errors[0].message) == ("E503", message)
    assert errors[0].span.file.endswith("study.batt")
    if "not both" not in message:  # the pack's line it disagrees with
        assert errors[0].related[0].span.file.endswith("ebike.batt")


# --- the front ----------------------------------------------------------------------------


def test_the_front_is_the_set_no_point_dominates():
    rng = random.Random(7)
    for _ in range(20):
        points = [tuple(rng.choice((1.0, 2.0, 3.0, 4.0)) for _ in range(3)) for _ in range(40)] + [None]
        on = pareto(points)
        for i, p in enumerate(points):
            if p is None:
                assert not on[i]
                continue
            dominated = any(q is not None and dominates(q, p) for q in points)
            first_copy = points.index(p) == i
            assert on[i] == (not dominated and first_copy), (p, on[i])


def test_the_best_designs_are_the_best_on_each_objective_and_the_most_balanced():
    study = check(STUDIES / "rack_study.batt").design.studies["rack_grid"]  # mass, temperature
    evaluations = [
        Evaluation(str(i), PASSED, metrics={"mass": m, "temperature": t})
        for i, (m, t) in enumerate([(100, 330), (110, 310), (104, 315), (120, 305), (130, 300), (100, 329)])
    ]
    evaluations.append(Evaluation("x", FAILED, metrics={"mass": 90, "temperature": 290}))  # not feasible
    on = pareto([objective_vector(e, study.objectives) if e.status == PASSED else None for e in evaluations])
    assert on == [False, True, True, True, True, True, False]
    chosen = best(evaluations, on, study)
    # lowest mass: #5 (100 kg, and cooler than #0); lowest temperature: #4; balanced: #2 (0.13 + 0.52)
    assert chosen == [("lowest mass", 5), ("lowest temperature", 4), ("most balanced", 2)]


# --- running a study ----------------------------------------------------------------------


def _table(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_a_grid_study_writes_its_table_front_report_and_best_designs_and_resumes(tmp_path):
    import pyarrow.parquet as pq

    result = run_study(STUDIES / "ebike_study.batt", tmp_path, workers=0)
    assert not any(d.is_error for d in result.diagnostics)
    (run,) = result.runs
    folder = tmp_path / "ebike_grid"
    rows = _table(folder / "table.csv")
    assert len(rows) == 12 and run.built == 12 and run.reused == 0
    assert [r["cell"] for r in rows[:4]] == ["inr21700_50e"] * 4
    assert {r["status"] for r in rows} <= {"passed", "failed", "infeasible"}
    # the p45b cannot give 900 Wh under 6 kg: synthesis says so, nothing is built
    assert {r["status"] for r in rows if r["cell"] == "p45b"} == {"infeasible"}
    assert all(r["failures"].startswith("E503") for r in rows if r["cell"] == "p45b")
    # Parquet holds the same table at full precision
    parquet = pq.read_table(folder / "table.parquet").to_pylist()
    assert [p["key"] for p in parquet] == [r["key"] for r in rows]
    for p, r in zip(parquet, rows):
        if r["mass_kg"]:
            assert p["mass_kg"] == pytest.approx(float(r["mass_kg"]), rel=1e-5)
    # the front: feasible, and no feasible row is better on every objective
    objectives = ["mass_kg", "cost_USD", "temperature_degC", "parts"]
    feasible = [r for r in rows if r["feasible"] == "true"]
    front = [r for r in rows if r["pareto"] == "true"]
    assert front and all(r["feasible"] == "true" for r in front)

    def vector(row: dict) -> list[float]:
        return [float(row[k]) for k in objectives]

    for r in feasible:
        beaten = any(dominates(vector(f), vector(r)) for f in feasible)
        if r in front:
            assert not beaten
        else:  # beaten, or the same figures as a design already on the front
            assert beaten or any(vector(f) == vector(r) for f in front)
    assert [r["key"] for r in _table(folder / "pareto.csv")] == [r["key"] for r in front]
    # the best designs' folders: the variant's source and its build without CAD, whose figures
    # are the table's
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["variants"] == 12 and summary["front"] == [r["key"] for r in front]
    for design in summary["best"]:
        path = folder / "designs" / design["key"]
        assert {"variant.batt", "report.html", "layout.svg", "design.json", "bom.csv"} <= {
            p.name for p in path.iterdir()
        }
        direct = build_result(EXAMPLES / "ebike.batt", None, cad=False, text=(path / "variant.batt").read_text())
        built = figures(direct.packs["ebike48"])
        row = next(r for r in rows if r["key"] == design["key"])
        assert float(row["mass_kg"]) == pytest.approx(built["mass"], rel=1e-5)
        assert float(row["temperature_degC"]) == pytest.approx(built["temperature"] - 273.15, rel=1e-5)
    report = (folder / "report.html").read_text()
    assert report.count("<svg") == 6  # the four objectives, pair by pair
    assert 'class="p"' in report and f"designs/{summary['best'][0]['key']}/layout.svg" in report

    # interrupted before the last five: run again, only those are built, and nothing else changes
    outputs = {name: (folder / name).read_bytes() for name in ("table.csv", "table.parquet", "report.html")}
    for path in sorted((tmp_path / "results").glob("*.json"))[:5]:
        path.unlink()
    again = run_study(STUDIES / "ebike_study.batt", tmp_path, workers=0).runs[0]
    assert (again.built, again.reused) == (5, 7)
    assert {name: (folder / name).read_bytes() for name in outputs} == outputs


def test_variants_that_do_not_compile_are_W250(tmp_path):
    project = _project(tmp_path, EXAMPLES / "ebike.batt")
    (project / "study.batt").write_text(
        'use "ebike.batt"\n\nstudy s {\n    pack    = ebike48\n    cooling = [none, cold_plate(fins = 1 mm)]\n}\n'
    )
    result = run_study(project / "study.batt", tmp_path / "out", workers=0)
    (w250,) = [d for d in result.diagnostics if d.code == "W250"]
    assert w250.message.startswith(
        "1 of 2 variants of `s` do not compile; e.g. cooling = cold_plate(fins = 1 mm): E213"
    )
    statuses = [r.evaluation.status for r in result.runs[0].rows]
    assert statuses == ["passed", "invalid"]


# --- the optimiser ------------------------------------------------------------------------


def test_the_optimiser_is_repeatable_and_keeps_to_its_budget(tmp_path):
    from battgen.driver.optimise import optimise
    from battgen.driver.pool import InlinePool
    from battgen.driver.study import _Progress, _Runner, _Store

    maker = _maker(STUDIES / "rack_study.batt", "rack_tune")
    study = dataclasses.replace(maker.study, budget=12, population=6)
    pool = InlinePool(maker.lowered.sources)
    store = _Store(tmp_path, fresh=False)
    runs = []
    for _ in range(2):
        runner = _Runner(pool, store, _Progress(False), maker, "rack51v")
        asked = optimise(study, maker, lambda variants, r=runner: r.evaluate(variants, "t"))
        runs.append((asked, runner.built))
    (first, built_first), (second, built_second) = runs
    assert [a.variant.settings for a in first] == [a.variant.settings for a in second]
    assert len({a.variant.key for a in first}) == 12 == built_first and built_second == 0
    for a in first:
        settings = dict(a.variant.settings)
        assert settings["busbar"] in ("copper(thickness = 2 mm)", "aluminium(thickness = 2 mm)")
        thickness, unit = settings["busbar_thickness"].split()
        assert unit == "mm" and 1.0 <= float(thickness) <= 4.0
        assert 1.0 <= float(settings["gap"].split()[0]) <= 3.0
    assert {a.generation for a in first} == {0, 1}


def test_every_column_of_the_table_is_documented_once():
    from battgen.emit.study import columns

    doc = (REPO / "docs" / "studies.md").read_text()
    lowered = check(SEDAN_STUDY)
    variables = {v.name for s in lowered.design.studies.values() for v in s.variables}
    for study in [*lowered.design.studies.values(), *check(STUDIES / "rack_study.batt").design.studies.values()]:
        names = columns(study)
        assert len(names) == len(set(names)), names  # `modules` the variable, `modules_built` the result
        for column in names:
            assert column in variables or f"`{column}`" in doc, column


def test_battc_study_through_the_cli(tmp_path):
    from conftest import run_battc

    project = _project(tmp_path, EXAMPLES / "lfp_storage.batt")
    (project / "study.batt").write_text(
        'use "lfp_storage.batt"\n\nstudy sheets {\n    pack = rack51v\n    gap  = [2 mm, 3 mm]\n}\n'
    )
    done = run_battc("study", "study.batt", "--workers", "0", "--out", "out", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "study sheets: 2 variants of pack rack51v (2 distinct) — 2 passed; 2 feasible" in done.stdout
    assert "built 2 in" in done.stdout and "written: out/sheets/" in done.stdout
    again = run_battc("study", "study.batt", "--workers", "0", "--out", "out", "--format", "json", cwd=project)
    assert again.returncode == 0, again.stderr
    outputs = json.loads(again.stdout)["outputs"]
    assert "out/sheets/table.csv" in outputs and any(o.endswith("/variant.batt") for o in outputs)
    usage = run_battc("study", "study.batt", "--workers", "-1", cwd=project)
    assert usage.returncode == 2


# --- the pool ---------------------------------------------------------------------------------


def _makespan(times: dict[str, float], keys: list[str], order, workers: int = 2) -> float:
    """When the last of ``keys`` ends on ``workers`` that each take the next job ``order`` gives
    as soon as they are free (the pool's window of one per worker)."""
    import heapq

    from battgen.driver.pool import Job

    jobs = [
        Job(key, "", "", "pack", tuple(zip(("cell", "layout", "busbar"), key.split("/"), strict=True))) for key in keys
    ]
    queue = order(jobs)
    free = [(0.0, i) for i in range(workers)]
    running: list[tuple[float, int, Job]] = []
    end = 0.0
    while True:
        while free and (job := queue.pop()) is not None:
            start, worker = heapq.heappop(free)
            heapq.heappush(running, (start + times[job.key], worker, job))
        if not running:
            return end
        end, worker, job = heapq.heappop(running)
        queue.learn(job, times[job.key])
        heapq.heappush(free, (end, worker))


@pytest.mark.parametrize(
    ("cells", "layouts", "busbars", "slow"),
    [
        # the slow cell's variants last in the study (the design loop searching: 13 s against 3 s,
        # as the sedan's M50T against its Tesla 2170), three of them on two workers
        ({"tesla": 3.0, "p45b": 3.5, "m50t": 13.0}, ("hex",), ("1.5", "2", "3"), None),
        # one slow variant, the study's last (the benchmark's old 12-variant grid)
        ({"tesla": 3.0, "p45b": 3.5, "m50t": 3.0}, ("hex", "square"), ("2", "3"), "m50t/square/3"),
    ],
)
def test_the_pool_submits_the_variants_expected_to_take_longest_first(cells, layouts, busbars, slow):
    """In the study's order the slow variants come last and the last of them ends the study on
    one worker while the other waits; learning each setting's time as results arrive and taking
    the longest expected first ends sooner, and within Graham's 4/3 of the best possible."""
    from battgen.driver.pool import Queue

    keys = [f"{c}/{lay}/{b}" for c in cells for lay in layouts for b in busbars]
    times = {k: cells[k.split("/")[0]] + (0.5 if "/square/" in k else 0.0) + (10.0 if k == slow else 0.0) for k in keys}

    class InOrder:
        def __init__(self, jobs):
            self.jobs = list(jobs)

        def pop(self):
            return self.jobs.pop(0) if self.jobs else None

        def learn(self, job, seconds):
            pass

    bound = max(sum(times.values()) / 2, max(times.values()))  # no order can end earlier
    in_order = _makespan(times, keys, InOrder)
    learnt = _makespan(times, keys, Queue)
    assert in_order > 1.19 * bound  # the straggler
    assert learnt < in_order and learnt <= 4 / 3 * bound


def test_the_queue_puts_unseen_settings_first_and_keeps_the_study_s_order_on_ties():
    from battgen.driver.pool import Job, Queue

    jobs = [
        Job(str(i), "", "", "p", (("cell", c), ("layout", lay)))
        for i, (c, lay) in enumerate([("a", "hex"), ("a", "square"), ("b", "hex"), ("b", "square"), ("c", "square")])
    ]
    queue = Queue(jobs)
    assert queue.pop().key == "0"  # nothing learnt: the study's order
    queue.learn(jobs[0], 2.0)  # a and hex seen
    assert [queue.expected(j)[0] for j in jobs[1:]] == [1, 1, 2, 2]
    assert queue.pop().key == "3"  # b and square: both unseen (and before 4 in the study)
    queue.learn(jobs[3], 10.0)  # b and square are slow
    assert queue.pop().key == "4"  # c unseen
    queue.learn(jobs[4], 2.0)
    assert queue.expected(jobs[2])[1] > queue.expected(jobs[1])[1]  # b/hex: b is slower than a
    assert [queue.pop().key, queue.pop().key, queue.pop()] == ["2", "1", None]


def test_a_build_on_a_warmed_worker_imports_nothing_more():
    """``warm`` imports everything a build imports: otherwise the first variant on every worker
    pays seconds of imports inside its task."""
    import subprocess
    import sys

    code = f"""
import sys
from pathlib import Path
from battgen.driver.pool import Job, evaluate_variant, shared_workspace, warm
from battgen.driver.pipeline import check

path = Path({str(EXAMPLES / "sedan.batt")!r})
text = path.read_text()
shared = shared_workspace(check(path).sources)
warm()
before = set(sys.modules)
result = evaluate_variant(Job("k", text, str(path), "sedan"), shared)
assert result.status == "passed", result
print(sorted(set(sys.modules) - before))
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**__import__("os").environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", (
        f"a build imported these after warm(): add them to driver.stages.BUILD_IMPORTS: {done.stdout}"
    )
