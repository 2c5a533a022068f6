"""Words for counts, for every report a person reads (terminal, report.html, pictures)."""

from __future__ import annotations


def plural(count: int | float, word: str, many: str | None = None) -> str:
    """``word`` for exactly one, else its plural: ``many``, or ``word`` + "s"."""
    return word if count == 1 else (many or word + "s")


def counted(count: int, word: str, many: str | None = None) -> str:
    """'1 module', '8 modules', '4,704 cells'."""
    return f"{count:,} {plural(count, word, many)}"
