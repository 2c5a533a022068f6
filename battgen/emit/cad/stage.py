"""The CAD stage: the pipeline's door to the CAD (``cad_stage``), with its progress bar and its
diagnostics.

``cad_stage`` builds into a temporary folder and hands back the file bytes (``CadOutput``):
the driver sets ``build.cad`` and puts them into ``build.files``. A failed STEP export is E802
(the file could not be written) or E901, a stack taller than the envelope W401. The CAD needs
no OCCT (the STEP is written as text from the plan), so no install lacks a part of it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Severity
from battgen.core.outcome import Outcome
from battgen.emit.cad.build import LARGE, _build
from battgen.emit.cad.parts import STEPS, Plan
from battgen.emit.cad.step import StepExportError
from battgen.passes.assembly import Assembly
from battgen.passes.bms import Bms
from battgen.passes.build import CadResult
from battgen.passes.heat import Heat
from battgen.passes.layout.types import Placement
from battgen.passes.routing.types import Routing


def _step_failed(pack: ir.Pack, error: StepExportError) -> Diagnostic:
    """A failed STEP export as a diagnostic: E802 when the file could not be written (disk
    full, permissions), E901 (a bug) otherwise."""
    if error.kind == "OSError":
        return Diagnostic(
            "E802",
            f"cannot write the build: pack.step: {error.message}",
            pack.span,
            "check the output folder and free space",
        )
    return Diagnostic(
        "E901",
        f"internal error: STEP export: {error.kind}: {error.message}",
        pack.span,
        "this is a bug in battgen, not in your file; please report it with the file",
    )


@dataclass(frozen=True)
class CadOutput:
    """The CAD stage's result, the bytes of the files it exported, by name, and the assembly
    procedure derived from its plan (``assembly``: its pictures are among the files)."""

    result: CadResult
    files: Mapping[str, bytes]
    assembly: Assembly | None = None


def cad_stage(
    pack: ir.Pack,
    placement: Placement,
    routing: Routing | None,
    heat: Heat | None,
    materials: Mapping[str, ir.Material],
    *,
    stl: bool = False,
    progress: bool | Callable[[str, int, int], None] = False,
    bms: Bms | None = None,
    assembly: bool = True,
    stats: dict | None = None,
) -> Outcome[CadOutput]:
    """The CAD of the placed and routed pack, its cold plate sized with the heat stage's
    coolant flow (the plate drawn is the plate analysed), the BMS stage's boards and sense lines
    on it (``bms``), and, with ``assembly``, the assembly procedure from its plan with a picture
    after each step. ``progress``: a function told of each
    step (the step under way, steps done, steps), or True for a progress bar of its own on large
    packs. ``stats``, if given, receives the STEP export's timings and, when it ran in a process
    of its own, that process's peak memory (``benchmarks/cad.py``)."""
    layout = placement.layout
    flow = (heat.coolant_flow, heat.flow_basis) if heat is not None and heat.coolant_flow else None
    show = progress is True and len(layout.cells) >= LARGE
    made: dict = {}

    def procedure(plan: Plan) -> None:  # while the STEP process runs (``_build``'s ``meanwhile``)
        from battgen.emit.cad.assembly import modules_of, pictures, plan_assembly

        made["steps"] = plan_assembly(plan, pack, bms, modules_of(plan))
        made["pictures"] = pictures(plan, made["steps"])

    def build(tick: Callable[[str], None] | None, folder: Path) -> tuple[CadResult, Plan]:
        return _build(
            pack,
            layout,
            routing,
            folder,
            stl,
            tick,
            materials,
            stats=stats,
            flow=flow,
            bms=bms,
            meanwhile=procedure if assembly else None,
        )

    with tempfile.TemporaryDirectory(prefix="battgen-cad-") as tmp:
        try:
            if callable(progress):
                tell = progress
                tell(STEPS[0], 0, len(STEPS))
                result, plan = build(lambda step: tell(_next(step), STEPS.index(step) + 1, len(STEPS)), Path(tmp))
            elif show:
                from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

                with Progress(
                    TextColumn("CAD {task.description:<12}"), BarColumn(), TimeElapsedColumn(), transient=True
                ) as bar:
                    task = bar.add_task("plan", total=len(STEPS))
                    result, plan = build(lambda step: bar.update(task, advance=1, description=_next(step)), Path(tmp))
            else:
                result, plan = build(None, Path(tmp))
        except StepExportError as error:
            return Outcome(None, (_step_failed(pack, error),))
        files = {name: (Path(tmp) / name).read_bytes() for name in result.files}
    steps = made.get("steps")
    files = {**files, **made.get("pictures", {})}
    span = pack.envelope.span if pack.envelope is not None else pack.span
    warnings = tuple(Diagnostic("W401", message, span, hint, Severity.WARNING) for message, hint in plan.warnings)
    return Outcome(CadOutput(result, files, steps), warnings)


def _next(step: str) -> str:
    """The step after ``step`` (the progress bar names the step under way)."""
    i = STEPS.index(step)
    return STEPS[i + 1] if i + 1 < len(STEPS) else "done"
