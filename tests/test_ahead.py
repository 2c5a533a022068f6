"""Stages run ahead (driver/ahead.py): the structure stage starts in a thread once routing is
done and is taken after the loop; what comes out is what the build makes without threads."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES

from battgen.driver import ahead, stages
from battgen.driver.cache import MemoryCache
from battgen.driver.pipeline import build_result

EBIKE = (EXAMPLES / "ebike.batt").read_text()


def _build(monkeypatch, threads: bool, cache=None):
    monkeypatch.setattr(ahead.os, "cpu_count", lambda: 2 if threads else 1)
    taken: list[str] = []
    original = ahead.Ahead.take

    def take(self, key):
        found = original(self, key)
        if found is not None:
            taken.extend(found[0])
        return found

    monkeypatch.setattr(ahead.Ahead, "take", take)
    return build_result(EBIKE, None, cad=False, cache=cache).packs["ebike48"], taken


@pytest.mark.parametrize("cached", [False, True])
def test_the_structure_run_ahead_is_the_structure_run_in_turn(monkeypatch, cached):
    threaded, taken = _build(monkeypatch, True, MemoryCache() if cached else None)
    assert taken == ["structure"]  # run in its thread, taken after the loop
    inline, none = _build(monkeypatch, False, MemoryCache() if cached else None)
    assert none == []
    assert threaded.structure == inline.structure
    assert threaded.diagnostics == inline.diagnostics
    assert threaded.safety == inline.safety


def test_a_cached_structure_is_not_run_ahead(monkeypatch):
    cache = MemoryCache()
    _build(monkeypatch, True, cache)
    again, taken = _build(monkeypatch, True, cache)
    assert taken == []  # the cache held it: no thread started, the hit served it
    assert again.structure is not None


def test_what_the_stage_raises_in_its_thread_is_raised_in_its_turn(monkeypatch):
    """A bug in the stage is the same internal-error diagnostic, run ahead or not."""
    from battgen.passes.structure import stage as structure

    def broken(*args, **kwargs):
        raise ValueError("a bug in the structure stage")

    monkeypatch.setattr(structure, "structure_stage", broken)
    found = {}
    for threads in (True, False):
        build, _ = _build(monkeypatch, threads)
        found[threads] = [(d.code, d.message) for d in build.diagnostics if d.is_error]
    assert found[True] == found[False] and any("a bug in the structure stage" in m for _, m in found[True])


def test_a_stage_run_ahead_reads_nothing_the_loop_makes_after_it_may_start():
    """``starts_after`` names a loop stage before which the stage's every read is made."""
    order = [s.name for s in stages.STAGES]
    written_by = {field: s.name for s in stages.STAGES for field in s.writes}
    started = [s for s in stages.STAGES if s.starts_after is not None]
    assert [s.name for s in started] == ["structure"]
    for stage in started:
        after = next(s for s in stages.STAGES if s.name == stage.starts_after)
        assert after.loop and not stage.loop
        for read in stage.reads:
            head = read.split(".")[0]
            if head in written_by:
                assert order.index(written_by[head]) <= order.index(after.name), (stage.name, read)


def test_the_runs_for_attempts_that_failed_are_kept_for_the_next_edit(monkeypatch):
    """The sedan's loop builds three architectures, two of which fail: their structures, run
    ahead, go into the cache, so the next edit of the coolant starts no thread."""
    sedan = (EXAMPLES / "sedan.batt").read_text()
    started: list[str] = []
    original = ahead.Ahead.start

    def start(self, stage, build, options, key):
        started.append(build.architecture.label)
        original(self, stage, build, options, key)

    monkeypatch.setattr(ahead.Ahead, "start", start)
    monkeypatch.setattr(ahead.os, "cpu_count", lambda: 2)
    cache = MemoryCache()
    first = build_result(sedan, None, cad=False, cache=cache).packs["sedan"]
    assert len(first.design_loop) == 3 and started == [a.label for a in first.design_loop]
    started.clear()
    edited = sedan.replace("cold_plate(side = bottom)", "cold_plate(side = bottom, inlet = 27 degC)", 1)
    again = build_result(edited, None, cad=False, cache=cache).packs["sedan"]
    assert started == [] and again.structure == first.structure
