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
    (folder,) = tmp_path.iterdir()
    design = json.loads((folder / "design.json").read_text())
    s = design["synthesis"]
    _agree(folder, f"{s['series']}s{s['parallel']}p", s["cells"])


def test_the_registry_declares_real_fields_in_pipeline_order():
    fields = [f.name for f in dataclasses.fields(PackBuild)]
    made = {"name", "pack", "materials", "synthesis", "architecture"}  # before the first stage (the loop)
    for stage in stages.STAGES:
        assert set(stage.reads) <= made, (stage.name, set(stage.reads) - made)
        assert set(stage.writes) <= set(fields) and not set(stage.writes) & made, stage.name
        made |= set(stage.writes)
    assert [s.name for s in stages.STAGES] == [
        "layout",
        "routing",
        "heat",
        "bom",
        "check",
        "structure",
        "safety",
        "cad",
    ]
    assert [s.name for s in stages.STAGES if s.loop] == ["layout", "routing", "heat", "bom", "check"]


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
    plate joins group 0, layout.svg labels group 0's centroid +, and busbars.svg draws + at the
    pack + lead's terminal."""
    import re as regex

    from battgen.emit.busbars_svg import _Frame, busbars_svg
    from battgen.emit.svg import layout_svg
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

    # busbars.svg: the "+" label sits at routing.terminals[0], nearer group 0 than group S−1
    svg = busbars_svg(layout, routing, build.pack)
    frame = _Frame(layout, routing)
    labels = dict(regex.findall(r'<text x="([-\d.]+)" y="[-\d.]+">([+−])</text>', svg)[::-1])
    assert set(labels.values()) == {"+", "−"}
    plus_x = next(float(x) for x, label in labels.items() if label == "+")
    assert plus_x == pytest.approx(float(frame.pt(*routing.terminals[0])[0]), abs=0.01)
    tx, ty = routing.terminals[0]
    near = [((tx - cx) ** 2 + (ty - cy) ** 2) for cx, cy in (centre(plus_group), centre(minus_group))]
    assert near[0] < near[1]
    # layout.svg: "+" is drawn at group 0's centroid
    text = layout_svg(layout, build.pack)
    marks = regex.findall(
        r'<circle cx="([-\d.]+)" cy="([-\d.]+)" r="[\d.]+" fill="#d00"/><text[^>]*>([+−])</text>', text
    )
    assert [m[2] for m in marks] == ["+", "−"]
