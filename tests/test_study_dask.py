"""A study on a real Dask cluster: a `dask scheduler` and two `dask worker` processes started
here on localhost, against the same study on `battc study`'s default LocalCluster. The results
must be identical: the same table, byte for byte, and the same figures for every variant."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

from battgen.driver.study import run_study

STUDY = REPO / "tests" / "studies" / "ebike_study.batt"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    """`dask scheduler` and two `dask worker` processes (one thread each), stopped afterwards."""
    from dask.distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    dask = [sys.executable, "-m", "dask"]
    logs = [open(tmp_path / f"{name}.log", "w") for name in ("scheduler", "worker1", "worker2")]  # noqa: SIM115
    processes = [
        subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=logs[0],
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while True:  # the scheduler listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or processes[0].poll() is not None:
                    raise RuntimeError((tmp_path / "scheduler.log").read_text()) from None
                time.sleep(0.2)
        for log in logs[1:]:
            processes.append(
                subprocess.Popen(
                    [*dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=tmp_path,
                )
            )
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
        yield address
        with Client(address, timeout="10s") as client:
            client.shutdown()  # the scheduler closes its workers, then itself
    except BaseException:
        for process in processes:  # setting up failed: stop what started
            process.terminate()
        raise
    finally:
        for process in processes:
            try:
                process.wait(timeout=10)  # after the shutdown they are on their way out
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def _results(folder: Path) -> dict[str, dict]:
    """Every stored result, without the timings."""
    out = {}
    for path in sorted((folder / "results").glob("*.json")):
        data = json.loads(path.read_text())
        data.pop("seconds"), data.pop("cpu")
        out[path.stem] = data
    return out


def test_a_study_on_a_running_cluster_matches_the_local_cluster(cluster, tmp_path):
    remote = run_study(STUDY, tmp_path / "remote", scheduler=cluster)
    local = run_study(STUDY, tmp_path / "local", workers=2)
    assert remote.workers == 2 and remote.address == cluster
    assert local.workers == 2 and local.address != cluster
    assert not any(d.is_error for d in remote.diagnostics + local.diagnostics)
    assert [run.built for run in remote.runs] == [run.built for run in local.runs] == [12]
    for name in ("table.csv", "table.parquet", "pareto.csv", "summary.json", "report.html"):
        assert (tmp_path / "remote" / "ebike_grid" / name).read_bytes() == (
            tmp_path / "local" / "ebike_grid" / name
        ).read_bytes(), name
    assert _results(tmp_path / "remote") == _results(tmp_path / "local")
    assert len(_results(tmp_path / "remote")) == 12
    designs = sorted(p.name for p in (tmp_path / "remote" / "ebike_grid" / "designs").iterdir())
    assert designs == sorted(p.name for p in (tmp_path / "local" / "ebike_grid" / "designs").iterdir())
    for key in designs:
        for file in (tmp_path / "local" / "ebike_grid" / "designs" / key).iterdir():
            assert (tmp_path / "remote" / "ebike_grid" / "designs" / key / file.name).read_bytes() == file.read_bytes()
