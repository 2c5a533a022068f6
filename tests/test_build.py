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
# holds 66 M50Ts, so layout places a runner-up (the case that once built one pack and reported
# another)
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
    # heat's continuous current is the placed pack's, not the 72-cell choice's
    build = build_pack(RUNNER_UP)
    assert build.placement.runner_up > 0 and build.candidate.label == "1s66p"
    assert build.heat.current == pytest.approx(build.candidate.continuous_current)
    assert design["heat"]["current"] == pytest.approx(build.candidate.continuous_current)
    assert design["synthesis"]["continuous_current_A"] == pytest.approx(build.candidate.continuous_current)
    # the terminal says what was placed and why
    assert re.search(r"architecture\s+1s66p", run.stdout)
    assert "its choice 1s72p did not place: E601" in " ".join(run.stdout.split())


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
    made = {"name", "pack", "materials", "synthesis"}  # before the first stage
    for stage in stages.STAGES:
        assert set(stage.reads) <= made, (stage.name, set(stage.reads) - made)
        assert set(stage.writes) <= set(fields) and not set(stage.writes) & made, stage.name
        made |= set(stage.writes)
    assert [s.name for s in stages.STAGES] == ["layout", "routing", "heat", "cad"]


def test_a_build_is_never_mutated():
    """Stages return new builds; the one they were given is unchanged (frozen)."""
    build = build_pack(EXAMPLES / "ebike.batt")
    with pytest.raises(dataclasses.FrozenInstanceError):
        build.heat = None  # type: ignore[misc]
    bare = dataclasses.replace(build, placement=None, routing=None, heat=None, diagnostics=())
    again = stages.run(bare, stages.BuildOptions(cad=False))
    assert bare.placement is None and again.placement == build.placement and again.heat == build.heat
