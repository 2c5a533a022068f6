"""The whole pack in the mass model: its parts in the bill of materials' order (``PARTS``), their
groups for the short summaries, and ``components``, which sums the part modules' masses for a
``Spec`` or an ``ir.Pack`` (``components_for``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from battgen.models.packaging.cells import busbar_allowance, cooled_face, fin_mass, holder_mass
from battgen.models.packaging.cooling import (
    AIR_COOLING_KG,
    CAR_CELLS_KG,
    HEATER_KG,
    TIM_DENSITY,
    TIM_THICKNESS,
    plate_area,
    plate_mass,
)
from battgen.models.packaging.electrics import bms_mass, pack_terminal_mass
from battgen.models.packaging.jacket import PACK_ASPECT, estimated_box, isolation_distance, jacket, jacket_parts
from battgen.models.packaging.modules import module_parts, module_shares, modules_volume, rack_mass
from battgen.models.packaging.spec import FORMATS, Floats, Spec, spec_for
from battgen.models.packaging.volume import _ADDERS

if TYPE_CHECKING:
    from battgen.core import ir

# --- the whole pack -------------------------------------------------------------------------------

# Parts in the order the bill of materials lists them; groups for the short summaries.
PARTS = (
    "cells",
    "holders",
    "fins",
    "busbars",
    "module walls",
    "module covers",
    "end plates",
    "bands",
    "interconnect boards",
    "module electronics",
    "racks",
    "cold plate",
    "coolant",
    "gap filler",
    "air cooling",
    "heater",
    "enclosure floor",
    "enclosure walls",
    "enclosure lid",
    "enclosure frame",
    "bms",
    "junction box",
    "pack terminals",
)
GROUPS = {
    "cells": ("cells",),
    "modules": ("holders", "fins", "busbars", "module walls", "module covers", "end plates", "bands")
    + ("interconnect boards", "module electronics", "racks"),
    "thermal": ("cold plate", "coolant", "gap filler", "air cooling", "heater"),
    "enclosure": ("enclosure floor", "enclosure walls", "enclosure lid", "enclosure frame"),
    "electrical": ("bms", "junction box", "pack terminals"),
}


# What a module holds (the rest is at pack level): cells and the per-cell and per-module parts,
# every part of the modules' group but the racks, which hold the modules
MODULE_PARTS: tuple[str, ...] = ("cells", *(part for part in GROUPS["modules"] if part != "racks"))


def grouped(parts: Mapping[str, Floats] | Iterable[tuple[str, Floats]]) -> dict[str, float]:
    """kg by ``GROUPS`` of a parts mapping (or (part, kg) pairs)."""
    parts = dict(parts)
    return {g: float(sum(float(parts.get(p, 0.0)) for p in members)) for g, members in GROUPS.items()}


def components(
    spec: Spec,
    n_cells: Floats,
    *,
    series: Floats | None = None,
    modules: Floats = 1,
    current: Floats | None = None,
    shares: tuple[float, ...] | None = None,
) -> dict[str, np.ndarray]:
    """Pack mass by part, kg, in ``PARTS`` order (arrays ok: ``n_cells``, ``series``, ``modules``
    and ``current`` broadcast together). ``series``: cells in series (default all); ``current``:
    the pack current the conductors are sized for, A (default the cells' continuous rating in
    parallel); ``shares``: each module's fraction of the cells when they differ in size
    (``module_shares``; their count replaces ``modules``)."""
    if spec.fmt not in FORMATS:
        raise KeyError(spec.fmt)
    if spec.cooling not in _ADDERS:
        raise KeyError(spec.cooling)
    n = np.asarray(n_cells, float)
    series = n if series is None else np.asarray(series, float)
    m = np.maximum(np.asarray(modules if shares is None else len(shares), float), 1.0)
    parallel = n / np.maximum(series, 1.0)
    pack_current = spec.cell_current * parallel if current is None else np.asarray(current, float)
    zero = 0 * n * m
    out = dict.fromkeys(PARTS, zero)
    out["cells"] = n * spec.cell_mass + zero
    out["holders"] = n * holder_mass(spec) + zero
    out["fins"] = fin_mass(spec, n, m) + zero
    out["busbars"] = busbar_allowance(spec, n) + zero
    out.update(module_parts(spec, n, m, current=pack_current, shares=shares))  # in series: the pack current
    out["racks"] = rack_mass(spec, n, m, shares=shares) + zero
    jacket_ = jacket(n * spec.cell_energy, spec.liquid, spec.enclosure, modules_volume(spec, n, m, shares))
    isolation = isolation_distance(series * spec.cell_max_voltage)
    if spec.box is not None:
        out.update(jacket_parts(spec, spec.box, jacket_, spec.outline_perimeter, isolation))
        free: Floats = _free_floor(spec)
        shape = spec.box[1] ** 2 / (4 * spec.box[0]) if spec.box[0] > 0 else 1.0
    else:
        free, perimeter, height = estimated_box(spec, n, jacket_)
        out.update(jacket_parts(spec, (free, perimeter, height), jacket_))
        shape = (1 + PACK_ASPECT) ** 2 / (4 * PACK_ASPECT)
    if spec.plate:
        plate, coolant = plate_mass(np.minimum(plate_area(spec, n, shape), free) + zero)
        out["cold plate"], out["coolant"] = plate, coolant
        out["gap filler"] = n * cooled_face(spec) * TIM_THICKNESS * TIM_DENSITY + zero
    if spec.cooling == "air":
        out["air cooling"] = AIR_COOLING_KG * out["cells"] / CAR_CELLS_KG
    if spec.liquid:
        out["heater"] = HEATER_KG + zero
    bmu, bdu = bms_mass(series, m, series * spec.cell_voltage)
    out["bms"], out["junction box"] = bmu + zero, bdu + zero
    out["pack terminals"] = pack_terminal_mass(pack_current) + zero
    return {k: out[k] for k in PARTS}


def _free_floor(spec: Spec) -> float:
    """The envelope's floor inside its wall clearance and 0.5 mm more (where the CAD stage's plate
    may go), m²."""
    assert spec.box is not None  # called for a pack with an envelope only
    floor, perimeter, _ = spec.box
    inset = (spec.clearance if spec.clearance else 0.002) + 0.0005
    return max(floor - perimeter * inset, 0.0)


def pack_mass(spec: Spec, n_cells: Floats, **kw) -> Floats:
    """Pack mass, kg (arrays ok): sum of :func:`components`."""
    return sum(components(spec, n_cells, **kw).values())


def components_for(
    pack: ir.Pack,
    n_cells: Floats,
    *,
    series: Floats | None = None,
    modules: Floats | None = None,
    current: Floats | None = None,
) -> dict[str, np.ndarray]:
    """:func:`components` for an ``ir.Pack`` of ``n_cells`` (arrays ok). ``modules``: the module
    count (arrays ok; default the pack's fixed or lowest count, else 1); the modules' declared
    sizes (``module_series``) when the pack has them; ``series``: default the pack's, else all
    cells; ``current``: A the conductors carry (default the cells' rating)."""
    shares = module_shares(getattr(pack, "module_series", None), getattr(pack, "strings", 1))
    if shares is not None:
        return components(spec_for(pack), n_cells, series=series, current=current, shares=shares)
    if modules is None:
        bound = pack.modules
        modules = bound.low if bound is not None and bound.low is not None else 1
    if series is None and pack.series is not None:
        series = pack.series
    return components(spec_for(pack), n_cells, series=series, modules=modules, current=current)


def pack_mass_for(pack: ir.Pack, n_cells: Floats, **kw) -> Floats:
    """Pack mass, kg (arrays ok over n_cells), for an ``ir.Pack``: sum of :func:`components_for`."""
    return sum(components_for(pack, n_cells, **kw).values())
