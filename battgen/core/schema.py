"""What each declaration kind accepts: properties, their dimensions, forms and defaults.

This table is the single source for lowering, the language server's completion and hover,
and docs/language.md. A ``Prop`` says which operators a property takes (``=``, ``>=``, ``<=``,
``in``), what its value must be, whether it is required, and its default (documented here
and in docs/language.md, with the reason for the number).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from battgen.core import units as u
from battgen.core.limits import MAX_PARALLEL, MAX_SERIES

# value kinds
QUANTITY = "quantity"  # a number with a unit of the given dimension
COUNT = "count"  # a plain positive whole number
NUMBER = "number"  # a plain number (may be fractional)
STRING = "string"
OPTION = "option"  # one word of `options`
REF = "ref"  # the name of a declaration of kind `ref_kind`
SHAPE = "shape"  # rect(...), polygon(...), circle(...), rounded_rect(...)
FORMAT = "format"  # cylindrical(...), prismatic(...), pouch(...)
COOLING = "cooling"  # cold_plate(...) or an option word
CONDUCTOR = "conductor"  # a material used with parameters: aluminium(thickness = 2 mm)
ENCLOSURE = "enclosure"  # a structural material, optionally with a sheet thickness: steel(thickness = 1.5 mm)
RATE_TABLE = "rate_table"  # [(0.2 C, 4.9 Ah), ...]
ENTROPIC = "entropic"  # -0.1 mV/K, or by SOC: [(10 %, -0.36 mV/K), (50 %, 0.01 mV/K), ...]
OCV_TABLE = "ocv_table"  # [(0 %, 2.9 V), (50 %, 3.6 V), (100 %, 4.2 V)]
COUNT_LIST = "count_list"  # [10, 10, 8]: whole numbers, in order
BARRIER = "barrier"  # an insulating material between cells or modules: aerogel(thickness = 2 mm, between = modules)

SET_ONLY = ("=",)
BOUNDS = (">=", "<=", "in")


@dataclass(frozen=True)
class Prop:
    name: str
    kind: str
    doc: str
    dim: u.Dim = u.DIMENSIONLESS
    ops: tuple[str, ...] = SET_ONLY
    required: bool = False
    default: str | None = None  # as source text, for docs and hover
    options: tuple[str, ...] = ()
    ref_kind: str = ""
    duration: bool = False  # takes `for <duration>`
    qualified: bool = False  # `keepout NAME = ...`, may repeat
    # physical plausibility, SI: outside (low, high) is E406 (a wrong value, not a typo in
    # magnitude); beyond 1e6 × either end is E404 (absurd magnitude, usually a wrong prefix)
    sane: tuple[float, float] | None = None
    requirement: bool = False  # a pack requirement: what the pack must deliver or stay within
    value: object = None  # the default in SI, what lowering uses (``default`` is its source text)
    limit: int | None = None  # the most battgen builds (a count): above it is E504
    limit_name: str = ""  # the constant of core/limits.py that states it
    listed: bool = False  # takes a list of such values, `[a, b, c]` (or one): a study's choices
    argument: str = ""  # a study variable that sets one argument of a pack property: "busbar.thickness"


CHEMISTRIES = ("nca", "nmc111", "nmc532", "nmc622", "nmc811", "nmc", "lfp", "lmo", "lto", "lmo_nmc", "lmfp")

CELL: tuple[Prop, ...] = (
    Prop("format", FORMAT, "cell body: cylindrical(...), prismatic(...) or pouch(...)", required=True),
    Prop("chemistry", OPTION, "cathode chemistry", options=CHEMISTRIES, required=True),
    Prop("nominal", QUANTITY, "nominal cell voltage", u.VOLTAGE, required=True, sane=(1.0, 5.0)),
    Prop(
        "voltage",
        QUANTITY,
        "discharge cut-off .. charge cut-off voltage",
        u.VOLTAGE,
        ops=("in",),
        required=True,
        sane=(1.0, 5.0),
    ),
    Prop(
        "capacity",
        QUANTITY,
        "rated capacity at the datasheet's standard discharge",
        u.CHARGE,
        required=True,
        sane=(0.01 * 3600, 2000 * 3600),
    ),
    Prop("mass", QUANTITY, "cell mass", u.MASS, required=True, sane=(0.001, 20.0)),
    Prop(
        "resistance",
        QUANTITY,
        "DC internal resistance at 50 % SOC, 25 °C",
        u.RESISTANCE,
        required=True,
        sane=(1e-5, 1.0),
    ),
    Prop(
        "discharge",
        QUANTITY,
        "maximum continuous discharge current",
        u.CURRENT,
        ops=("<=",),
        required=True,
        sane=(0.01, 5000.0),
    ),
    Prop(
        "pulse",
        QUANTITY,
        "maximum pulse discharge current, for its duration",
        u.CURRENT,
        ops=("<=",),
        duration=True,
        sane=(0.01, 10000.0),
    ),
    Prop("charge", QUANTITY, "maximum continuous charge current", u.CURRENT, ops=("<=",), sane=(0.01, 5000.0)),
    Prop("rate_capacity", RATE_TABLE, "datasheet capacity at discharge rates: [(rate, capacity), ...]"),
    Prop("cycle_life", COUNT, "cycles to 80 % capacity under the datasheet's test", sane=(10, 100000)),
    Prop("temperature", QUANTITY, "discharge temperature range", u.TEMPERATURE, ops=("in",), sane=(173.15, 473.15)),
    Prop("specific_heat", QUANTITY, "specific heat capacity", u.SPECIFIC_HEAT, sane=(300.0, 3000.0)),
    # entropic: the chemistry's published curve when absent (battgen/models/thermal.py).
    Prop(
        "entropic",
        ENTROPIC,
        "entropic coefficient dU/dT: a constant, or [(SOC, dU/dT), ...] (default: the chemistry's published curve)",
        u.ENTROPIC,
        sane=(-2e-3, 2e-3),
    ),
    Prop(
        "ocv",
        OCV_TABLE,
        "open-circuit voltage against state of charge: [(0 %, 2.9 V), ..., (100 %, 4.2 V)] (else the chemistry's curve)",
    ),
    Prop("cost", QUANTITY, "price per cell", u.MONEY, sane=(0.01, 10000.0)),
    Prop(
        "pressure",
        QUANTITY,
        "the stack pressure on the cell's face the maker allows (pouch and prismatic): preload .. limit",
        u.PRESSURE,
        ops=("in",),
        sane=(0.0, 2e7),
    ),
    Prop("source", STRING, "where the figures come from (datasheet, revision, date)", required=True),
)

MATERIAL: tuple[Prop, ...] = (
    Prop(
        "role",
        OPTION,
        "what the material is for",
        options=("conductor", "coolant", "insulator", "structure"),
        required=True,
    ),
    Prop("density", QUANTITY, "density", u.DENSITY, required=True, sane=(0.01, 25000.0)),
    Prop("resistivity", QUANTITY, "electrical resistivity at 20 °C", u.RESISTIVITY, sane=(1e-9, 1e20)),
    # a few alloys (manganin, constantan) have a slightly negative coefficient
    Prop(
        "temperature_coefficient",
        QUANTITY,
        "temperature coefficient of resistance",
        u.PER_KELVIN,
        sane=(-0.001, 0.1),
    ),
    Prop("specific_heat", QUANTITY, "specific heat capacity", u.SPECIFIC_HEAT, sane=(10.0, 10000.0)),
    Prop("conductivity", QUANTITY, "thermal conductivity", u.CONDUCTIVITY, sane=(0.001, 5000.0)),
    Prop("melting_point", QUANTITY, "melting point", u.TEMPERATURE, sane=(200.0, 4000.0)),
    Prop("viscosity", QUANTITY, "dynamic viscosity (fluids)", u.VISCOSITY, sane=(1e-6, 10.0)),
    Prop("cost", QUANTITY, "price per kilogram", u.COST_PER_MASS, sane=(0.0, 100000.0)),
    Prop(
        "modulus",
        QUANTITY,
        "Young's modulus (sizes an enclosure sheet of equal stiffness)",
        u.PRESSURE,
        sane=(1e8, 1.2e12),
    ),
    Prop(
        "yield_strength",
        QUANTITY,
        "0.2 % proof (yield) stress: what shock and crush are held to",
        u.PRESSURE,
        sane=(1e6, 5e9),
    ),
    Prop(
        "fatigue_limit",
        QUANTITY,
        "fully reversed fatigue (endurance) strength: what vibration is held to",
        u.PRESSURE,
        sane=(1e6, 2e9),
    ),
    Prop("source", STRING, "where the figures come from", required=True),
)

ENVELOPE: tuple[Prop, ...] = (
    Prop("outline", SHAPE, "the floor plan the pack may fill", required=True),
    Prop("height", QUANTITY, "usable height inside the enclosure", u.LENGTH, required=True, sane=(0.005, 5.0)),
    Prop("keepout", SHAPE, "a region cells and busbars must avoid: `keepout NAME = shape at (x, y)`", qualified=True),
    # wall: 0 mm — the outline is then the floor cells may use; set it to the enclosure wall
    # plus the clearance your structure needs.
    Prop(
        "wall",
        QUANTITY,
        "clearance from the outline to the nearest cell; the enclosure's side sheet stands in it, and what "
        "is left must keep IEC 60664-1's distance for the pack's voltage (W703)",
        u.LENGTH,
        default="0 mm",
        value=0.0,
        sane=(0.0, 1.0),
    ),
)

OPTIMISE = ("mass", "volume", "cost", "energy")
MAX_MODULES = 64  # the default upper end of `modules`: it bounds synthesis's search

PACK: tuple[Prop, ...] = (
    Prop("cell", REF, "the cell the pack is built from", ref_kind="cell", required=True),
    Prop("envelope", REF, "the space the pack must fit", ref_kind="envelope"),
    Prop("voltage", QUANTITY, "nominal pack voltage", u.VOLTAGE, ops=BOUNDS + ("=",), sane=(1.0, 2000.0)),
    Prop(
        "max_voltage",
        QUANTITY,
        "pack voltage at full charge (cell max × series)",
        u.VOLTAGE,
        ops=("<=",),
        sane=(1.0, 2000.0),
    ),
    Prop("min_voltage", QUANTITY, "pack voltage at the discharge cut-off", u.VOLTAGE, ops=(">=",), sane=(1.0, 2000.0)),
    Prop(
        "energy",
        QUANTITY,
        "nominal energy (nominal voltage × rated capacity)",
        u.ENERGY,
        ops=BOUNDS,
        sane=(3600.0, 3.6e10),
    ),
    Prop(
        "usable_energy",
        QUANTITY,
        "energy at `discharge_rate` within the `soc` window",
        u.ENERGY,
        ops=(">=",),
        sane=(3600.0, 3.6e10),
    ),
    Prop(
        "power",
        QUANTITY,
        "peak discharge power at the SOC floor, for a duration",
        u.POWER,
        ops=(">=",),
        duration=True,
        sane=(1.0, 1e8),
    ),
    Prop("continuous_power", QUANTITY, "continuous discharge power", u.POWER, ops=(">=",), sane=(1.0, 1e8)),
    Prop(
        "charge_power",
        QUANTITY,
        "charge power the pack must accept (e.g. DC fast charge)",
        u.POWER,
        ops=(">=",),
        sane=(1.0, 1e8),
    ),
    Prop(
        "current",
        QUANTITY,
        "pack current: `<=` a limit no load case may exceed; `>=` what the pack must deliver continuously",
        u.CURRENT,
        ops=("<=", ">="),
        duration=True,
        sane=(0.1, 1e5),
    ),
    Prop(
        "peak_current",
        QUANTITY,
        "peak pack current limit, for a duration",
        u.CURRENT,
        ops=("<=", ">="),
        duration=True,
        sane=(0.1, 1e5),
    ),
    Prop(
        "charge_current",
        QUANTITY,
        "charge current the pack must accept, or its limit",
        u.CURRENT,
        ops=("<=", ">="),
        sane=(0.1, 1e5),
    ),
    Prop("mass", QUANTITY, "pack mass", u.MASS, ops=BOUNDS, sane=(0.01, 50000.0)),
    Prop("volume", QUANTITY, "pack volume", u.VOLUME, ops=BOUNDS, sane=(1e-5, 100.0)),
    Prop("cost", QUANTITY, "pack cost", u.MONEY, ops=("<=",), sane=(1.0, 1e8)),
    Prop("cycles", COUNT, "cycles to 80 % capacity at the stated duty", ops=(">=",), sane=(1, 1000000)),
    # modules: 1 .. 64 — no limit the user did not state; 64 bounds the search (a pack of more
    # modules than that is a design choice to write down).
    Prop(
        "modules",
        COUNT,
        "number of modules",
        ops=BOUNDS + ("=",),
        default=f"in 1 .. {MAX_MODULES}",
        value=(1, MAX_MODULES),
        sane=(1, 10000),
    ),
    # module_series: none — synthesis splits S into equal modules. A list declares modules of
    # different sizes, as a teardown shows them (the Chevrolet Bolt: 8 modules of 10s3p and 2 of
    # 8s3p); it fixes S (its sum) and the module count (its length).
    Prop(
        "module_series",
        COUNT_LIST,
        "series groups in each module of a string, in series order: `[10, 10, 10, 10, 10, 10, 10, 10, 8, 8]` "
        "(modules of different sizes; fixes S to the sum and `modules` to the count)",
        sane=(1, 2000),
    ),
    Prop(
        "module_voltage",
        QUANTITY,
        "maximum module voltage (e.g. 60 V for safe handling)",
        u.VOLTAGE,
        ops=("<=",),
        sane=(1.0, 2000.0),
    ),
    Prop("strings", COUNT, "parallel strings of series-connected modules", default="1", value=1, sane=(1, 100)),
    Prop("series", COUNT, "fix the series count S", sane=(1, 2000), limit=MAX_SERIES, limit_name="MAX_SERIES"),
    Prop("parallel", COUNT, "fix the parallel count P", sane=(1, 2000), limit=MAX_PARALLEL, limit_name="MAX_PARALLEL"),
    Prop("layout", OPTION, "cell arrangement", options=("hex", "square", "auto"), default="auto", value="auto"),
    # gap: 1 mm — the rib of a moulded cylindrical cell holder; an engineering default, to be
    # replaced by the holder drawing's pitch.
    Prop("gap", QUANTITY, "cell-to-cell gap", u.LENGTH, default="1 mm", value=0.001, sane=(0.0, 0.1)),
    Prop(
        "layers",
        COUNT,
        "maximum layers of cells stacked in the height (a build joins one: MAX_LAYERS, docs/limits.md)",
        default="1",
        value=1,
        sane=(1, 10),
    ),
    Prop(
        "cooling",
        COOLING,
        "cold_plate(side = bottom | top | sides, coolant = glycol50, flow = 8 L/min, "
        "fins = 1 mm), air (or air(flow = 100 L/s, inlet = 30 degC)), immersion or none",
        default="cold_plate(side = bottom)",
    ),
    # busbar: 2 mm aluminium — an engineering default; routing checks it against the currents
    # (BatPaC heating rate, IEC 60949) and says when it is too thin.
    Prop(
        "busbar",
        CONDUCTOR,
        "busbar material and thickness: aluminium(thickness = 2 mm)",
        default="aluminium(thickness = 2 mm)",
    ),
    # enclosure: none declared — BatPaC 5.0's pack jacket (1 mm steel base, aluminium top and
    # walls of 1-2 mm by energy, with 10 mm insulation and 1 mm aluminium inner skins when
    # liquid-cooled; battgen/models/packaging/jacket.py). A declared material replaces the outer skins;
    # without a thickness, one of equal bending stiffness.
    Prop(
        "enclosure",
        ENCLOSURE,
        "the jacket's outer skins (tray, walls and lid): `steel` (as stiff as BatPaC's) or `steel(thickness = 1.5 mm)`",
        default="BatPaC's jacket",
    ),
    Prop(
        "barrier",
        BARRIER,
        "a thermal barrier against runaway propagation: `aerogel(thickness = 2 mm, between = modules)` "
        "(`between = cells` or `modules`)",
    ),
    Prop("fuse", OPTION, "cell-level fusing", options=("per_cell", "per_group", "none"), default="none", value="none"),
    Prop(
        "optimise",
        OPTION,
        "what the chosen design minimises (maximises for energy)",
        options=OPTIMISE,
        default="mass",
        value="mass",
    ),
    # ambient: 25 degC — the reference temperature of cell ratings (IEC 61960-3 and IEC 62660-1
    # test conditions).
    Prop(
        "ambient",
        QUANTITY,
        "ambient / coolant temperature",
        u.TEMPERATURE,
        default="25 degC",
        value=298.15,
        sane=(173.15, 373.15),
    ),
    Prop(
        "soc",
        QUANTITY,
        "usable state-of-charge window",
        u.DIMENSIONLESS,
        ops=("in",),
        default="in 0 % .. 100 %",
        sane=(0.0, 1.0),
    ),
    # discharge_rate: C/3 — the rate EV capacity and energy are rated at (USABC Electric Vehicle
    # Battery Test Procedures Manual, Rev. 2, 1996: C/3 constant-current discharge).
    Prop(
        "discharge_rate",
        QUANTITY,
        "rate at which usable energy is rated",
        u.FREQUENCY,
        default="0.333 C",
        value=1.0 / 3 / 3600,
        sane=(1e-7, 0.1),
    ),
    # dod: 80 % — the depth of discharge of the USABC cycle-life test (Rev. 2, 1996).
    Prop(
        "dod",
        QUANTITY,
        "depth of discharge of the duty cycle (lifetime)",
        u.DIMENSIONLESS,
        default="80 %",
        value=0.8,
        sane=(0.01, 1.0),
    ),
    # soc_floor: 20 % — ANL BatPaC 5.0 rates an EV pack's power at 20 % SOC for 10 s ("SOC for
    # full power", workbook sheet Vehicle Considerations); USABC rates peak power at 80 % depth of
    # discharge (Electric Vehicle Battery Test Procedures Manual, Rev. 2, 1996).
    Prop(
        "soc_floor",
        QUANTITY,
        "the lowest state of charge at which `power` must still be delivered; the load cases are taken there",
        u.DIMENSIONLESS,
        default="20 %",
        value=0.2,
        sane=(0.0, 1.0),
    ),
    # sizing: loads — conductors, fuses and coolant for what the file asks; `capability` sizes
    # them for whatever the cells can deliver (a pack whose duty is not known yet).
    Prop(
        "sizing",
        OPTION,
        "what conductors, fuses and the coolant are sized for: the stated `loads` or the cells' `capability`",
        options=("loads", "capability"),
        default="loads",
        value="loads",
    ),
)

# What a pack must deliver or stay within: checked by synthesis and on the pack as built.
REQUIREMENTS = (
    "voltage",
    "max_voltage",
    "min_voltage",
    "energy",
    "usable_energy",
    "power",
    "continuous_power",
    "charge_power",
    "current",
    "peak_current",
    "charge_current",
    "mass",
    "volume",
    "cost",
    "cycles",
    "module_voltage",
)
PACK = tuple(replace(p, requirement=True) if p.name in REQUIREMENTS else p for p in PACK)


# --- studies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A figure of a built variant a study can minimise (or maximise) and bound."""

    name: str
    dim: u.Dim  # u.DIMENSIONLESS for counts
    sense: int  # +1 minimised, -1 maximised
    doc: str
    unit: str  # the unit tables and reports show it in
    scale: float  # SI per ``unit`` (temperatures: kelvin, shown in degC with the offset)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("mass", u.MASS, 1, "pack mass as built (the bill of materials)", "kg", 1.0),
        Metric("cost", u.MONEY, 1, "pack cost as built (the bill of materials)", "USD", 1.0),
        Metric("volume", u.VOLUME, 1, "the enclosure's volume", "L", 1e-3),
        Metric(
            "temperature",
            u.TEMPERATURE,
            1,
            "the hottest cell as checked (cold plate: its cooled face at the continuous load plus the peak "
            "pulse; no plate: at the end of a full discharge)",
            "degC",
            1.0,
        ),
        Metric("parts", u.DIMENSIONLESS, 1, "pieces to assemble: cells, busbars and leads, fuse links, modules", "", 1),
        Metric("welds", u.DIMENSIONLESS, 1, "joints to make: two per cell, one more per fuse link", "", 1),
        Metric("energy", u.ENERGY, -1, "nominal energy of the cells placed", "kWh", 3.6e6),
        Metric("power", u.POWER, -1, "peak power as built at the SOC floor", "kW", 1e3),
    )
}

# The pack properties a study may vary, each given as a list of values to try (`cell = [m50t,
# p45b]`); the numeric ones also as a range for the optimiser (`gap in 0.5 mm .. 2 mm`).
# plausible bounds on a metric that is not a pack requirement (the others reuse the pack's)
_METRIC_SANE = {"temperature": (173.15, 473.15), "parts": (1, 1e8), "welds": (1, 1e8)}
STUDY_VARIES = (
    "cell",
    "envelope",
    "layout",
    "cooling",
    "busbar",
    "enclosure",
    "fuse",
    "modules",
    "module_series",  # each value a list: `module_series = [[10, 10, 8], [14, 14]]`
    "gap",
    "layers",
)
_PACK_PROPS = {p.name: p for p in PACK}


def _varied(name: str) -> Prop:
    p = _PACK_PROPS[name]
    numeric = p.kind in (QUANTITY, COUNT)
    return replace(
        p,
        doc=f"values of the pack's `{name}` to try ({p.doc}): a list"
        + (", or `in low .. high` for the optimiser" if numeric else "")
        + (" of lists, `[[10, 10, 8], [14, 14]]`" if p.kind == COUNT_LIST else ""),
        ops=("=", "in") if numeric else ("=",),
        required=False,
        default=None,
        value=None,
        duration=False,
        requirement=False,
        listed=True,
    )


STUDY = (
    Prop("pack", REF, "the pack whose variants the study builds", ref_kind="pack", required=True),
    *(_varied(name) for name in STUDY_VARIES),
    Prop(
        "busbar_thickness",
        QUANTITY,
        "busbar thicknesses to try (the pack's busbar material): a list, or `in low .. high` for the optimiser",
        u.LENGTH,
        ops=("=", "in"),
        sane=(0.0001, 0.01),
        listed=True,
        argument="busbar.thickness",
    ),
    Prop(
        "coolant_flow",
        QUANTITY,
        "cold-plate coolant flows to try: a list, or `in low .. high` for the optimiser",
        u.FLOW,
        ops=("=", "in"),
        sane=(1e-6, 0.01),
        listed=True,
        argument="cooling.flow",
    ),
    Prop(
        "fins",
        QUANTITY,
        "cold-plate conduction fin thicknesses to try (flat cells): a list, or `in low .. high`",
        u.LENGTH,
        ops=("=", "in"),
        sane=(0.0001, 0.005),
        listed=True,
        argument="cooling.fins",
    ),
    Prop(
        "objectives",
        OPTION,
        "what the study compares designs on (energy and power are maximised, the rest minimised)",
        options=tuple(METRICS),
        default="[mass, cost, temperature]",
        value=("mass", "cost", "temperature"),
        listed=True,
    ),
    *(
        Prop(
            m.name,
            QUANTITY if m.dim != u.DIMENSIONLESS else COUNT,
            f"a bound on each variant's `{m.name}` ({m.doc}), on top of the pack's own requirements",
            m.dim,
            ops=BOUNDS,
            sane=_METRIC_SANE.get(m.name) or _PACK_PROPS[m.name].sane,
        )
        for m in METRICS.values()
    ),
    Prop(
        "search",
        OPTION,
        "`grid`: every combination of the lists; `nsga2`: the optimiser over lists and ranges",
        options=("grid", "nsga2"),
        default="grid",
        value="grid",
    ),
    # budget, population: 8 generations of 8 — on the rack and the sedan studies this budget
    # matched the grid's best designs for most seeds where 24-32 did not (docs/studies.md).
    Prop("budget", COUNT, "distinct designs the optimiser may build", default="64", value=64, sane=(2, 10_000_000)),
    Prop("population", COUNT, "designs per generation of the optimiser", default="8", value=8, sane=(2, 10000)),
    Prop("seed", COUNT, "the optimiser's random seed (same seed, same designs)", default="1", value=1, sane=(1, 2**31)),
)

KINDS: dict[str, tuple[Prop, ...]] = {
    "cell": CELL,
    "envelope": ENVELOPE,
    "pack": PACK,
    "material": MATERIAL,
    "study": STUDY,
}
PROPS: dict[str, dict[str, Prop]] = {kind: {p.name: p for p in props} for kind, props in KINDS.items()}


@dataclass(frozen=True)
class Param:
    name: str
    dim: u.Dim | None  # None: an option word or a name
    required: bool = True
    options: tuple[str, ...] = ()
    default: str | None = None
    sane: tuple[float, float] | None = None  # physical range, SI, as ``Prop.sane``


# Constructors: positional arguments bind in this order.
SHAPES: dict[str, tuple[Param, ...]] = {
    "rect": (Param("width", u.LENGTH), Param("depth", u.LENGTH), Param("radius", u.LENGTH, False, default="0 mm")),
    "rounded_rect": (Param("width", u.LENGTH), Param("depth", u.LENGTH), Param("radius", u.LENGTH)),
    "circle": (Param("diameter", u.LENGTH),),
    "polygon": (Param("points", None),),
}
FORMATS: dict[str, tuple[Param, ...]] = {
    "cylindrical": (Param("diameter", u.LENGTH), Param("height", u.LENGTH)),
    "prismatic": (Param("width", u.LENGTH), Param("thickness", u.LENGTH), Param("height", u.LENGTH)),
    "pouch": (Param("width", u.LENGTH), Param("height", u.LENGTH), Param("thickness", u.LENGTH)),
}
COOLINGS: dict[str, tuple[Param, ...]] = {
    "cold_plate": (
        Param("side", None, False, ("bottom", "top", "sides"), default="bottom"),
        Param("coolant", None, False, default="glycol50"),
        # flow: 0.1 .. 200 L/min (a module's plate to a bus pack's manifold); inlet: -40 .. 80 °C
        Param("flow", u.FLOW, False, sane=(0.1 / 60_000, 200 / 60_000)),
        Param("inlet", u.TEMPERATURE, False, sane=(233.15, 353.15)),
        Param("fins", u.LENGTH, False),  # conduction fins between pouch/prismatic cells down to the plate
    ),
    # forced air across the cells (passes/heat.py); without a flow, sized for a 5 K air rise
    "air": (Param("flow", u.FLOW, False), Param("inlet", u.TEMPERATURE, False)),
}
COOLING_WORDS = ("immersion", "none")
CONDUCTOR_PARAMS: tuple[Param, ...] = (Param("thickness", u.LENGTH),)
ENCLOSURE_PARAMS: tuple[Param, ...] = (Param("thickness", u.LENGTH, False),)
BARRIER_PARAMS: tuple[Param, ...] = (
    Param("thickness", u.LENGTH),
    Param("between", None, False, ("cells", "modules"), default="modules"),
)

CONSTRUCTORS: dict[str, tuple[Param, ...]] = {**SHAPES, **FORMATS, **COOLINGS}
