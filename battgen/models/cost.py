"""Pack cost, bottom-up, in the manner of Argonne's BatPaC 5.0.

The pack maker buys cells and parts and assembles modules and the pack. Every line is one of:

* **cells**: the cell's declared price, else its nominal energy × BloombergNEF's 2025 survey
  price by chemistry (``CELL_USD_PER_KWH``: volume-weighted average cell 74 USD/kWh; LFP and NMC
  from the survey's pack prices by chemistry scaled by that year's cell/pack ratio, 74/108).
* **materials by mass** at BatPaC 5.0's default prices ('Cost Input' rows 45–73, the workbook of
  ``models.packaging``; its dollar year is not stated, 2022 by its release) — USD/kg of each
  part's material plus BatPaC's "plus cost" per item, scaled from BatPaC's baseline volume by
  its exponent 0.85 (row 74): item cost × (baseline items / items)^0.15 at BatPaC's 500,000 packs
  a year ('Cost Input' rows 292–297). ``PRICES`` lists each part's material, USD/kg, adder and
  row. Parts BatPaC does not price take its nearest item and say so: the gap filler as the
  elastomer pads between modules (row 65), holders as the polymer interconnect panels (row 58),
  end plates and bands as the row racks they replace (row 64). The coolant is not priced on its
  own (BatPaC neither: it is inside the thermal system below).
* **purchased parts** at BatPaC's reference costs ('BMS' rows 156–216), each scaled from its
  volume basis by its own exponent, cost × (basis / (count × 500,000))^(1 − p): the battery
  management unit (29 component lines, counts by the number of voltage-sense ASICs, one per 10
  cells in series), the disconnect unit (main contactors priced between BatPaC's 10 A and 600 A
  references by the current, aux and precharge contactors, precharge resistor, service
  disconnect and its fuse, charger fuse, current sensor), the interfaces between them (20 USD at
  50 A to 60 USD at 500 A), and the module electronics (sense-line fuses, temperature sensors,
  sense boards), plus the module management system (2 USD per series group + 0.03 USD/Ah a
  module, row 53); the cooling system outside the pack by the heat it rejects ('Thermal' rows
  146, 169–172: 30, 80, 120, 200 USD from 0, 500, 1,000, 3,000 W) and the 20 USD heater
  ('Vehicle Considerations' row 31) of a liquid-cooled pack.
* **the process allowance**: BatPaC's module and pack assembly at its baseline plant ('Cost
  Input' rows 243–267, 'Manufacturing Costs' rows 302–394): module assembly 170,000 h, 94 M USD
  of equipment and 27,000 m² a year for 10 M modules (exponents 0.7, 0.95, 0.95 on the module
  count); pack assembly 150,000 h, 94 M USD, 27,000 m² for 500,000 packs of 20 modules
  (exponent 0.3 on the modules a pack); two thirds of the warehouse (31,000 h, 200 M USD,
  10,000 m² for 50 GWh a year; the cells' third is the cell maker's) and the building support
  systems' capital by floor area (1,700 M USD over BatPaC's 285,183 m² plant); labour 25 USD/h,
  building 3,000 USD/m². These become a price through BatPaC's pack multipliers ('Cost Input'
  rows 112–116: they carry variable overhead, GSA, R&D, depreciation, launch, working capital,
  5 % profit on investment and the 5.6 % warranty): direct labour × 1.86648, a year's capital
  equipment × 0.253704, building × 0.153252, and materials and purchased parts (cells included)
  × 1.06656 — the last as its own line, "overhead on materials and purchased parts".

BatPaC's reference pack (100 kWh, NMC811, 20 modules) costs 110.09 USD/kWh; with BatPaC's own
cell cost and parts this model gives it back within 3 % (tests/models/test_cost.py).

All functions broadcast over numpy arrays (the synthesis grid).
"""

from __future__ import annotations

from typing import cast

import numpy as np

from battgen.models import packaging as P

J_PER_KWH = 3.6e6

# --- cells: BNEF battery price survey 2025 ------------------------------------------------------
# Volume-weighted average cell price 74 USD/kWh (pack 108 USD/kWh); by chemistry LFP 81, NMC 128
# USD/kWh at pack level (physics.md).
_CELL_AVG_2025 = 74.0
_PACK_AVG_2025 = 108.0
_PACK_LFP_2025 = 81.0
_PACK_NMC_2025 = 128.0
CELL_USD_PER_KWH = {
    "average": _CELL_AVG_2025,
    "lfp": _PACK_LFP_2025 * _CELL_AVG_2025 / _PACK_AVG_2025,  # ≈ 55.5 (derived here, not BNEF's)
    "nmc": _PACK_NMC_2025 * _CELL_AVG_2025 / _PACK_AVG_2025,  # ≈ 87.7
}
_NMC_FAMILY = {"nmc", "nmc111", "nmc532", "nmc622", "nmc811", "nca", "lmo_nmc"}
_LFP_FAMILY = {"lfp"}  # lmfp, lmo, lto: no BNEF chemistry figure → survey average


def cell_usd_per_kwh(chemistry: str) -> float:
    c = chemistry.lower()
    if c in _LFP_FAMILY:
        return CELL_USD_PER_KWH["lfp"]
    if c in _NMC_FAMILY:
        return CELL_USD_PER_KWH["nmc"]
    return CELL_USD_PER_KWH["average"]


def cell_cost(cell) -> float:
    """USD for one cell: its declared cost, else nominal energy × chemistry $/kWh."""
    if cell.cost is not None:
        return float(cell.cost)
    return cell.energy / J_PER_KWH * cell_usd_per_kwh(cell.chemistry)


# --- BatPaC 5.0 purchased materials ('Cost Input' rows 45–73) ----------------------------------
VOLUME_EXPONENT = 0.85  # row 74
PACKS_PER_YEAR = 500_000  # row 292, and Dashboard: the baseline plant
# BatPaC's baseline items per pack (rows 293–297 over 500,000 packs): rows, modules, cells
# (yield-adjusted 211 M), cell interconnects
BASELINE = {"pack": 1.0, "row": 4.0, "module": 20.0, "cell": 211e6 / PACKS_PER_YEAR, "interconnect": 540.0}
# part → (material, USD/kg, USD per item, item, 'Cost Input' row and note)
PRICES = {
    "holders": ("polymer", 2.3, 0.2, "module", "row 58, BatPaC's polymer interconnect panel"),
    "fins": ("aluminium", 2.405, 0.15, "cell", "row 48, heat conductor"),
    "busbars": ("copper", 8.72, 0.04, "interconnect", "row 57, cell interconnect"),
    "module walls": ("steel", 2.4, 0.5, "module", "row 60, module enclosure"),
    "module covers": ("steel", 2.4, 0.0, "module", "row 60, module enclosure (adder with the walls)"),
    "end plates": ("aluminium", 1.325, 0.0, "row", "row 64, the row rack whose restraint plates they replace"),
    "bands": ("aluminium", 1.325, 0.0, "row", "row 64, the row rack"),
    "interconnect boards": ("polymer", 2.3, 0.2, "module", "row 58, interconnect panel"),
    "racks": ("steel", 1.325, 1.0, "row", "row 64, row rack"),
    "cold plate": ("aluminium", 2.805, 0.5, "pack", "row 68, cooling panel adder; aluminium at the jacket's row 72"),
    "gap filler": ("elastomer", 1.0, 0.0, "pack", "row 65, elastomer pads between modules (nearest item)"),
    "enclosure frame": ("steel", 1.4, 0.0, "pack", "row 71, pack jacket steel"),
    "pack terminals": ("copper", 8.88, 0.75, "pack", "row 70, pack terminals and seals, two"),
    "fuse links": ("aluminium", 2.405, 0.0, "cell", "row 45, aluminium (the bond wire's metal)"),
}
ALUMINIUM_BUSBAR = 2.405  # USD/kg, row 45 (aluminium cell terminal): busbars of aluminium
JACKET_STEEL, JACKET_ALUMINIUM, JACKET_ADDER = 1.4, 2.805, 3.0  # rows 71–72
INSULATION_USD_PER_M2 = 3.0  # row 73
MODULE_TERMINAL = (8.64, 0.18)  # row 59: USD/kg, per terminal
GAS_RELEASE_USD = 0.5  # row 61, per module
MMS_PER_GROUP, MMS_PER_AH = 2.0, 0.03  # row 53
HEATER_USD = 20.0  # 'Vehicle Considerations' row 31 (EV)
THERMAL_SYSTEM = ((0.0, 30.0), (500.0, 80.0), (1000.0, 120.0), (3000.0, 200.0))  # 'Thermal' rows 169–172

# --- BatPaC 5.0 BMS reference costs ('BMS' rows 160–211): (USD, volume basis, p, fixed, per ASIC, offset)
BMU_PARTS = (
    (5.0, 1000, 0.9, 1, 0, 0),  # PCB
    (1.58, 5000, 0.9, 1, 0.5, 0),  # connector, 20 pin
    (1.3, 5000, 0.9, 1, 0, 0),  # connector, 16 pin
    (0.5, 1000, 0.9, 2, 0.166666, 0),  # conformal coating
    (20.2998, 500, 0.9, 1, 0, 0),  # main micro
    (0.1064, 10000, 0.9, 1, 1, 0),  # piezoelectric crystal
    (0.36855, 25000, 0.9, 1, 0, 0),  # flash memory
    (3.95, 2000, 0.9, 0, 1, 0),  # V-sense micro
    (2.95, 1000, 0.9, 0, 1, 0),  # V-sense ASIC
    (0.52467, 12500, 0.9, 4, 0, 0),  # CAN transceiver
    (0.637, 12000, 0.9, 3, 0, 0),  # common-mode choke
    (0.78008, 5000, 0.9, 0, 1, 0),  # 5 V reference, main
    (1.887, 500, 0.9, 1, 0, 0),  # 5 V reference, V-sense
    (1.09, 1000, 0.9, 0, 1, -2),  # dual isolators
    (1.581, 3000, 0.9, 0, 0.5, 0),  # single optocouplers
    (0.07983, 125000, 0.9, 0, 0.3333, 0),  # buffers
    (0.70224, 5000, 0.9, 1, 0, 0),  # Schottky diode
    (0.04389, 75000, 0.9, 26, 26, 0),  # diodes
    (0.0118, 50000, 0.9, 51, 45, 0),  # resistors 1
    (0.0118, 50000, 0.9, 51, 45, 0),  # resistors 2
    (0.319, 1000, 0.9, 8, 20, 0),  # resistors 3
    (0.03738, 100000, 0.9, 2, 1, 0),  # electrolytic capacitor
    (0.00225, 15000, 0.9, 26, 31, 0),  # ceramic capacitor 1
    (0.00975, 4000, 0.9, 25, 30, 0),  # ceramic capacitor 2
    (0.04112, 4000, 0.9, 12, 2, 0),  # ceramic capacitor 3
    (0.08374, 30000, 0.9, 14, 14, 0),  # transistors
    (0.00384, 125000, 0.9, 2, 0, 0),  # resistor jumper
)
CONTACTOR_CONTROL, BMU_ENCLOSURE = 10.0, 3.0  # rows 187–188 (the control only with main contactors)
# disconnect unit: (USD, volume basis, p) — rows 192–199; the main contactor's price from rows 215–216
CONTACTOR_10A, CONTACTOR_600A, CONTACTOR_BASIS, CONTACTOR_P = 10.0, 52.86, 200_000, 0.95
BDU_PRICES = {
    "aux_contactor": (10.0, 100, 1.0),
    "precharge_contactor": (10.0, 10_000, 0.9),
    "precharge_resistor": (4.44, 1000, 0.9),
    "service_disconnect": (1.0, 10_000, 0.9),
    "service_fuse": (10.0, 10_000, 0.9),
    "charger_fuse": (3.0, 10_000, 0.9),
    "current_sensor": (60.33, 50, 0.9),
}
INTERFACES = ((50.0, 20.0), (500.0, 60.0))  # rows 203–204: (A, USD)
SENSE_FUSE, TEMPERATURE_SENSOR, SENSE_PCB = (0.33072, 10_500, 0.9), (0.2261, 1000, 0.95), (0.5, 1, 1.0)

# --- BatPaC 5.0 assembly ('Cost Input' rows 243–267, 80–116) -------------------------------------
MODULE_ASSEMBLY = (170_000.0, 94e6, 27_000.0)  # h, USD, m² a year for 10 M modules
PACK_ASSEMBLY = (150_000.0, 94e6, 27_000.0)  # for 500,000 packs of 20 modules
WAREHOUSE = (31_000.0, 200e6, 10_000.0)  # for 50 GWh a year; two thirds to modules and packs
SUPPORT_PER_M2 = 1700e6 / 285_182.5  # USD of building-support capital per m² of plant
BASELINE_MODULES, BASELINE_MODULES_PER_PACK, BASELINE_KWH = 10e6, 20.0, 100.0
LABOUR_RATE, BUILDING_RATE = 25.0, 3000.0  # USD/h, USD/m²
MATERIAL_OVERHEAD, LABOUR_OVERHEAD, CAPITAL_OVERHEAD, BUILDING_OVERHEAD = 1.06656, 1.86648, 0.253704, 0.153252


def _scaled(adder, items, basis_items):
    """A "plus cost" at this pack's item count: adder × (BatPaC's baseline / ours)^(1 − 0.85)."""
    items = np.maximum(np.asarray(items, float), 1e-9)
    return adder * (basis_items / items) ** (1 - VOLUME_EXPONENT)


def _unit(price: float, basis: float, p: float, count):
    """BatPaC's electronics price of one of ``count`` a pack at 500,000 packs a year."""
    count = np.maximum(np.asarray(count, float), 1e-9)
    return price * (basis / (count * PACKS_PER_YEAR)) ** (1 - p)


def bms_costs(series, modules, current, voltage, module_ah, strings: int = 1):
    """(management unit + interfaces, disconnect unit, module electronics) of BatPaC's BMS, USD.
    ``current``: the module string's current the contactors and interfaces are priced by
    (BatPaC's "current carrying capacity of terminals", 'BMS' row 19), A; ``voltage``: the pack's
    nominal, V; ``module_ah``: a module's capacity; ``strings``: modules in parallel. Main contactors, their control, the precharge
    contactor, the current sensor and the interfaces only in packs of more than one module and
    50 V or more (rows 57, 61, 63, 68, 71)."""
    series, modules, current, voltage = (np.asarray(x, float) for x in (series, modules, current, voltage))
    m = np.maximum(modules, 1.0)
    asics = np.ceil(series / P.CELLS_PER_ASIC)
    switched = (m > 1) & (voltage >= 50)
    bmu: float | np.ndarray = 0.0  # an array once its first part is added
    for price, basis, p, fixed, per_asic, offset in BMU_PARTS:
        count = fixed + np.ceil(asics * per_asic - offset)
        bmu = bmu + np.where(count > 0, count * _unit(price, basis, p, count), 0.0)
    bmu = bmu + np.where(switched, CONTACTOR_CONTROL, 0.0) + BMU_ENCLOSURE
    mains = np.where(switched, np.where(voltage < 100, 1.0, 2.0), 0.0)
    by_current = CONTACTOR_10A + (CONTACTOR_600A - CONTACTOR_10A) / (600 - 10) * (current - 10)
    bdu = mains * by_current * (CONTACTOR_BASIS / np.maximum(mains, 1.0) / PACKS_PER_YEAR) ** (1 - CONTACTOR_P)
    for name, (price, basis, p) in BDU_PRICES.items():
        count = {"aux_contactor": 2.0}.get(name, 1.0)
        if name in ("precharge_contactor", "current_sensor"):
            count = np.where(switched, 1.0, 0.0)
        bdu = bdu + count * _unit(price, basis, p, np.maximum(count, 1.0))
    (a0, usd0), (a1, usd1) = INTERFACES
    interfaces = np.where(switched, usd0 + (usd1 - usd0) / (a1 - a0) * (current - a0), 0.0)
    groups = series * strings / m  # series groups in a module
    fuses = m * (groups + 1)
    sensors = m * 2 + 2
    module = (
        fuses * _unit(*SENSE_FUSE, fuses)
        + sensors * _unit(*TEMPERATURE_SENSOR, sensors)
        + m * _unit(*SENSE_PCB, m)
        + m * (MMS_PER_GROUP * groups + MMS_PER_AH * np.asarray(module_ah, float))
    )
    return bmu + interfaces, bdu, module


def thermal_system_cost(heat) -> np.ndarray:
    """BatPaC's baseline cooling system outside the pack, USD, by the heat it rejects, W."""
    heat = np.asarray(heat, float)
    out = np.full(heat.shape, THERMAL_SYSTEM[0][1])
    for threshold, usd in THERMAL_SYSTEM[1:]:
        out = np.where(heat >= threshold, usd, out)
    return out


def assembly(modules, energy_kwh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labour h, capital equipment USD, floor m²) a pack of BatPaC's module and pack assembly,
    two thirds of its warehouse and the building support for that floor, at 500,000 packs a year."""
    m = np.maximum(np.asarray(modules, float), 1.0)
    ratio_m = m * PACKS_PER_YEAR / BASELINE_MODULES
    ratio_p = m / BASELINE_MODULES_PER_PACK
    ratio_e = np.asarray(energy_kwh, float) / BASELINE_KWH
    h_m, c_m, a_m = MODULE_ASSEMBLY
    h_p, c_p, a_p = PACK_ASSEMBLY
    h_w, c_w, a_w = WAREHOUSE
    hours = h_m * ratio_m**0.7 + h_p * ratio_p**0.3 + 2 / 3 * h_w * ratio_e**0.5
    area = a_m * ratio_m**0.95 + a_p * ratio_p**0.3 + 2 / 3 * a_w * ratio_e**0.95
    capital = c_m * ratio_m**0.95 + c_p * ratio_p**0.3 + 2 / 3 * c_w * ratio_e**0.95 + SUPPORT_PER_M2 * area
    return hours / PACKS_PER_YEAR, capital / PACKS_PER_YEAR, area / PACKS_PER_YEAR


def _jacket_price(layers) -> float:
    """USD/kg of a jacket piece of ``layers`` ((density, thickness) …): BatPaC's jacket steel or
    aluminium by the layer's density, the insulation by its area (3 USD/m²)."""
    mass = cost = 0.0
    for rho, t in layers:
        kg = rho * float(np.max(t))
        cost += (
            INSULATION_USD_PER_M2
            if rho == P.INSULATION_DENSITY
            else kg * (JACKET_STEEL if rho > 5000 else JACKET_ALUMINIUM)
        )
        mass += kg
    return cost / mass if mass else 0.0


# items a part's adder is paid on, per the unit it is counted in (holders: two plates a module)
_ITEMS_PER = {"holders": 2.0, "interconnect boards": 2.0, "pack terminals": 2.0}


def part_costs(spec: P.Spec, parts, *, n, series, modules, busbar_items=None) -> dict[str, np.ndarray]:
    """USD of each mass part but the cells (``packaging.components``) at BatPaC's prices;
    ``busbar_items``: the routed busbars' count (default what routing draws: a plate a series
    step, a link a module, two terminal leads — S + M)."""
    n, series, modules = (np.asarray(x, float) for x in (n, series, modules))
    m = np.maximum(modules, 1.0)
    counts = {
        "pack": np.ones_like(n),
        "module": m,
        "cell": n,
        "row": np.where(m > 1, np.ceil(m / P.MODULES_PER_ROW), 0.0),
        "interconnect": series + m if busbar_items is None else np.asarray(busbar_items, float),
    }
    out: dict[str, np.ndarray] = {}
    for name, kg in parts.items():
        if name == "cells":
            continue
        kg = np.asarray(kg, float)
        out[name] = 0 * kg
        if name not in PRICES:
            continue
        _, per_kg, adder, unit, _ = PRICES[name]
        if name == "busbars" and spec.busbar[0] < 5000:
            per_kg = ALUMINIUM_BUSBAR
        per = _ITEMS_PER.get(name, 1.0)
        items = counts[unit] * per
        out[name] = kg * per_kg + np.where(kg > 0, items * _scaled(adder, items, BASELINE[unit] * per), 0.0)
    jacket_ = P.jacket(n * spec.cell_energy, spec.liquid, spec.enclosure)
    for name, layers in (
        ("enclosure floor", jacket_.base),
        ("enclosure lid", jacket_.top),
        ("enclosure walls", jacket_.walls),
    ):
        out[name] = np.asarray(parts[name], float) * _jacket_price(layers)
    out["enclosure floor"] = out["enclosure floor"] + JACKET_ADDER  # BatPaC's jacket steel adder (row 71)
    out["enclosure lid"] = out["enclosure lid"] + JACKET_ADDER  # and its jacket aluminium adder (row 72)
    # module electronics: the copper module terminals (row 59) and the gas release (row 61); the
    # boards are priced with the BMS's module electronics (``bms_costs``)
    copper = np.maximum(np.asarray(parts["module electronics"], float) - m * (P.SENSE_BOARD + P.GAS_RELEASE), 0.0)
    terminals = np.where(
        m > 1, copper * MODULE_TERMINAL[0] + 2 * m * _scaled(MODULE_TERMINAL[1], 2 * m, 2 * BASELINE["module"]), 0.0
    )
    out["module electronics"] = terminals + m * GAS_RELEASE_USD
    return out


def pack_costs(
    pack, parts, *, series, parallel, modules, heat=None, current=None, busbar_items=None
) -> dict[str, np.ndarray]:
    """Every cost line of a pack, USD (arrays ok over the synthesis grid): cells, each part, the
    BMS's purchased parts, the cooling system outside the pack, the assembly and the overhead on
    materials. ``parts``: ``packaging.components_for``'s masses; ``heat``: W the cooling system
    rejects (default 0: its smallest class); ``current``: the pack current (default the cells'
    continuous rating in parallel)."""
    spec = P.spec_for(pack)
    cell = pack.cell
    series, parallel, modules = (np.asarray(x, float) for x in (series, parallel, modules))
    n = series * parallel
    if current is None:
        current = cell.max_discharge_current * parallel
    module_current = np.asarray(current, float) / max(pack.strings, 1)
    out = {"cells": n * cell_cost(cell)}
    out.update(part_costs(spec, parts, n=n, series=series, modules=modules, busbar_items=busbar_items))
    module_ah = cell.capacity / 3600 * parallel / max(pack.strings, 1)
    bmu, bdu, module = bms_costs(
        series, modules, module_current, series * cell.nominal_voltage, module_ah, pack.strings
    )
    out["bms"], out["junction box"] = bmu + 0 * n, bdu + 0 * n
    out["module electronics"] = out["module electronics"] + module
    cooled = spec.liquid or spec.cooling == "air"
    out["thermal system"] = thermal_system_cost(heat if heat is not None else 0.0) * cooled + 0 * n
    out["heater"] = out["heater"] + (HEATER_USD if spec.liquid else 0.0)
    return with_process(out, modules, n * cell.energy / J_PER_KWH)


def with_process(lines: dict[str, np.ndarray], modules, energy_kwh) -> dict[str, np.ndarray]:
    """``lines`` (direct costs) with BatPaC's assembly and overhead lines added."""
    # the cells' line at least, so an array (not sum's start, 0)
    direct = cast(np.ndarray, sum(lines.values()))
    hours, capital, area = assembly(modules, energy_kwh)
    out = dict(lines)
    out["assembly labour"] = hours * LABOUR_RATE * LABOUR_OVERHEAD
    out["assembly equipment and building"] = capital * CAPITAL_OVERHEAD + area * BUILDING_RATE * BUILDING_OVERHEAD
    out["overhead on materials and purchased parts"] = direct * (MATERIAL_OVERHEAD - 1)
    return out


__all__ = [
    "CELL_USD_PER_KWH",
    "PRICES",
    "assembly",
    "bms_costs",
    "cell_cost",
    "cell_usd_per_kwh",
    "pack_costs",
    "part_costs",
    "thermal_system_cost",
    "with_process",
]
