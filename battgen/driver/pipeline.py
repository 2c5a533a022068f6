"""The pipeline every door calls: parse → lower → passes → outputs.

``check`` parses and lowers; ``estimate_result`` adds synthesis per pack (milliseconds);
``build_result`` runs every stage per pack and writes ``<out>/<pack>/`` atomically: nothing is
written when any error was found, and a folder appears only when all its files were written.

The CLI (``battgen.cli``), the language server (``battgen.lsp``) and the Python API
(``battgen.check/estimate/compile``) are thin doors over these functions; no logic lives in a
door. ``check`` never loads numpy, scipy, shapely or cadquery (it must start in well under
half a second); ``estimate`` adds numpy for synthesis; ``build`` runs everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Span, raised_at, sort_key
from battgen.frontend.lower import Lowered, lower_project
from battgen.frontend.workspace import Workspace


def _source(source: str | Path) -> tuple[Path, str | None]:
    """A path, or source text (anything with a newline or a brace is text)."""
    if isinstance(source, Path):
        return source, None
    if "\n" in source or "{" in source or not source.endswith(".batt"):
        return Path.cwd() / "<input>", source
    return Path(source), None


def check(source: str | Path, workspace: Workspace | None = None, *, text: str | None = None) -> Lowered:
    """Parse and lower a project: every diagnostic, and the IR of whatever lowered."""
    path, inline = _source(source)
    if text is not None:
        inline = text
    if inline is not None:
        display = "<input>" if path.name == "<input>" else str(source)
        return lower_project(display if path.name == "<input>" else path, workspace, text=inline)
    return lower_project(path, workspace)


@lru_cache(maxsize=1)
def stdlib_materials() -> dict[str, ir.Material]:
    """Every material of ``stdlib/materials.batt`` (the prelude), by name: what a part is made of
    when the file names no material (the CAD stage, the bill of materials)."""
    from battgen.frontend.workspace import PRELUDE

    return dict(check(PRELUDE).design.materials)


def internal_error(error: BaseException, file: str = "<battgen>") -> Diagnostic:
    """A bug in battgen, reported as a diagnostic instead of a traceback."""
    where = raised_at(error)
    return Diagnostic(
        "E901",
        f"internal error: {type(error).__name__}: {error}{where}",
        Span(file, 1, 1, 1, 1),
        hint="this is a bug in battgen, not in your file; please report it with the file "
        "(set BATTGEN_DEBUG=1 for the traceback)",
    )


@dataclass
class EstimateResult:
    lowered: Lowered
    syntheses: dict  # pack name -> Synthesis
    diagnostics: list[Diagnostic]

    @property
    def sources(self) -> dict[str, str]:
        return self.lowered.sources

    def pack_json(self, name: str) -> dict:
        synthesis = self.syntheses[name]
        out = dict.fromkeys(_ESTIMATE_KEYS)
        out.update(
            {
                "name": name,
                "feasible": False,
                "binding": [],
                "evaluated": synthesis.evaluated,
                "envelope_capacity": synthesis.envelope_capacity,
                "runners_up": [],
            }
        )
        if synthesis.chosen is not None:
            out.update(synthesis.chosen.as_json())
            out["runners_up"] = [c.as_json() for c in synthesis.runners_up]
        return out

    def as_json(self) -> dict:
        from battgen.core.serialize import diagnostics_json

        return {
            "packs": [self.pack_json(name) for name in sorted(self.syntheses)],
            "diagnostics": diagnostics_json(self.diagnostics),
        }


_ESTIMATE_KEYS = (
    "name",
    "series",
    "parallel",
    "cells",
    "modules",
    "nominal_voltage_V",
    "min_voltage_V",
    "max_voltage_V",
    "energy_Wh",
    "capacity_Ah",
    "continuous_power_W",
    "peak_power_W",
    "resistance_ohm",
    "mass_kg",
    "volume_L",
    "cost_usd",
    "feasible",
    "binding",
)


def estimate_result(source, workspace: Workspace | None = None, *, text: str | None = None) -> EstimateResult:
    from battgen.passes.synthesis import synthesize

    lowered = check(source, workspace, text=text)
    diagnostics = list(lowered.diagnostics)
    syntheses = {}
    for name in sorted(lowered.design.packs):
        pack = lowered.design.packs[name]
        try:
            synthesis = synthesize(pack)
        except Exception as error:  # noqa: BLE001 - a bug must not hide the other packs
            diagnostics.append(internal_error(error, pack.span.file))
            continue
        syntheses[name] = synthesis
        diagnostics.extend(synthesis.diagnostics)
    return EstimateResult(lowered, syntheses, diagnostics)


@dataclass
class PackBuild:
    name: str
    synthesis: object
    layout: object = None
    routing: object = None
    heat: object = None
    cad: object = None
    files: dict[str, str | bytes] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # this pack's: synthesis and stages


@dataclass
class BuildResult:
    estimate: EstimateResult
    packs: dict[str, PackBuild]
    diagnostics: list[Diagnostic]
    out: Path
    written: list[str] = field(default_factory=list)

    @property
    def sources(self) -> dict[str, str]:
        return self.estimate.sources


def build_result(
    source,
    out: Path,
    *,
    cad: bool = True,
    stl: bool = False,
    progress: bool = False,
    workspace: Workspace | None = None,
) -> BuildResult:
    """Run every stage for every pack; write ``out/<pack>/`` only if nothing failed."""
    from battgen.driver.staging import StagedFolder
    from battgen.emit import files as emit_files

    estimate = estimate_result(source, workspace)
    diagnostics = list(estimate.diagnostics)
    packs: dict[str, PackBuild] = {}
    if any(d.is_error for d in diagnostics):
        return BuildResult(estimate, packs, diagnostics, out)
    for name, synthesis in sorted(estimate.syntheses.items()):
        pack = estimate.lowered.design.packs[name]
        build = PackBuild(name, synthesis)
        try:
            stage_diagnostics = _run_stages(pack, build, cad=cad, stl=stl, progress=progress)
        except Exception as error:  # noqa: BLE001
            stage_diagnostics = [internal_error(error, pack.span.file)]
        diagnostics.extend(stage_diagnostics)
        build.diagnostics = [*synthesis.diagnostics, *stage_diagnostics]
        packs[name] = build
    result = BuildResult(estimate, packs, diagnostics, out)
    if any(d.is_error for d in diagnostics):
        return result  # no partial output
    staged = []
    try:
        for name, build in sorted(packs.items()):
            folder = StagedFolder(out / name)
            staged.append(folder)
            warnings = sorted([*estimate.lowered.diagnostics, *build.diagnostics], key=sort_key)
            for file_name, data in sorted(emit_files.render_all(estimate, build, warnings).items()):
                folder.write(file_name, data)
            for file_name, data in sorted(build.files.items()):
                folder.write(file_name, data)
        for folder in staged:
            result.written.extend(str(folder.target / f) for f in folder.commit())
    except OSError as error:
        for folder in staged:
            folder.discard()
        from battgen.core.diagnostics import Span

        diagnostics.append(
            Diagnostic(
                "E802",
                f"cannot write the build: {error.strerror or error}",
                Span(str(out), 1, 1, 1, 1),
                "check the output folder and free space",
            )
        )
    return result


def _run_stages(pack, build: PackBuild, *, cad: bool, stl: bool, progress: bool) -> list[Diagnostic]:
    """The passes after synthesis; each adds its result to ``build`` and returns diagnostics."""
    from battgen.driver import stages

    return stages.run(pack, build, cad=cad, stl=stl, progress=progress)
