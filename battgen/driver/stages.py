"""The stage registry: every stage after synthesis, in order, with what it reads and writes.

A stage is a pure function of the pack and the earlier stages' results (``battgen.passes``,
and ``battgen.emit.cad`` for the CAD). The adapters here call it with the fields of the
``PackBuild`` it declares in ``reads`` and return the build with the fields in ``writes``
replaced; the build itself is never mutated. A run stops at the first stage that reports an
error. The stages marked ``loop`` build and check one architecture: the design loop
(``driver.loop``) runs them for each architecture it tries, the others once for the one that
passed. Stages are imported lazily, so that ``battc check`` and the language server never load
shapely, scipy or cadquery.

    synthesis ─► [ layout ─► routing ─► heat ─► lifetime ─► bms ─► bom ─► check ] ─► cad
                      design loop: another architecture while the check fails
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from battgen.core.diagnostics import Diagnostic
from battgen.passes.build import PackBuild


@dataclass(frozen=True)
class BuildOptions:
    cad: bool = True  # run the CAD stage
    stl: bool = False  # also export STL
    progress: bool = False  # show progress bars (a terminal is watching)


Diagnostics = tuple[Diagnostic, ...]
StageRun = Callable[[PackBuild, BuildOptions], tuple[PackBuild, Diagnostics]]


@dataclass(frozen=True)
class Stage:
    name: str
    reads: tuple[str, ...]  # PackBuild fields the stage's function is called with
    writes: tuple[str, ...]  # PackBuild fields it sets
    run: StageRun
    doc: str
    loop: bool = True  # part of building and checking one architecture (the design loop)
    enabled: Callable[[BuildOptions], bool] = lambda options: True


def _layout(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.layout import layout_stage

    assert build.architecture is not None
    outcome = layout_stage(build.pack, build.architecture)
    return replace(build, placement=outcome.value), outcome.diagnostics


def _routing(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.routing.stage import routing_stage_with_network

    assert build.placement is not None
    outcome, network = routing_stage_with_network(build.pack, build.placement)
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
    outcome = bom_stage(build.pack, build.placement, build.routing, build.materials, build.bms)
    return replace(build, bom=outcome.value), outcome.diagnostics


def _check(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.asbuilt import check_stage

    assert build.placement is not None and build.routing is not None and build.heat is not None
    assert build.bom is not None
    outcome = check_stage(build.pack, build.placement, build.routing, build.heat, build.bom, build.lifetime)
    return replace(build, as_built=outcome.value), outcome.diagnostics


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
        progress=options.progress,
        bms=build.bms,
    )
    if outcome.value is None:
        return build, outcome.diagnostics
    value = outcome.value
    return replace(build, cad=value.result, files=value.files, assembly=value.assembly), outcome.diagnostics


STAGES: tuple[Stage, ...] = (
    Stage(
        "layout",
        ("pack", "architecture"),
        ("placement",),
        _layout,
        "every cell of the architecture placed, grouped and in modules",
    ),
    Stage(
        "routing",
        ("pack", "placement"),
        ("routing", "circuit"),
        _routing,
        "busbars, terminal leads, fuse links and the pack's resistance network solved per cell",
    ),
    Stage(
        "heat",
        ("pack", "materials", "placement", "routing"),
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
        ("pack", "placement", "routing", "heat"),
        ("bms",),
        _bms,
        "front ends on the modules, sense lines, thermistors, balancing, isolation, contactors, pre-charge, fuse",
    ),
    Stage(
        "bom",
        ("pack", "materials", "placement", "routing", "bms"),
        ("bom",),
        _bom,
        "the bill of materials: cells, routed busbars and fuse links, the estimate's other parts",
    ),
    Stage(
        "check",
        ("pack", "placement", "routing", "heat", "bom", "lifetime"),
        ("as_built",),
        _check,
        "every requirement and cell limit on the pack as built",
    ),
    Stage(
        "cad",
        ("pack", "materials", "placement", "routing", "heat", "bms"),
        ("cad", "files", "assembly"),
        _cad,
        "the pack's solids: STEP, GLB and a preview picture; the assembly procedure with a picture per step",
        loop=False,
        enabled=lambda options: options.cad,
    ),
)


def run(build: PackBuild, options: BuildOptions, *, loop: bool) -> tuple[PackBuild, Diagnostics, str]:
    """The enabled stages with ``Stage.loop == loop``, in order, from ``build``; stops at the
    first error. Returns the build, the stages' diagnostics and the name of the last stage run."""
    diagnostics: list[Diagnostic] = []
    last = ""
    for stage in STAGES:
        if stage.loop != loop or not stage.enabled(options):
            continue
        last = stage.name
        build, found = stage.run(build, options)
        diagnostics.extend(found)
        if any(d.is_error for d in found):
            break
    return build, tuple(diagnostics), last
