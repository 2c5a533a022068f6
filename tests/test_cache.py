"""The stage cache (driver/cache.py): a stage whose declared inputs were seen before is not
run again, and what comes out is what a cold build makes — byte for byte, with diagnostics on
the spans of the source as it is now."""

from __future__ import annotations

import filecmp
from dataclasses import replace

import pytest
from conftest import EXAMPLES, run_battc

from battgen.driver import stages
from battgen.driver.cache import MemoryCache
from battgen.driver.pipeline import build_result

EBIKE = (EXAMPLES / "ebike.batt").read_text()


class CountingCache(MemoryCache):
    """A memory cache that remembers which stages hit."""

    def __init__(self):
        super().__init__(size=1000)
        self.log: list[tuple[str, bool]] = []
        self.names: dict[str, str] = {}

    def get(self, key):
        entry = super().get(key)
        self.log.append((self.names.get(key, "?"), entry is not None))
        return entry


def _hits(cache: CountingCache, text: str) -> dict[str, bool]:
    """Build ``text`` through ``cache``; which stages hit (stage → True)."""
    cache.log.clear()
    original = stages.stage_key

    def named(stage, build, options):
        key = original(stage, build, options)
        cache.names[key] = stage.name
        return key

    stages.stage_key = named
    try:
        result = build_result(text, None, cad=False, cache=cache)
    finally:
        stages.stage_key = original
    assert not [d for d in result.diagnostics if d.is_error], result.diagnostics
    return dict(cache.log)


def test_a_second_build_hits_every_stage_and_is_the_same():
    cache = CountingCache()
    cold = build_result(EBIKE, None, cad=False, cache=cache).packs["ebike48"]
    assert cache.hits == 0
    warm = build_result(EBIKE, None, cad=False, cache=cache).packs["ebike48"]
    built = [stage.name for stage in stages.STAGES if stage.name != "cad"]  # layout, plates ... thermal_network, safety
    assert cache.misses == cache.hits == len(built) == 11
    assert warm.placement == cold.placement and warm.routing == cold.routing and warm.heat == cold.heat
    assert warm.as_built == cold.as_built and warm.diagnostics == cold.diagnostics


# the e-bike cooled by air at 25 °C, so that an edit can change only the coolant
EBIKE_AIR = EBIKE.replace("cooling  = none", "cooling  = air(inlet = 25 degC)", 1)
EDITS = {
    "comment": ("", "# a note added above everything\n"),
    "busbar": ("copper(thickness = 0.2 mm)", "copper(thickness = 0.3 mm)"),
    "coolant": ("air(inlet = 25 degC)", "air(inlet = 30 degC)"),
    "cooling": ("cooling  = air(inlet = 25 degC)", "cooling  = none"),
    "enclosure": (
        "cooling  = air(inlet = 25 degC)",
        "cooling  = air(inlet = 25 degC)\n    enclosure = aluminium(thickness = 1 mm)",
    ),
    "energy": ("energy           >= 900 Wh", "energy           >= 800 Wh"),
}


def _edited(name: str) -> str:
    old, new = EDITS[name]
    return new + EBIKE_AIR if not old else EBIKE_AIR.replace(old, new, 1)


def test_each_edit_reruns_only_the_stages_that_read_it():
    """A comment reuses everything; `busbar` reuses layout and the plates; the coolant's inlet
    reuses layout, routing, structure and the cells' thermal network (the propagation runs again); the cooling's kind and the enclosure change the drawn walls the
    plates keep clear of, so routing runs again (on the plates as cut, when the layout is the same). What the cache serves is
    what a cold build of the edited file makes (a stage that read an input it does not declare
    would show here)."""
    cache = CountingCache()
    _hits(cache, EBIKE_AIR)
    hits = {name: _hits(cache, _edited(name)) for name in EDITS}
    assert all(hits["comment"].values()), hits["comment"]
    assert hits["busbar"]["layout"] and hits["busbar"]["plates"] and not hits["busbar"]["routing"], hits["busbar"]
    assert hits["coolant"]["routing"] and not hits["coolant"]["heat"], hits["coolant"]
    assert hits["coolant"]["structure"], hits["coolant"]  # the finite-element solves do not read the coolant
    assert hits["coolant"]["thermal_network"] and not hits["coolant"]["safety"], hits["coolant"]
    # the BMS reads the heat stage's current, the BOM its flow and heat: not the temperatures
    assert hits["coolant"]["bms"] and hits["coolant"]["bom"] and not hits["coolant"]["check"], hits["coolant"]
    for name in ("cooling", "enclosure"):  # (the enclosure's mass may change synthesis's choice too)
        assert hits[name]["plates"] == hits[name]["layout"] and not hits[name]["routing"], (name, hits[name])
    for name in EDITS:
        warm = build_result(_edited(name), None, cad=False, cache=cache).packs["ebike48"]
        cold = build_result(_edited(name), None, cad=False).packs["ebike48"]
        for field in ("placement", "routing", "heat", "bom", "as_built", "structure", "safety", "diagnostics"):
            assert getattr(warm, field) == getattr(cold, field), (name, field)


def test_a_hit_after_a_line_was_added_points_at_the_moved_lines():
    """The cached diagnostics follow their declarations down when a comment line is added."""
    cache = MemoryCache()
    edited = "# a note\n# and another\n" + EBIKE
    build_result(EBIKE, None, cad=False, cache=cache)
    warm = build_result(edited, None, cad=False, cache=cache)
    cold = build_result(edited, None, cad=False)
    assert cache.hits == len([stage for stage in stages.STAGES if stage.name != "cad"])
    assert [(d.code, d.span) for d in warm.diagnostics] == [(d.code, d.span) for d in cold.diagnostics]
    assert warm.packs["ebike48"].as_built == cold.packs["ebike48"].as_built


def test_the_cli_cache_gives_the_same_bytes(tmp_path):
    """`battc` keeps the cache in OUT/.cache; a build served from it writes the same files."""
    source = tmp_path / "ebike.batt"
    source.write_text(EBIKE)
    first = run_battc(str(source), "--out", str(tmp_path / "a"), "--no-cad")
    assert first.returncode == 0, first.stderr
    assert any((tmp_path / "a" / ".cache").rglob("*.pickle"))
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / ".cache").rename(tmp_path / "b" / ".cache")
    second = run_battc(str(source), "--out", str(tmp_path / "b"), "--no-cad")
    assert second.returncode == 0, second.stderr
    compared = filecmp.dircmp(tmp_path / "a" / "ebike48", tmp_path / "b" / "ebike48")
    assert compared.left_list == compared.right_list and not compared.diff_files
    match, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "a" / "ebike48", tmp_path / "b" / "ebike48", compared.common_files, shallow=False
    )
    assert not mismatch and not errors


def test_reordering_the_module_sizes_places_the_modules_again():
    """`module_series = [7, 6]` and `[6, 7]` are the same S, P and module count but not the same
    modules: the layout's key reads the list (a hit would serve the other's modules)."""
    two = EBIKE.replace(
        "    mass             <= 6 kg           # cells alone about 3.6 kg\n", ""
    )  # two modules weigh more
    sizes = {
        order: two.replace("    modules          in 1 .. 1\n", f"    module_series = [{order}]\n")
        for order in ("7, 6", "6, 7")
    }
    cache = CountingCache()
    _hits(cache, sizes["7, 6"])
    hits = _hits(cache, sizes["6, 7"])
    assert not hits["layout"], hits
    for order, text in sizes.items():
        placement = build_result(text, None, cad=False, cache=cache).packs["ebike48"].placement
        expected = [int(k) for k in order.split(", ")]
        assert [len(m.groups) for m in placement.layout.modules] == expected


def _content(value):
    """``value`` as comparable data: geometries by their WKB, arrays by their bytes (a stage's
    result may hold both; their ``==`` is not content equality), private fields left out."""
    import dataclasses

    if hasattr(value, "wkb"):
        return value.wkb
    if hasattr(value, "tobytes"):
        return (
            (value.dtype.str, value.shape, value.tobytes()) if value.dtype != object else [_content(v) for v in value]
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # (a private field is a memo: the network's factorisation)
        return tuple((f.name, _content(getattr(value, f.name))) for f in dataclasses.fields(value) if f.name[0] != "_")
    if isinstance(value, dict):
        return tuple((repr(k), _content(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_content(v) for v in value)
    return repr(value)


# the pack's parts the stages with narrowed reads leave out, each changed so that a stage that
# read it would (in all likelihood) give another result
UNDECLARED = {
    "ambient": lambda p: replace(p, ambient=p.ambient + 10.0),
    "soc_low": lambda p: replace(p, soc_low=0.1),
    "soc_high": lambda p: replace(p, soc_high=0.9),
    "soc_floor": lambda p: replace(p, soc_floor=0.35),
    "optimise": lambda p: replace(p, optimise="volume" if p.optimise == "mass" else "mass"),
    "sizing": lambda p: replace(p, sizing="capability" if p.sizing == "loads" else "loads"),
    "discharge_rate": lambda p: replace(p, discharge_rate=2 * p.discharge_rate),
    "depth_of_discharge": lambda p: replace(p, depth_of_discharge=0.5),
    "requirements": lambda p: replace(p, requirements={}),
    "fuse": lambda p: replace(p, fuse="per_cell" if p.fuse == "none" else "none"),
    "busbar": lambda p: replace(p, busbar=replace(p.busbar, thickness=1.5 * p.busbar.thickness)),
    "cooling.inlet_temperature": lambda p: replace(p, cooling=replace(p.cooling, inlet_temperature=310.0)),
    "cooling.flow": lambda p: replace(p, cooling=replace(p.cooling, flow=2e-4)),
}


def _declares(stage, part: str) -> bool:
    """Whether ``stage`` reads the pack's ``part`` (``cooling.flow``): the pack, or a path to it."""
    reads = set(stage.reads)
    steps = f"pack.{part}".split(".")
    return any(".".join(steps[:k]) in reads for k in range(1, len(steps) + 1))


def test_a_stage_with_narrowed_reads_does_not_read_the_rest_of_the_pack():
    """For every stage that declares parts of the pack rather than the whole: change each part it
    leaves out, run it again on the same inputs, and it makes the same result (else a cache hit
    would serve a result the edit should have changed)."""
    build = build_result(EBIKE_AIR, None, cad=False).packs["ebike48"]
    options = stages.BuildOptions(cad=False)
    checked = 0
    for stage in stages.STAGES:
        if "pack" in stage.reads or stage.name == "cad":
            continue
        before = stage.run(build, options)[0]
        for part, change in UNDECLARED.items():
            if _declares(stage, part):
                continue
            after = stage.run(replace(build, pack=change(build.pack)), options)[0]
            for written in stage.writes:
                assert _content(getattr(after, written)) == _content(getattr(before, written)), (stage.name, part)
            checked += 1
    assert checked >= 30  # layout, plates, routing, heat and structure, each against the parts it leaves out


def _other(value):
    """A value of ``value``'s type that a stage reading it would (in all likelihood) notice."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):  # (an index stays one)
        return value - 1 if value > 0 else value + 1
    if isinstance(value, float):  # far enough to cross the cost model's steps (500 W, 1 kW, 3 kW)
        return value * 10 + 1000
    if isinstance(value, str):
        return value + " (changed)"
    if isinstance(value, tuple):
        return (*value, "changed")
    return 1.0 if value is None else value


def _runs_before(stage, result: str) -> bool:
    """Whether ``stage`` runs before the stage that writes ``result`` (or is it): it cannot read it."""
    order = [s.name for s in stages.STAGES]
    writer = next(s.name for s in stages.STAGES if result in s.writes)
    return order.index(stage.name) <= order.index(writer)


@pytest.mark.parametrize("cooling", ["air(inlet = 25 degC)", "cold_plate(side = bottom)"])
def test_a_stage_reading_part_of_a_result_does_not_read_the_rest(cooling):
    """For every stage that declares fields of an earlier stage's result (``heat.current``)
    rather than the whole: change each field it leaves out, run it again, and it makes the same
    result (else a cache hit would serve a result an edit upstream should have changed). Air
    and a cold plate: the BOM reads the flow and the heat of the plate's channels and pump."""
    import dataclasses

    text = EBIKE.replace("cooling  = none", f"cooling  = {cooling}", 1)
    text = text.replace("    mass             <= 6 kg           # cells alone about 3.6 kg\n", "")  # a plate weighs
    build = build_result(text, None, cad=False).packs["ebike48"]
    options = stages.BuildOptions(cad=False)
    checked = 0
    narrowed = {read.split(".")[0] for stage in stages.STAGES for read in stage.reads if "." in read}
    for stage in stages.STAGES:
        if stage.name == "cad":
            continue
        parts = [read.split(".", 1) for read in stage.reads if "." in read]
        # the results read in part, and those the stage does not declare at all (a stage that
        # read one anyway would show here too), once they exist
        for head in sorted((narrowed & stages.UPSTREAM) - set(stage.reads)):
            if _runs_before(stage, head):
                continue
            declared = {attr for h, attr in parts if h == head}
            result = getattr(build, head)
            before = stage.run(build, options)[0]
            for field in dataclasses.fields(result):
                if field.name in declared:
                    continue
                changed = replace(result, **{field.name: _other(getattr(result, field.name))})
                after = stage.run(replace(build, **{head: changed}), options)[0]
                for written in stage.writes:
                    assert _content(getattr(after, written)) == _content(getattr(before, written)), (
                        stage.name,
                        f"{head}.{field.name}",
                    )
                checked += 1
    assert checked >= 40  # the BMS and the BOM, each against the heat stage's fields they leave out
