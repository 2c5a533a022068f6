"""The generated docs are current (regenerate with `python docs/generate.py`)."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("generate", REPO / "docs" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_diagnostics_doc_is_current():
    assert (REPO / "docs" / "diagnostics.md").read_text() == _generator().diagnostics_md()


def test_language_doc_property_tables_are_current():
    text = (REPO / "docs" / "language.md").read_text()
    assert text == _generator().language_md(text)


def test_validation_doc_is_current():
    assert (REPO / "docs" / "validation.md").read_text() == _generator().validation_md()
