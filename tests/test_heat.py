"""Heat analysis (passes/heat.py) through the real pipeline: the cold-plate chain recomputed by
hand from the published constants and the load cases, the energy balance of the coolant, forced
air across round cells and through the gaps of flat ones, the skin-cooled pack without either,
the peak pulse, and the CAD plate drawn with the flow analysed. (A cell over its limit is the
as-built check's: tests/test_asbuilt.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest

from battgen.driver.pipeline import build_result
from battgen.models.thermal import dudt, mean_dudt
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
    """Coolant at the outlet + Q·(gap filler + skin + developing laminar convection + the cell's
    own axial path), with BatPaC 5.0's Nu(Gz) over the channels' length, k(glycol) = 0.38, gap
    filler 1 mm at 3 W/(m·K), 6061 167 W/(m·K), the 21700's axial k (Yu 2023) — recomputed here.
    The heat: I²R plus −I·T·dU/dT with the NMC811 curve averaged over the SOC window."""
    result, build = plate
    pack = result.estimate.lowered.design.packs["plate"]
    heat, cell, chosen = build.heat, pack.cell, build.candidate
    # the continuous load: no continuous power stated, so the pack's C/3 power at the 20 % floor
    current = chosen.loads.continuous.current
    assert chosen.loads.continuous.basis.startswith("C/3")
    r = cell.resistance * 1.272  # BatPaC's 10 s ASI at 20 % SOC over 50 % (18.56 / 14.59)
    i = np.asarray(build.routing.network.cell_currents) * current / build.routing.network.pack_current
    slope = mean_dudt("nmc811", 0.0, 1.0)  # the 50E is NMC811; the window is 0..100 %
    assert heat.entropic == pytest.approx(slope) and slope * 1e3 == pytest.approx(-0.0406, abs=3e-4)
    q = i**2 * r - i * pack.ambient * slope  # Bernardi, discharge positive
    assert heat.current == pytest.approx(current)
    assert heat.cell_heat_total == pytest.approx(q.sum(), rel=1e-3) and heat.cell_heat_max == pytest.approx(
        q.max(), rel=1e-3
    )
    assert heat.hottest_cell == int(np.argmax(q)) and heat.cell_heat_joule == pytest.approx((i**2).sum() * r, rel=1e-3)
    # coolant: sized for a 5 K rise, and the energy balance holds
    rho, cp, k, mu = 1064.0, 3400.0, 0.38, 3.0e-3
    assert heat.coolant_flow * rho * cp * heat.coolant_rise == pytest.approx(heat.cell_heat_total)
    assert heat.coolant_rise == pytest.approx(5.0)
    long_side, short_side = H.plate_size(build.layout, pack.envelope)
    n, width, coverage = H.channel_design(heat.coolant_flow, short_side)
    assert n == heat.channels > 1  # parallel channels along the plate's long side, manifold to manifold
    w, h = width * 1e-3, 3e-3
    d_h = 2 * w * h / (w + h)
    length = (long_side - 2 * 6.0) * 1e-3
    re = rho * heat.coolant_flow / (n * w * h) * d_h / mu
    gz = 2 * d_h / length * re * (mu * cp / k)  # BatPaC's Graetz number
    nu = (5.385**3.592 + (2.255 * gz ** (1 / 3)) ** 3.592) ** (1 / 3.592)
    assert heat.reynolds == pytest.approx(re) and heat.nusselt == pytest.approx(nu) and nu > 5.385
    foot = math.pi / 4 * cell.format.diameter**2
    wetted = build.layout.pitch[0] * build.layout.pitch[1] * coverage
    chain = 0.001 / (3.0 * foot) + 0.0015 / (167.0 * foot) + 1 / (nu * k / d_h * wetted)
    assert heat.resistance == pytest.approx(chain)
    assert heat.base_temperature == pytest.approx(pack.ambient + 5.0 + heat.cell_heat_max * chain)
    core = cell.format.height / (2 * (12.6 + 16.7) / 2 * foot)  # 21700: Yu et al. 2023, mid-range
    assert heat.core_resistance == pytest.approx(core)
    assert heat.core_temperature == pytest.approx(heat.base_temperature + heat.cell_heat_max * core)
    assert heat.pressure_drop == pytest.approx(48 * mu * heat.velocity * length / d_h**2)
    assert heat.reynolds < 2300  # laminar, as the chain assumes


def test_as_built_check_holds_the_core_to_the_limit(plate):
    """The cell's limit is on the cell: the verdict is its hottest point plus the pulse."""
    _, build = plate
    verdict = next(v for v in build.as_built.verdicts if v.name == "cell temperature")
    assert verdict.built == pytest.approx(build.heat.core_temperature + build.heat.pulse_rise)
    assert "core" in verdict.label


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
    slope = dudt("nmc811", 0.2)  # at the 20 % SOC floor: the graphite's low-SOC peak, -0.088 mV/K
    assert heat.entropic_pulse == pytest.approx(slope) and slope * 1e3 == pytest.approx(-0.0877, abs=5e-4)
    q = i**2 * cell.resistance * 1.272 - i * pack.ambient * slope
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


@pytest.mark.parametrize(("flow", "short_side"), [(2e-6, 60.0), (1e-5, 150.0), (5e-4, 300.0)])
def test_channel_length_is_the_drawn_channels(flow, short_side):
    """The length the Graetz number is taken over is the CAD stage's channel: a serpentine's
    centreline (its drawn area over its width, less the square caps' w²), or a parallel channel
    from manifold to manifold."""
    from shapely.geometry import box

    from battgen.passes.channels import _channels

    long_side = 400.0
    region, info = _channels(box(0.0, 0.0, long_side, short_side), flow)
    n, width, _ = H.channel_design(flow, short_side)
    length = H.channel_length(n, width, long_side, short_side)
    assert info["channels"] == n and info["width"] == pytest.approx(width * 1e-3)
    if n == 1:
        from battgen.emit.cad.channels import _serpentine

        m = H.CHANNEL_EDGE + width / 2
        body, _ports = _serpentine(lambda u, v: (u, v), True, (0.0, 0.0, long_side, short_side), m, width)
        assert body.area / width - width == pytest.approx(length, rel=1e-9)
    else:
        assert length == pytest.approx(long_side - 2 * H.CHANNEL_EDGE)


AIR_BANK = """
use cells.samsung.inr21700_50e

envelope box {
    outline = rect(300 mm, 200 mm)
    height  = 100 mm
    wall    = 3 mm
}

pack fan {
    cell     = inr21700_50e
    envelope = box
    series   = 10
    parallel = 4
    layout   = square
    gap      = 4 mm
    power    >= 1.5 kW for 10 s
    cooling  = air
}
"""


def test_forced_air_across_round_cells_by_hand(tmp_path):
    """Round cells on a square lattice: an in-line tube bank, the air crossing its shorter way.
    Flow sized for a 5 K rise of the cells' and busbars' heat; V_max through the transverse gap;
    Zukauskas (Bejan's fit: 0.27·Re^0.63·Pr^0.36 above Re 1000, 0.52·Re^0.5 below) with the row
    correction; the side surface πDH to the air; radial conduction 1/(4π·k·H) inside."""
    from battgen.driver.pipeline import build_result

    result = build_result(AIR_BANK, tmp_path, cad=False)
    assert not [d for d in result.diagnostics if d.is_error], result.diagnostics
    build = result.packs["fan"]
    heat, layout, cell = build.heat, build.layout, build.pack.cell
    assert heat.cooling.startswith("forced air across an in-line bank")
    rho, cp, k, mu = 1.161, 1007.0, 0.0263, 18.46e-6
    q_air = heat.cell_heat_total + heat.busbar_heat
    assert heat.coolant_flow == pytest.approx(q_air / (rho * cp * 5.0)) and heat.coolant_rise == pytest.approx(5.0)
    xy = np.array([(c.x, c.y) for c in layout.cells])
    pitch = layout.pitch[0]
    assert pitch == pytest.approx(cell.format.diameter + 0.004)
    turn = np.array(
        [[math.cos(layout.angle), -math.sin(layout.angle)], [math.sin(layout.angle), math.cos(layout.angle)]]
    )
    extent = np.ptp(xy @ turn, axis=0)  # in the lattice's own frame (the layout turned it)
    rows = round(extent.min() / pitch) + 1
    front = extent.max() + pitch
    vmax = heat.coolant_flow / (front * layout.cell_height) * pitch / (pitch - cell.format.diameter)
    re = rho * vmax * cell.format.diameter / mu
    assert heat.velocity == pytest.approx(vmax) and heat.reynolds == pytest.approx(re)
    inline_rows = [0.6768, 0.8089, 0.8687, 0.9054, 0.9303, 0.9465, 0.9569, 0.9647, 0.9712, 0.9766]
    c, m = (0.52, 0.5) if re < 1000 else (0.27, 0.63)
    nu = c * re**m * (mu * cp / k) ** 0.36 * inline_rows[rows - 1]
    assert heat.nusselt == pytest.approx(nu)
    surface = 1 / (nu * k / cell.format.diameter * math.pi * cell.format.diameter * cell.format.height)
    assert heat.resistance == pytest.approx(surface)
    assert heat.base_temperature == pytest.approx(build.pack.ambient + 5.0 + heat.cell_heat_max * surface)
    core = 1 / (4 * math.pi * (1 / (4 * math.pi * 1.94 * 0.065)) * cell.format.height)
    assert heat.core_temperature == pytest.approx(heat.base_temperature + heat.cell_heat_max * core)
    assert heat.pressure_drop > 0 and heat.discharge_time is None


def test_forced_air_through_flat_cells_gaps(tmp_path):
    """The rack (prismatic LF280K, 2 mm gaps, `cooling = air`): a parallel-plate channel beside
    every cell, the cell's width long; Stephan's developing-flow Nu on D_h = 2·s·H/(s + H); both
    faces to the air; through-plane conduction t/(8·k·W·H) inside (BatPaC's 0.355 W/(m·K))."""
    from pathlib import Path

    from battgen.driver.pipeline import build_result

    example = Path(__file__).resolve().parent.parent / "examples" / "lfp_storage.batt"
    result = build_result(example, tmp_path, cad=False)
    build = result.packs["rack51v"]
    heat, cell, pack = build.heat, build.pack.cell, build.pack
    f = cell.format
    assert heat.cooling.startswith("forced air through the 2 mm gaps") and heat.channels == 16
    rho, cp, k, mu = 1.161, 1007.0, 0.0263, 18.46e-6
    d_h = 2 * 0.002 * f.height / (0.002 + f.height)
    v = heat.coolant_flow / (16 * 0.002 * f.height)
    re = rho * v * d_h / mu
    xs = f.width / (d_h * re * (mu * cp / k))
    nu = 7.55 + 0.024 * xs**-1.14 / (1 + 0.0358 * (mu * cp / k) ** 0.17 * xs**-0.64)
    assert heat.reynolds == pytest.approx(re) and heat.nusselt == pytest.approx(nu)
    assert heat.resistance == pytest.approx(1 / (nu * k / d_h * 2 * f.width * f.height))
    core = f.thickness / (8 * 0.355 * f.width * f.height)
    assert heat.core_resistance == pytest.approx(core)
    assert heat.pressure_drop == pytest.approx(48 * mu * v * f.width / d_h**2)
    # LFP: the BPX curve averaged over the window
    assert heat.entropic == pytest.approx(mean_dudt("lfp", pack.soc_low, pack.soc_high))


OWN_ENTROPIC = """
cell measured {
    format     = cylindrical(diameter = 21.25 mm, height = 70.8 mm)
    chemistry  = nca
    nominal    = 3.63 V
    voltage    in 2.5 V .. 4.2 V
    capacity   = 4.9 Ah
    mass       = 69 g
    resistance = 24 mOhm
    discharge  <= 9.8 A
    entropic   = [(0 %, -0.4 mV/K), (100 %, 0.2 mV/K)]
    source     = "the 50E's figures, with dU/dT measured by the user"
}

pack own {
    cell     = measured
    series   = 10
    parallel = 2
    power    >= 500 W for 10 s
    cooling  = none
}
"""


def test_a_cells_own_entropic_table_sets_the_reversible_heat(tmp_path):
    """`entropic` by SOC: the continuous load takes its average over the 0-100 % window
    (−0.1 mV/K), the pulse its value at the 20 % floor (−0.28 mV/K)."""
    from battgen.driver.pipeline import build_result

    result = build_result(OWN_ENTROPIC, tmp_path, cad=False)
    assert not [d for d in result.diagnostics if d.is_error], result.diagnostics
    heat = result.packs["own"].heat
    assert heat.entropic == pytest.approx(-0.1e-3) and heat.entropic_pulse == pytest.approx(-0.28e-3)
    reversible = heat.cell_heat_total - heat.cell_heat_joule
    assert reversible == pytest.approx(heat.current * 298.15 * 0.1e-3 * 10, rel=1e-6)  # −I·T·dU/dT per cell × S
    assert "`measured`'s own figures" in " ".join(heat.notes)


def test_forced_air_across_a_hexagonal_lattice_is_a_staggered_bank(tmp_path):
    """A hexagonal lattice: rows pitch[0] apart along them, pitch[1] between them — Zukauskas'
    staggered bank with S_T/S_L = 2/√3 (above Re 1000 the factor (S_T/S_L)^0.2, below 0.71·Re^0.5
    or 1.04·Re^0.4), its narrowest gap the transverse one (S_D = S_T)."""
    from battgen.driver.pipeline import build_result

    result = build_result(AIR_BANK.replace("layout   = square", "layout   = hex"), tmp_path, cad=False)
    build = result.packs["fan"]
    heat, layout, cell = build.heat, build.layout, build.pack.cell
    st, sl = layout.pitch
    assert layout.lattice == "hex" and sl == pytest.approx(st * math.sqrt(3) / 2)
    assert heat.cooling.startswith("forced air across a staggered bank")
    d = cell.format.diameter
    across = np.array([(c.x, c.y) for c in layout.cells]) @ np.array([-math.sin(layout.angle), math.cos(layout.angle)])
    along = np.array([(c.x, c.y) for c in layout.cells]) @ np.array([math.cos(layout.angle), math.sin(layout.angle)])
    rows = round(np.ptp(across) / sl) + 1
    vmax = heat.coolant_flow / ((np.ptp(along) + st) * layout.cell_height) * st / (st - d)
    assert heat.velocity == pytest.approx(vmax)
    re = 1.161 * vmax * d / 18.46e-6
    staggered_low = [0.8295, 0.8792, 0.9151, 0.9402, 0.957, 0.9677, 0.9745, 0.9785, 0.9808, 0.9823]
    c, m = (1.04, 0.4) if re < 500 else (0.71, 0.5)
    assert re < 1000 and heat.nusselt == pytest.approx(c * re**m * 0.7068**0.36 * staggered_low[rows - 1], rel=1e-3)
