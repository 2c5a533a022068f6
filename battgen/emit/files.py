"""The files of a build folder that come from the IR and the stage results (the CAD stage adds
its own: ``pack.step``, ``pack.glb``, ``preview.png``). Every file reads the one architecture
built (``PackBuild.candidate``)."""

from __future__ import annotations

from collections.abc import Sequence

from battgen.core.diagnostics import Diagnostic
from battgen.core.serialize import dumps, to_jsonable
from battgen.passes.build import PackBuild


def design_json(build: PackBuild) -> str:
    """``design.json``: the pack as declared and every stage's result, deterministic bytes."""
    data = {
        "battgen": 1,
        "pack": to_jsonable(build.pack),
        "synthesis": build.synthesis.as_json(build.candidate),
        "bom": to_jsonable(build.bom or ()),
        "design_loop": to_jsonable(build.design_loop),
    }
    if build.layout is not None:
        data["layout"] = to_jsonable(build.layout)
    if build.routing is not None:
        data["routing"] = to_jsonable(build.routing)
    if build.heat is not None:
        data["heat"] = to_jsonable(build.heat)
    if build.lifetime is not None:
        data["lifetime"] = to_jsonable(build.lifetime)
    if build.bms is not None:
        data["bms"] = to_jsonable(build.bms)
    if build.as_built is not None:
        data["as_built"] = to_jsonable(build.as_built)
    if build.structure is not None:
        data["structure"] = to_jsonable(build.structure)
    if build.safety is not None:
        data["safety"] = to_jsonable(build.safety)
    if build.cad is not None:
        data["cad"] = to_jsonable(build.cad)
    if build.assembly is not None:
        data["assembly"] = to_jsonable(build.assembly)
    return dumps(data)


def pictures(build: PackBuild) -> dict[str, str]:
    """The build's pictures that follow from the stage results present: ``layout.svg``,
    ``busbars.svg``, ``currents.svg`` and ``temperatures.svg`` (the language server's preview
    shows the same files the build folder holds)."""
    pack = build.pack
    files: dict[str, str] = {}
    if build.layout is not None:
        from battgen.emit.svg import layout_svg

        files["layout.svg"] = layout_svg(build.layout, pack, build.routing)
    if build.layout is not None and build.routing is not None:
        from battgen.emit.busbars_svg import busbars_svg
        from battgen.emit.cell_maps import currents_svg, temperatures_svg

        loads = build.candidate.loads if build.candidate is not None else None
        files["busbars.svg"] = busbars_svg(build.layout, build.routing, pack, loads.peak if loads else None, build.bms)
        files["currents.svg"] = currents_svg(build.layout, build.routing, pack, loads.peak if loads else None)
        if build.heat is not None:
            picture = temperatures_svg(
                build.layout, build.routing, pack, build.heat, loads.continuous if loads else None
            )
            if picture is not None:
                files["temperatures.svg"] = picture
    return files


def render_all(build: PackBuild, diagnostics: Sequence[Diagnostic] = ()) -> dict[str, str | bytes]:
    """Every file that follows from the stage results present in ``build``; ``diagnostics``:
    the warnings to show in ``report.html``."""
    from battgen.emit.bom import bom_csv
    from battgen.emit.report_html import report_html

    bom = build.bom or ()
    files: dict[str, str | bytes] = {"design.json": design_json(build)}
    if bom:
        files["bom.csv"] = bom_csv(bom)
    files.update(pictures(build))
    if build.circuit is not None and build.routing is not None:
        from battgen.emit.netlist import liionpack_netlist

        files["pack_netlist.txt"] = liionpack_netlist(build.circuit, build.routing.network.pack_current, build.name)
    if build.assembly is not None:
        from battgen.emit.assembly_html import assembly_html, assembly_json

        files["assembly.html"] = assembly_html(build)
        files["assembly.json"] = assembly_json(build)
    if build.candidate is not None:
        names = sorted(set(files) | set(build.files) | {"report.html"})
        files["report.html"] = report_html(build, names, diagnostics, bom)
    return files
