"""The bill of materials (emit/bom.py) and report.html (emit/report_html.py), through the real
build pipeline: counts match the pass results, the mass agrees with the estimate and every line
has its cost (no remainder), the CSV matches its golden file, the page links only what was
written and names no absolute path.

Regenerate the golden file after an intended change: BATTGEN_UPDATE_GOLDEN=1 pytest tests/test_bom_report.py
"""

from __future__ import annotations

import math
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from battgen.driver.pipeline import build_result
from battgen.emit.bom import bom_csv
from battgen.models import cost, packaging
from battgen.passes.bom import BOND_WIRE_DENSITY, bill_of_materials

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden"
BUILDS = {
    "ebike48": ROOT / "examples" / "ebike.batt",  # cylindrical, copper plates, no fuses
    "sedan": ROOT / "examples" / "sedan.batt",  # cylindrical, per-cell wire bonds, 7 modules
    "nissan_leaf_24": ROOT / "examples" / "validation" / "nissan_leaf_24.batt",
}  # pouch, steel case


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each example built once (no CAD) into its own folder: (BuildResult, PackBuild, folder)."""
    out = {}
    for name, path in BUILDS.items():
        folder = tmp_path_factory.mktemp(name)
        result = build_result(path, folder, cad=False)
        assert not [d for d in result.diagnostics if d.is_error], result.diagnostics
        out[name] = (result, result.packs[name], folder / name)
    return out


def _bom(result, build):
    return bill_of_materials(
        build.pack, build.candidate, build.layout, build.routing, build.materials, build.heat, build.bms
    )


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_counts_are_the_pass_results(built, name):
    result, build, _ = built[name]
    lines = _bom(result, build)
    by_item = {}
    for line in lines:
        by_item.setdefault(line.item, []).append(line)
    chosen = build.candidate
    assert by_item["cells"][0].quantity == chosen.series * chosen.parallel == len(build.layout.cells)
    assert sum(line.quantity for line in by_item["busbars"]) == len(build.routing.busbars)
    assert sum(line.quantity for line in by_item.get("fuse links", [])) == len(build.routing.fuses)
    # routing's busbars as drawn inside the enclosure's walls (its plates may reach past them)
    drawn = sum(line.mass_kg for line in by_item["busbars"])
    assert drawn <= build.routing.busbar_mass * (1 + 1e-12) and drawn >= 0.9 * build.routing.busbar_mass


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_mass_agrees_with_the_estimate_and_every_line_is_priced(built, name):
    """The BOM weighs the model's parts for the placed pack — routed busbars for the estimate's
    allowance, drawn plate and enclosure for the estimated ones — within 1.5 % of the estimate
    (the sedan: 0.2 %) once the structure stage's end plates and bands, where it designs them
    (flat cells), stand for BatPaC's; every line has a cost, none negative, and no line is a
    remainder."""
    result, build, _ = built[name]
    lines = _bom(result, build)
    chosen = build.candidate
    mass = sum(line.mass_kg for line in lines)
    fixtures = [line for line in lines if line.basis.startswith("structure")]
    expected = chosen.mass
    if fixtures:
        model = dict(chosen.mass_parts)
        expected += sum(line.mass_kg for line in fixtures) - model["end plates"] - model["bands"]
    assert math.isclose(mass, expected, rel_tol=0.015), (mass, expected, chosen.mass)
    assert all(line.cost_usd is not None and line.cost_usd >= 0 for line in lines)
    assert not [line for line in lines if "rest" in line.item]
    items = {line.item for line in lines}
    assert {"assembly labour", "assembly equipment and building", "overhead on materials and purchased parts"} <= items
    direct = sum(line.cost_usd for line in lines if line.item != "overhead on materials and purchased parts")
    direct -= sum(line.cost_usd for line in lines if line.item.startswith("assembly"))
    overhead = next(line for line in lines if line.item == "overhead on materials and purchased parts")
    assert math.isclose(overhead.cost_usd, direct * (cost.MATERIAL_OVERHEAD - 1), rel_tol=1e-9)


def test_routed_busbars_replace_the_allowance(built):
    """The BOM's busbars are routing's, whatever the estimate allowed for them."""
    from dataclasses import replace

    result, build, _ = built["ebike48"]
    heavy = replace(build.routing, busbars=tuple(replace(b, mass_kg=b.mass_kg * 100) for b in build.routing.busbars))
    lines = bill_of_materials(build.pack, build.candidate, build.layout, heavy, build.materials, build.heat)
    busbars = sum(line.mass_kg for line in lines if line.item == "busbars")
    normal = sum(line.mass_kg for line in _bom(result, build) if line.item == "busbars")
    assert math.isclose(busbars, 100 * normal, rel_tol=1e-9)


def test_wire_bond_mass_by_hand(built):
    """A per-cell fuse wire: π/4·d²·L·ρ (aluminium bond wire), summed over the cells."""
    result, build, _ = built["sedan"]
    fuses = build.routing.fuses
    assert len(fuses) == len(build.layout.cells) and {f.kind for f in fuses} == {"wire_bond"}
    line = next(line for line in _bom(result, build) if line.item == "fuse links")
    f = fuses[0]
    assert math.isclose(
        line.mass_kg, len(fuses) * math.pi / 4 * f.diameter**2 * f.length * BOND_WIRE_DENSITY, rel_tol=1e-9
    )


def test_enclosure_lines_name_the_declared_material(built):
    """The Leaf's declared steel case: the outer skins are steel as stiff as BatPaC's (its 1 mm steel
    base stays 1 mm; the 2 mm aluminium top becomes 1.40 mm of steel); a passively cooled pack has
    no insulation."""
    result, build, _ = built["nissan_leaf_24"]
    pack = result.estimate.lowered.design.packs["nissan_leaf_24"]
    assert pack.enclosure.material.name == "steel"
    by_item = {line.item: line for line in _bom(result, build)}
    top = packaging.equal_stiffness_thickness(pack.enclosure.material.modulus)
    assert by_item["enclosure lid"].part == f"enclosure lid: {top * 1e3:.1f} mm steel"
    assert by_item["enclosure floor"].part == "enclosure floor: 1.0 mm steel"
    assert "insulation" not in by_item["enclosure walls"].part


def test_bom_csv_matches_golden(built):
    _, _, folder = built["ebike48"]
    text = (folder / "bom.csv").read_text(encoding="utf-8")
    golden = GOLDEN / "ebike48.bom.csv"
    if os.environ.get("BATTGEN_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "item,part,quantity,mass_kg,cost_usd,basis"
    assert text.splitlines()[-1].startswith("total,")


def test_bom_csv_is_the_design_json_bom(built):
    import csv
    import json

    _, _, folder = built["nissan_leaf_24"]
    rows = list(csv.DictReader((folder / "bom.csv").open(encoding="utf-8")))[:-1]  # the total row is CSV-only
    design = json.loads((folder / "design.json").read_text(encoding="utf-8"))
    assert [r["part"] for r in rows] == [line["part"] for line in design["bom"]]
    assert [float(r["mass_kg"]) for r in rows] == pytest.approx([line["mass_kg"] for line in design["bom"]], abs=5e-4)
    assert bom_csv(()).splitlines() == ["item,part,quantity,mass_kg,cost_usd,basis", "total,,,0.000,0.00,"]


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.open: dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        self.open[tag] = self.open.get(tag, 0) + 1
        self.links.extend(v for k, v in attrs if k in ("src", "href"))

    def handle_endtag(self, tag):
        self.open[tag] = self.open.get(tag, 0) - 1


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_report_links_only_written_files_and_no_absolute_path(built, name):
    _, build, folder = built[name]
    html = (folder / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    assert page.links and all((folder / link).is_file() for link in page.links), page.links
    for tag in ("html", "body", "table", "tr", "figure", "ul", "h2"):
        assert page.open.get(tag, 0) == 0, tag  # every element closed
    assert str(folder.parent) not in html and "/tmp" not in html
    for section in ("Design", "Mass by part (estimate)", "Layout, routing, heat, CAD", "Pictures", "Bill of materials"):
        assert f"<h2>{section}</h2>" in html
    chosen = build.candidate
    assert f"{chosen.series}s{chosen.parallel}p" in html


def test_report_shows_the_warnings(built):
    """The Leaf's busbars are thickened (W401): the page says so with code, file and line."""
    result, _, folder = built["nissan_leaf_24"]
    codes = {d.code for d in result.diagnostics if not d.is_error}
    assert "W401" in codes
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<h2>Warnings</h2>" in html and "warning[W401]" in html
    assert re.search(r"\(nissan_leaf_24\.batt:\d+\)", html)
