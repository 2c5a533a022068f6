"""The bill of materials of a built pack: every part, how many, what it weighs and costs.

The lines are the mass model's parts (``models.packaging``) for the pack as placed, each from
the most exact source there is:

* *cells*, the *busbars* and *fuse links*: the layout and routing (routing's busbars and
  leads, as drawn inside the enclosure's walls, replace the estimate's allowance for them);
* the parts the CAD stage draws — the holder tiles, the enclosure's floor, walls, lid and frame,
  the cold plate and its coolant, the module walls of flat cells — from the drawn geometry itself
  (``passes.drawn``: the same solids the CAD stage builds, so the two weigh the same);
* every other part from the mass model with the placed pack's cell and module counts and the
  drawn enclosure (fins, module covers, end plates, bands, interconnect boards, module
  electronics, racks, gap filler, air cooling, heater, BMS, junction box, pack terminals); the
  CAD stage does not draw them.

Costs (``models.cost``): each line's material at BatPaC 5.0's price per kg and its per-item
cost, the BMS's purchased parts, the cooling system outside the pack, and BatPaC's assembly and
overhead as lines of their own. The lines add up to the pack's cost and mass; nothing is a
remainder.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from battgen.core import ir
from battgen.core.memo import Remembered
from battgen.core.outcome import Outcome
from battgen.models import cost as cost_model
from battgen.models import packaging as P
from battgen.passes.layout.types import Layout, Placement
from battgen.passes.routing.fuses import BOND_WIRE
from battgen.passes.routing.types import Routing

BOND_WIRE_DENSITY = BOND_WIRE["density"]  # kg/m³, the aluminium bond wire routing sizes
DRAWN = (
    "module walls",
    "cold plate",
    "coolant",
    "gap filler",
    "enclosure floor",
    "enclosure walls",
    "enclosure lid",
    "enclosure frame",
)


@dataclass(frozen=True)
class BomLine:
    item: str  # the part (``models.packaging.PARTS``), or a cost line (assembly, overhead, thermal system)
    part: str  # what to buy, in words an engineer orders by
    quantity: int | None  # pieces; None for an allowance, a sheet or a service
    mass_kg: float
    cost_usd: float | None
    basis: str  # where the figures come from


# The language server builds the same placement and routing again and again while only the
# cooling changes (the heat stage, which the BOM reads): the two drawn masses that follow from
# the geometry alone (the holder tiles, 70-90 ms CPU on the 7,104-cell Model S, and the busbars
# as drawn, 35 ms) are remembered for the last few geometries, by a hash of exactly what they
# read. The sedan's design loop builds 3 architectures: an edit of its busbars adds 3 busbar
# entries to its 3 holder tiles and 3 busbar entries, which least-recently-used order keeps the
# holders of.
_REMEMBERED = Remembered(16)


def _drawing_key(*parts) -> str:
    import hashlib

    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        if hasattr(part, "wkb"):  # a shapely geometry
            part = part.wkb
        elif hasattr(part, "tobytes"):  # a numpy array
            part = part.tobytes()
        digest.update(part if isinstance(part, bytes) else repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _remembered(key: str, compute, keep=None):
    """``compute()`` (an immutable value), or what it gave for ``key`` before. ``keep``: an
    object whose identity is part of the key, held so that its id is not reused."""
    return _REMEMBERED.get(key, lambda: (compute(), keep))[0]


def bill_of_materials(
    pack: ir.Pack,
    candidate,
    layout,
    routing: Routing | None,
    materials: Mapping[str, ir.Material],
    heat=None,
    bms=None,
) -> tuple[BomLine, ...]:
    """The BOM of ``pack`` built as ``candidate`` (synthesis), placed by ``layout`` and routed by
    ``routing`` (None: the estimate's busbars), cooled as ``heat`` found (its coolant flow sizes
    the plate's channels; None: sized here as the CAD stage does). ``materials``: the design's
    materials by name. ``bms``: the BMS stage's design (``passes.bms``): its parts are listed
    under the mass model's allowance they detail, which keeps the rest (``_with_designed``)."""
    from battgen.passes.channels import coolant_flow
    from battgen.passes.drawn import busbar_masses, draw, spec_of
    from battgen.passes.holders import holder_tiles

    cell = pack.cell
    n = len(layout.cells)
    series, modules = layout.series, max(len(layout.modules), 1)
    parallel = n / series
    flow = (
        (heat.coolant_flow, heat.flow_basis)
        if heat is not None and heat.coolant_flow
        else coolant_flow(pack, layout, routing, materials)
    )
    coolant = materials.get(pack.cooling.coolant)
    from battgen.passes.bms import board_room

    density = coolant.density if coolant else P.COOLANT_DENSITY
    drawn = draw(pack, layout, routing, flow, density, modules, board_room(bms))
    spec = spec_of(pack, drawn.site)
    current = candidate.peak_current
    shares = P.module_shares([len(m.groups) for m in layout.modules])  # modules of different sizes
    kinds = module_kinds(layout)
    parts = P.components(spec, n, series=series, modules=modules, current=current, shares=shares)
    masses = {k: float(v) for k, v in parts.items()}
    by_drawing = drawn.mass_by_part()
    if spec.fmt == "cylindrical":  # the holder tiles as drawn: those at the pack's edge reach its walls
        placed = drawn.placed  # what holder_tiles reads of it: the format, the centres, the heights
        key = _drawing_key("holders", repr(placed.fmt), placed.h_cell, placed.xy, placed.zc, drawn.site.free)
        by_drawing["holders"] = _remembered(key, lambda: holder_tiles(drawn.placed, drawn.site.free).mass())
    for part in DRAWN + ("holders",):
        if part != "module walls" or spec.flat:  # round cells' module walls are not drawn
            masses[part] = by_drawing.get(part, 0.0)
    routed_lines: list[BomLine] = []
    busbar_items = None
    if routing is not None:
        key = _drawing_key("busbars", id(routing.busbars), drawn.site.free)
        drawn_kg = _remembered(key, lambda: tuple(busbar_masses(routing.busbars, drawn.site.free)), routing.busbars)
        # (as the CAD draws them, inside the walls)
        routed_lines = _busbar_lines(routing.busbars, drawn_kg) + _fuse_lines(routing.fuses, materials)
        masses["busbars"] = sum(line.mass_kg for line in routed_lines if line.item == "busbars")
        masses["fuse links"] = sum(line.mass_kg for line in routed_lines if line.item == "fuse links")
        busbar_items = len(routing.busbars)
    heat_w = (heat.cell_heat_total + heat.busbar_heat) if heat is not None else candidate.heat
    by_line = cost_model.pack_costs(
        pack,
        masses,
        series=series,
        parallel=parallel,
        modules=modules,
        heat=heat_w,
        current=current,
        busbar_items=busbar_items,
    )
    costs = {k: float(v) for k, v in by_line.items()}
    lines = [
        BomLine(
            "cells",
            f"{cell.name} ({cell.chemistry}, {cell.format.kind})",
            n,
            n * cell.mass,
            costs["cells"],
            "layout; "
            + ("the cell's declared price" if cell.cost is not None else f"BNEF 2025 {cell.chemistry} cell $/kWh"),
        )
    ]
    designed = _designed(bms)
    fixtures = _structure_and_safety_lines(pack, layout, materials)
    for part in P.PARTS[1:]:
        if fixtures.get(part):  # the structure stage's end plates and bands, sized for this pack
            lines.extend(_priced(fixtures.pop(part), costs))
            continue
        kg = masses[part]
        if part == "busbars" and routed_lines:
            lines.extend(_priced(routed_lines, costs))
            continue
        if kg <= 0 and costs.get(part, 0.0) <= 0:
            continue
        allowance = BomLine(
            part,
            _describe(part, pack, spec, drawn) + (f" ({kinds})" if kinds and part in MODULE_SIZED else ""),
            _count(part, n, modules),
            kg,
            costs.get(part, 0.0),
            _basis(part, spec),
        )
        lines.extend(_with_designed(allowance, designed.get(part, [])))
    lines.extend(line for extra in fixtures.values() for line in extra)  # the barrier: no model part
    for name in (
        "thermal system",
        "assembly labour",
        "assembly equipment and building",
        "overhead on materials and purchased parts",
    ):
        if costs.get(name, 0.0) > 0:
            lines.append(BomLine(name, _COST_TEXT[name], None, 0.0, costs[name], _COST_BASIS[name]))
    return tuple(lines)


def _priced(routed: list[BomLine], costs: Mapping[str, float]) -> list[BomLine]:
    """The routed busbar and fuse-link lines, each kind's cost shared by mass."""
    total: defaultdict[str, float] = defaultdict(float)
    for line in routed:
        total[line.item] += line.mass_kg
    out = []
    for line in routed:
        share = line.mass_kg / total[line.item] if total[line.item] > 0 else 0.0
        out.append(
            BomLine(line.item, line.part, line.quantity, line.mass_kg, costs.get(line.item, 0.0) * share, line.basis)
        )
    return out


# the parts made to each module's size: the BOM says which sizes when the modules differ
MODULE_SIZED = ("module walls", "module covers", "bands", "interconnect boards")


def module_kinds(layout: Layout) -> str:
    """The modules by size, "8 of 10s3p, 2 of 8s3p" (in order of first appearance); "" when they
    are all alike."""
    p = layout.parallel // max(layout.strings, 1)
    counts: dict[int, int] = {}
    for m in layout.modules:
        counts[len(m.groups)] = counts.get(len(m.groups), 0) + 1
    if len(counts) <= 1:
        return ""
    return ", ".join(f"{c} of {k}s{p}p" for k, c in counts.items())


def _count(part: str, n: int, modules: int) -> int | None:
    per_module = {"module walls", "module covers", "interconnect boards", "module electronics"}
    if part in per_module:
        return modules
    if part in ("end plates",):
        return 2 * modules
    if part == "holders":
        return 2 * n
    if part in ("bms", "junction box", "heater", "cold plate"):
        return 1
    if part == "pack terminals":
        return 2
    return None


def _describe(part: str, pack: ir.Pack, spec: P.Spec, drawn) -> str:
    """What a part is, in the words an engineer orders it by."""
    jacket = drawn.jacket

    def layers(ls) -> str:
        return " + ".join(
            f"{float(t) * 1e3:.1f} mm {'insulation' if rho == P.INSULATION_DENSITY else ('steel' if rho > 5000 else 'aluminium')}"
            for rho, t in ls
        )

    a, _, h = spec.dims
    texts = {
        "holders": f"cell holder plates, polycarbonate {P.holder_thickness(spec) * 1e3:.1f} mm, one at each cell end",
        "fins": (
            f"cooling fins, {spec.fins * 1e3:g} mm aluminium, one between every two cells"
            if spec.fins
            else f"heat conductors, {P.CONDUCTOR_THICKNESS * 1e3:g} mm aluminium, wrapping each cell"
        ),
        "module walls": f"module side walls, {P.MODULE_WALL * 1e3:g} mm steel",
        "module covers": f"module top and bottom covers, {P.MODULE_WALL * 1e3:g} mm steel",
        "end plates": f"module end plates, 6061-T6 {float(P.end_plate_thickness(a, h)) * 1e3:.2f} mm, against {P.SWELLING_PRESSURE / 1e6:g} MPa swelling",
        "bands": "module side bands, 6061-T6, carrying the end plates' force",
        "interconnect boards": "interconnect boards, 2 mm polymer, at the tab ends of each stack",
        "module electronics": "module monitoring board, gas vent and two copper module terminals, a module",
        "racks": f"module row racks, 1 mm steel channels, {P.MODULES_PER_ROW} modules a row",
        "cold plate": "cold plate, aluminium, 1.5 mm skins around 3 mm coolant channels",
        "coolant": f"coolant in the cold plate, {pack.cooling.coolant}",
        "gap filler": f"gap filler, {P.TIM_THICKNESS * 1e3:g} mm under the cells' cooled faces",
        "air cooling": "fans and ducts",
        "heater": "pack heater, 1 kW",
        "enclosure floor": f"enclosure floor: {layers(jacket.base)}",
        "enclosure lid": f"enclosure lid: {layers(jacket.top)}",
        "enclosure walls": "enclosure walls: "
        + layers([(rho, t) for _, rho, t in drawn.site.wall_layers(jacket) if float(t) > 0]),
        "enclosure frame": "perimeter frame, steel angle {0:.0f} × {0:.0f} × {1:.0f} mm".format(
            *(float(v) * 1e3 for v in jacket.frame)
        ),
        "bms": "battery management unit and its enclosure",
        "junction box": "junction box: main and auxiliary contactors, precharge, service disconnect and fuse, current sensor",
        "pack terminals": "pack terminals and seals, copper",
    }
    return texts.get(part, part)


def _basis(part: str, spec: P.Spec) -> str:
    if part == "holders":
        return "drawn (passes/holders.py: the CAD stage's tiles); BatPaC 5.0 prices (models/cost.py)"
    if part in DRAWN and (part != "module walls" or spec.flat):
        return "drawn (passes/drawn.py: the CAD stage's solids); BatPaC 5.0 prices (models/cost.py)"
    return "mass model (models/packaging/, BatPaC 5.0 structure); BatPaC 5.0 prices (models/cost.py)"


_COST_TEXT = {
    "thermal system": "cooling system outside the pack (chiller share, pump, hoses)",
    "assembly labour": "module and pack assembly labour, with its overheads",
    "assembly equipment and building": "module and pack assembly equipment and building: depreciation, R&D, GSA, profit",
    "overhead on materials and purchased parts": "launch and working capital on materials and purchased parts, 5.6 % warranty",
}
_COST_BASIS = {
    "thermal system": "BatPaC 5.0 'Thermal' rows 146, 169-172, by the heat at the continuous load",
    "assembly labour": "BatPaC 5.0 module and pack assembly at its baseline plant (models/cost.py), x 1.86648",
    "assembly equipment and building": "BatPaC 5.0 baseline plant: capital x 0.253704, building x 0.153252",
    "overhead on materials and purchased parts": "BatPaC 5.0 pack multiplier 1.06656 on every line above",
}


def _structure_and_safety_lines(pack, layout, materials: Mapping[str, ir.Material]) -> dict[str, list[BomLine]]:
    """The compression fixtures' end plates and bands and the declared barrier
    (``passes.structure.parts``: the parts the structure and safety stages analyse), by item:
    ``end plates`` and ``bands`` take the mass model's lines' place (and their price, shared by
    mass), ``barrier`` is a line of its own."""
    from battgen.passes.structure.parts import bom_lines

    out: dict[str, list[BomLine]] = {}
    for line in bom_lines(pack, layout, materials):
        out.setdefault(line.item, []).append(line)
    return out


def _busbar_lines(busbars, masses: list[float]) -> list[BomLine]:
    """The routed busbars by kind, material and thickness, each of the mass drawn (``masses``)."""
    grouped: dict[tuple, list] = defaultdict(list)
    for b, kg in zip(busbars, masses):
        kind = "jumper" if b.path and b.kind != "terminal" else b.kind  # a routed path on a junction: its jumper
        grouped[(kind, b.material, round(b.thickness, 6))].append((b, kg))
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
                sum(kg for _, kg in group),
                0.0,
                "routing (plate geometry, as drawn inside the walls); BatPaC 5.0 interconnect price",
            )
        )
    return out


def _fuse_lines(fuses, materials: Mapping[str, ir.Material]) -> list[BomLine]:
    grouped: dict[tuple, list] = defaultdict(list)
    rounded: dict[tuple, tuple] = {}  # a 7,000-cell pack has a handful of distinct links: round each once
    for f in fuses:
        link = (f.kind, f.material, f.diameter, f.width, f.thickness)
        key = rounded.get(link)
        if key is None:
            key = rounded[link] = (f.kind, f.material, round(f.diameter, 7), round(f.width, 7), round(f.thickness, 7))
        grouped[key].append(f)
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
                0.0,
                "routing (fuse sizing); BatPaC 5.0 price of its metal",
            )
        )
    return out


# The mass model's allowance each of the BMS stage's lines details (``passes.bms.bom_lines``):
# front-end boards, sense lines and thermistors are the module monitoring board BatPaC counts per
# module; contactors, pre-charge, pack fuse and isolation monitor sit in the junction box.
_DETAILS = {
    "front-end boards": "module electronics",
    "sense lines": "module electronics",
    "thermistors": "module electronics",
    "contactors": "junction box",
    "pre-charge": "junction box",
    "pack fuse": "junction box",
    "isolation monitor": "junction box",
}


def _designed(bms) -> dict[str, list[BomLine]]:
    """The BMS stage's parts by the mass-model part they detail (empty without a BMS design)."""
    if bms is None:
        return {}
    from battgen.passes.bms import bom_lines

    out: dict[str, list[BomLine]] = {}
    for line in bom_lines(bms):
        part = _DETAILS[line.item]
        out.setdefault(part, []).append(line)
    return out


def _with_designed(allowance: BomLine, designed: list[BomLine]) -> list[BomLine]:
    """``allowance`` (the mass model's figure, BatPaC-calibrated) followed by the designed parts
    it holds, their mass taken out of it so the total stays the model's; the price stays on the
    allowance (no stored source prices the designed parts one by one)."""
    if not designed:
        return [allowance]
    rest = max(allowance.mass_kg - sum(line.mass_kg for line in designed), 0.0)
    kept = replace(
        allowance,
        part=allowance.part + ", other than the parts below",
        mass_kg=rest,
        basis=allowance.basis + "; less the BMS stage's parts listed below",
    )
    priced = [
        line
        if line.cost_usd is not None
        else replace(line, cost_usd=0.0, basis=f"{line.basis}; priced in the {allowance.item} line")
        for line in designed
    ]
    return [kept, *priced]


def bom_stage(
    pack: ir.Pack,
    placement: Placement,
    routing: Routing | None,
    materials: Mapping[str, ir.Material],
    heat=None,
    bms=None,
) -> Outcome[tuple[BomLine, ...]]:
    """The bill of materials of the placed, routed and heated pack, with its BMS when designed."""
    return Outcome(bill_of_materials(pack, placement.candidate, placement.layout, routing, materials, heat, bms))
