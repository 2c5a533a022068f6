"""Conductor sizing and creepage: how wide and thick a busbar, jumper or lead must be for its
currents, and how far apart plates at different potentials must stay.

Sizing (per conductor, at the stated thickness):

* adiabatic heating rate at peak current, ANL BatPaC (Nelson, Gallagher, Ahmed, Knehr, Dees,
  ANL/CSE-19/2, 3rd ed., 2019): J = sqrt(rate·ρ_m·c_p/ρ_e) with rate 0.4 °C/s for cell-group
  busbars, 0.2 °C/s for module interconnects, 0.04 °C/s for pack busbars (terminal leads);
* steady temperature rise at continuous current, I²ρ/A = h·perimeter·ΔT with natural
  convection h = 10 W/(m²·K) (Incropera & DeWitt, Fundamentals of Heat and Mass Transfer,
  Table 1.1: free convection of gases 2–25 W/(m²·K)) and ΔT ≤ 30 K (DIN 43671 rates busbars
  for a 30 K rise over 35 °C ambient); conduction into the cells is ignored (conservative);
* short-circuit withstand, IEC 60949: I²t ≤ (k·A)², k = K·sqrt(ln((β+θf)/(β+θi))),
  K = sqrt(σ_c·(β+20)/ρ20) (226 for copper, 148 for aluminium with IEC's constants), θi = ambient
  + 30 K, θf = 150 °C (IEC 60364-5-54 Table A.54.6, bare conductors where there is a fire risk
  — the plates sit on plastic carriers), fault current = pack OCV / pack resistance cleared by
  the pack fuse in ``SHORT_CIRCUIT_TIME``.

If the width available between the creepage gaps is too narrow for the stated thickness, the
plate is thickened to meet all three rules and a W401 warning says by how much.

Creepage (``iec60664``): IEC 60664-1:2020 Table F.5 at the pack's insulation settings
(pollution degree 2, material group III, the module's stated defaults), next row up. The
standard dimensions a creepage distance for the working voltage across it (clause 5.2):
between two plates that is the voltage of the cells between them, |Δ series position| × the
cell's maximum voltage (``Junctions.potential``; neighbouring junction plates on one face are
two cells apart, 8.4 V for NMC: the table's first row, 0.40 mm); plates to keepouts, pack
terminal leads and the bridges and jumpers that join a plate's pieces keep the distance for the
pack's maximum voltage, the larger of its creepage and its clearance (Tables F.1 and F.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from battgen.core import ir
from battgen.models.iec60664 import creepage  # noqa: F401 - re-exported: routing's creepage table

if TYPE_CHECKING:  # annotations only: routing reads the candidate synthesis chose
    from battgen.passes.synthesis import Candidate

HEATING_RATE = {"series": 0.4, "module_link": 0.2, "terminal": 0.04}  # K/s, ANL BatPaC (ANL/CSE-19/2)
CONVECTION_H = 10.0  # W/(m²·K), Incropera & DeWitt Table 1.1 (free convection, gases: 2–25)
MAX_RISE = 30.0  # K, DIN 43671 (busbar current ratings for a 30 K rise)
SHORT_CIRCUIT_TIME = 0.1  # s, pack fuse clearing time assumed for the bolted pack short (design assumption)
WITHSTAND_FINAL = 150.0 + 273.15  # K, IEC 60364-5-54 Table A.54.6 (bare conductors, fire risk)
OPERATING_RISE = 30.0  # K above ambient before the fault (IEC 60949 initial temperature)
LEAD_ASPECT = 10.0  # terminal lead width/thickness at most; DIN 43671 profiles span 12×2 … 200×10 mm


def heating_rate_density(rate: float, density: float, specific_heat: float, resistivity: float) -> float:
    """BatPaC: current density (A/m²) that heats a conductor adiabatically at ``rate`` K/s."""
    return math.sqrt(rate * density * specific_heat / resistivity)


def iec60949_beta(material: ir.Material) -> float:
    """IEC 60949 β (K): the reciprocal of the temperature coefficient of resistance at 0 °C,
    from the material's coefficient at 20 °C (copper's 0.00393/K when it states none)."""
    alpha = getattr(material, "temperature_coefficient", None) or 0.00393
    return 1.0 / alpha - 20.0


def iec60949_K(sigma_c: float, beta: float, rho20: float) -> float:
    """IEC 60949 material constant K = sqrt(σc·(β+20)/ρ20) in A·s^½/m² (226e6·… for Cu)."""
    return math.sqrt(sigma_c * (beta + 20.0) / rho20)


def withstand_k(sigma_c: float, beta: float, rho20: float, theta_i: float, theta_f: float) -> float:
    """IEC 60949 adiabatic k (A·s^½/m²) for initial and final temperatures in °C."""
    return iec60949_K(sigma_c, beta, rho20) * math.sqrt(math.log((beta + theta_f) / (beta + theta_i)))


@dataclass(frozen=True)
class Conductor:
    """The busbar stock the pack states: material and thickness."""

    material: ir.Material
    thickness: float  # m


def busbar_conductor(pack: ir.Pack) -> Conductor:
    """The pack's busbar, or 1 mm C11000 copper when it states none (or a material without a
    resistivity)."""
    if pack.busbar is None or not pack.busbar.material.resistivity:
        copper = ir.Material(
            "copper",
            "conductor",
            8960.0,
            "CRC Handbook (C11000)",
            pack.span,
            resistivity=1.72e-8,
            temperature_coefficient=0.00393,
            specific_heat=385.0,
            melting_point=1356.0,
            cost=9.5,
        )
        return Conductor(copper, 1.0e-3)
    return Conductor(pack.busbar.material, pack.busbar.thickness)


@dataclass(frozen=True)
class Duty:
    """The currents the conductors are sized for, A."""

    peak: float  # in one string's plates
    continuous: float
    pack_peak: float  # in the pack terminal leads (every string's current)
    pack_continuous: float
    short_circuit: float  # the bolted pack short: pack OCV / pack resistance
    peak_duration: float | None = None  # s, the peak load case's pulse (None: not stated)

    @classmethod
    def of(cls, candidate: Candidate) -> Duty:
        strings = max(getattr(candidate, "strings", 1), 1)
        i_pack_peak, i_pack_cont = candidate.peak_current, candidate.continuous_current
        i_sc = candidate.nominal_voltage / max(candidate.resistance, 1e-6)
        loads = getattr(candidate, "loads", None)
        duration = loads.peak.duration if loads is not None else None
        return cls(i_pack_peak / strings, i_pack_cont / strings, i_pack_peak, i_pack_cont, i_sc, duration)


@dataclass(frozen=True)
class Sizing:
    thickness: float
    width_required: float  # at ``thickness``
    notes: tuple[str, ...]
    thickened: float = 1.0  # factor applied to the stated thickness


def size_conductor(
    kind: str,
    i_peak: float,
    i_cont: float,
    i_sc: float,
    material: ir.Material,
    thickness: float,
    width: float,
    ambient: float,
) -> Sizing:
    """Width needed at ``thickness`` by the three rules, and the thickness needed if ``width`` is short."""
    rho, dens, cp = material.resistivity, material.density, material.specific_heat or 385.0
    assert rho is not None  # a conductor states its resistivity (the front end refuses one without)
    j = heating_rate_density(HEATING_RATE[kind], dens, cp, rho)
    beta = iec60949_beta(material)
    k = withstand_k(dens * cp, beta, rho, ambient - 273.15 + OPERATING_RISE, WITHSTAND_FINAL - 273.15)
    a_rate = i_peak / j
    a_sc = i_sc * math.sqrt(SHORT_CIRCUIT_TIME) / k

    def width_for(t: float) -> float:
        w_steady = 0.0
        if i_cont > 0:  # I²ρ/(w t) = h·2(w+t)·ΔT  →  w² + t·w − c = 0
            c = i_cont**2 * rho / (2 * CONVECTION_H * MAX_RISE * t)
            w_steady = (-t + math.sqrt(t * t + 4 * c)) / 2
        return max(a_rate / t, a_sc / t, w_steady)

    need = width_for(thickness)
    notes = [
        f"BatPaC {HEATING_RATE[kind]} K/s at {i_peak:.0f} A peak: ≥ {a_rate * 1e6:.1f} mm² (J = {j / 1e6:.2f} A/mm²)",
        f"IEC 60949 withstand {i_sc:.0f} A for {SHORT_CIRCUIT_TIME} s, k = {k / 1e6:.0f} A·s½/mm²: ≥ {a_sc * 1e6:.1f} mm²",
        f"steady rise ≤ {MAX_RISE:.0f} K at {i_cont:.0f} A with h = {CONVECTION_H:.0f} W/(m²·K)",
    ]
    if need <= width or width <= 0:
        return Sizing(thickness, need, tuple(notes))
    lo, hi = thickness, thickness * 2
    while width_for(hi) > width and hi < 1.0:
        lo, hi = hi, hi * 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if width_for(mid) > width else (lo, mid)
    notes.append(
        f"thickened from {thickness * 1e3:.2f} mm to {hi * 1e3:.2f} mm: only {width * 1e3:.1f} mm of width "
        "fits between the creepage gaps"
    )
    return Sizing(hi, width_for(hi), tuple(notes), hi / thickness)


def insulated_strip(
    kind: str, duty_peak: float, duty_cont: float, i_sc: float, conductor: Conductor, ambient: float
) -> tuple[Sizing, float, float]:
    """An insulated strip off the plates (terminal lead, jumper): sized at the stated thickness,
    thickened so that its width is at most ``LEAD_ASPECT`` × its thickness, and sized again.
    Returns (sizing at the final thickness, thickness, width)."""
    material, thickness = conductor.material, conductor.thickness
    s = size_conductor(kind, duty_peak, duty_cont, i_sc, material, thickness, 0.0, ambient)
    tk = max(thickness, math.sqrt(s.width_required * thickness / LEAD_ASPECT))
    s = size_conductor(kind, duty_peak, duty_cont, i_sc, material, tk, 0.0, ambient)
    return s, tk, s.width_required
