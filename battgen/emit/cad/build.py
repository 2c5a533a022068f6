"""The CAD build: plan, exports (GLB, preview, STL, assembly pictures, STEP) in order, and the
figures of the built pack (``CadResult``).

``build_cad`` / ``_build`` run the steps of ``parts.STEPS``: the plan (``plan``), pack.glb from
the plan (``glb``), preview.png and pack.stl (``preview``), the caller's work on the plan
(``cad_stage``'s assembly pictures), pack.step (``step``: in this process, or for packs of
``STEP_PROCESS_CELLS`` cells or more in a process of its own started before the plan, so that
its imports overlap it, writing the STEP from the pickled plan and then the previews while this
one does the rest). The figures (``_result``) come from the plan, the same in every process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from battgen.core import ir
from battgen.emit.cad.glb import _glb_triangles, glb_bytes
from battgen.emit.cad.parts import BOM_PART, KIND_OF, PLURAL, Corner, Plan, _bounds
from battgen.emit.cad.plan import plan_pack
from battgen.emit.cad.preview import _stl_bytes, write_previews
from battgen.emit.cad.step import _StepProcess, write_step
from battgen.passes.build import CadResult
from battgen.passes.layout.types import Layout
from battgen.passes.routing.types import Routing

# Cells from which the STEP export (and the previews) run in a process of its own, concurrently
# with the GLB and the assembly pictures. Set when OCCT wrote the STEP (its start then cost about
# 1.5 s: a Python, OCP's import, the document rebuilt from the plan; 494 cells, 2-core machine:
# CAD 2.8-3.8 s in one process, 3.1-3.5 s with the STEP process; at 4,416 cells it saved 2-3 s);
# the start is now a Python, numpy and shapely, and the plan's pickle, not re-measured. It
# needs a second CPU to run on: with one (``os.sched_getaffinity``) the STEP stays in process.
# (Read when a build starts: patch it here, in ``battgen.emit.cad.build``.)
STEP_PROCESS_CELLS = 500

LARGE = 500  # cells: show a progress bar above this (and draw the thin preview)


def build_cad(
    pack: ir.Pack,
    layout: Layout,
    routing: Routing | None,
    materials: Mapping[str, ir.Material],
    out_folder: Path,
    stl: bool = False,
    progress: Callable[[str], None] | None = None,
    *,
    step_process: bool | None = None,
    stats: dict | None = None,
    bms=None,
) -> CadResult:
    """Plan, model and export the pack into ``out_folder`` (``pack.step``, ``pack.glb``,
    ``preview.png``, and ``pack.stl`` if asked). ``progress(step)`` is called after each of
    ``STEPS``. ``materials``: densities by name (the design's ``all_materials``). ``step_process``:
    export the STEP in a process of its own beside the GLB and preview (default: for packs of
    ``STEP_PROCESS_CELLS`` cells or more). ``stats``, if given, receives that process's
    timings and peak memory. ``bms``: the BMS stage's design, drawn on the modules. Warnings (a
    stack taller than the envelope) are reported by ``cad_stage``; a failed STEP export raises
    ``StepExportError``."""
    result, _plan = _build(
        pack, layout, routing, Path(out_folder), stl, progress, materials, step_process, stats, bms=bms
    )
    return result


def _build(
    pack: ir.Pack,
    layout: Layout,
    routing: Routing | None,
    out: Path,
    stl: bool,
    progress: Callable[[str], None] | None,
    materials: Mapping[str, ir.Material],
    step_process: bool | None = None,
    stats: dict | None = None,
    flow: tuple[float, str] | None = None,
    bms=None,
    meanwhile: Callable[[Plan], None] | None = None,
) -> tuple[CadResult, Plan]:
    """``build_cad``'s work, returning the plan too (``cad_stage`` reports its warnings). ``flow``:
    the heat stage's coolant flow and where it came from (None: sized here, ``channels``);
    ``bms``: the BMS stage's design (its boards and sense lines are drawn); ``meanwhile``: more
    work on the plan (``cad_stage``'s assembly pictures), done while the STEP process runs."""
    tick = progress or (lambda step: None)
    if step_process is None:
        step_process = len(layout.cells) >= STEP_PROCESS_CELLS and _cpus() >= 2
    child = None
    if step_process:
        try:
            child = _StepProcess()
        except (OSError, ValueError):  # no interpreter to start (embedded Python): the STEP in process
            child = None
    try:
        plan = plan_pack(pack, layout, routing, materials, flow, bms)
        tick("plan")
        out.mkdir(parents=True, exist_ok=True)
        thin = len(plan.cells.names) >= LARGE
        if child is not None:  # the STEP and then the previews there: this process has the rest
            child.send(plan, pack.name, out / "pack.step", thin)
        glb = glb_bytes(plan, pack.name)
        (out / "pack.glb").write_bytes(glb)
        tick("GLB export")
        # The preview from the plan's prisms and prototypes, not the GLB's mesh: round edges as
        # fine as the picture needs, and the cutaway drawn from whole parts.
        previews = write_previews(plan, out, thin) if child is None else []
        if stl:
            (out / "pack.stl").write_bytes(_stl_bytes(_glb_triangles(glb)))
        del glb
        tick("preview")
        if meanwhile is not None:
            meanwhile(plan)
        tick("assembly")
        if child is not None:
            report = child.result()
            previews = report["previews"]
        else:
            report = write_step(plan, pack.name, out / "pack.step")
        if stats is not None:
            stats["step"] = report
        tick("STEP export")
    finally:
        if child is not None:
            child.stop()
    files = ["pack.step", "pack.glb", *previews] + (["pack.stl"] if stl else [])
    return _result(pack, plan, files), plan


def _cpus() -> int:
    """CPUs this process may run on (its affinity where the platform tells, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _result(pack: ir.Pack, plan: Plan, files: list[str]) -> CadResult:
    """The figures of the built pack (from the plan: the same in every process)."""
    # by the bill of materials' parts (``passes.bom``): the same names, the same solids
    mass: dict[str, float] = {"cells": len(plan.cells.names) * (plan.cells.unit_mass or 0.0)}
    for p in plan.prisms:
        key = p.part or BOM_PART.get(p.kind, PLURAL[p.kind])
        mass[key] = mass.get(key, 0.0) + p.volume_mm3 * 1e-9 * p.density
    for inst in plan.holders:
        mass["holders"] = mass.get("holders", 0.0) + len(inst.names) * inst.unit_volume_mm3 * 1e-9 * inst.density
    if plan.fuses is not None:
        mass["fuse links"] = len(plan.fuses.names) * plan.fuses.unit_volume_mm3 * 1e-9 * plan.fuses.density
    if plan.cooling.get("coolant_mass"):
        mass["coolant"] = plan.cooling["coolant_mass"]
    lo, hi = _bounds(plan)
    rb = plan.enclosure_region.bounds
    enclosure_volume = plan.enclosure_region.area * plan.height * 1e-9
    cell_volume = len(plan.cells.names) * pack.cell.format.volume
    result = CadResult(
        pack=pack.name,
        parts=_counts(plan),
        cell_shapes=1,
        bounding_box=(_metres(lo), _metres(hi)),
        enclosure_outer=((rb[2] - rb[0]) / 1e3, (rb[3] - rb[1]) / 1e3, plan.height / 1e3),
        enclosure_volume=enclosure_volume,
        cell_volume=cell_volume,
        volumetric_efficiency=cell_volume / enclosure_volume if enclosure_volume > 0 else 0.0,
        mass={k: float(v) for k, v in sorted(mass.items())},
        mass_total=float(sum(mass.values())),
        cooling={k: v for k, v in plan.cooling.items() if k != "coolant_mass"},
        stack={k: v / 1e3 for k, v in plan.stack.items()},
        files=tuple(files),
        notes=tuple(plan.notes),
    )
    return result


def _metres(corner: Corner) -> Corner:
    x, y, z = corner
    return x / 1e3, y / 1e3, z / 1e3


def _counts(plan: Plan) -> dict[str, int]:
    """Part kind → number of parts, in a fixed order (``CadResult.parts``)."""
    counts: dict[str, int] = {"cells": len(plan.cells.names)}
    plates: set[str] = set()
    for p in plan.prisms:
        counts[PLURAL[p.kind]] = counts.get(PLURAL[p.kind], 0) + 1
        if KIND_OF[p.kind] == "holders" and p.group is not None:
            plates.add(p.group)
    for inst in plan.holders:
        counts["holder_tiles"] = counts.get("holder_tiles", 0) + len(inst.names)
        plates.update(g for g in inst.groups if g is not None)
    if plates:
        counts["holders"] = len(plates)
    if plan.fuses is not None:
        counts["fuses"] = len(plan.fuses.names)
    order = [
        "cells",
        "busbars",
        "leads",
        "fuses",
        "holders",
        "holder_tiles",
        "frames",
        "end_plates",
        "bands",
        "barriers",
        "cold_plates",
        "gap_filler",
        "bms_boards",
        "sense_harnesses",
        "floor",
        "walls",
        "lid",
        "flange",
    ]
    return {k: counts[k] for k in order if counts.get(k)}
