"""Fuse links as conduction-cooled fins (``passes.routing.fuses``), against the laws and
figures the model must reproduce: Kohlrausch's melting voltage (Wiedemann–Franz), the classic
short-link and long-wire limits and Preece's d^1.5 law, IEC 60949's adiabatic melting I²t,
and the issue's 5.7 mm bond. No measured fusing current against length for heavy aluminium
bond wires was found to test against (/work/research/models.md §5.2)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from battgen.passes import routing as R
from battgen.passes.routing.fuses import BOND_WIRE, FinLink, FuseDuty, size_fuse

AL = BOND_WIRE
T25 = 298.15
AL_MELT = AL["melting_point"]


def al_wire(d: float, length: float, h: float = 0.0, end: float = T25) -> FinLink:
    """An aluminium bond wire with IEC 60949's constants (linear resistivity), k = 237."""
    return FinLink(
        length,
        math.pi / 4 * d**2,
        math.pi * d,
        AL["resistivity"],
        AL["beta"],
        AL["sigma_c"],
        237.0,
        AL_MELT,
        end,
        T25,
        h,
    )


def constant_rho_wire(d: float, length: float, rho: float, k: float, h: float) -> FinLink:
    """A wire whose resistivity does not change with temperature (β → ∞): the textbook fin."""
    return FinLink(length, math.pi / 4 * d**2, math.pi * d, rho, 1e9, 2.5e6, k, 1e4, T25, T25, h)


# --- the model against independent laws --------------------------------------------------------


@pytest.mark.parametrize("d, length", [(0.2e-3, 3e-3), (0.3e-3, 5e-3), (0.6e-3, 12e-3)])
def test_melting_voltage_matches_kohlrausch_for_aluminium(d, length):
    """With k·ρ = L0·T (Wiedemann–Franz) a conductor held at T0 at both ends melts at
    V = 2·√(L0·(Tm² − T0²)) across it, whatever its shape: 0.276 V for aluminium from 25 °C
    (models.md §5.1). The fin uses IEC 60949's linear resistivity and a constant k instead; the
    two must agree to a few per cent, and the fin's voltage must not depend on the geometry."""
    wire = al_wire(d, length)
    melt = wire.steady_current(AL_MELT)
    assert wire.peak(melt) == pytest.approx(AL_MELT, abs=1e-6)
    assert R.melting_voltage(AL_MELT, T25) == pytest.approx(0.276, abs=5e-4)
    assert float(wire.voltage(melt)) == pytest.approx(R.melting_voltage(AL_MELT, T25), rel=0.03)


def test_melting_voltage_matches_kohlrausch_for_copper():
    """Copper (IEC 60949: ρ20 17.241 nΩ·m, β 234.5 K, σc 3.45 MJ/(m³·K); k 394 W/(m·K), CDA):
    0.414 V by Wiedemann–Franz from 25 °C (models.md §5.1)."""
    copper = FinLink(5e-3, 1e-7, 1.3e-3, 1.7241e-8, 234.5, 3.45e6, 394.0, 1356.15, T25, T25, 0.0)
    melt = copper.steady_current(1356.15)
    assert R.melting_voltage(1356.15, T25) == pytest.approx(0.414, abs=1e-3)
    assert float(copper.voltage(melt)) == pytest.approx(R.melting_voltage(1356.15, T25), rel=0.03)


def test_a_conduction_cooled_links_resistance_is_set_by_its_fusing_current():
    """The corollary: R(20 °C)·I_fuse is the same for every length and diameter (≈ 0.1 V for
    aluminium from 25 °C: 2·arccos((β+25)/(β+θm))·√(k·ρ20·(β+20))), so a link that must open
    at a given current costs the same loss whatever its shape."""
    products = []
    for d, length in [(0.15e-3, 4e-3), (0.25e-3, 6e-3), (0.5e-3, 10e-3)]:
        wire = al_wire(d, length)
        products.append(float(wire.resistance(293.15) * wire.steady_current(AL_MELT)))
    assert np.ptp(products) < 1e-9 and products[0] == pytest.approx(0.1045, rel=0.01)


def test_textbook_fin_check_values():
    """models.md §5.1, constant properties (ρ 26.5 nΩ·m, k 237 W/(m·K), h 10 W/(m²·K)): a
    400 µm × 10 mm wire at 20 A rises 35.25 K at mid-span (35.40 K with no convection, the
    short-link limit I²ρL²/(8kA²)); 1 m of it rises 6712 K, the long-wire limit I²ρ/(h·P·A)."""
    short = constant_rho_wire(0.4e-3, 10e-3, 2.65e-8, 237.0, 10.0)
    assert float(short.peak(20.0)) - T25 == pytest.approx(35.25, abs=0.01)
    bare = constant_rho_wire(0.4e-3, 10e-3, 2.65e-8, 237.0, 0.0)
    area = math.pi / 4 * 0.4e-3**2
    assert float(bare.peak(20.0)) - T25 == pytest.approx(20.0**2 * 2.65e-8 * 10e-3**2 / (8 * 237.0 * area**2), rel=1e-6)
    assert float(bare.peak(20.0)) - T25 == pytest.approx(35.40, abs=0.01)
    long = constant_rho_wire(0.4e-3, 1.0, 2.65e-8, 237.0, 10.0)
    assert float(long.peak(20.0)) - T25 == pytest.approx(6712.5, abs=0.5)


def test_long_wires_follow_preeces_d_to_the_1_5():
    """In air and far from its ends a wire's fusing current grows as d^1.5 (Preece, Proc. R.
    Soc. 36 (1884) 464): the fin's long-wire limit. Short links instead fuse at I ∝ d²/L."""
    d = np.array([0.2e-3, 0.4e-3, 0.8e-3])
    long = [float(al_wire(x, 2.0, h=10.0).steady_current(AL_MELT)) for x in d]
    assert np.polyfit(np.log(d), np.log(long), 1)[0] == pytest.approx(1.5, abs=0.01)
    short = [float(al_wire(x, 5e-3, h=10.0).steady_current(AL_MELT)) for x in d]
    assert np.polyfit(np.log(d), np.log(short), 1)[0] == pytest.approx(2.0, abs=0.01)


def test_the_issues_bond_rises_1_3_kelvin():
    """Issue 14: 'A 5.7 mm bond cooled at both ends rises 1.3 K at 14.55 A' (the 600 µm wire
    the Preece sizing chose for the sedan)."""
    wire = al_wire(0.6e-3, 5.74e-3, h=10.0)
    assert float(wire.peak(14.55)) - T25 == pytest.approx(1.3, abs=0.05)


# --- the transient -------------------------------------------------------------------------------


def test_short_times_are_iec_60949_adiabatic():
    """Far from its ends, for t ≪ τ, the link heats as IEC 60949's adiabatic conductor: the
    Fourier series tends to u_end·exp(J²ρ20·t/(σc·(β+20))), and melting takes
    (K·A/I)²·ln((β+θm)/(β+θi)) with K = 148 A·s½/mm² for aluminium."""
    wire = al_wire(0.6e-3, 5.74e-3, h=10.0)
    j = 300.0 / (math.pi / 4 * 0.6e-3**2)
    for t in (1e-5, 1e-4):
        adiabatic = (AL["beta"] + 25.0) * math.exp(j**2 * AL["resistivity"] * t / (AL["sigma_c"] * 248.0))
        assert float(wire.peak_after(300.0, t, modes=20000)) - 273.15 + AL["beta"] == pytest.approx(adiabatic, rel=1e-6)
    i2t = R.adiabatic_melt_i2t(math.pi / 4 * 0.6e-3**2, AL["sigma_c"], AL["beta"], AL["resistivity"], 660.32, 25.0)
    assert float(wire.adiabatic_time(AL_MELT, 3000.0)) == pytest.approx(i2t / 3000.0**2, rel=1e-9)
    t, adiabatic = wire.time_to(AL_MELT, 3000.0)
    assert bool(adiabatic) and float(t) == pytest.approx(i2t / 3000.0**2, rel=1e-9)


def test_cooling_only_delays_melting():
    """The fin takes longer than the adiabatic I²t (its ends and the air take heat away), tends
    to it as the current grows, and never melts below its minimum fusing current."""
    wire = al_wire(0.25e-3, 5.74e-3, h=10.0)
    fusing = float(wire.steady_current(AL_MELT))
    currents = fusing * np.array([1.05, 1.5, 3.0, 10.0, 30.0])
    t, _ = wire.time_to(AL_MELT, currents)
    ratio = t / wire.adiabatic_time(AL_MELT, currents)
    assert np.all(ratio >= 1 - 1e-9) and np.all(np.diff(ratio) <= 0) and ratio[-1] < 1.01
    assert ratio[0] > 2  # near the minimum fusing current the ends carry most of the heat
    assert np.isinf(wire.time_to(AL_MELT, 0.99 * fusing)[0])
    # the series settles on the closed-form steady state
    assert float(wire.peak_after(0.9 * fusing, 100 * float(wire.time_constant))) == pytest.approx(
        float(wire.peak(0.9 * fusing)), rel=1e-6
    )


# --- sizing ----------------------------------------------------------------------------------


def test_sedan_link_carries_the_m50t_and_opens_the_soft_short():
    """The sedan's duty (M50T: 14.55 A continuous and for the 10 s pulse; 49 in parallel):
    the least-resistance link that carries it with its hot spot at 150 °C or below and melts
    within 1 s when a 0.1 ohm internal short draws its 48 neighbours' current through it."""
    got = size_fuse(FuseDuty(14.55, 14.55, 10.0, 3.63, 0.025, 49), 5.74e-3, T25)
    assert isinstance(got, dict), got
    assert got["kind"] == "wire_bond" and got["diameter"] == pytest.approx(0.25e-3)
    assert got["rating"] >= 14.55 and got["carry_margin"] >= 1.0 and got["hot_spot"] <= R.CARRY_LIMIT
    assert 14.55 / 0.6 < got["fusing_current"] < got["fault_current"]
    assert got["clearing_time"] <= R.FUSE_CLEARING_TIME and got["opening"] == "fin"
    assert got["max_short"] >= R.INTERNAL_SHORT_RESISTANCE
    # the next wire up would not open: the choice is the largest that still does
    bigger = al_wire(0.275e-3, 5.74e-3, h=10.0, end=T25 + R.OPERATING_RISE)
    r_hot = float(bigger.resistance(AL_MELT))
    fault = 3.63 / (0.1 + r_hot + (0.025 + r_hot) / 48)
    assert float(bigger.time_to(AL_MELT, fault)[0]) > R.FUSE_CLEARING_TIME


def test_no_neighbours_no_fault():
    """A cell alone in its group has no neighbours to feed a short: the link only carries."""
    got = size_fuse(FuseDuty(14.55, 14.55, 10.0, 3.63, 0.025, 1), 5.74e-3, T25)
    assert isinstance(got, dict) and got["fault_current"] == 0.0 and math.isinf(got["clearing_time"])
    assert got["short_resistance"] == 0.0 and got["max_short"] is None


# --- the same answers, computed once ----------------------------------------------------------


def test_each_size_is_answered_as_if_alone():
    """The bisections and the transient go element by element: a family of sizes answers each
    size as that size alone would, to the bit, whichever sizes stand beside it (``_smallest``
    finds the steady currents at two temperatures in one bisection and takes a chosen size's
    from its family's, and ``time_to`` computes the transient only for the sizes that need it)."""
    d = np.array([0.15e-3, 0.2e-3, 0.3e-3, 0.5e-3])
    family = al_wire(d, 5e-3, h=10.0, end=T25 + R.OPERATING_RISE)
    fault = np.array([80.0, 60.0, 400.0, 30.0])  # adiabatic, fin, adiabatic, never (below fusing)
    rating, fusing = family.steady_current(R.CARRY_LIMIT), family.steady_current(AL_MELT)
    together = family.steady_currents((R.CARRY_LIMIT, AL_MELT))
    assert np.array_equal(together[0], rating) and np.array_equal(together[1], fusing)
    hot = al_wire(d, 5e-3, h=10.0, end=R.CARRY_LIMIT + 5.0)  # ends past the limit: no current carries
    assert [list(c) for c in hot.steady_currents((R.CARRY_LIMIT, AL_MELT))] == [
        list(hot.steady_current(R.CARRY_LIMIT)),
        list(hot.steady_current(AL_MELT)),
    ]
    assert not hot.steady_current(R.CARRY_LIMIT).any() and hot.steady_current(AL_MELT).all()
    times, adiabatic = family.time_to(AL_MELT, fault)
    assert list(adiabatic) == [True, False, True, False] and math.isinf(times[3])
    for k in range(len(d)):
        one = al_wire(d[k], 5e-3, h=10.0, end=T25 + R.OPERATING_RISE)
        assert one.steady_current(R.CARRY_LIMIT) == rating[k] and one.steady_current(AL_MELT) == fusing[k]
        alone = one.time_to(AL_MELT, fault[k])
        assert (alone[0], alone[1]) == (times[k], adiabatic[k])
        for known in (None, fusing[k : k + 1]):
            assert one.current_for_time(AL_MELT, 1.0, known) == al_wire(
                d[k], 5e-3, h=10.0, end=T25 + R.OPERATING_RISE
            ).current_for_time(AL_MELT, 1.0)
        assert one.pulse_current(R.CARRY_LIMIT, 10.0, 2.0, rating[k : k + 1]) == one.pulse_current(
            R.CARRY_LIMIT, 10.0, 2.0
        )


def test_every_link_of_a_pack_is_the_links_own_record():
    """``fuse_links`` copies one size's fields into each cell's link instead of calling the
    frozen dataclass's ``__init__`` 7,104 times: the copies equal, hash and pickle as the
    constructed links do, and stay frozen."""
    import dataclasses
    import pickle

    from battgen.core.records import records
    from battgen.passes.routing.types import FuseLink

    got = size_fuse(FuseDuty(14.55, 14.55, 10.0, 3.63, 0.025, 49), 5.74e-3, T25)
    assert isinstance(got, dict)
    places = [(c, c // 3) for c in range(12)]
    made = [FuseLink(cell=c, group=g, **got) for c, g in places]
    copied = records(FuseLink, ({"cell": c, "group": g} for c, g in places), got)
    assert copied == made and [hash(f) for f in copied] == [hash(f) for f in made]
    assert pickle.dumps(copied) == pickle.dumps(made)
    assert [dataclasses.asdict(f) for f in copied] == [dataclasses.asdict(f) for f in made]
    with pytest.raises(dataclasses.FrozenInstanceError):
        copied[0].cell = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        records(FuseLink, ({"cell": c, "group": g} for c, g in places), {**got, "colour": "red"})
