"""Heat analysis (passes/heat.py) through the real pipeline: the cold-plate chain recomputed by
hand from the published constants and the load cases, the energy balance of the coolant, the
skin-cooled pack without a plate, the peak pulse, and the CAD plate drawn with the flow analysed.
(A cell over its limit is the as-built check's: tests/test_asbuilt.py.)"""

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
    # the continuous load: no continuous power stated, so the pack's C/3 power at the 20 % floor
    current = chosen.loads.continuous.current
    assert chosen.loads.continuous.basis.startswith("C/3")
    r = cell.resistance * 1.272  # BatPaC's 10 s ASI at 20 % SOC over 50 % (18.56 / 14.59)
    i = np.asarray(build.routing.network.cell_currents) * current / build.routing.network.pack_current
    q = i**2 * r - i * pack.ambient * dudt(cell.chemistry)  # Bernardi, discharge positive
    assert heat.current == pytest.approx(current)
    assert heat.cell_heat_total == pytest.approx(q.sum(), rel=1e-3) and heat.cell_heat_max == pytest.approx(
        q.max(), rel=1e-3
    )
    assert heat.hottest_cell == int(np.argmax(q)) and heat.cell_heat_joule == pytest.approx((i**2).sum() * r, rel=1e-3)
    # coolant: sized for a 5 K rise, and the energy balance holds
    rho, cp = 1064.0, 3400.0
    assert heat.coolant_flow * rho * cp * heat.coolant_rise == pytest.approx(heat.cell_heat_total)
    assert heat.coolant_rise == pytest.approx(5.0)
    _, width, coverage = H.channel_design(heat.coolant_flow, H.plate_short_side(build.layout, pack.envelope))
    w, h = width * 1e-3, 3e-3
    d_h = 2 * w * h / (w + h)
    foot = math.pi / 4 * cell.format.diameter**2
    wetted = build.layout.pitch[0] * build.layout.pitch[1] * coverage
    chain = 0.001 / (3.0 * foot) + 0.0015 / (167.0 * foot) + 1 / (NU_LAMINAR_FLUX * 0.38 / d_h * wetted)
    assert heat.resistance == pytest.approx(chain)
    assert heat.base_temperature == pytest.approx(pack.ambient + 5.0 + heat.cell_heat_max * chain)
    assert heat.reynolds < 2300  # laminar, as the chain assumes


def test_peak_pulse_is_adiabatic_for_the_requirement_duration(plate):
    result, build = plate
    pack = result.estimate.lowered.design.packs["plate"]
    heat, cell = build.heat, pack.cell
    peak = build.candidate.loads.peak
    assert heat.pulse_seconds == 10.0 == peak.duration and peak.power == 4000.0
    i = heat.pulse_current
    # the hottest cell's share of the peak load, from the solved network
    network = build.routing.network
    assert i == pytest.approx(abs(network.cell_currents[heat.hottest_cell]) * peak.current / network.pack_current)
    q = i**2 * cell.resistance * 1.272 - i * pack.ambient * dudt(cell.chemistry)
    assert heat.pulse_rise == pytest.approx(q * 10.0 / (cell.mass * H.specific_heat(cell)), rel=1e-3)
    assert i > heat.current / 8  # the peak current is above the continuous one


def test_no_cooling_is_a_skin_cooled_lump_over_a_full_discharge(tmp_path):
    """The e-bike (cooling = none): the pack's heat leaves through its enclosure's skin at
    h = 10 W/(m²·K); the cells' heat capacity warms over a full discharge at the continuous
    load, T = T∞ + Q/(hA)·(1 − exp(−t·hA/C)), the hottest cell scaled by its heat over the mean."""
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "examples" / "ebike.batt"
    result = build_result(example, tmp_path, cad=False)
    build = result.packs["ebike48"]
    pack, heat, cell = build.pack, build.heat, build.pack.cell
    assert heat.coolant_flow is None and heat.base_temperature is None and "skin" in heat.cooling
    # the down tube: 410 x 95 mm, 85 mm high
    surface = 2 * 0.410 * 0.095 + 2 * (0.410 + 0.095) * 0.085
    h_area = 10.0 * surface
    capacity = 52 * cell.mass * H.specific_heat(cell)
    t_end = cell.capacity / (heat.current / 4)  # the whole SOC window at the continuous load, 4 in parallel
    q = heat.cell_heat_total + heat.busbar_heat
    hot = heat.cell_heat_max / (heat.cell_heat_total / 52)
    end = pack.ambient + q / h_area * (1 - math.exp(-t_end * h_area / capacity)) * hot
    assert heat.discharge_time == pytest.approx(t_end) and heat.end_temperature == pytest.approx(end)
    # the adiabatic figures stay beside it
    assert heat.warming_rate == pytest.approx(heat.cell_heat_max / (cell.mass * H.specific_heat(cell)))
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
