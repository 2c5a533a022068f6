"""The files of a build folder that come from the IR and pass results (not CAD)."""

from __future__ import annotations

from battgen.render import dumps
from battgen.serialize import to_jsonable


def design_json(estimate, build) -> str:
    """``design.json``: the pack as declared and every pass result, deterministic bytes."""
    pack = estimate.lowered.design.packs[build.name]
    data = {
        "battgen": 1,
        "pack": to_jsonable(pack),
        "synthesis": estimate.pack_json(build.name),
    }
    if build.layout is not None:
        data["layout"] = to_jsonable(build.layout)
    if build.routing is not None:
        data["routing"] = to_jsonable(build.routing)
    if build.cad is not None:
        data["cad"] = to_jsonable(build.cad)
    return dumps(data)


def render_all(estimate, build) -> dict[str, str | bytes]:
    """Every file that follows from the pass results present in ``build``."""
    pack = estimate.lowered.design.packs[build.name]
    files: dict[str, str | bytes] = {"design.json": design_json(estimate, build)}
    if build.layout is not None:
        from battgen.emit.svg import layout_svg

        files["layout.svg"] = layout_svg(build.layout, pack)
    if build.layout is not None and build.routing is not None:
        from battgen.emit.busbars_svg import busbars_svg, currents_svg

        files["busbars.svg"] = busbars_svg(build.layout, build.routing, pack)
        files["currents.svg"] = currents_svg(build.layout, build.routing, pack)
    return files
