"""A bounded memory of a pure computation's results, by a key of exactly what it reads.

The language server builds the same pack again and again while one part of it changes, and a
few costly pieces inside the stages follow from inputs an edit leaves alone: the layout's site
search, the BOM's holder tiles and drawn busbars, the gap filler's plan, the structure's plate
solves and snapped outlines. ``Remembered`` keeps the last ``size`` results of one such piece,
the least recently used first out. Its key must hold every value the computation reads, so that
a hit is the computation run again, bit for bit, and its results must not be changed by whoever
reads them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
_MISSING = object()


class Remembered:
    """The last ``size`` results, by key, the most recently used last."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: dict[Hashable, Any] = {}
        # a stage run ahead in a thread (``driver.ahead``) may ask while another stage does
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """What ``compute()`` gave for ``key`` before, else ``compute()``, remembered."""
        with self._lock:
            found = self.entries.pop(key, _MISSING)
        if found is _MISSING:
            found = compute()  # (not under the lock: two threads may compute one key, alike)
        with self._lock:
            self.entries.pop(key, None)
            while len(self.entries) >= self.size:
                del self.entries[next(iter(self.entries))]  # the least recently used
            self.entries[key] = found
        return found

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()

    def __len__(self) -> int:
        return len(self.entries)
