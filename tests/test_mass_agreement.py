"""Issue 13's "the masses of estimate, BOM and CAD agree within 1 %", on the sedan through the
real pipeline.

Three masses of one pack: synthesis's estimate (the mass model, ``models.packaging``, for the
candidate built), the bill of materials (``passes.bom``: routed busbars and fuse links, the drawn
parts' own geometry, the model's other parts for the placed pack) and the CAD's (``CadResult.mass``,
volume × density of every solid, from the plan the CAD stage exports). The CAD draws the cells,
busbars, fuse links, holders, the cold plate and its coolant, and the jacket (floor, walls, lid,
angle-iron frame); the other parts — module walls and covers of round cells, racks, gap filler,
heater, BMS, junction box, pack terminals — it does not draw: they are the bill of materials' own
lines, and the CAD's total is completed with them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import build_pack

from battgen.emit.cad import plan_pack
from battgen.emit.cad.build import _result
from battgen.models import packaging
from battgen.passes.bom import bill_of_materials
from battgen.passes.drawn import draw, spec_of

SEDAN = Path(__file__).resolve().parents[1] / "examples" / "sedan.batt"


@pytest.fixture(scope="module")
def sedan():
    build = build_pack(SEDAN)
    flow = (build.heat.coolant_flow, build.heat.flow_basis)
    plan = plan_pack(build.pack, build.layout, build.routing, build.materials, flow, build.bms)
    bom: dict[str, float] = {}
    for line in bill_of_materials(
        build.pack, build.candidate, build.layout, build.routing, build.materials, build.heat, build.bms
    ):
        bom[line.item] = bom.get(line.item, 0.0) + line.mass_kg
    return build, _result(build.pack, plan, []).mass, bom


def test_every_drawn_part_weighs_what_the_bom_lists(sedan):
    _build, cad, bom = sedan
    assert {"cells", "busbars", "fuse links", "holders", "cold plate", "coolant", "enclosure floor"} <= set(cad)
    assert {"enclosure walls", "enclosure lid", "enclosure frame"} <= set(cad)
    for part, kg in cad.items():
        assert kg == pytest.approx(bom[part], rel=0.01), part


def test_the_models_closed_forms_weigh_the_drawn_parts(sedan):
    """The mass model with the drawn enclosure's region (its area, perimeter and outline) gives the
    jacket the CAD draws, part by part, within 1 %; its holder tiles (lattice tile less pocket,
    10 µm from each neighbour) the drawn tiles within 4 % (the edge tiles reach the walls)."""
    build, cad, _bom = sedan
    layout = build.layout
    from battgen.passes.bms import board_room

    flow = (build.heat.coolant_flow, "heat")
    drawn = draw(build.pack, layout, build.routing, flow, 1064.0, len(layout.modules), board_room(build.bms))
    spec = spec_of(build.pack, drawn.site, drawn.stack.height)
    model = packaging.components(
        spec, len(layout.cells), series=layout.series, modules=len(layout.modules), current=build.candidate.peak_current
    )
    for part in ("enclosure floor", "enclosure walls", "enclosure lid", "enclosure frame"):
        assert cad[part] == pytest.approx(float(model[part]), rel=0.01), part
    # the drawn tiles at the pack's edge reach the walls, which the closed form leaves out: with the
    # sedan's 7 mm wall clearance 3 % (0.11 kg) more; the BOM weighs the drawn ones
    assert cad["holders"] == pytest.approx(float(model["holders"]), rel=0.04)


def test_estimate_bom_and_cad_totals_agree_within_1_percent(sedan):
    build, cad, bom = sedan
    estimate = build.candidate.mass
    total_bom = sum(bom.values())
    total_cad = sum(cad.values()) + sum(kg for part, kg in bom.items() if part not in cad)
    assert total_bom == pytest.approx(estimate, rel=0.01)
    assert total_cad == pytest.approx(total_bom, rel=0.01)
    assert total_cad == pytest.approx(estimate, rel=0.01)
