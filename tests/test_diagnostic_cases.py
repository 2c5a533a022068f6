"""Every diagnostic code, from a bad-input file (tests as data, mypy style).

Each case in tests/diagnostics/ is a .batt file (or a folder whose entry is main.batt) whose
first lines say what must be reported: `# expect: CODE LINE:COLUMN ...` (or
`CODE FILE:LINE:COLUMN` for a diagnostic in another file). The set of reported errors and
warnings must equal the expected set exactly — no missing and no extra diagnostics.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from battgen.core.diagnostics import CODES
from battgen.driver.pipeline import check

CASES = Path(__file__).parent / "diagnostics"


def _cases() -> list[Path]:
    files = sorted(p for p in CASES.glob("*.batt"))
    files += sorted(p / "main.batt" for p in CASES.iterdir() if p.is_dir())
    return files


def _expected(path: Path) -> set[tuple[str, str, int, int]]:
    expected = set()
    for line in path.read_text().splitlines():
        if not line.startswith("# expect:"):
            break
        tokens = line.split(":", 1)[1].split()
        for code, where in zip(tokens[::2], tokens[1::2]):
            parts = where.split(":")
            file = path.name if len(parts) == 2 else parts[0]
            expected.add((code, file, int(parts[-2]), int(parts[-1])))
    return expected


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.parent.name if p.name == "main.batt" else p.stem)
def test_case_reports_exactly_what_it_expects(case: Path):
    result = check(case)
    reported = {(d.code, Path(d.span.file).name, d.span.line, d.span.column) for d in result.diagnostics}
    assert reported == _expected(case), [f"{d.code} {d.span} {d.message}" for d in result.diagnostics]
    for diagnostic in result.diagnostics:
        assert diagnostic.hint, f"{diagnostic.code} has no hint"
        assert diagnostic.code in CODES


# Codes a .batt file cannot trigger through `check`: found by later stages (tested in their
# own modules) or by the CLI. Each names where its test lives.
ELSEWHERE = {
    "E215": "test_hostile.py",
    "E501": "test_synthesis.py",
    "E502": "test_synthesis.py",
    "E503": "test_synthesis.py",
    "W501": "test_synthesis.py",
    "E601": "test_layout.py",
    "E602": "test_layout.py",
    "E701": "test_routing.py",
    "E702": "test_routing.py",
    "E710": "test_asbuilt.py",
    "E711": "test_asbuilt.py",
    "E712": "test_asbuilt.py",
    "I701": "test_asbuilt.py",
    "W720": "test_safety.py",
    "W721": "test_safety.py",
    "W722": "test_structure.py",
    "W723": "test_safety.py",
    "W730": "test_safety.py",
    "W731": "test_safety.py",
    "W732": "test_safety.py",
    "W733": "test_safety.py",
    "E801": "test_cli.py",
    "E802": "test_cli.py",
    "E820": "test_bpx.py",
    "W740": "test_lifetime.py",
    "W821": "test_bpx.py",
    "W822": "test_bpx.py",
    "E901": "test_cli.py",
    "W703": "test_clearance.py",
    "E252": "test_study.py",
    "E253": "test_study.py",
    "E254": "test_study.py",
    "W250": "test_study.py",
    "E850": "test_diff.py",
}


def test_every_code_has_a_case():
    covered = {code for case in _cases() for code, *_ in _expected(case)}
    tests = Path(__file__).parent
    for code in CODES:
        if code in covered:
            continue
        assert code in ELSEWHERE, f"{code} ({CODES[code]}) has no bad-input file in tests/diagnostics/"
        test_file = tests / ELSEWHERE[code]
        assert test_file.exists() and re.search(rf"\b{code}\b", test_file.read_text()), (
            f"{code} should be tested in {ELSEWHERE[code]}"
        )
