"""The structure and safety stages' parts in the bill of materials: the compression fixtures'
end plates and bands (``compression.design``) and the declared barrier (``safety.barriers``).

``passes.bom`` calls ``bom_lines``: the same designs the structure and safety stages analyse and
the CAD draws, weighed by their materials' density and priced at their materials' price per kg
(raw material). End plates and bands sit inside the packaging model's module-hardware allowance
for flat cells (the Leaf module's figure includes its case), so the BOM takes their mass out of
that line, as it does the routed busbars; a barrier is added to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from battgen.core import ir
from battgen.passes.layout.types import Layout

if TYPE_CHECKING:
    from battgen.passes.bom import BomLine


def _cost(material: ir.Material | None, mass: float) -> float | None:
    return mass * material.cost if material is not None and material.cost is not None else None


def bom_lines(pack: ir.Pack, layout: Layout, materials: Mapping[str, ir.Material]) -> list[BomLine]:
    """End plates (item ``end plates``), bands (``bands``) and the barrier (``barrier``)."""
    from battgen.passes.bom import BomLine
    from battgen.passes.safety import barriers
    from battgen.passes.structure import compression

    lines: list[BomLine] = []
    comp = compression.design(pack, layout, materials)
    if comp.fixtures:
        plates: dict[tuple, list] = {}
        for f in comp.fixtures:
            key = (round(f.face[0], 4), round(f.face[1], 4), round(f.plate_thickness, 5), f.plate_material)
            plates.setdefault(key, []).append(f)
        for (w, h, t, name), group in sorted(plates.items()):
            mass = sum(f.mass_plates for f in group)
            lines.append(
                BomLine(
                    "end plates",
                    f"end plate, {name} {w * 1e3:.0f} × {h * 1e3:.0f} × {t * 1e3:.1f} mm",
                    2 * len(group),
                    mass,
                    _cost(materials.get(name), mass),
                    "structure (compression.py): Roark plate at the cell's pressure limit × 1.5; raw material price",
                )
            )
        bands: dict[tuple, list] = {}
        for f in comp.fixtures:
            key = (round(f.band_length, 4), round(f.band_thickness, 5), f.band_width, f.band_material)
            bands.setdefault(key, []).append(f)
        for (length, t, width, name), group in sorted(bands.items()):
            mass = sum(f.mass_bands for f in group)
            lines.append(
                BomLine(
                    "bands",
                    f"compression band, {name} {width * 1e3:.0f} × {t * 1e3:.1f} mm, {length * 1e3:.0f} mm loop",
                    sum(f.bands for f in group),
                    mass,
                    _cost(materials.get(name), mass),
                    "structure (compression.py): the limit force × 1.5 on yield; raw material price",
                )
            )
    for item, part, quantity, mass, cost, basis in barriers.bom_lines(pack, layout):
        lines.append(BomLine(item, part, quantity, mass, cost, basis))
    return lines
