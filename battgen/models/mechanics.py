"""Closed-form structural mechanics: plates, beams, single-degree-of-freedom response to the
standards' vibration and shock, and the test levels themselves. SI throughout.

Plates and beams (the cross-checks of the finite-element modal analysis in
``passes.structure.modal``, and the end-plate sizing of ``passes.structure.compression``):

* Simply supported rectangular plate, Navier (exact for classical thin plates; A. W. Leissa,
  *Vibration of Plates*, NASA SP-160, 1969): f_mn = (π/2)·[(m/a)² + (n/b)²]·√(D/(ρh)),
  D = E·h³/(12·(1 − ν²)). Check: 6061-T6, 500 × 500 × 3 mm → 58.24 Hz.
* Cantilever, Euler–Bernoulli: f₁ = (β₁L)²/(2π)·√(E·I/(m'·L⁴)) with β₁L = 1.875104 (the first
  root of cos βL·cosh βL = −1; R. D. Blevins, *Formulas for Natural Frequency and Mode Shape*,
  1979, Table 8-1).
* Rectangular plate, all edges simply supported, uniform pressure q (W. C. Young & R. G.
  Budynas, *Roark's Formulas for Stress and Strain*, 7th ed. 2002, Table 11.4 case 1a,
  ν = 0.3): σ_max = β·q·b²/t² at the centre, y_max = α·q·b⁴/(E·t³), edge reaction R = γ·q·b,
  b the short side. Sized for an allowable stress: t = b·√(β·q/σ_allow). Check: b = 100 mm,
  a/b = 2, q = 0.3 MPa, σ = 184 MPa → t = 3.154 mm. Simply supported is the conservative
  edge for an end plate bolted or strapped at its rim (a clamped edge carries less at the
  centre).

Response of a single degree of freedom (natural frequency f_n, damping ratio ζ, Q = 1/(2ζ)):

* base-excitation transmissibility T = √((1 + (2ζr)²)/((1 − r²)² + (2ζr)²)), r = f/f_n
  (W. T. Thomson, *Theory of Vibration with Applications*, §3.5);
* Miles' equation for a random input: G_rms = √((π/2)·f_n·Q·ASD(f_n)) (R. Simmons, NASA GSFC
  FEMCI, "Miles' Equation", 2001; J. W. Miles, J. Aeronaut. Sci. 21 (1954) 753). Check:
  30 Hz, Q = 10, 0.006 g²/Hz → 1.681 g;
* the half-sine shock: the peak absolute acceleration of the undamped oscillator over and
  after the pulse (the shock response spectrum), from the exact solution of
  z'' + ω²z = −a(t) (C. M. Harris, *Shock and Vibration Handbook*, ch. 8). Checks: far
  below 1/T it tends to ω·Δv (the residual of an impulse), far above to the pulse's peak. The pulse's velocity change 2·A·T/π
  checks the pulse (7 g, 6 ms → 0.262 m/s).

Test levels (the standards the stages hold a pack to):

* **Mechanical shock**, GB 38031-2025 clause 8.2.2, Table 4 (as quoted clause by clause by the
  rapiddraft "battery-pack-china" wiki, …/mechanical/mechanical-shock/): half-sine, 7 g peak,
  6 ms, ±z, 6 shocks each way. The method is unchanged from 2020 (the foreword: "requirements
  only" revised).
* **Vibration.** GB 38031-2025 8.2.1 applies a random profile (Table 3 for M1/N1 cars) whose
  PSD breakpoints were NOT found in any readable copy (the wiki's page is cut off after
  "x 0.52 g"; GB 38031-2020's table likewise; searched again for this stage). Used instead,
  and named so in every result: the sinusoidal profile of **GB/T 31467.3-2015 Amendment 1
  (2017), clause 7.1.1, Table 2** (the Standardization Administration of China's notice of
  6 June 2017, sspnext.com notice 48342), which GB 38031's predecessor tested packs to: a
  sweep 7 → 50 → 7 Hz in 15 min, 12 times in 3 h, in the vertical direction; acceleration
  10 m/s² at 7–18 Hz, "10 gradually reduced to 2" m/s² at 18–30 Hz, 2 m/s² at 30–50 Hz. The
  reduction between 18 and 30 Hz is taken log–log linear (the text says only "gradually").
  The road-excitation band is the sweep's, 7–50 Hz.
* **Compression (crush)**, GB 38031-2025 8.2.4: x and y, stop at 100 kN or 30 % deformation,
  hold 10 min (wiki …/mechanical/). The platen of the predecessor GB/T 31467.3-2015 is a
  semi-cylinder of radius 75 mm, longer than the pack is high (LSK-TCZ test-bench
  description, lskplc.com/index.php/info/199.html, secondary).
"""

from __future__ import annotations

import math

import numpy as np

G0 = 9.80665  # m/s², standard gravity (the "g" of every test level)

# --- plates and beams ------------------------------------------------------------------------

# Roark 7th ed., Table 11.4 case 1a (all edges simply supported, uniform load, ν = 0.3)
ROARK_RATIO = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 3.0, 4.0, 5.0, math.inf)
ROARK_BETA = (0.2874, 0.3762, 0.4530, 0.5172, 0.5688, 0.6102, 0.7134, 0.7410, 0.7476, 0.7500)
ROARK_ALPHA = (0.0444, 0.0616, 0.0770, 0.0906, 0.1017, 0.1110, 0.1335, 0.1400, 0.1417, 0.1421)
ROARK_GAMMA = (0.420, 0.455, 0.478, 0.491, 0.499, 0.503, 0.505, 0.502, 0.501, 0.500)

CANTILEVER_ROOT = 1.875104068711961  # β₁L of a clamped-free Euler–Bernoulli beam


def flexural_rigidity(modulus: float, thickness: float, poisson: float) -> float:
    """Plate bending stiffness D = E·h³/(12·(1 − ν²)), N·m."""
    return modulus * thickness**3 / (12.0 * (1.0 - poisson**2))


def navier_frequency(
    a: float,
    b: float,
    thickness: float,
    modulus: float,
    poisson: float,
    density: float,
    m: int = 1,
    n: int = 1,
    added_mass: float = 0.0,
) -> float:
    """Natural frequency f_mn, Hz, of a simply supported a × b plate; ``added_mass``: kg/m²
    carried on it (smeared)."""
    d = flexural_rigidity(modulus, thickness, poisson)
    mass = density * thickness + added_mass
    return math.pi / 2.0 * ((m / a) ** 2 + (n / b) ** 2) * math.sqrt(d / mass)


def cantilever_frequency(length: float, bending_stiffness: float, mass_per_length: float) -> float:
    """First natural frequency, Hz, of a clamped-free beam of E·I ``bending_stiffness``."""
    return CANTILEVER_ROOT**2 / (2.0 * math.pi) * math.sqrt(bending_stiffness / (mass_per_length * length**4))


def _roark(table: tuple[float, ...], ratio: float) -> float:
    ratio = max(ratio, 1.0)
    if ratio >= ROARK_RATIO[-2]:  # 5 → ∞: the last coefficients differ in the third digit
        return table[-2] + (table[-1] - table[-2]) * (1.0 - ROARK_RATIO[-2] / ratio)
    return float(np.interp(ratio, ROARK_RATIO[:-1], table[:-1]))


def roark_coefficients(a: float, b: float) -> tuple[float, float, float]:
    """(β, α, γ) of Roark Table 11.4 case 1a for an a × b plate (either order)."""
    ratio = max(a, b) / min(a, b)
    return _roark(ROARK_BETA, ratio), _roark(ROARK_ALPHA, ratio), _roark(ROARK_GAMMA, ratio)


def plate_thickness_for_stress(a: float, b: float, pressure: float, allowable: float) -> float:
    """Thickness, m, at which a simply supported a × b plate under ``pressure`` reaches
    ``allowable`` stress at its centre: t = b·√(β·q/σ) with b the short side."""
    beta, _, _ = roark_coefficients(a, b)
    return min(a, b) * math.sqrt(beta * pressure / allowable)


def plate_centre_deflection(a: float, b: float, pressure: float, thickness: float, modulus: float) -> float:
    """Centre deflection, m, of the same plate: y = α·q·b⁴/(E·t³)."""
    _, alpha, _ = roark_coefficients(a, b)
    return alpha * pressure * min(a, b) ** 4 / (modulus * thickness**3)


# --- single degree of freedom ----------------------------------------------------------------


def transmissibility(frequency, natural: float, damping: float):
    """Base-excitation transmissibility |X/Y| of a damped oscillator (broadcasts)."""
    r = np.asarray(frequency, float) / natural
    two_zr = 2.0 * damping * r
    return np.sqrt((1.0 + two_zr**2) / ((1.0 - r**2) ** 2 + two_zr**2))


def miles_grms(natural: float, q_factor: float, asd: float) -> float:
    """Miles' equation: response G_rms (in the units of √(ASD·Hz), e.g. g) of a single degree
    of freedom at ``natural`` Hz with amplification ``q_factor`` on a flat input ``asd``."""
    return math.sqrt(math.pi / 2.0 * natural * q_factor * asd)


def half_sine_velocity_change(peak: float, duration: float) -> float:
    """Δv, m/s, of a half-sine pulse of ``peak`` m/s² lasting ``duration`` s: 2·A·T/π."""
    return 2.0 * peak * duration / math.pi


def half_sine_response(natural: float, peak: float, duration: float) -> float:
    """Peak absolute acceleration, m/s², of an undamped single degree of freedom at ``natural``
    Hz under a half-sine base pulse (``peak`` m/s², ``duration`` s): the shock response
    spectrum at f_n (damping only lowers it; undamped is the bound). During the pulse the
    relative motion z'' + ω²z = −A·sin(Ωt), Ω = π/T, from rest, is
    z = −A/(ω² − Ω²)·(sin Ωt − (Ω/ω)·sin ωt) and the absolute acceleration is −ω²z (sampled
    200 points per period or pulse); after it the oscillator rings freely with amplitude
    ω²·√(z² + (z'/ω)²) of the state the pulse left."""
    omega = 2.0 * math.pi * natural
    big_omega = math.pi / duration
    if abs(omega - big_omega) < 1e-6 * big_omega:  # the resonant limit: nudge off it
        omega *= 1.0 + 1e-6
    k = peak / (omega**2 - big_omega**2)
    ratio = big_omega / omega
    samples = int(200 * max(1.0, duration * natural)) + 1
    t = np.linspace(0.0, duration, samples)
    z = -k * (np.sin(big_omega * t) - ratio * np.sin(omega * t))
    during = float(np.abs(omega**2 * z).max())
    z_end = float(z[-1])
    zdot_end = -k * (big_omega * math.cos(big_omega * duration) - big_omega * math.cos(omega * duration))
    after = omega**2 * math.hypot(z_end, zdot_end / omega)
    return max(during, after)


# --- the standards' levels --------------------------------------------------------------------

SHOCK_PEAK = 7.0 * G0  # m/s², GB 38031-2025 8.2.2 Table 4
SHOCK_DURATION = 0.006  # s, same
SHOCK_COUNT = 12  # 6 in +z and 6 in −z
SHOCK_STANDARD = "GB 38031-2025 8.2.2 (half-sine 7 g, 6 ms, ±z)"

# GB/T 31467.3-2015 Amendment 1 (2017), 7.1.1 Table 2: (frequency Hz, acceleration m/s²)
SINE_PROFILE = ((7.0, 10.0), (18.0, 10.0), (30.0, 2.0), (50.0, 2.0))
SINE_BAND = (7.0, 50.0)  # Hz, the sweep (the road-excitation band the frequencies are held to)
SINE_SWEEPS = 12  # 7 → 50 → 7 Hz in 15 min, 12 times (3 h), vertical
SINE_SWEEP_SECONDS = 15 * 60
VIBRATION_STANDARD = (
    "GB/T 31467.3-2015 Amendment 1 (2017) 7.1.1 sine sweep 7-50 Hz (GB 38031-2025 8.2.1's random PSD table not found)"
)

CRUSH_FORCE = 100e3  # N, GB 38031-2025 8.2.4 (stop at 100 kN or 30 % deformation)
CRUSH_DEFORMATION = 0.30
CRUSH_PLATEN_RADIUS = 0.075  # m, GB/T 31467.3-2015 semi-cylinder (secondary)
CRUSH_STANDARD = "GB 38031-2025 8.2.4 (100 kN or 30 % deformation, x and y)"


def sine_acceleration(frequency) -> np.ndarray:
    """The sweep's acceleration amplitude, m/s², at ``frequency`` Hz (0 outside 7–50 Hz);
    log–log between the table's points."""
    f = np.atleast_1d(np.asarray(frequency, float))
    pts = np.array(SINE_PROFILE)
    out = np.exp(np.interp(np.log(np.clip(f, pts[0, 0], pts[-1, 0])), np.log(pts[:, 0]), np.log(pts[:, 1])))
    out[(f < SINE_BAND[0]) | (f > SINE_BAND[1])] = 0.0
    return out


def sine_response(natural: float, damping: float) -> tuple[float, float]:
    """(peak absolute response acceleration m/s², the sweep frequency Hz it occurs at) of a
    single degree of freedom at ``natural`` Hz swept by the profile: max over the band of
    A(f)·T(f)."""
    f = np.geomspace(SINE_BAND[0], SINE_BAND[1], 4001)
    if SINE_BAND[0] <= natural <= SINE_BAND[1]:
        f = np.sort(np.append(f, natural))
    response = sine_acceleration(f) * transmissibility(f, natural, damping)
    i = int(np.argmax(response))
    return float(response[i]), float(f[i])


def sine_cycles_near(natural: float, damping: float) -> float:
    """Stress cycles the sweep spends within the half-power band f_n·(1 ± ζ) over the whole
    test (12 logarithmic sweeps up and down): N = Σ f·dt = f_n·2ζ·T_half/ln(50/7) per pass."""
    if not SINE_BAND[0] <= natural <= SINE_BAND[1]:
        return 0.0
    per_pass = SINE_SWEEP_SECONDS / 2.0 / math.log(SINE_BAND[1] / SINE_BAND[0])  # s per unit ln f
    return SINE_SWEEPS * 2.0 * natural * (2.0 * damping) * per_pass
