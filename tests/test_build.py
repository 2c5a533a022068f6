"""The typed build: every stage, design.json, the report, the BOM and the terminal read the one
architecture layout placed, and the stage registry says what each stage reads and writes."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from conftest import EXAMPLES, run_battc
from support import build_pack

from battgen.driver import stages
from battgen.passes.build import PackBuild

# optimise = energy in a 120 × 254 mm stick: synthesis's area bound admits 1s72p, the floor
# holds 66 M50Ts, so the design loop builds another architecture (the case that once built one
# pack and reported another)
RUNNER_UP = """
use cells.lg.m50t

envelope stick {
    outline = rect(120 mm, 254 mm)
    height  = 80 mm
}

pack tiny {
    cell     = m50t
    envelope = stick
    voltage  in 3 V .. 4 V
    optimise = energy
}
"""


def _agree(folder, label: str, cells: int) -> None:
    """design.json's synthesis, layout, routing, heat, BOM and CAD, and report.html, all name
    the architecture ``label`` of ``cells`` cells."""
    design = json.loads((folder / "design.json").read_text())
    synthesis = design["synthesis"]
    assert f"{synthesis['series']}s{synthesis['parallel']}p" == label and synthesis["cells"] == cells
    layout = design["layout"]
    assert (layout["series"], layout["parallel"], len(layout["cells"])) == (
        synthesis["series"],
        synthesis["parallel"],
        cells,
    )
    assert len(design["routing"]["network"]["cell_currents"]) == cells
    assert 0 <= design["heat"]["hottest_cell"] < cells
    (cell_line,) = [line for line in design["bom"] if line["item"] == "cells"]
    assert cell_line["quantity"] == cells
    if "cad" in design:
        assert design["cad"]["parts"]["cells"] == cells
    report = (folder / "report.html").read_text()
    assert f"{label}  ·  {cells:,} cells" in report or f"{label}  ·  {cells} cells" in report


def test_a_placed_runner_up_is_the_design_every_output_reads(tmp_path):
    source = tmp_path / "tiny.batt"
    source.write_text(RUNNER_UP)
    run = run_battc(str(source), "--out", str(tmp_path / "out"))
    assert run.returncode == 0, run.stdout + run.stderr
    folder = tmp_path / "out" / "tiny"
    _agree(folder, "1s66p", 66)
    design = json.loads((folder / "design.json").read_text())
    assert design["synthesis"]["synthesis_choice"] == "1s72p"
    loop = design["design_loop"]
    assert loop[0]["label"] == "1s72p" and loop[0]["stage"] == "layout" and loop[-1]["label"] == "1s66p"
    # heat's continuous current is the placed pack's, not the 72-cell choice's
    build = build_pack(RUNNER_UP)
    assert build.candidate.label == "1s66p" and build.design_loop[-1].passed
    assert build.heat.current == pytest.approx(build.candidate.continuous_current)
    assert design["heat"]["current"] == pytest.approx(build.candidate.continuous_current)
    assert design["synthesis"]["continuous_current_A"] == pytest.approx(build.candidate.continuous_current)
    # the terminal and the diagnostics say what was built and why
    assert re.search(r"architecture\s+1s66p", run.stdout)
    assert "1s72p (failed at layout)" in " ".join(run.stdout.split())
    assert "info[I701]: built 1s66p: synthesis's choice 1s72p failed at layout" in run.stderr


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.batt")), ids=lambda p: p.stem)
def test_every_example_reads_one_architecture(path, tmp_path):
    run = run_battc(str(path), "--out", str(tmp_path), "--no-cad")
    assert run.returncode == 0, run.stdout + run.stderr
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    design = json.loads((folder / "design.json").read_text())
    s = design["synthesis"]
    _agree(folder, f"{s['series']}s{s['parallel']}p", s["cells"])


def test_the_bolt_builds_its_published_modules_of_two_sizes(tmp_path):
    """The Chevrolet Bolt as published (allev.info teardown): 96s3p in 8 modules of 10s3p and 2 of
    8s3p, declared with `module_series`, built through the real CLI: design.json's layout holds
    10 modules of those sizes, each a run of consecutive groups; routing links them, the BMS puts
    a front end on each, the BOM's module parts say the two sizes, the terminal reads them."""
    path = EXAMPLES / "validation" / "chevrolet_bolt_60.batt"
    run = run_battc(str(path), "--out", str(tmp_path), "--no-cad")
    assert run.returncode == 0, run.stdout + run.stderr
    folder = tmp_path / "chevrolet_bolt_60"
    _agree(folder, "96s3p", 288)
    design = json.loads((folder / "design.json").read_text())
    assert design["synthesis"]["modules"] == 10
    assert design["synthesis"]["module_series"] == [10] * 8 + [8, 8]
    modules = design["layout"]["modules"]
    assert [len(m["groups"]) for m in modules] == [10] * 8 + [8, 8]
    assert [g for m in modules for g in m["groups"]] == list(range(96))
    cells_in = {}
    for cell in design["layout"]["cells"]:
        cells_in[cell["module"]] = cells_in.get(cell["module"], 0) + 1
    assert [cells_in[m] for m in range(10)] == [30] * 8 + [24, 24]
    links = [b for b in design["routing"]["busbars"] if b["kind"] == "module_link"]
    joined = {tuple(sorted({design["layout"]["groups"][g]["module"] for g in b["groups"]})) for b in links}
    assert joined == {(m, m + 1) for m in range(9)}  # each module to the next in series, no other
    boards = {b["module"] for b in design["bms"]["boards"]}
    assert boards == set(range(10))
    walls = [line for line in design["bom"] if line["item"] == "module walls"]
    assert walls and "8 of 10s3p, 2 of 8s3p" in walls[0]["part"] and walls[0]["quantity"] == 10
    assert "10 modules: 8 × 10s3p + 2 × 8s3p" in " ".join(run.stdout.split())


def test_the_registry_declares_real_fields_in_pipeline_order():
    """Each stage reads fields (or parts of fields) made before it and writes PackBuild fields;
    a dotted read names a real attribute (``pack.cooling.kind``: of a field of a field)."""
    from battgen.core import ir
    from battgen.passes.heat import Heat
    from battgen.passes.synthesis import Candidate

    fields = [f.name for f in dataclasses.fields(PackBuild)]
    made = {"name", "pack", "materials", "synthesis", "architecture"}  # before the first stage (the loop)
    parts = {
        "pack": {f.name for f in dataclasses.fields(ir.Pack)},
        "architecture": {f.name for f in dataclasses.fields(Candidate)},
        "options": {f.name for f in dataclasses.fields(stages.BuildOptions)},
        "heat": {f.name for f in dataclasses.fields(Heat)},  # the one stage result read in part
    }
    for stage in stages.STAGES:
        for read in stage.reads:
            head, _, attr = read.partition(".")
            if head == "options":
                assert attr in parts["options"], read
                continue
            assert head in made, (stage.name, read)
            first, _, rest = attr.partition(".")
            assert not attr or first in parts[head], (stage.name, read)
            if rest:
                kind = {f.name: f.type for f in dataclasses.fields(ir.Pack)}[first] if head == "pack" else None
                owner = getattr(ir, str(kind).split(" |")[0].strip(), None)
                assert owner is not None and rest in {f.name for f in dataclasses.fields(owner)}, (stage.name, read)
        assert set(stage.writes) <= set(fields) and not set(stage.writes) & made, stage.name
        made |= set(stage.writes)
    loop = ["layout", "plates", "routing", "heat", "lifetime", "bms", "bom", "check"]
    assert [s.name for s in stages.STAGES if s.loop] == loop
    assert [s.name for s in stages.STAGES] == [*loop, "structure", "thermal_network", "safety", "cad"]


def test_a_build_is_never_mutated():
    """Stages return new builds; the one they were given is unchanged (frozen)."""
    build = build_pack(EXAMPLES / "ebike.batt")
    with pytest.raises(dataclasses.FrozenInstanceError):
        build.heat = None  # type: ignore[misc]
    bare = dataclasses.replace(build, placement=None, routing=None, heat=None, bom=None, as_built=None)
    again, found, last = stages.run(bare, stages.BuildOptions(cad=False), loop=True)
    assert bare.placement is None and again.placement == build.placement and again.heat == build.heat
    assert last == "check" and again.as_built == build.as_built


def test_plus_and_minus_are_the_same_in_every_output():
    """The pack + terminal is group 0's end (``layout.types.terminal_groups``): routing's pack +
    plate joins group 0 and its lead ends at ``routing.terminals[0]``; every picture marks + and
    − there, at the same pixel (one frame for a build's sheets)."""
    import re as regex

    from battgen.emit import files
    from battgen.emit.drawing import Frame
    from battgen.passes.layout.types import terminal_groups

    build = build_pack(EXAMPLES / "ebike.batt")
    layout, routing = build.layout, build.routing
    plus_group, minus_group = terminal_groups(layout.series)
    assert (plus_group, minus_group) == (0, layout.series - 1)
    plus = [b.index for b in routing.busbars if b.kind == "terminal" and b.groups == (plus_group,)]
    minus = [b.index for b in routing.busbars if b.kind == "terminal" and b.groups == (minus_group,)]
    assert plus and minus and min(plus) < min(minus)  # + routed first: routing.terminals is (+, −)

    def centre(group):
        cells = [layout.cells[i] for i in layout.groups[group].cells]
        return sum(c.x for c in cells) / len(cells), sum(c.y for c in cells) / len(cells)

    tx, ty = routing.terminals[0]
    near = [((tx - cx) ** 2 + (ty - cy) ** 2) for cx, cy in (centre(plus_group), centre(minus_group))]
    assert near[0] < near[1]  # the + lead ends nearer group 0 than group S−1
    frame = Frame(build.pack, layout, routing)
    pictures = {name: text for name, text in files.render_all(build).items() if name.endswith(".svg")}
    assert set(pictures) == {"layout.svg", "busbars.svg", "currents.svg", "temperatures.svg"}
    for name, svg in pictures.items():
        marks = regex.findall(r'data-terminal="([+−])"><circle cx="([-\d.]+)" cy="([-\d.]+)"', svg)
        assert [m[0] for m in marks] == ["+", "−"], name
        for (_sign, x, y), (mx, my) in zip(marks, routing.terminals):
            px, py = frame.px(mx, my)
            assert (float(x), float(y)) == pytest.approx((px, py), abs=0.01), name


def test_records_made_as_copies_are_the_records_init_makes():
    """``core.records``: equal, hashing, pickling and reading like ``cls(**fields)``; a missing
    or unknown field refused as ``__init__`` refuses it; a dataclass whose ``__init__`` does more
    than set its fields refused."""
    import pickle

    from battgen.core.records import records
    from battgen.passes.layout.types import PlacedCell

    rows = [{"index": k, "x": 0.1 * k, "y": 0.2, "z": 0.0, "group": k // 2, "module": 0} for k in range(4)]
    made = records(PlacedCell, rows, {"axis": "z", "rotation": 0.0, "polarity_up": True})
    plain = [PlacedCell(**row, axis="z", rotation=0.0, polarity_up=True) for row in rows]
    assert made == plain and [hash(c) for c in made] == [hash(c) for c in plain]
    assert pickle.loads(pickle.dumps(made)) == plain and made[3].group == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].x = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError, match="missing"):
        records(PlacedCell, rows, {"axis": "z", "rotation": 0.0})
    with pytest.raises(TypeError, match="unknown"):
        records(PlacedCell, rows, {"axis": "z", "rotation": 0.0, "polarity_up": True, "colour": "red"})

    @dataclasses.dataclass(frozen=True)
    class Checked:
        value: float

        def __post_init__(self):
            assert self.value >= 0

    with pytest.raises(AssertionError):
        records(Checked, [{"value": -1.0}])
