"""Stage results cached by a hash of exactly the inputs each stage reads.

Every stage in the registry (``driver.stages``) declares what it reads: fields of the
``PackBuild`` (``"placement"``), or parts of one (``"pack.busbar"``, ``"architecture.series"``).
A stage's key is the hash of the stage's name, the code (every file of battgen, the grammar and
the standard library: a change to any of them is a new key) and a fingerprint of each input:
the key of the stage that produced it for an upstream result, the canonical JSON of the value
otherwise. So editing a comment reuses every stage, editing ``busbar`` reuses layout, editing
``cooling`` reuses routing, and a hit is the same object a cold build makes.

Fingerprints leave spans out, so a comment that adds a line (every span below it moves) still
hits; the diagnostics of a hit are then moved to the spans of the same declarations in the new
source (``respan``), so they point at the text as it is now.

``MemoryCache`` serves the language server (a bounded number of entries); ``DiskCache`` serves
``battc`` (``<out>/.cache``, bounded in bytes, least recently used evicted first).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
from collections import OrderedDict
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from battgen.core.diagnostics import Diagnostic, Span

Entry = tuple[dict[str, Any], tuple[Diagnostic, ...], dict[str, Span]]  # written fields, diagnostics, pack spans


class StageCache(Protocol):
    def get(self, key: str) -> Entry | None: ...
    def put(self, key: str, entry: Entry) -> None: ...
    def has(self, key: str) -> bool:  # whether ``get`` would find it (not counted as a hit or a miss)
        ...


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of battgen's sources, the grammar and the standard library."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for folder, suffix in (("battgen", ".py"), ("grammar", ".lark"), ("stdlib", ".batt")):
        for path in sorted((root / folder).rglob(f"*{suffix}")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def canonical(value: Any) -> Any:
    """``value`` as JSON-able data with every float exact (``float.hex``) and no spans: equal
    for equal inputs wherever in the source they are written."""
    if isinstance(value, Span):
        return None
    if isinstance(value, float):
        return value.hex()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return canonical(value.tolist())
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def fingerprint(value: Any) -> str:
    """The hash of ``value``'s canonical form (exact floats, no spans)."""
    return hashlib.sha256(json.dumps(canonical(value), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# fingerprints of the frozen inputs several stages of one build read (the pack, its parts, the
# materials), by object: each stage's key would otherwise walk the same pack again
_KNOWN: OrderedDict[int, tuple[Any, str]] = OrderedDict()


def frozen_fingerprint(value: Any) -> str:
    """``fingerprint(value)`` of a frozen ``value``, remembered while the object lives (it is
    held with its fingerprint, so its ``id`` is not reused)."""
    known = _KNOWN.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    digest = fingerprint(dict(value) if isinstance(value, Mapping) and not isinstance(value, dict) else value)
    _KNOWN[id(value)] = (value, digest)
    while len(_KNOWN) > 256:  # a build's pack parts, materials and architectures, a few builds back
        _KNOWN.popitem(last=False)
    return digest


def pack_spans(value: Any, path: str = "") -> dict[str, Span]:
    """Every span inside ``value`` (the pack IR), by its path: ``requirements.power.span``."""
    out: dict[str, Span] = {}
    if isinstance(value, Span):
        out[path] = value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            out.update(pack_spans(getattr(value, f.name), f"{path}.{f.name}" if path else f.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            out.update(pack_spans(item, f"{path}.{key}"))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            out.update(pack_spans(item, f"{path}.{index}"))
    return out


_SPANS: list[tuple[Any, dict[str, Span]]] = []


def spans_of(pack: Any) -> dict[str, Span]:
    """``pack_spans(pack)``, remembered for the last pack (every stage of its build asks)."""
    if _SPANS and _SPANS[0][0] is pack:
        return _SPANS[0][1]
    spans = pack_spans(pack)
    _SPANS[:] = [(pack, spans)]
    return spans


# stage results that hold no span: a hit does not walk them
_SPAN_FREE = frozenset({"Layout", "Busbar", "FuseLink", "NetworkSolution", "PlacedCell", "BomLine", "Candidate"})


def respan(value: Any, moved: dict[Span, Span]) -> Any:
    """``value`` with every span in ``moved`` replaced (the same object where none is)."""
    if type(value).__name__ in _SPAN_FREE:
        return value
    if isinstance(value, Span):
        return moved.get(value, value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            new = respan(item, moved)
            if new is not item:
                changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, tuple) and value and not isinstance(value[0], (float, int)):
        if type(value[0]).__name__ in _SPAN_FREE and type(value[-1]) is type(value[0]):
            return value  # the placed cells, busbars, fuse links: thousands of span-free records
        items = tuple(respan(item, moved) for item in value)
        return items if any(a is not b for a, b in zip(items, value)) else value
    if isinstance(value, dict) and value:
        entries = {key: respan(item, moved) for key, item in value.items()}
        return entries if any(entries[k] is not value[k] for k in value) else value
    return value


class _Seen(dict[Span, Span]):
    """An empty ``moved`` for ``respan`` that notes every span it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: set[Span] = set()

    def get(self, key: Span, default: Any = None) -> Any:
        self.spans.add(key)
        return default


def spans_in(value: Any) -> frozenset[Span]:
    """Every span ``respan`` would look at in ``value``."""
    seen = _Seen()
    respan(value, seen)
    return frozenset(seen.spans)


class MemoryCache:
    """The most recent ``size`` entries, in memory (the language server keeps one)."""

    def __init__(self, size: int = 48):
        self.size = size
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: str) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self.entries.move_to_end(key)
        return entry

    def has(self, key: str) -> bool:
        return key in self.entries

    def put(self, key: str, entry: Entry) -> None:
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


class DiskCache:
    """Entries as files under ``folder`` (``<out>/.cache``), at most ``limit`` bytes: the least
    recently used go first. A file that cannot be read or written is a miss, never an error."""

    def __init__(self, folder: Path, limit: int = 512 * 1024 * 1024):
        self.folder, self.limit = folder, limit
        self.hits = self.misses = 0

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, key: str) -> Entry | None:
        path = self._path(key)
        try:
            with open(path, "rb") as handle:
                entry: Entry = pickle.load(handle)
            os.utime(path)  # recently used
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def put(self, key: str, entry: Entry) -> None:
        from battgen.core.atomic import write_atomic

        try:
            data = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        except (TypeError, AttributeError, pickle.PicklingError):  # a result that cannot be kept: built next time
            return
        try:
            write_atomic(self._path(key), data)
            self._trim()
        except OSError:
            return

    def _trim(self) -> None:
        files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.folder.glob("*/*.pickle")]
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.limit:
                break
            path.unlink(missing_ok=True)
            total -= size
