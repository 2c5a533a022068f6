"""Cells from BPX files (frontend.bpx, ``battc import-bpx``): the bpx package's own example files
import and compile a pack; a malformed file gets diagnostics, never a traceback. The examples
come from the bpx 1.1.1 sdist (its wheel has none): the Makefile downloads it into
``.venv/sdists``; without it the fixture downloads it from PyPI (``pip download``)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import run_battc

from battgen.frontend.bpx import import_bpx

SDIST = "bpx-1.1.1.tar.gz"


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> Path:
    tarball = Path(sys.prefix) / "sdists" / SDIST
    if not tarball.exists():
        where = tmp_path_factory.mktemp("sdist")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "bpx==1.1.1",
                "-d",
                str(where),
            ],
            check=True,
            timeout=300,
        )
        tarball = where / SDIST
    out = tmp_path_factory.mktemp("bpx")
    with tarfile.open(tarball) as tar:
        members = [m for m in tar.getmembers() if "/examples/" in m.name and m.name.endswith(".json")]
        tar.extractall(out, members=members, filter="data")
    return out / "bpx-1.1.1" / "examples"


def test_the_lfp_example_imports_and_compiles_a_pack(examples, tmp_path):
    source = examples / "lfp_18650_cell_BPX.json"
    run = run_battc(
        "import-bpx",
        str(source),
        "--out",
        str(tmp_path / "lfp.batt"),
        "--set",
        "resistance = 40 mOhm",  # not in BPX: a figure a user would take from the datasheet
        "--set",
        "discharge <= 10 A",
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert "W822" in run.stderr  # bpx's own legacy-file warning, passed on
    text = (tmp_path / "lfp.batt").read_text()
    assert "format        = cylindrical(diameter = 18 mm, height = 65 mm)" in text  # "18650" in the title
    assert "chemistry     = lfp" in text
    (tmp_path / "tool.batt").write_text(
        'use "./lfp.batt"\n\npack tool {\n    cell    = lfp_18650_cell_bpx\n    voltage in 40 V .. 56 V\n'
        "    energy  >= 1 kWh\n    cooling = none\n}\n"
    )
    from battgen.driver.pipeline import build_result

    result = build_result(tmp_path / "tool.batt", None, cad=False)
    assert not [d for d in result.diagnostics if d.is_error], result.diagnostics
    cell = result.estimate.lowered.design.cells["lfp_18650_cell_bpx"]
    assert cell.capacity == pytest.approx(2.0 * 3600)  # BPX: Nominal cell capacity 2 A.h
    assert (cell.min_voltage, cell.max_voltage) == pytest.approx((2.0, 3.65))
    assert cell.mass == pytest.approx(1940 * 1.7e-5, rel=1e-3)  # density × volume
    assert cell.specific_heat == pytest.approx(999)
    assert 3.2 < cell.nominal_voltage < 3.35  # an LFP/graphite plateau
    assert len(cell.ocv) == 11 and cell.ocv[0] == pytest.approx((0.0, 2.0), abs=1e-3)
    assert cell.ocv[-1][1] == pytest.approx(3.65, abs=0.01)  # the OCPs at the stoichiometry limits ≈ cut-offs
    assert len(cell.entropic) == 11 and all(abs(slope) < 1e-3 for _soc, slope in cell.entropic)
    built = result.packs["tool"]
    assert built.lifetime.model == "Lfp_Gr_SonyMurata3Ah_Battery"  # a cylindrical LFP cell


def test_the_ocv_and_entropic_of_a_cell_are_what_the_stages_use(examples):
    from battgen.frontend.bpx import import_bpx as _import
    from battgen.models import ocv, thermal

    imported = _import(examples / "nmc_pouch_cell_BPX.json", "pouch")
    assert imported.properties["chemistry"] == "nmc111"
    from battgen.driver.pipeline import check

    lines = imported.text.replace("}\n", "").splitlines()
    lines += [
        "    format     = pouch(width = 100 mm, height = 200 mm, thickness = 10 mm)",
        "    resistance = 5 mOhm",
        "    discharge  <= 25 A",
        "}",
    ]
    cell = check("\n".join(lines) + "\n").design.cells["pouch"]
    socs, volts = zip(*cell.ocv)
    assert float(ocv.cell_ocv(cell, 0.5)) == pytest.approx(volts[socs.index(0.5)])
    socs, slopes = zip(*cell.entropic)  # the heat stage's reversible term reads the imported curve
    assert float(thermal.dudt(cell.chemistry, 0.5, cell.entropic)) == pytest.approx(slopes[socs.index(0.5)])


def test_what_bpx_lacks_is_asked_for(examples):
    result = import_bpx(examples / "nmc_pouch_cell_BPX.json")
    asked = {d.message.rsplit("`", 2)[-2] for d in result.diagnostics if d.code == "W821"}
    assert asked == {"format", "resistance", "discharge"}  # a pouch: no dimensions in BPX
    for d in result.diagnostics:
        if d.code == "W821":
            assert d.span.file.endswith("nmc_pouch_cell_BPX.json") and d.span.line > 1
            assert "add `" in d.hint
    assert "# resistance = 20 mOhm" in result.text  # a commented line to fill in


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"Header": {"BPX": 1.0,\n  "Title": "cut short"', (2, 23)),  # not JSON: where it breaks off
        ("[1, 2, 3]\n", (1, 1)),  # JSON, not BPX
        ('{"Header": {"Model": "DFN"}}\n', (1, 2)),  # no version
    ],
)
def test_malformed_files_get_diagnostics_never_a_traceback(tmp_path, text, where):
    path = tmp_path / "bad.json"
    path.write_text(text)
    run = run_battc("import-bpx", str(path), "--out", str(tmp_path / "bad.batt"))
    assert run.returncode == 1
    assert "error[E820]" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "bad.batt").exists()
    result = import_bpx(path)
    assert result.text is None
    assert (result.diagnostics[0].span.line, result.diagnostics[0].span.column) == where


def test_schema_errors_point_at_their_key(examples, tmp_path):
    good = (examples / "lfp_18650_cell_BPX.json").read_text()
    bad = good.replace('"Nominal cell capacity [A.h]": 2', '"Nominal capacity [A.h]": 2')
    path = tmp_path / "misspelt.json"
    path.write_text(bad)
    result = import_bpx(path)
    assert result.text is None
    messages = [d for d in result.diagnostics if d.code == "E820"]
    extra = next(d for d in messages if "Nominal capacity [A.h]" in d.message)
    line = bad.splitlines()[extra.span.line - 1]
    assert '"Nominal capacity [A.h]"' in line  # the span is the misspelt key's line
    missing = next(d for d in messages if "Nominal cell capacity [A.h]" in d.message)
    assert "Field required" in missing.message


def test_unreadable_file_is_E801(tmp_path):
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe\x00not utf-8")
    result = import_bpx(path)
    assert result.text is None and result.diagnostics[0].code == "E801"


def test_an_import_never_writes_over_a_users_file(examples, tmp_path):
    """A cell file that is there (hand edits, perhaps) is left as it is: E802, exit 1, unless
    --replace; a folder that cannot be written is E802 too, never a traceback."""
    source = examples / "lfp_18650_cell_BPX.json"
    mine = tmp_path / "lfp.batt"
    mine.write_text("# my cell, edited by hand\n")
    run = run_battc("import-bpx", str(source), "--out", str(mine))
    assert run.returncode == 1 and "error[E802]" in run.stderr and "Traceback" not in run.stderr
    assert mine.read_text() == "# my cell, edited by hand\n"
    run = run_battc("import-bpx", str(source), "--out", str(mine), "--replace")
    assert run.returncode == 0, run.stderr
    assert "cell lfp_18650_cell_bpx" in mine.read_text()
    (tmp_path / "a_file").write_text("")  # a file where the folder should be: the OS refuses
    run = run_battc("import-bpx", str(source), "--out", str(tmp_path / "a_file" / "x.batt"))
    assert run.returncode == 1 and "error[E802]: cannot write the cell" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
