"""``battc diff`` output: the terminal, markdown (for a pull request) and JSON.

Each pack: its status, the declared changes (before → after), the results with their change
(absolute and relative), mass by part, and the as-built checks — those whose outcome or figure
changed, with a one-line count of the ones that pass unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from battgen.core import schema as sc
from battgen.core.serialize import dumps, to_jsonable
from battgen.passes.asbuilt import show
from battgen.passes.compare import Check, Delta, PackDiff


def _value(delta: Delta, value: float | None) -> str:
    if value is None:
        return "—"
    if delta.name in sc.METRICS:
        metric = sc.METRICS[delta.name]
        if metric.unit == "degC":
            return f"{value - 273.15:.1f} °C"
        if not metric.unit:
            return f"{value:,.0f}"
        scaled = value / metric.scale
        return f"{scaled:,.1f} {metric.unit}" if abs(scaled) < 1e4 else f"{scaled:,.0f} {metric.unit}"
    return f"{value:,.1f} {delta.unit}" if abs(value) >= 1 else f"{value:.3g} {delta.unit}"


def _change(delta: Delta) -> str:
    """``+2.9 kg, +0.6 %``; empty when nothing changed or a side is missing."""
    if delta.old is None or delta.new is None or math.isclose(delta.old, delta.new, rel_tol=1e-9, abs_tol=1e-12):
        return ""
    step = Delta(delta.name, None, None, delta.unit)
    difference = delta.new - delta.old
    if delta.unit == "degC":
        text = f"{difference:+.1f} K".replace("-", "−")
    else:
        text = _value(step, abs(difference))
        text = ("+" if difference > 0 else "−") + text
    if delta.old and delta.unit != "degC":
        text += f", {difference / abs(delta.old):+.1%}".replace("-", "−")
    return text


def _check_value(check: Check, value: float | None) -> str:
    return "—" if value is None else show(value, check.unit)


def _mark(passed: bool | None) -> str:
    return {True: "pass", False: "FAIL", None: ""}[passed]


def _verdict(check: Check, passed: bool | None, value: float | None) -> str:
    """``pass 348.5 V``; ``—`` where the check did not run."""
    return "—" if passed is None else f"{_mark(passed)} {_check_value(check, value)}"


def _bounds(check: Check) -> str:
    if check.bound_old and check.bound_new and check.bound_old != check.bound_new:
        return f"bound {check.bound_old} → {check.bound_new}"
    return f"bound {check.bound_new or check.bound_old}"


def _interesting(check: Check) -> bool:
    if check.passed_old != check.passed_new or check.bound_old != check.bound_new:
        return True
    if check.old is None or check.new is None:
        return True
    return not math.isclose(check.old, check.new, rel_tol=1e-6)


def terminal(diff_packs: Sequence[PackDiff], old: str, new: str) -> str:
    out = [f"battc diff: {old} → {new}", ""]
    if not diff_packs:
        out.append("no packs in either version")
    for p in diff_packs:
        out.append(f"pack {p.name}: {p.status}")
        if p.status == "unchanged":
            out.append("")
            continue
        if p.source:
            out.append("  source")
            width = max(len(c.what) for c in p.source)
            out += [f"    {c.what:<{width}}  {c.old} → {c.new}" for c in p.source]
        out.append("  results")
        rows = [("architecture", p.architecture[0] or "not built", p.architecture[1] or "not built", "")]
        rows += [(d.name, _value(d, d.old), _value(d, d.new), _change(d)) for d in p.results]
        out += _aligned(rows, "    ")
        if p.mass_by_part:
            out.append("  mass by part")
            out += _aligned([(d.name, _value(d, d.old), _value(d, d.new), _change(d)) for d in p.mass_by_part], "    ")
        changed = [c for c in p.checks if _interesting(c)]
        same = [c for c in p.checks if not _interesting(c)]
        if changed:
            out.append("  checks (as built)")
            rows = [
                (
                    c.name,
                    _verdict(c, c.passed_old, c.old),
                    _verdict(c, c.passed_new, c.new),
                    _bounds(c),
                )
                for c in changed
            ]
            out += _aligned(rows, "    ")
        if same:
            out.append(
                f"    {len(same)} other checks: {'pass' if all(c.passed_new for c in same) else 'unchanged'} in both"
            )
        for label, errors in (("before", p.errors[0]), ("after", p.errors[1])):
            for error in errors[:3]:
                out.append(f"  error {label}: {error}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _aligned(rows: Sequence[tuple[str, str, str, str]], indent: str) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return [
        f"{indent}{a:<{widths[0]}}  {b:>{widths[1]}} → {c:<{widths[2]}}  {d}".rstrip()
        if d
        else f"{indent}{a:<{widths[0]}}  {b:>{widths[1]}} → {c}".rstrip()
        for a, b, c, d in rows
    ]


def markdown(diff_packs: Sequence[PackDiff], old: str, new: str) -> str:
    out = [f"### battc diff: `{old}` → `{new}`", ""]
    for p in diff_packs:
        out += [f"#### pack `{p.name}`: {p.status}", ""]
        if p.status == "unchanged":
            continue
        if p.source:
            out += ["| declared | before | after |", "| --- | --- | --- |"]
            out += [f"| {c.what} | `{c.old}` | `{c.new}` |" for c in p.source]
            out.append("")
        out += ["| result | before | after | change |", "| --- | ---: | ---: | ---: |"]
        out.append(f"| architecture | {p.architecture[0] or 'not built'} | {p.architecture[1] or 'not built'} | |")
        out += [f"| {d.name} | {_value(d, d.old)} | {_value(d, d.new)} | {_change(d)} |" for d in p.results]
        out += [f"| mass: {d.name} | {_value(d, d.old)} | {_value(d, d.new)} | {_change(d)} |" for d in p.mass_by_part]
        out.append("")
        changed = [c for c in p.checks if _interesting(c)]
        if changed:
            out += ["| check (as built) | bound | before | after |", "| --- | --- | ---: | ---: |"]
            out += [
                f"| {c.name} | {_bounds(c)[6:].replace('`', '')} | {_verdict(c, c.passed_old, c.old)} | "
                f"{_verdict(c, c.passed_new, c.new)} |"
                for c in changed
            ]
            out.append("")
        same = len(p.checks) - len(changed)
        if same:
            out += [f"{same} other checks unchanged.", ""]
        for label, errors in (("before", p.errors[0]), ("after", p.errors[1])):
            out += [f"- error {label}: {e}" for e in errors[:3]]
    return "\n".join(out).rstrip() + "\n"


def as_json(diff_packs: Sequence[PackDiff], old: str, new: str, diagnostics: list[dict]) -> str:
    return dumps({"old": old, "new": new, "packs": to_jsonable(list(diff_packs)), "diagnostics": diagnostics})
