"""The generated docs are current (regenerate with `python docs/generate.py`)."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("generate", REPO / "docs" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_diagnostics_doc_is_current():
    assert (REPO / "docs" / "diagnostics.md").read_text() == _generator().diagnostics_md()


def test_limits_doc_is_current():
    assert (REPO / "docs" / "limits.md").read_text() == _generator().limits_md()


def test_language_doc_property_tables_are_current():
    text = (REPO / "docs" / "language.md").read_text()
    assert text == _generator().language_md(text)


def test_validation_doc_is_current():
    assert (REPO / "docs" / "validation.md").read_text() == _generator().validation_md()


def test_outputs_doc_names_every_file_section_and_field(tmp_path):
    """docs/outputs.md is written by hand; this keeps it honest: every file of a build, every
    section of design.json and every field of its heat, cad and bom sections is named there."""
    import dataclasses
    import json

    from battgen.driver.pipeline import build_result
    from battgen.emit.cad import CadResult
    from battgen.passes.routing.types import FuseLink, Gap, Isolation

    doc = (REPO / "docs" / "outputs.md").read_text()
    result = build_result(REPO / "examples" / "ebike.batt", tmp_path, cad=False)
    folder = tmp_path / "ebike48"
    for name in sorted(p.name for p in folder.iterdir()):
        assert f"`{name}`" in doc, name
    for name in ("pack.step", "pack.glb", "preview.png"):
        assert f"`{name}`" in doc, name
    design = json.loads((folder / "design.json").read_text())
    for section in [*design, "cad"]:
        assert f"| `{section}` |" in doc, section
    for field in design["heat"]:
        assert f"`{field}`" in doc, f"heat.{field}"
    for field in design["bom"][0]:
        assert f"| `{field}` |" in doc, f"bom.{field}"
    for field in [*design["as_built"], *design["as_built"]["verdicts"][0]]:
        assert f"`{field}`" in doc, f"as_built.{field}"
    for field in [*design["synthesis"]["loads"], *design["synthesis"]["loads"]["peak"], *design["design_loop"][0]]:
        assert f"`{field}`" in doc, field
    structure, safety = design["structure"], design["safety"]
    fields = [*structure, *structure["compression"], *structure["modules"][0], *structure["crush"][0]]
    fields += [*safety, *safety["propagation"], *safety["venting"], *safety["faults"]]
    for field in fields:
        assert f"`{field}`" in doc, field
    for field in dataclasses.fields(CadResult):
        assert f"`{field.name}`" in doc, f"cad.{field.name}"
    for kind in (FuseLink, Isolation, Gap):  # the ebike has no fuses: their fields from the type
        for field in dataclasses.fields(kind):
            assert f"`{field.name}`" in doc, f"routing: {kind.__name__}.{field.name}"
    life, bms = design["lifetime"], design["bms"]
    for field in [*life, *life["duty"], *life["hottest"], *bms, *bms["boards"][0], *bms["sense_lines"][0]]:
        assert f"`{field}`" in doc, field
    for field in [*bms["balancing"], *bms["high_voltage"]]:
        assert f"`{field}`" in doc, field
    from battgen.passes.assembly import Assembly, Complexity, Step

    for record in (Assembly, Complexity, Step):
        for field in dataclasses.fields(record):
            assert f"`{field.name}`" in doc, f"assembly.{field.name}"
    assert result.packs["ebike48"].heat is not None


def test_pictures_doc_is_current():
    """docs/pictures.md shows every screenshot in docs/images/ (regenerated with
    `python docs/generate.py --screenshots`), the sedan's before and after."""
    text = (REPO / "docs" / "pictures.md").read_text()
    assert text == _generator().pictures_md()
    for side in ("before", "after"):
        assert f"images/{side}/report_top.png" in text and f"images/{side}/busbars.svg.png" in text
    assert "images/after/temperatures.svg.png" in text and "images/after/report_plots.png" in text
