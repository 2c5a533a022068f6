"""Synthesis: enumeration, estimates, ranking and the explanations of a "no"
(E501, E502, E503, W501)."""

from __future__ import annotations

import json
import math

import pytest
from conftest import EXAMPLES, run_battc

import battgen
from battgen.driver.pipeline import check
from battgen.passes.synthesis import evaluate_fixed, synthesize

HEADER = "use cells.samsung.inr21700_50e\n\n"


def pack_of(body: str, name: str = "p"):
    lowered = check(HEADER + f"pack {name} {{\n    cell = inr21700_50e\n{body}}}\n")
    assert not lowered.has_errors, [d.message for d in lowered.diagnostics]
    return lowered.design.packs[name]


def diagnostics(body: str):
    return synthesize(pack_of(body)).diagnostics


def test_energy_voltage_and_capacity_scale_with_s_and_p():
    pack = pack_of("")
    cell = pack.cell
    c = evaluate_fixed(pack, 96, 46)
    assert c.cells == 4416
    assert c.nominal_voltage == pytest.approx(96 * cell.nominal_voltage)
    assert c.max_voltage == pytest.approx(96 * cell.max_voltage)
    assert c.energy == pytest.approx(96 * 46 * cell.nominal_voltage * cell.capacity)
    assert c.capacity == pytest.approx(46 * cell.capacity)


def test_mass_is_the_sum_of_its_parts_and_the_enclosure_follows_the_declared_material():
    """The report's breakdown adds up; the envelope sets the jacket's size (BatPaC's insulated
    jacket: a 1 mm steel base, the top's 1 mm aluminium skin for a pack under 10 kWh, 10 mm of
    insulation and a 1 mm aluminium inner skin, models.packaging); a declared steel enclosure
    makes the top's outer skin steel as stiff, 2.04 × the aluminium's mass
    (models.packaging.equal_stiffness_thickness)."""
    envelope = "envelope e {\n    outline = rect(1 m, 0.8 m)\n    height = 100 mm\n}\n"
    aluminium = evaluate_fixed(_pack_with(envelope, ""), 14, 10)
    steel = evaluate_fixed(_pack_with(envelope, "    enclosure = steel\n"), 14, 10)
    parts = dict(aluminium.mass_parts)
    assert sum(parts.values()) == pytest.approx(aluminium.mass)
    assert parts["cells"] == pytest.approx(140 * pack_of("").cell.mass)
    inside = 32 * 0.010 + 2700 * 0.001  # insulation and inner skin, kg/m²
    assert parts["enclosure lid"] == pytest.approx(0.8 * (2700 * 0.001 + inside))
    assert parts["enclosure floor"] == pytest.approx(0.8 * (7800 * 0.001 + inside))
    steel_skin = dict(steel.mass_parts)["enclosure lid"] / 0.8 - inside
    assert steel_skin / (2700 * 0.001) == pytest.approx(2.04, abs=0.01)
    assert evaluate_fixed(pack_of(""), 14, 10).as_json()["mass_parts_kg"]["cells"] == pytest.approx(parts["cells"])


def _pack_with(envelope: str, extra: str):
    lowered = check(HEADER + envelope + f"pack p {{\n    cell = inr21700_50e\n    envelope = e\n{extra}}}\n")
    assert not lowered.has_errors, [d.message for d in lowered.diagnostics]
    return lowered.design.packs["p"]


def test_pack_resistance_matches_the_uniform_pack_formula():
    """physics.md check: R_pack = S·R_cell/P + S·R_step (96s4p of 1 mOhm cells, 0.1 mOhm per
    series step → 33.6 mOhm); here R_step is the interconnect allowance."""
    import numpy as np

    from battgen.passes.synthesis import interconnect_allowance

    pack = pack_of("")
    c = evaluate_fixed(pack, 96, 4)
    step = float(interconnect_allowance(pack, np.array(4.0)))
    assert c.resistance == pytest.approx(96 * pack.cell.resistance / 4 + 96 * step)


def test_peak_power_is_limited_by_the_voltage_floor_or_the_pulse_rating():
    """P_cell = I·(OCV − I·R), I = min(I_pulse, (OCV − V_min)/R) at the 20 % SOC floor (BatPaC;
    USABC), with R the cell's resistance there — BatPaC 5.0's 10 s ASI of NCA at 20 % over 50 %,
    18.54 / 14.57 Ω·cm² — plus its interconnect allowance."""
    from battgen.models import ocv

    pack = pack_of("")
    c = evaluate_fixed(pack, 1, 1)
    cell = pack.cell
    v = float(ocv.ocv_scaled(cell.chemistry, 0.2, cell.min_voltage, cell.max_voltage))
    r = c.resistance - cell.resistance + cell.resistance * 18.54 / 14.57
    current = min(cell.pulse_current, (v - cell.min_voltage) / r)
    assert c.peak_power == pytest.approx(current * (v - current * r))


def test_the_peak_load_is_the_current_that_delivers_the_power():
    """The sedan's 200 kW at 20 % SOC: P = S·P·I·(OCV − I·R) solved for the smaller root, by hand."""
    import math

    from battgen.models import ocv

    pack = pack_of("    power >= 200 kW for 10 s\n")
    c = evaluate_fixed(pack, 96, 49)
    cell = pack.cell
    v = float(ocv.ocv_scaled(cell.chemistry, 0.2, cell.min_voltage, cell.max_voltage))
    r = (c.resistance - 96 * cell.resistance / 49) * 49 / 96 + cell.resistance * 18.54 / 14.57  # per cell
    p_cell = 200e3 / (96 * 49)
    i_cell = (v - math.sqrt(v * v - 4 * r * p_cell)) / (2 * r)
    assert c.peak_current == pytest.approx(49 * i_cell, rel=1e-9)
    assert c.loads.peak.power == 200e3 and c.loads.peak.duration == 10.0
    assert 96 * 49 * i_cell * (v - i_cell * r) == pytest.approx(200e3)


def test_chosen_design_meets_every_requirement_and_is_the_lightest():
    pack = pack_of("    voltage in 330 V .. 370 V\n    energy >= 75 kWh\n    power >= 150 kW for 10 s\n")
    result = synthesize(pack)
    c = result.chosen
    assert c.feasible and 330 <= c.nominal_voltage <= 370 and c.energy >= 75 * 3.6e6 and c.peak_power >= 150e3
    for runner in result.runners_up:
        assert runner.mass >= c.mass
    assert "energy" in c.binding
    assert result.evaluated > 10_000


def test_fixed_series_and_parallel_are_honoured():
    c = synthesize(pack_of("    series = 96\n    parallel = 46\n    energy >= 10 kWh\n")).chosen
    assert (c.series, c.parallel) == (96, 46)


def test_modules_split_the_series_string_within_limits():
    c = synthesize(
        pack_of(
            "    voltage in 330 V .. 370 V\n    energy >= 75 kWh\n    modules in 4 .. 8\n    module_voltage <= 60 V\n"
        )
    ).chosen
    assert 4 <= c.modules <= 8 and c.series % c.modules == 0
    assert c.series // c.modules * 4.2 <= 60


@pytest.mark.parametrize("objective, key", [("mass", "mass"), ("cost", "cost"), ("volume", "volume")])
def test_objective_picks_the_minimum(objective, key):
    result = synthesize(pack_of(f"    voltage in 330 V .. 370 V\n    energy >= 60 kWh\n    optimise = {objective}\n"))
    assert all(getattr(r, key) >= getattr(result.chosen, key) for r in result.runners_up)


def test_E502_says_by_how_much_and_what_limits_it():
    (d,) = synthesize(_with_envelope()).diagnostics
    assert d.code == "E502"
    assert "needs" in d.message and "holds at most" in d.message and "hex packing" in d.message
    assert "largest feasible is" in d.message
    assert d.related and d.hint


def _with_envelope():
    lowered = check(
        HEADER + "envelope small {\n    outline = rect(1000 mm, 1000 mm)\n    height = 100 mm\n}\n"
        "pack p {\n    cell = inr21700_50e\n    envelope = small\n    voltage in 330 V .. 370 V\n"
        "    energy >= 90 kWh\n}\n"
    )
    return lowered.design.packs["p"]


def test_E502_alone_names_the_requirement_and_the_largest_feasible_value():
    (d,) = diagnostics("    voltage in 330 V .. 370 V\n    energy >= 75 kWh\n    cycles >= 100000\n")
    assert d.code == "E502" and "cycles" in d.message
    (d,) = diagnostics("    series = 96\n    parallel = 10\n    energy >= 75 kWh\n")
    assert d.code == "E503" and d.span.line == 7 and "short" in d.message and d.related[0].span.line == 6


def test_E503_two_requirements_that_conflict_name_both_spans():
    (d,) = diagnostics("    voltage in 44 V .. 50 V\n    energy >= 900 Wh\n    mass <= 5 kg\n")
    assert d.code == "E503"
    assert "`energy >= 900 Wh`" in d.message and "`mass <= 5 kg`" in d.message
    assert d.span.line == 6 and d.related[0].span.line == 7


def test_E503_when_s_does_not_split_into_the_modules_declared_says_the_list():
    """`series = 96` in `modules = 10` equal modules cannot be built: E503 on `modules`, S related,
    the hint the list of sizes that declares it (as equal as they go) and the counts that divide
    96; with the list declared instead (`module_series`), the same S and count build."""
    (d,) = diagnostics("    series = 96\n    modules = 10\n    energy >= 15 kWh\n")
    assert d.code == "E503" and (d.span.line, d.span.column) == (6, 5)
    assert "do not split into 10 equal modules" in d.message and d.related[0].span.line == 5
    assert "`module_series = [10, 10, 10, 10, 10, 10, 9, 9, 9, 9]`" in d.hint and "divides 96 (6, 8, 12)" in d.hint
    chosen = synthesize(
        pack_of("    module_series = [10, 10, 10, 10, 10, 10, 9, 9, 9, 9]\n    energy >= 15 kWh\n")
    ).chosen
    assert chosen is not None and (chosen.series, chosen.modules, chosen.series_per_module) == (96, 10, 10)
    # a count that divides S is still the equal split, preferred when S is free
    chosen = synthesize(pack_of("    voltage in 330 V .. 370 V\n    modules = 10\n    energy >= 15 kWh\n")).chosen
    assert chosen.series % 10 == 0 and chosen.module_sizes == (chosen.series // 10,) * 10


def test_E501_when_no_single_or_pair_relaxation_helps():
    (d,) = diagnostics("    voltage in 330 V .. 370 V\n    max_voltage <= 300 V\n    min_voltage >= 400 V\n")
    assert d.code == "E501" and "voltage" in d.message


def test_W501_thin_margin():
    found = diagnostics("    series = 96\n    parallel = 46\n    energy >= 77.9 kWh\n")
    assert [d.code for d in found] == ["W501"]


def test_estimate_json_keys_and_determinism():
    first = run_battc("estimate", str(EXAMPLES / "sedan.batt"), "--json")
    second = run_battc("estimate", str(EXAMPLES / "sedan.batt"), "--json")
    assert first.returncode == 0 and first.stdout == second.stdout
    data = json.loads(first.stdout)
    (pack,) = data["packs"]
    for key in (
        "name",
        "series",
        "parallel",
        "cells",
        "modules",
        "nominal_voltage_V",
        "min_voltage_V",
        "max_voltage_V",
        "energy_Wh",
        "capacity_Ah",
        "continuous_power_W",
        "peak_power_W",
        "resistance_ohm",
        "mass_kg",
        "volume_L",
        "cost_usd",
        "feasible",
        "binding",
    ):
        assert key in pack
    assert pack["feasible"] is True and pack["cells"] == pack["series"] * pack["parallel"]
    assert data["diagnostics"] == [] or all(d["severity"] != "error" for d in data["diagnostics"])


def test_python_api_takes_text_or_path():
    by_path = battgen.estimate(str(EXAMPLES / "ebike.batt"))
    by_text = battgen.estimate((EXAMPLES / "ebike.batt").read_text())
    assert by_path["packs"][0]["series"] == by_text["packs"][0]["series"]
    assert math.isclose(by_path["packs"][0]["energy_Wh"], by_text["packs"][0]["energy_Wh"])


def test_fixed_counts_the_envelope_cannot_hold_are_E502_not_a_crash():
    """`series` and `parallel` are settings, not requirements: when the envelope cannot hold
    what they fix, the answer names them, the cells they need and what the envelope holds (this
    raised KeyError with `modules = 2`, and blamed `series` against `parallel` without)."""
    text = """
use cells.lg.bolt57

envelope tray {
    outline = rect(204 mm, 216 mm)
    height  = 200 mm
}

pack p {
    cell     = bolt57
    envelope = tray
    series   = 4
    parallel = 6
}
"""
    for extra in ("", "    modules  = 2\n"):
        synthesis = synthesize(
            check(text.replace("    parallel = 6\n", "    parallel = 6\n" + extra)).design.packs["p"]
        )
        assert synthesis.chosen is None
        [diagnostic] = synthesis.diagnostics
        assert diagnostic.code == "E502" and diagnostic.span.line == 13
        assert diagnostic.message.startswith(
            "`series = 4` and `parallel = 6` need at least 24 cells (4s6p); `envelope = tray` (holds at most"
        )
        assert diagnostic.related and diagnostic.hint
