"""The files of a build folder that come from the IR and pass results (the CAD stage adds its
own: ``pack.step``, ``pack.glb``, ``preview.png``)."""

from __future__ import annotations

from battgen.core.serialize import dumps, to_jsonable


def bill_of_materials(estimate, build):
    """The ``emit.bom`` lines of ``build``, or () when synthesis chose nothing."""
    if build.synthesis.chosen is None:
        return ()
    from battgen.driver.pipeline import stdlib_materials
    from battgen.emit.bom import bill_of_materials as bom

    design = estimate.lowered.design
    materials = {**stdlib_materials(), **design.materials}
    return bom(design.packs[build.name], build.synthesis.chosen, build.layout, build.routing, materials)


def design_json(estimate, build, bom=None) -> str:
    """``design.json``: the pack as declared and every pass result, deterministic bytes."""
    pack = estimate.lowered.design.packs[build.name]
    data = {
        "battgen": 1,
        "pack": to_jsonable(pack),
        "synthesis": estimate.pack_json(build.name),
        "bom": to_jsonable(bill_of_materials(estimate, build) if bom is None else bom),
    }
    if build.layout is not None:
        data["layout"] = to_jsonable(build.layout)
    if build.routing is not None:
        data["routing"] = to_jsonable(build.routing)
    if getattr(build, "heat", None) is not None:
        data["heat"] = to_jsonable(build.heat)
    if build.cad is not None:
        data["cad"] = to_jsonable(build.cad)
    return dumps(data)


def render_all(estimate, build, diagnostics=()) -> dict[str, str | bytes]:
    """Every file that follows from the pass results present in ``build``; ``diagnostics``: the
    warnings to show in ``report.html``."""
    from battgen.emit.bom import bom_csv
    from battgen.emit.report_html import report_html

    pack = estimate.lowered.design.packs[build.name]
    bom = bill_of_materials(estimate, build)
    files: dict[str, str | bytes] = {"design.json": design_json(estimate, build, bom)}
    if bom:
        files["bom.csv"] = bom_csv(bom)
    if build.layout is not None:
        from battgen.emit.svg import layout_svg

        files["layout.svg"] = layout_svg(build.layout, pack)
    if build.layout is not None and build.routing is not None:
        from battgen.emit.busbars_svg import busbars_svg, currents_svg

        files["busbars.svg"] = busbars_svg(build.layout, build.routing, pack)
        files["currents.svg"] = currents_svg(build.layout, build.routing, pack)
    if build.synthesis.chosen is not None:
        names = sorted(set(files) | set(build.files) | {"report.html"})
        files["report.html"] = report_html(estimate, build, names, diagnostics, bom)
    return files
