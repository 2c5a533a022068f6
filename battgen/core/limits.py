"""battgen's stated limits: the largest input each stage accepts, and why.

Every limit is a named constant here, read by the stage that enforces it and named — with its
value — in the diagnostic that reports it, so a user who meets one knows which and by how much.
docs/limits.md lists each with how it is reported (generated from ``LIMITS`` below by
docs/generate.py; tests/test_hostile.py checks every constant is listed there and reported
with its value).

The figures measured on this project's 2-core development machine are stated with the date
they were taken; they explain the choice, they are not promises.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- input files ----------------------------------------------------------------------------

# A .batt file larger than this is not a design, it is a mistake (a log, a binary, a generated
# table). The language server's analysis of a 5 MB document gives its first diagnostics in
# about 2 s (benchmarks/hostile.py), so this is also what an editor can live with.
MAX_FILE_BYTES = 5_000_000

# How deep an expression may nest: each operator in a chain (`1 kg + 1 kg + …`), each call,
# list, point and sign adds a level (parentheses that only group add none). The evaluator, the formatter and the editor features walk
# expressions recursively (two Python frames a level at most): 100 levels stay far below
# Python's recursion limit of 1,000 wherever battgen runs (a thread of the language server,
# a test), and no design needs more — the deepest expression in examples/ and stdlib/ nests 4.
MAX_EXPRESSION_DEPTH = 100

# How long a chain of `use` imports may be (a imports b imports c …). Loading recurses two
# frames a file; real projects nest 2 or 3 (a pack file, a cell library, the prelude).
MAX_IMPORT_DEPTH = 64

# --- packs ----------------------------------------------------------------------------------

# Series groups: 400 × 4.2 V = 1,680 V, beyond any road-vehicle pack (800 V-class packs run
# 192-240 series groups of NMC, 250-280 of LFP). Synthesis searches S = 1 .. this.
MAX_SERIES = 400

# Cells in parallel in one pack: synthesis searches P = 1 .. this.
MAX_PARALLEL = 2000

# Cells in one pack. The largest pack in examples/validation/ (Tesla Model S 85, 96s74p) has
# 7,104; building it without CAD took 8.9 s and 223 MB on the development machine (2026-12-05),
# and a 200,000-cell pack 216 s and 2.55 GB: time and memory grow about linearly, so 20,000
# cells (2.8× the Model S) build in about half a minute and under 1 GB.
MAX_CELLS = 20_000

# Layers of cells stacked in the height that a build can join: busbars lie in one face of one
# layer (passes/routing/junctions.py reports E701 where a series path would climb layers), so
# the estimate counts the cells one layer holds and `layers` above this is a warning.
MAX_LAYERS = 1

# --- what is shown ---------------------------------------------------------------------------

# Diagnostics `battc` prints in the terminal, in file order: a file of 20,000 broken lines is
# read in under a second, but 20,000 printed errors help no one (the terminal renders them for
# minutes). The rest are counted; `--format json` lists every one.
MAX_PRINTED_DIAGNOSTICS = 200

# --- the editor -------------------------------------------------------------------------------

# .batt files the language server reads from the workspace for completion, workspace symbols
# and references (a folder of generated files must not stall the editor).
MAX_WORKSPACE_FILES = 500


@dataclass(frozen=True)
class Limit:
    name: str
    value: int
    what: str
    reported: str


# Every limit and how it is reported: the table of docs/limits.md.
LIMITS: tuple[Limit, ...] = (
    Limit(
        "MAX_FILE_BYTES",
        MAX_FILE_BYTES,
        "bytes in one .batt file",
        "E801 on the file (`x.batt` is 6,000,000 bytes; a design file is at most 5,000,000); the file is not read",
    ),
    Limit(
        "MAX_EXPRESSION_DEPTH",
        MAX_EXPRESSION_DEPTH,
        "levels of nesting in one expression (each operator in a chain, call, list, point and sign adds one)",
        "E106 on the property, which is then left out (no E205 follows for it)",
    ),
    Limit(
        "MAX_IMPORT_DEPTH",
        MAX_IMPORT_DEPTH,
        "files in one chain of `use` imports",
        "E215 on the `use` line that goes one file deeper; that file is not loaded",
    ),
    Limit("MAX_SERIES", MAX_SERIES, "series groups in a pack", "E504 on `series`; synthesis searches up to it"),
    Limit(
        "MAX_PARALLEL",
        MAX_PARALLEL,
        "cells in parallel in a pack",
        "E504 on `parallel`; synthesis searches up to it",
    ),
    Limit(
        "MAX_CELLS",
        MAX_CELLS,
        "cells in a pack",
        "E504 on `parallel` when `series` and `parallel` are fixed, else on the requirement that needs more cells",
    ),
    Limit(
        "MAX_LAYERS",
        MAX_LAYERS,
        "layers of cells a build can join",
        "W402 on `layers`; the estimate counts the cells this many layers hold",
    ),
    Limit(
        "MAX_PRINTED_DIAGNOSTICS",
        MAX_PRINTED_DIAGNOSTICS,
        "diagnostics `battc` prints in the terminal",
        "the first ones in file order, then a line counting the rest (the summary counts all); "
        "`--format json` lists them all",
    ),
    Limit(
        "MAX_WORKSPACE_FILES",
        MAX_WORKSPACE_FILES,
        ".batt files the language server reads from the workspace",
        "completion, workspace symbols and references use the first ones found; a log message says so",
    ),
)
