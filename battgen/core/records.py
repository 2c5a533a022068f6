"""Many frozen records of one kind, made without their ``__init__``.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, one call per
field: for the 7,104 placed cells and 7,104 fuse links of a large pack, a third of the layout's
and of the fuse sizing's time. ``records`` makes each as a copy of the fields ``__init__`` would
set. That is all ``__init__`` does for a dataclass of plain fields, so it is allowed for those
only: no default factory, no ``__post_init__``, no slots. A record made here is equal to,
hashes, compares and pickles like one made by ``cls(**fields)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def _plain_fields(cls: Any) -> dict[str, Any]:
    """``cls``'s fields and their defaults (MISSING: required), if ``cls`` is a dataclass whose
    ``__init__`` only sets them."""
    assert is_dataclass(cls) and not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__"), cls
    assert all(f.default_factory is MISSING and f.init for f in fields(cls)), cls
    return {f.name: f.default for f in fields(cls)}


def records(cls: type[T], rows: Iterable[Mapping[str, Any]], common: Mapping[str, Any] | None = None) -> list[T]:
    """``[cls(**common, **row) for row in rows]``, each record made as a copy of its fields."""
    known = _plain_fields(cls)
    template = dict(known)
    template.update(common or {})
    out: list[T] = []
    new, set_field = object.__new__, object.__setattr__
    for row in rows:
        state = template.copy()
        state.update(row)
        if not out:  # what ``__init__`` would refuse, checked on the first (the rest have its keys)
            unknown, missing = state.keys() - known.keys(), [n for n, v in state.items() if v is MISSING]
            if unknown or missing:
                raise TypeError(f"{cls.__name__}: unknown fields {sorted(unknown)}, missing {missing}")
        record = new(cls)
        set_field(record, "__dict__", state)
        out.append(record)
    return out
