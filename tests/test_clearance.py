"""Insulation coordination (``passes.routing.iec60664``) against rows of IEC 60664-1's tables,
and the isolation of the live parts from the enclosure (``passes.routing.isolation``) on real
packs through check → synthesis → layout → routing, with the CAD's stack as the reference for
where the floor and the lid are."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import Polygon

from battgen.models import iec60664 as T
from battgen.passes import routing as R
from battgen.passes.routing.types import Routing

# --- IEC 60664-1 rows (models.md §6: the Wago reprint of Table F.4 and KiCad's Table F.5 agree) --


@pytest.mark.parametrize(
    "volts, pd, group, mm",
    [
        (10, 2, "III", 0.40),  # the first row: every pollution degree 2 column
        (8.4, 2, "III", 0.40),  # two NMC cells, the 0.40 mm (below the first row: the first row)
        (12.5, 2, "I", 0.42),
        (32, 2, "IIIa", 0.53),
        (40, 2, "I", 0.56),  # the groups part at 40 V
        (40, 2, "II", 0.80),
        (40, 2, "IIIb", 1.10),
        (50, 2, "III", 1.20),
        (63, 1, "III", 0.20),  # pollution degree 1: one column for all groups
        (100, 3, "II", 2.00),
        (400, 2, "III", 4.0),  # models.md's quick-list figures
        (800, 2, "III", 8.0),
        (1000, 2, "III", 10.0),
        (1000, 3, "III", 16.0),
        (2000, 2, "I", 10.0),
    ],
)
def test_creepage_rows(volts, pd, group, mm):
    assert R.creepage(volts, pd, group) == pytest.approx(mm * 1e-3)


def test_creepage_reads_the_next_row_up_and_scales_past_the_table():
    assert R.creepage(403.2) == pytest.approx(5.0e-3)  # the 500 V row
    assert R.creepage(400.0) == pytest.approx(4.0e-3)
    assert R.creepage(4000.0) == pytest.approx(40.0e-3)  # 2,000 V row × 2


def test_rated_impulse_voltage_rows():
    """Table F.1, overvoltage category II at 300 / 600 / 1,000 V: 2.5 / 4 / 6 kV; category I at
    50 V: 330 V; category IV at 1,500 V: 15 kV."""
    assert [R.rated_impulse_voltage(v, 2) for v in (300, 600, 1000)] == [2500, 4000, 6000]
    assert R.rated_impulse_voltage(50, 1) == 330 and R.rated_impulse_voltage(1500, 4) == 15000
    assert R.rated_impulse_voltage(403.2, 2) == 4000  # a 400 V-class pack


def test_impulse_clearance_rows():
    """Table F.2 case A: 2.5 / 4 / 6 kV need 1.5 / 3.0 / 5.5 mm; pollution degree 2 never less
    than 0.2 mm, degree 3 never less than 0.8 mm, degree 1 down to 0.01 mm at 330 V."""
    assert [R.impulse_clearance(v, 2) for v in (2500, 4000, 6000)] == pytest.approx([1.5e-3, 3.0e-3, 5.5e-3])
    assert R.impulse_clearance(330, 2) == pytest.approx(0.2e-3)
    assert R.impulse_clearance(330, 1) == pytest.approx(0.01e-3)
    assert R.impulse_clearance(1500, 3) == pytest.approx(0.8e-3)


def test_a_400_V_pack_keeps_5_mm():
    """403 V: creepage 5.0 mm (Table F.5, 500 V row), clearance 3.0 mm (4 kV impulses): 5.0 mm."""
    assert T.DEFAULT.distance(403.2) == pytest.approx(5.0e-3)
    assert T.DEFAULT.clearance(403.2) == pytest.approx(3.0e-3)


# --- isolation from the enclosure, on real packs ------------------------------------------------

# 24s2p of 21700s: 100.8 V at most, so creepage 1.5 mm (125 V row) and clearance 0.5 mm (1.5 kV
# impulses, overvoltage category II): every gap to the enclosure must keep 1.5 mm.
PACK = """
use cells.samsung.inr21700_50e

envelope tray {{
    outline = rect(230 mm, 150 mm)
    height  = {height}
    wall    = {wall}{keepout}
}}

pack p {{
    cell     = inr21700_50e
    envelope = tray
    series   = 24
    parallel = 2
    layout   = hex
    cooling  = {cooling}
}}
"""
NEED = 1.5e-3


def route(wall="4 mm", height="110 mm", cooling="cold_plate(side = bottom)", keepout=""):
    from battgen.driver.pipeline import check
    from battgen.passes.layout import place
    from battgen.passes.synthesis import synthesize

    lowered = check(PACK.format(wall=wall, height=height, cooling=cooling, keepout=keepout))
    assert not lowered.has_errors, lowered.diagnostics
    pack = lowered.design.packs["p"]
    chosen = synthesize(pack).chosen
    layout = place(pack, chosen)
    routing = R.route(pack, layout, chosen)
    assert isinstance(routing, Routing), routing
    return lowered, pack, layout, routing


def gaps(routing):
    return {g.face: g for g in routing.isolation.gaps}


def w703(routing):
    return [d for d in routing.diagnostics if d.code == "W703"]


def test_a_wide_wall_and_a_cold_plate_keep_every_distance():
    _, pack, layout, routing = route()
    iso = routing.isolation
    assert iso.voltage == pytest.approx(100.8) and iso.required == pytest.approx(NEED)
    assert iso.creepage == pytest.approx(1.5e-3) and iso.clearance == pytest.approx(0.5e-3)
    assert set(gaps(routing)) == {"walls", "floor", "lid"} and not w703(routing)
    # the cells stand 4 mm inside the outline and the drawn side walls (the jacket's layers the
    # 4 mm has room for) take part of that; the plates reach beyond the cells, cut back to the
    # distance (and a 10 µm margin)
    walls = gaps(routing)["walls"]
    assert walls.distance == pytest.approx(NEED, abs=2e-5)  # the jacket's walls leave the distance
    face = Polygon(pack.envelope.outline.vertices(16)).exterior
    feet = shapely.buffer(
        shapely.points([(c.x, c.y) for c in layout.cells]), pack.cell.format.diameter / 2, quad_segs=8
    )
    side = iso.sheet  # the drawn side walls' thickness
    assert 0 < side <= 4e-3
    assert min(shapely.distance(feet, face)) - side == pytest.approx(4e-3 - side, abs=1e-5)
    # over a cold plate the path runs along the gap filler to the plate's rim: 6 + 1 mm
    assert gaps(routing)["floor"].distance == pytest.approx(7.0e-3) and "gap filler" in gaps(routing)["floor"].path


def test_plates_keep_the_distance_from_the_walls_where_the_cells_allow():
    """The plates are cut back to the pack-voltage distance inside the wall sheet (before, a
    plate reached 2.4 mm past the ebike's outline): none comes nearer the wall's face than
    1.5 mm here, and each still covers its terminals."""
    _, pack, layout, routing = route()
    face = Polygon(pack.envelope.outline.vertices(16)).exterior
    side = routing.isolation.sheet
    plates = [Polygon(b.polygon, b.holes) for b in routing.busbars if not b.path]
    assert min(shapely.distance(plates, face)) - side >= NEED - 1e-6


def test_a_thin_wall_is_W703_on_the_walls_line():
    """`wall = 1.5 mm`: the drawn walls stand in it, so the cells come nearer their face than 1.5 mm."""
    lowered, pack, layout, routing = route(wall="1.5 mm")
    [warning] = [d for d in w703(routing) if "walls" in d.message]
    gap = gaps(routing)["walls"]
    assert gap.distance < NEED and f"{gap.distance * 1e3:.1f} mm" in warning.message
    assert "1.5 mm for 101 V" in warning.message
    assert warning.span == pack.envelope.property_spans["wall"]
    side = routing.isolation.sheet
    assert f"{(NEED + side) * 1e3:.1f}".rstrip("0").rstrip(".") in warning.hint  # 1.5 mm plus the walls
    assert warning.span.line == 7


def test_cells_against_a_keepout_are_W703_on_the_keepout():
    """A keepout strip the cells stand against (layout lets them touch it): a keepout is space
    for another part (a junction box, often metal), so the nearest cell's distance to its edge
    is what counts — short of 1.5 mm, a W703 on the keepout's line."""
    _, pack, layout, routing = route(wall="3 mm", keepout="\n    keepout box = rect(65 mm, 150 mm) at (165 mm, 0 mm)")
    keep = Polygon(pack.envelope.keepouts[0].shape.vertices(16))
    radius = pack.cell.format.diameter / 2
    nearest = min(shapely.distance(shapely.points([(c.x, c.y) for c in layout.cells]), keep)) - radius
    gap = gaps(routing)["keepout `box`"]
    assert gap.distance == pytest.approx(nearest, abs=1e-6) and gap.part.startswith("cell")
    assert gap.distance < NEED
    [warning] = [d for d in w703(routing) if "keepout" in d.message]
    assert warning.span == pack.envelope.keepouts[0].span and f"{gap.distance * 1e3:.1f} mm" in warning.message


def test_a_keepout_the_cells_keep_away_from_is_clear():
    """Cells and plates well away from a keepout: the plates keep the distance from its edge."""
    _, pack, layout, routing = route(keepout="\n    keepout box = rect(70 mm, 150 mm) at (175 mm, 0 mm)")
    keep = Polygon(pack.envelope.keepouts[0].shape.vertices(16))
    radius = pack.cell.format.diameter / 2
    assert min(shapely.distance(shapely.points([(c.x, c.y) for c in layout.cells]), keep)) - radius > 4.1e-3
    gap = gaps(routing)["keepout `box`"]
    plates = [Polygon(b.polygon, b.holes) for b in routing.busbars if not b.path]
    assert gap.distance == pytest.approx(min(shapely.distance(plates, keep)), abs=1e-6)
    assert gap.distance >= NEED and not [d for d in w703(routing) if "keepout" in d.message]


def test_bottom_busbars_on_a_bare_floor_are_W703():
    """No cold plate: the CAD stands the bottom plates on the floor sheet (0 mm)."""
    _, pack, layout, routing = route(cooling="none")
    floor = gaps(routing)["floor"]
    assert floor.distance == 0.0 and floor.part == "bottom busbars" and floor.path == "air"
    [warning] = [d for d in w703(routing) if "floor" in d.message]
    assert warning.span == pack.property_spans["cooling"]


HIGH = """
use cells.samsung.inr21700_50e

envelope tray {
    outline = rect(420 mm, 150 mm)
    height  = 75 mm
    wall    = 8 mm
}

pack p {
    cell     = inr21700_50e
    envelope = tray
    series   = 96
    parallel = 1
    layout   = hex
}
"""


def test_a_low_envelope_leaves_the_lid_too_close():
    """96s1p (403 V: 5.0 mm) in an envelope no taller than the stack: the drawn box grows to fit
    and puts the lid LID_CLEARANCE over the top leads, which ride a carrier over the top plates:
    short of 5.0 mm over the plates."""
    from battgen.driver.pipeline import check
    from battgen.passes.drawn import CARRIER_GAP, LID_CLEARANCE
    from battgen.passes.layout import place
    from battgen.passes.synthesis import synthesize

    lowered = check(HIGH)
    pack = lowered.design.packs["p"]
    chosen = synthesize(pack).chosen
    routing = R.route(pack, place(pack, chosen), chosen)
    assert isinstance(routing, Routing), routing
    assert routing.isolation.required == pytest.approx(5.0e-3)
    lead = max(b.thickness for b in routing.busbars if b.path and b.z == "top")
    lid = gaps(routing)["lid"]
    assert lid.distance == pytest.approx((LID_CLEARANCE + CARRIER_GAP) * 1e-3 + lead) and lid.part == "top busbars"
    [warning] = [d for d in w703(routing) if "lid" in d.message]
    assert "5.0 mm for 403 V" in warning.message and warning.span == pack.envelope.span
    assert "walls" not in {g.face for g in routing.isolation.short}  # 8 mm wall: 6 mm from the face


@pytest.mark.parametrize(
    "kwargs", [{}, {"cooling": "none"}, {"height": "75 mm"}, {"cooling": "cold_plate(side = top)"}, {"wall": "0 mm"}]
)
def test_the_stack_is_the_one_the_cad_draws(kwargs):
    """The floor, the cells and the lid where the CAD's plan puts them (both read the drawn
    geometry of passes/drawn.py)."""
    from battgen.emit.cad import plan as cad_plan

    lowered, pack, layout, routing = route(**kwargs)
    plan = cad_plan.plan_pack(pack, layout, routing, lowered.design.all_materials)
    levels = routing.isolation.levels
    for name in ("cells", "cell_top", "lid", "top"):
        assert levels[name] * 1e3 == pytest.approx(plan.stack[name], abs=1e-6), name


@pytest.mark.parametrize("outline", ["rect", "circle"])
def test_the_nearest_part_is_found_as_measuring_every_part_finds_it(outline):
    """``isolation`` measures only the parts whose boxes may come nearest a wall or a keepout:
    the distance and the part named are those of measuring every part, to the bit, with rows of
    cells at the same distance from a wall (the first of them named), cells turned at angles,
    and plates with holes."""
    from types import SimpleNamespace

    import numpy as np
    from shapely.geometry import Point, box

    from battgen.core.diagnostics import Span
    from battgen.core.ir import Keepout, Shape
    from battgen.passes.drawn import discs
    from battgen.passes.routing import isolation as I

    span = Span("<test>", 1, 1, 1, 2)
    r, pitch = 0.009, 0.0185
    xy = np.mgrid[-0.4 + r : 0.4 - r : pitch, -0.25 + r : 0.25 - r : pitch].reshape(2, -1).T
    rng = np.random.default_rng(7)
    turned = [
        shapely.affinity.rotate(box(x - r, y - r / 3, x + r, y + r / 3), a, (x, y))
        for (x, y), a in zip(xy[::7], rng.uniform(0, 90, len(xy[::7])))
    ]
    feet = np.concatenate([discs(xy, r, 8), np.array(turned, dtype=object)])
    cells = [SimpleNamespace(index=i) for i in range(len(feet))]
    ring = Point(0.1, 0.05).buffer(0.06).difference(Point(0.1, 0.05).buffer(0.01))
    plates = [
        SimpleNamespace(
            index=0, path=(), polygon=tuple(ring.exterior.coords[:-1]), holes=(tuple(ring.interiors[0].coords[:-1]),)
        ),
        SimpleNamespace(index=1, path=(), polygon=((-0.39, -0.24), (-0.3, -0.24), (-0.3, -0.2)), holes=()),
        SimpleNamespace(
            index=2, path=((0.0, 0.0),), polygon=((0.0, 0.0), (0.5, 0.0), (0.5, 0.5)), holes=()
        ),  # a lead: insulated
    ]
    parts = I._parts(SimpleNamespace(cells=cells), plates, feet)
    shape = (
        Shape("rect", width=0.8, depth=0.5, origin=(-0.4, -0.25)) if outline == "rect" else Shape("circle", radius=0.45)
    )
    keepouts = (Keepout("box", Shape("rect", width=0.05, depth=0.05, origin=(0.02, 0.02)), span),)
    envelope = SimpleNamespace(outline=shape, keepouts=keepouts)
    every = np.array([*feet, *(Polygon(p.polygon, p.holes) for p in plates[:2])], dtype=object)
    names = [f"cell {i}" for i in range(len(feet))] + ["busbar 0", "busbar 1"]
    ties = 0
    for side in (0.0, 0.002):
        d = shapely.distance(every, Polygon(shape.vertices(16)).exterior) - side
        [gap] = I._walls(envelope, parts, side, 0.0015)
        assert (gap.distance, gap.part) == (max(float(d.min()), 0.0), names[int(np.argmin(d))])
        ties = max(ties, int(np.sum(d == d.min())))
    assert ties > 1  # a row of cells (rect) or the cells across the wall (circle) all nearest
    d = shapely.distance(every, Polygon(keepouts[0].shape.vertices(16)))
    [gap] = I._keepouts(envelope, parts, 0.0015)
    assert (gap.distance, gap.part) == (max(float(d.min()), 0.0), names[int(np.argmin(d))])
