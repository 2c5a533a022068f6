"""Lifetime on the real duty: NREL BLAST-Lite's models through battgen (models.lifetime), the
duty from the load cases (models.duty, passes.lifetime), the heat stage's temperatures.

Published figures: BLAST-Lite's User Guide runs the Kokam NMC111 model on its synthetic input
(``generate_sample_data()``: 10 years, hourly, ~1 EFC a day, 20-30 °C seasons) and plots the
relative capacity (docs/source/pages/assets/synthetic_output_time_q.PNG, repository NREL/BLAST-Lite
at bae8c71): read off the figure, 0.93 after 1 year, 0.90 after 2, 0.85 after 4, 0.81 after 6;
its text says the dispatch is "a little more than 1 EFC per day".
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import build_pack

from battgen.models import duty, lifetime, lifetime_table

SMALL = """
use cells.lg.m50t

envelope box {{
    outline = rect(420 mm, 260 mm)
    height  = 100 mm
    wall    = 3 mm
}}

pack p {{
    cell             = m50t
    envelope         = box
    series           = 24
    parallel         = 8
    continuous_power >= {power}
    modules          in 1 .. 4
    cooling          = {cooling}
    dod              = {dod}
    busbar           = aluminium(thickness = 1.5 mm)
}}
"""


def _life(power="2.5 kW", cooling="cold_plate(side = bottom)", dod="80 %"):
    build = build_pack(SMALL.format(power=power, cooling=cooling, dod=dod))
    assert build.lifetime is not None, build.diagnostics
    return build


def test_blast_lite_user_guide_example_reproduced_through_battgen():
    """The published example, run by battgen's own wrapper (``lifetime.simulate``) on
    BLAST-Lite's own sample input."""
    from blast.utils import generate_sample_data

    data = generate_sample_data()
    ageing = lifetime.simulate(
        lifetime.MODELS["kokam"],
        data["Time_s"],
        data["SOC"],
        data["Temperature_C"],
        horizon=None,
        repeat=False,
    )
    published = {1: 0.93, 2: 0.90, 4: 0.85, 6: 0.81}  # read from the User Guide's figure (±0.01)
    for years, q in published.items():
        assert np.interp(years, ageing.years, ageing.q) == pytest.approx(q, abs=0.015), years
    per_day = ageing.efc[-1] / (ageing.years[-1] * 365)
    assert 1.0 < per_day < 1.3  # "a little more than 1 EFC per day"


def test_model_by_chemistry():
    assert lifetime.model_for("nmc811").name == "Nmc811_GrSi_LGM50_5Ah_Battery"
    assert lifetime.model_for("nca").name == "Nca_Gr_Panasonic3Ah_Battery"
    assert lifetime.model_for("nmc622").name == "Nmc622_Gr_DENSO50Ah_Battery"
    assert lifetime.model_for("lfp", "prismatic").name == "Lfp_Gr_250AhPrismatic"
    assert lifetime.model_for("lfp", "cylindrical").name == "Lfp_Gr_SonyMurata3Ah_Battery"
    assert lifetime.model_for("lto").name == "Nmc_Lto_10Ah_Battery"
    assert lifetime.model_for("nmc811").why == ""  # its own chemistry
    assert "stands in" in lifetime.model_for("lmo").why  # BLAST-Lite's LMO model is second life


def test_the_synthesis_screen_is_blast_lite():
    """Grid points of the screen synthesis reads, rerun through BLAST-Lite."""
    for key, d, t, r in (("lgm50", 0.5, 25.0, 0.33), ("panasonic", 0.75, 35.0, 1.0), ("lfp250", 1.0, 20.0, 0.33)):
        assert lifetime_table.efc_to_80(key, d, t, r) == pytest.approx(
            lifetime_table.simulate_point(key, d, t, r), rel=1e-3
        )


def test_the_duty_day():
    day = duty.ev_day(1.0, 0.6, 1.0, 0.5)
    assert day.swing == pytest.approx(0.6)
    assert day.efc_per_day == pytest.approx(0.6)
    assert day.drive_hours == pytest.approx(0.6)  # 0.6 of the capacity at 1 C
    assert day.charge_hours == pytest.approx(1.2)  # back at 0.5 C
    assert day.soc[0] == pytest.approx(1.0) and day.soc.min() == pytest.approx(0.4, abs=1e-9)
    slow = duty.ev_day(1.0, 0.8, 0.05, 0.05)  # cannot fit: the day is cut, and says so
    assert slow.swing < 0.8 and slow.notes


def test_cooling_lengthens_life():
    """The same pack with a cold plate and without: the uncooled pack runs hotter through the day
    (the heat stage's lumped skin-cooled pack) and keeps 80 % for fewer years."""
    cooled = _life().lifetime
    uncooled = _life(cooling="none").lifetime
    assert uncooled.hottest.temperature_mean > cooled.hottest.temperature_mean + 0.5
    assert uncooled.hottest.years_to_80 < cooled.hottest.years_to_80
    # the model is the chemistry's, and each cell's life is read from its own capacity curve
    assert cooled.model == "Nmc811_GrSi_LGM50_5Ah_Battery"
    for cell in (cooled.hottest, cooled.mean):
        years = [p[0] for p in cell.curve]
        q = [p[2] for p in cell.curve]
        assert np.interp(cell.years_to_80, years, q) == pytest.approx(0.8, abs=0.01)
    assert cooled.hottest.years_to_80 <= cooled.mean.years_to_80 + 1e-9


def test_a_harder_duty_gives_fewer_years():
    easy = _life(dod="30 %").lifetime
    hard = _life(dod="80 %").lifetime
    hotter = _life(power="3.5 kW", dod="80 %").lifetime
    assert hard.duty.efc_per_year > easy.duty.efc_per_year
    assert hard.hottest.years_to_80 < easy.hottest.years_to_80
    assert hotter.duty.drive_rate > hard.duty.drive_rate
    assert hotter.hottest.years_to_80 < hard.hottest.years_to_80


def test_cycles_are_checked_on_the_pack_as_built():
    """Synthesis screens ``cycles`` with the cells at ambient; the pack as built runs warmer, and
    the check holds it to its hottest cell's life on the duty (E710 between the two figures)."""
    build = _life()
    built = build.lifetime.hottest.efc_to_80
    screen = build.candidate.cycles
    assert screen > built  # the hottest cell runs above the ambient the screen assumes
    text = SMALL.format(power="2.5 kW", cooling="cold_plate(side = bottom)", dod="80 %")
    strict = text.replace("    dod ", f"    cycles >= {math.ceil((built + screen) / 2)}\n    dod ")
    from battgen.driver.pipeline import build_result

    result = build_result(strict, None, cad=False)
    failed = [d for d in result.diagnostics if d.code == "E710" and "cycles" in d.message]
    assert failed, [d.message for d in result.diagnostics]
    built = result.packs["p"]
    verdict = next(v for v in built.as_built.verdicts if v.name == "cycles")
    assert verdict.built == pytest.approx(built.lifetime.hottest.efc_to_80)


def test_without_blast_lite_the_build_says_so(monkeypatch):
    """W740: BLAST-Lite missing is a warning, and the build goes on without a lifetime."""
    monkeypatch.setattr(lifetime, "available", lambda: "ModuleNotFoundError: No module named 'blast'")
    build = build_pack(SMALL.format(power="2.5 kW", cooling="cold_plate(side = bottom)", dod="80 %"))
    assert build.lifetime is None
    assert any(d.code == "W740" for d in build.diagnostics)
