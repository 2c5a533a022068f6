"""Random packs through the whole build (synthesis, layout, routing, heat, files; no CAD).

Every outcome must be a design or diagnostics with codes: never E901 (a bug reported as an
internal error). A sweep like this found the KeyError behind
``test_fixed_counts_the_envelope_cannot_hold_are_E502_not_a_crash``."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from battgen.driver.pipeline import build_result

PACK = """
use cells.samsung.inr21700_50e
use cells.lg.bolt57
use cells.samsung.sdi94

envelope tray {{
    outline = rect({width} mm, {depth} mm)
    height  = {height} mm
    wall    = 3 mm
}}

pack p {{
    cell     = {cell}
    envelope = tray
    series   = {series}
    parallel = {parallel}
    modules  = {modules}
    cooling  = {cooling}
    fuse     = {fuse}
}}
"""

COOLINGS = [
    "cold_plate(side = bottom)",
    "cold_plate(side = top)",
    "cold_plate(side = sides)",
    "air",
    "none",
    "cold_plate(side = bottom, fins = 1 mm)",
]


@st.composite
def packs(draw):
    cell = draw(st.sampled_from(["inr21700_50e", "bolt57", "sdi94"]))
    cooling = draw(st.sampled_from(COOLINGS if cell != "inr21700_50e" else COOLINGS[:-1]))
    series = draw(st.sampled_from([2, 4, 6, 8, 12, 14]))
    return PACK.format(
        width=draw(st.integers(150, 900)),
        depth=draw(st.integers(100, 700)),
        height=draw(st.sampled_from([90, 200, 300])),
        cell=cell,
        series=series,
        parallel=draw(st.integers(1, 6)),
        modules=draw(st.sampled_from([1, 2])) if series % 2 == 0 else 1,
        cooling=cooling,
        fuse=draw(st.sampled_from(["none", "per_cell"])) if cell == "inr21700_50e" else "none",
    )


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=packs())
def test_random_packs_build_or_say_why(tmp_path, text):
    result = build_result(text, tmp_path, cad=False)
    assert not [d for d in result.diagnostics if d.code == "E901"], [d.message for d in result.diagnostics]
    assert all(d.hint for d in result.diagnostics)
    if not any(d.is_error for d in result.diagnostics):
        written = {path.rsplit("/", 1)[-1] for path in result.written}
        assert {"design.json", "report.html", "bom.csv", "layout.svg"} <= written
        assert result.packs["p"].heat is not None
