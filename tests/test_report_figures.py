"""The figures behind the pictures and the report's plots, against the stages they come from and
against published figures: per-cell temperatures (``passes.temperatures``) agree with the heat
stage's hottest cell; the power curve (``passes.curves``) with the as-built check; the CC–CV
charge (``models.charge``) with a cell datasheet's charge; the colour bars never stretch a
spread they cannot resolve; and the terminal's words (plurals, wrapping, progress)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import build_pack

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def ebike():
    return build_pack(EXAMPLES / "ebike.batt")


@pytest.fixture(scope="module")
def sedan():
    return build_pack(EXAMPLES / "sedan.batt")


# --- temperatures -------------------------------------------------------------------------


def test_cell_temperatures_peak_at_the_heat_stages_hottest_cell(sedan, ebike):
    """Cold plate (the sedan): every cell at the coolant outlet plus its heat × the chain's
    resistance; the hottest is the heat stage's base temperature, at its hottest cell. No cold
    plate (the e-bike): the skin-cooled pack's rise scaled by each cell's heat; the hottest is
    the heat stage's end temperature."""
    from battgen.passes.heat import cell_heats
    from battgen.passes.temperatures import cell_temperatures

    heat = sedan.heat
    t = cell_temperatures(sedan.pack, sedan.routing, heat)
    assert t.shape == (len(sedan.layout.cells),)
    assert t.max() == pytest.approx(heat.base_temperature, abs=1e-9)
    assert int(np.argmax(t)) == heat.hottest_cell
    q = cell_heats(sedan.pack, sedan.routing, heat.current)
    assert t - t.min() == pytest.approx((q - q.min()) * heat.resistance)
    assert t.min() >= heat.inlet + heat.coolant_rise

    heat = ebike.heat
    assert heat.resistance is None and heat.end_temperature is not None
    t = cell_temperatures(ebike.pack, ebike.routing, heat)
    assert t.max() == pytest.approx(heat.end_temperature, abs=1e-9)
    assert (t > heat.inlet).all()


def test_side_plates_have_no_per_cell_temperature(ebike):
    """With a chain the heat stage does not resolve per cell, no picture pretends to."""
    from dataclasses import replace

    from battgen.emit.cell_maps import temperatures_svg
    from battgen.passes.temperatures import cell_temperatures

    heat = replace(ebike.heat, resistance=None, base_temperature=None, end_temperature=None)
    assert cell_temperatures(ebike.pack, ebike.routing, heat) is None
    assert temperatures_svg(ebike.layout, ebike.routing, ebike.pack, heat) is None


# --- the curves against SOC ---------------------------------------------------------------


def test_the_power_curve_at_the_soc_floor_is_the_as_built_power(sedan):
    """The report's peak capability at the SOC floor is the as-built check's peak power; each
    case's curve at the floor is its own pack current times the routed pack's voltage."""
    from battgen.passes.curves import SOC, pack_resistance, soc_curves

    loads = sedan.candidate.loads
    curves = soc_curves(sedan.pack, sedan.layout, sedan.routing, loads)
    floor = sedan.pack.soc_floor
    verdict = next(v for v in sedan.as_built.verdicts if v.name == "power")
    assert np.interp(floor, SOC, curves.capability) == pytest.approx(verdict.built, rel=1e-6)
    r = float(pack_resistance(sedan.pack, sedan.layout, sedan.routing, [floor])[0])
    for case in curves.cases:
        v = np.interp(floor, SOC, case.voltage)
        ocv = np.interp(floor, SOC, curves.open_circuit)
        sign = 1 if case.case.kind == "charge" else -1
        assert v == pytest.approx(ocv + sign * case.case.current * r, rel=1e-9)
        assert np.interp(floor, SOC, case.power) == pytest.approx(v * case.case.current, rel=1e-9)
    # open-circuit voltage rises with SOC and ends at the cells' upper limit × S
    assert (np.diff(curves.open_circuit) > 0).all()
    assert curves.open_circuit[-1] == pytest.approx(curves.v_max, rel=1e-3)


# --- the charge ---------------------------------------------------------------------------


def _cell_charge(cell, rate: float):
    from battgen.models import charge, ocv, resistance

    return charge.cc_cv(
        rate * cell.capacity / 3600,
        cell.capacity,
        cell.max_voltage,
        lambda s: ocv.ocv_scaled(cell.chemistry, s, cell.min_voltage, cell.max_voltage),
        lambda s: np.array([cell.resistance * resistance.soc_factor(cell.chemistry, x) for x in np.atleast_1d(s)]),
    )


def test_the_standard_charge_of_the_50e_is_within_its_datasheet(ebike):
    """Samsung INR21700-50E specification (research/loads.md §4.1): standard charge 0.5 C
    (2,450 mA) CC–CV to 4.2 V, 0.05 C cut-off, charging time 4 hours. The model charges from
    empty to the cut-off inside those 4 hours and no faster than constant current allows
    (ΔSOC·Q/I); 10–80 % at 0.5 C is all constant current: 0.7 × 2 h = 84 min."""
    cell = ebike.pack.cell
    assert cell.name == "inr21700_50e" and cell.max_voltage == 4.2
    curve = _cell_charge(cell, 0.5)
    full = curve.time[-1]
    assert curve.soc[-1] * 2 * 3600 <= full <= 4 * 3600
    assert curve.time_between(0.10, 0.80) == pytest.approx(0.7 * 2 * 3600, rel=1e-9)
    assert curve.cv_start is not None and np.interp(curve.cv_start, curve.time, curve.soc) > 0.8
    cv = curve.time > curve.cv_start
    assert (np.diff(curve.current[cv]) <= 1e-12).all()  # the current only falls at constant voltage
    assert curve.voltage.max() <= cell.max_voltage + 1e-12
    assert curve.current[-1] >= 0.05 * cell.capacity / 3600 - 1e-9  # stopped at the cut-off


def test_the_charge_integration_converges(ebike, monkeypatch):
    from battgen.models import charge

    cell = ebike.pack.cell
    coarse = _cell_charge(cell, 1.0)
    monkeypatch.setattr(charge, "SOC_STEP", 0.0001)
    fine = _cell_charge(cell, 1.0)
    for end in (0.8, 0.9, 0.99):
        assert coarse.time_between(0.1, end) == pytest.approx(fine.time_between(0.1, end), rel=1e-4)
    assert coarse.time[-1] == pytest.approx(fine.time[-1], rel=0.01)


def test_a_faster_charge_reaches_constant_voltage_sooner(ebike):
    cell = ebike.pack.cell
    slow, fast = _cell_charge(cell, 0.5), _cell_charge(cell, 1.0)
    soc_at = [np.interp(c.cv_start, c.time, c.soc) for c in (slow, fast)]
    assert soc_at[1] < soc_at[0]
    assert fast.time_between(0.1, 0.8) < slow.time_between(0.1, 0.8)


# --- colour bars --------------------------------------------------------------------------


def test_a_zero_spread_is_never_stretched():
    """280 A in every cell (the issue's uniform pack): one colour, the middle of the ramp; the
    bar spans the resolution around the value, and says the spread."""
    from battgen.emit import style
    from battgen.emit.drawing import colour_scale

    scale = colour_scale([280.0] * 50, style.CURRENT, "A", "cell current", 2.8)
    assert scale.flat and scale.lo == pytest.approx(278.6) and scale.hi == pytest.approx(281.4)
    assert scale.colour(280.0) == style.sample(style.CURRENT, 0.5)
    spread = colour_scale([279.0, 281.0, 285.0], style.CURRENT, "A", "cell current", 2.8)
    assert not spread.flat and (spread.lo, spread.hi) == (279.0, 285.0)
    assert spread.colour(279.0) == style.CURRENT[0] and spread.colour(285.0) == style.CURRENT[-1]


# --- the terminal -------------------------------------------------------------------------


def test_counts_read_as_english():
    from battgen.core.text import counted

    assert counted(1, "module") == "1 module" and counted(8, "module") == "8 modules"
    assert counted(4704, "cell") == "4,704 cells"
    assert counted(1, "set of side walls", "sets of side walls") == "1 set of side walls"


def test_one_module_packs_say_so(ebike):
    assert ebike.layout.summary().endswith("1 module")
    from battgen.emit.terminal import chosen_rows

    rows = dict(chosen_rows(ebike.candidate))
    assert " 1 module of 13s4p" in rows["architecture"]


def test_the_report_wraps_at_word_boundaries(ebike, capsys, monkeypatch):
    """On a 72-column terminal every stage summary wraps between words, under itself."""
    from battgen.emit import terminal

    monkeypatch.setattr(terminal, "_width", lambda: 72)
    terminal.print_build(_design(), {}, {"ebike48": ebike}, [])
    lines = capsys.readouterr().out.splitlines()
    assert lines and max(len(line) for line in lines) <= 72
    summary = " ".join(" ".join(line.split()) for line in lines)
    for _stage, text in ebike.summaries():
        assert " ".join(text.split()) in summary  # no word cut in two
    continued = [line for line in lines if line.startswith(" " * 9) and line.strip()]
    assert continued  # the long summaries went on under their own column


def _design():
    from battgen.driver.pipeline import check

    return check(EXAMPLES / "ebike.batt").design


def test_every_stage_is_reported_as_it_starts():
    """The driver tells its reporter of every stage (``battc`` shows them with BuildProgress):
    synthesis, each loop stage of each architecture, the CAD's steps, and the writing."""
    from battgen.driver import pipeline, stages

    seen: list[tuple[str, str]] = []

    class Recorder:
        def stage(self, name: str, detail: str = "") -> None:
            seen.append((name, detail))

        def step(self, step: str, done: int, total: int) -> None:
            seen.append(("step", step))

    options = stages.BuildOptions(cad=False, reporter=Recorder())
    pipeline._build(EXAMPLES / "ebike.batt", None, options, None)
    names = [name for name, _detail in seen]
    assert names == [
        "synthesis",
        "layout",
        "plates",
        "routing",
        "heat",
        "lifetime",
        "bms",
        "bom",
        "check",
        "structure",
        "thermal_network",
        "safety",
    ]
    assert seen[1] == ("layout", "ebike48 13s4p")


def test_the_progress_display_names_the_stage_on_a_terminal():
    import io

    from rich.console import Console

    from battgen.emit.terminal import BuildProgress

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with BuildProgress(console) as progress:
        progress.stage("layout", "sedan 96s49p")
        progress.progress.refresh()
        progress.stage("cad", "sedan 96s49p")
        progress.step("GLB export", 6, 9)
        progress.progress.refresh()
    text = out.getvalue()
    assert "layout" in text and "sedan 96s49p" in text and "GLB export" in text
