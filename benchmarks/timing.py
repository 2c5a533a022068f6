"""Shared timing helper for the benchmark scripts."""

from __future__ import annotations

import time


def best_of(function, repeat: int = 5) -> float:
    """The fastest of ``repeat`` runs, seconds (the least disturbed by other load)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)
