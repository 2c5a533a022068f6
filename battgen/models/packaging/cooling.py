"""The cooling system inside the pack in the mass model: the cold plate, its coolant and the gap
filler under the cells, air cooling's fans and ducts, and the heater of liquid-cooled packs.

* *cold plate*, *coolant*, *gap filler* (``cold_plate``/``refrigerant``/``glycol`` with a plate
  on the bottom or top; ``immersion`` taken as such a plate, unverified): an aluminium plate of
  two 1.5 mm skins around 3 mm channels (the plate the heat stage analyses,
  ``passes.heat``), its channels filling ``CHANNEL_COVERAGE`` of it (12 mm channels, 6 mm lands)
  and the coolant in them, over the cells' lattice area in a rectangle shaped like the pack with
  the plate's 6 mm rim, at most the free floor (the bill of materials and the CAD take the plate
  drawn over the placed cells); 1 mm gap filler at 3 g/cm³ over the
  cells' cooled faces (typical ceramic-filled silicone gap filler; unverified, no data sheet
  read). BatPaC's stainless panels above and below each row (rows 389–403) are the same part
  in another material (tests rebuild them).
* *air cooling*: fans and ducts, 10 kg per 250 kg of cells (midpoint of 5–15 kg,
  greenengguide.com "EV battery pack cooling design"; the scaling is unverified).
* a 1 kW *heater* at 0.2 kg/kW for liquid-cooled packs (BatPaC rows 442–443).
"""

from __future__ import annotations

import math

import numpy as np

from battgen.models.packaging.cells import lattice_area
from battgen.models.packaging.materials import RHO_AL
from battgen.models.packaging.spec import Floats, Spec

# --- cooling ------------------------------------------------------------------------------------
PLATE_SKIN = 0.0015  # m aluminium each side of the channels — passes.heat COLD_PLATE_SKIN
CHANNEL_HEIGHT = 0.003  # m — passes.heat CHANNEL_HEIGHT
PLATE_RIM = 0.006  # m beyond the outermost cells — passes.heat PLATE_RIM
CHANNEL_COVERAGE = 12.0 / (12.0 + 6.0)  # channel width / (width + land): passes.heat's 12 mm channels, 6 mm lands
TIM_THICKNESS, TIM_DENSITY = 0.001, 3000.0  # m, kg/m³ (unverified)
COOLANT_DENSITY = 1064.0  # kg/m³, stdlib glycol50 at 25 °C
AIR_COOLING_KG = 10.0  # fans + ducts, midpoint of 5–15 kg (greenengguide)
CAR_CELLS_KG = 250.0  # cell mass that figure is taken to apply to (unverified)
HEATER_KG = 0.2  # BatPaC row 443: 0.2 kg/kW × 1 kW ('Thermal' row 152)


def plate_area(spec: Spec, n: Floats, shape: float) -> np.ndarray:
    """The cold plate's area, m², as the CAD stage draws it: the rectangle round the cells, their
    lattice area in a rectangle shaped like the pack (``shape`` = P²/(4A) of its box, 1 for a
    square: the aspect x solves (1 + x)²/(4x) = shape), with the plate's rim beyond them on every
    side (``passes.heat.PLATE_RIM``, 6 mm)."""
    cells = np.asarray(n, float) * lattice_area(spec)
    k = max(float(shape), 1.0)
    ratio = (2 * k - 1) + 2 * math.sqrt(k * k - k) if k > 1.0 + 1e-12 else 1.0
    width = np.sqrt(cells / ratio)
    return (width + 2 * PLATE_RIM) * (cells / np.maximum(width, 1e-9) + 2 * PLATE_RIM)


def plate_mass(
    area: Floats,
    void_area: Floats | None = None,
    skin: float = PLATE_SKIN,
    channel: float = CHANNEL_HEIGHT,
    density: float = RHO_AL,
) -> tuple[np.ndarray, np.ndarray]:
    """A cold plate of ``area`` m², two skins around ``channel``-deep channels covering
    ``void_area`` m² (default ``CHANNEL_COVERAGE`` of it), kg; and the coolant in them, kg."""
    area = np.asarray(area, float)
    void = area * CHANNEL_COVERAGE if void_area is None else np.asarray(void_area, float)
    solid = (area * (2 * skin + channel) - void * channel) * density
    return solid, void * channel * COOLANT_DENSITY
