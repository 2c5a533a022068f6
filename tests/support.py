"""Helpers shared by the test modules (imported as ``support``)."""

from __future__ import annotations

from battgen.driver.pipeline import build_result
from battgen.passes.build import PackBuild


def build_pack(source, *, cad: bool = False, name: str | None = None) -> PackBuild:
    """``source`` (a path or text) through the driver's stages, in memory: the pack's typed
    build. Asserts that nothing reported an error."""
    result = build_result(source, None, cad=cad)
    errors = [d for d in result.diagnostics if d.is_error]
    assert not errors, errors
    return result.packs[name or min(result.packs)]


def cad_outcome(build: PackBuild, *, stl: bool = False):
    """The CAD stage run on a build that stopped before it (the build's own inputs)."""
    from battgen.emit.cad import cad_stage

    assert build.placement is not None
    return cad_stage(build.pack, build.placement, build.routing, build.heat, build.materials, stl=stl, bms=build.bms)
