"""The stages after synthesis, in order. Each takes the pack IR and the build so far and
returns its diagnostics; the pipeline stops at the first stage that reports an error."""

from __future__ import annotations

STAGES: list = []  # (name, function(pack, build, options) -> list[Diagnostic])


def run(pack, build, *, cad: bool, stl: bool, progress: bool) -> list:
    diagnostics: list = []
    if build.synthesis.chosen is None:
        return diagnostics
    options = {"cad": cad, "stl": stl, "progress": progress}
    for _name, stage in STAGES:
        found = stage(pack, build, options)
        diagnostics.extend(found)
        if any(d.is_error for d in found):
            break
    return diagnostics
