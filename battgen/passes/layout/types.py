"""What the layout pass produces: every cell placed, grouped into parallel groups and modules.

Coordinates are metres in the envelope's floor plane (x, y) with z up from the floor; the
same frame as ``ir.Envelope``. Routing, CAD and the SVG read these types; the layout pass
(``battgen.passes.layout.place``) is the only producer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from battgen.core.text import counted

if TYPE_CHECKING:  # only annotations name it
    from battgen.passes.synthesis import Candidate


def terminal_groups(series: int) -> tuple[int, int]:
    """(series group of the pack's + terminal, group of its −): the series path runs from + at
    group 0 to − at group S−1 in every string. The one definition routing's junctions, the
    pictures and the CAD read."""
    return 0, series - 1


@dataclass(frozen=True)
class PlacedCell:
    index: int  # 0 .. cells-1, in series order then position within the group
    x: float  # centre of the footprint, m
    y: float
    z: float  # bottom of the cell, m (layer × (height + layer gap))
    axis: str  # "z" standing (terminals up/down), "x" or "y" lying
    rotation: float  # footprint rotation about z, radians (prismatic/pouch), 0 for round cells
    group: int  # series index of its parallel group, 0 .. S-1
    module: int  # 0 .. modules-1
    polarity_up: bool  # True: positive terminal on top (cylindrical); alternates by group


@dataclass(frozen=True)
class ParallelGroup:
    index: int  # series index
    module: int
    cells: tuple[int, ...]  # PlacedCell indices
    outline: tuple[tuple[float, float], ...]  # convex-ish hull around the cells' footprints, m


@dataclass(frozen=True)
class Module:
    index: int
    groups: tuple[int, ...]  # consecutive series indices
    outline: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Layout:
    pack: str
    series: int
    parallel: int
    lattice: str  # "hex", "square", "rows" (prismatic/pouch), "relaxed" (off-lattice: no lattice held them)
    pitch: tuple[float, float]  # centre spacing along the lattice's two directions, m
    angle: float  # lattice angle, radians
    footprint: tuple[float, float]  # one cell's (x, y) extent as placed, m
    cell_height: float
    layers: int
    cells: tuple[PlacedCell, ...]
    groups: tuple[ParallelGroup, ...]
    modules: tuple[Module, ...]
    sites: int  # cells that fit in the envelope with this lattice
    area_fraction: float  # cell footprint area / usable floor area
    volume_fraction: float  # cell volume / envelope volume (outline area × height)
    strings: int = 1  # parallel strings: groups are S × strings runs of P / strings cells
    note: str = ""  # how the grouping was found, and a runner-up taken instead of the chosen candidate

    @property
    def used(self) -> int:
        return len(self.cells)

    def summary(self) -> str:
        where = "a relaxed (off-lattice) packing" if self.lattice == "relaxed" else f"a {self.lattice} lattice"
        return (
            f"{self.series}s{self.parallel}p placed on {where}: {self.used:,} of "
            f"{self.sites:,} sites used, {self.area_fraction:.0%} of the floor, "
            f"{self.volume_fraction:.0%} of the volume, {counted(len(self.modules), 'module')}"
        )


@dataclass(frozen=True)
class Placement:
    """What the layout stage decided: the architecture placed and where every cell is."""

    candidate: Candidate
    layout: Layout


def hex_columns(
    name: str,
    series: int,
    parallel: int,
    diameter: float,
    gap: float,
    cell_height: float,
    modules: int = 1,
    module_gap: float = 0.0,
) -> Layout:
    """A reference layout without an envelope: group k is hexagonal column k (P standing cells),
    consecutive columns side by side (the series path runs straight across), polarity
    alternating group by group, ``modules`` runs of columns ``module_gap`` apart. The layout
    of a liionpack ladder network; routing tests and the network benchmark build on it."""
    pitch = diameter + gap
    per_module = math.ceil(series / modules)
    cells: list[PlacedCell] = []
    groups: list[ParallelGroup] = []
    for k in range(series):
        module = k // per_module
        x = k * pitch * math.sqrt(3) / 2 + module * module_gap
        members = []
        for j in range(parallel):
            members.append(len(cells))
            cells.append(
                PlacedCell(len(cells), x, j * pitch + (k % 2) * pitch / 2, 0.0, "z", 0.0, k, module, k % 2 == 0)
            )
        groups.append(ParallelGroup(k, module, tuple(members), ()))
    mods = tuple(Module(m, tuple(g.index for g in groups if g.module == m), ()) for m in range(modules))
    return Layout(
        name,
        series,
        parallel,
        "hex",
        (pitch, pitch),
        0.0,
        (diameter, diameter),
        cell_height,
        1,
        tuple(cells),
        tuple(groups),
        mods,
        series * parallel,
        0.8,
        0.5,
    )
