"""Every cell's temperature at the heat stage's load, from the heat stage's own figures.

The heat stage (``passes.heat``) reports the hottest cell; temperatures.svg and the report's
histogram show every cell. Each is derived here with the heat stage's chain and assumptions,
so that the hottest cell drawn is the hottest cell reported (tests check the two agree):

* **cold plate** (``Heat.resistance`` set): T_i = T_inlet + ΔT_coolant + q_i · R, with q_i the
  cell's Bernardi heat at the continuous load (``heat.cell_heats``) and R the chain from the
  coolant to a cell's cooled face (gap filler, skin, channel convection). The heat stage takes
  the hottest cell at the outlet; every cell is taken there too, so the picture shows the
  spread that each cell's own heat makes (what the busbar network decides), not the coolant's
  warming along the channels, which the heat stage does not resolve in position. The maximum
  is ``Heat.base_temperature``.
* **no cold plate** (``Heat.end_temperature`` set, the skin-cooled lump): the heat stage scales
  the pack's rise after a full discharge by the hottest cell's heat over the mean cell's; here
  each cell's rise is scaled by its own heat the same way: T_i = T_inlet + (T_end − T_inlet) ·
  q_i / q_max. The maximum is ``Heat.end_temperature``.
* otherwise (side plates: the chain into the fins is not modelled) there is no per-cell figure:
  ``None``.

All temperatures in K, at the cell's cooled face (cold plate) or the lump (no cold plate), as
the heat stage reports them; the peak pulse's adiabatic rise is not included (it is the same
for every cell to within its current, and the as-built check adds it to the hottest).
"""

from __future__ import annotations

import numpy as np

from battgen.core import ir
from battgen.passes.heat import Heat, cell_heats
from battgen.passes.routing.types import Routing


def cell_temperatures(pack: ir.Pack, routing: Routing, heat: Heat) -> np.ndarray | None:
    """Every cell's temperature, K (by PlacedCell index), or None where the heat stage has no
    per-cell chain."""
    q = cell_heats(pack, routing, heat.current)
    if q.size == 0:
        return None
    if heat.resistance is not None and heat.base_temperature is not None and heat.coolant_rise is not None:
        return heat.inlet + heat.coolant_rise + q * heat.resistance
    if heat.end_temperature is not None:
        q_max = float(q.max())
        if q_max <= 0:
            return np.full(q.shape, heat.inlet)
        return heat.inlet + (heat.end_temperature - heat.inlet) * q / q_max
    return None


def basis(heat: Heat) -> str:
    """How ``cell_temperatures`` were derived, in words for a caption."""
    if heat.resistance is not None and heat.base_temperature is not None:
        return (
            f"coolant out ({heat.inlet - 273.15 + (heat.coolant_rise or 0.0):.1f} °C) plus each cell's heat × "
            f"{heat.resistance:.2f} K/W to its cooled face"
        )
    if heat.end_temperature is not None and heat.discharge_time is not None:
        return (
            f"the skin-cooled pack after a full discharge ({heat.discharge_time / 60:,.0f} min), each cell's rise "
            "scaled by its heat"
        )
    return "no per-cell thermal chain for this cooling"
