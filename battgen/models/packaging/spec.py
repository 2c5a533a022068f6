"""What the mass model needs of a pack (``Spec``: its cell, cooling, layout, busbar, enclosure and
the enclosure's box), read from the IR (``spec_for``) or given the box as drawn (``with_box``).

The part modules take a ``Spec`` rather than an ``ir.Pack``: the bill of materials weighs the
jacket over the region the CAD stage draws (``passes.drawn.spec_of``), not the envelope's
outline, and the tests rebuild BatPaC's reference pack from its workbook's figures alone."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from battgen.models.packaging.materials import AL_MODULUS

if TYPE_CHECKING:
    from battgen.core import ir

# A figure, or an array of them over candidates: the model's functions broadcast ("arrays ok")
Floats = float | np.ndarray

LIQUID = ("cold_plate", "glycol", "refrigerant", "immersion")  # actively cooled through a plate
DEFAULT_BUSBAR = (2705.0, 0.002)  # kg/m³, m: the schema's default aluminium(thickness = 2 mm)


@dataclass(frozen=True)
class Spec:
    """What the mass model needs of a pack besides its cell count. Cell dimensions in m:
    (diameter or width, thickness, height); ``busbar``, ``enclosure``: (density, thickness) and
    (density, thickness or None, modulus) or None; ``box``: the envelope's enclosure box
    (``enclosure_box``) or None; ``clearance``: the envelope's wall clearance, m."""

    fmt: str
    cell_mass: float
    dims: tuple[float, float, float]
    cell_energy: float = 0.0  # J
    cell_current: float = 0.0  # A, continuous rating (conductor sizing when no current is given)
    cell_voltage: float = 3.6  # V nominal
    cell_max_voltage: float = 4.2  # V at full charge (the insulation distance is for the pack's maximum)
    cooling: str = "cold_plate"
    side: str = "bottom"
    fins: float | None = None
    gap: float = 0.001
    lattice: str = "hex"
    busbar: tuple[float, float] = DEFAULT_BUSBAR
    enclosure: tuple[float, float | None, float] | None = None
    box: tuple[float, float, float] | None = None
    clearance: float | None = None
    outline_perimeter: float | None = None  # m, the outline the frame runs round (default: box's)
    fin_length: float | None = None  # m a conductor runs along the face (default the cell width)
    # Σ tan(θ/2) over the box's corners (convex +, concave −): a ring of width w inside its edge has
    # area P·w − corners·w², one outside the outline P·w + corners·w² (4 for a rectangle)
    wall_corners: float = 4.0
    frame_corners: float = 4.0

    @property
    def liquid(self) -> bool:
        return self.cooling in LIQUID

    @property
    def plate(self) -> bool:
        """A cold plate under or over the cells."""
        return self.liquid and self.side in ("bottom", "top")

    @property
    def flat(self) -> bool:
        return self.fmt in ("pouch", "prismatic")


FORMATS = ("cylindrical", "pouch", "prismatic")  # the cell formats the mass model weighs


# --- from the IR --------------------------------------------------------------------------------------


def enclosure_box(envelope: ir.Envelope | None) -> tuple[float, float, float] | None:
    """(floor area m², perimeter m, height m) of an ``ir.Envelope``'s outline; None without one.
    Keepouts are spaces inside the box for other parts (a junction box, a BMS board): the floor
    and lid are whole and the walls follow the outline alone, as the CAD draws them."""
    if envelope is None:
        return None
    return envelope.outline.area, envelope.outline.perimeter, envelope.height


def enclosure_outer(enclosure: ir.Enclosure | None) -> tuple[float, float | None, float] | None:
    """(density, thickness or None, modulus) of a declared ``ir.Enclosure``; None: BatPaC's skins."""
    if enclosure is None or enclosure.material is None:
        return None
    return enclosure.material.density, enclosure.thickness, enclosure.material.modulus or AL_MODULUS


def _cell_dims(cell: ir.Cell) -> tuple[float, float, float]:
    f = cell.format
    if f.kind == "cylindrical":
        return f.diameter, f.diameter, f.height
    return f.width, f.thickness, f.height


def spec_for(pack: ir.Pack, box: tuple[float, float, float] | None = None) -> Spec:
    """The ``Spec`` of an ``ir.Pack``: its cell, cooling, layout, busbar, enclosure and envelope
    (``box``: another enclosure box, e.g. the one drawn)."""
    cell = pack.cell
    busbar = (pack.busbar.material.density, pack.busbar.thickness) if pack.busbar is not None else DEFAULT_BUSBAR
    envelope = pack.envelope
    return Spec(
        fmt=cell.format.kind,
        cell_mass=cell.mass,
        dims=_cell_dims(cell),
        cell_energy=cell.energy,
        cell_current=cell.max_discharge_current,
        cell_voltage=cell.nominal_voltage,
        cell_max_voltage=cell.max_voltage,
        cooling=pack.cooling.kind,
        side=pack.cooling.side,
        fins=pack.cooling.fins,
        gap=pack.gap,
        lattice=pack.layout,
        busbar=busbar,
        enclosure=enclosure_outer(pack.enclosure),
        box=box if box is not None else enclosure_box(envelope),
        clearance=(envelope.wall if envelope.wall > 0 else 0.002) if envelope is not None else None,
        outline_perimeter=envelope.outline.perimeter if envelope is not None else None,
        wall_corners=4.0 - 4.0 * _inner_keepouts(envelope),
    )


def _inner_keepouts(envelope: ir.Envelope | None) -> int:
    """Keepouts clear of the outline's bounding box (holes in the floor: their corners turn the
    other way); one on the edge is a notch, whose convex and concave corners cancel."""
    if envelope is None:
        return 0
    x0, y0, x1, y1 = envelope.outline.bounds
    inside = 0
    for k in envelope.keepouts:
        a, b, c, d = k.shape.bounds
        inside += a > x0 and b > y0 and c < x1 and d < y1
    return inside


def with_box(
    spec: Spec,
    box: tuple[float, float, float] | None,
    clearance: float | None,
    outline_perimeter: float | None,
    wall_corners: float = 4.0,
    frame_corners: float = 4.0,
) -> Spec:
    return replace(
        spec,
        box=box,
        clearance=clearance,
        outline_perimeter=outline_perimeter,
        wall_corners=wall_corners,
        frame_corners=frame_corners,
    )
