"""report.html's sections on the pack as a product: its lifetime on the duty (with the pack's
capacity over time as an inline SVG plot), its BMS and its assembly procedure. Each section is
a list of HTML lines ``report_html`` places; deterministic like the rest of the page."""

from __future__ import annotations

from html import escape

from battgen.passes.build import PackBuild

PLOT = (640.0, 300.0)  # px, the capacity plot
_MARGIN = (56.0, 16.0, 20.0, 40.0)  # left, right, top, bottom


def _n(v: float) -> str:
    s = f"{v:.1f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def capacity_svg(build: PackBuild) -> str:
    """The pack's capacity (Ah) over the years for the hottest and the mean cell's group, with the
    80 % line: an inline SVG."""
    life = build.lifetime
    assert life is not None
    w, h = PLOT
    left, right, top, bottom = _MARGIN
    curves = [("hottest cell", "#c0392b", life.hottest.curve), ("mean cell", "#2471a3", life.mean.curve)]
    x_max = max(max(p[0] for p in c) for _, _, c in curves) or 1.0
    x_max = max(1.0, float(int(x_max) + 1))
    cap = life.pack_capacity
    y_lo = min(0.75, min(min(p[2] for p in c) for _, _, c in curves) - 0.02)

    def px(years: float, q: float) -> tuple[str, str]:
        x = left + (w - left - right) * years / x_max
        y = top + (h - top - bottom) * (1.0 - q) / (1.0 - y_lo)
        return _n(x), _n(y)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(w)}" height="{_n(h)}" viewBox="0 0 {_n(w)} {_n(h)}" '
        'font-family="sans-serif" font-size="11" role="img">',
        f"<title>{escape(build.name)}: pack capacity over time on the duty</title>",
        f'<rect width="{_n(w)}" height="{_n(h)}" fill="#ffffff"/>',
    ]
    step = max(1, round(x_max / 10))
    for year in range(0, int(x_max) + 1, step):
        x, y0 = px(year, 1.0)
        _, y1 = px(year, y_lo)
        out.append(f'<line x1="{x}" y1="{y0}" x2="{x}" y2="{y1}" stroke="#eeeeee"/>')
        out.append(f'<text x="{x}" y="{_n(h - bottom + 14)}" text-anchor="middle">{year}</text>')
    q = 1.0
    while q >= y_lo - 1e-9:
        x0, y = px(0, q)
        x1, _ = px(x_max, q)
        colour = "#999999" if abs(q - 0.8) < 1e-9 else "#eeeeee"
        dash = ' stroke-dasharray="4 3"' if abs(q - 0.8) < 1e-9 else ""
        out.append(f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="{colour}"{dash}/>')
        out.append(f'<text x="{_n(left - 4)}" y="{_n(float(y) + 4)}" text-anchor="end">{q * cap:,.0f}</text>')
        q = round(q - 0.05, 10)
    out.append(f'<text x="{_n(w / 2)}" y="{_n(h - 4)}" text-anchor="middle">years</text>')
    out.append(f'<text x="12" y="{_n(top + 8)}">Ah</text>')
    for k, (label, colour, curve) in enumerate(curves):
        points = " ".join(",".join(px(p[0], p[2])) for p in curve)
        out.append(
            f'<polyline id="capacity-{label.split()[0]}" points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        out.append(
            f'<text x="{_n(w - right - 4)}" y="{_n(top + 14 + 14 * k)}" text-anchor="end" fill="{colour}">{escape(label)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def lifetime_section(build: PackBuild, table) -> list[str]:
    """The lifetime section: model, duty, the two cells' lives and the capacity plot."""
    life = build.lifetime
    if life is None:
        return []
    d = life.duty
    rows = [
        ("model", f"{life.model}: {life.model_cell} ({life.model_source})"),
        ("duty", d.basis),
        (
            "each day",
            f"{d.swing:.0%} of the capacity: two drives at {d.drive_current:,.0f} A ({d.drive_rate:.2f} C, "
            f"{d.drive_hours:.1f} h), a charge at {d.charge_current:,.0f} A ({d.charge_rate:.2f} C, {d.charge_hours:.1f} h); "
            f"{d.efc_per_year:,.0f} equivalent full cycles a year",
        ),
    ]
    for cell in (life.hottest, life.mean):
        cycles = f"{cell.efc_to_80:,.0f} equivalent full cycles" if cell.efc_to_80 is not None else "—"
        rows.append(
            (
                f"{cell.cell} cell",
                f"{cell.temperature_mean - 273.15:.1f} °C mean, {cell.temperature_max - 273.15:.1f} °C peak: "
                f"80 % after {cell.years_text()}, {cycles}",
            )
        )
    rows += [("note", note) for note in life.notes]
    out = ["<h2>Lifetime on the duty</h2>", table(None, [(("k", k), ("", v)) for k, v in rows])]
    out.append(
        f"<figure>{capacity_svg(build)}<figcaption>the pack's capacity over time (Ah): the group of the hottest "
        "cell sets it; the dashed line is 80 %</figcaption></figure>"
    )
    return out


def bms_section(build: PackBuild, table) -> list[str]:
    """The BMS section: front ends, sense lines, thermistors, balancing, high voltage."""
    bms = build.bms
    if bms is None:
        return []
    b, hv = bms.balancing, bms.high_voltage
    rows = [
        (
            "front ends",
            f"{len(bms.boards)} × {bms.front_end}, daisy-chained in series order ({bms.daisy_chain_length:,.2f} m board to board)",
        ),
        ("sense lines", f"{len(bms.sense_lines)} lines, {bms.sense_length:,.2f} m routed"),
        ("thermistors", f"{bms.thermistors}: each module's hottest and coolest cell (heat stage)"),
        (
            "balancing",
            f"{b.current * 1e3:,.0f} mA removes {b.spread:.0%} of a {b.group_capacity:,.1f} Ah group in {b.time / 3600:g} h"
            + (
                f"; external FETs, {b.resistor:.2f} Ω, {b.resistor_power:.1f} W"
                if b.external
                else f"; inside the front end's {b.internal_limit * 1e3:.0f} mA"
            ),
        ),
        (
            "isolation",
            f"{hv.isolation_monitor}, alarm below {hv.isolation_threshold / 1e3:,.1f} kΩ"
            if hv.isolation_monitor
            else "class A (≤ 60 V): none",
        ),
        (
            "contactors",
            f"2 × {hv.contactor} ({hv.contactor_rating:g} A) for {hv.continuous_current:,.0f} A at {hv.max_voltage:.0f} V",
        ),
        (
            "pre-charge",
            f"{hv.precharge_resistor:,.0f} Ω: 5 τ of a {hv.dc_link * 1e6:,.0f} µF DC link, {hv.precharge_energy:,.0f} J, {hv.precharge_peak_current:.1f} A peak",
        ),
        (
            "fuse",
            f"{hv.fuse_rating:g} A, {hv.fuse_voltage:.0f} V DC, interrupting {hv.short_circuit_current / 1e3:,.1f} kA; {hv.fuse_check}",
        ),
    ]
    rows += [("note", note) for note in bms.notes]
    head = [("n", "front end"), ("", "part"), ("n", "module"), ("", "groups"), ("n", "thermistor cells")]
    body = [
        (
            ("n", str(x.index)),
            ("", x.part),
            ("n", str(x.module)),
            ("", f"{min(x.groups)}–{max(x.groups)}"),
            ("n", ", ".join(map(str, x.thermistors))),
        )
        for x in bms.boards
    ]
    return ["<h2>Battery management</h2>", table(None, [(("k", k), ("", v)) for k, v in rows]), table(head, body)]


def assembly_section(build: PackBuild, files, table) -> list[str]:
    """The assembly section: the steps in order with their joints, the complexity, and a link to
    ``assembly.html`` (a picture after every step)."""
    a = build.assembly
    if a is None:
        return []
    c = a.complexity
    head = [("n", "step"), ("", "what"), ("", "joints")]
    body = [
        (("n", str(s.number)), ("", s.name), ("", ", ".join(f"{n:,} {k}" for k, n in s.joints.items() if n) or "—"))
        for s in a.steps
    ]
    link = (
        ' (<a href="assembly.html">assembly.html</a>: a picture after every step)' if "assembly.html" in files else ""
    )
    return [
        "<h2>Assembly</h2>",
        f'<p class="sub">{c.parts:,} parts of {c.unique_parts} designs, {c.welds_bonds:,} welds and bonds, '
        f"{c.fasteners:,} fasteners, {c.connectors:,} connectors, {c.steps} steps{link}.</p>",
        table(head, body),
    ]
