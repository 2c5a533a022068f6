"""The structure stage's models against closed forms and published figures, and the stage on
built packs (W720-W723).

Closed forms: Navier's simply supported plate (A. W. Leissa, NASA SP-160, 1969; the check values
of the shared research notes: 6061-T6 500 × 500 × 3 mm → 58.24 Hz, 1000 × 800 × 3 mm →
18.65 Hz), the Euler–Bernoulli cantilever (β₁L = 1.875104), Roark's Table 11.4 case 1a (stress
and deflection of a simply supported plate; the end-plate check value 3.154 mm), Miles'
equation (30 Hz, Q = 10, 0.006 g²/Hz → 1.681 g, FEMCI) and the half-sine pulse's Δv = 2AT/π.

Not tested here, because no readable figure was found: a finite-element modal result of a
published battery module or enclosure against its test (Xia et al., Energies 13 (2020) 2046,
state "below 10 %" but their table was not readable), and a swelling force measured on a
constrained cell that the compression model was not built from (IEST's 0.43 MPa sets its
expansion modulus: testing against it would be circular).
"""

from __future__ import annotations

import math

import pytest
from shapely.geometry import box

from battgen.models import mechanics
from battgen.passes.structure import modal

E_6061, NU_6061, RHO_6061 = 68.9e9, 0.33, 2700.0  # Aluminum Association typical (stdlib aluminium_6061)


def _sheet(thickness: float, poisson: float = NU_6061) -> modal.Plate:
    d = mechanics.flexural_rigidity(E_6061, thickness, poisson)
    return modal.Plate(d, poisson, RHO_6061 * thickness, thickness / 2, E_6061)


@pytest.mark.parametrize(("a", "b", "published"), [(0.5, 0.5, 58.24), (1.0, 0.8, 18.65)])
def test_fe_simply_supported_plate_matches_navier(a, b, published):
    assert mechanics.navier_frequency(a, b, 0.003, E_6061, NU_6061, RHO_6061) == pytest.approx(published, abs=0.005)
    result = modal.modes(box(0, 0, a, b), _sheet(0.003), "simple")
    assert result.frequencies[0] == pytest.approx(published, rel=0.01)
    # the second mode of the square is the (1, 2)/(2, 1) pair: 5/2 of the first
    if a == b:
        assert result.frequencies[1] == pytest.approx(2.5 * published, rel=0.02)


def test_fe_clamped_strip_matches_the_cantilever():
    """A narrow strip clamped at one end bends as a beam (E, not the plate's E/(1 − ν²))."""
    length, width, t = 0.5, 0.05, 0.003
    plate = _sheet(t, 0.3)
    result = modal.modes(box(0, 0, length, width), plate, "clamped", cells_long_side=48, edge=lambda x: x[0] < 1e-9)
    beam = mechanics.cantilever_frequency(length, E_6061 * width * t**3 / 12, RHO_6061 * width * t)
    assert beam == pytest.approx(9.79, abs=0.01)
    assert result.frequencies[0] == pytest.approx(beam, rel=0.015)


def test_fe_static_plate_matches_roark():
    """Roark Table 11.4 case 1a (ν = 0.3): a square under 1 kPa, σ = 0.2874·q·b²/t², y = 0.0444·q·b⁴/(E·t³)."""
    q, b, t = 1000.0, 0.5, 0.003
    plate = _sheet(t, 0.3)
    plate = modal.Plate(plate.rigidity, 0.3, 1.0, t / 2, E_6061)
    result = modal.static(box(0, 0, b, b), plate, q, cells_long_side=32)
    assert result.stress == pytest.approx(0.2874 * q * b**2 / t**2, rel=0.02)
    assert result.deflection == pytest.approx(0.0444 * q * b**4 / (E_6061 * t**3), rel=0.02)


def test_the_fast_plate_solve_is_scikit_fems_to_the_bit():
    """``solve`` builds Morley's basis for its six functions at once and assembles stiffness and
    mass for every pair at once: the same bits as scikit-fem's ``ElementTriMorley`` and
    ``BilinearForm`` (which ``modes`` and ``static`` use), on a bolted L-shaped plate; a solve
    asked again is the one remembered."""
    import numpy as np
    from shapely.geometry import Polygon
    from skfem import Basis, ElementTriMorley

    outline = Polygon([(0, 0), (0.6, 0), (0.6, 0.4), (0.3, 0.4), (0.3, 0.7), (0, 0.7)])
    bolts = ((0.02, 0.02), (0.58, 0.02), (0.58, 0.38), (0.28, 0.68), (0.02, 0.68))
    plate = _sheet(0.003)
    m, _ = modal.mesh(outline, 16, bolts)
    ours, theirs = Basis(m, modal._morley_class()()), Basis(m, ElementTriMorley())
    for a, b in zip(ours.basis, theirs.basis):
        assert np.array_equal(np.asarray(a[0]), np.asarray(b[0]))  # the values
        assert np.array_equal(a[0].grad, b[0].grad) and np.array_equal(a[0].hess, b[0].hess)
    stiffness, inertia = modal._forms(plate)
    for fast, slow in zip(modal._matrices(ours, plate), (stiffness.assemble(theirs), inertia.assemble(theirs))):
        assert np.array_equal(fast.indptr, slow.indptr) and np.array_equal(fast.indices, slow.indices)
        assert np.array_equal(fast.data, slow.data)
    modal._SOLVED.clear()
    first = modal.solve(outline, plate, "points", bolts, cells_long_side=16)
    reference = modal.modes(outline, plate, "points", bolts, cells_long_side=16)
    assert first[0].frequencies == pytest.approx(reference.frequencies, rel=1e-9)
    static = modal.static(outline, plate, plate.areal_mass * modal.G, "points", bolts, cells_long_side=16)
    assert (first[1].stress, first[1].deflection) == pytest.approx((static.stress, static.deflection), rel=1e-9)
    assert len(modal._SOLVED) == 1 and modal.solve(outline, plate, "points", bolts, cells_long_side=16) == first


def test_end_plate_sizing_check_value():
    assert mechanics.plate_thickness_for_stress(0.2, 0.1, 0.3e6, 276e6 / 1.5) == pytest.approx(3.154e-3, abs=1e-6)


def test_miles_and_the_shock_pulse():
    assert mechanics.miles_grms(30.0, 10.0, 0.006) == pytest.approx(1.681, abs=0.001)
    dv = mechanics.half_sine_velocity_change(mechanics.SHOCK_PEAK, mechanics.SHOCK_DURATION)
    assert dv == pytest.approx(0.262, abs=0.001)
    # far below 1/T the response is the impulse's residual ω·Δv; far above, the pulse itself;
    # the undamped half-sine spectrum peaks at about 1.77 × the input near f·T = 0.8
    assert mechanics.half_sine_response(1.0, mechanics.SHOCK_PEAK, 0.006) == pytest.approx(2 * math.pi * dv, rel=0.01)
    assert mechanics.half_sine_response(5000.0, mechanics.SHOCK_PEAK, 0.006) == pytest.approx(
        mechanics.SHOCK_PEAK, rel=0.02
    )
    peak = max(mechanics.half_sine_response(f, 1.0, 0.006) for f in range(60, 300, 5))
    assert peak == pytest.approx(1.77, abs=0.02)


def test_the_sine_profile_is_the_amendments_table():
    """GB/T 31467.3-2015 Amendment 1 Table 2: 10 m/s² at 7-18 Hz, falling to 2 m/s² by 30 Hz,
    2 m/s² to 50 Hz; nothing outside the sweep."""
    a = mechanics.sine_acceleration([5.0, 7.0, 12.0, 18.0, 30.0, 40.0, 50.0, 60.0])
    assert list(a) == pytest.approx([0.0, 10.0, 10.0, 10.0, 2.0, 2.0, 2.0, 0.0])
    assert 2.0 < mechanics.sine_acceleration(24.0)[0] < 10.0
    # a mode in the band answers about Q = 10 times the input at its frequency
    response, at = mechanics.sine_response(20.0, 0.05)
    assert at == pytest.approx(20.0, rel=0.02)
    assert response == pytest.approx(10.0 * mechanics.sine_acceleration(20.0)[0], rel=0.05)


def test_a_module_resonating_in_the_band_overstresses_its_busbar_link():
    """W722 on a module link: a module at 20 Hz answers the sweep at about Q × 7.6 m/s², moving
    δ = a/ω² ≈ 4.8 mm; a 2 mm aluminium link 50 mm long bends to 3·E·t·δ/L² ≈ 800 MPa, far
    over 1350-H18's 50 MPa fatigue limit."""
    from battgen.driver.pipeline import check
    from battgen.passes.structure import compression, stage, vibration

    pack = check("use cells.lg.m50t\npack p {\n    cell = m50t\n    energy >= 1 kWh\n}\n").design.packs["p"]
    vib, at = mechanics.sine_response(20.0, vibration.DAMPING)
    assert at == pytest.approx(20.0, rel=0.02)
    module = vibration.Response(
        "module 0",
        (20.0, 40.0, 60.0),
        25.0,
        "",
        "4 bolts",
        10.0,
        True,
        vib,
        40.0,
        1e6,
        2e6,
        96.5e6,
        276e6,
        100.0,
        100,
        "aluminium_6061",
    )
    delta = vib / (2 * math.pi * 20.0) ** 2
    stress = 3 * 68.9e9 * 0.002 * delta / 0.05**2
    assert stress > 50e6
    joint = vibration.Joint(7, (0, 1), "aluminium", delta, delta, stress, stress, 50e6, 170e6)
    result = stage.Structure(
        compression.Compression(False, ""),
        (module,),
        (),
        (joint,),
        (),
        {"vibration": "x", "shock": "y", "crush": "z"},
        mechanics.SINE_BAND,
        vibration.DAMPING,
    )
    found = {d.code: d for d in stage.diagnostics(pack, result)}
    assert set(found) == {"W721", "W722"}
    assert "busbar 7 between modules 0 and 1" in found["W722"].message


def test_a_cell_declares_its_pressure_window():
    """`pressure in preload .. limit` on a cell: the compression fixture holds the limit."""
    from battgen.driver.pipeline import check
    from battgen.passes.structure import compression

    text = (
        "cell c {\n    format = prismatic(width = 173 mm, thickness = 45 mm, height = 125 mm)\n"
        "    chemistry = nmc\n    nominal = 3.7 V\n    voltage in 2.7 V .. 4.2 V\n    capacity = 94 Ah\n"
        "    mass = 2 kg\n    resistance = 1 mOhm\n    discharge <= 200 A\n    pressure in 50 kPa .. 300 kPa\n"
        '    source = "test"\n}\n'
    )
    lowered = check(text)
    assert not lowered.diagnostics
    cell = lowered.design.cells["c"]
    assert cell.pressure == pytest.approx((50e3, 300e3))
    preload, limit, basis = compression.window(cell)
    assert (preload, limit) == pytest.approx((50e3, 300e3)) and "declared" in basis


def test_the_perimeter_angle_iron_carries_its_squash_or_euler_load():
    """BatPaC's 40 × 40 × 4 mm steel angle: section (2·40 − 4)·4 = 304 mm², squashed at ASTM A36's
    250 MPa: 76.0 kN; as a pinned 1.5 m column (r = 0.197 × 40 = 7.88 mm, L/r = 190.4) Euler's
    π²·200 GPa·304 mm²/190.4² = 16.5 kN; a 0.3 m run squashes first."""
    from battgen.passes.structure.crush import _angle_capacity

    assert _angle_capacity(0.040, 0.004, 1.5) == pytest.approx(16.55e3, rel=2e-3)
    assert _angle_capacity(0.040, 0.004, 0.3) == pytest.approx(76.0e3, rel=1e-6)
    assert _angle_capacity(0.0, 0.0, 1.0) == 0.0  # BatPaC's packs under 20 L of modules: no frame


def test_a_deck_material_without_a_modulus_is_taken_as_6061():
    """`modulus` is optional on a material: a deck (or enclosure) material declared without one
    is sized as 6061-T6's 68.9 GPa (packaging.AL_MODULUS, Aluminum Association typical), as the
    enclosure's sheet is; it used to raise AttributeError (a constant renamed under it)."""
    import dataclasses

    from battgen.driver.pipeline import check
    from battgen.passes.structure import vibration

    lowered = check("use cells.lg.m50t\npack p {\n    cell = m50t\n    energy >= 1 kWh\n}\n")
    pack = lowered.design.packs["p"]
    aluminium = lowered.design.all_materials[vibration.DECK_MATERIAL]
    assert aluminium.modulus == pytest.approx(E_6061)
    declared, _ = vibration.module_section(pack, {vibration.DECK_MATERIAL: aluminium}, 20.0)
    unknown = dataclasses.replace(aluminium, modulus=None)
    for materials in ({vibration.DECK_MATERIAL: unknown}, {}):
        section, _ = vibration.module_section(pack, materials, 20.0)
        assert section == declared


def test_a_module_with_too_few_bolt_corners_is_held_at_its_rectangle():
    """An odd outline whose hull leaves fewer than three bolt points falls back to its minimum
    rectangle's corners pulled 30 % towards the centre: a 1 m × 50 mm strip with a 100 mm ×
    300 mm tab at one end (rectangle 1 m × 300 mm, centre (0.5, 0.15) m) is held at
    (0.5 ± 0.35, 0.15 ± 0.105) m. It used to raise TypeError (the hull's corners were read as
    the rectangle's)."""
    from shapely.geometry import Polygon

    from battgen.passes.structure.vibration import mounts

    strip = Polygon([(0.0, 0.0), (1.0, 0.0), (1.0, 0.3), (0.9, 0.3), (0.9, 0.05), (0.0, 0.05)])
    points = sorted(mounts(strip))
    expected = [(0.15, 0.045), (0.15, 0.255), (0.85, 0.045), (0.85, 0.255)]
    assert len(points) == len(expected)
    for point, want in zip(points, expected):
        assert point == pytest.approx(want, abs=1e-5)  # mounts rounds to 10 µm


def test_a_structure_built_again_from_remembered_solves_is_the_cold_one():
    """The plate solves and snapped outlines remembered between builds (an edit of the busbars
    leaves the placement alone) give the structure a cold build gives, field for field."""
    from pathlib import Path

    from battgen.driver import stages
    from battgen.driver.pipeline import build_result
    from battgen.passes.structure import vibration

    sedan = Path(__file__).resolve().parent.parent / "examples" / "sedan.batt"
    built = next(iter(build_result(sedan, None, cad=False).packs.values()))
    structure = next(s for s in stages.STAGES if s.name == "structure")
    options = stages.BuildOptions(cad=False)
    modal._SOLVED.clear()
    vibration._SNAPPED.clear()
    cold = repr(structure.run(built, options))
    assert modal._SOLVED and vibration._SNAPPED
    assert repr(structure.run(built, options)) == cold
