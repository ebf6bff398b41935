# Set-up and the two everyday jobs. Needs only python3 (>= 3.11) with venv/pip.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
SAMPLE  = samples/upgrade-2.1-to-2.2.tar.gz
# The example reports in reports/ are rendered with this fixed time, so that the demo
# reproduces them byte for byte (tests/test_golden.py checks they are current).
SAMPLE_TIME = 2024-01-15T12:00:00Z

.PHONY: setup bytecode browser demo test lint format samples golden schema bench bench-quick clean

$(BIN)/forensics: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

setup: $(BIN)/forensics bytecode

# The package's bytecode, as a regular install writes it: Python then need not compile every
# module on every run (~0.15 s) where PYTHONDONTWRITEBYTECODE is set. Only changed files are
# compiled again; a stale file is never used (Python checks the source's time and size).
bytecode: $(BIN)/forensics
	@$(BIN)/python -m compileall -q forensics parsers >/dev/null

# Analyse the shipped sample: writes reports/upgrade-2.1-to-2.2.html and prints the triage
# table. Exit codes 3/4 (findings) are the expected outcome here, so they do not fail make.
demo: setup
	@rc=0; $(BIN)/forensics analyze $(SAMPLE) --generated-at $(SAMPLE_TIME) || rc=$$?; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 3 ] && [ $$rc -ne 4 ]; then exit $$rc; fi

test: setup browser lint
	$(BIN)/python -m pytest -q

# ruff's lint and format check (pyproject.toml [tool.ruff]): `make format` rewrites the files.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .

# The browser test drives Debian's Chromium through Playwright (never `playwright install`).
# Install it when missing and we may (root); otherwise tests/report/test_browser.py skips.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || echo "warning: could not install chromium; the browser test will be skipped"; \
	  else echo "warning: /usr/bin/chromium missing and not root; the browser test will be skipped"; fi; \
	fi

# Regenerate the sample bundles from their generator (deterministic).
samples: setup
	$(BIN)/python samples/generate.py

# Rewrite the golden files and the example reports in reports/ after reviewing a change.
golden: setup
	$(BIN)/python -m pytest -q tests/test_golden.py tests/test_docs.py --update-golden

# Rewrite the published JSON Schema of the analysis JSON after changing forensics/model.py.
schema: setup
	$(BIN)/forensics schema -o schema/analysis.schema.json

# The benchmark of issue 6: generates bench/data/ (git-ignored, ~3 GB with the 2x bundle) once,
# then times `forensics analyze` against bare Polars, a json.loads loop and jq (README, Performance).
bench: setup
	$(BIN)/python bench/run.py

bench-quick: setup
	$(BIN)/python bench/run.py --lines 200000 --no-2x

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache tests/actual
	find forensics parsers tests bench samples -name __pycache__ -type d -prune -exec rm -rf {} +
