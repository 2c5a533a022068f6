"""Thermal runaway of one cell: when it starts, the heat it releases and where that heat goes,
the gas it vents, and how the standard triggers it. SI inside (K, J, m³, W).

**Onset.** The surface temperature at which a cell runs away when heated: 209 °C, the lower end
of the 209-245 °C measured on 18650 cells in a linear module (Niu et al., "Thermal-runaway
propagation over a linear cylindrical battery module", Fire Technology 56(6) (2020) 2491, the
abstract: "The critical surface temperature of thermal runaway ranged from 209 °C to 245 °C").
Layered oxides (NMC, NCA, LMO, LCO). LFP and LTO: 33 K higher (estimate): the difference
between the modelled critical ambient temperatures of LFP and NCM 18650 cells, 201 °C against
168 °C (Zhao et al., J. Energy Storage 84 (2024) 110901; a model, not a measurement).

**Heat.** NREL's Battery Failure Databank (D. P. Finegan et al., J. Power Sources 597 (2024)
234106; revision 2, Feb. 2024), the 17 fully charged LG INR21700-M50 rows (open-circuit
4.16-4.19 V; shared research notes, safety.md §4.1): mean total heat 96.48 kJ of which 20.72 kJ
through the cell body, the rest leaving with the ejecta, for a cell of 18.2 Wh — per watt-hour
of the cell's energy 1.138 kJ into the body and 4.163 kJ in the ejecta. Used for every layered
oxide, scaled by the cell's nominal energy. LFP and LTO (estimates): the body heat is what
takes the cell from its onset to the 404 °C maximum measured on LFP cells (Golubkov et al.,
RSC Adv. 4 (2014) 3633, as quoted; secondary), the ejecta's the LFP/NCM523 ratio of total heat
in one heating test, 0.162 MJ against 3.147 MJ (voltcoffer.com ?p=12526, a rewrite of a
Chinese paper; secondary), times the layered oxides' per-Wh figure.

**Where the ejecta's heat goes.** The vent's jet and flame leave the cell; a neighbour takes
the share of it that it sees: its view factor from the cell (the fraction of the cell's surface
radiation that lands on it). Through a barrier it takes none. This is the model's assumption
(no measured split between neighbours was found); what it predicts is tested against Niu et
al.'s propagation time (tests/test_safety.py).

**Gas.** 1.8 L per Ah: the 5,495 cm³ largest total gas emission of an 18650 deflagration
(Lammer, Königseder & Hacker, "Holistic methodology for characterisation of the thermally
induced failure of commercially available 18650 lithium ion cells", RSC Adv. 7 (2017), the
abstract) over a cell of about 3 Ah (that cell's capacity was not read: unverified). Taken for
every chemistry (LFP vents less: a bound).

**Trigger.** GB 38031-2025 Appendix C (C.5.3.4, Table C.2; rapiddraft wiki, thermal-propagation
pages): an external heater on the trigger cell of 30-300 W below 100 Wh, 300-1,000 W to 400 Wh,
300-2,000 W to 800 Wh, over 600 W above, stopped when the cell runs away. The lowest power of
the cell's row is used: it heats longest, so its neighbours are warmest when the cell goes.
The trigger cell is one "near the center of the battery pack or one that is surrounded by other
battery cells" (C.5.3.2). The 5-minute criterion: GB 38031-2025 C.1 (no fire or explosion;
a thermal-event alarm within 5 minutes of the runaway); the observation ends when every point is
at or below 60 °C, at least 2 h (C.5.3.8).
"""

from __future__ import annotations

from functools import lru_cache

CELSIUS = 273.15
ONSET_LAYERED = CELSIUS + 209.0  # Niu et al. 2020, lower end of 209-245 °C
ONSET_SHIFT_PHOSPHATE = 201.0 - 168.0  # K, Zhao et al. 2024 (model): LFP minus NCM
BODY_PER_WH = 20.72e3 / 18.2  # J per Wh, databank M50 mean body heat / rated energy
EJECTA_PER_WH = (96.48e3 - 20.72e3) / 18.2  # J per Wh
LFP_MAX = CELSIUS + 404.0  # Golubkov et al. 2014 (secondary)
LFP_HEAT_RATIO = 0.162 / 3.147  # LFP / NCM523 total heat, one heating test (secondary)
GAS_PER_AH = 5.495e-3 / 3.0 / 3600.0  # m³ per coulomb (1.8 L/Ah; the 3 Ah is unverified)
EMISSIVITY = 0.9  # cell wrap, paint-like (Incropera & DeWitt, Table A.11: paints 0.9)
STEFAN_BOLTZMANN = 5.670374419e-8  # W/(m²·K⁴), CODATA 2018
CRITERION = 300.0  # s, GB 38031-2025 C.1: 5 minutes
END_TEMPERATURE = CELSIUS + 60.0  # C.5.3.8: observation ends at or below 60 °C
OBSERVATION = 7200.0  # s, at least 2 h (C.5.3.8)
STANDARD = "GB 38031-2025 Appendix C (5 min from the trigger cell's runaway)"
# Table C.2: (energy upper bound Wh, lowest and highest heater power W; the last row states only
# "> 600 W": its highest is taken as the row below's 2,000 W)
HEATER = ((100.0, 30.0, 300.0), (400.0, 300.0, 1000.0), (800.0, 300.0, 2000.0), (float("inf"), 600.0, 2000.0))
_PHOSPHATE = {"lfp", "lto", "lmfp"}

# Air's conductivity, W/(m·K), by temperature, K (Incropera & DeWitt, Table A.4, 1 atm)
AIR_CONDUCTIVITY = (
    (300.0, 0.0263),
    (400.0, 0.0338),
    (500.0, 0.0407),
    (600.0, 0.0469),
    (700.0, 0.0524),
    (800.0, 0.0573),
    (1000.0, 0.0667),
)


def onset(chemistry: str) -> float:
    """The runaway onset (critical surface) temperature, K."""
    shift = ONSET_SHIFT_PHOSPHATE if chemistry.lower() in _PHOSPHATE else 0.0
    return ONSET_LAYERED + shift


def heat(chemistry: str, energy_wh: float, mass: float, specific_heat: float) -> tuple[float, float]:
    """(heat into the cell body, heat leaving with the ejecta), J, of one cell's runaway."""
    if chemistry.lower() in _PHOSPHATE:
        body = mass * specific_heat * max(LFP_MAX - onset(chemistry), 0.0)
        return body, LFP_HEAT_RATIO * EJECTA_PER_WH * energy_wh
    return BODY_PER_WH * energy_wh, EJECTA_PER_WH * energy_wh


def heater_power(energy_wh: float) -> float:
    """The lowest heater power of GB 38031-2025 Table C.2 for a cell of ``energy_wh``, W."""
    return next(low for bound, low, _ in HEATER if energy_wh < bound)


def heater_power_max(energy_wh: float) -> float:
    """The highest heater power of the same row, W."""
    return next(high for bound, _, high in HEATER if energy_wh < bound)


def gas_volume(capacity_coulomb: float) -> float:
    """Vent gas of one cell's runaway, m³ at ambient conditions."""
    return GAS_PER_AH * capacity_coulomb


def air_conductivity(temperature):
    """Air's thermal conductivity, W/(m·K), at ``temperature`` K (array ok)."""
    import numpy as np

    t, k = _air_table()
    return np.interp(temperature, t, k)


@lru_cache(maxsize=1)
def _air_table():
    """``AIR_CONDUCTIVITY`` as two arrays (the propagation asks at every time step)."""
    import numpy as np

    t, k = zip(*AIR_CONDUCTIVITY)
    return np.array(t), np.array(k)
