"""The terminal report of ``battc FILE`` and ``battc estimate FILE`` (rich)."""

from __future__ import annotations

import sys

from battgen import units as u


def _console():
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=False, width=max(_width(), 100))


def _width() -> int:
    import shutil

    return shutil.get_terminal_size((120, 40)).columns


def _q(value: float | None, dim, digits: int = 4) -> str:
    return "—" if value is None else u.format_quantity(value, dim, digits)


def _kg(value: float) -> str:
    """A part's mass in kg: whole kilograms for a car pack, two figures for an e-bike's."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.2g}"


def chosen_rows(candidate) -> list[tuple[str, str]]:
    c = candidate
    return [
        (
            "architecture",
            f"{c.label}  ·  {c.cells:,} cells  ·  {c.modules} modules of {c.series_per_module}s{c.parallel // c.strings}p"
            + (f"  ·  {c.strings} strings" if c.strings > 1 else ""),
        ),
        (
            "voltage",
            f"{_q(c.nominal_voltage, u.VOLTAGE)} nominal  ({_q(c.min_voltage, u.VOLTAGE)} .. {_q(c.max_voltage, u.VOLTAGE)})",
        ),
        ("energy", f"{_q(c.energy, u.ENERGY)}  ({_q(c.usable_energy, u.ENERGY)} usable at the rated discharge)"),
        ("capacity", _q(c.capacity, u.CHARGE)),
        ("power", f"{_q(c.peak_power, u.POWER)} peak at 20 % SOC  ·  {_q(c.continuous_power, u.POWER)} continuous"),
        ("resistance", f"{_q(c.resistance, u.RESISTANCE)}  ·  heat {_q(c.heat, u.POWER)} at continuous power"),
        (
            "mass",
            f"{_q(c.mass, u.MASS)}  ·  {c.energy / 3600 / c.mass:.0f} Wh/kg"
            + ("  ·  " + ", ".join(f"{part} {_kg(kg)}" for part, kg in c.mass_parts) + " kg" if c.mass_parts else ""),
        ),
        ("volume", f"{_q(c.volume, u.VOLUME)}  ·  {c.energy / 3600 / (c.volume * 1000):.0f} Wh/L"),
        ("cost", f"{c.cost:,.0f} USD  ·  {c.cost / (c.energy / 3.6e6):.0f} USD/kWh"),
        ("lifetime", f"{c.cycles:,.0f} cycles to 80 % at the stated duty"),
    ]


def print_estimate(result) -> None:
    from rich.table import Table

    console = _console()
    for name in sorted(result.syntheses):
        synthesis = result.syntheses[name]
        pack = result.lowered.design.packs[name]
        console.print()
        if synthesis.chosen is None:
            console.print(
                f"[bold red]pack {name}[/]: no architecture of {pack.cell.name} meets the requirements "
                f"({synthesis.evaluated:,} evaluated) — see the errors above"
            )
            continue
        c = synthesis.chosen
        console.print(
            f"[bold]pack {name}[/]  ·  {pack.cell.name}  ·  optimised for {pack.optimise}  ·  "
            f"{synthesis.feasible_count:,} of {synthesis.evaluated:,} candidates feasible"
        )
        table = Table(show_header=False, box=None, padding=(0, 2))
        for label, text in chosen_rows(c):
            table.add_row(f"[dim]{label}[/]", text)
        if c.binding:
            table.add_row("[dim]limited by[/]", ", ".join(f"`{b}`" for b in c.binding))
        if synthesis.envelope_capacity is not None:
            table.add_row("[dim]envelope[/]", f"holds at most {synthesis.envelope_capacity:,} cells (upper bound)")
        console.print(table)
        if synthesis.runners_up:
            runners = Table(title="runners-up (Pareto front)", title_justify="left", box=None, padding=(0, 2))
            for column in ("S×P", "cells", "energy", "peak power", "mass", "volume", "cost"):
                runners.add_column(column, justify="right")
            for r in synthesis.runners_up:
                runners.add_row(
                    r.label,
                    f"{r.cells:,}",
                    _q(r.energy, u.ENERGY),
                    _q(r.peak_power, u.POWER),
                    _q(r.mass, u.MASS),
                    _q(r.volume, u.VOLUME),
                    f"{r.cost:,.0f} USD",
                )
            console.print(runners)


def print_build(result) -> None:
    print_estimate(result.estimate)
    console = _console()
    for _name, build in sorted(result.packs.items()):
        for line in _stage_lines(build):
            console.print(line)
    if result.written:
        console.print()
        console.print(f"[bold green]wrote[/] {len(result.written)} files:")
        for path in result.written:
            console.print(f"  {path}")


def _stage_lines(build) -> list[str]:
    from battgen.passes.stages import summaries

    return [f"[dim]{name}[/]{' ' * (9 - len(name))}{text}" for name, text in summaries(build)]
