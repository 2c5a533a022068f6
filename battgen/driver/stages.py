"""The stage registry: every stage after synthesis, in order, with what it reads and writes.

A stage is a pure function of the pack and the earlier stages' results (``battgen.passes``,
and ``battgen.emit.cad`` for the CAD). The adapters here call it with the fields of the
``PackBuild`` it declares in ``reads`` and return the build with the fields in ``writes``
replaced; the build itself is never mutated. A run stops at the first stage that reports an
error. The stages marked ``loop`` build and check one architecture: the design loop
(``driver.loop``) runs them for each architecture it tries, the others once for the one that
passed. Stages are imported lazily, so that ``battc check`` and the language server never load
shapely, scipy or cadquery.

    synthesis ─► [ layout ─► routing ─► heat ─► bom ─► check ] ─► structure ─► safety ─► cad
                      design loop: another architecture while the check fails

The structure and safety stages run after the loop, for the architecture that passed: what they
find (a lid resonating in the road band, runaway that propagates within five minutes, fuses
that open in the wrong order) is fixed by a rib, a barrier or a fuse, not by another S×P, so
they report warnings and do not send the loop to another architecture — and the finite-element
and propagation solves run once, not once per attempt.
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
    from battgen.passes.routing.stage import routing_stage

    assert build.placement is not None
    outcome = routing_stage(build.pack, build.placement)
    return replace(build, routing=outcome.value), outcome.diagnostics


def _heat(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.heat import heat_stage

    assert build.placement is not None and build.routing is not None
    outcome = heat_stage(build.pack, build.placement, build.routing, build.materials)
    return replace(build, heat=outcome.value), outcome.diagnostics


def _bom(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.bom import bom_stage

    assert build.placement is not None
    outcome = bom_stage(build.pack, build.placement, build.routing, build.materials)
    return replace(build, bom=outcome.value), outcome.diagnostics


def _check(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.asbuilt import check_stage

    assert build.placement is not None and build.routing is not None and build.heat is not None
    assert build.bom is not None
    outcome = check_stage(build.pack, build.placement, build.routing, build.heat, build.bom)
    return replace(build, as_built=outcome.value), outcome.diagnostics


def _structure(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.structure.stage import structure_stage

    assert build.placement is not None
    outcome = structure_stage(build.pack, build.placement, build.routing, build.materials)
    return replace(build, structure=outcome.value), outcome.diagnostics


def _safety(build: PackBuild, options: BuildOptions) -> tuple[PackBuild, Diagnostics]:
    from battgen.passes.safety.stage import safety_stage

    assert build.placement is not None
    outcome = safety_stage(build.pack, build.placement, build.routing, build.heat, build.materials)
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
        progress=options.progress,
    )
    if outcome.value is None:
        return build, outcome.diagnostics
    return replace(build, cad=outcome.value.result, files=outcome.value.files), outcome.diagnostics


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
        "bom",
        ("pack", "materials", "placement", "routing"),
        ("bom",),
        _bom,
        "the bill of materials: cells, routed busbars and fuse links, the estimate's other parts",
    ),
    Stage(
        "check",
        ("pack", "placement", "routing", "heat", "bom"),
        ("as_built",),
        _check,
        "every requirement and cell limit on the pack as built",
    ),
    Stage(
        "structure",
        ("pack", "materials", "placement", "routing"),
        ("structure",),
        _structure,
        "end plates and bands against swelling; modules' and panels' modes (finite elements), vibration, "
        "shock and crush against the standards",
        loop=False,
    ),
    Stage(
        "safety",
        ("pack", "materials", "placement", "routing", "heat"),
        ("safety",),
        _safety,
        "thermal-runaway propagation through the cell network, vent gas, short-circuit currents and fuse coordination",
        loop=False,
    ),
    Stage(
        "cad",
        ("pack", "materials", "placement", "routing", "heat"),
        ("cad", "files"),
        _cad,
        "the pack's solids: STEP, GLB and a preview picture",
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
