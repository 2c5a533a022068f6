"""What a person sees: every example's report.html and SVG pictures rendered by headless Chromium.

Each example, and the published Model S 85 (7,104 cells), is built with the real driver (the
e-bike and the rack with CAD, so their reports carry the previews; the larger two without, to
keep the suite quick) and opened in Debian's
chromium through playwright, as a browser shows it. The checks are about what is on the screen,
measured by the browser: every picture is drawn (its pixels are not all white), its legend,
scale bar and axes are there, its text is at least ``MIN_TEXT_PX`` high and inside the picture,
the pack's + and − are at the same pixel in every picture of a build, each picture's caption
names the load it shows, and the report opens with the requirements table and carries its
plots as inline SVG that need no JavaScript.

Chromium comes from Debian (``tests/browser/setup.sh``, which `make test` runs; run here too
when chromium is missing, as on a fresh machine).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
MIN_TEXT_PX = 9.0  # the smallest text a person reads on a screen without zooming
SVGS = ("layout.svg", "busbars.svg", "currents.svg", "temperatures.svg")
BUILDS = {  # 52, 16, 4,704 and 7,104 cells
    "ebike.batt": ("ebike48", True),
    "lfp_storage.batt": ("rack51v", True),
    "sedan.batt": ("sedan", False),
    "validation/tesla_model_s_85.batt": ("tesla_model_s_85", False),
}
BUILDS_CAD = dict(BUILDS.values())  # pack name → built with CAD

# Measures every <text> of the document as drawn: its font size in screen pixels (the computed
# size times the scale of the element's transform to the screen) and its box on the screen.
TEXT_JS = """() => Array.from(document.querySelectorAll('text')).filter(t => t.textContent.trim()).map(t => {
  const m = t.getScreenCTM(); const r = t.getBoundingClientRect();
  const size = parseFloat(getComputedStyle(t).fontSize) * Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
  return {text: t.textContent, size: size, left: r.left, right: r.right, top: r.top, bottom: r.bottom};
})"""

# The share of an image's pixels that are not (near) white, drawn through a canvas.
INK_JS = """async (src) => {
  const img = new Image(); img.src = src; await img.decode();
  const c = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
  const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data; let ink = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) ink++;
  return {ink: ink / (d.length / 4), width: img.naturalWidth, height: img.naturalHeight};
}"""


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:  # a fresh machine: install it as `make test` would
        subprocess.run(["bash", str(REPO / "tests" / "browser" / "setup.sh")], check=True)
        path = shutil.which("chromium")
    assert path, "chromium is not installed (tests/browser/setup.sh)"
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as p:
        # file:// pages may read their sibling files (the canvas that counts an image's ink)
        chrome = p.chromium.launch(executable_path=executable, args=["--allow-file-access-from-files"])
        yield chrome
        chrome.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every example built into a folder of its own: {pack name: folder}."""
    from battgen.driver.pipeline import build_result

    out = tmp_path_factory.mktemp("pictures")
    folders = {}
    for source, (name, cad) in BUILDS.items():
        result = build_result(EXAMPLES / source, out, cad=cad)
        assert not [d for d in result.diagnostics if d.is_error]
        folders[name] = out / name
    return folders


def _size(svg: Path) -> tuple[int, int]:
    head = svg.read_text()[:600]
    width = float(re.search(r'<svg[^>]*\swidth="([\d.]+)"', head).group(1))
    height = float(re.search(r'<svg[^>]*\sheight="([\d.]+)"', head).group(1))
    return int(width + 0.99), int(height + 0.99)


def _open_svg(browser, svg: Path):
    width, height = _size(svg)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(svg.as_uri())
    return page, width, height


@pytest.mark.parametrize("pack", [name for name, _cad in BUILDS.values()])
def test_every_picture_reads_at_a_glance(browser, built, pack):
    folder = built[pack]
    terminals = {}
    for name in SVGS:
        svg = folder / name
        assert svg.exists(), name
        page, width, height = _open_svg(browser, svg)
        try:
            # drawn: a good part of the sheet is ink, the plan is not empty
            ink = page.evaluate(INK_JS, svg.as_uri())
            assert ink["width"] == width and 0.05 < ink["ink"] < 0.95, (name, ink)
            assert page.locator("#plan use").count() == len(_cells(folder)), name
            # the legend, the scale bar and the axes are on the screen, and say something
            for part in ("#legend", "#scale-bar", "#axes", "#header"):
                box = page.locator(part).bounding_box()
                assert box and box["width"] > 20 and box["height"] > 10, (name, part)
                assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width + 1, (name, part)
                assert box["y"] + box["height"] <= height + 1, (name, part)
            assert re.search(r"\d+(\.\d+)? (mm|m)$", page.locator("#scale-bar text").last.text_content())
            # every text readable and inside the picture
            for t in page.evaluate(TEXT_JS):
                assert t["size"] >= MIN_TEXT_PX, (name, t)
                assert t["left"] >= -0.5 and t["right"] <= width + 0.5, (name, t)
                assert t["top"] >= -0.5 and t["bottom"] <= height + 0.5, (name, t)
            caption = " ".join(page.locator("#header .caption").all_text_contents())
            if name != "layout.svg":
                assert re.search(r"(peak|continuous) load", caption), (name, caption)
            # + and −, as drawn
            terminals[name] = {
                sign: _centre(page.locator(f'[data-terminal="{sign}"] circle').bounding_box()) for sign in "+−"
            }
        finally:
            page.close()
    first = terminals["layout.svg"]
    assert first["+"] != first["−"]
    for name, marks in terminals.items():
        for sign in "+−":
            assert marks[sign] == pytest.approx(first[sign], abs=0.5), (name, sign)


def _cells(folder: Path) -> list:
    import json

    return json.loads((folder / "design.json").read_text())["layout"]["cells"]


def _boxes(locator) -> list[dict]:
    return [locator.nth(k).bounding_box() for k in range(locator.count())]


def _centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_zero_spread_is_one_colour_in_the_browser(browser, built):
    """The rack's 16s1p cells all carry the same current: every cell is drawn in one colour and
    the colour bar says so (the issue's uniform 280 A pack shown as a blue-to-red gradient)."""
    page, _w, _h = _open_svg(browser, built["rack51v"] / "currents.svg")
    try:
        fills = page.evaluate(
            "() => Array.from(document.querySelectorAll('#plan use')).map(u => getComputedStyle(u).fill)"
        )
        assert len(fills) == 16 and len(set(fills)) == 1
        legend = " ".join(page.locator("#legend").text_content().split())
        assert "every cell 192 A (spread 0 A): one colour" in legend
        assert page.locator("circle.worst").count() == 0  # no "most loaded" cell among equals
    finally:
        page.close()


@pytest.mark.parametrize("pack", [name for name, _cad in BUILDS.values()])
def test_the_report_reads_at_a_glance(browser, built, pack):
    folder = built[pack]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
    try:
        page.goto((folder / "report.html").as_uri())
        # the requirements table first, with the as-built margin
        first = page.locator("table").first
        heads = first.locator("th").all_text_contents()
        assert heads == ["requirement", "bound", "estimate", "as built", "margin"]
        assert page.locator("h2").first.text_content().startswith("Requirements")
        # the plots: inline SVG, drawn, readable, without JavaScript
        charts = page.locator("svg.chart")
        assert charts.count() >= 5
        titles = page.locator("svg.chart > title").all_text_contents()
        for wanted in ("voltage against state of charge", "power against state of charge", "Cell current", "Charge"):
            assert any(wanted in t for t in titles), (wanted, titles)
        assert any("temperature" in t for t in titles)
        for k in range(charts.count()):
            box = charts.nth(k).bounding_box()
            assert box["width"] >= 400 and box["height"] >= 250
            data = charts.nth(k).locator(".data")  # the lines and bars, drawn with a size
            assert data.count() >= 1 and all(b["width"] > 0 for b in _boxes(data)), titles[k]
        for t in page.evaluate(TEXT_JS):
            assert t["size"] >= MIN_TEXT_PX, t
        assert page.locator("script").count() == 0
        assert "10%–80%" in page.locator("figcaption", has_text="Charge time").text_content()
        # every picture shown, drawn, and not shrunk below readable (its 12 px text at 9 px or more)
        images = page.locator("figure img")
        names = [Path(src).name for src in page.eval_on_selector_all("figure img", "els => els.map(e => e.src)")]
        expected = set(SVGS) | ({"preview.png", "preview_top.png"} if BUILDS_CAD[pack] else set())
        assert set(names) == expected
        for k in range(images.count()):
            src = images.nth(k).get_attribute("src")
            ink = page.evaluate(INK_JS, (folder / src).as_uri())
            assert ink["width"] > 0 and ink["ink"] > 0.02, (src, ink)
            shown = images.nth(k).bounding_box()["width"]
            if src.endswith(".svg"):
                assert shown / ink["width"] >= 0.75, (src, shown)
        captions = " ".join(page.locator("figcaption").all_text_contents())
        assert "peak load" in captions and "continuous load" in captions
    finally:
        page.close()
