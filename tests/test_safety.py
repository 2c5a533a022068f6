"""The safety stage's models against published experiments, and the stage on built packs
(W730-W733, and the structure stage's W720-W723 on the same builds).

Propagation experiments:

* Niu et al., Fire Technology 56(6) (2020) 2491: a linear module of 18650 cells 3 mm apart
  propagated at 0.35 ± 0.15 cells per minute (120-300 s a cell), 30-100 % SOC, 20-70 °C.
  The model (ejecta heat shared by view, no loss to the room) propagates at about a cell a
  minute: 2-5 × faster than measured — conservative, a known miss held by a strict xfail, and
  a passing test that it stays on the conservative side.
* A 147 Ah NCM module (voltcoffer.com ?p=11665, a rewrite of a Chinese journal paper;
  secondary): a 3.0 mm basalt-fibre aerogel sheet between the cells stopped propagation, the
  next cell staying below 102.5 °C. Reproduced with the standard library's 94 Ah NMC prismatic
  cell (the 147 Ah cell's size was not published in the excerpt): no propagation with 3 mm of
  aerogel, the next cell below its onset; propagation without it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import build_pack

from battgen.core.diagnostics import Severity
from battgen.driver.pipeline import check
from battgen.models import runaway
from battgen.passes.heat import specific_heat
from battgen.passes.layout.types import Layout, Module, ParallelGroup, PlacedCell, hex_columns
from battgen.passes.safety import network, propagation

NIU_MEASURED = (60.0 / 0.5, 60.0 / 0.2)  # s per cell: 0.35 ± 0.15 cells/min


def _pack(cell_use: str, cell: str, extra: str = ""):
    lowered = check(
        f"use {cell_use}\npack p {{\n    cell = {cell}\n    energy >= 1 kWh\n    cooling = none\n{extra}}}\n"
    )
    assert not [d for d in lowered.diagnostics if d.is_error], lowered.diagnostics
    return lowered.design.packs["p"], lowered.design.all_materials


def _run(pack, layout, materials, trigger: int = 0):
    cell = pack.cell
    energy = cell.energy / 3600
    body, ejecta = runaway.heat(cell.chemistry, energy, cell.mass, specific_heat(cell))
    net = network.cooled(network.build(pack, layout, None, materials), None, pack.ambient)
    return propagation.run(net, trigger, runaway.onset(cell.chemistry), body, ejecta, pack.ambient, energy)


def _niu_interval() -> float:
    """The model's mean time between successive cells of Niu's linear module (s)."""
    pack, materials = _pack("cells.panasonic.ncr18650b", "ncr18650b", "    gap = 3 mm\n    ambient = 20 degC\n")
    row = hex_columns("p", 1, 6, pack.cell.format.diameter, 0.003, pack.cell.format.height)
    run = _run(pack, row, materials)
    assert np.isfinite(run.onset_times).all()
    return float(np.diff(np.sort(run.onset_times)).mean())


@pytest.mark.xfail(reason="the model propagates 2-5 x faster than Niu et al. measured (conservative)", strict=True)
def test_niu_linear_module_propagation_time_within_the_measured_spread():
    low, high = NIU_MEASURED
    assert low <= _niu_interval() <= high


def test_niu_linear_module_model_is_conservative():
    """Faster than the fastest measured propagation, but not instantaneous: a cell every 30-120 s."""
    interval = _niu_interval()
    assert 30.0 <= interval <= NIU_MEASURED[0]


def _prismatic_stack(barrier: str) -> tuple:
    pack, materials = _pack("cells.samsung.sdi94", "sdi94", barrier)
    f = pack.cell.format
    pitch = f.thickness + pack.gap
    cells = tuple(PlacedCell(i, 0.0, i * pitch, 0.0, "z", 0.0, i, 0, True) for i in range(4))
    layout = Layout(
        "p",
        4,
        1,
        "rows",
        (pitch, f.width + pack.gap),
        0.0,
        (f.width, f.thickness),
        f.height,
        1,
        cells,
        tuple(ParallelGroup(i, 0, (i,), ()) for i in range(4)),
        (Module(0, (0, 1, 2, 3), ()),),
        4,
        0.5,
        0.5,
    )
    return _run(pack, layout, materials), runaway.onset(pack.cell.chemistry)


def test_aerogel_sheet_stops_propagation_between_large_prismatic_cells():
    bare, _ = _prismatic_stack("    gap = 1 mm\n")
    assert math.isfinite(bare.onset_times[1])
    shielded, onset = _prismatic_stack("    gap = 3 mm\n    barrier = aerogel(thickness = 3 mm, between = cells)\n")
    assert not np.isfinite(shielded.onset_times[1:]).any()
    # the measured next cell stayed below 102.5 °C; the model's stays below its onset (it
    # runs hotter: the standard's heater warms the neighbour for over 20 minutes first)
    assert shielded.peak[1] < onset
    assert shielded.peak[1] > 273.15 + 102.5


# --- the stages on built packs -------------------------------------------------------------------

SMALL_18650 = """
use cells.panasonic.ncr18650b

envelope box {
    outline = rect(180 mm, 100 mm)
    height  = 75 mm
    wall    = 3 mm
}

pack brick {
    cell     = ncr18650b
    envelope = box
    series   = 4
    parallel = 2
    energy   >= 90 Wh
    layout   = hex
    gap      = 1 mm
    cooling  = none
    fuse     = per_cell
    modules  = 2
    barrier  = aerogel(thickness = 2 mm, between = modules)
}
"""


@pytest.fixture(scope="module")
def brick():
    return build_pack(SMALL_18650)


def _codes(build) -> set[str]:
    return {d.code for d in build.diagnostics if d.severity is Severity.WARNING}


def test_a_fused_2p_brick_reports_propagation_fuses_vent_and_barrier(brick):
    safety = brick.safety
    assert safety is not None and safety.barrier is not None
    codes = _codes(brick)
    # W730: the ejecta of an 18650 1 mm from its neighbour takes it past its onset
    assert "W730" in codes and safety.propagation.first_time <= runaway.CRITERION
    # W732: in a 2p group the shorted cell's one neighbour carries the whole fault
    internal = next(c for c in safety.faults.coordination if c.case.startswith("internal"))
    assert not internal.ok and "W732" in codes
    # W731: a cell's 6 L of gas in a box of under 1 L free
    assert safety.venting.sealed_rise > 5e3 and "W731" in codes
    # W733: a 2 mm barrier where the layout leaves 1 mm
    assert not safety.barrier.fits and "W733" in codes
    # the barrier's sheet between the two modules, in the BOM
    line = next(b for b in brick.bom if b.item == "barrier")
    assert line.mass_kg == pytest.approx(safety.barrier.mass) and safety.barrier.length > 0.03


def test_the_pack_terminal_short_and_its_device(brick):
    faults = brick.safety.faults
    ocv = faults.pack_voltage / 4
    assert 4.0 < ocv <= 4.2
    assert faults.pack_short == pytest.approx(faults.pack_voltage / faults.pack_resistance)
    terminal = next(c for c in faults.coordination if c.case.startswith("short at the pack"))
    assert terminal.ok  # the pack's device opens before the cell links


def test_a_barrier_between_cells_contains_the_runaway():
    text = SMALL_18650.replace("gap      = 1 mm", "gap      = 2 mm").replace("between = modules", "between = cells")
    build = build_pack(text)
    p = build.safety.propagation
    assert p.contained and p.neighbour_peak < p.onset
    assert "W730" not in _codes(build) and "W733" not in _codes(build)
    assert build.safety.barrier.fits


def test_flat_cells_get_end_plates_and_their_warnings():
    """The LFP rack: a 2 × 8 stack of 280 Ah cells: end plates and bands in the BOM and drawn
    (W720: its stack would exceed 1 MPa at end of life without pads), its lid and floor resonate
    in the road band (W721), the enclosure does not carry 100 kN (W723)."""
    from pathlib import Path

    from battgen.emit.cad.plan import plan_pack

    build = build_pack(Path(__file__).resolve().parents[1] / "examples" / "lfp_storage.batt")
    structure = build.structure
    fixture = structure.compression.fixtures[0]
    assert fixture.cells_in_stack == 8
    # Roark: 173.7 × 207.2 mm plate at 1 MPa × 1.5 on 276 MPa 6061-T6
    beta, _, _ = __import__("battgen.models.mechanics", fromlist=["x"]).roark_coefficients(0.1737, 0.2072)
    assert fixture.plate_thickness == pytest.approx(0.1737 * math.sqrt(beta * 1.5e6 / 276e6), rel=1e-6)
    assert fixture.pressure_end_of_life > fixture.limit > fixture.pressure_charged > fixture.preload
    codes = _codes(build)
    assert {"W720", "W721"} <= codes
    assert ("W723" in codes) == any(not c.holds for c in structure.crush)  # the frame counted (crush.py)
    lines = [b for b in build.bom if b.item in ("end plates", "bands")]
    assert sum(b.mass_kg for b in lines) == pytest.approx(structure.compression.mass)
    plan = plan_pack(build.pack, build.layout, build.routing, build.materials)
    kinds = {p.kind for p in plan.prisms}
    assert {"end_plate", "band"} <= kinds
    # the end plate drawn is the end plate sized: its thickness in the plan
    plate = next(p for p in plan.prisms if p.kind == "end_plate")
    assert plate.polygon.minimum_rotated_rectangle.area > 0
