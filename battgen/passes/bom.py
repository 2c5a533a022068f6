"""The bill of materials of a built pack: what to buy, how many, what it weighs and costs.

Counts and sizes come from the pass results — the layout places the cells, routing sizes
every busbar and fuse link — so those lines are exact for this design. The parts no pass
draws yet (module hardware, the thermal system, the enclosure, BMS and harness) come from the
packaging model's estimate (``models.packaging``), and say so in ``basis``.

Costs: cells at the cell's declared price or BNEF's $/kWh (``models.cost``); busbars, fuse
links and the enclosure sheet at their material's price per kg (``stdlib/materials.batt``:
raw metal, no fabrication). Everything else — fabrication, assembly, BMS, thermal system,
margin — is one line, "rest of the pack price", sized so the lines add up to the estimate's
pack cost (cells are 78 % of pack price, BNEF 2023; ``models.cost.CELL_SHARE``). A BOM that
invented a price per bracket would look more complete and be less true.

Mass: the packaging model's hardware figure includes the cell interconnects (it is a whole
module's mass less its cells), so the routed busbars and fuse links are taken out of it; the
lines then add up to the estimate's pack mass unless the routed interconnects outweigh the
allowance, which the total then shows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from battgen.core import ir
from battgen.core.outcome import Outcome
from battgen.models import cost as cost_model
from battgen.models import packaging
from battgen.passes.layout.types import Placement
from battgen.passes.routing.fuses import BOND_WIRE
from battgen.passes.routing.types import Routing

BOND_WIRE_DENSITY = BOND_WIRE["density"]  # kg/m³, the aluminium bond wire routing sizes


@dataclass(frozen=True)
class BomLine:
    item: str  # cells | busbars | fuse links | module hardware | compression | barrier | thermal | enclosure | electrical | rest
    part: str  # what to buy, in words an engineer orders by
    quantity: int | None  # pieces; None for an allowance or a sheet
    mass_kg: float
    cost_usd: float | None  # None: inside "rest of the pack price"
    basis: str  # where the figures come from


def bill_of_materials(pack, candidate, layout, routing, materials: Mapping[str, ir.Material]) -> tuple[BomLine, ...]:
    """The BOM of ``pack`` built as ``candidate`` (synthesis), placed by ``layout`` and routed by
    ``routing`` (either may be None: their lines then come from the estimate). ``materials``:
    the design's materials by name, for densities and prices."""
    cell = pack.cell
    n_cells = len(layout.cells) if layout is not None else candidate.cells
    unit_cost = cost_model.cell_cost(cell)
    price_basis = "cell's declared price" if cell.cost is not None else f"BNEF {cell.chemistry} cell $/kWh"
    lines = [
        BomLine(
            "cells",
            f"{cell.name} ({cell.chemistry}, {cell.format.kind})",
            n_cells,
            n_cells * cell.mass,
            n_cells * unit_cost,
            f"{'layout' if layout is not None else 'synthesis'}; {price_basis}",
        )
    ]
    routed = 0.0
    if routing is not None:
        for line in _busbar_lines(routing.busbars) + _fuse_lines(routing.fuses, materials):
            lines.append(line)
            routed += line.mass_kg
    parts = packaging.components_for(pack, n_cells)
    extra = _structure_and_safety_lines(pack, layout, materials)
    fixtures = sum(line.mass_kg for line in extra if line.item == "compression")
    hardware = float(parts["hardware"]) - routed - fixtures
    lines.append(
        BomLine(
            "module hardware",
            _hardware_part(cell.format.kind, pack.cooling.kind),
            None,
            max(hardware, 0.0),
            None,
            "estimate (models/packaging.py)"
            + (", less the routed busbars and fuse links" if routing else "")
            + (", less the end plates and bands" if fixtures else ""),
        )
    )
    lines.extend(extra)
    thermal = float(parts["thermal"])
    if thermal > 0:
        lines.append(BomLine("thermal", _thermal_part(pack), None, thermal, None, "estimate (models/packaging.py)"))
    _, sheet = packaging.enclosure_wall(pack.enclosure)
    material = pack.enclosure.material if pack.enclosure is not None else materials.get("aluminium_6061")
    enclosure = float(parts["enclosure"])
    name = material.name if material is not None else "aluminium"
    lines.append(
        BomLine(
            "enclosure",
            f"tray, walls and lid, {name} {sheet * 1e3:.2f} mm sheet, with frames",
            None,
            enclosure,
            _material_cost(material, enclosure),
            "estimate (models/packaging.py): envelope box" if pack.envelope else "estimate (models/packaging.py)",
        )
    )
    lines.append(
        BomLine(
            "electrical",
            "BMS, junction box (contactors, fuse, current sensor), harness",
            None,
            float(parts["electrical"]),
            None,
            "estimate (models/packaging.py): allowance",
        )
    )
    pack_cost = float(candidate.cost)
    priced = sum(line.cost_usd for line in lines if line.cost_usd is not None)
    lines.append(
        BomLine(
            "rest",
            "rest of the pack price: fabrication, assembly, thermal system, BMS, margin",
            None,
            0.0,
            pack_cost - priced,
            f"pack cost {pack_cost:,.0f} USD (cells are {cost_model.CELL_SHARE:.0%} of pack price, BNEF 2023) less the lines above",
        )
    )
    return tuple(lines)


def _structure_and_safety_lines(pack, layout, materials: Mapping[str, ir.Material]) -> list[BomLine]:
    """The compression fixtures' end plates and bands and the declared barrier
    (``passes.structure.parts``): the parts the structure and safety stages analyse."""
    if layout is None:
        return []
    from battgen.passes.structure.parts import bom_lines

    return bom_lines(pack, layout, materials)


def _busbar_lines(busbars) -> list[BomLine]:
    grouped: dict[tuple, list] = defaultdict(list)
    for b in busbars:
        kind = "jumper" if b.path and b.kind != "terminal" else b.kind  # a routed path on a junction: its jumper
        grouped[(kind, b.material, round(b.thickness, 6))].append(b)
    label = {
        "series": "series plate",
        "module_link": "module link plate",
        "terminal": "terminal lead",
        "jumper": "insulated jumper",
    }
    out = []
    for (kind, material, thickness), group in sorted(grouped.items()):
        out.append(
            BomLine(
                "busbars",
                f"{label.get(kind, kind)}, {material} {thickness * 1e3:.2f} mm",
                len(group),
                sum(b.mass_kg for b in group),
                sum(b.cost_usd for b in group),
                "routing (plate geometry); raw material price",
            )
        )
    return out


def _fuse_lines(fuses, materials: Mapping[str, ir.Material]) -> list[BomLine]:
    grouped: dict[tuple, list] = defaultdict(list)
    for f in fuses:
        grouped[(f.kind, f.material, round(f.diameter, 7), round(f.width, 7), round(f.thickness, 7))].append(f)
    out = []
    for (kind, material_name, diameter, width, thickness), group in sorted(grouped.items()):
        material = materials.get(material_name) or (materials.get("aluminium") if kind == "wire_bond" else None)
        if kind == "wire_bond":
            section = math.pi / 4 * diameter**2
            density = BOND_WIRE_DENSITY
            size = f"{diameter * 1e6:.0f} µm"
        else:
            section = width * thickness
            density = material.density if material is not None else 0.0
            size = f"{width * 1e3:.1f} × {thickness * 1e3:.2f} mm"
        mass = sum(section * f.length * density for f in group)
        rating = min(f.rating for f in group)
        part = f"{'wire bond' if kind == 'wire_bond' else 'fuse link'}, {material_name} {size}, carries {rating:.1f} A"
        out.append(
            BomLine(
                "fuse links",
                part,
                len(group),
                mass,
                _material_cost(material, mass),
                "routing (Preece/Onderdonk sizing); raw material price",
            )
        )
    return out


def _material_cost(material, mass: float) -> float | None:
    if material is None or material.cost is None:
        return None
    return mass * material.cost


def _hardware_part(kind: str, cooling: str) -> str:
    """What the packaging model's hardware figure stands for (its module: Model 3 or Leaf)."""
    if kind == "cylindrical":
        ribbon = ", cooling ribbon" if cooling in ("cold_plate", "immersion") else ""
        return f"cell holders, module frames{ribbon}, interconnects other than the routed ones"
    return "cell frames, module housings and end plates, interconnects other than the routed ones"


def _thermal_part(pack) -> str:
    cooling = pack.cooling
    if cooling.kind == "air":
        return "fans and ducts"
    if cooling.kind == "cold_plate" and cooling.side == "sides":
        return f"cooling fins, {packaging.FIN_THICKNESS * 1e3:g} mm aluminium, one between every two cells"
    plate = (
        f"cold plate, stamped aluminium {packaging.COLD_PLATE_THICKNESS * 1e3:g} mm of sheet, "
        f"with {packaging.TIM_THICKNESS * 1e3:g} mm gap filler"
    )
    if cooling.fins:
        plate += f", and {cooling.fins * 1e3:g} mm aluminium fins between every two cells"
    return plate if cooling.kind != "immersion" else "immersion tank and fluid (estimated as a cold plate)"


def bom_stage(
    pack: ir.Pack, placement: Placement, routing: Routing | None, materials: Mapping[str, ir.Material]
) -> Outcome[tuple[BomLine, ...]]:
    """The bill of materials of the placed and routed pack."""
    return Outcome(bill_of_materials(pack, placement.candidate, placement.layout, routing, materials))
