"""What the layout pass produces: every cell placed, grouped into parallel groups and modules.

Coordinates are metres in the envelope's floor plane (x, y) with z up from the floor; the
same frame as ``ir.Envelope``. Routing, CAD and the SVG read these types; the layout pass
(``battgen.passes.layout.place``) is the only producer.
"""

from __future__ import annotations

from dataclasses import dataclass


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
        return (f"{self.series}s{self.parallel}p placed on {where}: {self.used:,} of "
                f"{self.sites:,} sites used, {self.area_fraction:.0%} of the floor, "
                f"{self.volume_fraction:.0%} of the volume, {len(self.modules)} modules")  # fmt: skip
