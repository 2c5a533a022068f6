"""Shared test helpers: the repository paths and a runner for the real `battc` process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
STDLIB = REPO / "stdlib"


def run_battc(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python -m battgen ARGS` as a user would, capturing output."""
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    env.pop("BATTGEN_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "battgen", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture
def battc():
    return run_battc
