"""The assembly procedure (emit.cad.assembly) of the sedan and of a prismatic pack (the 16s LF280K
rack): steps in a valid order — checked on the CAD plan's own geometry, part by part: nothing
rests under a part, where they overlap, that goes in after it — the joints counted by hand, and
the pictures looked at in a real browser (headless Chromium, tests/browser/setup.sh installs
it): every picture decoded, non-empty, each step's different from the one before.

The plan is made as the CAD stage makes it (``plan_pack``, no OCP: the procedure and its
pictures come from the plan), so the sedan costs seconds, not a STEP export.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import threading
from dataclasses import replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support import build_pack

from battgen.emit.cad import assembly as asm

REPO = Path(__file__).resolve().parents[1]
TOUCH = 0.05  # mm


def _assembled(path: Path):
    from battgen.emit.cad.plan import plan_pack

    build = build_pack(path)
    heat = build.heat
    flow = (heat.coolant_flow, heat.flow_basis) if heat.coolant_flow else None
    plan = plan_pack(build.pack, build.layout, build.routing, build.materials, flow, build.bms)
    procedure = asm.plan_assembly(plan, build.pack, build.bms, asm.modules_of(plan))
    pictures = asm.pictures(plan, procedure)
    return replace(build, assembly=procedure, files=pictures), plan


@pytest.fixture(scope="module")
def sedan():
    return _assembled(REPO / "examples" / "sedan.batt")


@pytest.fixture(scope="module")
def rack():
    return _assembled(REPO / "examples" / "lfp_storage.batt")


def _parts(plan, every: int):
    """(footprint, z0, z1, step name, part name) of every prism and of every ``every``-th
    instance (cells, holder tiles, fuse links), from the plan's geometry."""
    from shapely.geometry import box

    out = []
    for p in plan.prisms:
        out.append((p.polygon, p.z0, p.z1, asm._step_of(p.kind, p.name, p, plan.stack), p.name))
    for inst in (plan.cells, *plan.holders, plan.fuses):
        if inst is None:
            continue
        dx, dy, dz = inst.extent()
        r = max(dx, dy) / 2
        for k in range(0, len(inst.names), every):
            x, y, z, _rot, axis = inst.places[k]
            height = dz if axis == "z" else max(dx, dy)
            out.append((box(x - r, y - r, x + r, y + r), z, z + height, asm.STEP_OF[inst.kind], inst.names[k]))
    return out


def _check_order(procedure, plan, every: int):
    import shapely

    order = {s.name: k for k, s in enumerate(procedure.steps)}
    parts = _parts(plan, every)
    tree = shapely.STRtree([p[0] for p in parts])
    checked = 0
    for poly, z0, _z1, step, name in parts:
        for j in tree.query(poly, predicate="intersects"):
            q_poly, _q0, q1, q_step, q_name = parts[j]
            if q1 <= z0 + TOUCH and q_poly.intersection(poly).area > 1.0:
                checked += 1
                assert order[q_step] <= order[step], f"{name} ({step}) goes in before {q_name} ({q_step}) under it"
    return checked


def test_sedan_steps_in_a_valid_order(sedan):
    build, plan = sedan
    procedure = build.assembly
    names = [s.name for s in procedure.steps]
    assert names[0] == "tray" and names[-1] == "lid"
    assert names.index("cold plate") < names.index("gap filler") < names.index("modules") < names.index("busbars")
    assert names.index("busbars") < names.index("sense lines") < names.index("bms")
    assert _check_order(procedure, plan, every=7) > 1000  # the relation was really exercised


def test_prismatic_steps_in_a_valid_order(rack):
    build, plan = rack
    names = [s.name for s in build.assembly.steps]
    assert names[0] == "tray" and names[-1] == "lid"
    assert "cold plate" not in names and "gap filler" not in names  # air-cooled: no plate to mount
    assert _check_order(build.assembly, plan, every=1) > 10


def test_joints_and_complexity_by_hand(sedan, rack):
    build, plan = sedan
    steps = {s.name: s for s in build.assembly.steps}
    cells = len(build.layout.cells)
    fuses = len(build.routing.fuses)
    # round cells: the bottom terminal welded to its busbar with the module, the top one bonded
    # to its fuse link, the link to the plate (two bonds per link)
    assert steps["modules"].joints["welds"] == cells
    assert steps["busbars"].joints.get("bonds") == 2 * fuses == 2 * cells
    assert steps["sense lines"].joints["welds"] == len(build.bms.sense_lines)
    assert steps["bms"].joints["screws"] == 4 * len(build.bms.boards)
    assert steps["bms"].joints["connectors"] == len(build.bms.boards) + 2 * (len(build.bms.boards) - 1)
    assert steps["modules"].parts["cell"] == cells
    c = build.assembly.complexity
    assert c.welds_bonds == cells + 2 * fuses + len(build.bms.sense_lines) + len(build.layout.modules) + 1
    assert c.steps == len(steps) == 9
    assert c.parts == len(plan.prisms) + sum(len(i.names) for i in (plan.cells, *plan.holders, plan.fuses) if i)
    rack_build, _ = rack
    rack_steps = {s.name: s for s in rack_build.assembly.steps}
    assert rack_steps["busbars"].joints["welds"] == 2 * 16  # flat cells: both terminals on top


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test's output clean
        pass


PROBE = """<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="page" src="assembly.html" style="width:1200px;height:900px"></iframe>
<script>
const page = document.getElementById('page');
page.onload = async () => {
  const images = Array.from(page.contentDocument.images);
  await Promise.all(images.map(im => im.complete ? null : new Promise(r => { im.onload = r; im.onerror = r; })));
  const found = images.map(im => {
    const c = document.createElement('canvas');
    c.width = im.naturalWidth; c.height = im.naturalHeight;
    let ink = 0, hash = 0;
    if (c.width) {
      const g = c.getContext('2d'); g.drawImage(im, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) ink++;
        hash = (Math.imul(hash, 31) + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) >>> 0;
      }
    }
    return {src: im.getAttribute('src'), width: im.naturalWidth, height: im.naturalHeight, ink: ink, hash: hash};
  });
  document.getElementById('out').textContent = JSON.stringify(found);
};
</script></body></html>
"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no Chromium: run tests/browser/setup.sh (make test does)")


def _look(folder: Path) -> list[dict]:
    """What a real browser shows of ``folder/assembly.html``: each picture's size, inked pixels
    and a hash of its pixels, read through a canvas on a page served over HTTP."""
    (folder / "probe.html").write_text(PROBE)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/probe.html"
        run = subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=30000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        server.shutdown()
    out = run.stdout.split('<pre id="out">', 1)[1].split("</pre>", 1)[0]
    assert out != "pending", run.stderr[-2000:]
    return json.loads(html.unescape(out))


@pytest.mark.parametrize("which", ["sedan", "rack"])
def test_the_pictures_in_a_browser(which, request, tmp_path):
    from battgen.emit.assembly_html import assembly_html

    build, _plan = request.getfixturevalue(which)
    (tmp_path / "assembly.html").write_text(assembly_html(build))
    for name, data in build.files.items():
        (tmp_path / name).write_bytes(data)
    seen = _look(tmp_path)
    assert [s["src"] for s in seen] == [s.picture for s in build.assembly.steps]
    for picture in seen:
        assert picture["width"] == asm.PICTURE[0] and picture["height"] == asm.PICTURE[1], picture
        assert picture["ink"] > 5000, picture  # the pack is drawn, not a blank page
    hashes = [s["hash"] for s in seen]
    assert all(a != b for a, b in zip(hashes, hashes[1:])), hashes  # every step changes the picture
    assert len(set(hashes)) == len(hashes)
