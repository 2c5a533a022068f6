"""The structure stage: swelling and compression, vibration and shock, crush — one pure
function of the placed and routed pack (``structure_stage``), its result (``Structure``) and
its diagnostics (W720-W723), each on the span that decides it, with the numbers and the fix.

It runs after the design loop (``driver.stages``): what it finds are warnings a designer acts
on (pads, ribs, rails), not a reason to build another architecture — a different S×P does not
stiffen a lid. The test levels are in ``models.mechanics``; the models in ``compression``,
``modal``, ``vibration`` and ``crush``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.core.outcome import Outcome
from battgen.models import mechanics, packaging
from battgen.passes.layout.types import Layout, Placement
from battgen.passes.routing.types import Routing
from battgen.passes.structure import compression as comp
from battgen.passes.structure import crush as crush_model
from battgen.passes.structure import vibration as vib


@dataclass(frozen=True)
class Structure:
    """The structure stage's result. SI units (m, Pa, N, Hz, m/s², kg)."""

    compression: comp.Compression
    modules: tuple[vib.Response, ...]  # each module on its mounts
    panels: tuple[vib.Response, ...]  # the enclosure's lid and floor
    joints: tuple[vib.Joint, ...]  # busbar links between modules
    crush: tuple[crush_model.Crush, ...]
    standards: dict[str, str]
    band: tuple[float, float]  # Hz, the road-excitation band the frequencies are held to
    damping: float
    notes: tuple[str, ...] = ()

    @property
    def first_frequency(self) -> float:
        """The lowest first frequency of any module, Hz (inf without modules)."""
        return min((m.frequencies[0] for m in self.modules), default=math.inf)

    def summary(self) -> str:
        parts = []
        if self.modules:
            worst = min(self.modules, key=lambda m: m.frequencies[0])
            shock = min(m.shock_margin for m in self.modules)
            parts.append(
                f"modules' first mode {worst.frequencies[0]:.1f} Hz ({worst.name}) on {worst.supports}, "
                f"shock margin {shock:+.0%}"
            )
        for p in self.panels:
            parts.append(f"{p.name} {p.frequencies[0]:.1f} Hz")
        if self.compression.needed and self.compression.fixtures:
            f = max(self.compression.fixtures, key=lambda x: x.plate_thickness)
            parts.append(
                f"end plates {f.plate_thickness * 1e3:.1f} mm {f.plate_material}, "
                f"{f.bands} bands {f.band_thickness * 1e3:.1f} × {f.band_width * 1e3:.0f} mm "
                f"({self.compression.mass:.1f} kg)"
            )
        elif not self.compression.needed:
            parts.append("no compression fixture (cylindrical cells)")
        for c in self.crush:
            parts.append(f"crush {c.direction}: frame {c.capacity / 1e3:.0f} kN, {c.clearance * 1e3:.0f} mm to cells")
        return "; ".join(parts)


def _span(pack: ir.Pack, *names: str) -> Span:
    for name in names:
        if name in pack.property_spans:
            return pack.property_spans[name]
    return pack.name_span


def analyse(pack: ir.Pack, layout: Layout, routing: Routing | None, materials: Mapping[str, ir.Material]) -> Structure:
    """Every structural result of the placed pack (no diagnostics)."""
    compression = comp.design(pack, layout, materials)
    cache: dict = {}
    notes = [
        "module plates: deck, holders and frame walls; the cells add no stiffness (conservative)",
        "floor and lid carry their own mass (modules bolt to the frame); 1 g mean stress left out of fatigue",
    ]
    deck = materials.get(vib.DECK_MATERIAL)
    modules = []
    outlines = vib.module_outlines(layout)
    cells_per_module: dict[int, int] = {}
    for c in layout.cells:
        cells_per_module[c.module] = cells_per_module.get(c.module, 0) + 1
    holders = pack.cell.format.kind == "cylindrical"
    by_index = {}
    for index, outline in sorted(outlines.items()):
        area = outline.area
        cells = cells_per_module.get(index, 0) * pack.cell.mass
        holder = 2 * vib.HOLDER_THICKNESS * vib.HOLDER_DENSITY * area if holders else 0.0
        deck_mass = _deck_areal_mass(pack, materials) * area
        rect = outline.minimum_rotated_rectangle
        sides = sorted(math.dist(a, b) for a, b in zip(rect.exterior.coords, list(rect.exterior.coords)[1:]))
        section, _ = vib.module_section(pack, materials, (cells + holder + deck_mass) / area, sides[0])
        response = vib.respond(f"module {index}", outline, section, "points", vib.mounts(outline), deck, cache)
        modules.append(response)
        by_index[index] = response
    panels = _panels(pack, layout, materials, cache)
    joints = vib.joints(pack, layout, routing, by_index, materials)
    standards = {
        "vibration": mechanics.VIBRATION_STANDARD,
        "shock": mechanics.SHOCK_STANDARD,
        "crush": mechanics.CRUSH_STANDARD,
    }
    return Structure(
        compression,
        tuple(modules),
        panels,
        joints,
        crush_model.crush(pack, layout, materials.get(vib.DECK_MATERIAL), _frame(pack, layout)),
        standards,
        mechanics.SINE_BAND,
        vib.DAMPING,
        tuple(notes),
    )


def _deck_areal_mass(pack: ir.Pack, materials: Mapping[str, ir.Material]) -> float:
    """kg/m² of the module's deck: the cold plate's metal (skins; channels full of coolant
    counted as metal: a bound) or the tray sheet."""
    deck = materials.get(vib.DECK_MATERIAL)
    rho = deck.density if deck is not None else packaging.RHO_AL
    if pack.cooling.kind == "cold_plate" and pack.cooling.side in ("bottom", "top"):
        from battgen.passes.heat import CHANNEL_HEIGHT, COLD_PLATE_SKIN

        return (2 * COLD_PLATE_SKIN + CHANNEL_HEIGHT) * 1e-3 * rho
    density, sheet = packaging.enclosure_wall(pack.enclosure)
    return sheet * density


def _frame(pack: ir.Pack, layout: Layout) -> tuple[float, float]:
    """The jacket's perimeter angle iron (leg, thickness), m, as the BOM and the CAD draw it."""
    from battgen.passes.drawn import cells_mm, jacket_of, site

    if pack.envelope is None or not layout.cells:
        return 0.0, 0.0
    drawn_site = site(pack, layout, cells_mm(pack, layout), [])
    leg, thickness = jacket_of(pack, drawn_site, len(layout.cells), max(len(layout.modules), 1)).frame
    return float(leg), float(thickness)


def _panels(pack: ir.Pack, layout: Layout, materials: Mapping[str, ir.Material], cache: dict) -> tuple:
    """The lid and the floor: the enclosure's sheet over the outline less the keepouts."""
    env = pack.envelope
    if env is None:
        return ()
    from shapely.geometry import Polygon
    from shapely.ops import unary_union

    region = Polygon(env.outline.vertices(16))
    if env.keepouts:
        region = region.difference(unary_union([Polygon(k.shape.vertices(16)) for k in env.keepouts]))
    if region.geom_type != "Polygon":  # keepouts cut it apart: the largest piece
        region = max(region.geoms, key=lambda g: g.area)
    material = pack.enclosure.material if pack.enclosure is not None else materials.get(vib.DECK_MATERIAL)
    density, sheet = packaging.enclosure_wall(pack.enclosure, len(layout.cells) * pack.cell.energy)
    modulus = material.modulus if material is not None and material.modulus else packaging.AL_MODULUS
    from battgen.models.mechanics import flexural_rigidity
    from battgen.passes.structure.modal import Plate

    plate = Plate(flexural_rigidity(modulus, sheet, vib.POISSON), vib.POISSON, density * sheet, sheet / 2.0, modulus)
    return tuple(vib.respond(name, region, plate, "simple", (), material, cache) for name in ("lid", "floor"))


# --- diagnostics -------------------------------------------------------------------------------


def _mm(x: float) -> str:
    return f"{x * 1e3:.1f} mm"


def _mpa(x: float) -> str:
    return f"{x / 1e6:.1f} MPa"


def diagnostics(pack: ir.Pack, structure: Structure) -> list[Diagnostic]:
    """W720 (pressure over life), W721 (a mode in the road band), W722 (a stress over its
    limit), W723 (the frame does not carry the crush force)."""
    out = [*_compression_diagnostics(pack, structure)]
    low, high = structure.band
    for r in (*structure.modules, *structure.panels):
        where = _span(pack, "modules", "cell") if r.name.startswith("module") else _span(pack, "enclosure", "envelope")
        if r.in_band:
            fix = (
                "stiffen its deck or add mounts (a module's first mode should sit above the band)"
                if r.name.startswith("module")
                else "stiffen the sheet with beads or ribs, or a thicker `enclosure`"
            )
            out.append(
                Diagnostic(
                    "W721",
                    f"{r.name}'s first mode is {r.frequencies[0]:.1f} Hz, inside the {low:g}-{high:g} Hz road-excitation "
                    f"band of {structure.standards['vibration'].split(' (')[0]}",
                    where,
                    fix,
                    Severity.WARNING,
                )
            )
        for label, stress, limit, kind in (
            ("vibration", r.stress_vibration, r.fatigue_limit, "fatigue limit"),
            ("shock", r.stress_shock, r.yield_strength, "yield strength"),
        ):
            if math.isfinite(limit) and stress > limit:
                out.append(
                    Diagnostic(
                        "W722",
                        f"{r.name}: {label} stress {_mpa(stress)} at {r.supports} exceeds the {r.material} {kind} "
                        f"{_mpa(limit)} (first mode {r.frequencies[0]:.1f} Hz)",
                        where,
                        "stiffen or thicken it, or add mounts: the stress falls as the first mode rises",
                        Severity.WARNING,
                    )
                )
    for j in structure.joints:
        checks: tuple[tuple[str, float, float | None, str], ...] = (
            ("vibration", j.stress_vibration, j.fatigue_limit, "fatigue limit"),
            ("shock", j.stress_shock, j.yield_strength, "yield strength"),
        )
        for label, stress, joint_limit, kind in checks:
            if joint_limit is not None and math.isfinite(stress) and stress > joint_limit:
                out.append(
                    Diagnostic(
                        "W722",
                        f"busbar {j.busbar} between modules {j.modules[0]} and {j.modules[1]}: {label} bending stress "
                        f"{_mpa(stress)} exceeds the {j.material} {kind} {_mpa(joint_limit)}",
                        _span(pack, "busbar"),
                        "give the module link a flexible section (braid or a loop) or mount the modules stiffer",
                        Severity.WARNING,
                    )
                )
    for c in structure.crush:
        if not c.holds:
            out.append(
                Diagnostic(
                    "W723",
                    f"crushed in {c.direction}, the enclosure (walls, floor, lid and perimeter angle iron) carries {c.capacity / 1e3:.0f} kN before it yields or "
                    f"buckles, below the {c.force / 1e3:.0f} kN of {structure.standards['crush'].split(' (')[0]}: the "
                    f"platen may travel {_mm(c.travel)} and the nearest cell is {_mm(c.clearance)} from the wall",
                    _span(pack, "envelope"),
                    f"add side rails or cross members that carry {c.force / 1e3:.0f} kN in {c.direction}: without them "
                    f"the platen reaches the nearest cell after {_mm(c.clearance)}",
                    Severity.WARNING,
                )
            )
    return out


def _compression_diagnostics(pack: ir.Pack, structure: Structure) -> list[Diagnostic]:
    fixtures = [f for f in structure.compression.fixtures if f.pressure_end_of_life > f.limit]
    if not fixtures:
        return []
    f = max(fixtures, key=lambda x: x.pad_stroke)
    declared = pack.cell.pressure is not None
    return [
        Diagnostic(
            "W720",
            f"stack {f.stack} ({f.cells_in_stack} cells, module{'s' if len(f.modules) > 1 else ''} "
            f"{', '.join(str(m) for m in f.modules)}) grows {_mm(f.growth)} over life; held by the end "
            f"plates alone its pressure would reach {_mpa(f.pressure_end_of_life)}, above the "
            f"{'declared' if declared else 'assumed'} limit {_mpa(f.limit)}",
            _span(pack, "cell"),
            f"fit compression pads that take {_mm(f.pad_stroke)} of the stack's growth at {_mpa(f.limit)}"
            + ("" if declared else ", or declare the cell's `pressure in preload .. limit`"),
            Severity.WARNING,
        )
    ]


def structure_stage(
    pack: ir.Pack, placement: Placement, routing: Routing | None, materials: Mapping[str, ir.Material]
) -> Outcome[Structure]:
    """The structure of the placed and routed pack, and its warnings."""
    result = analyse(pack, placement.layout, routing, materials)
    return Outcome(result, tuple(diagnostics(pack, result)))
