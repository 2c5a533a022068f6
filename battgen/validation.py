"""Estimates against published packs (examples/validation/).

For each pack in ``examples/validation/packs.json`` (published configuration, energy and mass,
with sources) the example file of the same name declares the published cell and the published
requirements. Two checks:

* *fixed*: with S, P and the module count set to the published values, the estimated energy
  and mass against the published figures. Only published inputs count: an envelope a file
  estimates to give its layout a floor (``envelope_estimated``) is set aside and the box
  estimated as for any pack without one. Where a pack publishes the mass of parts the model
  estimates (``published_parts``: the BMW i3's housing) that figure replaces the model's, and
  the table shows both. Modules of two sizes (the Bolt's 8 of 10s3p and 2 of 8s3p) are declared
  in the example (``module_series``) and the mass model sizes each module's hardware from its
  own cells. A pack whose mass was not published (``mass_kg`` null, ``mass_note`` says why) is checked for
  energy only;
* *target*: with only the voltage window and the energy target, the architecture synthesis
  chooses, and its energy against the target.

``docs/generate.py`` writes the table to docs/validation.md; tests/test_validation.py holds
the tolerances (``ENERGY_TOLERANCE``, ``MASS_TOLERANCE``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / "examples" / "validation"
ENERGY_TOLERANCE = 0.03
MASS_TOLERANCE = 0.08
TARGET_TOLERANCE = 0.05


@dataclass(frozen=True)
class Row:
    name: str
    published_series: int
    published_parallel: int
    published_modules: int | None
    published_energy_kWh: float
    published_mass_kg: float | None
    fixed_energy_kWh: float
    model_mass_kg: float  # the mass model alone
    fixed_mass_kg: float  # with the pack's published part masses in place of the model's
    target_label: str
    target_energy_kWh: float
    target_kWh: float
    mass_parts: tuple[tuple[str, float], ...] = ()  # kg by part, fixed configuration, the model's
    replaced: tuple[str, ...] = ()  # the parts a published figure replaced
    note: str = ""
    published_module_kg: float | None = None  # all modules, where their mass is published
    model_module_kg: float | None = None  # the model's cells and module-level parts

    @property
    def module_error(self) -> float | None:
        if self.published_module_kg is None or self.model_module_kg is None:
            return None
        return self.model_module_kg / self.published_module_kg - 1

    @property
    def energy_error(self) -> float:
        return self.fixed_energy_kWh / self.published_energy_kWh - 1

    @property
    def mass_error(self) -> float | None:
        return None if self.published_mass_kg is None else self.fixed_mass_kg / self.published_mass_kg - 1

    @property
    def model_error(self) -> float | None:
        return None if self.published_mass_kg is None else self.model_mass_kg / self.published_mass_kg - 1

    @property
    def target_error(self) -> float:
        return self.target_energy_kWh / self.target_kWh - 1


def published() -> list[dict]:
    return json.loads((FOLDER / "packs.json").read_text())["packs"]


def row(entry: dict) -> Row:
    """The checks of one ``packs.json`` entry."""
    from battgen.driver.pipeline import check
    from battgen.passes.synthesis import evaluate_fixed, synthesize

    lowered = check(FOLDER / f"{entry['name']}.batt")
    assert not lowered.has_errors, [d.message for d in lowered.diagnostics]
    pack = lowered.design.packs[entry["name"]]
    inputs = dataclasses.replace(pack, envelope=None) if entry.get("envelope_estimated") else pack
    fixed = evaluate_fixed(inputs, entry["series"], entry["parallel"], modules=entry.get("modules"))
    parts = dict(fixed.mass_parts)
    mass = fixed.mass
    replaced: list[str] = []
    for published_part in entry.get("published_parts", ()):
        mass += published_part["mass_kg"] - sum(parts[p] for p in published_part["parts"])
        replaced.extend(published_part["parts"])
    modules_kg = None
    if entry.get("module_mass_kg") is not None:
        from battgen.models.packaging import MODULE_PARTS

        modules_kg = sum(parts[p] for p in MODULE_PARTS)
    requirements = {k: v for k, v in pack.requirements.items() if k in ("voltage", "energy")}
    target_pack = dataclasses.replace(
        pack, requirements=requirements, modules=None, module_series=None, series=None, parallel=None
    )
    chosen = synthesize(target_pack).chosen
    target = requirements["energy"].low
    assert target is not None, f"{entry['name']}.batt declares `energy >= ...`"
    return Row(
        name=entry["name"],
        published_series=entry["series"],
        published_parallel=entry["parallel"],
        published_modules=entry.get("modules"),
        published_energy_kWh=entry["energy_kWh"],
        published_mass_kg=entry.get("mass_kg"),
        fixed_energy_kWh=fixed.energy / 3.6e6,
        model_mass_kg=fixed.mass,
        fixed_mass_kg=mass,
        target_label=chosen.label if chosen else "none",
        target_energy_kWh=chosen.energy / 3.6e6 if chosen else 0.0,
        target_kWh=target / 3.6e6,
        mass_parts=fixed.mass_parts,
        replaced=tuple(replaced),
        note=entry.get("mass_note", ""),
        published_module_kg=entry["module_mass_kg"] * entry["modules"] if entry.get("module_mass_kg") else None,
        model_module_kg=modules_kg,
    )


def rows() -> list[Row]:
    return [row(entry) for entry in published()]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1%}"


def markdown(table: list[Row]) -> str:
    from battgen.models.packaging import GROUPS, PARTS

    lines = [
        "# Validation against published packs",
        "",
        "Generated by `docs/generate.py` from `battgen/validation.py` and",
        "`examples/validation/` (published figures and sources in `examples/validation/packs.json`).",
        "",
        "*Fixed*: S, P and the module count set to the published values; estimated energy and mass",
        f"against the published figures (tolerances in the tests: energy {ENERGY_TOLERANCE:.0%}, mass "
        f"{MASS_TOLERANCE:.0%}). *Model*: the mass",
        "model alone; *as checked*: with a pack's published part masses in place of the model's (the",
        "BMW i3's 24 kg housing, base and lid). Only published inputs are used: an envelope a file",
        "estimates for its layout is set aside. *Target*: only the voltage window and the energy target",
        f"given; the architecture synthesis chooses and its energy against the target (tolerance {TARGET_TOLERANCE:.0%}).",
        "",
        "| pack | published | modules | energy published | energy estimated | error | mass published | mass, model | error | mass as checked | error | target: chosen | target energy | error |",
        "| --- | --- | ---: | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in table:
        published_mass = "—" if r.published_mass_kg is None else f"{r.published_mass_kg:.0f} kg"
        lines.append(
            f"| {r.name} | {r.published_series}s{r.published_parallel}p | {r.published_modules or '—'} | "
            f"{r.published_energy_kWh:.1f} kWh | {r.fixed_energy_kWh:.1f} kWh | {r.energy_error:+.1%} | "
            f"{published_mass} | {r.model_mass_kg:.0f} kg | {_pct(r.model_error)} | {r.fixed_mass_kg:.0f} kg | "
            f"{_pct(r.mass_error)} | {r.target_label} | {r.target_energy_kWh:.1f} kWh | {r.target_error:+.1%} |"
        )
    notes = [r for r in table if r.note or r.replaced or r.module_error is not None]
    if notes:
        lines += [""]
        for r in notes:
            if r.module_error is not None:
                lines.append(
                    f"* {r.name}: modules (cells and module-level parts) {r.model_module_kg:.0f} kg against the "
                    f"published {r.published_module_kg:.0f} kg, {r.module_error:+.1%}."
                )
            if r.replaced:
                lines.append(f"* {r.name}: published masses replace the model's {', '.join(r.replaced)}.")
            if r.note:
                lines.append(f"* {r.name}: {r.note}")
    used = [p for p in PARTS if any(dict(r.mass_parts).get(p, 0.0) > 0 for r in table)]
    lines += [
        "",
        "Estimated mass by part, kg (the mass model, `battgen/models/packaging/`, which gives the",
        "source of each figure), and by group:",
        "",
        "| pack | " + " | ".join(used) + " | " + " | ".join(f"Σ {g}" for g in GROUPS) + " |",
        "| --- |" + " ---: |" * (len(used) + len(GROUPS)),
    ]
    for r in table:
        parts = dict(r.mass_parts)
        groups = [sum(parts.get(p, 0.0) for p in members) for members in GROUPS.values()]
        lines.append(
            f"| {r.name} | "
            + " | ".join(f"{parts.get(p, 0.0):.1f}" for p in used)
            + " | "
            + " | ".join(f"{g:.0f}" for g in groups)
            + " |"
        )
    misses = [
        r
        for r in table
        if abs(r.energy_error) > ENERGY_TOLERANCE or (r.mass_error is not None and abs(r.mass_error) > MASS_TOLERANCE)
    ]
    if misses:
        lines += [
            "",
            "Outside the tolerances: "
            + "; ".join(f"{r.name} (energy {r.energy_error:+.1%}, mass {_pct(r.mass_error)})" for r in misses)
            + ". Why: the pack's entry in `examples/validation/packs.json`.",
        ]
    return "\n".join(lines) + "\n"
