"""battgen: a compiler for electric-vehicle battery packs.

The Python door to the same pipeline as ``battc`` and the language server::

    import battgen
    result = battgen.check("pack.batt")        # diagnostics and IR; no numpy
    data = battgen.estimate("pack.batt")       # the estimate JSON as a dict
    build = battgen.compile("pack.batt", out="build")   # everything, files written

Each accepts a path or the source text itself.
"""

from __future__ import annotations

__version__ = "0.1.0"


def check(source):
    """Parse and lower: a ``Lowered`` with ``design`` (IR) and ``diagnostics``."""
    from battgen.driver.pipeline import check as _check

    return _check(source)


def estimate(source) -> dict:
    """Synthesis and closed-form estimates; the same dict as ``battc estimate --json``."""
    from battgen.driver.pipeline import estimate_result

    return estimate_result(source).as_json()


def compile(source, out="build", cad: bool = True):
    """Compile and write ``out/<pack>/``; returns the ``BuildResult``."""
    from pathlib import Path

    from battgen.driver.pipeline import build_result

    return build_result(source, Path(out), cad=cad)


__all__ = ["check", "estimate", "compile", "__version__"]
