"""What a stage returns: its typed result (None when it failed) and its diagnostics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from battgen.core.diagnostics import Diagnostic

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A stage's result. ``value`` is None when the stage found an error (then one of the
    diagnostics is an error) or had nothing to do; warnings travel beside a value."""

    value: T | None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def failed(self) -> bool:
        return any(d.is_error for d in self.diagnostics)
