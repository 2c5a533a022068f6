"""The stages after synthesis, in order: layout → routing → heat → CAD.

Each takes the pack IR, the build so far (``api.PackBuild``) and the options, records its
result on the build and returns its diagnostics; the pipeline stops at the first stage that
reports an error. Stages are imported here, lazily, so that ``battc check`` and the language
server never load shapely, scipy or cadquery.
"""

from __future__ import annotations


def _layout(pack, build, options):
    from battgen.passes.layout import layout_stage

    return layout_stage(pack, build, options)


def _routing(pack, build, options):
    from battgen.passes.routing import routing_stage

    return routing_stage(pack, build, options)


def _heat(pack, build, options):
    from battgen.passes.heat import heat_stage

    return heat_stage(pack, build, options)


def _cad(pack, build, options):
    if not options.get("cad"):
        return []
    from battgen.emit.cad import cad_stage

    return cad_stage(pack, build, options)


STAGES: list = [("layout", _layout), ("routing", _routing), ("heat", _heat), ("cad", _cad)]


def summaries(build) -> list[tuple[str, str]]:
    """(stage name, one-line summary) of every stage that ran on ``build``, in pipeline order."""
    out = []
    for name, _stage in STAGES:
        summary = getattr(getattr(build, name, None), "summary", None)
        if summary is not None:
            out.append((name, summary()))
    return out


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
