"""``battc``: the command-line door.

    battc FILE                 compile: check, synthesise, lay out, route, write build/<pack>/
    battc check FILE...        diagnostics only
    battc fmt FILE... [--check]
    battc estimate FILE [--json]
    battc study FILE           build every variant of the file's studies, write study/<study>/
    battc diff OLD NEW | FILE --rev REV   what a change to a design does to the pack
    battc lsp                  the language server over stdio
    battc import-bpx FILE      a cell from a BPX (Battery Parameter eXchange) file, as .batt

Exit codes: 0 no errors, 1 errors in the input, 2 usage error, 3 internal error (reported as
diagnostic E901, never as a traceback unless BATTGEN_DEBUG=1).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from battgen.core.diagnostics import Diagnostic

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
COMMANDS = ("check", "fmt", "estimate", "build", "study", "diff", "lsp", "import-bpx")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="battc",
        description="battgen: compile .batt battery-pack designs.",
        epilog="`battc FILE` is `battc build FILE`.",
    )
    parser.add_argument("--version", action="version", version=f"battc {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="report diagnostics only")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--format", choices=("text", "json"), default="text")

    fmt = sub.add_parser("fmt", help="format files in place (canonical style)")
    fmt.add_argument("files", nargs="+", metavar="FILE")
    fmt.add_argument("--check", action="store_true", help="do not write; exit 1 and show a diff if unformatted")

    estimate = sub.add_parser("estimate", help="synthesis and closed-form estimates (fast)")
    estimate.add_argument("file", metavar="FILE")
    estimate.add_argument("--json", action="store_true", help="print JSON")

    build = sub.add_parser("build", help="compile a design and write build/<pack>/")
    build.add_argument("file", metavar="FILE")
    build.add_argument("--out", default="build", metavar="DIR", help="where build folders go (default: build)")
    build.add_argument("--no-cad", action="store_true", help="skip the CAD stage")
    build.add_argument("--stl", action="store_true", help="also export STL")
    build.add_argument(
        "--no-cache", action="store_true", help="build every stage afresh (the stage cache is DIR/.cache)"
    )
    build.add_argument("--format", choices=("text", "json"), default="text")

    study = sub.add_parser("study", help="build every variant of a study and compare them")
    study.add_argument("file", metavar="FILE")
    study.add_argument("--study", action="append", dest="names", default=[], metavar="NAME", help="only this study")
    study.add_argument("--out", default="study", metavar="DIR", help="where results go (default: study)")
    study.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="a running Dask cluster (default: a local one)")
    study.add_argument(
        "--workers", type=int, metavar="N", help="local worker processes (default: every core; 0: in this process)"
    )
    study.add_argument("--fresh", action="store_true", help="build every variant again (ignore stored results)")
    study.add_argument("--format", choices=("text", "json"), default="text")

    diff = sub.add_parser("diff", help="what a change to a design does: two files, or a file and a git revision")
    diff.add_argument("files", nargs="+", metavar="FILE", help="OLD NEW, or FILE with --rev (git's 7 arguments too)")
    diff.add_argument("--rev", metavar="REV", help="compare FILE at this git revision with FILE as it is")
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    sub.add_parser("lsp", help="run the language server over stdio")

    bpx = sub.add_parser("import-bpx", help="write a .batt cell from a BPX (Battery Parameter eXchange) JSON file")
    bpx.add_argument("file", metavar="FILE")
    bpx.add_argument("--out", metavar="PATH", help="the .batt file to write (default: the cell's name + .batt)")
    bpx.add_argument("--name", help="the cell's name (default: from the file's name)")
    bpx.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="LINE",
        help='a property BPX lacks, as a .batt line: --set "resistance = 20 mOhm" (repeatable)',
    )
    bpx.add_argument("--replace", action="store_true", help="write over the .batt file if it is there")
    bpx.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def _version() -> str:
    from battgen import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv.insert(0, "build")
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (2)
        return int(exit_.code or 0)
    if args.command is None:
        _parser().print_help()
        return EXIT_USAGE
    try:
        if args.command == "lsp":  # the language server ends on its client's `exit`
            return _COMMANDS[args.command](args)
        with _termination_raises():
            return _COMMANDS[args.command](args)
    except BrokenPipeError:  # `battc ... | head`: the reader has what it wanted
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt:
        print("battc: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except Terminated as stop:
        print(f"battc: stopped by {signal.Signals(stop.signum).name}", file=sys.stderr)
        return 128 + stop.signum
    except Exception as error:
        if os.environ.get("BATTGEN_DEBUG"):
            raise
        from battgen.driver.pipeline import internal_error
        from battgen.emit.terminal import print_diagnostics

        print_diagnostics([internal_error(error)], {}, stream=sys.stderr)
        return EXIT_INTERNAL


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised where the program is so that it unwinds like Ctrl-C does: a
    build's staging folder and temporary files are removed on the way out (exit 128 + signal)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _termination_raises() -> Iterator[None]:
    """SIGTERM and SIGHUP raise ``Terminated`` while the command runs (main thread only; the
    previous handlers are restored after, so a caller embedding ``main`` keeps its own)."""

    def stop(signum: int, _frame) -> None:
        raise Terminated(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                number = getattr(signal, name)
                previous[number] = signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _exit_code(diagnostics: list[Diagnostic]) -> int:
    return EXIT_ERRORS if any(d.is_error for d in diagnostics) else EXIT_OK


def _missing_file(path: str) -> Diagnostic | None:
    """Why the file argument cannot be read (missing, a directory, a FIFO, a device, a name too
    long), from ``stat`` alone: nothing is opened that could block."""
    from battgen.core.reading import file_problem

    return file_problem(path, path)


def cmd_check(args) -> int:
    from battgen.core.serialize import diagnostics_json, dumps
    from battgen.driver.pipeline import estimate_result
    from battgen.emit.terminal import print_diagnostics
    from battgen.frontend.workspace import Workspace

    workspace = Workspace()
    diagnostics: list[Diagnostic] = []
    seen: set[Diagnostic] = set()  # files sharing an import report its diagnostics once
    sources: dict[str, str] = {}
    for file in args.files:
        missing = _missing_file(file)
        if missing:
            diagnostics.append(missing)
            continue
        result = estimate_result(Path(file), workspace)  # lowering and synthesis: every error they find
        for diagnostic in result.diagnostics:
            if diagnostic not in seen:
                seen.add(diagnostic)
                diagnostics.append(diagnostic)
        sources.update(result.sources)
    if args.format == "json":
        sys.stdout.write(dumps({"diagnostics": diagnostics_json(diagnostics)}))
    else:
        print_diagnostics(diagnostics, sources, stream=sys.stderr)
    return _exit_code(diagnostics)


def cmd_fmt(args) -> int:
    import difflib

    from battgen.driver.pipeline import format_file
    from battgen.emit.terminal import print_diagnostics

    status = EXIT_OK
    for file in args.files:
        outcome = format_file(Path(file), file, write=not args.check)
        if outcome.diagnostics:
            print_diagnostics(outcome.diagnostics, {file: outcome.text} if outcome.text is not None else {}, sys.stderr)
            status = EXIT_ERRORS
            continue
        if outcome.formatted is None or outcome.formatted == outcome.text:
            continue
        if args.check:
            assert outcome.text is not None
            before, after = outcome.text.splitlines(True), outcome.formatted.splitlines(True)
            sys.stdout.writelines(difflib.unified_diff(before, after, file, f"{file} (formatted)"))
            status = EXIT_ERRORS
        else:
            print(f"formatted {file}", file=sys.stderr)
    return status


def cmd_estimate(args) -> int:
    from battgen.core.serialize import dumps
    from battgen.emit.terminal import print_diagnostics

    missing = _missing_file(args.file)
    if missing:
        if args.json:
            from battgen.core.serialize import diagnostics_json

            sys.stdout.write(dumps({"packs": [], "diagnostics": diagnostics_json([missing])}))
        else:
            print_diagnostics([missing], {}, stream=sys.stderr)
        return EXIT_ERRORS
    from battgen.driver.pipeline import estimate_result

    result = estimate_result(Path(args.file))
    if args.json:
        sys.stdout.write(dumps(result.as_json()))
    else:
        from battgen.emit.terminal import print_estimate

        print_diagnostics(result.diagnostics, result.sources, stream=sys.stderr)
        print_estimate(result.lowered.design, result.syntheses)
    return _exit_code(result.diagnostics)


def cmd_build(args) -> int:
    from battgen.core.serialize import diagnostics_json, dumps
    from battgen.emit.terminal import print_diagnostics

    missing = _missing_file(args.file)
    if missing:
        print_diagnostics([missing], {}, stream=sys.stderr)
        return EXIT_ERRORS
    from battgen.driver.cache import DiskCache
    from battgen.driver.pipeline import build_result

    cache = None if args.no_cache else DiskCache(Path(args.out) / ".cache")
    result = build_result(
        Path(args.file), Path(args.out), cad=not args.no_cad, stl=args.stl, progress=True, cache=cache
    )
    if args.format == "json":
        sys.stdout.write(dumps({"outputs": result.written, "diagnostics": diagnostics_json(result.diagnostics)}))
    else:
        from battgen.emit.terminal import print_build

        print_diagnostics(result.diagnostics, result.sources, stream=sys.stderr)
        print_build(result.estimate.lowered.design, result.estimate.syntheses, result.packs, result.written)
    return _exit_code(result.diagnostics)


def cmd_import_bpx(args) -> int:
    """Write the BPX file's cell as .batt (nothing when the file is not valid BPX)."""
    from battgen.core.serialize import diagnostics_json, dumps
    from battgen.driver.importing import import_cell
    from battgen.emit.terminal import print_diagnostics

    out = Path(args.out) if args.out else None
    result, written = import_cell(Path(args.file), out, args.name, tuple(args.set), args.replace)
    if args.format == "json":
        sys.stdout.write(
            dumps({"outputs": written, "cell": result.name, "diagnostics": diagnostics_json(result.diagnostics)})
        )
    else:
        print_diagnostics(result.diagnostics, {}, stream=sys.stderr)
        for path in written:
            print(f"wrote cell `{result.name}` to {path}")
    return _exit_code(result.diagnostics)


def cmd_study(args) -> int:
    from battgen.core.serialize import diagnostics_json, dumps
    from battgen.emit.terminal import print_diagnostics

    missing = _missing_file(args.file)
    if missing:
        print_diagnostics([missing], {}, stream=sys.stderr)
        return EXIT_ERRORS
    if args.workers is not None and args.workers < 0:
        print("battc study: --workers must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    from battgen.driver.study import run_study

    result = run_study(
        Path(args.file),
        Path(args.out),
        names=args.names,
        scheduler=args.scheduler,
        workers=args.workers,
        fresh=args.fresh,
        progress=args.format == "text" and sys.stderr.isatty(),
    )
    if args.format == "json":
        outputs = [path for run in result.runs for path in run.written]
        sys.stdout.write(dumps({"outputs": outputs, "diagnostics": diagnostics_json(result.diagnostics)}))
    else:
        from battgen.emit.study import print_run

        print_diagnostics(result.diagnostics, result.lowered.sources if result.lowered else {}, stream=sys.stderr)
        for run in result.runs:
            print_run(
                run.study,
                run.rows,
                run.on_front,
                run.best,
                built=run.built,
                reused=run.reused,
                seconds=run.seconds,
                folder=str(run.folder),
                workers=result.workers,
                address=result.address,
            )
    return _exit_code(result.diagnostics)


def cmd_diff(args) -> int:
    """Two files, one file and ``--rev``, or git's seven external-diff arguments."""
    from battgen.core.serialize import diagnostics_json
    from battgen.emit.terminal import print_diagnostics

    files = args.files
    rev: str | None = args.rev
    if rev is not None and len(files) == 1:
        mode = "rev"
    elif rev is None and len(files) in (2, 7):
        mode = "git" if len(files) == 7 else "files"
    else:
        print("battc diff: give OLD NEW, or FILE --rev REV", file=sys.stderr)
        return EXIT_USAGE
    # git's form: PATH OLD-FILE OLD-HEX OLD-MODE NEW-FILE NEW-HEX NEW-MODE (/dev/null: absent)
    checked = [f for f in (files[1], files[4]) if f != "/dev/null"] if mode == "git" else files
    missing = [m for m in (_missing_file(f) for f in checked) if m is not None]
    if missing:
        print_diagnostics(missing, {}, stream=sys.stderr)
        return EXIT_ERRORS
    from battgen.driver import diff as driver

    if rev is not None:  # mode "rev": the other two forms take no --rev
        result = driver.diff_revision(Path(files[0]), rev)
    elif mode == "git":
        result = driver.diff_git(Path(files[0]), files[1], files[4])
    else:
        result = driver.diff_files(Path(files[0]), Path(files[1]))
    from battgen.emit import diff as emit

    old, new = result.old.label, result.new.label
    if args.format == "json":
        sys.stdout.write(emit.as_json(result.packs, old, new, diagnostics_json(result.diagnostics)))
    else:
        print_diagnostics(result.diagnostics, {}, stream=sys.stderr)
        render = emit.markdown if args.format == "markdown" else emit.terminal
        sys.stdout.write(render(result.packs, old, new))
    return _exit_code(result.diagnostics)


def cmd_lsp(args) -> int:
    from battgen.lsp.server import run

    run()
    return EXIT_OK


_COMMANDS = {
    "check": cmd_check,
    "fmt": cmd_fmt,
    "estimate": cmd_estimate,
    "build": cmd_build,
    "study": cmd_study,
    "diff": cmd_diff,
    "lsp": cmd_lsp,
    "import-bpx": cmd_import_bpx,
}
