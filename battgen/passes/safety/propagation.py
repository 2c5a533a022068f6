"""Thermal-runaway propagation through the cell network: trigger one cell the way the standard
does, and follow when each neighbour reaches its onset.

1. **Trigger cell**: the most surrounded cell (most neighbours in the network), the one nearest
   the pack's centre among those (GB 38031-2025 C.5.3.2: "near the center of the battery pack
   or one that is surrounded by other battery cells").
2. **Trigger**: the external heater of Table C.2 (``models.runaway.heater_power``) on the
   trigger cell, from the pack at ambient, until the cell reaches its onset; the heat leaks to
   its neighbours meanwhile. When the row's lowest power cannot take the cell to its onset
   against its cooling (its steady rise would stay below it), the row's highest does; when
   that cannot either, the cell runs away at once from ambient (the needle of C.5.3.3).
3. **Runaway** (time 0 is the trigger cell's): a cell that reaches its onset releases its body
   heat into itself and its ejecta heat to its neighbours by their view of it, at once (the
   runaway lasts seconds, the propagation minutes).
4. The network is stepped explicitly (forward Euler at a stable step, at most ``MAX_STEP``),
   radiation at the current temperatures, until every cell is at or below 60 °C (the end of the
   standard's observation), or no cell is at its onset any more (with no source left and the
   coolant colder, no temperature can rise above the hottest one's: no cell can run away
   later), or every cell has run away, or ``OBSERVATION`` has passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from battgen.models import runaway
from battgen.passes.safety.network import Edges, Network

MAX_STEP = 5.0  # s: minutes-long propagation resolved to seconds; the step is also held stable
HEATER_LIMIT = 7200.0  # s: a heater that has not triggered the cell in the standard's 2 h never will


@dataclass(frozen=True)
class Run:
    trigger: int
    method: str  # "heater 300 W (Table C.2)" / "needle (C.5.3.3)"
    heating_time: float  # s the heater ran before the runaway
    onset_times: np.ndarray  # s after the trigger's runaway, per cell (inf: never)
    peak: np.ndarray  # K, each cell's highest temperature
    end: float  # s simulated after the runaway


def trigger_cell(network: Network, xy: np.ndarray) -> int:
    """The most surrounded cell, nearest the centre among those."""
    n = len(network.capacity)
    degree = np.bincount(network.pairs.ravel(), minlength=n) if len(network.pairs) else np.zeros(n, int)
    centre = xy.mean(axis=0)
    distance = np.linalg.norm(xy - centre, axis=1)
    best = np.flatnonzero(degree == degree.max())
    return int(best[np.argmin(distance[best])])


def _rates(network: Network, edges: Edges, t: np.ndarray, heater: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dT/dt of every cell, K/s; the total conductance of each cell's links, W/K)."""
    i, j = edges.first, edges.second
    ti, tj = t[i], t[j]
    # conduction, and radiation linearised at the current temperatures (exact flow for this step)
    g = edges.conductance(ti, tj) + network.radiation * (ti * ti + tj * tj) * (ti + tj)
    flow = g * (tj - ti)
    n = len(t)
    q = np.bincount(i, weights=flow, minlength=n) - np.bincount(j, weights=flow, minlength=n)
    q += network.coolant * (network.coolant_temperature - t) + heater
    total = np.bincount(i, weights=g, minlength=n) + np.bincount(j, weights=g, minlength=n)
    return q / network.capacity, total + network.coolant


def _step(network: Network, total: np.ndarray) -> float:
    return float(min(MAX_STEP, 0.4 * np.min(network.capacity / np.maximum(total, 1e-12))))


def _heat_trigger(network: Network, edges: Edges, trigger: int, onset: float, ambient: float, energy_wh: float):
    """The heater phase: temperatures when the trigger cell reaches its onset, the method and
    how long it took."""
    n = len(network.capacity)
    t = np.full(n, ambient)
    t0 = t.copy()
    _, total = _rates(network, edges, t, np.zeros(n))
    cooling = total[trigger]
    low = runaway.heater_power(energy_wh)
    high = runaway.heater_power_max(energy_wh)
    # the heater must beat the cell's losses at its onset (a margin of a quarter)
    need = 1.25 * (onset - ambient) * cooling
    power = low if low >= need else high
    if power < need:
        return t0, "needle (GB 38031-2025 C.5.3.3): no heater of Table C.2 reaches the onset", 0.0
    heater = np.zeros(n)
    heater[trigger] = power
    clock = 0.0
    while t[trigger] < onset and clock < HEATER_LIMIT:
        rate, total = _rates(network, edges, t, heater)
        dt = _step(network, total)
        t = t + rate * dt
        clock += dt
    if t[trigger] < onset:
        return t0, "needle (GB 38031-2025 C.5.3.3): the heater did not reach the onset within 2 h", 0.0
    return t, f"heater {power:.0f} W (GB 38031-2025 Table C.2)", clock


def run(
    network: Network,
    trigger: int,
    onset: float,
    body: float,
    ejecta: float,
    ambient: float,
    energy_wh: float,
) -> Run:
    """Trigger ``trigger`` and follow the runaway (see the module docstring)."""
    n = len(network.capacity)
    edges = network.edges()
    t, method, heating = _heat_trigger(network, edges, trigger, onset, ambient, energy_wh)
    times = np.full(n, math.inf)
    peak = t.copy()
    # both directions of every edge, grouped by the cell that runs away (its ejecta's receivers)
    source = np.concatenate([network.pairs[:, 0], network.pairs[:, 1]])
    receiver = np.concatenate([network.pairs[:, 1], network.pairs[:, 0]])
    share = np.concatenate([network.view, network.view]) * ejecta
    order = np.argsort(source, kind="stable")
    source, receiver, share = source[order], receiver[order], share[order]
    start = np.searchsorted(source, np.arange(n + 1))
    clock = 0.0

    def release(cells: np.ndarray, when: float) -> None:
        times[cells] = when
        t[cells] += body / network.capacity[cells]
        first, count = start[cells], start[cells + 1] - start[cells]
        # each cell's run of edges, in the cells' order: first[k], first[k] + 1, ... for every k
        edges = np.repeat(first - np.cumsum(count) + count, count) + np.arange(count.sum())
        # ejecta to the neighbours each sees
        t[:] += np.bincount(receiver[edges], weights=share[edges], minlength=n) / network.capacity

    t[trigger] = max(t[trigger], onset)  # a needle-triggered cell runs away as if at its onset
    release(np.array([trigger]), 0.0)
    zero = np.zeros(n)
    while clock < runaway.OBSERVATION:
        np.maximum(peak, t, out=peak)
        going = np.flatnonzero((t >= onset) & ~np.isfinite(times))
        if len(going):
            release(going, clock)
            continue
        if t.max() <= runaway.END_TEMPERATURE or t.max() < onset or np.isfinite(times).all():
            break
        rate, total = _rates(network, edges, t, zero)
        dt = _step(network, total)
        t = t + rate * dt
        clock += dt
    np.maximum(peak, t, out=peak)
    return Run(trigger, method, heating, times, peak, clock)
