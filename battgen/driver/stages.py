"""The stage registry: every stage after synthesis, in order, with what it reads and writes.

A stage is a pure function of the pack and the earlier stages' results (``battgen.passes``,
and ``battgen.emit.cad`` for the CAD). The adapters here call it with the fields of the
``PackBuild`` it declares in ``reads`` and return the build with the fields in ``writes``
replaced; the build itself is never mutated. The pipeline stops at the first stage that
reports an error. Stages are imported lazily, so that ``battc check`` and the language server
never load shapely, scipy or cadquery.

    synthesis ─► layout ─► routing ─► heat ─► cad
      (pack)    placement   routing    heat    cad, files
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
    enabled: Callable[[BuildOptions], bool] = lambda options: True


def _layout(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.layout import layout_stage

    outcome = layout_stage(build.pack, build.synthesis)
    return replace(build, placement=outcome.value), outcome.diagnostics


def _routing(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.routing.stage import routing_stage

    assert build.placement is not None
    outcome = routing_stage(build.pack, build.placement)
    return replace(build, routing=outcome.value), outcome.diagnostics


def _heat(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.heat import heat_stage

    assert build.placement is not None and build.routing is not None
    outcome = heat_stage(build.pack, build.placement, build.routing, build.materials)
    return replace(build, heat=outcome.value), outcome.diagnostics


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
    )
    if outcome.value is None:
        return build, outcome.diagnostics
    return replace(build, cad=outcome.value.result, files=outcome.value.files), outcome.diagnostics


STAGES: tuple[Stage, ...] = (
    Stage(
        "layout",
        ("pack", "synthesis"),
        ("placement",),
        _layout,
        "every cell placed, grouped and in modules; synthesis's choice or the runner-up that fits",
    ),
    Stage(
        "routing",
        ("pack", "placement"),
        ("routing",),
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
        "cad",
        ("pack", "materials", "placement", "routing", "heat"),
        ("cad", "files"),
        _cad,
        "the pack's solids: STEP, GLB and a preview picture",
        enabled=lambda options: options.cad,
    ),
)


def run(build: PackBuild, options: BuildOptions) -> PackBuild:
    """Every enabled stage in order, from ``build`` (synthesis done); stops at the first error.
    The returned build's ``diagnostics`` hold synthesis's and every stage's."""
    diagnostics = list(build.diagnostics)
    if build.synthesis.chosen is None:
        return build
    for stage in STAGES:
        if not stage.enabled(options):
            continue
        build, found = stage.run(build, options)
        diagnostics.extend(found)
        if any(d.is_error for d in found):
            break
    return replace(build, diagnostics=tuple(diagnostics))
