"""The BMS stage (passes.bms): front ends, sense lines, thermistors, balancing and the pack's
high-voltage parts for every example, checked against counts made by hand from the data sheets'
figures (BQ79612/14/16: 12/14/16 cells, at least 6, 8 GPIO, 240 mA; LTC6813-1: 18 cells).

Hand counts: a module of S_m >= 6 series groups needs ceil(S_m / channels) front ends, and a
front end measuring n groups taps n + 1 busbars (one sense line each); two thermistors per
module; balancing I = 5 % × P × C_cell / 8 h.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from support import build_pack

from battgen.passes import bms as bms_pass
from battgen.passes import heat as heat_pass

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def builds():
    out = {}
    for path in (
        EXAMPLES / "ebike.batt",
        EXAMPLES / "lfp_storage.batt",
        EXAMPLES / "sedan.batt",
        EXAMPLES / "validation" / "tesla_model_s_85.batt",
        EXAMPLES / "validation" / "nissan_leaf_24.batt",
        EXAMPLES / "validation" / "bmw_i3_94ah.batt",
        EXAMPLES / "validation" / "chevrolet_bolt_60.batt",
    ):
        build = build_pack(path)
        out[build.name] = build
    return out


# name: (front end, front ends, sense lines, thermistors, balancing A) — by hand, see each line
HAND = {
    # 13s4p in one module: 13 <= 14 channels (BQ79614, 1 idle; BQ79616 leaves 3); 13 + 1 lines;
    # 5 % of 4 × 4.9 Ah over 8 h = 0.1225 A
    "ebike48": ("BQ79614-Q1", 1, 14, 2, 0.05 * 4 * 4.9 / 8),
    # 16s1p in one module: BQ79616 exactly; 17 lines; 5 % of 280 Ah over 8 h = 1.75 A
    "rack51v": ("BQ79616-Q1", 1, 17, 2, 0.05 * 280 / 8),
    # 16 modules of 6s74p (published): 6 >= the BQ7961x's minimum, one BQ79612 each (6 idle; a
    # BQ79616 would leave 10); 16 × 7 lines; 5 % of 74 × 3.35 Ah over 8 h
    "tesla_model_s_85": ("BQ79612-Q1", 16, 112, 32, 0.05 * 74 * 3.35 / 8),
    # 48 modules of 2s (published 2s2p): below the minimum of 6, modules share a front end: 8 per
    # BQ79616 (16 groups) -> 6 front ends (BQ79612: 6 per -> 8); 6 × 17 lines; 8 GPIO each = 48
    "nissan_leaf_24": ("BQ79616-Q1", 6, 102, 48, None),
    # 8 modules of 12s1p (published): one BQ79612 each; 8 × 13 lines
    "bmw_i3_94ah": ("BQ79612-Q1", 8, 104, 16, None),
}


def test_front_ends_sense_lines_thermistors_and_balancing_by_hand(builds):
    for name, (part, chips, lines, ntc, balancing) in HAND.items():
        bms = builds[name].bms
        assert bms.front_end == part, name
        assert len(bms.boards) == chips, name
        assert len(bms.sense_lines) == lines, name
        assert bms.thermistors == ntc, name
        if balancing is not None:
            assert bms.balancing.current == pytest.approx(balancing, rel=1e-9), name
    ebike, rack = builds["ebike48"].bms, builds["rack51v"].bms
    assert not ebike.balancing.external  # 123 mA: inside the BQ79614's 240 mA
    assert rack.balancing.external and rack.balancing.resistor == pytest.approx(3.2 / 1.75)  # R = V/I


def test_model_s_front_ends_match_its_published_module_count(builds):
    """Tesla's Model S 85 pack: 16 modules of 6s74p (teslamotors.wiki), one module board each."""
    build = builds["tesla_model_s_85"]
    assert len(build.layout.modules) == 16
    assert len(build.bms.boards) == 16
    assert sorted(b.module for b in build.bms.boards) == list(range(16))


def test_every_example_by_the_hand_rule(builds):
    """The rule of the module docstring on every example: front ends and lines from the modules'
    group counts, two thermistors per module within the front ends' inputs."""
    for name, build in builds.items():
        bms, layout = build.bms, build.layout
        sizes = [len(m.groups) for m in layout.modules]
        if min(sizes) >= 6:
            part = next(p for p in bms_pass.FRONT_ENDS if p.part == bms.front_end)
            assert len(bms.boards) == sum(math.ceil(s / part.channels) for s in sizes), name
        assert len(bms.sense_lines) == sum(len(b.groups) + 1 for b in bms.boards), name
        assert sorted(g for b in bms.boards for g in b.groups) == sorted(g.index for g in layout.groups), name
        per_board_inputs = next(p.gpio for p in bms_pass.FRONT_ENDS if p.part == bms.front_end)
        assert bms.thermistors == min(2 * len(layout.modules), per_board_inputs * len(bms.boards)), name


def test_sense_lines_reach_their_busbars(builds):
    from shapely.geometry import Point, Polygon

    for name, build in builds.items():
        bars = {b.index: b for b in build.routing.busbars}
        boards = {b.index: b for b in build.bms.boards}
        for line in build.bms.sense_lines:
            bar, board = bars[line.busbar], boards[line.front_end]
            assert Polygon(bar.polygon).distance(Point(line.path[-1])) < 1e-6, name  # ends on its busbar
            assert line.path[0] == board.centre
            assert set(bar.groups) & (set(board.groups) | {min(board.groups) - 1, max(board.groups) + 1}), name
            plan = sum(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in zip(line.path, line.path[1:]))
            rise = bms_pass.BOARD_STANDOFF + (build.layout.cell_height if line.face == "bottom" else 0.0)
            assert line.length == pytest.approx(plan + rise), name
        assert build.bms.sense_length == pytest.approx(sum(s.length for s in build.bms.sense_lines))


def test_thermistors_sit_on_each_modules_hottest_and_coolest_cell(builds):
    for name in ("sedan", "tesla_model_s_85", "ebike48"):
        build = builds[name]
        q = heat_pass.cell_heats(build.pack, build.routing, build.heat.current)
        on = {i for b in build.bms.boards for i in b.thermistors}
        for module in build.layout.modules:
            mine = [c.index for c in build.layout.cells if c.module == module.index]
            assert max(mine, key=lambda i: q[i]) in on and min(mine, key=lambda i: q[i]) in on, (name, module.index)
        assert build.heat.hottest_cell in on


def test_high_voltage_parts_from_the_pack_voltage_and_load_cases(builds):
    sedan = builds["sedan"].bms.high_voltage
    assert sedan.max_voltage == pytest.approx(96 * 4.2)
    assert sedan.isolation_monitor == "Bender ISOMETER iso165C"  # 403 V, inside its 0-600 V
    assert sedan.isolation_threshold == pytest.approx(100 * 96 * 4.2)  # ECE R100: 100 Ω/V
    assert sedan.precharge_resistor == pytest.approx(0.5 / (5 * 1e-3))  # 5 τ in 0.5 s of 1 mF: 100 Ω
    assert sedan.precharge_energy == pytest.approx(0.5 * 1e-3 * (96 * 4.2) ** 2)
    continuous = builds["sedan"].candidate.loads.continuous.current
    assert 1.25 * continuous > 315 and sedan.fuse_rating == 400  # the IEC 60059 step above 1.25 × I
    assert sedan.contactor == "GIGAVAC HX21"  # 250 A EVC 250 is too small, HX21 carries 350 A
    assert sedan.short_circuit_current == pytest.approx(
        96 * builds["sedan"].pack.cell.nominal_voltage / builds["sedan"].routing.network.pack_resistance
    )
    ebike = builds["ebike48"].bms.high_voltage
    assert ebike.isolation_monitor is None  # 54.6 V: voltage class A


def test_bms_in_the_bom_the_picture_and_design_json(builds, tmp_path):
    import json

    from battgen.emit.files import render_all

    build = builds["sedan"]
    bom = {line.part: line for line in build.bom}
    board = next(line for part, line in bom.items() if part.startswith("front-end board"))
    assert board.quantity == len(build.bms.boards)
    sense = next(line for part, line in bom.items() if part.startswith("cell voltage sense line"))
    assert sense.quantity == len(build.bms.sense_lines)
    assert next(line for part, line in bom.items() if part.startswith("NTC")).quantity == build.bms.thermistors
    files = render_all(build)
    svg = files["busbars.svg"]
    assert '<g id="sense-lines"' in svg
    assert svg.count('<polyline id="sense-') == len(build.bms.sense_lines)
    assert svg.count('<rect id="front-end-') == len(build.bms.boards)
    design = json.loads(files["design.json"])
    assert len(design["bms"]["sense_lines"]) == len(build.bms.sense_lines)
    assert "Battery management" in files["report.html"]
