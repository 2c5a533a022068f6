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

import os
from collections.abc import Collection
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from battgen.core.diagnostics import Diagnostic, Span, raised_at, sort_key
from battgen.frontend.lower import Lowered, lower_project
from battgen.frontend.workspace import Workspace

if TYPE_CHECKING:  # numpy and the models load with synthesis, not with `check`
    from battgen.driver.cache import StageCache
    from battgen.driver.stages import BuildOptions, StageReporter
    from battgen.passes.build import PackBuild
    from battgen.passes.synthesis import Synthesis


def _source(source: str | Path) -> tuple[Path, str | None]:
    """A path, or source text (anything with a newline or a brace is text)."""
    if isinstance(source, Path):
        return source, None
    if "\n" in source or "{" in source or not source.endswith(".batt"):
        return Path.cwd() / "<input>", source
    return Path(source), None


# what a pipeline reads: a path, or a source text (``_source``)
Source = str | Path


def check(source: Source, workspace: Workspace | None = None, *, text: str | None = None) -> Lowered:
    """Parse and lower a project: every diagnostic, and the IR of whatever lowered."""
    path, inline = _source(source)
    if text is not None:
        inline = text
    if inline is not None:
        display = "<input>" if path.name == "<input>" else str(source)
        return lower_project(display if path.name == "<input>" else path, workspace, text=inline)
    return lower_project(path, workspace)


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
    syntheses: dict[str, Synthesis]  # by pack name
    diagnostics: list[Diagnostic]

    @property
    def sources(self) -> dict[str, str]:
        return self.lowered.sources

    def pack_json(self, name: str) -> dict[str, Any]:
        return self.syntheses[name].as_json()

    def as_json(self) -> dict[str, Any]:
        from battgen.core.serialize import diagnostics_json

        return {
            "packs": [self.pack_json(name) for name in sorted(self.syntheses)],
            "diagnostics": diagnostics_json(self.diagnostics),
        }


def estimate_result(source: Source, workspace: Workspace | None = None, *, text: str | None = None) -> EstimateResult:
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
class BuildResult:
    estimate: EstimateResult
    packs: dict[str, PackBuild]  # by pack name: each pack's typed build
    diagnostics: list[Diagnostic]
    out: Path | None  # None: built in memory, nothing written
    written: list[str] = field(default_factory=list)

    @property
    def sources(self) -> dict[str, str]:
        return self.estimate.sources


def build_result(
    source: Source,
    out: Path | None,
    *,
    cad: bool = True,
    stl: bool = False,
    progress: bool = False,
    workspace: Workspace | None = None,
    cache: StageCache | None = None,
    text: str | None = None,
    only: Collection[str] | None = None,
    reporter: StageReporter | None = None,
) -> BuildResult:
    """Run every stage for every pack; write ``out/<pack>/`` only if nothing failed (with
    ``out=None``, nothing: the builds are in the result). ``progress``: a terminal is watching;
    every stage is shown as it runs (``emit.terminal.BuildProgress``). ``cache``: stage results
    seen before (``driver.cache``; ``battc`` passes ``<out>/.cache``, the language server a
    ``MemoryCache``). ``text``: the source's text when it is not (yet) the file's (an editor's
    unsaved buffer, a study's variant). ``only``: build only these packs (a study's variant
    builds its own). ``reporter``: told of every stage as it starts, instead of a terminal."""
    from battgen.driver import stages

    terminal = None
    if progress and reporter is None:
        from battgen.emit.terminal import BuildProgress

        reporter = terminal = BuildProgress()
    options = stages.BuildOptions(cad=cad, stl=stl, progress=progress, reporter=reporter)
    # what the stages leave alive is frozen between them (``stages.run``), all of it given back
    # to the collector when the build ends, however it ends
    with terminal if terminal is not None else nullcontext(), stages.frozen_during():
        return _build(source, out, options, workspace, cache, text, only)


def _build(
    source: Source,
    out: Path | None,
    options: BuildOptions,
    workspace: Workspace | None,
    cache: StageCache | None = None,
    text: str | None = None,
    only: Collection[str] | None = None,
) -> BuildResult:
    """``build_result``'s work, with ``options.reporter`` (if any) told of every stage."""
    import gc

    from battgen.driver import loop
    from battgen.passes.build import PackBuild

    reporter = options.reporter
    if reporter is not None:
        reporter.stage("synthesis")
    estimate = estimate_result(source, workspace, text=text)
    diagnostics = list(estimate.diagnostics)
    packs: dict[str, PackBuild] = {}
    if any(d.is_error for d in diagnostics):
        return BuildResult(estimate, packs, diagnostics, out)
    design = estimate.lowered.design
    for name, synthesis in sorted(estimate.syntheses.items()):
        if only is not None and name not in only:
            continue
        pack = design.packs[name]
        build = PackBuild(name, pack, design.all_materials, synthesis, diagnostics=synthesis.diagnostics)
        try:
            build = loop.run(build, options, cache)
        except Exception as error:  # noqa: BLE001 - a bug must not hide the other packs
            build = replace(build, diagnostics=(*build.diagnostics, internal_error(error, pack.span.file)))
        # the build's diagnostics replace its synthesis's (the loop keeps those still true of it)
        stale = {id(d) for d in synthesis.diagnostics}
        diagnostics = [d for d in diagnostics if id(d) not in stale] + list(build.diagnostics)
        packs[name] = build
    result = BuildResult(estimate, packs, diagnostics, out)
    if out is not None and not any(d.is_error for d in diagnostics):  # no partial output
        if reporter is not None:
            reporter.stage("write", str(out))
        gc.freeze()  # the builds, written from: long-lived (``stages.run``)
        _write(result)
    return result


def _write(result: BuildResult) -> None:
    """Every pack's folder, staged together in this build's own folder and swapped into place
    (``driver.staging``: whole or not at all, beside a concurrent build of the same pack, never
    over a file the user made). An OS error is E802 and nothing is written; an interrupt
    (KeyboardInterrupt, SystemExit) leaves nothing behind but the folders already swapped."""
    from battgen.core.reading import reason, shorten
    from battgen.driver.staging import NotOurs, StagedBuild
    from battgen.emit import files as emit_files

    lowered = result.estimate.lowered
    assert result.out is not None
    try:
        with StagedBuild(result.out) as staged:
            for name, build in sorted(result.packs.items()):
                warnings = sorted([*lowered.diagnostics, *build.diagnostics], key=sort_key)
                for file_name, data in sorted(emit_files.render_all(build, warnings).items()):
                    staged.write(name, file_name, data)
                for file_name, data in sorted(build.files.items()):
                    staged.write(name, file_name, data)
            result.written.extend(staged.commit())
    except NotOurs as error:
        result.diagnostics.append(
            Diagnostic(
                "E802",
                f"cannot write the build: {error.strerror}",
                Span(str(error.path), 1, 1, 1, 1),
                "move it aside, or choose another `--out`",
            )
        )
    except OSError as error:
        where = f" (`{shorten(str(error.filename))}`)" if error.filename else ""
        result.diagnostics.append(
            Diagnostic(
                "E802",
                f"cannot write the build: {reason(error)}{where}",
                Span(str(result.out), 1, 1, 1, 1),
                "check the output folder and free space",
            )
        )


@dataclass
class FormatOutcome:
    """``battc fmt`` on one file: its text (None if it could not be read), the formatted text
    (None if it has errors), what went wrong, and whether the file was rewritten."""

    text: str | None
    formatted: str | None
    diagnostics: list[Diagnostic]
    written: bool = False


def format_file(path: Path, shown: str, *, write: bool) -> FormatOutcome:
    """Format one file in place (``write``) or only say whether it is formatted.

    Nothing the user wrote is ever lost: a file with syntax errors is left alone (a line the
    parser cannot place would be dropped by the printer); the formatted text must parse to the
    same tree with the same comments, or nothing is written (E901: a formatter bug); a symbolic
    link is followed, so the file it names is formatted and the link stays a link; the file's
    permissions are kept; the new text replaces the old atomically. A file that cannot be read
    is E801, one that cannot be written E802, each with the path and the system's reason."""
    from battgen.core.atomic import write_atomic
    from battgen.core.reading import read_source, reason, shorten
    from battgen.frontend.format import format_text, keeps_meaning

    target = Path(os.path.realpath(path))
    text = read_source(target, shown)
    if isinstance(text, Diagnostic):
        return FormatOutcome(None, None, [text])
    formatted, result = format_text(text, shown)
    if formatted is None:
        return FormatOutcome(text, None, [d for d in result.diagnostics if d.is_error])
    if not keeps_meaning(result, formatted, shown):
        bug = Diagnostic(
            "E901",
            f"internal error: formatting `{shorten(shown)}` would change its meaning or drop a comment; "
            "the file was left as it was",
            Span(shown, 1, 1, 1, 1),
            hint="this is a bug in battgen, not in your file; please report it with the file",
        )
        return FormatOutcome(text, None, [bug])
    if not write or formatted == text:
        return FormatOutcome(text, formatted, [])
    try:
        write_atomic(target, formatted)
    except OSError as error:
        where = f"`{shorten(shown)}`" + (
            f" (through the link to `{shorten(str(target))}`)" if str(target) != os.path.abspath(path) else ""
        )
        return FormatOutcome(
            text,
            formatted,
            [
                Diagnostic(
                    "E802",
                    f"cannot write {where}: {reason(error)}; it was left as it was",
                    Span(shown, 1, 1, 1, 1),
                    hint="fmt writes a temporary file beside the file and renames it over it: "
                    "the folder must be writable",
                )
            ],
        )
    return FormatOutcome(text, formatted, [], written=True)
