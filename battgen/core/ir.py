"""The design IR: what a .batt project declares, resolved and checked.

Plain, frozen dataclasses. Every physical field is an SI float (metres, kilograms, seconds,
amperes, kelvin, volts, ohms, watts, joules, coulombs; money in USD) — units live only at the
edges (source text, reports, JSON keys). Every object keeps the span it came from so later
passes can point diagnostics at the text.

Passes read this IR and return new facts; nothing here is ever modified after lowering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from battgen.core.diagnostics import Span

# --- shapes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A 2D outline in the pack's floor plane, metres.

    ``rect``/``rounded_rect`` are anchored at their lower-left corner, ``circle`` at its
    centre, ``polygon`` at its own coordinates; ``origin`` is the ``at (x, y)`` offset.
    """

    kind: str  # rect | rounded_rect | circle | polygon
    width: float = 0.0
    depth: float = 0.0
    radius: float = 0.0  # corner radius (rect) or circle radius
    points: tuple[tuple[float, float], ...] = ()
    origin: tuple[float, float] = (0.0, 0.0)

    def vertices(self, segments_per_quarter: int = 8) -> tuple[tuple[float, float], ...]:
        """The outline as a closed polygon (counter-clockwise, last point not repeated)."""
        ox, oy = self.origin
        if self.kind == "polygon":
            return tuple((x + ox, y + oy) for x, y in self.points)
        if self.kind == "circle":
            n = 4 * segments_per_quarter
            return tuple(
                (ox + self.radius * math.cos(2 * math.pi * i / n), oy + self.radius * math.sin(2 * math.pi * i / n))
                for i in range(n)
            )
        w, d, r = self.width, self.depth, min(self.radius, self.width / 2, self.depth / 2)
        if r <= 0:
            return ((ox, oy), (ox + w, oy), (ox + w, oy + d), (ox, oy + d))
        out = []
        corners = ((w - r, r, -90), (w - r, d - r, 0), (r, d - r, 90), (r, r, 180))
        for cx, cy, start in corners:
            for i in range(segments_per_quarter + 1):
                angle = math.radians(start + 90 * i / segments_per_quarter)
                out.append((ox + cx + r * math.cos(angle), oy + cy + r * math.sin(angle)))
        return tuple(out)

    @property
    def area(self) -> float:
        pts = self.vertices(32)
        return 0.5 * abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1])))

    @property
    def perimeter(self) -> float:
        pts = self.vertices(32)
        return sum(math.dist(a, b) for a, b in zip(pts, pts[1:] + pts[:1]))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        pts = self.vertices()
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return min(xs), min(ys), max(xs), max(ys)


# --- declarations -------------------------------------------------------------------------


@dataclass(frozen=True)
class CellFormat:
    """Cell body dimensions, metres. Cylindrical: diameter × height. Prismatic and pouch:
    width (face, across the stack) × thickness (along the stack) × height."""

    kind: str  # cylindrical | prismatic | pouch
    diameter: float = 0.0
    width: float = 0.0
    thickness: float = 0.0
    height: float = 0.0

    @property
    def footprint(self) -> tuple[float, float]:
        """(x, y) extent of one standing cell, metres."""
        if self.kind == "cylindrical":
            return self.diameter, self.diameter
        return self.width, self.thickness

    @property
    def volume(self) -> float:
        if self.kind == "cylindrical":
            return math.pi / 4 * self.diameter**2 * self.height
        return self.width * self.thickness * self.height


@dataclass(frozen=True)
class RatePoint:
    rate: float  # 1/s (C-rate / 3600)
    capacity: float  # coulombs


@dataclass(frozen=True)
class Cell:
    name: str
    format: CellFormat
    chemistry: str
    nominal_voltage: float
    min_voltage: float
    max_voltage: float
    capacity: float  # coulombs (As)
    mass: float
    resistance: float
    max_discharge_current: float
    source: str
    span: Span
    pulse_current: float | None = None
    pulse_duration: float | None = None
    max_charge_current: float | None = None
    rate_capacity: tuple[RatePoint, ...] = ()
    cycle_life: float | None = None
    min_temperature: float | None = None
    max_temperature: float | None = None
    specific_heat: float | None = None
    cost: float | None = None
    # dU/dT, V/K, by state of charge: ((soc 0..1, dU/dT), ...) sorted by SOC; one point is a
    # constant. Empty: the chemistry's published curve (models.thermal).
    entropic: tuple[tuple[float, float], ...] = ()
    ocv: tuple[tuple[float, float], ...] = ()  # (SOC 0..1, V) ascending in SOC; empty: the chemistry's curve
    pressure: tuple[float, float] | None = None  # Pa, the stack pressure the maker allows (preload, limit)

    @property
    def energy(self) -> float:
        """Nominal energy, joules (nominal voltage × rated capacity)."""
        return self.nominal_voltage * self.capacity


@dataclass(frozen=True)
class Material:
    name: str
    role: str  # conductor | coolant | insulator | structure
    density: float
    source: str
    span: Span
    resistivity: float | None = None
    temperature_coefficient: float | None = None
    specific_heat: float | None = None
    conductivity: float | None = None
    melting_point: float | None = None
    viscosity: float | None = None
    cost: float | None = None  # USD per kg
    modulus: float | None = None  # Pa, Young's modulus
    yield_strength: float | None = None  # Pa, 0.2 % proof stress
    fatigue_limit: float | None = None  # Pa, fully reversed endurance strength


@dataclass(frozen=True)
class Keepout:
    name: str
    shape: Shape
    span: Span


@dataclass(frozen=True)
class Envelope:
    name: str
    outline: Shape
    height: float
    keepouts: tuple[Keepout, ...]
    wall: float
    span: Span
    property_spans: dict[str, Span] = field(default_factory=dict)  # each stated property's line

    def __hash__(self) -> int:  # a dict field: hash by the declaration
        return hash((self.name, self.span))


@dataclass(frozen=True)
class Bound:
    """A requirement: ``low <= x <= high`` (either side may be open), optionally sustained
    for ``duration`` seconds. ``span`` is the whole property line."""

    low: float | None
    high: float | None
    span: Span
    duration: float | None = None

    def admits(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


@dataclass(frozen=True)
class Cooling:
    kind: str  # cold_plate | air | immersion | none
    side: str = "bottom"
    coolant: str = "glycol50"
    flow: float | None = None  # m3/s
    inlet_temperature: float | None = None
    fins: float | None = None  # m: a conduction fin this thick between every two cells, down to the plate
    coolant_material: Material | None = None  # the named coolant (None: the stdlib's glycol50)


@dataclass(frozen=True)
class Busbar:
    material: Material
    thickness: float


@dataclass(frozen=True)
class Enclosure:
    """The jacket's outer skins (tray, walls and lid) when declared; ``thickness`` None: as stiff
    as BatPaC's skin of each face (``models.packaging.jacket``)."""

    material: Material
    thickness: float | None = None


@dataclass(frozen=True)
class Barrier:
    """A thermal barrier sheet (an insulator) against runaway propagation, ``thickness`` m,
    ``between`` cells or modules."""

    material: Material
    thickness: float
    between: str = "modules"


@dataclass(frozen=True)
class Pack:
    name: str
    cell: Cell
    envelope: Envelope | None
    span: Span
    name_span: Span
    requirements: dict[str, Bound] = field(default_factory=dict)
    series: int | None = None
    parallel: int | None = None
    series_span: Span | None = None
    parallel_span: Span | None = None
    modules: Bound | None = None
    # series groups in each module of a string, in series order (`module_series = [10, 10, 8]`):
    # modules of different sizes; None lets synthesis split S into equal modules
    module_series: tuple[int, ...] | None = None
    strings: int = 1
    layout: str = "auto"
    gap: float = 0.001
    layers: int = 1
    cooling: Cooling = Cooling("cold_plate")
    busbar: Busbar | None = None
    enclosure: Enclosure | None = None
    barrier: Barrier | None = None
    fuse: str = "none"
    optimise: str = "mass"
    ambient: float = 298.15
    soc_low: float = 0.0
    soc_high: float = 1.0
    soc_floor: float = 0.2  # the state of charge the power is rated at (passes.loads)
    sizing: str = "loads"  # loads | capability: what conductors, fuses and coolant are sized for
    discharge_rate: float = 1.0 / 3 / 3600
    depth_of_discharge: float = 0.8
    property_spans: dict[str, Span] = field(default_factory=dict)

    def __hash__(self) -> int:  # dict fields: hash by identity of the declaration
        return hash((self.name, self.span))


# --- studies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One value a study tries for a variable: its source text (what is substituted into the
    pack's file) and what it lowered to (SI float, count, word, or IR part)."""

    text: str
    value: object
    span: Span


@dataclass(frozen=True)
class Variable:
    """What a study varies: a pack property (``cell``) or one argument of one (``busbar_thickness``
    sets ``busbar.thickness``). Either ``choices`` (a list: the grid) or a range ``low .. high``
    (SI, for the optimiser; ``unit`` and ``scale`` are how a value is written back as source)."""

    name: str
    span: Span
    choices: tuple[Choice, ...] = ()
    low: float | None = None
    high: float | None = None
    unit: str = ""
    scale: float = 1.0
    offset: float = 0.0
    whole: bool = False  # a count: the optimiser's values are rounded

    @property
    def is_range(self) -> bool:
        return self.low is not None


@dataclass(frozen=True)
class Study:
    """``study NAME { pack = ...; cell = [...]; objectives = [...] }``: the variants of one pack
    to build and compare. ``constraints``: bounds on the variants' metrics (core.schema.METRICS),
    on top of the pack's own requirements."""

    name: str
    pack: Pack
    variables: tuple[Variable, ...]
    objectives: tuple[str, ...]
    constraints: dict[str, Bound]
    search: str  # grid | nsga2
    budget: int
    population: int
    seed: int
    span: Span
    name_span: Span

    @property
    def grid_size(self) -> int:
        """Combinations of the listed choices (ranges excluded)."""
        size = 1
        for variable in self.variables:
            if not variable.is_range:
                size *= len(variable.choices)
        return size

    def __hash__(self) -> int:
        return hash((self.name, self.span))


@dataclass(frozen=True)
class Design:
    """Everything the root file and its imports declare, by name. ``library``: every material of
    the standard library's prelude (``stdlib/materials.batt``), what a part is made of when the
    file names none (a cold plate's skin, a cell holder, a fuse link); the stages read materials
    from here, never from a file of their own."""

    root: str
    cells: dict[str, Cell]
    materials: dict[str, Material]
    envelopes: dict[str, Envelope]
    packs: dict[str, Pack]
    library: dict[str, Material] = field(default_factory=dict)
    studies: dict[str, Study] = field(default_factory=dict)

    @property
    def all_materials(self) -> dict[str, Material]:
        """The prelude's materials, then the project's (a project's material shadows the prelude's)."""
        return {**self.library, **self.materials}

    def __hash__(self) -> int:
        return hash((self.root, tuple(self.packs)))
