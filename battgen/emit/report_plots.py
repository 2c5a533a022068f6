"""The report's plots (inline SVG, ``emit.plots``): the pack's voltage and power against state of
charge at each load case (``passes.curves``), how cell current and temperature spread across
the cells (``cell_maps``: the same figures as currents.svg and temperatures.svg), and the CC–CV
charge with its 10–80 % time. Each plot's caption names its load and where it comes from.
"""

from __future__ import annotations

from html import escape

import numpy as np

from battgen.core import ir
from battgen.emit import plots
from battgen.emit.cell_maps import CURRENT_RESOLUTION, TEMPERATURE_RESOLUTION
from battgen.passes.build import PackBuild
from battgen.passes.curves import CHARGE_WINDOW, charge_curve, soc_curves
from battgen.passes.heat import Heat
from battgen.passes.layout.types import Layout
from battgen.passes.loads import LoadCase, Loads
from battgen.passes.routing.types import Routing

CASE_COLOUR = {"continuous": "#0072B2", "peak": "#D55E00", "charge": "#009E73"}
LIMIT = "#B22222"
REQUIREMENT = "#222222"


def plots_html(build: PackBuild) -> list[str]:
    """The "Plots" section's HTML lines; none when the build did not reach routing."""
    layout, routing, candidate = build.layout, build.routing, build.candidate
    if layout is None or routing is None or candidate is None or candidate.loads is None:
        return []
    pack, loads = build.pack, candidate.loads
    figures = [
        *_soc_figures(pack, layout, routing, loads),
        *_spread_figures(pack, routing, build.heat, loads),
        _charge_figure(pack, layout, routing, loads.charge),
    ]
    out = ["<h2>Plots</h2>", '<div class="plots">']
    for svg, caption in figures:
        if svg:
            out.append(f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>")
    out.append("</div>")
    return out


def _soc_figures(pack: ir.Pack, layout: Layout, routing: Routing, loads: Loads) -> list[tuple[str, str]]:
    curves = soc_curves(pack, layout, routing, loads)
    pct = curves.soc * 100
    floor = plots.Rule(pack.soc_floor * 100, f"SOC floor {pack.soc_floor:.0%}", "#666", "2 3")
    volts = [plots.Series("open circuit", pct, curves.open_circuit, "#888", "6 4")]
    watts = []
    for c in curves.cases:
        label = f"{c.case.kind}, {c.case.current:,.0f} A"
        volts.append(plots.Series(label, pct, c.voltage, CASE_COLOUR[c.case.kind]))
        watts.append(plots.Series(label, pct, c.power / 1e3, CASE_COLOUR[c.case.kind]))
    watts.append(plots.Series("peak capability", pct, curves.capability / 1e3, "#7A2E00", "4 3"))
    v_rules = [
        plots.Rule(curves.v_max, f"cells' upper limit × S ({curves.v_max:,.1f} V)", LIMIT),
        plots.Rule(curves.v_min, f"cells' lower limit × S ({curves.v_min:,.1f} V)", LIMIT, "2 3"),
    ]
    req = pack.requirements
    p_rules = []
    for name in ("power", "continuous_power"):
        bound = req.get(name)
        if bound is not None and bound.low is not None:
            p_rules.append(
                plots.Rule(
                    bound.low / 1e3,
                    f"`{name} >= {bound.low / 1e3:g} kW`",
                    CASE_COLOUR["peak" if name == "power" else "continuous"],
                    "8 3",
                )
            )
    voltage = plots.line_chart(
        "Pack voltage against state of charge",
        volts,
        "state of charge, %",
        "pack voltage, V",
        x_range=(0, 100),
        x_rules=[floor],
        y_rules=v_rules,
    )
    power = plots.line_chart(
        "Pack power against state of charge",
        watts,
        "state of charge, %",
        "power at the terminals, kW",
        x_range=(0, 100),
        x_rules=[floor],
        y_rules=p_rules,
    )
    basis = (
        "the cells' open-circuit voltage times S behind the routed pack resistance, each cell's resistance at "
        "that SOC; each load case at its own pack current (charge: into the pack)"
    )
    return [
        (voltage, f"Terminal voltage at each load case: {basis}."),
        (
            power,
            f"Power at each load case's current (P = V·I): {basis}; the requirements as dashed lines. Peak "
            "capability: what the pack delivers at each SOC when its most loaded cell reaches its rating for the "
            "peak's duration, or the pack its voltage floor (the as-built check's power).",
        ),
    ]


def _spread_figures(pack: ir.Pack, routing: Routing, heat: Heat | None, loads: Loads) -> list[tuple[str, str]]:
    from battgen.passes.asbuilt import DEFAULT_LIMIT
    from battgen.passes.temperatures import basis, cell_temperatures

    network = routing.network
    peak = loads.peak
    k = peak.current / network.pack_current if network.pack_current else 0.0
    amps = np.abs(np.asarray(network.cell_currents, float)) * k
    cell = pack.cell
    rules = [plots.Rule(cell.max_discharge_current, f"continuous rating {cell.max_discharge_current:g} A", LIMIT)]
    if cell.pulse_current:
        rules.append(plots.Rule(cell.pulse_current, f"pulse rating {cell.pulse_current:g} A", LIMIT, "2 3"))
    mean = float(amps.mean()) if amps.size else 0.0
    current = plots.histogram(
        "Cell current at the peak load",
        amps.tolist(),
        "cell current, A",
        resolution=max(CURRENT_RESOLUTION * mean, 1e-3),
        colour=CASE_COLOUR["peak"],
        rules=rules,
    )
    out = [
        (
            current,
            f"How the {peak.current:,.0f} A of the peak load ({peak.basis}) shares out among the {amps.size:,} cells, "
            f"from the solved busbar network (currents.svg shows where): {amps.min():.2f} to {amps.max():.2f} A.",
        )
    ]
    if heat is not None:
        kelvin = cell_temperatures(pack, routing, heat)
        if kelvin is not None:
            celsius = kelvin - 273.15
            limit = (heat.limit or DEFAULT_LIMIT) - 273.15
            svg = plots.histogram(
                "Cell temperature at the continuous load",
                celsius.tolist(),
                "cell temperature, °C",
                resolution=TEMPERATURE_RESOLUTION,
                colour="#A8327D",
                rules=[plots.Rule(limit, f"limit {limit:g} °C", LIMIT)],
            )
            out.append(
                (
                    svg,
                    f"Temperatures at the continuous load ({loads.continuous.current:,.0f} A), {heat.cooling}: "
                    f"{basis(heat)} (temperatures.svg shows where): {celsius.min():.1f} to {celsius.max():.1f} °C, "
                    f"limit {limit:g} °C.",
                )
            )
    return out


def _charge_figure(pack: ir.Pack, layout: Layout, routing: Routing, case: LoadCase) -> tuple[str, str]:
    curve = charge_curve(pack, layout, routing, case)
    minutes = curve.time / 60
    lo, hi = CHARGE_WINDOW
    window = curve.time_between(lo, hi)
    series = [plots.Series("state of charge", minutes, curve.soc * 100, CASE_COLOUR["charge"], width=2.5)]
    band = None
    if window is not None:
        t0 = float(np.interp(lo, curve.soc, curve.time)) / 60
        band = (t0, t0 + window / 60, CASE_COLOUR["charge"])
    x_rules = []
    if curve.cv_start is not None:
        x_rules.append(plots.Rule(curve.cv_start / 60, f"constant voltage from {curve.cv_start / 60:,.0f} min", "#555"))
    svg = plots.line_chart(
        "Charge (CC–CV) from empty",
        series,
        "time, min",
        "state of charge, %",
        y_range=(0, 100),
        x_rules=x_rules,
        band=band,
    )
    per_cell = case.current / layout.parallel
    c_rate = per_cell / (pack.cell.capacity / 3600)
    said = f"{lo:.0%}–{hi:.0%}: {window / 60:,.0f} min" if window is not None else f"{hi:.0%} is not reached"
    full = curve.time[-1] / 60
    caption = (
        f"Charge time {said} (shaded) at the charge load ({case.basis}): {case.current:,.1f} A, {per_cell:.2f} A "
        f"a cell ({c_rate:.2f} C), constant current to {pack.cell.max_voltage:g} V a cell, then constant voltage to "
        f"0.05 C ({full:,.0f} min from empty). One cell's open-circuit voltage behind its resistance at each SOC "
        "and its share of the busbars (models.charge): a real charger's time is longer."
    )
    return svg, caption
