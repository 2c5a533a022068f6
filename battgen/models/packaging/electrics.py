"""The pack's electrics in the mass model: BatPaC 5.0's BMS and disconnect unit, the pack
terminals, and the adiabatic rule that sizes BatPaC's copper conductors (the module terminals,
``models.packaging.modules``, are sized by it too).

* *BMS* and *junction box*: BatPaC's battery management system sheet ('BMS' rows 136–142):
  the management unit (40 g of board per main contactor and 20 g per voltage-sense ASIC of 10
  cells in series), the disconnect unit (two 750 g main contactors — one below 100 V, none
  below 50 V or in a one-module pack — two 180 g auxiliary contactors, a 90 g precharge
  contactor, a 185 g precharge resistor, a 150 g service disconnect with its 80 g fuse, a 24 g
  charger fuse, a 55 g current sensor; rows 192–199), +10 % and +30 % for their enclosure.
* *pack terminals* (rows 204–207, 441: two of 12 + 2 cm of copper sized at 0.04 °C/s for the pack
  current, 90 % copper).
"""

from __future__ import annotations

import math

import numpy as np

from battgen.models.packaging.materials import CU_CONDUCTIVITY, CU_SPECIFIC_HEAT, RHO_CU
from battgen.models.packaging.spec import Floats

# --- electrical (BatPaC 'BMS' rows 136–151, 192–199; 'Battery Design' rows 204–207, 441) -------
BMU_BOARD, BMU_PER_ASIC, CELLS_PER_ASIC = 0.04, 0.02, 10
BDU_PARTS = {  # kg each: main contactor, aux contactor, precharge contactor and resistor, service
    "main_contactor": 0.750,  # disconnect, its fuse, charger fuse, current sensor
    "aux_contactor": 0.180,
    "precharge_contactor": 0.090,
    "precharge_resistor": 0.185,
    "service_disconnect": 0.150,
    "service_fuse": 0.080,
    "charger_fuse": 0.024,
    "current_sensor": 0.055,
}
PACK_TERMINAL_RATE = 0.04  # K/s, row 205
PACK_TERMINAL_LENGTH = 0.12 + 0.02  # m, rows 207 and 441
PACK_TERMINAL_COPPER = 0.9  # row 441: 90 % copper, 10 % seal


def conductor_section(current: Floats, rate: float) -> np.ndarray:
    """Copper section, m², that heats adiabatically at ``rate`` K/s under ``current`` A: BatPaC's
    sizing rule (rows 167, 175, 190): A = I / √(κ·rate·c_p·ρ)."""
    return np.asarray(current, float) / math.sqrt(CU_CONDUCTIVITY * rate * CU_SPECIFIC_HEAT * RHO_CU)


def bms_mass(series: Floats, modules: Floats, voltage: Floats) -> tuple[np.ndarray, np.ndarray]:
    """(management unit and module electronics' share, disconnect unit) of BatPaC's BMS, kg, with
    their enclosure allowances ('BMS' rows 136–142). ``voltage``: the pack's nominal, V."""
    series, modules, voltage = (np.asarray(x, float) for x in (series, modules, voltage))
    switched = (modules > 1) & (voltage >= 50)  # main contactors, precharge, current sensor
    mains = np.where(switched, np.where(voltage < 100, 1.0, 2.0), 0.0)
    asics = np.ceil(series / CELLS_PER_ASIC)
    bmu = BMU_BOARD * mains + BMU_PER_ASIC * asics
    p = BDU_PARTS
    bdu = (
        mains * p["main_contactor"]
        + 2 * p["aux_contactor"]
        + np.where(switched, p["precharge_contactor"] + p["current_sensor"], 0.0)
        + p["precharge_resistor"]
        + p["service_disconnect"]
        + p["service_fuse"]
        + p["charger_fuse"]
    )
    return bmu * 1.1 * 1.3, bdu * 1.3


def pack_terminal_mass(current: Floats) -> np.ndarray:
    """Both pack terminals and seals, kg: 2 × 14 cm of copper at 0.04 °C/s, 90 % of their mass."""
    return 2 * PACK_TERMINAL_LENGTH * conductor_section(current, PACK_TERMINAL_RATE) * RHO_CU / PACK_TERMINAL_COPPER
