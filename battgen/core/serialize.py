"""Deterministic JSON of IR and pass results (``design.json``).

Dataclasses become objects with their fields, tuples lists, floats are rounded to ten
significant digits (so last-bit differences between platforms never change the bytes), spans
become ``"file:line:column"``; ``dumps`` writes them with sorted keys. Diagnostics for programs
(``diagnostics_json``) are the same JSON.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable

from battgen.core.diagnostics import Diagnostic, Span, sort_key


def to_jsonable(value):
    if isinstance(value, Span):
        return f"{value.file}:{value.line}:{value.column}"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.10g}") if value else 0.0
    if hasattr(value, "as_json"):
        return to_jsonable(value.as_json())
    if dataclasses.is_dataclass(value):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return to_jsonable(value.tolist())
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(data) -> str:
    """Deterministic JSON: sorted keys, fixed separators, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def diagnostics_json(diagnostics: Iterable[Diagnostic]) -> list[dict]:
    return [d.as_dict() for d in sorted(diagnostics, key=sort_key)]
