# The two commands of the README: `make demo` and `make test`. Both create .venv when it is
# missing and install battgen with its dependencies from the package registries.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BATTC  := $(VENV)/bin/battc
LINTED := battgen tests benchmarks docs
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | cksum | cut -d' ' -f1)
# NREL BLAST-Lite (the lifetime stage's ageing models), without its declared dependencies: its
# wheel pins numpy<2, which cadquery's stack cannot live with, and pulls NREL-rex (dask, s3fs,
# ...), which battgen never calls; what its modules import is in pyproject's dependencies.
BLAST  := blast-lite==1.1.1
# The bpx sdist: its examples/ hold the BPX files tests/test_bpx.py imports (the wheel has none).
BPX_SDIST := bpx==1.1.1

.PHONY: demo test lint browser e2e bench clean

# pip shows what it fetches and installs (a first install takes a minute or so: cadquery's OCP
# is a large wheel); the progress bar is on whenever a terminal is watching.
$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || (echo "battgen needs Python 3.11 or newer" && false)
	@echo "== installing battgen and its dependencies into $(VENV) (a minute or so the first time)"
	$(PY) -m pip install --upgrade --progress-bar on pip
	$(PY) -m pip install --progress-bar on -e '.[test]'
	$(PY) -m pip install --progress-bar on --no-deps '$(BLAST)'
	$(PY) -m pip download --quiet --no-deps --no-binary :all: '$(BPX_SDIST)' -d $(VENV)/sdists
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

demo: $(STAMP)
	@for f in examples/*.batt; do echo "== battc $$f"; $(BATTC) $$f || exit 1; done
	@echo; echo "Build folders are in build/<pack>/: report.html (open it in a browser), assembly.html, bom.csv, design.json, layout.svg, busbars.svg, currents.svg, temperatures.svg, pack_netlist.txt, pack.step, pack.glb, preview.png, preview_top.png"

test: lint browser
	$(PY) -m pytest -q -p no:cacheprovider -n 2

# Debian's chromium, for the test that looks at the pictures and the report in a browser
browser:
	@bash tests/browser/setup.sh

# ruff (lint and format) and mypy, configured in pyproject.toml
lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy

e2e: $(STAMP)
	$(MAKE) -C editors/vscode e2e BATTC=$(abspath $(BATTC))

bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf build .pytest_cache
