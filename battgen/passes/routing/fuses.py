"""Fuse links: the wire bond (else necked strip of the busbar stock) that carries a cell's (or a
group's) current and opens when its neighbours discharge into a shorted cell, with the least
resistance that still opens.

**The link as a fin.** A link is a short conductor of free length L between its two welds,
held at both ends by the cell terminal and the busbar (both at ``END_RISE`` above ambient, the
busbar's operating temperature) and cooled along its length by the air (h = ``CONVECTION_H``,
its perimeter P). With the resistivity linear in temperature as IEC 60949 writes it,
ρ(θ) = ρ20·(β + θ)/(β + 20), the heat balance of a slice is the fin equation with uniform
generation (Incropera & DeWitt, *Fundamentals of Heat and Mass Transfer*, 6th ed., §3.5
conduction with thermal energy generation, §3.6 extended surfaces; the solutions below were
derived here from it):

    σc·∂u/∂t = k·∂²u/∂x² + k·κ·u + k·b·u∞,     u(0) = u(L) = u_end,
    u = β + θ,   κ = a − b,   a = J²·ρ20/((β + 20)·k),   b = h·P/(k·A),

linear in u, so it has closed forms:

* steady, κ > 0 (s = √κ): u_mid = (u_end + b·u∞/κ)/cos(sL/2) − b·u∞/κ, which exists while
  sL < π (the link's steady *runaway* limit: above it no steady state exists and it melts);
  κ < 0 (m = √−κ): u_mid = u_p + (u_end − u_p)/cosh(mL/2), u_p = b·u∞/m² (the long-wire limit
  u_p − u∞ = I²ρ/(h·P·A), a wire in air); the short-link limit of both is the classic
  θ_mid − θ_end = I²ρL²/(8kA²);
* transient from a steady state (or from u_end everywhere), in the modes sin(nπx/L), n odd:
  w_n(t) = w_n(0)·e^(−λ_n t) + f_n·(1 − e^(−λ_n t))/λ_n, λ_n = D·((nπ/L)² − κ),
  f_n = D·4·(κ·u_end + b·u∞)/(nπ), D = k/σc; the link's time constant is τ = L²/(π²D);
* far from the ends (t ≪ τ) it heats adiabatically: u_mid = u_end·exp(J²ρ20·t/(σc·(β+20))),
  which is exactly IEC 60949's (and Onderdonk's) melting I²t = (K·A)²·ln((β+θ_m)/(β+θ_i)).

With k·ρ = L0·T (Wiedemann–Franz) the same balance gives Kohlrausch's relation: a link melts
at the voltage 2·√(L0·(T_m² − T0²)) across it whatever its shape (Al 0.276 V, Cu 0.414 V from
25 °C; /work/research/models.md §5.1) — the test checks the model against it. It also means a
conduction-cooled link's resistance is fixed by its minimum fusing current (R·I ≈ 0.1 V for
aluminium): a link that must open at a few times the cell's current costs that much loss.

**Carrying** (``CARRY_LIMIT``): at a cell's share of the continuous load case the hottest point
stays at or below 150 °C, and after the peak case's pulse (from the continuous steady state)
too. The load cases are the pack's one source of loads (``passes.loads``): the cells' own
ratings when the pack states no load, or with ``sizing = capability``. 150 °C is
the temperature IEC 60364-5-54 Table A.54.6 lets bare conductors reach where there is a fire
risk (routing holds busbars to it in a fault) and about where pure aluminium softens (Holm,
*Electric Contacts*: softening temperature of Al 150 °C, recalled, not re-read); far below
melting, so the rating keeps a margin to the minimum fusing current (about 1.7× for aluminium
with 55 °C ends, near the 1.6× of IEC 60269-1's gG fuses).

**Opening**: for a cell shorted internally through ``INTERNAL_SHORT_RESISTANCE`` its P−1
neighbours drive I = OCV/(R_short + R_link + (R_cell + R_link)/(P−1)) through its link (the
link taken at its melting-point resistance, so the current is a lower bound); the link must
melt within ``FUSE_CLEARING_TIME`` from the end temperature. The time is IEC 60949's adiabatic
I²t where that is under a tenth of the link's time constant, the fin's transient otherwise.
A per-group link must open the bolted pack short (pack OCV over pack resistance) likewise.
``fuse_links`` places them for the pack's ``fuse`` mode (E702 if no geometry meets both
requirements).

What is missing: a measured fusing current against length for heavy aluminium bond wires (the
model could not be tested against one: none was found), and a measured range of internal short
resistances (see ``INTERNAL_SHORT_RESISTANCE``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple, TypedDict

import numpy as np

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic
from battgen.core.records import records
from battgen.passes.routing.context import RoutingContext
from battgen.passes.routing.sizing import CONVECTION_H, OPERATING_RISE, iec60949_beta, iec60949_K
from battgen.passes.routing.types import FuseLink

FUSE_CLEARING_TIME = 1.0  # s, design target: a cell fuse must isolate a shorted cell within 1 s
# (faster than the seconds-scale venting of a cell fed by its neighbours; no standard sets it)
PULSE_DURATION = 10.0  # s, HPPC discharge pulse (USABC/INL Battery Test Manual) when the cell gives none
CARRY_LIMIT = 150.0 + 273.15  # K, hottest point of a link carrying its rated current (module docstring)
END_RISE = OPERATING_RISE  # K above ambient: the cell terminal and the busbar the link is welded to
# The internal short a cell fuse must isolate. A measured range of internal-short resistances
# was looked for and not found (/work/research/models.md §5.4, safety.md §5). The bound below
# which the UN Manual of Tests calls a cell's terminals short-circuited (UN 38.3 T5: external
# resistance < 0.1 Ω) is taken as the softest short the link must clear; softer shorts draw less
# than the cell's own current from the neighbours and are the BMS's to find (self-discharge).
# The bolted short (GB 38031: < 5 mΩ) draws more and opens the link sooner.
INTERNAL_SHORT_RESISTANCE = 0.1  # ohm
ADIABATIC_FRACTION = 0.1  # opening faster than this × the time constant: IEC 60949's adiabatic I²t
MODES = 400  # odd Fourier modes of the transient (truncation ~1e-6 of the rise at t ≥ τ/10)
LORENZ = 2.44e-8  # W·Ω/K², the Sommerfeld value of the Lorenz number (Wiedemann–Franz)


class BondWireMetal(TypedDict):
    name: str
    resistivity: float  # ohm·m at 20 °C
    beta: float  # K
    sigma_c: float  # volumetric heat capacity, J/(m³·K)
    conductivity: float  # W/(m·K)
    melting_point: float  # K
    density: float  # kg/m³


# Aluminium bond wire: IEC 60949 Table 1 constants (σc, β, ρ20); 99.99 % aluminium's thermal
# conductivity at 300 K (Incropera & DeWitt, Table A.1: 237 W/(m·K)); CRC Handbook melting point.
BOND_WIRE: BondWireMetal = {
    "name": "aluminium bond wire",
    "resistivity": 2.8264e-8,
    "beta": 228.0,
    "sigma_c": 2.5e6,
    "conductivity": 237.0,
    "melting_point": 933.47,
    "density": 2700.0,
}
BOND_DIAMETERS = np.round(np.arange(0.10e-3, 0.801e-3, 0.025e-3), 7)  # heavy Al bond wire 100–800 µm


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


def melting_voltage(melting_point: float, end: float, lorenz: float = LORENZ) -> float:
    """Kohlrausch: the voltage (V) across a conductor whose ends are held at ``end`` (K) when
    its hottest point reaches ``melting_point`` (K), if k·ρ = L0·T (Wiedemann–Franz)."""
    return 2.0 * math.sqrt(lorenz * (melting_point**2 - end**2))


@dataclass(frozen=True)
class FinLink:
    """Links of one metal, conduction-cooled at both ends (module docstring). Geometry fields
    may be arrays (one entry per size tried); every method broadcasts over them and over the
    current. Temperatures in K, SI throughout."""

    length: np.ndarray | float  # free span between the welds, m
    area: np.ndarray | float  # m²
    perimeter: np.ndarray | float  # m (cooled by the air)
    resistivity: float  # ρ20, ohm·m
    beta: float  # IEC 60949 β, K
    sigma_c: float  # volumetric heat capacity, J/(m³·K)
    conductivity: float  # W/(m·K)
    melting_point: float  # K
    end: float  # K, both ends (cell terminal, busbar)
    air: float  # K
    h: float = CONVECTION_H  # W/(m²·K)

    # u = β + θ: the temperature shifted so that the resistivity is proportional to it
    def _u(self, temperature: float | np.ndarray) -> np.ndarray:
        return np.asarray(temperature, float) - 273.15 + self.beta

    def _temperature(self, u: np.ndarray) -> np.ndarray:
        return u + 273.15 - self.beta

    @property
    def diffusivity(self) -> float:
        return self.conductivity / self.sigma_c

    @property
    def time_constant(self) -> np.ndarray:
        """τ = L²/(π²·D) (s): the decay time of the slowest mode of a bar held at both ends."""
        return np.asarray(self.length, float) ** 2 / (math.pi**2 * self.diffusivity)

    def resistance(self, temperature: float = 293.15) -> np.ndarray:
        """Of the whole link with all of it at ``temperature``, ohm."""
        rho = self.resistivity * self._u(temperature) / (self.beta + 20.0)
        return rho * np.asarray(self.length, float) / np.asarray(self.area, float)

    def _b(self) -> np.ndarray:
        return self.h * np.asarray(self.perimeter, float) / (self.conductivity * np.asarray(self.area, float))

    @cached_property
    def _fixed(self) -> _Fixed:
        """What ``peak`` reads that no current changes, each computed as ``peak`` would."""
        L, b = np.asarray(self.length, float), self._b()
        ue, ui = float(self._u(self.end)), float(self._u(self.air))
        return _Fixed(
            np.asarray(self.area, float),
            L,
            L**2,
            b,
            (self.beta + 20.0) * self.conductivity,
            ue,
            b * ui,
            ue + b * ui * L**2 / 8.0,
        )

    def _kappa(self, current) -> np.ndarray:
        fixed = self._fixed
        j = np.asarray(current, float) / fixed.area
        return j**2 * self.resistivity / fixed.j2_scale - fixed.b

    def runaway_current(self) -> np.ndarray:
        """The current above which no steady state exists (sL = π), A."""
        L, A = np.asarray(self.length, float), np.asarray(self.area, float)
        return A * np.sqrt((math.pi**2 / L**2 + self._b()) * (self.beta + 20.0) * self.conductivity / self.resistivity)

    def peak(self, current) -> np.ndarray:
        """Steady temperature of the hottest point (mid-span) at ``current``, K (inf: none)."""
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return self._peak(current)

    def _peak(self, current) -> np.ndarray:
        """``peak`` without its error state (the bisections set it once around their loop); a
        branch no element takes is not computed."""
        fixed = self._fixed
        kappa = self._kappa(current)
        L, ue, bui = fixed.length, fixed.ue, fixed.bui
        small = np.abs(kappa) * fixed.length2 < 1e-9
        out = fixed.flat  # κ ≈ 0
        pos = (kappa > 0) & ~small
        if pos.any():
            s_half = np.sqrt(np.where(pos, kappa, 0.0)) * L / 2
            c = np.where(pos, bui / np.where(pos, kappa, 1.0), 0.0)
            heated = np.where(s_half < math.pi / 2, (ue + c) / np.cos(s_half) - c, np.inf)
            out = np.where(pos, heated, out)
        neg = (kappa < 0) & ~small
        if neg.any():
            m2 = np.where(neg, -kappa, 1.0)
            up = bui / m2
            cooled = up + (ue - up) / np.cosh(np.sqrt(m2) * L / 2)
            out = np.where(neg, cooled, out)
        if out.shape != kappa.shape:  # no branch taken: the flat profile for every current
            out = np.broadcast_to(out, kappa.shape)
        return self._temperature(out)

    def voltage(self, current) -> np.ndarray:
        """Steady voltage across the link at ``current``, V: J·∫ρ(θ(x))dx over the profile of
        ``peak`` (inf where no steady state exists)."""
        kappa = self._kappa(current)
        L = np.broadcast_to(np.asarray(self.length, float), kappa.shape)
        b = np.broadcast_to(self._b(), kappa.shape)
        ue, ui = float(self._u(self.end)), float(self._u(self.air))
        small = np.abs(kappa) * L**2 < 1e-9
        total = ue * L + b * ui * L**3 / 12.0  # ∫u dx, κ ≈ 0
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            pos = (kappa > 0) & ~small
            s = np.sqrt(np.where(pos, kappa, 1.0))
            c = np.where(pos, b * ui / np.where(pos, kappa, 1.0), 0.0)
            heated = (ue + c) / np.cos(s * L / 2) * (2 / s) * np.sin(s * L / 2) - c * L
            total = np.where(pos, np.where(s * L / 2 < math.pi / 2, heated, np.inf), total)
            neg = (kappa < 0) & ~small
            m = np.sqrt(np.where(neg, -kappa, 1.0))
            up = b * ui / m**2
            total = np.where(neg, up * L + (ue - up) * (2 / m) * np.tanh(m * L / 2), total)
        j = np.asarray(current, float) / np.asarray(self.area, float)
        return j * self.resistivity / (self.beta + 20.0) * total

    def steady_current(self, temperature: float, known: np.ndarray | None = None) -> np.ndarray:
        """The current whose steady hottest point is ``temperature`` (K), A (bisection: the peak
        rises monotonically from no current to the runaway current). ``known``: this link's
        answer found with other sizes (the bisection goes element by element), taken unless
        every size here is at ``temperature`` with no current."""
        hi = self.runaway_current() * (1 - 1e-12)
        lo = np.zeros_like(hi)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if np.all(self._peak(lo) >= temperature):
                return lo
            if known is not None:
                return np.asarray(known, float).reshape(hi.shape)
            for _ in range(48):
                mid = (lo + hi) / 2
                above = self._peak(mid) >= temperature
                lo, hi = np.where(above, lo, mid), np.where(above, mid, hi)
        return (lo + hi) / 2

    def steady_currents(self, temperatures: tuple[float, ...]) -> list[np.ndarray]:
        """``steady_current`` at each of ``temperatures``, the same to the bit, in one bisection
        (a row of the sizes for each)."""
        hi = self.runaway_current() * (1 - 1e-12)
        lo = np.zeros_like(hi)
        limit = np.reshape(np.asarray(temperatures, float), (-1,) + (1,) * hi.ndim)
        low, high = np.broadcast_to(lo, limit.shape[:1] + hi.shape), np.broadcast_to(hi, limit.shape[:1] + hi.shape)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            still = self._peak(lo)
            for _ in range(48):
                mid = (low + high) / 2
                above = self._peak(mid) >= limit
                low, high = np.where(above, low, mid), np.where(above, mid, high)
        found = (low + high) / 2
        return [lo if np.all(still >= t) else found[k] for k, t in enumerate(temperatures)]

    @cached_property
    def _transient(self) -> _Transient:
        return _Transient(self, MODES)

    def _modes(self, modes: int) -> _Transient:
        return self._transient if modes == MODES else _Transient(self, modes)

    def peak_after(self, current, seconds, initial=None, modes: int = MODES) -> np.ndarray:
        """Hottest point (K) after ``seconds`` at ``current``, from the steady state at the
        ``initial`` current (None: the whole link at the end temperature). The Fourier series of
        the module docstring; inf where the initial current has no steady state."""
        series = self._modes(modes)
        return series.peak(series.rates(current), seconds, None if initial is None else series.start(initial))

    def adiabatic_time(self, temperature: float, current) -> np.ndarray:
        """Time (s) to heat from the end temperature to ``temperature`` with no cooling at all:
        IEC 60949's I²t = (K·A)²·ln((β + θ)/(β + θ_end))."""
        j = np.asarray(current, float) / np.asarray(self.area, float)
        rate = j**2 * self.resistivity / (self.sigma_c * (self.beta + 20.0))
        with np.errstate(divide="ignore"):
            return np.log(self._u(temperature) / self._u(self.end)) / rate

    def time_to(self, temperature: float, current) -> tuple[np.ndarray, np.ndarray]:
        """Time (s) for the hottest point to reach ``temperature`` at ``current`` from the end
        temperature everywhere (inf if the steady state stays below it), and whether that time
        is the adiabatic one (under ``ADIABATIC_FRACTION`` of the time constant). Only the sizes
        that need the fin's transient have it computed; the current's part of it once."""
        current = np.broadcast_to(np.asarray(current, float), np.broadcast(self.area, current).shape)
        if current.ndim == 0:  # one link: as a row of one
            t, adiabatic = self.time_to(temperature, current.reshape(1))
            return t.reshape(()), adiabatic.reshape(())
        t_ad = np.broadcast_to(self.adiabatic_time(temperature, current), current.shape).astype(float)
        tau = np.broadcast_to(self.time_constant, current.shape)
        adiabatic = t_ad < ADIABATIC_FRACTION * tau
        never = self.peak(current) < temperature
        lo, hi = t_ad.copy(), t_ad.copy()
        todo = ~adiabatic & ~never & np.isfinite(t_ad)
        if todo.any():
            series = self._transient
            rates = tuple(r[todo] for r in series.rates(current))

            def reaches(seconds: np.ndarray) -> np.ndarray:  # the hottest point of the rows to do
                return series.peak(rates, seconds[todo])

            for _ in range(80):  # the fin is slower than adiabatic: double until it gets there
                short = np.zeros_like(todo)
                short[todo] = reaches(hi) < temperature
                if not short.any():
                    break
                lo, hi = np.where(short, hi, lo), np.where(short, hi * 2, hi)
            for _ in range(30):  # in log time: the bracket's ratio ends below 1 + 1e-9
                mid = np.sqrt(lo * hi)
                reached = np.zeros_like(todo)
                reached[todo] = reaches(mid) >= temperature
                lo, hi = np.where(reached | ~todo, lo, mid), np.where(reached & todo, mid, hi)
        t = np.where(adiabatic, t_ad, hi)
        return np.where(never, np.inf, t), adiabatic & ~never

    def current_for_time(self, temperature: float, seconds: float, steady: np.ndarray | None = None) -> np.ndarray:
        """The current that brings the hottest point to ``temperature`` in ``seconds`` from the
        end temperature, A: IEC 60949's adiabatic current where ``seconds`` is under
        ``ADIABATIC_FRACTION`` of the time constant (as ``time_to`` decides), else the current
        whose transient is at ``temperature`` after ``seconds`` (bisection upwards from the
        steady current, which would take forever; ``steady``: that current when the caller
        has it, as ``steady_current``'s ``known``)."""
        j2 = np.log(self._u(temperature) / self._u(self.end)) * self.sigma_c * (self.beta + 20.0)
        adiabatic = np.asarray(self.area, float) * np.sqrt(j2 / (self.resistivity * seconds))
        quick = seconds < ADIABATIC_FRACTION * self.time_constant
        if np.all(quick):  # the transient's answer would not be read
            return np.where(quick, adiabatic, adiabatic)
        lo = self.steady_current(temperature, steady)
        hi = np.maximum(adiabatic, lo) * 2
        series = self._transient
        for _ in range(60):  # grow until it gets there in time
            slow = series.peak(series.rates(hi), seconds) < temperature
            if not slow.any():
                break
            lo, hi = np.where(slow, hi, lo), np.where(slow, hi * 2, hi)
        for _ in range(40):
            mid = (lo + hi) / 2
            hot = series.peak(series.rates(mid), seconds) >= temperature
            lo, hi = np.where(hot, lo, mid), np.where(hot, mid, hi)
        return np.where(quick, adiabatic, hi)

    def pulse_current(
        self, temperature: float, seconds: float, initial, steady: np.ndarray | None = None
    ) -> np.ndarray:
        """The current that, applied for ``seconds`` after the steady state at ``initial``,
        brings the hottest point to ``temperature``, A (bisection; ``steady``: the steady
        current at ``temperature`` when the caller has it, as ``steady_current``'s ``known``)."""
        lo = np.broadcast_to(np.asarray(self.steady_current(temperature, steady), float), np.shape(self.area)).copy()
        hi = lo * 2 + 1e-9
        series = self._transient
        start = series.start(initial)
        for _ in range(60):  # grow until the pulse gets there
            short = series.peak(series.rates(hi), seconds, start) < temperature
            if not short.any():
                break
            hi = np.where(short, hi * 2, hi)
        for _ in range(40):
            mid = (lo + hi) / 2
            hot = series.peak(series.rates(mid), seconds, start) >= temperature
            lo, hi = np.where(hot, lo, mid), np.where(hot, mid, hi)
        return lo


class _Fixed(NamedTuple):
    """``FinLink.peak``'s terms that no current changes."""

    area: np.ndarray  # m²
    length: np.ndarray  # m
    length2: np.ndarray  # L², m²
    b: np.ndarray  # h·P/(k·A), 1/m²
    j2_scale: float  # (β + 20)·k: κ = J²·ρ20/((β + 20)·k) − b
    ue: float  # u at the ends
    bui: np.ndarray  # b·u of the air
    flat: np.ndarray  # u at mid-span where κ ≈ 0


class _Transient:
    """``FinLink.peak_after``'s Fourier series over ``modes`` odd modes, with what neither the
    current nor the time changes computed once per link, the current's part once per current
    (``rates``), the initial steady state's once (``start``); every term as the series of the
    module docstring writes it."""

    def __init__(self, link: FinLink, modes: int) -> None:
        self.link = link
        n = 2.0 * np.arange(modes) + 1.0  # odd modes
        self.sign = np.where(np.arange(modes) % 2 == 0, 1.0, -1.0)  # sin(nπ/2)
        self.D = link.diffusivity
        self.D4 = self.D * 4.0
        L = np.asarray(link.length, float)[..., None]
        self.ue, ui = float(link._u(link.end)), float(link._u(link.air))
        b = link._b()[..., None] if np.ndim(link._b()) else link._b()
        self.bui = b * ui
        self.n_pi = n * math.pi
        self.q2 = (n * math.pi / L) ** 2  # (nπ/L)²

    def rates(self, current) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each mode's decay rate λ_n (and λ_n with 1 for 0, the divisor) and forcing f_n at ``current``."""
        kappa = self.link._kappa(current)[..., None]
        lam = self.D * (self.q2 - kappa)
        f = self.D4 * (kappa * self.ue + self.bui) / self.n_pi
        return lam, np.where(lam == 0, 1.0, lam), f

    def start(self, initial) -> tuple[np.ndarray, np.ndarray]:
        """The modes of the steady state at the ``initial`` current, and where it has one."""
        kappa0 = self.link._kappa(initial)[..., None]
        lam0 = self.D * (self.q2 - kappa0)
        w0 = self.D4 * (kappa0 * self.ue + self.bui) / self.n_pi / lam0
        return w0, lam0[..., :1] > 0

    def peak(
        self,
        rates: tuple[np.ndarray, np.ndarray, np.ndarray],
        seconds,
        start: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Hottest point (K) after ``seconds`` at the current of ``rates``, from ``start``."""
        lam, divisor, f = rates
        t = np.asarray(seconds, float)[..., None]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            x = lam * t
            minus_x = -x
            phi = np.where(np.abs(x) < 1e-12, t, -np.expm1(minus_x) / divisor)
            w = f * phi
            if start is not None:
                w0, steady = start
                w = w + w0 * np.exp(minus_x)
                w = np.where(steady, w, np.inf)
            rise = np.sum(self.sign * w, axis=-1)
        rise = np.where(np.isnan(rise), np.inf, rise)  # growing modes overflowed: far past any limit
        return self.link._temperature(self.ue + rise)


class _Family(NamedTuple):
    """Fuse geometries of one kind, smallest first (arrays over the sizes tried)."""

    kind: str  # "wire_bond" | "fuse_link"
    material: str
    diameter: np.ndarray  # m (0 for strips)
    width: np.ndarray  # m (0 for wires)
    thickness: np.ndarray  # m (0 for wires)
    area: np.ndarray  # m²
    perimeter: np.ndarray  # m
    resistivity: float
    beta: float
    sigma_c: float
    conductivity: float
    melting_point: float  # K

    def take(self, index: np.ndarray | slice) -> _Family:
        """The sizes at ``index``."""
        return self._replace(
            diameter=self.diameter[index],
            width=self.width[index],
            thickness=self.thickness[index],
            area=self.area[index],
            perimeter=self.perimeter[index],
        )

    def link(self, length: float, end: float, air: float) -> FinLink:
        return FinLink(
            np.full_like(self.area, length),
            self.area,
            self.perimeter,
            self.resistivity,
            self.beta,
            self.sigma_c,
            self.conductivity,
            self.melting_point,
            end,
            air,
        )


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
            np.pi * d,
            BOND_WIRE["resistivity"],
            BOND_WIRE["beta"],
            BOND_WIRE["sigma_c"],
            BOND_WIRE["conductivity"],
            BOND_WIRE["melting_point"],
        )
    ]
    if strip is not None and strip.resistivity and strip_thickness > 0:
        w = np.round(np.arange(0.2e-3, 20.001e-3, 0.1e-3), 7)
        # thermal conductivity: the material's, else Wiedemann–Franz at 20 °C (k = L0·T/ρ)
        k = strip.conductivity or LORENZ * 293.15 / strip.resistivity
        out.append(
            _Family(
                "fuse_link",
                strip.name,
                np.zeros_like(w),
                w,
                np.full_like(w, strip_thickness),
                w * strip_thickness,
                2 * (w + strip_thickness),
                strip.resistivity,
                iec60949_beta(strip),
                strip.density * (strip.specific_heat or 385.0),
                k,
                strip.melting_point or 1356.0,
            )
        )
    return out


@dataclass(frozen=True)
class FuseDuty:
    """What a link must carry and clear."""

    continuous: float  # A, indefinitely
    pulse: float  # A, for ``pulse_s``
    pulse_s: float  # s
    ocv: float  # V, of the cell (per cell) or the pack (per group)
    r_cell: float  # ohm, of the cell (per cell) or the pack (per group)
    parallel: int
    fault: float | None = None  # A, a stated fault current (per group: the bolted pack short)
    short_resistance: float = INTERNAL_SHORT_RESISTANCE  # ohm, the internal short (per cell)

    def fault_through(self, r_link: np.ndarray) -> np.ndarray:
        """Current through a shorted cell's link, its P−1 neighbours discharging (0 if none)."""
        if self.fault is not None:
            return np.full_like(r_link, self.fault)
        if self.parallel < 2:
            return np.zeros_like(r_link)
        return self.ocv / (self.short_resistance + r_link + (self.r_cell + r_link) / (self.parallel - 1))

    def short_for(self, current: float, r_link: float) -> float | None:
        """The internal short resistance (ohm) that draws ``current`` through the link."""
        if self.fault is not None or self.parallel < 2 or current <= 0:
            return None
        return max(self.ocv / current - r_link - (self.r_cell + r_link) / (self.parallel - 1), 0.0)


def size_fuse(
    duty: FuseDuty, length: float, ambient: float, strip: ir.Material | None = None, strip_thickness: float = 0.0
) -> dict | str:
    """The wire bond (else strip link) that carries ``duty`` and opens within FUSE_CLEARING_TIME
    at its fault current with the least resistance (the largest that still opens: a link that
    must open at a given current costs the least loss that way). Returns the fields of a
    FuseLink, or a sentence saying why none works."""
    reasons = []
    for family in _families(strip, strip_thickness):
        got = _smallest(family, duty, length, ambient)
        if isinstance(got, dict):
            return got
        reasons.append(got)
    return "; ".join(reasons)


def _smallest(family: _Family, duty: FuseDuty, length: float, ambient: float) -> dict | str:
    """The largest of ``family`` that carries and opens: the fields of a FuseLink, or why none
    of them does (the smallest that carries is the one that opens best)."""
    end = ambient + END_RISE
    link = family.link(length, end, ambient)
    melt = family.melting_point
    rating, melting = link.steady_currents((CARRY_LIMIT, melt))
    carry = rating >= duty.continuous
    pulse_rating = rating
    if duty.pulse > duty.continuous:
        carry &= link.peak_after(duty.pulse, duty.pulse_s, duty.continuous) <= CARRY_LIMIT
    name = family.kind.replace("_", " ")
    d_eq = np.sqrt(4 * family.area / np.pi)
    if not carry.any():
        return (
            f"no {name} up to {d_eq[-1] * 1e3:.2f} mm carries {duty.continuous:.1f} A continuous and "
            f"{duty.pulse:.1f} A for {duty.pulse_s:g} s with its hottest point at {CARRY_LIMIT - 273.15:.0f} °C "
            f"or below (ends at {end - 273.15:.0f} °C)"
        )
    idx = np.flatnonzero(carry)
    sub = family.take(idx)
    link = sub.link(length, end, ambient)
    r_hot = link.resistance(melt)
    fault = duty.fault_through(r_hot)
    opens = np.ones(len(idx), bool)
    clearing = np.full(len(idx), np.inf)
    adiabatic = np.zeros(len(idx), bool)
    if duty.fault is not None or duty.parallel >= 2:
        clearing, adiabatic = link.time_to(melt, fault)
        opens = clearing <= FUSE_CLEARING_TIME
    fusing = link.steady_current(melt, melting[idx])
    if not opens.any():
        r_short = f"{duty.short_resistance * 1e3:.0f} mΩ internal short" if duty.fault is None else "bolted pack short"
        when = "never opens" if not np.isfinite(clearing[0]) else f"needs {clearing[0]:.2g} s to open"
        carried = f"{duty.continuous:.1f} A" + (
            f" and {duty.pulse:.1f} A for {duty.pulse_s:g} s" if duty.pulse > duty.continuous else ""
        )
        return (
            f"the smallest {name} that carries {carried} ({d_eq[idx[0]] * 1e3:.3f} mm equivalent, "
            f"{length * 1e3:.1f} mm long: minimum fusing current {fusing[0]:.1f} A) {when} at the {fault[0]:.1f} A "
            f"that a {r_short} draws through it (limit {FUSE_CLEARING_TIME:g} s)"
        )
    n = int(np.flatnonzero(opens)[-1])  # the largest that still opens: the least loss
    pick = sub.take(slice(n, n + 1))
    one = pick.link(length, end, ambient)
    if duty.pulse > duty.continuous:
        pulse_rating = one.pulse_current(CARRY_LIMIT, duty.pulse_s, duty.continuous, rating[idx[n] : idx[n] + 1])
        margin = min(float(rating[idx[n]]) / duty.continuous, float(pulse_rating[0]) / duty.pulse)
    else:
        margin = float(rating[idx[n]]) / max(duty.continuous, 1e-12)
    max_short = None
    if duty.fault is None and duty.parallel >= 2:
        clears = float(one.current_for_time(melt, FUSE_CLEARING_TIME, fusing[n : n + 1])[0])
        max_short = duty.short_for(clears, float(r_hot[n]))
    return {
        "kind": family.kind,
        "material": family.material,
        "diameter": float(pick.diameter[0]),
        "width": float(pick.width[0]),
        "thickness": float(pick.thickness[0]),
        "length": length,
        "rating": float(rating[idx[n]]),
        "fusing_current": float(fusing[n]),
        "carry_margin": margin,
        "fault_current": float(fault[n]),
        "clearing_time": float(clearing[n]),
        "resistance": float(one.resistance()[0]),
        "hot_spot": float(one.peak(duty.continuous)[0]),
        "time_constant": float(one.time_constant[0]),
        "opening": ("adiabatic" if adiabatic[n] else "fin") if np.isfinite(clearing[n]) else "",
        "short_resistance": duty.short_resistance if duty.fault is None and duty.parallel >= 2 else 0.0,
        "max_short": max_short,
    }


@dataclass(frozen=True)
class Fusing:
    links: list[FuseLink]  # one per cell (per_cell), per group (per_group), none
    resistance: float  # of one link, ohm (0 without fuses)


def fuse_links(ctx: RoutingContext, ocv_pack: float, r_pack: float) -> Fusing | Diagnostic:
    """The pack's fuse links for its ``fuse`` mode: one per cell, sized for a cell's share of
    the load cases (the mean cell of its group) and its P−1 neighbours' fault through an
    internal short; or one per parallel group, sized for the group's currents and the bolted
    pack short (pack OCV ``ocv_pack`` over its resistance ``r_pack``). E702 if none fits."""
    pack, layout = ctx.pack, ctx.layout
    if pack.fuse not in ("per_cell", "per_group"):
        return Fusing([], 0.0)
    cell = pack.cell
    material, thickness = ctx.conductor.material, ctx.conductor.thickness
    fspan = pack.property_spans.get("fuse", pack.span)
    # the load cases (``passes.loads``: the cells' ratings when nothing is stated), per cell or
    # per group; the peak for its stated pulse, else the cell's, else the HPPC's 10 s
    pulse_s = ctx.duty.peak_duration or cell.pulse_duration or PULSE_DURATION
    if pack.fuse == "per_cell":
        P = layout.parallel
        duty = FuseDuty(ctx.duty.continuous / P, ctx.duty.peak / P, pulse_s, cell.nominal_voltage, cell.resistance, P)
    else:
        duty = FuseDuty(
            ctx.duty.continuous, ctx.duty.peak, pulse_s, ocv_pack, r_pack, layout.parallel, ctx.duty.short_circuit
        )
    got = size_fuse(duty, max(5e-3, 0.3 * min(layout.pitch)), pack.ambient, material, thickness)
    if isinstance(got, str):
        return Diagnostic(
            "E702",
            f"no fuse geometry meets both the carry and the fault requirement ({pack.fuse}): {got}",
            fspan,
            "change the parallel count (more neighbours drive more fault current), the cell, "
            "or use fuse = none with pack-level protection",
        )
    fused: range | list[int]
    if pack.fuse == "per_cell":
        fused = range(len(layout.cells))
    else:
        fused = [g.cells[0] for g in sorted(layout.groups, key=lambda g: g.index)]
    # every link of a pack is one size: made as copies (``core.records``; 23 -> 3 ms for 7,104)
    links = records(FuseLink, ({"cell": int(c), "group": layout.cells[c].group} for c in fused), got)
    return Fusing(links, got["resistance"])
