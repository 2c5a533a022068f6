"""Fuse links: the smallest wire bond (else necked strip of the busbar stock) that carries a
cell's (or a group's) current and opens fast when its neighbours discharge into a shorted cell.

Carrying: Preece's fusing current of a wire in air over the gG conventional fusing ratio
(continuous) and the adiabatic melting I²t (Onderdonk, written with IEC 60949 constants so it
holds for any metal) over the pulse. Opening: the same I²t at the fault current within
``FUSE_CLEARING_TIME``. ``fuse_links`` places them for the pack's ``fuse`` mode (E702 if no
geometry meets both requirements).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, TypedDict

import numpy as np

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic
from battgen.passes.routing.context import RoutingContext
from battgen.passes.routing.sizing import iec60949_beta, iec60949_K
from battgen.passes.routing.types import FuseLink

FUSE_CLEARING_TIME = 1.0  # s, design target: a cell fuse must isolate a shorted cell within 1 s
# (faster than the seconds-scale venting of a cell fed by its neighbours; no standard sets it)
FUSING_RATIO = 1.6  # IEC 60269-1: gG conventional fusing current 1.6 × rated current
PULSE_DURATION = 10.0  # s, HPPC discharge pulse (USABC/INL Battery Test Manual) when the cell gives none

# Preece (W. H. Preece, Proc. Royal Society 36 (1884) 464): I = a·d^1.5, d in inches
PREECE_A = {"copper": 10244.0, "aluminium": 7585.0}


class BondWireMetal(TypedDict):
    name: str
    resistivity: float  # ohm·m at 20 °C
    beta: float  # K
    sigma_c: float  # volumetric heat capacity, J/(m³·K)
    melting_point: float  # K
    density: float  # kg/m³


# Aluminium bond wire, IEC 60949 Table 1 constants (σc, β, ρ20) and CRC Handbook melting point.
BOND_WIRE: BondWireMetal = {
    "name": "aluminium bond wire",
    "resistivity": 2.8264e-8,
    "beta": 228.0,
    "sigma_c": 2.5e6,
    "melting_point": 933.47,
    "density": 2700.0,
}
BOND_DIAMETERS = np.round(np.arange(0.10e-3, 0.801e-3, 0.025e-3), 7)  # heavy Al bond wire 100–800 µm


def preece_current(diameter: float, a: float) -> float:
    """Preece fusing current (A) of a round wire of ``diameter`` metres."""
    return a * (diameter / 0.0254) ** 1.5


def preece_diameter(current: float, a: float) -> float:
    return 0.0254 * (current / a) ** (2.0 / 3.0)


def onderdonk_current(area_cmil: float, seconds: float, melt_c: float = 1083.0, ambient_c: float = 25.0) -> float:
    """Onderdonk's fusing current for copper (I. M. Onderdonk, in Stauffacher, 'Short-time current
    carrying capacity of copper wire', General Electric Review 31 (1928) 326)."""
    return area_cmil * math.sqrt(math.log10((melt_c - ambient_c) / (234.0 + ambient_c) + 1.0) / (33.0 * seconds))


def adiabatic_melt_i2t(
    area: float, sigma_c: float, beta: float, rho20: float, melt_c: float, ambient_c: float
) -> float:
    """I²t (A²s) that melts a conductor adiabatically — Onderdonk's equation written with IEC 60949
    constants, so it holds for any metal (for copper it reproduces Onderdonk to < 1 %)."""
    return (iec60949_K(sigma_c, beta, rho20) * area) ** 2 * math.log((beta + melt_c) / (beta + ambient_c))


def _preece_a(name: str, resistivity: float, melting_point: float) -> float:
    low = name.lower()
    if "alu" in low or low in ("al", "al1050", "al6101"):
        return PREECE_A["aluminium"]
    if "cop" in low or low.startswith("cu"):
        return PREECE_A["copper"]
    # heat balance of a wire in air: I ∝ sqrt(ΔT/ρ)·d^1.5 — scale Preece's copper constant
    return PREECE_A["copper"] * math.sqrt((melting_point - 298.15) / (1356.0 - 298.15) * 1.72e-8 / resistivity)


class _Family(NamedTuple):
    """Fuse geometries of one kind, smallest first (arrays over the sizes tried)."""

    kind: str  # "wire_bond" | "fuse_link"
    material: str
    diameter: np.ndarray  # m (0 for strips)
    width: np.ndarray  # m (0 for wires)
    thickness: np.ndarray  # m (0 for wires)
    area: np.ndarray  # m²
    resistivity: float
    beta: float
    sigma_c: float
    melting_point: float  # K
    preece_a: float


def _families(strip: ir.Material | None, strip_thickness: float) -> list[_Family]:
    """Heavy aluminium bond wires 100–800 µm; then, if the busbar stock is given, strips of it
    0.2–20 mm wide."""
    d = BOND_DIAMETERS
    out = [
        _Family(
            "wire_bond",
            BOND_WIRE["name"],
            d,
            np.zeros_like(d),
            np.zeros_like(d),
            np.pi / 4 * d**2,
            BOND_WIRE["resistivity"],
            BOND_WIRE["beta"],
            BOND_WIRE["sigma_c"],
            BOND_WIRE["melting_point"],
            PREECE_A["aluminium"],
        )
    ]
    if strip is not None and strip.resistivity and strip_thickness > 0:
        w = np.round(np.arange(0.2e-3, 20.001e-3, 0.1e-3), 7)
        area = w * strip_thickness
        mp = strip.melting_point or 1356.0
        out.append(
            _Family(
                "fuse_link",
                strip.name,
                np.zeros_like(w),
                w,
                np.full_like(w, strip_thickness),
                area,
                strip.resistivity,
                iec60949_beta(strip),
                strip.density * (strip.specific_heat or 385.0),
                mp,
                _preece_a(strip.name, strip.resistivity, mp),
            )
        )
    return out


def size_fuse(
    i_cont: float,
    i_pulse: float,
    pulse_s: float,
    ocv: float,
    r_cell: float,
    parallel: int,
    length: float,
    ambient: float,
    strip: ir.Material | None = None,
    strip_thickness: float = 0.0,
    *,
    mode: str = "per_cell",
    i_fault: float | None = None,
) -> dict | str:
    """Smallest wire bond (else strip link) that carries ``i_cont`` (Preece / FUSING_RATIO) and
    ``i_pulse`` for ``pulse_s`` (adiabatic Onderdonk) and opens within FUSE_CLEARING_TIME when the
    other P−1 cells of its group discharge into it shorted (or at ``i_fault`` if given).
    Returns the fields of a FuseLink, or a sentence saying why none works."""
    ambient_c = ambient - 273.15
    reasons = []
    for family in _families(strip, strip_thickness):
        got = _smallest(family, i_cont, i_pulse, pulse_s, ocv, r_cell, parallel, length, ambient_c, i_fault)
        if isinstance(got, dict):
            return got
        reasons.append(got)
    return "; ".join(reasons)


def _smallest(
    family: _Family,
    i_cont: float,
    i_pulse: float,
    pulse_s: float,
    ocv: float,
    r_cell: float,
    parallel: int,
    length: float,
    ambient_c: float,
    i_fault: float | None,
) -> dict | str:
    """The smallest of ``family`` that carries and opens (``size_fuse``'s terms): the fields of a
    FuseLink, or why none of them does."""
    kind, name, dia, wid, thk, area, rho, beta, sigma, melt, a = family
    r_fuse = rho * length / area
    if i_fault is not None:
        fault = np.full_like(area, i_fault)
    elif parallel >= 2:
        fault = ocv / (r_fuse + (r_cell + r_fuse) / (parallel - 1))
    else:
        fault = np.zeros_like(area)
    melt_i2t = (iec60949_K(sigma, beta, rho) * area) ** 2 * math.log((beta + melt - 273.15) / (beta + ambient_c))
    d_eq = np.sqrt(4 * area / np.pi)
    preece = a * (d_eq / 0.0254) ** 1.5
    rating = preece / FUSING_RATIO
    pulse_open = np.sqrt(melt_i2t / pulse_s)
    fusing = np.sqrt(melt_i2t / FUSE_CLEARING_TIME)
    with np.errstate(divide="ignore"):
        clearing = np.where(fault > 0, melt_i2t / np.maximum(fault, 1e-30) ** 2, np.inf)
    carry = (rating >= i_cont) & (pulse_open >= i_pulse)
    opens = clearing <= FUSE_CLEARING_TIME if (parallel >= 2 or i_fault is not None) else np.ones_like(carry)
    ok = np.flatnonzero(carry & opens)
    if ok.size:
        n = int(ok[0])
        return {
            "kind": kind,
            "material": name,
            "diameter": float(dia[n]),
            "width": float(wid[n]),
            "thickness": float(thk[n]),
            "length": length,
            "rating": float(rating[n]),
            "fusing_current": float(fusing[n]),
            "carry_margin": float(pulse_open[n] / i_pulse),
            "fault_current": float(fault[n]),
            "clearing_time": float(clearing[n]),
            "resistance": float(r_fuse[n]),
        }
    n_carry = np.flatnonzero(carry)
    if not n_carry.size:
        return (
            f"no {kind.replace('_', ' ')} up to {d_eq[-1] * 1e3:.2f} mm carries {i_cont:.1f} A "
            f"continuous and {i_pulse:.1f} A for {pulse_s:g} s"
        )
    n = int(n_carry[0])
    return (
        f"the smallest {kind.replace('_', ' ')} that carries {i_cont:.1f} A ({d_eq[n] * 1e3:.2f} mm "
        f"equivalent) needs {clearing[n]:.2g} s to open at the {fault[n]:.0f} A fault "
        f"(limit {FUSE_CLEARING_TIME:g} s)"
    )


@dataclass(frozen=True)
class Fusing:
    links: list[FuseLink]  # one per cell (per_cell), per group (per_group), none
    resistance: float  # of one link, ohm (0 without fuses)


def fuse_links(ctx: RoutingContext, ocv_pack: float, r_pack: float) -> Fusing | Diagnostic:
    """The pack's fuse links for its ``fuse`` mode: one per cell, sized for the cell's currents
    and its P−1 neighbours' fault; or one per parallel group, sized for the group's currents and
    the bolted pack short (pack OCV ``ocv_pack`` over its resistance ``r_pack``). E702 if none fits."""
    pack, layout = ctx.pack, ctx.layout
    if pack.fuse not in ("per_cell", "per_group"):
        return Fusing([], 0.0)
    cell = pack.cell
    material, thickness = ctx.conductor.material, ctx.conductor.thickness
    fspan = pack.property_spans.get("fuse", pack.span)
    if pack.fuse == "per_cell":
        got = size_fuse(
            cell.max_discharge_current,
            cell.pulse_current or cell.max_discharge_current,
            cell.pulse_duration or PULSE_DURATION,
            cell.nominal_voltage,
            cell.resistance,
            layout.parallel,
            max(5e-3, 0.3 * min(layout.pitch)),
            pack.ambient,
            material,
            thickness,
        )
    else:
        got = size_fuse(
            ctx.duty.continuous,
            ctx.duty.peak,
            cell.pulse_duration or PULSE_DURATION,
            ocv_pack,
            r_pack,
            layout.parallel,
            max(5e-3, 0.3 * min(layout.pitch)),
            pack.ambient,
            material,
            thickness,
            mode="per_group",
            i_fault=ctx.duty.short_circuit,
        )
    if isinstance(got, str):
        return Diagnostic(
            "E702",
            f"no fuse geometry meets both the carry and the fault requirement ({pack.fuse}): {got}",
            fspan,
            "change the parallel count, the cell, or use fuse = none with pack-level protection",
        )
    fused: np.ndarray | list[int]
    if pack.fuse == "per_cell":
        fused = np.arange(len(layout.cells))
    else:
        fused = [g.cells[0] for g in sorted(layout.groups, key=lambda g: g.index)]
    return Fusing([FuseLink(cell=int(c), group=layout.cells[c].group, **got) for c in fused], got["resistance"])
