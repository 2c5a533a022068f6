"""Routing: busbar plates, pack terminal leads, fuse links and the solved resistor network.

``route(pack, layout, candidate) -> Routing | Diagnostic`` reads only ``layout_types`` and the
IR; ``routing_stage`` is the pipeline's door (sets ``build.routing``).

Geometry (shapely). Every cell terminal is a point on a face ("top"/"bottom" per layer).
Each terminal has one *owner* (``Junctions``; per string when there are parallel strings):
series junction k joins group k's − terminals and group k+1's
+ terminals (they lie on the same face because standing cylinders alternate polarity per
group); the pack + plate owns group 0's + terminals, the pack − plate group S−1's − terminals.
The plane of each face is split by the Voronoi diagram of its terminals; an owner's plate is the
union of its terminals' Voronoi cells (each clipped to a disc of 0.75 × the larger pitch, so the
union is the buffered terminal discs plus the bridge between them). Along the edge it shares
with another owner's region a plate is cut back by half the creepage distance for the working
voltage between the two (a plate near another it does not touch keeps the whole distance from
that one's region), and its outer edge by half the distance for the pack voltage. Plates of
different owners are therefore at least the creepage distance for the voltage between them
apart, and the terminal contact areas (discs of ``terminal_radius``) of other owners are at least
that far from every plate. Plates that fall apart (groups not adjacent, e.g. across a module
gap) are bridged by the convex hull of the pieces clipped to the free area; if that fails the
result is E701. Pack terminal leads run from the terminal plates to the envelope wall on an
insulated carrier above the plates: shortest path (networkx, Dijkstra) over a grid of the free
floor (envelope minus keepouts, kept ``clearance`` + half the lead width away), then smoothed
by dropping every vertex whose neighbours see each other.

Creepage: IEC 60664-1:2020 Table F.5, pollution degree 2, material group III (plastic carriers
with CTI < 400, the conservative case), next row up. The standard dimensions a creepage distance
for the working voltage across it (clause 5.2): between two plates that is the voltage of the
cells between them, |Δ series position| × the cell's maximum voltage (``Junctions.potential``;
neighbouring junction plates on one face are two cells apart, 8.4 V for NMC, the table's first
row); plates to keepouts and the enclosure, pack terminal leads and the bridges and jumpers
that join a plate's pieces keep the distance for the pack's maximum voltage. Values are from
that table as commonly reproduced; check against the standard before certification.

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

Fuses: see ``size_fuse``. Network: see ``Network`` and ``ladder_network``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.core.outcome import Outcome
from battgen.passes.layout.types import Layout, Placement
from battgen.passes.routing_types import Busbar, FuseLink, NetworkSolution, Routing

# --- constants and their sources -------------------------------------------------------------

HEATING_RATE = {"series": 0.4, "module_link": 0.2, "terminal": 0.04}  # K/s, ANL BatPaC (ANL/CSE-19/2)
CONVECTION_H = 10.0  # W/(m²·K), Incropera & DeWitt Table 1.1 (free convection, gases: 2–25)
MAX_RISE = 30.0  # K, DIN 43671 (busbar current ratings for a 30 K rise)
SHORT_CIRCUIT_TIME = 0.1  # s, pack fuse clearing time assumed for the bolted pack short (design assumption)
WITHSTAND_FINAL = 150.0 + 273.15  # K, IEC 60364-5-54 Table A.54.6 (bare conductors, fire risk)
OPERATING_RISE = 30.0  # K above ambient before the fault (IEC 60949 initial temperature)
LEAD_ASPECT = 10.0  # terminal lead width/thickness at most; DIN 43671 profiles span 12×2 … 200×10 mm
FUSE_CLEARING_TIME = 1.0  # s, design target: a cell fuse must isolate a shorted cell within 1 s
# (faster than the seconds-scale venting of a cell fed by its neighbours; no standard sets it)
FUSING_RATIO = 1.6  # IEC 60269-1: gG conventional fusing current 1.6 × rated current
PULSE_DURATION = 10.0  # s, HPPC discharge pulse (USABC/INL Battery Test Manual) when the cell gives none
CELL_TERMINAL_FRACTION = 0.25  # cylindrical: contact (weld) disc radius / cell diameter
COVER = 0.75  # plate extent around each terminal, × the larger lattice pitch
GRID = 1e-7  # m, snap-rounding grid of the plate geometry (robust overlays on near-degenerate Voronoi cells)

# IEC 60664-1:2020 Table F.5, creepage (mm) for pollution degree 2, material group III
CREEPAGE_TABLE = (
    (50, 1.2),
    (63, 1.25),
    (80, 1.3),
    (100, 1.4),
    (125, 1.5),
    (160, 1.6),
    (200, 2.0),
    (250, 2.5),
    (320, 3.2),
    (400, 4.0),
    (500, 5.0),
    (630, 6.3),
    (800, 8.0),
    (1000, 10.0),
    (1250, 12.5),
    (1600, 16.0),
)

# Preece (W. H. Preece, Proc. Royal Society 36 (1884) 464): I = a·d^1.5, d in inches
PREECE_A = {"copper": 10244.0, "aluminium": 7585.0}

# Aluminium bond wire, IEC 60949 Table 1 constants (σc, β, ρ20) and CRC Handbook melting point.
BOND_WIRE = {
    "name": "aluminium bond wire",
    "resistivity": 2.8264e-8,
    "beta": 228.0,
    "sigma_c": 2.5e6,
    "melting_point": 933.47,
    "density": 2700.0,
}
BOND_DIAMETERS = np.round(np.arange(0.10e-3, 0.801e-3, 0.025e-3), 7)  # heavy Al bond wire 100–800 µm


# --- conductor physics -----------------------------------------------------------------------


def creepage(voltage: float) -> float:
    """IEC 60664-1 Table F.5 (PD2, material group III) creepage in metres for a working voltage."""
    for v, mm in CREEPAGE_TABLE:
        if voltage <= v:
            return mm * 1e-3
    return CREEPAGE_TABLE[-1][1] * 1e-3 * voltage / CREEPAGE_TABLE[-1][0]


def heating_rate_density(rate: float, density: float, specific_heat: float, resistivity: float) -> float:
    """BatPaC: current density (A/m²) that heats a conductor adiabatically at ``rate`` K/s."""
    return math.sqrt(rate * density * specific_heat / resistivity)


def _beta(material) -> float:
    alpha = getattr(material, "temperature_coefficient", None) or 0.00393
    return 1.0 / alpha - 20.0


def iec60949_K(sigma_c: float, beta: float, rho20: float) -> float:
    """IEC 60949 material constant K = sqrt(σc·(β+20)/ρ20) in A·s^½/m² (226e6·… for Cu)."""
    return math.sqrt(sigma_c * (beta + 20.0) / rho20)


def withstand_k(sigma_c: float, beta: float, rho20: float, theta_i: float, theta_f: float) -> float:
    """IEC 60949 adiabatic k (A·s^½/m²) for initial and final temperatures in °C."""
    return iec60949_K(sigma_c, beta, rho20) * math.sqrt(math.log((beta + theta_f) / (beta + theta_i)))


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
    j = heating_rate_density(HEATING_RATE[kind], dens, cp, rho)
    beta = _beta(material)
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


# --- fuses -----------------------------------------------------------------------------------


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
    options = []
    d = BOND_DIAMETERS
    options.append(
        (
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
    )
    if strip is not None and strip.resistivity and strip_thickness > 0:
        w = np.round(np.arange(0.2e-3, 20.001e-3, 0.1e-3), 7)
        area = w * strip_thickness
        mp = strip.melting_point or 1356.0
        options.append(
            (
                "fuse_link",
                strip.name,
                np.zeros_like(w),
                w,
                np.full_like(w, strip_thickness),
                area,
                strip.resistivity,
                _beta(strip),
                strip.density * (strip.specific_heat or 385.0),
                mp,
                _preece_a(strip.name, strip.resistivity, mp),
            )
        )
    reasons = []
    for kind, name, dia, wid, thk, area, rho, beta, sigma, melt, a in options:
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
            reasons.append(
                f"no {kind.replace('_', ' ')} up to {d_eq[-1] * 1e3:.2f} mm carries {i_cont:.1f} A "
                f"continuous and {i_pulse:.1f} A for {pulse_s:g} s"
            )
        else:
            n = int(n_carry[0])
            reasons.append(
                f"the smallest {kind.replace('_', ' ')} that carries {i_cont:.1f} A ({d_eq[n] * 1e3:.2f} mm "
                f"equivalent) needs {clearing[n]:.2g} s to open at the {fault[n]:.0f} A fault "
                f"(limit {FUSE_CLEARING_TIME:g} s)"
            )
    return "; ".join(reasons)


# --- the network -----------------------------------------------------------------------------


@dataclass
class Network:
    """A resistor network with cells (OCV in series with R) between node pairs.

    Resistors: ``r_a``, ``r_b``, ``r_val``, ``r_kind`` (0 busbar plate or lead, 1 fuse, 2 other).
    Cells: ``cell_neg``, ``cell_pos``, ``cell_ocv``, ``cell_r``, ``cell_group``.
    The external load draws the pack current out of ``pos`` and returns it into ``neg``.
    """

    n_nodes: int
    r_a: np.ndarray
    r_b: np.ndarray
    r_val: np.ndarray
    r_kind: np.ndarray
    cell_neg: np.ndarray
    cell_pos: np.ndarray
    cell_ocv: np.ndarray
    cell_r: np.ndarray
    cell_group: np.ndarray
    pos: int
    neg: int
    _solver: object = field(default=None, repr=False)

    def factor(self):
        """Factorise the conductance matrix once (the negative terminal is ground); cache the
        OCV-only and unit-current solutions so every later ``voltages(I)`` is a vector sum."""
        import scipy.sparse as sp
        from scipy.sparse.linalg import splu

        if self._solver is not None:
            return self._solver
        g_r = 1.0 / self.r_val
        g_c = 1.0 / self.cell_r
        a = np.concatenate([self.r_a, self.cell_neg])
        b = np.concatenate([self.r_b, self.cell_pos])
        g = np.concatenate([g_r, g_c])
        rows = np.concatenate([a, b, a, b])
        cols = np.concatenate([a, b, b, a])
        vals = np.concatenate([g, g, -g, -g])
        n = self.n_nodes
        keep = np.zeros(n, dtype=bool)  # nodes no element touches are left out
        keep[np.concatenate([a, b, [self.pos]])] = True
        keep[self.neg] = False
        index = np.cumsum(keep) - 1
        mask = keep[rows] & keep[cols]
        G = sp.csc_matrix((vals[mask], (index[rows[mask]], index[cols[mask]])), shape=(int(keep.sum()),) * 2)
        # symmetric positive definite: minimum-degree ordering on A+Aᵀ, no pivoting (≈ 2.5× faster
        # than the default COLAMD on these ladders)
        lu = splu(G, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
        # right-hand sides: Norton sources of the cells, and 1 A drawn from + into −
        rhs = np.zeros((n, 2))
        src = self.cell_ocv * g_c
        rhs[:, 0] = np.bincount(self.cell_pos, src, n) - np.bincount(self.cell_neg, src, n)
        rhs[self.pos, 1] -= 1.0
        rhs[self.neg, 1] += 1.0
        x = lu.solve(np.ascontiguousarray(rhs[keep]))
        full = np.zeros((n, 2))
        full[keep] = x
        self._solver = (lu, keep, full[:, 0].copy(), full[:, 1].copy())
        return self._solver

    def voltages(self, current: float) -> np.ndarray:
        _, _, v_ocv, v_unit = self.factor()
        return v_ocv + current * v_unit

    def solve_fresh(self, current: float) -> np.ndarray:
        """Factorise and solve from scratch (what the benchmark times)."""
        self._solver = None
        return self.voltages(current)

    @property
    def resistance(self) -> float:
        _, _, _, v_unit = self.factor()
        return -(v_unit[self.pos] - v_unit[self.neg])

    def cell_currents(self, v: np.ndarray) -> np.ndarray:
        return (self.cell_ocv - (v[self.cell_pos] - v[self.cell_neg])) / self.cell_r

    def solution(self, current: float) -> NetworkSolution:
        v = self.voltages(current)
        i = self.cell_currents(v)
        drop = v[self.r_a] - v[self.r_b]
        loss = drop**2 / self.r_val
        groups = int(self.cell_group.max()) + 1 if self.cell_group.size else 0
        gmax = np.full(groups, -np.inf)
        gmin = np.full(groups, np.inf)
        np.maximum.at(gmax, self.cell_group, i)
        np.minimum.at(gmin, self.cell_group, i)
        gmean = np.bincount(self.cell_group, weights=i, minlength=groups) / np.maximum(
            np.bincount(self.cell_group, minlength=groups), 1
        )
        worst = int(np.argmax(np.abs(i))) if i.size else 0
        return NetworkSolution(
            pack_current=float(current),
            cell_currents=tuple(float(x) for x in i),
            group_max=tuple(float(x) for x in gmax),
            group_min=tuple(float(x) for x in gmin),
            group_mean=tuple(float(x) for x in gmean),
            worst_cell=worst,
            worst_current=float(i[worst]) if i.size else 0.0,
            busbar_loss=float(loss[self.r_kind == 0].sum()),
            fuse_loss=float(loss[self.r_kind == 1].sum()),
            cell_loss=float((i**2 * self.cell_r).sum()),
            pack_resistance=float(self.resistance),
            terminal_voltage=float(v[self.pos] - v[self.neg]),
        )


def ladder_network(Ns: int, Np: int, Ri: float, Rc: float, Rb: float, Rt: float, V: float = 4.2) -> Network:
    """liionpack 0.4.0 ``setup_circuit(Np, Ns, Ri, Rc, Rb, Rt, V=V, configuration="series-groups")``
    with ``terminals="left"``, node for node: a grid of 3·Ns+1 rows × Np columns; down every column
    Rc (weld), then the cell (V in series with Ri), repeated Ns times; Rb between neighbouring
    columns on rows 0, 3, 6, …, 3·Ns; the load attached to column 0 of the top row (+) and of
    row 0 (−) through Rt each. Cell index k·Np + j (series group k from the negative end)."""
    rows = 3 * Ns + 1
    node = np.arange(rows * Np).reshape(rows, Np)
    pos, neg = rows * Np, rows * Np + 1
    ra, rb, rv = [], [], []
    k = np.arange(Ns)
    # Rc down each column: row 3k → 3k+1
    ra.append(node[3 * k].ravel())
    rb.append(node[3 * k + 1].ravel())
    rv.append(np.full(Ns * Np, Rc))
    bus = node[0::3]  # rows 0, 3, …, 3Ns
    ra.append(bus[:, :-1].ravel())
    rb.append(bus[:, 1:].ravel())
    rv.append(np.full(bus[:, 1:].size, Rb))
    ra.append(np.array([node[-1, 0], neg]))
    rb.append(np.array([pos, node[0, 0]]))
    rv.append(np.array([Rt, Rt]))
    r_a, r_b, r_val = np.concatenate(ra), np.concatenate(rb), np.concatenate(rv)
    kind = np.concatenate([np.full(Ns * Np, 2), np.zeros(bus[:, 1:].size + 2, dtype=int)])
    return Network(
        rows * Np + 2,
        r_a,
        r_b,
        r_val,
        kind,
        cell_neg=node[3 * k + 1].ravel(),
        cell_pos=node[3 * k + 3].ravel(),
        cell_ocv=np.full(Ns * Np, V),
        cell_r=np.full(Ns * Np, Ri),
        cell_group=np.repeat(k, Np),
        pos=pos,
        neg=neg,
    )


# --- geometry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terminals:
    cell: np.ndarray
    group: np.ndarray
    sign: np.ndarray  # +1 / −1
    face: np.ndarray  # index into ``faces``
    xy: np.ndarray  # (n, 2)
    faces: tuple[tuple[float, str], ...]  # (z of the face, "top"/"bottom")
    radius: float  # contact area radius


def terminals(layout: Layout, fmt: ir.CellFormat) -> Terminals:
    """Every cell terminal as a point on a face. Standing cylinders: + on top when ``polarity_up``.
    Prismatic/pouch (and lying cells): both tabs on top, ± 0.3 × width from the centre along the
    cell's width axis, + on the +axis side when ``polarity_up``."""
    cells = layout.cells
    n = len(cells)
    xy = np.array([(c.x, c.y) for c in cells], dtype=float).reshape(n, 2)
    group = np.array([c.group for c in cells], dtype=int)
    up = np.array([c.polarity_up for c in cells], dtype=bool)
    z = np.array([c.z for c in cells], dtype=float)
    idx = np.arange(n)
    cyl = fmt.kind == "cylindrical" and all(c.axis == "z" for c in cells)
    if cyl:
        top = np.round(z + layout.cell_height, 6)
        bot = np.round(z, 6)
        # + terminal face, − terminal face
        pz = np.where(up, top, bot)
        nz = np.where(up, bot, top)
        pside = np.where(up, "top", "bottom")
        nside = np.where(up, "bottom", "top")
        pxy = nxy = xy
        radius = CELL_TERMINAL_FRACTION * fmt.diameter
    else:
        rot = np.array([c.rotation for c in cells], dtype=float)
        half = 0.3 * (fmt.width or fmt.diameter or layout.footprint[0])
        off = np.stack([np.cos(rot), np.sin(rot)], axis=1) * half
        if any(c.axis != "z" for c in cells):
            off = np.array(
                [(0.4 * layout.cell_height, 0.0) if c.axis == "x" else (0.0, 0.4 * layout.cell_height) for c in cells]
            ).reshape(n, 2)
        sgn = np.where(up, 1.0, -1.0)[:, None]
        pxy, nxy = xy + sgn * off, xy - sgn * off
        top = np.round(z + layout.cell_height, 6)
        pz = nz = top
        pside = nside = np.full(n, "top")
        thick = fmt.thickness or layout.footprint[1]
        radius = min(0.12 * (fmt.width or layout.footprint[0]), 0.35 * thick)
    keys = sorted(set(zip(pz.tolist(), pside.tolist())) | set(zip(nz.tolist(), nside.tolist())))
    where = {k: i for i, k in enumerate(keys)}
    pf = np.array([where[k] for k in zip(pz.tolist(), pside.tolist())], dtype=int)
    nf = np.array([where[k] for k in zip(nz.tolist(), nside.tolist())], dtype=int)
    return Terminals(
        np.concatenate([idx, idx]),
        np.concatenate([group, group]),
        np.concatenate([np.ones(n, int), -np.ones(n, int)]),
        np.concatenate([pf, nf]),
        np.concatenate([pxy, nxy]),
        tuple(keys),
        radius,
    )


@dataclass(frozen=True)
class Junctions:
    """The plates of ``strings`` parallel strings of ``series`` groups each (the layout's group
    s·S + k is group k of string s; group 0 is at the pack + end). Series junction k of string
    s — owner s·(S−1) + k — joins group s·S+k's − to group s·S+k+1's +;
    the pack + plate (owner ``plus``) takes every string's first group's +, the pack − plate
    (``minus``) every string's last group's −, so the strings meet only at the pack terminals."""

    series: int
    strings: int = 1

    @property
    def plus(self) -> int:
        return self.strings * (self.series - 1)

    @property
    def minus(self) -> int:
        return self.plus + 1

    def groups(self, owner: int) -> tuple[int, ...]:
        S = self.series
        if owner < self.plus:
            string, k = divmod(owner, S - 1)
            return (string * S + k, string * S + k + 1)
        last = 0 if owner == self.plus else S - 1
        return tuple(string * S + last for string in range(self.strings))

    def potential(self, owner: int) -> int:
        """The owner's potential in cells above the pack − terminal: pack + is S, series junction
        k (group k's − to group k+1's +) is S − 1 − k in every string, pack − is 0."""
        if owner < self.plus:
            return self.series - 1 - owner % (self.series - 1)
        return self.series if owner == self.plus else 0

    def name(self, owner: int) -> str:
        if owner < self.plus:
            a, b = self.groups(owner)
            return f"series junction {a} → {b}"
        return "pack +" if owner == self.plus else "pack −"

    def owners(self, t: Terminals) -> np.ndarray:
        """Owner of each terminal."""
        S = self.series
        string, k = np.divmod(t.group, S)
        junction = string * (S - 1) + k
        return np.where(t.sign < 0, np.where(k < S - 1, junction, self.minus), np.where(k > 0, junction - 1, self.plus))


def owners(t: Terminals, series: int, strings: int = 1) -> np.ndarray:
    """Owner of each terminal (``Junctions``): with one string, junction k (0..S−2) owns group
    k's − and group k+1's +; S−1 is the pack + plate (group 0's +), S the pack − plate (group
    S−1's −)."""
    return Junctions(series, strings).owners(t)


def _diag(code: str, message: str, span: Span, hint: str = "", severity=Severity.ERROR) -> Diagnostic:
    return Diagnostic(code, message, span, hint, severity)


def _merge(polygons):
    """Union of Voronoi cells (a coverage: shared edges, no overlaps) without slivers or cracks."""
    import shapely

    try:
        merged = shapely.coverage_union_all(polygons)
        if not merged.is_valid:  # a near-degenerate cell left a self-touching ring
            merged = shapely.make_valid(merged)
    except Exception:  # noqa: BLE001 - clipped cells may not be an exact coverage; fall back
        try:
            merged = shapely.union_all(polygons)
        except shapely.errors.GEOSException:
            merged = shapely.union_all(polygons, grid_size=GRID)
    return _polygonal(merged)


def _safe(op, fallback, polygonal: bool = True):
    """A shapely operation; ``fallback`` if GEOS fails on it (snap-rounded inputs rarely do)."""
    import shapely

    try:
        out = op()
    except shapely.errors.GEOSException:
        return fallback
    if not polygonal:
        return out
    if not out.is_valid:
        out = shapely.make_valid(out)
    return _polygonal(out)


def _polygonal(geom):
    """The polygonal part of ``geom`` (make_valid and snapping can leave lines and points)."""
    import shapely

    if geom.geom_type in ("Polygon", "MultiPolygon") or geom.is_empty:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _voronoi_cells(pts: np.ndarray, clip: np.ndarray, pitch: float) -> np.ndarray:
    """Each point's Voronoi cell intersected with its ``clip`` polygon. A ring of guard points
    keeps the hull cells bounded (no near-parallel rays to a far envelope); the cells are
    snap-rounded to ``GRID`` and every overlay is snap-rounding (robust on the near-degenerate
    cells regular lattices produce). A cell that still comes out wrong (not holding its point)
    is replaced by the disc of half the distance to the nearest neighbour, always inside the
    true cell."""
    import shapely
    from scipy.spatial import cKDTree
    from shapely.geometry import MultiPoint

    n = len(pts)
    if n == 1:
        return np.asarray(clip, dtype=object)
    hull = MultiPoint(pts).convex_hull.buffer(max(2 * pitch, 1e-3), quad_segs=4)
    ring = hull.exterior
    m = max(int(ring.length / max(pitch, 1e-4)) + 8, 16)
    guard = shapely.get_coordinates(shapely.line_interpolate_point(ring, np.arange(m) / m, normalized=True))
    allp = np.vstack([pts, guard])
    lo, hi = allp.min(axis=0) - pitch, allp.max(axis=0) + pitch
    env = shapely.box(lo[0], lo[1], hi[0], hi[1])

    def checked(cells):
        return (
            shapely.contains_xy(cells, pts[:, 0], pts[:, 1])
            & (shapely.get_type_id(cells) == 3)
            & shapely.is_valid(cells)
        )

    try:
        raw = np.array(shapely.get_parts(shapely.voronoi_polygons(MultiPoint(allp), extend_to=env, ordered=True)))[:n]
    except shapely.errors.GEOSException:
        raw = None
    cells = np.array(clip, dtype=object)
    ok = np.zeros(n, dtype=bool)
    if raw is not None and len(raw) == n:
        try:  # fast path: plain overlay (exact shared edges, so the unions below are coverage unions)
            cells = shapely.intersection(raw, clip)
            ok = checked(cells)
        except shapely.errors.GEOSException:
            pass
        bad = np.flatnonzero(~ok)
        if bad.size:  # snap-rounded overlay for the few degenerate cells
            try:
                cells[bad] = shapely.intersection(shapely.set_precision(raw[bad], GRID), clip[bad], grid_size=GRID)
            except shapely.errors.GEOSException:
                cells[bad] = clip[bad]
            ok = checked(cells)
    if not ok.all():
        bad = np.flatnonzero(~ok)
        d, _ = cKDTree(pts).query(pts[bad], 2)
        half = np.maximum(d[:, 1] / 2 * (1 - 1e-9), 1e-6)
        cells[bad] = shapely.intersection(
            shapely.buffer(shapely.points(pts[bad]), half, quad_segs=8), clip[bad], grid_size=GRID
        )
    return cells


def _tab_bands(layout: Layout, fmt: ir.CellFormat, t: Terminals):
    """Prismatic/pouch cells standing: each tab's share of the cell top, a strip across the cell
    (its thickness plus half the gap each side) from 0.15 × width off the centre line to the cell
    edge plus half the gap along the width axis — neighbouring strips meet along the
    cell-to-cell gaps. None for standing cylinders (their plates come from the Voronoi split)."""
    import shapely

    if fmt.kind == "cylindrical" or any(c.axis != "z" for c in layout.cells):
        return None
    width = fmt.width or layout.footprint[0]
    thick = fmt.thickness or layout.footprint[1]
    gap = max(min(layout.pitch) - thick, 0.0) if layout.lattice == "rows" else 0.0
    cells = layout.cells
    rot = np.array([cells[c].rotation for c in t.cell], dtype=float)
    centre = np.array([(cells[c].x, cells[c].y) for c in t.cell], dtype=float).reshape(-1, 2)
    u = np.stack([np.cos(rot), np.sin(rot)], axis=1)  # width axis
    v = np.stack([-np.sin(rot), np.cos(rot)], axis=1)  # thickness axis
    side = np.sign(np.einsum("ij,ij->i", t.xy - centre, u))
    side[side == 0] = 1.0
    inner, outer = 0.15 * width, width / 2 + gap / 2
    mid = centre + u * side[:, None] * (inner + outer) / 2
    hu, hv = (outer - inner) / 2, (thick + gap) / 2
    corners = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)], dtype=float)
    ring = mid[:, None, :] + corners[None, :, 0:1] * hu * u[:, None, :] + corners[None, :, 1:2] * hv * v[:, None, :]
    ring = np.round(ring / GRID) * GRID
    return shapely.polygons(ring)


def _short_pairs(pts: np.ndarray, owned: np.ndarray, reach: float) -> np.ndarray:
    """Pairs (i, j) of terminals of different owners closer than ``reach`` centre to centre."""
    from scipy.spatial import cKDTree

    if len(pts) < 2 or reach <= 0:
        return np.zeros((0, 2), dtype=int)
    pairs = cKDTree(pts).query_pairs(reach, output_type="ndarray")
    if not len(pairs):
        return np.zeros((0, 2), dtype=int)
    return pairs[owned[pairs[:, 0]] != owned[pairs[:, 1]]]


def _jumpers(parts, own_discs, keepouts, material, thickness, ambient, i_peak, i_cont, i_sc, rate_kind):
    """Insulated jumpers joining plate ``parts`` (Prim's tree over nearest distances): each a
    straight strip from nearest point to nearest point, lengthened by half its width into both
    pieces (the bolted overlap), sized like a terminal lead. None if one would cross a keepout."""
    import shapely
    from shapely.geometry import LineString
    from shapely.ops import nearest_points

    s = size_conductor(rate_kind, i_peak, i_cont, i_sc, material, thickness, 0.0, ambient)
    tk = max(thickness, math.sqrt(s.width_required * thickness / LEAD_ASPECT))
    w = size_conductor(rate_kind, i_peak, i_cont, i_sc, material, tk, 0.0, ambient).width_required
    done = [int(np.argmax([int(shapely.intersects(p, own_discs).sum()) for p in parts]))]
    todo = [i for i in range(len(parts)) if i not in done]
    out = []
    while todo:
        a, b = min(((i, j) for i in done for j in todo), key=lambda ij: parts[ij[0]].distance(parts[ij[1]]))
        p, q = nearest_points(parts[a], parts[b])
        d = np.array([q.x - p.x, q.y - p.y])
        n = float(np.hypot(*d))
        e = d / n if n > 0 else np.array([1.0, 0.0])
        path = [
            _inside(parts[a], p.x - e[0] * w / 2, p.y - e[1] * w / 2),
            _inside(parts[b], q.x + e[0] * w / 2, q.y + e[1] * w / 2),
        ]
        line = LineString(path)
        if not keepouts.is_empty and line.buffer(w / 2, cap_style="flat").intersects(keepouts):
            return None
        out.append((path, w, tk, material.resistivity * line.length / (w * tk)))
        done.append(b)
        todo.remove(b)
    return out


def _inside(piece, x: float, y: float) -> tuple[float, float]:
    """(x, y) if ``piece`` holds it, else the nearest point 10 µm inside the piece: a jumper end
    lengthened past a corner of a narrow piece must still land on it."""
    from shapely.geometry import Point
    from shapely.ops import nearest_points

    point = Point(x, y)
    if piece.contains(point):
        return x, y
    core = piece.buffer(-1e-5)
    q = nearest_points(core if not core.is_empty else piece, point)[0]
    return q.x, q.y


def _fail(*args, **kw):
    return _diag(*args, **kw), None


def _floor(pack: ir.Pack, layout: Layout):
    import shapely
    from shapely.geometry import Polygon, box

    if pack.envelope is not None:
        outer = Polygon(pack.envelope.outline.vertices())
        usable = outer.buffer(-pack.envelope.wall) if pack.envelope.wall > 0 else outer
        keepouts = (
            shapely.union_all([Polygon(k.shape.vertices()) for k in pack.envelope.keepouts])
            if pack.envelope.keepouts
            else Polygon()
        )
    else:
        xy = np.array([(c.x, c.y) for c in layout.cells])
        m = max(4 * max(layout.pitch), 0.1)  # no envelope: leave room for the terminal leads
        usable = box(xy[:, 0].min() - m, xy[:, 1].min() - m, xy[:, 0].max() + m, xy[:, 1].max() + m)
        keepouts = Polygon()
    return usable, keepouts


def _route_lead(start, free, usable, step: float, half_width: float = 0.0):
    """Shortest path from ``start`` to the edge of ``usable`` through ``free`` (grid + Dijkstra),
    smoothed by shortcutting. Returns a list of points or None."""
    import networkx as nx
    import shapely
    from shapely.geometry import LineString, Point

    minx, miny, maxx, maxy = usable.bounds
    nx_, ny_ = int((maxx - minx) / step) + 1, int((maxy - miny) / step) + 1
    gx, gy = np.meshgrid(minx + step * np.arange(nx_), miny + step * np.arange(ny_), indexing="ij")
    inside = shapely.contains_xy(free, gx, gy)
    if not inside.any():
        return None
    edge_d = shapely.distance(usable.exterior, shapely.points(gx[inside], gy[inside]))
    G = nx.Graph()
    ids = -np.ones(inside.shape, dtype=int)
    ids[inside] = np.arange(inside.sum())
    for di, dj in ((1, 0), (0, 1), (1, 1), (1, -1)):
        # a at (i, j), b at (i+di, j+dj)
        i0, i1 = max(0, -di), nx_ - max(0, di)
        j0, j1 = max(0, -dj), ny_ - max(0, dj)
        a = ids[i0:i1, j0:j1]
        b = ids[i0 + di : i1 + di, j0 + dj : j1 + dj]
        ok = (a >= 0) & (b >= 0)
        w = step * math.hypot(di, dj)
        midx = minx + step * (np.arange(i0, i1)[:, None] + di / 2) + 0 * a
        midy = miny + step * (np.arange(j0, j1)[None, :] + dj / 2) + 0 * a
        ok &= shapely.contains_xy(free, midx, midy)
        G.add_weighted_edges_from(zip(a[ok].tolist(), b[ok].tolist(), [w] * int(ok.sum())))
    pts = np.stack([gx[inside], gy[inside]], axis=1)
    s = int(np.argmin(np.hypot(pts[:, 0] - start[0], pts[:, 1] - start[1])))
    exits = np.flatnonzero(edge_d <= half_width + 1.5 * step)
    if not exits.size or s not in G:
        return None
    try:
        _, path = nx.multi_source_dijkstra(G, set(exits.tolist()), target=s)
    except nx.NetworkXNoPath:
        return None
    path = [(float(start[0]), float(start[1]))] + [(float(pts[n][0]), float(pts[n][1])) for n in reversed(path)]
    end = usable.exterior.interpolate(usable.exterior.project(Point(path[-1])))
    path.append((float(end.x), float(end.y)))
    path = [p for i, p in enumerate(path) if i == 0 or math.dist(p, path[i - 1]) > 1e-9]
    seen = free.buffer(step * 1e-3)
    changed = True
    while changed:  # shortcut every vertex whose neighbours see each other
        changed = False
        i = 1
        while i < len(path) - 1:
            if seen.covers(LineString([path[i - 1], path[i + 1]])):
                del path[i]
                changed = True
            else:
                i += 1
    return path


def _ring(poly) -> tuple[tuple[float, float], ...]:
    from shapely.geometry.polygon import orient

    p = orient(poly, 1.0)
    return tuple((round(x, 7), round(y, 7)) for x, y in list(p.exterior.coords)[:-1])


def _holes(poly) -> tuple:
    from shapely.geometry.polygon import orient

    p = orient(poly, 1.0)
    return tuple(tuple((round(x, 7), round(y, 7)) for x, y in list(r.coords)[:-1]) for r in p.interiors)


def _route_with_network(pack: ir.Pack, layout: Layout, candidate) -> tuple[Routing | Diagnostic, Network | None]:
    """``route_with_network`` without the safety net."""
    import shapely
    from scipy.spatial import Voronoi
    from shapely.geometry import LineString, Point, Polygon

    span = pack.property_spans.get("busbar", pack.span)
    if pack.busbar is None or not pack.busbar.material.resistivity:
        material = ir.Material(
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
        thickness = 1.0e-3
    else:
        material, thickness = pack.busbar.material, pack.busbar.thickness
    S, P = layout.series, layout.parallel
    strings = max(getattr(candidate, "strings", 1), 1)
    i_pack_peak, i_pack_cont = candidate.peak_current, candidate.continuous_current
    i_peak, i_cont = i_pack_peak / strings, i_pack_cont / strings  # in a string's plates
    ocv_pack = candidate.nominal_voltage
    i_sc = ocv_pack / max(candidate.resistance, 1e-6)
    clearance = creepage(candidate.max_voltage)
    t = terminals(layout, pack.cell.format)
    junctions = Junctions(S, max(getattr(layout, "strings", 1) or 1, 1))
    own = junctions.owners(t)
    pitch = max(layout.pitch)
    cover = COVER * pitch
    usable, keepouts = _floor(pack, layout)
    blocked = keepouts.buffer(clearance) if not keepouts.is_empty else Polygon()
    warnings: list[Diagnostic] = []

    # every owner's terminals must share one face
    owner_face = {}
    for o in range(junctions.minus + 1):
        f = np.unique(t.face[own == o])
        if f.size != 1:
            what = junctions.name(o)
            heights = {round(layout.cells[int(c)].z, 9) for c in t.cell[own == o]}
            if len(heights) > 1:  # the series path climbs from one layer of cells to the next here
                return _fail(
                    "E701",
                    f"no route for the {what} busbar: it would join two layers of cells, and "
                    "busbars here lie in one face of one layer",
                    span,
                    "use `layers = 1` (a larger envelope), or fewer cells so that one layer holds them",
                )
            return _fail(
                "E701",
                f"no route for the {what} busbar: its terminals lie on {f.size} different faces",
                span,
                "standing cylindrical cells must alternate polarity group by group",
            )
        owner_face[o] = int(f[0])

    # the creepage distance between two owners' plates: for the working voltage between them
    potential = np.array([junctions.potential(o) for o in range(junctions.minus + 1)])
    creepage_of_steps = np.array([creepage(k * pack.cell.max_voltage) for k in range(S + 1)])

    def apart(a, b):  # owners (arrays ok) → creepage distance between their plates, m
        return creepage_of_steps[np.abs(potential[a] - potential[b])]

    # Voronoi split of each face, clipped around each terminal; each plate cut back from its
    # neighbours by half the distance for the voltage between them, and from the outer edge by
    # half the pack-voltage distance
    plates: dict[int, object] = {}
    group_region: dict[tuple[int, int], object] = {}  # (owner, group) → un-eroded region
    discs = shapely.buffer(shapely.points(t.xy), t.radius, quad_segs=8)
    inner_discs = shapely.buffer(shapely.points(t.xy), t.radius - 20 * GRID, quad_segs=8)  # snapping moves vertices
    bands = _tab_bands(layout, pack.cell.format, t)  # prismatic/pouch: the tab's strip of the cell top
    forced: dict[int, tuple[float, int, float]] = {}  # owner → (smallest terminal gap, other owner, distance needed)
    thickened: dict[int, tuple[float, str]] = {}  # owner → (thickness ratio, what it needs)
    for f in range(len(t.faces)):
        on = np.flatnonzero(t.face == f)
        pts = t.xy[on]
        if bands is not None:  # the strips meet along the cell-to-cell gaps: no Voronoi needed
            cells = bands[on]
        else:
            cells = _voronoi_cells(pts, shapely.buffer(shapely.points(pts), cover, quad_segs=16), pitch)
        owned = own[on]
        face_owners = [int(o) for o in np.unique(owned)]
        regions = []
        for o in face_owners:
            mine = owned == o
            regions.append(_merge(cells[mine]))
            for g in np.unique(t.group[on][mine]):
                group_region[(o, int(g))] = _merge(cells[mine & (t.group[on] == g)])
        # the outer edge: the covered area (closed over cracks between regions) shrunk
        inside = (
            shapely.union_all(regions)
            .buffer(1e-6, join_style="mitre")
            .buffer(-clearance / 2 - 6e-6, join_style="mitre")
        )
        near_tree = shapely.STRtree(regions)
        pairs = near_tree.query(regions, predicate="dwithin", distance=clearance)
        pairs = pairs[:, pairs[0] != pairs[1]]
        touching = shapely.dwithin(
            np.asarray(regions, dtype=object)[pairs[0]], np.asarray(regions, dtype=object)[pairs[1]], 10 * GRID
        )
        zone: dict[tuple[int, float], object] = {}  # (region, distance) → the region grown by it
        cuts: dict[int, list] = {}
        for i, k, shares_edge in zip(pairs[0].tolist(), pairs[1].tolist(), touching.tolist()):
            c = float(apart(face_owners[i], face_owners[k]))
            # sharing an edge: each side gives half; merely near: this plate keeps all of it from
            # the other's region (which holds the other plate)
            key = (k, c / 2 if shares_edge else c)
            if key not in zone:
                zone[key] = regions[k].buffer(key[1] + 5e-6, join_style="mitre")
            cuts.setdefault(i, []).append(zone[key])
        for i, o in enumerate(face_owners):
            plate = _safe(lambda r=regions[i], s=inside: r.buffer(1e-6, join_style="mitre").intersection(s), regions[i])
            if i in cuts:
                plate = _safe(lambda p=plate, c=cuts[i]: p.difference(shapely.union_all(c)), plate)
            plates[o] = plate
        # terminals whose contact disc does not fit in its plate, or that sit closer to an unlike
        # terminal than the distance for the voltage between them (the layout forces that gap):
        # their discs join their plate and every other plate keeps its distance from them, so the
        # plate edges follow the cell-to-cell gaps and only terminal-to-terminal gaps can be short
        plate_of = np.empty(len(on), dtype=object)
        for o in face_owners:
            plate_of[owned == o] = plates[o]
        loose = ~shapely.covers(plate_of, inner_discs[on])
        short = _short_pairs(pts, owned, 2 * t.radius + clearance - 1e-7)
        if short.size:
            gaps = np.hypot(*(pts[short[:, 0]] - pts[short[:, 1]]).T) - 2 * t.radius
            need = apart(owned[short[:, 0]], owned[short[:, 1]])
            keep = gaps < need - 1e-7
            short, gaps, need = short[keep], gaps[keep], need[keep]
            for (i, j), gap, c in zip(short.tolist(), gaps.tolist(), need.tolist()):
                for a, b in ((i, j), (j, i)):
                    oa = int(owned[a])
                    if oa not in forced or gap < forced[oa][0]:
                        forced[oa] = (gap, int(owned[b]), c)
            loose[short.ravel()] = True
        tight = np.flatnonzero(loose)
        if tight.size:
            tight_points = shapely.points(pts[tight])
            reach = shapely.buffer(tight_points, t.radius + clearance - 1e-6, quad_segs=8)  # the most any pair needs
            tree = shapely.STRtree(reach)
            for o in face_owners:
                plate = plates[o]
                hit = tree.query(plate, predicate="intersects")
                hit = hit[owned[tight[hit]] != o]
                if hit.size:
                    keep_clear = shapely.buffer(
                        tight_points[hit], t.radius + apart(owned[tight[hit]], o) - 1e-6, quad_segs=8
                    )
                    plate = _safe(
                        lambda p=plate, z=keep_clear: p.difference(shapely.union_all(z, grid_size=GRID)), plate
                    )
                mine_tight = tight[owned[tight] == o]
                if mine_tight.size:
                    plate = _safe(
                        lambda p=plate, m=mine_tight, d=discs[on]: shapely.union_all(
                            np.concatenate([[p], d[m]]), grid_size=GRID
                        ),
                        plate,
                    )
                plates[o] = plate
    if not blocked.is_empty:
        for o, plate in plates.items():
            plates[o] = _safe(lambda p=plate: p.difference(blocked), plate)

    # bridge plates that fell apart; check contact areas are covered
    busbars: list[Busbar] = []
    plate_owner: dict[int, int] = {}  # busbar index → owner, for the plates and their jumpers
    bridges: dict[int, object] = {}
    jumpers: dict[int, list] = {}
    for o in range(junctions.minus + 1):
        plate = plates[o]
        mine = np.flatnonzero(own == o)
        parts = list(shapely.get_parts(plate))
        kind = "terminal" if o >= junctions.plus else "series"
        groups = junctions.groups(o)
        if o < junctions.plus:
            mods = {c.module for c in layout.cells if c.group in groups}
            if len(mods) > 1:
                kind = "module_link"
        notes: list[str] = []
        if o in forced:
            gap_o, other, needed = forced[o]
            volts = abs(int(potential[o]) - int(potential[other])) * pack.cell.max_voltage
            notes.append(
                f"creepage short by the layout: a terminal {gap_o * 1e3:.2f} mm from busbar {other}'s terminal "
                f"(< {needed * 1e3:.1f} mm for the {volts:.0f} V between them); the plate keeps that "
                "distance everywhere else"
            )
        jumper_list: list[tuple[list, float, float, float]] = []  # (path, width, thickness, resistance)
        if len(parts) > 1:
            hull = _safe(lambda: shapely.union_all(parts, grid_size=GRID).convex_hull, plate)  # noqa: B023 - called at once
            reach = hull.buffer(clearance)
            near = [
                plates[q] for q in plates if q != o and owner_face[q] == owner_face[o] and plates[q].intersects(reach)
            ]
            sel = (own != o) & (t.face == owner_face[o])
            sel[sel] = shapely.intersects(discs[sel], reach)
            forbid = _safe(
                lambda: shapely.union_all(near + list(discs[sel]) + [blocked], grid_size=GRID).buffer(clearance + 1e-5),  # noqa: B023 - called at once
                hull,
            )  # polygonal arcs fall inside
            bridge = _safe(lambda: hull.difference(forbid), Polygon())  # noqa: B023 - called at once
            bridges[o] = _safe(lambda: bridge.difference(shapely.union_all(parts, grid_size=GRID)), Polygon())  # noqa: B023 - called at once
            merged = _safe(lambda: shapely.union_all([plate, bridge], grid_size=GRID), plate)  # noqa: B023 - called at once
            own_discs = discs[mine]
            parts = [q for q in shapely.get_parts(merged) if q.area > 0 and shapely.intersects(q, own_discs).any()]
            if len(parts) > 1:
                # no way round in the plane of the plates: insulated jumpers on a carrier above them,
                # like the pack leads (straight, nearest piece to nearest piece, around no keepout)
                got = _jumpers(
                    parts,
                    own_discs,
                    keepouts,
                    material,
                    thickness,
                    pack.ambient,
                    i_peak,
                    i_cont,
                    i_sc,
                    "module_link" if kind == "module_link" else "series",
                )
                if got is None:
                    what = junctions.name(o)
                    return _fail(
                        "E701",
                        f"no route for the {what} busbar: its terminals fall into {len(parts)} pieces "
                        f"that cannot be joined {clearance * 1e3:.1f} mm clear of other terminals, and an "
                        "insulated jumper between them would cross a keepout",
                        span,
                        "keep consecutive series groups adjacent, or move the keepout",
                    )
                jumper_list = got
                notes.append(
                    f"{len(parts)} pieces joined by {len(got)} insulated jumper(s) above the plates: "
                    "no path in the plane keeps the creepage distance"
                )
            else:
                notes.append("bridged between non-adjacent terminals")
            plate = shapely.union_all(parts, grid_size=GRID) if len(parts) > 1 else parts[0]
            plates[o] = plate
        if jumper_list:
            jumpers[o] = jumper_list
        if not shapely.covers(plate, inner_discs[mine]).all():
            return _fail(
                "E701",
                f"no route for busbar {o}: terminals {2 * t.radius * 1e3:.1f} mm across, "
                f"{pitch * 1e3:.1f} mm apart cannot keep {clearance * 1e3:.1f} mm creepage "
                f"(IEC 60664-1 for {candidate.max_voltage:.0f} V)",
                span,
                "increase the cell gap or lower the pack voltage",
            )
        # current path: centre of group k's terminals to centre of group k+1's
        if o < junctions.plus:
            a = t.xy[mine][t.group[mine] == groups[0]]
            b = t.xy[mine][t.group[mine] == groups[1]]
            length = float(np.hypot(*(a.mean(axis=0) - b.mean(axis=0))))
            # the part of group k's region boundary along group k+1's (a tolerance: shared edges of
            # separately merged regions need not be noded alike)
            ga, gb = group_region.get((o, groups[0])), group_region.get((o, groups[1]))
            contact = Polygon()
            if ga is not None and gb is not None:
                contact = _safe(lambda: ga.boundary.intersection(gb.buffer(10 * GRID)), contact, False)  # noqa: B023 - called at once
            # the shared boundary's extent across the current path (a zigzag counts by its projection)
            axis = (b.mean(axis=0) - a.mean(axis=0)) / max(length, 1e-12)
            pts_c = shapely.get_coordinates(contact)
            neck = float(np.ptp(pts_c @ np.array([-axis[1], axis[0]]))) if len(pts_c) > 1 else 0.0
            width = max(neck - clearance, 0.0)
            if width <= 0 and o in bridges:  # bridged: the bridge's extent across the path, less creepage
                pts_b = shapely.get_coordinates(bridges[o])
                width = max(float(np.ptp(pts_b @ np.array([-axis[1], axis[0]]))) - clearance, min(layout.pitch))
            length = max(length, 1e-4)
            current = (i_peak, i_cont)
        else:
            mrr = plate.minimum_rotated_rectangle
            xs, ys = mrr.exterior.coords.xy
            sides = sorted(math.hypot(xs[i + 1] - xs[i], ys[i + 1] - ys[i]) for i in range(2))
            width, length = max(sides[0], 1e-4), max(sides[1] / 2, 1e-4)
            current = (i_peak, i_cont)
        rate_kind = "series" if kind == "terminal" else kind
        sizing = size_conductor(rate_kind, current[0], current[1], i_sc, material, thickness, width, pack.ambient)
        if sizing.thickened > 1.0:
            thickened[o] = (
                sizing.thickened,
                f"busbar {o} ({kind}, groups {groups}) needs "
                f"{sizing.thickness * 1e3:.2f} mm for the {width * 1e3:.1f} mm width available",
            )
        tk = sizing.thickness
        r = material.resistivity * length / (width * tk)
        mass = plate.area * tk * material.density
        notes.extend(sizing.notes)
        notes.append(f"width available {width * 1e3:.1f} mm, needed {sizing.width_required * 1e3:.1f} mm")
        pieces = [q for q in shapely.get_parts(plate) if q.area > 0]
        if len(pieces) > 1:  # keep the pieces that hold terminals (slivers cut off by keepouts go)
            held = [q for q in pieces if shapely.intersects(q, discs[mine]).any()]
            pieces = held if o in jumpers else sorted(held or pieces, key=lambda q: -q.area)[:1]
        total = sum(q.area for q in pieces) or 1.0
        for poly in sorted(pieces, key=lambda q: (-q.area, q.bounds)):
            m = mass * poly.area / total
            busbars.append(
                Busbar(
                    len(busbars),
                    kind,
                    _ring(poly),
                    t.faces[owner_face[o]][1],
                    tk,
                    width,
                    length,
                    material.name,
                    groups,
                    current[0],
                    current[1],
                    width * tk,
                    r,
                    current[1] ** 2 * r,
                    m,
                    m * (material.cost or 0.0),
                    tuple(notes),
                    _holes(poly),
                )
            )
            plate_owner[busbars[-1].index] = o
        for path, w_j, tk_j, r_j in jumpers.get(o, ()):
            line = LineString(path)
            poly = line.buffer(w_j / 2, cap_style="flat", join_style="mitre")
            m = poly.area * tk_j * material.density
            busbars.append(
                Busbar(
                    len(busbars),
                    kind,
                    _ring(poly),
                    t.faces[owner_face[o]][1],
                    tk_j,
                    w_j,
                    line.length,
                    material.name,
                    groups,
                    current[0],
                    current[1],
                    w_j * tk_j,
                    r_j,
                    current[1] ** 2 * r_j,
                    m,
                    m * (material.cost or 0.0),
                    (f"insulated jumper on a carrier above the plates, joining pieces of busbar {o}",),
                    path=tuple((round(x, 7), round(y, 7)) for x, y in path),
                )
            )
            plate_owner[busbars[-1].index] = o

    if thickened:  # one finding for all of them: the per-busbar figures are in design.json
        factor, worst = max(thickened.values())
        warnings.append(
            _diag(
                "W401",
                f"{thickness * 1e3:.2f} mm is too thin for {len(thickened)} of the busbars; they "
                f"are thickened to carry the current — worst: {worst} (+{(factor - 1) * 100:.0f} %)",
                pack.property_spans.get("busbar", span),
                "use a thicker busbar or a better conductor",
                Severity.WARNING,
            )
        )

    if forced:  # one finding for every busbar whose terminals the layout puts too close to unlike ones
        gap, other, needed = min(forced.values())
        worst_owner = min(forced, key=lambda o: forced[o])
        volts = abs(int(potential[worst_owner]) - int(potential[other])) * pack.cell.max_voltage
        names = ", ".join(str(o) for o in sorted(forced)[:8]) + (
            f" and {len(forced) - 8} more" if len(forced) > 8 else ""
        )
        warnings.append(
            _diag(
                "W401",
                f"creepage forced below the IEC 60664-1 distance on {len(forced)} busbars "
                f"({names}): their terminals ({2 * t.radius * 1e3:.1f} mm contact areas) sit as little "
                f"as {gap * 1e3:.2f} mm from terminals of a busbar {volts:.0f} V away, which needs "
                f"{needed * 1e3:.1f} mm; plate edges follow the cell-to-cell gaps and keep the distance "
                "everywhere else",
                span,
                "insulate between the tabs (barrier or potting), widen the cell gap, or order the "
                "series path so that terminals this close are fewer cells apart",
                Severity.WARNING,
            )
        )

    # pack terminal leads to the envelope wall
    leads: dict[int, tuple[list, float, float, Sizing]] = {}
    terminals_xy = []
    for o in (junctions.plus, junctions.minus):  # the leads carry every string's current
        s = size_conductor("terminal", i_pack_peak, i_pack_cont, i_sc, material, thickness, 0.0, pack.ambient)
        area = s.width_required * thickness
        tk = max(thickness, math.sqrt(area / LEAD_ASPECT))
        s = size_conductor("terminal", i_pack_peak, i_pack_cont, i_sc, material, tk, 0.0, pack.ambient)
        w = s.width_required
        free = usable.buffer(-w / 2)
        if not blocked.is_empty:
            free = free.difference(blocked.buffer(w / 2))
        mine = t.xy[own == o]
        start = tuple(mine.mean(axis=0))
        step = max(
            min(layout.pitch) / 2, max(usable.bounds[2] - usable.bounds[0], usable.bounds[3] - usable.bounds[1]) / 150
        )
        path = None
        if not free.contains(Point(start)):
            inside = (
                shapely.contains_xy(free, mine[:, 0], mine[:, 1]) if not free.is_empty else np.zeros(len(mine), bool)
            )
            if inside.any():
                start = tuple(mine[inside][0])
            else:  # the plate's terminals all sit within half a lead width of the wall: straight out
                k = int(np.argmin(shapely.distance(usable.exterior, shapely.points(mine))))
                end = usable.exterior.interpolate(usable.exterior.project(Point(mine[k])))
                path = [(float(mine[k][0]), float(mine[k][1])), (float(end.x), float(end.y))]
                if math.dist(*path) < 1e-9:
                    path = None
        if path is None and free.contains(Point(start)):
            path = _route_lead(start, free, usable, step, w / 2)
        name = junctions.name(o)
        if path is None:
            return _fail(
                "E701",
                f"no route for the {name} terminal lead ({w * 1e3:.0f} mm wide) from its cells to the "
                "envelope wall around the keepouts",
                span,
                "move a keepout or the envelope edge",
            )
        line = LineString(path)
        poly = line.buffer(w / 2, cap_style="flat", join_style="mitre")
        poly = _safe(lambda q=poly: q.intersection(usable), poly)  # a lead from a cell at the wall stays inside
        if poly.geom_type != "Polygon":
            poly = max(shapely.get_parts(poly), key=lambda q: q.area) if not poly.is_empty else line.buffer(w / 2)
        if not blocked.is_empty and poly.intersects(keepouts):
            return _fail("E701", f"no route for the {name} terminal lead: it would cross a keepout", span)
        r = material.resistivity * line.length / (w * tk)
        mass = poly.area * tk * material.density
        notes = s.notes + ("insulated lead on a carrier above the plates; grid Dijkstra path, shortcut-smoothed",)
        busbars.append(
            Busbar(
                len(busbars),
                "terminal",
                _ring(poly),
                t.faces[owner_face[o]][1],
                tk,
                w,
                line.length,
                material.name,
                junctions.groups(o),
                i_pack_peak,
                i_pack_cont,
                w * tk,
                r,
                i_pack_cont**2 * r,
                mass,
                mass * (material.cost or 0.0),
                notes,
                path=tuple((round(x, 7), round(y, 7)) for x, y in path),
            )
        )
        leads[o] = (path, r, tk, s)
        terminals_xy.append((round(path[-1][0], 7), round(path[-1][1], 7)))

    # fuses
    fuses: list[FuseLink] = []
    fuse_cells = np.zeros(0, dtype=int)
    fuse_r = 0.0
    cell = pack.cell
    if pack.fuse in ("per_cell", "per_group"):
        fspan = pack.property_spans.get("fuse", pack.span)
        if pack.fuse == "per_cell":
            got = size_fuse(
                cell.max_discharge_current,
                cell.pulse_current or cell.max_discharge_current,
                cell.pulse_duration or PULSE_DURATION,
                cell.nominal_voltage,
                cell.resistance,
                P,
                max(5e-3, 0.3 * min(layout.pitch)),
                pack.ambient,
                material,
                thickness,
            )
        else:
            got = size_fuse(
                i_cont,
                i_peak,
                cell.pulse_duration or PULSE_DURATION,
                ocv_pack,
                candidate.resistance,
                P,
                max(5e-3, 0.3 * min(layout.pitch)),
                pack.ambient,
                material,
                thickness,
                mode="per_group",
                i_fault=i_sc,
            )
        if isinstance(got, str):
            return _fail(
                "E702",
                f"no fuse geometry meets both the carry and the fault requirement ({pack.fuse}): {got}",
                fspan,
                "change the parallel count, the cell, or use fuse = none with pack-level protection",
            )
        if pack.fuse == "per_cell":
            fuse_cells = np.arange(len(layout.cells))
            fuses = [FuseLink(cell=int(c), group=layout.cells[c].group, **got) for c in fuse_cells]
        else:
            firsts = [g.cells[0] for g in sorted(layout.groups, key=lambda g: g.index)]
            fuses = [FuseLink(cell=int(c), group=layout.cells[c].group, **got) for c in firsts]
        fuse_r = got["resistance"]

    # the network: plate ladders (Voronoi neighbours, R = ρ·d/(t·w_ridge)), fuses, cells, leads
    n_cells = len(layout.cells)
    node = np.arange(len(t.cell))  # one node per terminal point (on the plate)
    nxt = len(t.cell)
    ra, rb, rv, rk = [], [], [], []
    thick_of = {}
    for b in busbars:
        if not b.path:
            thick_of[plate_owner[b.index]] = b.thickness
    for f in range(len(t.faces)):
        on = np.flatnonzero(t.face == f)
        if len(on) < 2:
            continue
        spread = t.xy[on] - t.xy[on].mean(axis=0)
        in_a_line = np.linalg.svd(spread, compute_uv=False)[-1] <= 1e-9 * max(pitch, 1e-9) * len(on)
        if len(on) >= 4 and not in_a_line:
            vor = Voronoi(t.xy[on], qhull_options="Qbb Qc Qz")
            rp = np.asarray(vor.ridge_points)
            rvx = vor.ridge_vertices
            lens = np.array(
                [np.hypot(*(vor.vertices[v[0]] - vor.vertices[v[1]])) if -1 not in v else np.nan for v in rvx]
            )
        elif in_a_line:  # one row of cells: Qhull has no plane to split; neighbours along the line
            along = np.argsort(spread @ np.linalg.svd(spread)[2][0], kind="stable")
            rp = np.stack([along[:-1], along[1:]], axis=1)
            lens = np.full(len(rp), np.nan)
        else:
            ii, jj = np.triu_indices(len(on), 1)
            rp = np.stack([ii, jj], axis=1)
            lens = np.full(len(rp), np.nan)
        a, b_ = on[rp[:, 0]], on[rp[:, 1]]
        same = own[a] == own[b_]
        d = np.hypot(*(t.xy[a] - t.xy[b_]).T)
        lens = np.where(np.isnan(lens), d / math.sqrt(3), np.minimum(lens, 2 * cover))
        keep = same & (d <= 2 * cover) & (lens > 0)
        tk = np.array([thick_of[int(x)] for x in own[a[keep]]])
        ra.append(a[keep])
        rb.append(b_[keep])
        rv.append(material.resistivity * d[keep] / (tk * lens[keep]))
        rk.append(np.zeros(int(keep.sum()), int))
    # join any owner whose terminal nodes are not connected by ridges (bridged plates, tiny faces)
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    ra_ = np.concatenate(ra) if ra else np.zeros(0, int)
    rb_ = np.concatenate(rb) if rb else np.zeros(0, int)
    adj = sp.coo_matrix((np.ones(ra_.size), (ra_, rb_)), shape=(nxt, nxt))
    _, comp = connected_components(adj, directed=False)
    for o in range(junctions.minus + 1):
        mine = np.flatnonzero(own == o)
        labels = np.unique(comp[mine])
        while labels.size > 1:
            p = mine[comp[mine] == labels[0]]
            q = mine[comp[mine] != labels[0]]
            from scipy.spatial import cKDTree

            dd, jj = cKDTree(t.xy[q]).query(t.xy[p])
            bb = next(b for b in busbars if not b.path and plate_owner[b.index] == o)
            # a wide bridge: every terminal facing the gap links to its nearest partner, each link a
            # strip one pitch wide
            if o in jumpers:  # pieces joined by an insulated jumper: one link, the jumper's strip
                near = dd <= dd.min()
                near &= np.cumsum(near) == 1
                _, w_j, tk_j, _ = jumpers[o][0]
                ra.append(p[near])
                rb.append(q[jj[near]])
                rv.append(material.resistivity * np.maximum(dd[near], 1e-4) / (w_j * tk_j))
            else:
                near = dd <= dd.min() + 0.5 * min(layout.pitch)
                ra.append(p[near])
                rb.append(q[jj[near]])
                rv.append(material.resistivity * np.maximum(dd[near], 1e-4) / (min(layout.pitch) * bb.thickness))
            rk.append(np.zeros(int(near.sum()), int))
            joined = np.unique(comp[q[jj[near]]])
            comp[mine[np.isin(comp[mine], joined)]] = labels[0]
            labels = np.unique(comp[mine])
    pos_term = np.flatnonzero(t.sign > 0)  # terminal point index of each cell's +
    neg_term = np.flatnonzero(t.sign < 0)
    cell_pos = node[pos_term].copy()
    cell_neg = node[neg_term].copy()
    if pack.fuse == "per_cell" and fuses:
        extra = nxt + np.arange(n_cells)
        ra.append(extra)
        rb.append(cell_pos.copy())
        rv.append(np.full(n_cells, fuse_r))
        rk.append(np.ones(n_cells, int))
        cell_pos = extra
        nxt += n_cells
    elif pack.fuse == "per_group" and fuses:  # the group's fuse in series with each of its welds, P in parallel
        extra = nxt + np.arange(n_cells)
        ra.append(extra)
        rb.append(cell_pos.copy())
        rv.append(np.full(n_cells, fuse_r * P))
        rk.append(np.ones(n_cells, int))
        cell_pos = extra
        nxt += n_cells
    pos_node, neg_node = nxt, nxt + 1
    nxt += 2
    for o, ext in ((junctions.plus, pos_node), (junctions.minus, neg_node)):
        path, r, _, _ = leads[o]
        mine = np.flatnonzero(own == o)
        attach = mine[int(np.argmin(np.hypot(*(t.xy[mine] - np.array(path[0])).T)))]
        ra.append(np.array([attach]))
        rb.append(np.array([ext]))
        rv.append(np.array([r]))
        rk.append(np.array([0]))
    cell_group = np.array([c.group for c in layout.cells], dtype=int)
    net = Network(
        nxt,
        np.concatenate(ra),
        np.concatenate(rb),
        np.concatenate(rv),
        np.concatenate(rk),
        cell_neg,
        cell_pos,
        np.full(n_cells, cell.nominal_voltage),
        np.full(n_cells, cell.resistance),
        cell_group,
        pos_node,
        neg_node,
    )
    solution = net.solution(i_pack_peak)
    return Routing(
        tuple(busbars), tuple(fuses), solution, tuple(terminals_xy), clearance, pack.fuse, tuple(warnings)
    ), net


def route(pack: ir.Pack, layout: Layout, candidate) -> Routing | Diagnostic:
    """Busbars, terminal leads, fuses and the solved network for ``candidate`` on ``layout``."""
    return route_with_network(pack, layout, candidate)[0]


def route_with_network(pack: ir.Pack, layout: Layout, candidate) -> tuple[Routing | Diagnostic, Network | None]:
    """``route`` and the ``Network`` it solved (None when routing failed). Never raises: a
    geometry or solver failure on an unusual layout comes back as an E701 diagnostic."""
    try:
        return _route_with_network(pack, layout, candidate)
    except Exception as error:  # noqa: BLE001 - any layout the layout pass makes must give a diagnostic
        import traceback

        where = traceback.extract_tb(error.__traceback__)[-1]
        span = pack.property_spans.get("busbar", pack.span)
        return _fail(
            "E701",
            f"no route: the busbar geometry failed on this layout ({type(error).__name__}: {error} "
            f"at {where.name}:{where.lineno})",
            span,
            "this is a routing limitation on this arrangement; try another gap or module count",
        )


def routing_stage(pack: ir.Pack, placement: Placement) -> Outcome[Routing]:
    """Route the placed candidate on its layout."""
    result = route(pack, placement.layout, placement.candidate)
    if isinstance(result, Diagnostic):
        return Outcome(None, (result,))
    return Outcome(result, tuple(result.diagnostics))
