"""Heat analysis (passes/heat.py) through the real pipeline: the cold-plate chain recomputed by
hand from the published constants, the energy balance of the coolant, the adiabatic figures
without cooling, the peak pulse, W703, and the CAD plate drawn with the flow analysed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from battgen.driver.pipeline import build_result
from battgen.models.thermal import NU_LAMINAR_FLUX, dudt
from battgen.passes import heat as H

PLATE_PACK = """
use cells.samsung.inr21700_50e

envelope tray {
    outline = rect(420 mm, 300 mm)
    height  = 110 mm
    wall    = 3 mm
}

pack plate {
    cell     = inr21700_50e
    envelope = tray
    series   = 14
    parallel = 8
    power    >= 4 kW for 10 s
    cooling  = cold_plate(side = bottom)
}
"""

# A cell with a low upper temperature and a stiff load: its cooled face runs over the limit.
HOT_PACK = """
use cells.samsung.inr21700_50e

cell warm50e {
    format      = cylindrical(diameter = 21.25 mm, height = 70.8 mm)
    chemistry   = nca
    nominal     = 3.63 V
    voltage     in 2.5 V .. 4.2 V
    capacity    = 4.9 Ah
    mass        = 69 g
    resistance  = 24 mOhm
    discharge   <= 20 A
    temperature in -20 degC .. 30 degC
    source      = "test cell: the 50E with a 30 degC limit and a 20 A rating"
}

envelope tray {
    outline = rect(420 mm, 300 mm)
    height  = 110 mm
}

pack hot {
    cell     = warm50e
    envelope = tray
    series   = 14
    parallel = 8
    cooling  = cold_plate(side = bottom)
}
"""


@pytest.fixture(scope="module")
def plate(tmp_path_factory):
    result = build_result(PLATE_PACK, tmp_path_factory.mktemp("plate"), cad=False)
    assert not [d for d in result.diagnostics if d.is_error], result.diagnostics
    return result, result.packs["plate"]


def test_cold_plate_chain_by_hand(plate):
    """Coolant at the outlet + Q·(gap filler + skin + laminar convection), with Nu = 4.36,
    k(glycol) = 0.38, gap filler 1 mm at 3 W/(m·K), 6061 167 W/(m·K) — recomputed here."""
    result, build = plate
    pack = result.estimate.lowered.design.packs["plate"]
    heat, cell, chosen = build.heat, pack.cell, build.candidate
    current = math.sqrt(chosen.heat / chosen.resistance)
    i = np.asarray(build.routing.network.cell_currents) * current / build.routing.network.pack_current
    q = i**2 * cell.resistance - i * pack.ambient * dudt(cell.chemistry)  # Bernardi, discharge positive
    assert heat.current == pytest.approx(current)
    assert heat.cell_heat_total == pytest.approx(q.sum()) and heat.cell_heat_max == pytest.approx(q.max())
    assert heat.hottest_cell == int(np.argmax(q)) and heat.cell_heat_joule == pytest.approx(
        (i**2).sum() * cell.resistance
    )
    # coolant: sized for a 5 K rise, and the energy balance holds
    rho, cp = 1064.0, 3400.0
    assert heat.coolant_flow * rho * cp * heat.coolant_rise == pytest.approx(q.sum())
    assert heat.coolant_rise == pytest.approx(5.0)
    _, width, coverage = H.channel_design(heat.coolant_flow, H.plate_short_side(build.layout, pack.envelope))
    w, h = width * 1e-3, 3e-3
    d_h = 2 * w * h / (w + h)
    foot = math.pi / 4 * cell.format.diameter**2
    wetted = build.layout.pitch[0] * build.layout.pitch[1] * coverage
    chain = 0.001 / (3.0 * foot) + 0.0015 / (167.0 * foot) + 1 / (NU_LAMINAR_FLUX * 0.38 / d_h * wetted)
    assert heat.resistance == pytest.approx(chain)
    assert heat.base_temperature == pytest.approx(pack.ambient + 5.0 + q.max() * chain)
    assert heat.reynolds < 2300  # laminar, as the chain assumes


def test_peak_pulse_is_adiabatic_for_the_requirement_duration(plate):
    result, build = plate
    pack = result.estimate.lowered.design.packs["plate"]
    heat, cell = build.heat, pack.cell
    assert heat.pulse_seconds == 10.0
    i = heat.pulse_current
    q = i**2 * cell.resistance - i * pack.ambient * dudt(cell.chemistry)
    assert heat.pulse_rise == pytest.approx(q * 10.0 / (cell.mass * H.specific_heat(cell)))
    assert i > heat.current / 8  # the peak current is above the continuous one


def test_no_cooling_is_the_adiabatic_bound_with_time_to_the_limit(tmp_path):
    """The e-bike (cooling = none; the 50E declares a 60 °C discharge limit): warming =
    Q/(m·cp); time to the limit = (limit − ambient)/warming."""
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "examples" / "ebike.batt"
    result = build_result(example, tmp_path, cad=False)
    build = result.packs["ebike48"]
    pack = result.estimate.lowered.design.packs["ebike48"]
    heat, cell = build.heat, pack.cell
    assert heat.coolant_flow is None and heat.base_temperature is None and "adiabatic" in heat.cooling
    assert heat.warming_rate == pytest.approx(heat.cell_heat_max / (cell.mass * H.specific_heat(cell)))
    assert cell.max_temperature == pytest.approx(333.15)
    assert heat.time_to_limit == pytest.approx((cell.max_temperature - pack.ambient) / heat.warming_rate)
    assert "heat" in (tmp_path / "ebike48" / "design.json").read_text()


def test_specific_heat_falls_back_to_the_chemistry():
    """batterydesign.net (physics.md): NCA 830, NMC 1040, LFP 1130 J/(kg·K)."""
    from types import SimpleNamespace

    assert H.specific_heat(SimpleNamespace(specific_heat=None, chemistry="nca")) == 830.0
    assert H.specific_heat(SimpleNamespace(specific_heat=None, chemistry="lfp")) == 1130.0
    assert H.specific_heat(SimpleNamespace(specific_heat=None, chemistry="nmc811")) == 1040.0
    assert H.specific_heat(SimpleNamespace(specific_heat=900.0, chemistry="lfp")) == 900.0


def test_channels_spread_over_the_plate():
    """Laminar h does not depend on velocity: parallel channels cover the plate at width + land,
    the velocity stays at or below CHANNEL_VELOCITY, a small plate gets one serpentine."""
    n, width, coverage = H.channel_design(5e-4, 1300.0)  # 30 L/min under a 1.3 m plate
    usable = 1300.0 - 2 * H.CHANNEL_EDGE - width
    assert width == H.CHANNEL_MAX_WIDTH and n * width * 1e-3 * 3e-3 * H.CHANNEL_VELOCITY >= 5e-4
    assert usable / (n - 1) >= width + H.CHANNEL_LAND - 1e-9  # they fit, land between them
    assert coverage == pytest.approx(n * width / (usable + width)) and coverage > 0.6
    n1, w1, c1 = H.channel_design(1e-6, 40.0)  # a trickle under a 40 mm plate: one serpentine
    assert n1 == 1 and w1 == H.CHANNEL_MIN_WIDTH and c1 == pytest.approx(3.0 / 12.0)
    n2, w2, _ = H.channel_design(1e-3, 40.0)  # 60 L/min needs several channels even there
    assert n2 * w2 * 1e-3 * 3e-3 * H.CHANNEL_VELOCITY >= 1e-3


def test_cells_over_their_limit_are_W703(tmp_path):
    result = build_result(HOT_PACK, tmp_path, cad=False)
    found = [d for d in result.diagnostics if d.code == "W703"]
    assert len(found) == 1 and not found[0].is_error
    heat = result.packs["hot"].heat
    assert heat.base_temperature > heat.limit == pytest.approx(303.15)
    assert found[0].span.line == HOT_PACK.split("\n").index("    cooling  = cold_plate(side = bottom)") + 1
    assert "30 °C limit" in found[0].message and found[0].hint


def test_cad_plate_is_drawn_with_the_flow_analysed(plate):
    from battgen.emit.cad import plan_pack

    result, build = plate
    pack = result.estimate.lowered.design.packs["plate"]
    heat = build.heat
    drawn = plan_pack(
        pack, build.layout, build.routing, build.materials, coolant_flow=(heat.coolant_flow, heat.flow_basis)
    )
    assert drawn.cooling["flow"] == heat.coolant_flow and drawn.cooling["flow_basis"] == heat.flow_basis
    n, width, _ = H.channel_design(heat.coolant_flow, H.plate_short_side(build.layout, pack.envelope))
    assert drawn.cooling["width"] == pytest.approx(width * 1e-3) and drawn.cooling["channels"] == n == heat.channels
