"""The stage registry: every stage after synthesis, in order, with what it reads and writes.

A stage is a pure function of the pack and the earlier stages' results (``battgen.passes``,
and ``battgen.emit.cad`` for the CAD). The adapters here call it with the fields of the
``PackBuild`` it declares in ``reads`` and return the build with the fields in ``writes``
replaced; the build itself is never mutated. A run stops at the first stage that reports an
error. The stages marked ``loop`` build and check one architecture: the design loop
(``driver.loop``) runs them for each architecture it tries, the others once for the one that
passed. Stages are imported lazily, so that ``battc check`` and the language server never load
shapely, scipy or cadquery.

    synthesis ─► [ layout ─► plates ─► routing ─► heat ─► lifetime ─► bms ─► bom ─► check ]
                 ─► structure ─► thermal_network ─► safety ─► cad
                      design loop: another architecture while the check fails

The structure and safety stages run after the loop, for the architecture that passed: what they
find (a lid resonating in the road band, runaway that propagates within five minutes, fuses
that open in the wrong order) is fixed by a rib, a barrier or a fuse, not by another S×P, so
they report warnings and do not send the loop to another architecture — and the finite-element
and propagation solves run once, not once per attempt. The structure stage reads nothing the
loop makes after routing: it starts in a thread once an attempt is routed (``starts_after``,
``driver.ahead``) and is taken after the loop for the architecture that passed.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from battgen.core.diagnostics import Diagnostic
from battgen.core.memo import Remembered
from battgen.passes.build import PackBuild

if TYPE_CHECKING:
    from battgen.driver.ahead import Ahead
    from battgen.driver.cache import StageCache


class StageReporter(Protocol):
    """Who is told what the build is doing (``emit.terminal.BuildProgress`` on a terminal)."""

    def stage(self, name: str, detail: str = "") -> None:
        """A stage of the pack ``detail`` starts."""

    def step(self, step: str, done: int, total: int) -> None:
        """Within the stage, ``step`` is under way, ``done`` of ``total`` finished."""


@dataclass(frozen=True)
class BuildOptions:
    cad: bool = True  # run the CAD stage
    stl: bool = False  # also export STL
    progress: bool = False  # show progress bars (a terminal is watching)
    reporter: StageReporter | None = None  # told of every stage as it starts (and the CAD's steps)


Diagnostics = tuple[Diagnostic, ...]
StageRun = Callable[[PackBuild, BuildOptions], tuple[PackBuild, Diagnostics]]


@dataclass(frozen=True)
class Stage:
    """``reads``: what the stage's function reads — a PackBuild field (``"placement"``), part of
    one (``"pack.busbar"``, ``"architecture.series"``) or an option (``"options.stl"``): exactly
    these make its cache key (``driver.cache``). ``refresh``: on a cache hit, the written fields
    brought up to date with inputs the key leaves out on purpose."""

    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]  # PackBuild fields it sets
    run: StageRun
    doc: str
    loop: bool = True  # part of building and checking one architecture (the design loop)
    enabled: Callable[[BuildOptions], bool] = lambda options: True
    refresh: Callable[[PackBuild, dict[str, Any]], dict[str, Any]] | None = None
    # a stage after the loop that reads nothing the loop makes after this loop stage: it starts
    # in a thread once that stage is done, while the loop goes on (``driver.ahead``)
    starts_after: str | None = None


def _placed_as(build: PackBuild, fields: dict[str, Any]) -> dict[str, Any]:
    """A cached placement holds the layout of the same S, P and modules; its candidate is the
    architecture being built now (its loads may differ: the layout does not read them)."""
    placement = fields["placement"]
    return {"placement": replace(placement, candidate=build.architecture) if placement is not None else None}


def _layout(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.layout import layout_stage

    assert build.architecture is not None
    outcome = layout_stage(build.pack, build.architecture)
    return replace(build, placement=outcome.value), outcome.diagnostics


def _plates(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.routing.stage import plates_stage

    assert build.placement is not None
    outcome = plates_stage(build.pack, build.placement)
    return replace(build, plates=outcome.value), outcome.diagnostics


def _routing(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.routing.stage import routing_stage_with_network

    assert build.placement is not None and build.plates is not None
    outcome, network = routing_stage_with_network(build.pack, build.placement, build.plates)
    return replace(build, routing=outcome.value, circuit=network), outcome.diagnostics


def _heat(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.heat import heat_stage

    assert build.placement is not None and build.routing is not None
    outcome = heat_stage(build.pack, build.placement, build.routing, build.materials)
    return replace(build, heat=outcome.value), outcome.diagnostics


def _lifetime(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.lifetime import lifetime_stage

    assert build.placement is not None and build.routing is not None and build.heat is not None
    outcome = lifetime_stage(build.pack, build.placement, build.routing, build.heat, build.materials)
    return replace(build, lifetime=outcome.value), outcome.diagnostics


def _bms(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.bms import bms_stage

    assert build.placement is not None and build.routing is not None and build.heat is not None
    outcome = bms_stage(build.pack, build.placement, build.routing, build.heat)
    return replace(build, bms=outcome.value), outcome.diagnostics


def _bom(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.bom import bom_stage

    assert build.placement is not None
    outcome = bom_stage(build.pack, build.placement, build.routing, build.materials, build.heat, build.bms)
    return replace(build, bom=outcome.value), outcome.diagnostics


def _check(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.asbuilt import check_stage

    assert build.placement is not None and build.routing is not None and build.heat is not None
    assert build.bom is not None
    outcome = check_stage(build.pack, build.placement, build.routing, build.heat, build.bom, build.lifetime)
    return replace(build, as_built=outcome.value), outcome.diagnostics


def _structure(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.structure.stage import structure_stage

    assert build.placement is not None
    outcome = structure_stage(build.pack, build.placement, build.routing, build.materials)
    return replace(build, structure=outcome.value), outcome.diagnostics


def _thermal_network(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.safety.stage import thermal_network_stage

    assert build.placement is not None
    outcome = thermal_network_stage(build.pack, build.placement, build.routing, build.materials)
    return replace(build, thermal_network=outcome.value), outcome.diagnostics


def _safety(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.safety.stage import safety_stage

    assert build.placement is not None and build.thermal_network is not None
    outcome = safety_stage(build.pack, build.placement, build.routing, build.thermal_network, build.heat)
    return replace(build, safety=outcome.value), outcome.diagnostics


def _cad(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.emit.cad import cad_stage

    assert build.placement is not None
    outcome = cad_stage(
        build.pack,
        build.placement,
        build.routing,
        build.heat,
        build.materials,
        stl=options.stl,
        progress=options.reporter.step if options.reporter is not None else options.progress,
        bms=build.bms,
    )
    if outcome.value is None:
        return build, outcome.diagnostics
    value = outcome.value
    return replace(build, cad=value.result, files=value.files, assembly=value.assembly), outcome.diagnostics


# the parts of the pack the drawn pack is made from (``drawn.site``, ``drawn.stack``, the mass
# model's jacket): the cells and where they stand, the cooling's kind and side, the busbars, the
# enclosure and the barriers; not the coolant, its flow or its temperature
DRAWN_PACK = (
    "pack.cell",
    "pack.envelope",
    "pack.module_series",
    "pack.strings",
    "pack.layout",
    "pack.gap",
    "pack.layers",
    "pack.cooling.kind",
    "pack.cooling.side",
    "pack.cooling.fins",
    "pack.busbar",
    "pack.enclosure",
    "pack.barrier",
)


STAGES: tuple[Stage, ...] = (
    Stage(
        "layout",
        (
            "pack.name",
            "pack.cell",
            "pack.envelope",
            "pack.layout",
            "pack.gap",
            "pack.layers",
            "pack.property_spans",
            "architecture.series",
            "architecture.parallel",
            "architecture.modules",
            "architecture.module_series",
            "architecture.strings",
        ),
        ("placement",),
        _layout,
        "every cell of the architecture placed, grouped and in modules",
        refresh=_placed_as,
    ),
    Stage(
        "plates",
        (
            "pack.cell",
            "pack.envelope",
            "pack.property_spans",
            "architecture.max_voltage",
            "placement",
        ),
        ("plates",),
        _plates,
        "each owner's busbar plate cut from the Voronoi split of its face, kept clear by creepage",
    ),
    Stage(
        "routing",
        (
            "pack.name",
            "pack.cell",
            "pack.envelope",
            "pack.busbar",
            "pack.fuse",
            "pack.ambient",
            "pack.property_spans",
            # the drawn enclosure the plates keep clear of and the isolation check measures
            # (``drawn.site``, ``jacket_of``, ``stack``): not the coolant's flow or temperature
            "pack.cooling.kind",
            "pack.cooling.side",
            "pack.cooling.fins",
            "pack.gap",
            "pack.layout",
            "pack.enclosure",
            "pack.module_series",
            "pack.strings",
            # the architecture's parts routing reads (its mass or cost estimate, which change with
            # cooling, do not make routing run again)
            "architecture.series",
            "architecture.parallel",
            "architecture.strings",
            "architecture.modules",
            "architecture.loads",
            "architecture.peak_current",
            "architecture.continuous_current",
            "architecture.nominal_voltage",
            "architecture.max_voltage",
            "architecture.resistance",
            "placement",
            "plates",
        ),
        ("routing", "circuit"),
        _routing,
        "busbars, terminal leads, fuse links and the pack's resistance network solved per cell",
    ),
    Stage(
        "heat",
        (
            "pack.cell",
            "pack.envelope",
            "pack.cooling",
            "pack.ambient",
            "pack.soc_low",
            "pack.soc_high",
            "pack.soc_floor",
            "materials",
            "architecture.loads",
            "placement",
            "routing",
        ),
        ("heat",),
        _heat,
        "every cell's heat from its routed current; cold plate, adiabatic warming, the peak pulse",
    ),
    Stage(
        "lifetime",
        ("pack", "materials", "placement", "routing", "heat"),
        ("lifetime",),
        _lifetime,
        "years and cycles to 80 % on the pack's duty: BLAST-Lite's model, the heat stage's hottest and mean cell",
    ),
    Stage(
        "bms",
        (
            # the thermistors' cells by their heat at the continuous load (``heat.cell_heats``)
            "pack.cell",
            "pack.ambient",
            "pack.soc_low",
            "pack.soc_high",
            "pack.soc_floor",
            "pack.strings",
            "architecture.parallel",
            "architecture.loads",
            "placement",
            "routing",
            # of the heat stage's result only the current it was found at: the coolant's inlet
            # moves the temperatures, not where the thermistors go (a coolant edit reuses the BMS)
            "heat.current",
        ),
        ("bms",),
        _bms,
        "front ends on the modules, sense lines, thermistors, balancing, isolation, contactors, pre-charge, fuse",
    ),
    Stage(
        "bom",
        (
            # every part of the pack the drawn parts, the mass model and the cost model read:
            # not its load cases or the temperatures (ambient, SOC window, requirements, coolant
            # inlet), which the heat stage's figures below carry where the BOM needs them
            *DRAWN_PACK,
            "pack.name",
            "pack.series",
            "pack.parallel",
            "pack.modules",
            "pack.cooling.coolant",
            "pack.cooling.flow",
            "pack.cooling.coolant_material",
            "pack.fuse",
            "pack.sizing",
            "materials",
            "architecture.peak_current",
            "architecture.heat",
            "placement",
            "routing",
            # the coolant flow the channels are sized for and the heat the thermal system is
            # priced by; the temperatures the coolant's inlet moves are not read
            "heat.coolant_flow",
            "heat.flow_basis",
            "heat.cell_heat_total",
            "heat.busbar_heat",
            "bms",
        ),
        ("bom",),
        _bom,
        "the bill of materials: cells, routed busbars and fuse links, the drawn parts, the mass model's others",
    ),
    Stage(
        "check",
        ("pack", "architecture", "placement", "routing", "heat", "bom", "lifetime"),
        ("as_built",),
        _check,
        "every requirement and cell limit on the pack as built",
    ),
    Stage(
        "structure",
        (
            "pack.name",
            "pack.span",
            "pack.name_span",
            "pack.property_spans",
            # the drawn stack and the mass model's jacket: not the coolant's flow or temperature,
            # so a coolant edit reuses the finite-element solves
            *DRAWN_PACK,
            "materials",
            "placement",
            "routing",
        ),
        ("structure",),
        _structure,
        "end plates and bands against swelling; modules' and panels' modes (finite elements), vibration, "
        "shock and crush against the standards",
        loop=False,
        starts_after="routing",
    ),
    Stage(
        "thermal_network",
        ("pack.cell", "pack.gap", "pack.barrier", "materials", "placement", "routing"),
        ("thermal_network",),
        _thermal_network,
        "the cells' thermal network: conduction across the gaps and through the busbars, radiation, ejecta's reach",
        loop=False,
    ),
    Stage(
        "safety",
        ("pack", "placement", "routing", "thermal_network", "heat"),
        ("safety",),
        _safety,
        "thermal-runaway propagation through the cell network, vent gas, short-circuit currents and fuse coordination",
        loop=False,
    ),
    Stage(
        "cad",
        ("pack", "materials", "architecture", "placement", "routing", "heat", "bms", "options.stl"),
        ("cad", "files", "assembly"),
        _cad,
        "the pack's solids: STEP, GLB and a preview picture; the assembly procedure with a picture per step",
        loop=False,
        enabled=lambda options: options.cad,
    ),
)


UPSTREAM = frozenset(field for stage in STAGES for field in stage.writes)


def stage_key(stage: Stage, build: PackBuild, options: BuildOptions) -> str:
    """The hash of the stage's code version and each input it reads (``driver.cache``)."""
    from battgen.driver.cache import code_version, fingerprint, frozen_fingerprint

    parts = [stage.name, code_version()]
    for read in stage.reads:
        head, _, attr = read.partition(".")
        if head in UPSTREAM and not attr:
            parts.append(build.stage_keys.get(head) or fingerprint(getattr(build, head)))
        elif head == "options":
            parts.append(repr(getattr(options, attr)))
        else:
            value = getattr(build, head)
            for name in attr.split(".") if attr else ():  # "pack.cooling.kind", "heat.current": that alone
                value = getattr(value, name)
            parts.append(
                fingerprint(value) if isinstance(value, (int, float, str, type(None))) else frozen_fingerprint(value)
            )
    return fingerprint(parts)


# the spans each cached result holds, by its key: an edit that moves only other declarations (the
# coolant's inlet typed into the cooling line moves that line's later spans) reuses the result
# without walking it (a routed pack's busbars and fuse links are thousands of records)
_SPANS_HELD = Remembered(256)


def _computed(
    stage: Stage, build: PackBuild, options: BuildOptions, key: str, ahead: Ahead | None
) -> tuple[dict[str, Any], Diagnostics]:
    """The fields the stage writes and its diagnostics: from its run ahead with this key, else run."""
    taken = ahead.take(key) if ahead is not None else None
    if taken is not None:
        return taken
    new, found = stage.run(build, options)
    return {name: getattr(new, name) for name in stage.writes}, found


def _start_ahead(done: Stage, build: PackBuild, options: BuildOptions, cache: StageCache | None, ahead: Ahead) -> None:
    """Start the stages that may start once ``done`` is (``Stage.starts_after``) and that the
    cache does not hold."""
    for stage in STAGES:
        if stage.starts_after == done.name and stage.enabled(options):
            key = _ahead_key(stage, build, options, cache)
            if cache is None or not cache.has(key):
                ahead.start(stage, build, options, key)


def keep_ahead(ahead: Ahead, build: PackBuild, cache: StageCache | None) -> None:
    """Put the runs ``ahead`` finished and nobody took (attempts that failed) in ``cache``."""
    from battgen.driver.cache import spans_of

    if cache is None:
        return
    for key, fields, found in ahead.finished():
        if not cache.has(key):
            cache.put(key, (fields, found, spans_of(build.pack)))


def _ahead_key(stage: Stage, build: PackBuild, options: BuildOptions, cache: StageCache | None) -> str:
    """What a stage run ahead is known by: its cache key; without a cache (which would make the
    hash of every result it reads, whole), the identities of the values it reads: a run ahead
    holds them, so the same identities are the same inputs."""
    if cache is not None:
        return stage_key(stage, build, options)
    values = []
    for read in stage.reads:
        head, _, attr = read.partition(".")
        value = getattr(options if head == "options" else build, attr if head == "options" else head)
        for name in attr.split(".") if attr and head != "options" else ():
            value = getattr(value, name)
        values.append(id(value))
    return f"{stage.name}:{values}"


def _cached(
    stage: Stage, build: PackBuild, options: BuildOptions, cache: StageCache, ahead: Ahead | None = None
) -> tuple[PackBuild, Diagnostics]:
    """The stage's result from ``cache``, or computed (or taken from its run ahead) and stored there."""
    from battgen.driver.cache import respan, spans_in, spans_of

    key = stage_key(stage, build, options)
    spans = spans_of(build.pack)
    entry = cache.get(key)
    if entry is None:
        fields, found = _computed(stage, build, options, key, ahead)
        cache.put(key, (fields, found, spans))
    else:
        fields, found, old = entry
        moved = {span: spans[path] for path, span in old.items() if path in spans and spans[path] != span}
        if moved:  # the declarations the result points at, moved in the source (a comment above them)
            # (by the spans it was stored with too: a key evicted and stored again from a source
            # with other spans holds those)
            held = _SPANS_HELD.get((key, tuple(old.items())), lambda: spans_in((fields, found)))
            moved = {span: new for span, new in moved.items() if span in held}
        if moved:
            fields, found = respan(fields, moved), respan(found, moved)
        if stage.refresh is not None:
            fields = stage.refresh(build, fields)
    keys = {**build.stage_keys, **dict.fromkeys(stage.writes, key)}
    return replace(build, stage_keys=keys, **fields), found


# what a build without CAD imports as it runs (``warm_imports``): the stages' modules, the passes'
# libraries; tests/test_study.py checks that a build after it imports nothing more
BUILD_IMPORTS = (
    "battgen.driver.loop",
    "battgen.models.lifetime_data",
    "battgen.models.lifetime_table",
    "battgen.models.resistance",
    "battgen.passes.asbuilt",
    "battgen.passes.bms",
    "battgen.passes.bom",
    "battgen.passes.channels",
    "battgen.passes.drawn",
    "battgen.passes.holders",
    "battgen.passes.heat",
    "battgen.passes.layout.stage",
    "battgen.passes.lifetime",
    "battgen.passes.routing.stage",
    "battgen.passes.safety.stage",
    "battgen.passes.structure.parts",
    "battgen.passes.structure.stage",
    "scipy.optimize",
    "scipy.sparse.csgraph",
    "scipy.spatial",
    "shapely.ops",
    "shapely.prepared",
    "skfem",
    "skfem.helpers",
)


def warm_imports() -> None:
    """Import what a build without CAD imports, and BLAST-Lite (its import, with scipy.stats, is
    seconds): the language server's build worker and a study's workers do it before their first
    build, whose time is somebody's wait."""
    import importlib

    from battgen.models import lifetime

    for module in BUILD_IMPORTS:
        importlib.import_module(module)
    lifetime.available()


@contextmanager
def frozen_during() -> Iterator[None]:
    """A build: what is alive as it starts (the libraries, the source) frozen, and that and
    what ``run`` freezes unfrozen at its end, whatever ended it (cycles of garbage among them
    are then collected in the collector's next full pass)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run(
    build: PackBuild,
    options: BuildOptions,
    *,
    loop: bool,
    cache: StageCache | None = None,
    ahead: Ahead | None = None,
) -> tuple[PackBuild, Diagnostics, str]:
    """The enabled stages with ``Stage.loop == loop``, in order, from ``build``; stops at the
    first error. Returns the build, the stages' diagnostics and the name of the last stage run.
    With a ``cache``, a stage whose inputs it has seen is not run again. With ``ahead``, the
    stages after the loop that may start early are started in it as the loop goes, and taken
    from it in their turn (``driver.ahead``).

    After each stage the objects alive are frozen (``gc.freeze``): the collector's full passes
    then leave them alone. A 7,104-cell build holds ~200,000 objects (the imported libraries,
    the placed cells, the fuse links); five full passes over them took 0.9 s of the Model S's
    build. ``frozen_during`` gives them back to the collector when the build is done."""
    diagnostics: list[Diagnostic] = []
    last = ""
    for stage in STAGES:
        if stage.loop != loop or not stage.enabled(options):
            continue
        last = stage.name
        if options.reporter is not None:
            label = build.candidate.label if build.candidate is not None else ""
            options.reporter.stage(stage.name, f"{build.name} {label}".strip())
        if cache is not None:
            build, found = _cached(stage, build, options, cache, ahead)
        elif ahead is not None and stage.starts_after is not None:
            fields, found = _computed(stage, build, options, _ahead_key(stage, build, options, None), ahead)
            build = replace(build, **fields)
        else:
            build, found = stage.run(build, options)
        diagnostics.extend(found)
        gc.freeze()  # what outlived the stage (its results, the modules it imported) is long-lived
        if any(d.is_error for d in found):
            break
        if ahead is not None:
            _start_ahead(stage, build, options, cache, ahead)
    return build, tuple(diagnostics), last
