"""The bottom-up mass model, term by term against published figures: BatPaC 5.0's own reference
pack rebuilt part by part from BatPaC's inputs, Roark's end-plate formula by hand, BatPaC's
conductor and angle-iron rules, and what the model does with module counts, envelopes and
declared enclosures.

BatPaC 5.0 (Argonne, 2022) workbook, sheet 'Battery Design', column G (Battery 1), as read in
the research notes: 400 pouch cells of 273.3 × 70.35 × 20.11 mm, 744.1 g; 20 modules of 20 cells
(2 in parallel, 2 modules in parallel: 100s4p), 4 rows of 5; pack 2,151.9 × 1,206.2 × 111.9 mm.
"""

import math

import numpy as np
import pytest

from battgen.driver.pipeline import check
from battgen.models import packaging as P

# BatPaC's reference cell: length (across the row) 273.307 mm, width (up) 70.347 mm, thickness
# 20.111 mm; its heat conductor runs the electrode length + 6 mm = 205.040 mm (rows 305-306, 81, 333)
BATPAC = P.Spec(
    fmt="pouch",
    cell_mass=0.74412404,
    dims=(0.27330664, 0.02011092, 0.07034681),
    cell_energy=0.25 * 3.6e6,
    cell_current=210.903,
    cell_voltage=3.6668,
    cooling="cold_plate",
    gap=0.0,
    busbar=(8960.0, 0.001),
    fin_length=0.20504043,
    box=(2.1518918 * 1.2062265, 2 * (2.1518918 + 1.2062265), 0.11194681),
)
MODULE_CURRENT = 421.806  # A, BatPaC row 220 (two modules in parallel)
PACK_CURRENT = 843.612  # A, row 221


def test_batpac_reference_module_parts():
    """BatPaC rows 335, 341, 322, 338, 330, 342 per module (g): heat conductors 508.55, module
    enclosure 773.25, interconnect panels 212.82, monitoring board 46.08, terminals 49.48, gas
    release 5. The conductor, panels, board, terminals and gas release are BatPaC's formulas and
    agree to 0.1 %; the enclosure is split into the walls the CAD stage draws round the stack of
    cells (cell height) and the covers over the whole module, 0.8 % under BatPaC's box (asserted
    within 2 %)."""
    fins = float(P.fin_mass(BATPAC, 400, 20)) / 20
    assert fins == pytest.approx(0.50855, rel=1e-3)
    length, width, height = (float(x) for x in P.module_box(BATPAC, 20))
    assert (length, width, height) == pytest.approx((0.410818, 0.281307, 0.071747), rel=1e-4)  # rows 348, 347, 349
    parts = {k: float(v) / 20 for k, v in P.module_parts(BATPAC, 400, 20, current=MODULE_CURRENT).items()}
    assert parts["module walls"] + parts["module covers"] == pytest.approx(0.77325, rel=0.02)
    assert parts["interconnect boards"] == pytest.approx(0.21282, rel=1e-3)
    assert parts["module electronics"] == pytest.approx(0.04608 + 0.04948 + 0.005, rel=1e-3)


def test_batpac_reference_racks_and_cooling():
    """Row racks (rows 372, 376, 385): lower channel 5.046 kg, upper channel and verticals 4.877,
    pads 0.034 a row — 9.957 kg a row without the restraint plates, which the model's end plates
    replace; rebuilt within 0.5 % (the pads span the module's width where BatPaC's span the
    electrode). Cooling panels (row 394: 0.3 mm stainless walls round 5 mm channels, 205 mm wide,
    2,121.9 mm long, above and below each row): 16.72 kg; the model's plate of two skins omits the
    panels' 5 mm edges, 2.6 % less (asserted within 3 %). Coolant: BatPaC's row 402 counts one
    panel's channel per row (9.31 kg of the 11.16, the rest in its mains and tubing); the model
    fills both panels of a row, twice that at its 1.064 g/mL."""
    racks = float(P.rack_mass(BATPAC, 400, 20, height_extra=2 * 0.0056 + 0.002)) / 4
    assert racks == pytest.approx(5.0460 + 4.8775 + 0.0340, rel=0.005)
    area = 4 * 2 * 0.20504043 * 2.12189178
    panels, coolant = P.plate_mass(area, area, skin=0.0003, channel=0.005, density=7800.0)
    assert float(panels) == pytest.approx(16.7248, rel=0.03)
    assert float(panels) < 16.7248
    one_panel = 0.20504043 * 0.005 * 2.12189178 * 4 * 1070.0
    assert float(coolant) == pytest.approx(2 * one_panel * P.COOLANT_DENSITY / 1070.0, rel=1e-6)


def test_batpac_reference_jacket_bms_and_terminals():
    """Jacket (rows 422-434) of the 2,151.9 × 1,206.2 × 111.9 mm pack: angle iron 15.93 kg, base
    plates and insulation 27.37, top with walls 27.45, total 70.74; rebuilt from the outer box
    (BatPaC's base plates span the inside): frame +1.4 % (the mitred corners), base +2.7 %, top
    and walls −2.5 %, total within 1 %. BMS (BMS rows 136-142): 3.5776 kg exactly. Pack terminals
    (row 441): 0.8195 kg exactly. Heater (row 443): 0.2 kg."""
    parts = {k: float(v) for k, v in P.components(BATPAC, 400, series=100, modules=20, current=PACK_CURRENT).items()}
    assert parts["enclosure frame"] == pytest.approx(15.9255, rel=0.015)
    assert parts["enclosure floor"] == pytest.approx(19.6221 + 6.9353 + 2.5157 * 0.32, rel=0.03)
    assert parts["enclosure lid"] + parts["enclosure walls"] == pytest.approx(27.4549, rel=0.03)
    jacket = sum(parts[k] for k in ("enclosure floor", "enclosure walls", "enclosure lid", "enclosure frame"))
    assert jacket == pytest.approx(70.7428, rel=0.01)
    assert parts["bms"] + parts["junction box"] == pytest.approx(3.5776, rel=1e-4)
    assert parts["pack terminals"] == pytest.approx(0.81952, rel=1e-3)
    assert parts["heater"] == pytest.approx(0.2)
    assert parts["cells"] == pytest.approx(297.6496, rel=1e-6)


def test_conductor_sizing_is_batpacs():
    """BatPaC rows 175 and 190: 0.65738 cm² at 421.8 A and 0.2 °C/s, 2.93991 cm² at 843.6 A and
    0.04 °C/s (copper, 5.96e7 S/m, 0.38548 J/(g·K), 8.96 g/cm³)."""
    assert float(P.conductor_section(MODULE_CURRENT, 0.2)) * 1e4 == pytest.approx(0.65738, rel=1e-4)
    assert float(P.conductor_section(PACK_CURRENT, 0.04)) * 1e4 == pytest.approx(2.93991, rel=1e-4)


def test_end_plate_against_roark_by_hand():
    """Roark 7th ed. Table 11.4 case 1a: σ = β·q·b²/t². safety.md's check: b = 100 mm, a/b = 2
    (β = 0.6102), q = 0.3 MPa, σ = 276/1.5 = 184 MPa → t = 0.1·√(0.6102·0.3/184) = 3.154 mm. The
    table's rows are returned exactly, and between them β is interpolated."""
    t = float(P.end_plate_thickness(0.2, 0.1, 0.3e6, 276e6 / 1.5))
    assert t == pytest.approx(0.1 * math.sqrt(0.6102 * 0.3 / 184), rel=1e-12)
    assert t * 1e3 == pytest.approx(3.154, abs=0.001)
    assert float(P.end_plate_thickness(0.1, 0.2, 0.3e6, 184e6)) == pytest.approx(t)  # b is the short side
    for ratio, beta in zip(P.ROARK_RATIO[:-1], P.ROARK_BETA[:-1]):
        assert float(P.roark_beta(ratio)) == pytest.approx(beta)
    assert float(P.roark_beta(1e6)) == pytest.approx(0.75, abs=1e-6)


def test_angle_iron_by_module_volume():
    """'Lists' rows 133-137: none under 20 L of modules, 30 × 30 × 3 mm (171 mm³/mm) to 40 L,
    40 × 40 × 4 mm (304 mm³/mm) above."""
    assert P.angle_iron_section(0.030, 0.003) * 1e6 == pytest.approx(171.0)
    assert P.angle_iron_section(0.040, 0.004) * 1e6 == pytest.approx(304.0)
    frames = [
        tuple(float(x) for x in P.jacket(50 * 3.6e6, True, modules_volume=v).frame) for v in (0.010, 0.030, 0.165)
    ]
    assert frames == [(0.0, 0.0), (0.030, 0.003), (0.040, 0.004)]


def test_jacket_skins_by_energy_and_cooling():
    """Row 430: the top's aluminium outer skin is 1, 1.5 or 2 mm under 10, under 20 and from
    20 kWh. A liquid-cooled pack gets BatPaC's insulated double skin (10 mm at 0.032 g/cm³, 1 mm
    aluminium inner); one without liquid cooling the outer skins only ('Thermal' rows 52-57: the
    insulation bounds the heat a 50 °C ambient puts into a cooled pack)."""
    tops = [float(P.jacket(kwh * 3.6e6, False).top[0][1]) for kwh in (5, 15, 25)]
    assert tops == pytest.approx([0.001, 0.0015, 0.002])
    insulated = P.jacket(80 * 3.6e6, True)
    assert [(rho, float(t)) for rho, t in insulated.base] == [(7800.0, 0.001), (32.0, 0.010), (2700.0, 0.001)]
    assert float(insulated.base_thickness) == pytest.approx(0.012) and float(insulated.top_thickness) == pytest.approx(
        0.013
    )
    bare = P.jacket(80 * 3.6e6, False)
    assert len(bare.base) == len(bare.top) == len(bare.walls) == 1


def test_walls_fit_the_wall_clearance():
    """A 3 mm clearance holds the 2 mm outer skin and the 1 mm inner one, no insulation; 13 mm
    holds all of it; 1 mm only the outer skin, thinned to 1 mm."""
    jacket = P.jacket(80 * 3.6e6, True)
    assert [float(t) for _, _, t in jacket.wall_layers(0.003)] == pytest.approx([0.002, 0.0, 0.001])
    assert [float(t) for _, _, t in jacket.wall_layers(0.013)] == pytest.approx([0.002, 0.010, 0.001])
    assert [float(t) for _, _, t in jacket.wall_layers(0.001)] == pytest.approx([0.001, 0.0, 0.0])


def test_holder_tile_by_hand():
    """A hexagonal lattice tile of pitch p = d + gap has area p²·√3/2; 10 µm clear of each
    neighbour its apothem is p/2 − 0.01 mm; less the pocket of radius d/2 + 0.2 mm, two plates of
    min(5 mm, h/5) of polycarbonate (1.20 g/cm³). M50T, 1 mm gap: p = 22.1 mm."""
    spec = P.Spec(fmt="cylindrical", cell_mass=0.07, dims=(0.0211, 0.0211, 0.07015), gap=0.001, lattice="hex")
    p, r = 22.1, 10.55 + 0.2
    tile = p * p * math.sqrt(3) / 2 * ((p / 2 - 0.01) / (p / 2)) ** 2 - math.pi * r * r  # mm²
    assert P.holder_mass(spec) == pytest.approx(2 * 5.0 * tile * 1e-9 * 1200.0, rel=1e-9)


def test_module_count_matters():
    """More modules of the same cells: more walls, covers, boards and monitoring electronics; a
    one-module pack has no racks and no module terminals."""
    spec = P.Spec(fmt="pouch", cell_mass=0.9, dims=(0.338, 0.0129, 0.100), cell_energy=200 * 3600, cell_current=110)
    few = P.components(spec, 288, series=96, modules=4)
    many = P.components(spec, 288, series=96, modules=24)
    for part in ("module walls", "module covers", "module electronics"):
        assert float(many[part]) > float(few[part]), part
    one = P.components(spec, 288, series=96, modules=1)
    assert float(one["racks"]) == 0 and float(few["racks"]) > 0
    grid = P.components(spec, np.array([[288, 300]]), series=np.array([[96, 100]]), modules=np.array([[4], [24]]))
    assert grid["module covers"].shape == (2, 2)
    assert float(grid["module covers"][1, 0]) == pytest.approx(float(many["module covers"]))


def test_modules_of_different_sizes_each_from_its_own_cells():
    """The Bolt's 8 modules of 30 cells and 2 of 24 (allev.info teardown): each module's box from
    its own cells — its covers by hand from ``module_box`` of 30 and of 24 cells; shares alike
    give exactly the count's figures; a flat stack's walls, covers, bands and boards go with its
    length (affine), so two sizes of the same cells weigh what ten average modules do, while round
    cells' square modules (side ∝ √cells) do not."""
    spec = P.Spec(fmt="pouch", cell_mass=0.847, dims=(0.338, 0.0129, 0.100), cell_energy=200 * 3600, cell_current=110)
    shares = P.module_shares([10] * 8 + [8, 8])
    assert shares is not None and len(shares) == 10 and sum(shares) == pytest.approx(1.0)
    assert shares[0] == pytest.approx(30 / 288) and shares[-1] == pytest.approx(24 / 288)
    assert P.module_shares([12] * 8) is None  # alike: the count says it all
    two = P.components(spec, 288, series=96, shares=shares)
    sheet = P.MODULE_WALL * P.RHO_STEEL
    by_hand = sum(
        c * 2 * float(P.module_box(spec, k)[0]) * float(P.module_box(spec, k)[1]) for c, k in ((8, 30), (2, 24))
    )
    assert float(two["module covers"]) == pytest.approx(by_hand * sheet)
    alike = P.components(spec, 288, series=96, shares=(0.1,) * 10)
    ten = P.components(spec, 288, series=96, modules=10)
    assert all(float(alike[k]) == pytest.approx(float(ten[k])) for k in P.PARTS)
    for part in ("module walls", "module covers", "bands", "interconnect boards", "racks"):
        assert float(two[part]) == pytest.approx(float(ten[part])), part
    round_cells = P.Spec(fmt="cylindrical", cell_mass=0.07, dims=(0.0211, 0.0211, 0.0702), cell_energy=18 * 3600)
    uneven = P.module_shares([30, 10])
    assert float(P.components(round_cells, 400, series=40, shares=uneven)["module walls"]) < float(
        P.components(round_cells, 400, series=40, modules=2)["module walls"]
    )  # √ is concave: a 30 and a 10 have less wall than two 20s


def test_cooling_kinds():
    """Liquid: a plate, its coolant, gap filler, a heater and an insulated jacket; air: fans and
    ducts, 10 kg per 250 kg of cells (greenengguide); none: nothing for cooling."""
    base = {
        "fmt": "pouch",
        "cell_mass": 0.9,
        "dims": (0.338, 0.0129, 0.100),
        "cell_energy": 200 * 3600,
        "cell_current": 110,
    }
    liquid = P.components(P.Spec(**base, cooling="cold_plate"), 288, series=96, modules=10)
    air = P.components(P.Spec(**base, cooling="air"), 288, series=96, modules=10)
    none = P.components(P.Spec(**base, cooling="none"), 288, series=96, modules=10)
    assert all(float(liquid[k]) > 0 for k in ("cold plate", "coolant", "gap filler", "heater", "fins"))
    assert float(air["air cooling"]) == pytest.approx(10.0 * 288 * 0.9 / 250)
    assert all(float(none[k]) == 0 for k in ("cold plate", "coolant", "gap filler", "air cooling", "heater", "fins"))
    assert float(none["enclosure lid"]) < float(liquid["enclosure lid"])  # no insulation, no inner skin
    with pytest.raises(KeyError):
        P.components(P.Spec(**base, cooling="peltier"), 288)


def test_flat_fins_one_per_two_cells():
    """`fins = t`: a flat fin of t over the cell face between every two cells (the Volt's count:
    144 fins between 288 cells); `side = sides`: the Volt's 1 mm liquid fins."""
    base = {"fmt": "pouch", "cell_mass": 0.9, "dims": (0.338, 0.0129, 0.100), "cooling": "cold_plate"}
    finned = P.fin_mass(P.Spec(**base, fins=0.0015), 288, 10)
    assert float(finned) == pytest.approx(144 * 0.338 * 0.100 * 0.0015 * 2700)
    sides = P.fin_mass(P.Spec(**base, side="sides"), 288, 10)
    assert float(sides) == pytest.approx(144 * 0.338 * 0.100 * 0.001 * 2700)


def test_constants_are_the_heat_stages_plate():
    """The plate the mass model weighs is the plate the heat stage analyses and the CAD draws."""
    from battgen.passes import heat

    assert P.PLATE_SKIN * 1e3 == heat.COLD_PLATE_SKIN
    assert P.CHANNEL_HEIGHT * 1e3 == heat.CHANNEL_HEIGHT
    assert P.PLATE_RIM * 1e3 == heat.PLATE_RIM
    assert pytest.approx(heat.CHANNEL_MAX_WIDTH / (heat.CHANNEL_MAX_WIDTH + heat.CHANNEL_LAND)) == P.CHANNEL_COVERAGE
    assert P.TIM_THICKNESS * 1e3 == heat.TIM_GAP


def test_equal_stiffness_sheet():
    """Ashby's panel-in-bending index E^(1/3)/ρ: 2 mm of 6061 (68.9 GPa) is as stiff as 1.40 mm
    of steel (200 GPa), which weighs 2.04 × as much."""
    t = P.equal_stiffness_thickness(200e9)
    assert t == pytest.approx(0.00140, abs=0.00001)
    assert (7850 * t) / (2700 * 0.002) == pytest.approx(2.04, abs=0.01)


SEDAN_LIKE = """
use cells.lg.m50t

envelope floor {
    outline = rect(1960 mm, 1450 mm)
    height  = 140 mm
    wall    = 3 mm
}

pack p {
    cell     = m50t
    envelope = floor
    modules  in 4 .. 8
    layout   = hex
    cooling  = cold_plate(side = bottom)
}
"""


def test_for_an_ir_pack():
    """``components_for`` reads the pack's cell, layout, envelope and cooling; the volume with an
    envelope is its box (what the CAD stage builds), without one Löbberding's ratio."""
    pack = check(SEDAN_LIKE).design.packs["p"]
    parts = P.components_for(pack, 4608, series=96, modules=8)
    assert float(parts["cells"]) == pytest.approx(4608 * 0.070)
    assert float(parts["holders"]) > 0 and float(parts["fins"]) == 0
    assert float(P.pack_volume_for(pack, 4608)) == pytest.approx(1.96 * 1.45 * 0.14)
    box = P.enclosure_box(pack.envelope)
    assert box == pytest.approx((1.96 * 1.45, 2 * (1.96 + 1.45), 0.14))
    floor = float(parts["enclosure floor"])
    assert floor == pytest.approx(1.96 * 1.45 * (7800 * 0.001 + 32 * 0.010 + 2700 * 0.001))
    steel = check(SEDAN_LIKE.replace("layout   = hex", "layout   = hex\n    enclosure = steel(thickness = 1.5 mm)"))
    lid = float(P.components_for(steel.design.packs["p"], 4608, series=96, modules=8)["enclosure lid"])
    assert lid == pytest.approx(1.96 * 1.45 * (7850 * 0.0015 + 32 * 0.010 + 2700 * 0.001))


def test_vectorised_and_monotonic():
    n = np.array([96, 192, 960, 7104])
    for fmt, dims in (
        ("cylindrical", (0.0185, 0.0185, 0.0653)),
        ("pouch", (0.29, 0.0071, 0.216)),
        ("prismatic", (0.173, 0.045, 0.125)),
    ):
        spec = P.Spec(fmt=fmt, cell_mass=0.5, dims=dims, cell_energy=50 * 3600, cell_current=10)
        m = P.pack_mass(spec, n, series=96, modules=8)
        assert m.shape == n.shape and np.all(np.diff(m) > 0) and np.all(m > n * 0.5)
        assert m == pytest.approx([float(P.pack_mass(spec, k, series=96, modules=8)) for k in n])
