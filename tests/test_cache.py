"""The stage cache (driver/cache.py): a stage whose declared inputs were seen before is not
run again, and what comes out is what a cold build makes — byte for byte, with diagnostics on
the spans of the source as it is now."""

from __future__ import annotations

import filecmp

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
    built = [stage.name for stage in stages.STAGES if stage.name != "cad"]  # layout ... check, structure, safety
    assert cache.misses == cache.hits == len(built) == 9
    assert warm.placement == cold.placement and warm.routing == cold.routing and warm.heat == cold.heat
    assert warm.as_built == cold.as_built and warm.diagnostics == cold.diagnostics


EDITS = {
    "comment": ("", "# a note added above everything\n"),
    "busbar": ("copper(thickness = 0.2 mm)", "copper(thickness = 0.3 mm)"),
    "cooling": ("cooling  = none", "cooling  = air"),
    "energy": ("energy           >= 900 Wh", "energy           >= 800 Wh"),
}


def _edited(name: str) -> str:
    old, new = EDITS[name]
    return new + EBIKE if not old else EBIKE.replace(old, new)


def test_each_edit_reruns_only_the_stages_that_read_it():
    """A comment reuses everything, `busbar` reuses layout, `cooling` reuses layout and
    routing; and what the cache serves is what a cold build of the edited file makes (a stage
    that read an input it does not declare would show here)."""
    cache = CountingCache()
    _hits(cache, EBIKE)
    hits = {name: _hits(cache, _edited(name)) for name in EDITS}
    assert all(hits["comment"].values()), hits["comment"]
    assert hits["busbar"]["layout"] and not hits["busbar"]["routing"], hits["busbar"]
    assert hits["cooling"]["layout"] and hits["cooling"]["routing"] and not hits["cooling"]["heat"], hits["cooling"]
    for name in EDITS:
        warm = build_result(_edited(name), None, cad=False, cache=cache).packs["ebike48"]
        cold = build_result(_edited(name), None, cad=False).packs["ebike48"]
        for field in ("placement", "routing", "heat", "bom", "as_built", "diagnostics"):
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
