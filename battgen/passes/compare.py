"""What a change to a design does: two versions of a pack, compared as declared and as built.

``compare`` takes the same pack in two versions (either may be missing: added or removed)
and returns what a reviewer needs:

* the *source changes that matter*: the lowered declarations compared, not the text — the
  cell (its name, or its figures when the same name now means other figures), the envelope,
  every requirement and every design property (layout, cooling, busbar, modules, ...). A
  comment, a reformatting or a reordering changes nothing here;
* the *result deltas*: the architecture built (S×P, modules, cells), energy, mass, cost, the
  hottest cell, peak power, volume, parts and welds (the same figures as a study,
  ``passes.study.figures``), mass by part from the bill of materials;
* the *checks*: every verdict of the as-built check in either version, with its figure before
  and after and whether it passed, so a requirement that a change breaks (or fixes) shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.passes.study import figures


@dataclass(frozen=True)
class Change:
    """A declared property that differs: its name and both values as text ("—": not set)."""

    what: str
    old: str
    new: str


@dataclass(frozen=True)
class Delta:
    """A result in both versions (SI; None: not available in that version)."""

    name: str
    old: float | None
    new: float | None
    unit: str  # the display unit: "kWh", "kg", "USD", "degC", "" for counts


@dataclass(frozen=True)
class Check:
    """One as-built verdict in both versions (None: not checked in that version)."""

    name: str
    bound_old: str | None
    bound_new: str | None
    old: float | None
    new: float | None
    unit: str  # SI unit of the figures, as the verdict has it
    passed_old: bool | None
    passed_new: bool | None


@dataclass(frozen=True)
class PackDiff:
    name: str
    status: str  # changed | unchanged | added | removed
    source: tuple[Change, ...]
    architecture: tuple[str, str]  # label before and after ("" when not built)
    results: tuple[Delta, ...]
    mass_by_part: tuple[Delta, ...]
    checks: tuple[Check, ...]
    errors: tuple[tuple[str, ...], tuple[str, ...]]  # "CODE message" of the errors, before and after


# --- source -------------------------------------------------------------------------------


def _q(value: float | None, dim: u.Dim) -> str:
    if value is None:
        return "—"
    return u.format_quantity(value, dim) if dim != u.DIMENSIONLESS else f"{value:g}"


def bound_text(bound: ir.Bound | None, dim: u.Dim) -> str:
    if bound is None:
        return "—"
    if bound.low is not None and bound.high is not None:
        text = (
            f"= {_q(bound.low, dim)}"
            if bound.low == bound.high
            else f"in {_q(bound.low, dim)} .. {_q(bound.high, dim)}"
        )
    elif bound.low is not None:
        text = f">= {_q(bound.low, dim)}"
    else:
        text = f"<= {_q(bound.high, dim)}"
    return text + (f" for {_q(bound.duration, u.TIME)}" if bound.duration is not None else "")


def _cooling(c: ir.Cooling) -> str:
    if c.kind != "cold_plate":
        return c.kind
    args = [f"side = {c.side}", f"coolant = {c.coolant}"]
    if c.flow is not None:
        args.append(f"flow = {_q(c.flow, u.FLOW)}")
    if c.inlet_temperature is not None:
        args.append(f"inlet = {_q(c.inlet_temperature, u.TEMPERATURE)}")
    if c.fins is not None:
        args.append(f"fins = {_q(c.fins, u.LENGTH)}")
    return f"cold_plate({', '.join(args)})"


def _busbar(b: ir.Busbar | None) -> str:
    return "—" if b is None else f"{b.material.name}(thickness = {_q(b.thickness, u.LENGTH)})"


def _enclosure(e: ir.Enclosure | None) -> str:
    if e is None:
        return "—"
    return e.material.name + (f"(thickness = {_q(e.thickness, u.LENGTH)})" if e.thickness is not None else "")


def _envelope(e: ir.Envelope | None) -> dict[str, str]:
    if e is None:
        return {"envelope": "—"}
    x0, y0, x1, y1 = e.outline.bounds
    return {
        "envelope": e.name,
        "envelope outline": f"{e.outline.kind} {_q(x1 - x0, u.LENGTH)} × {_q(y1 - y0, u.LENGTH)} "
        f"({e.outline.area:.3g} m²)",
        "envelope height": _q(e.height, u.LENGTH),
        "envelope wall": _q(e.wall, u.LENGTH),
        "envelope keepouts": ", ".join(
            f"{k.name} {_q(k.shape.area * 1e6, u.DIMENSIONLESS)} mm² at ({_q(k.shape.origin[0], u.LENGTH)}, "
            f"{_q(k.shape.origin[1], u.LENGTH)})"
            for k in e.keepouts
        )
        or "none",
    }


# the cell's figures a reviewer compares when the cell keeps its name
_CELL_FIGURES: tuple[tuple[str, Callable[[ir.Cell], float | None], u.Dim], ...] = (
    ("nominal", lambda c: c.nominal_voltage, u.VOLTAGE),
    ("capacity", lambda c: c.capacity, u.CHARGE),
    ("mass", lambda c: c.mass, u.MASS),
    ("resistance", lambda c: c.resistance, u.RESISTANCE),
    ("discharge", lambda c: c.max_discharge_current, u.CURRENT),
    ("pulse", lambda c: c.pulse_current, u.CURRENT),
    ("cost", lambda c: c.cost, u.MONEY),
)


def _declared(pack: ir.Pack) -> dict[str, str]:
    """Everything about a pack a change can matter for, as text by name."""
    cell = pack.cell
    out = {
        "cell": f"{cell.name} ({cell.chemistry}, {cell.format.kind}, {_q(cell.capacity, u.CHARGE)}, "
        f"{_q(cell.nominal_voltage, u.VOLTAGE)})"
    }
    for name, get, dim in _CELL_FIGURES:
        out[f"cell {name}"] = _q(get(cell), dim)
    out.update(_envelope(pack.envelope))
    props = sc.PROPS["pack"]
    for name, bound in pack.requirements.items():
        out[name] = bound_text(bound, props[name].dim)
    out.update(
        {
            "series": _q(pack.series, u.DIMENSIONLESS),
            "parallel": _q(pack.parallel, u.DIMENSIONLESS),
            "modules": bound_text(pack.modules, u.DIMENSIONLESS),
            "module_series": "—" if not pack.module_series else f"[{', '.join(map(str, pack.module_series))}]",
            "strings": str(pack.strings),
            "layout": pack.layout,
            "gap": _q(pack.gap, u.LENGTH),
            "layers": str(pack.layers),
            "cooling": _cooling(pack.cooling),
            "busbar": _busbar(pack.busbar),
            "enclosure": _enclosure(pack.enclosure),
            "fuse": pack.fuse,
            "optimise": pack.optimise,
            "ambient": _q(pack.ambient, u.TEMPERATURE),
            "soc": f"{pack.soc_low:.0%} .. {pack.soc_high:.0%}",
            "soc_floor": f"{pack.soc_floor:.0%}",
            "sizing": pack.sizing,
            "discharge_rate": _q(pack.discharge_rate, u.FREQUENCY),
            "dod": f"{pack.depth_of_discharge:.0%}",
        }
    )
    return out


def source_changes(old: ir.Pack | None, new: ir.Pack | None) -> tuple[Change, ...]:
    a = _declared(old) if old is not None else {}
    b = _declared(new) if new is not None else {}
    if old is not None and new is not None and old.cell.name != new.cell.name:
        # another cell: its figures follow from its name, list the name only
        a = {k: v for k, v in a.items() if not k.startswith("cell ")}
        b = {k: v for k, v in b.items() if not k.startswith("cell ")}
    names = list(a) + [k for k in b if k not in a]
    return tuple(Change(k, a.get(k, "—"), b.get(k, "—")) for k in names if a.get(k, "—") != b.get(k, "—"))


# --- results ------------------------------------------------------------------------------

_RESULTS = ("energy", "mass", "cost", "temperature", "power", "volume", "parts", "welds")


def _figures(build) -> dict[str, float]:
    if build is None or build.placement is None:
        return {}
    return figures(build)


def _by_part(build) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in build.bom if build is not None and build.bom is not None else ():
        out[line.item] = out.get(line.item, 0.0) + line.mass_kg
    return out


def _verdicts(build) -> dict:
    if build is None or build.as_built is None:
        return {}
    return {v.name: v for v in build.as_built.verdicts}


def _label(build) -> str:
    if build is None or build.placement is None or build.candidate is None:
        return ""
    c = build.candidate
    return f"{c.label}, {c.modules} modules, {c.cells:,} cells"


def compare(name: str, old, new, old_errors: tuple[str, ...] = (), new_errors: tuple[str, ...] = ()) -> PackDiff:
    """``old`` and ``new``: the pack's ``PackBuild`` in each version, or an ``ir.Pack`` when it did
    not build, or None when the version has no such pack."""
    old_pack = getattr(old, "pack", old)
    new_pack = getattr(new, "pack", new)
    old_build = old if hasattr(old, "synthesis") else None
    new_build = new if hasattr(new, "synthesis") else None
    fa, fb = _figures(old_build), _figures(new_build)
    results = tuple(Delta(m, fa.get(m), fb.get(m), sc.METRICS[m].unit) for m in _RESULTS if m in fa or m in fb)
    pa, pb = _by_part(old_build), _by_part(new_build)
    parts = tuple(Delta(p, pa.get(p), pb.get(p), "kg") for p in list(pa) + [p for p in pb if p not in pa])
    va, vb = _verdicts(old_build), _verdicts(new_build)
    checks = []
    for key in list(va) + [k for k in vb if k not in va]:
        x, y = va.get(key), vb.get(key)
        either = x if x is not None else y
        assert either is not None
        checks.append(
            Check(
                key,
                x.bound if x else None,
                y.bound if y else None,
                x.built if x else None,
                y.built if y else None,
                either.unit,
                x.ok if x else None,
                y.ok if y else None,
            )
        )
    source = source_changes(old_pack, new_pack)
    architecture = (_label(old_build), _label(new_build))
    if old_pack is None:
        status = "added"
    elif new_pack is None:
        status = "removed"
    else:
        moved = any(not _same(d.old, d.new) for d in results) or architecture[0] != architecture[1]
        moved = moved or any(c.passed_old != c.passed_new for c in checks) or old_errors != new_errors
        status = "changed" if source or moved else "unchanged"
    return PackDiff(name, status, source, architecture, results, parts, tuple(checks), (old_errors, new_errors))


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
