"""The typed build: one pack through the stages, each field a stage's frozen result.

The driver (``battgen.driver.stages``) creates a ``PackBuild`` from synthesis and replaces it
stage by stage (``dataclasses.replace``); nothing mutates one. Fields are in pipeline order.
The architecture every stage after layout, the report and design.json read is
``PackBuild.candidate``: the one layout placed (synthesis's choice, or the runner-up placed when
the choice did not fit), never synthesis's choice behind layout's back.

``CadResult`` is the CAD stage's result record. The stage itself runs in ``battgen.emit.cad``
(it needs OCP), registered by the driver; its record lives here so that the build type sits
below the emitters that read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic
from battgen.core.text import counted, plural
from battgen.passes.asbuilt import AsBuilt
from battgen.passes.assembly import Assembly
from battgen.passes.bms import Bms
from battgen.passes.bom import BomLine
from battgen.passes.heat import Heat
from battgen.passes.layout.types import Layout, Placement
from battgen.passes.lifetime import Lifetime
from battgen.passes.routing.network import Network
from battgen.passes.routing.plates import Plates
from battgen.passes.routing.types import Routing
from battgen.passes.safety.network import Network as ThermalNetwork
from battgen.passes.safety.stage import Safety
from battgen.passes.structure.stage import Structure
from battgen.passes.synthesis import Candidate, Synthesis

# ``CadResult.parts`` keys in words: (one, many)
PART_WORDS = {
    "cells": ("cell", "cells"),
    "busbars": ("busbar", "busbars"),
    "leads": ("terminal lead", "terminal leads"),
    "fuses": ("fuse link", "fuse links"),
    "holders": ("holder plate", "holder plates"),
    "holder_tiles": ("holder tile", "holder tiles"),
    "frames": ("module frame", "module frames"),
    "cold_plates": ("cold plate", "cold plates"),
    "floor": ("floor", "floors"),
    "walls": ("set of side walls", "sets of side walls"),
    "lid": ("lid", "lids"),
    "flange": ("flange", "flanges"),
}


@dataclass(frozen=True)
class CadResult:
    """What the CAD stage built. SI units (metres, m³, kg) like every other pass result."""

    pack: str
    parts: dict[str, int]  # part kind → number of parts (cells, busbars, leads, fuses, holders, ...)
    cell_shapes: int  # distinct cell solids in the assembly (instanced, never fused)
    bounding_box: tuple[tuple[float, float, float], tuple[float, float, float]]  # all parts, m
    enclosure_outer: tuple[float, float, float]  # x, y, z extent of the box (flange excluded), m
    enclosure_volume: float  # outline × height (keepouts are spaces inside it), m³
    cell_volume: float  # m³
    volumetric_efficiency: float  # cell volume / enclosure volume
    mass: dict[str, float]  # kg by part kind (cells from the cell's mass, others volume × density)
    mass_total: float  # kg
    cooling: dict[str, Any]  # channel layout and sizing
    stack: dict[str, float]  # z levels, m
    files: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        ex, ey, ez = (v * 1e3 for v in self.enclosure_outer)
        counts = ", ".join(counted(n, *PART_WORDS.get(k, (k, k))) for k, n in self.parts.items() if n)
        cool = ""
        if self.cooling.get("layout"):
            c = self.cooling
            cool = (
                f"; cold plate ({c['side']}): {c['channels']} {c['layout']} {plural(c['channels'], 'channel')} "
                f"{c['width'] * 1e3:.1f} × {c['height'] * 1e3:.1f} mm at {c['flow'] * 6e4:.2f} L/min"
            )
        shapes = counted(self.cell_shapes, "cell shape")
        return (
            f"CAD: {counts} ({shapes} instanced); enclosure {ex:.0f} × {ey:.0f} × {ez:.0f} mm, "
            f"cells fill {self.volumetric_efficiency:.0%} of it; mass {self.mass_total:.1f} kg "
            f"(cells {self.mass.get('cells', 0.0):.1f} kg){cool}; files: {', '.join(self.files)}"
        )


# --- materials ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One architecture the design loop built (``battgen.driver.loop``): what it was, the
    stage that refused it and why, or that it passed the as-built check."""

    label: str  # "96s47p"
    cells: int
    passed: bool
    stage: str  # the last stage it reached: "layout" (did not place), "routing", "check", ...
    failures: tuple[str, ...] = ()  # one line per failed check or stage error


@dataclass(frozen=True)
class PackBuild:
    """One pack's build so far. ``materials``: every material the pack may be made of (the
    prelude's and the project's); ``architecture``: the candidate the design loop is building
    (synthesis's choice first); ``files``: the bytes the CAD stage exported, by file name;
    ``design_loop``: every architecture tried, in order."""

    name: str
    pack: ir.Pack
    materials: Mapping[str, ir.Material]
    synthesis: Synthesis
    architecture: Candidate | None = None
    placement: Placement | None = None
    plates: Plates | None = field(
        default=None, compare=False, repr=False
    )  # routing's plates as cut (not in design.json)
    routing: Routing | None = None
    circuit: Network | None = field(
        default=None, compare=False, repr=False
    )  # routing's resistance network (the netlist export; not in design.json)
    heat: Heat | None = None
    lifetime: Lifetime | None = None
    bms: Bms | None = None
    bom: tuple[BomLine, ...] | None = None
    as_built: AsBuilt | None = None
    structure: Structure | None = None
    thermal_network: ThermalNetwork | None = field(
        default=None, compare=False, repr=False
    )  # the cells' thermal network the safety stage's propagation runs through (not in design.json)
    safety: Safety | None = None
    cad: CadResult | None = None
    assembly: Assembly | None = None  # the CAD stage's assembly procedure
    files: Mapping[str, bytes] = field(default_factory=dict)
    design_loop: tuple[Attempt, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()  # this pack's: synthesis's and every stage's
    # the cache key of the stage that wrote each result field (driver.cache): its fingerprint
    stage_keys: Mapping[str, str] = field(default_factory=dict)

    @property
    def candidate(self) -> Candidate | None:
        """The architecture built: the one placed once layout ran, else the one being built,
        else synthesis's choice."""
        if self.placement is not None:
            return self.placement.candidate
        return self.architecture if self.architecture is not None else self.synthesis.chosen

    @property
    def layout(self) -> Layout | None:
        return self.placement.layout if self.placement is not None else None

    def summaries(self) -> list[tuple[str, str]]:
        """(stage, one-line summary) of every stage that ran, in pipeline order."""
        results: list[tuple[str, Any]] = [
            ("layout", self.layout),
            ("routing", self.routing),
            ("heat", self.heat),
            ("lifetime", self.lifetime),
            ("bms", self.bms),
            ("check", self.as_built),
            ("structure", self.structure),
            ("safety", self.safety),
            ("cad", self.cad),
            ("assembly", self.assembly),
        ]
        return [(name, value.summary()) for name, value in results if value is not None]
