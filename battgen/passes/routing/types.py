"""What the routing pass produces: busbars, fuse links and the solved resistor network.

Coordinates are metres in the envelope's floor plane, the frame of ``layout.types``. A busbar
is a flat plate: the CAD exporter extrudes ``Busbar.polygon`` by ``Busbar.thickness`` on the
``Busbar.z`` face of the cells ("top": upward from the cell tops; "bottom": downward from the
cell bottoms). ``battgen.passes.routing.route`` is the only producer. All fields SI floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Busbar:
    index: int
    kind: str  # "series" (group k → k+1), "module_link" (k → k+1 across modules), "terminal"
    polygon: tuple[tuple[float, float], ...]  # outer ring, counter-clockwise, last point not repeated, m
    z: str  # "top" | "bottom" face of the cells
    thickness: float  # m
    width: float  # minimum cross-section width along the current path, m
    length: float  # current-path length (centre of group k to centre of group k+1, or route length), m
    material: str  # ir.Material name
    groups: tuple[int, ...]  # series groups joined: (k, k+1); terminals: (0,) or (S-1,)
    current_peak: float  # A
    current_continuous: float  # A
    cross_section: float  # width × thickness, m²
    resistance: float  # along the current path, ohm (ρ·length/(width·thickness))
    loss_W: float  # I²R at the continuous current, W
    mass_kg: float
    cost_usd: float
    notes: tuple[str, ...] = ()  # sizing: which rule set the size, margins
    holes: tuple[tuple[tuple[float, float], ...], ...] = ()  # interior rings, if any
    path: tuple[tuple[float, float], ...] = ()  # routed centreline (terminal leads), m


@dataclass(frozen=True)
class FuseLink:
    """A cell's (or a group's) fuse link, sized by ``fuses`` (a conduction-cooled fin)."""

    cell: int  # PlacedCell index
    kind: str  # "wire_bond" (round wire) | "fuse_link" (necked strip)
    material: str
    diameter: float  # wire diameter, m (0 for a strip)
    width: float  # strip width, m (0 for a wire)
    thickness: float  # strip thickness, m (0 for a wire)
    length: float  # free span between the welds, m
    rating: float  # steady current that brings its hottest point to ``fuses.CARRY_LIMIT``, A
    fusing_current: float  # minimum fusing current: the steady current that melts its hottest point, A
    carry_margin: float  # its rating over the continuous and peak loads it carries (the smaller), ≥ 1
    fault_current: float  # through it when its cell shorts (``short_resistance``; P−1 neighbours discharging), A
    clearing_time: float  # time to melt at the fault current from the end temperature, s (inf: never)
    resistance: float  # at 20 °C, ohm
    group: int = 0
    hot_spot: float = 0.0  # steady hottest point at the continuous load, K
    time_constant: float = 0.0  # L²σc/(π²k): the slowest thermal mode of the link, s
    opening: str = ""  # "adiabatic" (IEC 60949 I²t: opens in under a tenth of the time constant) | "fin"
    short_resistance: float = 0.0  # internal short it is sized to isolate, ohm (0: the bolted pack short)
    max_short: float | None = None  # the largest internal short it isolates within the clearing limit, ohm


@dataclass(frozen=True)
class NetworkSolution:
    pack_current: float  # A (positive: discharge)
    cell_currents: tuple[float, ...]  # per PlacedCell index, A
    group_max: tuple[float, ...]  # per series group: largest cell current, A
    group_min: tuple[float, ...]
    group_mean: tuple[float, ...]
    worst_cell: int  # index of the cell carrying the most current
    worst_current: float  # A
    busbar_loss: float  # W at pack_current
    fuse_loss: float  # W
    cell_loss: float  # W (I²R in the cells' internal resistance)
    pack_resistance: float  # ohm, terminal to terminal, from the real geometry
    terminal_voltage: float  # V at pack_current (OCV sum − I·R)

    @property
    def spread(self) -> tuple[float, ...]:
        """Per group: (max − min)/mean of the cell currents."""
        return tuple(
            (hi - lo) / mean if mean else 0.0 for hi, lo, mean in zip(self.group_max, self.group_min, self.group_mean)
        )


@dataclass(frozen=True)
class Gap:
    """The closest a live part comes to one face of the enclosure."""

    face: str  # "walls", "keepout `name`", "floor", "lid"
    distance: float  # m: through air, or along the surface of the solid insulation between
    part: str  # what comes closest: "cell 12", "busbar 40"
    path: str  # "air" | "along the gap filler to the cold plate's rim"
    required: float  # m

    @property
    def ok(self) -> bool:
        return self.distance >= self.required - 1e-9


@dataclass(frozen=True)
class Isolation:
    """The pack's live parts against its enclosure (``routing.isolation``)."""

    voltage: float  # V, the working voltage to the enclosure: the pack's maximum
    impulse_voltage: float  # V, IEC 60664-1 Table F.1
    creepage: float  # m, Table F.5
    clearance: float  # m, Table F.2
    required: float  # m, the larger of the two
    pollution_degree: int
    material_group: str
    overvoltage_category: int
    sheet: float  # m, the enclosure's sheet
    gaps: tuple[Gap, ...]  # every face checked
    levels: dict[str, float] = field(default_factory=dict)  # the stack, m up from the floor's underside

    @property
    def short(self) -> tuple[Gap, ...]:
        return tuple(g for g in self.gaps if not g.ok)


@dataclass(frozen=True)
class Routing:
    busbars: tuple[Busbar, ...]
    fuses: tuple[FuseLink, ...]
    network: NetworkSolution
    terminals: tuple[tuple[float, float], ...]  # (positive, negative) on the envelope edge, m
    clearance: float  # IEC 60664-1 distance kept at the pack's voltage (keepouts, leads, jumpers), m
    fuse_mode: str = "none"  # per_cell | per_group | none
    diagnostics: tuple = ()  # warnings found while routing (e.g. busbar thicker than stated)
    isolation: Isolation | None = None  # the live parts against the enclosure

    @property
    def busbar_mass(self) -> float:
        return sum(b.mass_kg for b in self.busbars)

    @property
    def busbar_cost(self) -> float:
        return sum(b.cost_usd for b in self.busbars)

    def summary(self) -> str:
        n = self.network
        worst_spread = max(n.spread, default=0.0)
        fuses = f", {len(self.fuses):,} fuse links" if self.fuses else ""
        return (
            f"{len(self.busbars)} busbars ({self.busbar_mass:.2f} kg, ${self.busbar_cost:,.0f}){fuses}; "
            f"pack resistance {n.pack_resistance * 1e3:.2f} mΩ from the geometry; at {n.pack_current:,.0f} A "
            f"busbar loss {n.busbar_loss:,.1f} W, fuse loss {n.fuse_loss:,.1f} W, worst cell {n.worst_cell} "
            f"at {n.worst_current:.2f} A, largest spread within a group {worst_spread:.1%}"
        )
