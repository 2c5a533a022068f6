"""Builds interrupted, killed and run side by side, on real `battc` processes.

SIGINT and SIGTERM late in a build (while its staging folder is being written) must leave no
staging folder and either no build folder or a complete one; a build killed outright leaves
its staging folder, which the next build removes; two builds of the same pack into the same
`--out` both succeed and leave one complete folder; many processes committing build folders
of one pack at once (the swap protocol of driver/staging.py, without the pipeline) all succeed
and the folder left is one of theirs, whole. And a file or folder the user put where a build
goes is never moved or deleted.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO, run_battc

from battgen.driver.staging import MANIFEST, STAGE_PREFIX, StagedBuild, _host

SMALL = """
use cells.samsung.inr21700_50e

envelope box {
    outline = rect(120 mm, 90 mm)
    height  = 80 mm
}

pack brick {
    cell     = inr21700_50e
    envelope = box
    series   = 4
    parallel = 2
    cooling  = none
}
"""


def _battc(*args: str) -> subprocess.Popen:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("BATTGEN_DEBUG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "battgen", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _entries(out: Path) -> list[str]:
    """What the build folder holds besides the stage cache (``<out>/.cache``, driver/cache.py)."""
    return sorted(p.name for p in out.iterdir() if p.name != ".cache")


def _stages(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.name.startswith(STAGE_PREFIX)] if out.exists() else []


def _complete(folder: Path) -> bool:
    """A build folder whose manifest lists exactly the files in it, design.json readable."""
    manifest = json.loads((folder / MANIFEST).read_text())
    present = sorted(p.name for p in folder.iterdir() if p.name != MANIFEST)
    json.loads((folder / "design.json").read_text())
    return present == manifest["files"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_late_in_a_build_leaves_no_staging_folder(tmp_path, signum):
    source = tmp_path / "brick.batt"
    source.write_text(SMALL)
    out = tmp_path / "out"
    for _attempt in range(5):  # until the signal lands while the build stages its files
        process = _battc("build", str(source), "--no-cad", "--out", str(out))
        deadline = time.monotonic() + 120
        while process.poll() is None and not _stages(out) and time.monotonic() < deadline:
            time.sleep(0.0002)  # the build writes its staging folder last: the late part of a build
        staging = bool(_stages(out))
        process.send_signal(signum)
        _, err = process.communicate(timeout=120)
        assert process.returncode in (0, 128 + signum), err  # 0: it finished before the signal
        assert "Traceback" not in err and "E901" not in err
        assert _stages(out) == []
        if (out / "brick").exists():
            assert _complete(out / "brick")
        if staging and process.returncode:
            assert f"battc: {'interrupted' if signum == signal.SIGINT else 'stopped by SIGTERM'}" in err
            return
    pytest.fail("no build was caught while staging")


def test_a_killed_build_leaves_its_staging_folder_and_the_next_build_removes_it(tmp_path):
    source = tmp_path / "brick.batt"
    source.write_text(SMALL)
    out = tmp_path / "out"
    out.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)  # a process that has ended: its staging folder is stale
    host = _host()
    stale = out / f"{STAGE_PREFIX}{host}-{dead_pid}-deadbeef"
    (stale / "brick").mkdir(parents=True)
    (stale / "brick" / "design.json").write_text("{}")
    other_host = out / f"{STAGE_PREFIX}elsewhere-{dead_pid}-deadbeef"
    other_host.mkdir()  # another machine's build on a shared folder: not ours to judge
    run = run_battc("build", str(source), "--no-cad", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert not stale.exists() and other_host.exists()
    assert _complete(out / "brick")


def test_two_builds_of_one_pack_into_one_folder_both_succeed(tmp_path):
    source = tmp_path / "brick.batt"
    source.write_text(SMALL)
    out = tmp_path / "out"
    for _ in range(2):
        first = _battc("build", str(source), "--no-cad", "--out", str(out))
        second = _battc("build", str(source), "--no-cad", "--out", str(out))
        for process in (first, second):
            _, err = process.communicate(timeout=300)
            assert process.returncode == 0, err
        assert _stages(out) == [] and _entries(out) == ["brick"]
        assert _complete(out / "brick")


def _committer(out: str, writer: int, rounds: int, queue) -> None:
    """A process committing ``rounds`` builds of pack `p`, each file saying who wrote it."""
    try:
        for round_ in range(rounds):
            with StagedBuild(Path(out)) as staged:
                for name in ("design.json", "report.html", "layout.svg"):
                    staged.write("p", name, json.dumps({"writer": writer, "round": round_}))
                staged.commit()
        queue.put((writer, None))
    except BaseException as error:  # noqa: BLE001 - reported to the parent as the test's failure
        queue.put((writer, f"{type(error).__name__}: {error}"))


def test_many_processes_swapping_one_pack_in_all_succeed_and_leave_one_whole_build(tmp_path):
    out = tmp_path / "out"
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    writers = [context.Process(target=_committer, args=(str(out), w, 25, queue)) for w in range(4)]
    for process in writers:
        process.start()
    results = [queue.get(timeout=300) for _ in writers]
    for process in writers:
        process.join(timeout=60)
    assert [error for _, error in results] == [None] * len(writers), results
    assert _stages(out) == [] and _entries(out) == ["p"]
    folder = out / "p"
    assert _complete(folder)
    contents = {
        json.loads((folder / name).read_text())["writer"] for name in ("design.json", "report.html", "layout.svg")
    }
    assert len(contents) == 1  # every file of one build: never a mixture


def test_a_users_file_where_the_build_goes_is_left_alone(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "ebike48"
    mine.write_text("my notes, not a build\n")
    run = run_battc(str(EXAMPLES / "ebike.batt"), "--no-cad", "--out", str(out))
    assert run.returncode == 1 and "E802" in run.stderr and "is a file or a link" in run.stderr
    assert mine.read_text() == "my notes, not a build\n"
    assert _entries(out) == ["ebike48"]


def test_a_file_the_user_added_to_a_build_folder_stops_the_next_build(tmp_path):
    out = tmp_path / "out"
    first = run_battc(str(EXAMPLES / "ebike.batt"), "--no-cad", "--out", str(out))
    assert first.returncode == 0, first.stderr
    notes = out / "ebike48" / "notes.txt"
    notes.write_text("measured 47.1 V\n")
    run = run_battc(str(EXAMPLES / "ebike.batt"), "--no-cad", "--out", str(out))
    assert run.returncode == 1 and "E802" in run.stderr and "notes.txt" in run.stderr
    assert notes.read_text() == "measured 47.1 V\n" and (out / "ebike48" / "design.json").exists()
    assert _stages(out) == []


def test_a_build_folder_from_before_manifests_is_replaced(tmp_path):
    out = tmp_path / "out"
    legacy = out / "ebike48"
    legacy.mkdir(parents=True)
    for name in ("design.json", "report.html", "bom.csv", "pack.step"):
        (legacy / name).write_text("old")
    run = run_battc(str(EXAMPLES / "ebike.batt"), "--no-cad", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert _complete(legacy) and not (legacy / "pack.step").exists()
    assert _entries(out) == ["ebike48"]
