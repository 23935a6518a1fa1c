# longdoc — set-up, tests, benchmarks. Everything runs offline once installed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

LOCK := requirements.lock
LATEST := .venv-latest
.PHONY: install lock lint demo test test-fast test-latest docs bench fuzz ui clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# torch first and pinned: 2.13.0 is the CPU build on disk; anything else pulls a multi-GB CUDA build.
# Then exactly the lock (what the tests ran with), the project itself without resolving anything, and a check
# that the venv holds the locked versions (a venv made from an older lock is brought to this one).
$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/python tools/lockdiff.py $(LOCK) --check
	touch $(STAMP)

install: $(STAMP)

# Re-resolve the lock from pyproject.toml's ranges (the newest releases they admit). pip-tools rather than uv:
# it resolves with pip itself, so it sees the same indexes, constraints and CPU torch wheel that pip installs from.
lock: | $(BIN)/python
	$(BIN)/pip install -q "pip-tools>=7.4,<8"
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile -q --upgrade --extra dev --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml
	@echo "$(LOCK) re-resolved: run 'make install test', then commit it"

# Drift check: a throwaway venv with the newest releases pyproject.toml's ranges admit (what `pip install` gives a
# user today), what differs from the lock, and the tests that touch third-party APIs. Fails when they fail.
test-latest:
	rm -rf $(LATEST)
	$(PY) -m venv $(LATEST)
	$(LATEST)/bin/pip install -q --upgrade pip
	$(LATEST)/bin/pip install -q torch==2.13.0
	$(LATEST)/bin/pip install -q --upgrade --upgrade-strategy eager -e ".[dev]"
	$(LATEST)/bin/python tools/lockdiff.py $(LOCK)
	$(LATEST)/bin/python -m pytest -q -p no:cacheprovider -m thirdparty $(PYTEST_ARGS)  # marked in tests/conftest.py

demo: install
	$(BIN)/longdoc ingest data/samples
	$(BIN)/longdoc docs
	-$(BIN)/longdoc ask "Which law governs these agreements?"
	-$(BIN)/longdoc summarize --style brief --export data/out/summary.md
	-$(BIN)/longdoc summarize --style brief --export data/out/summary.docx
	@echo "Opening the UI on http://$${LONGDOC_UI_ADDRESS:-127.0.0.1}:$${LONGDOC_UI_PORT:-8501} (Ctrl-C to stop)"
	$(BIN)/longdoc ui

# ruff (pyproject.toml [tool.ruff]) and the import contracts ([tool.importlinter]): run before every test run
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: install lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

# The manual (docs/, mkdocs.yml) into site/; the CLI, settings and models references are generated from the code
# at build time (tools/mkdocs_hooks.py). --strict: a broken link or a missing page fails the build.
docs: install
	$(BIN)/mkdocs build --strict --quiet

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

fuzz: install
	LONGDOC_FUZZ_SECONDS=$${LONGDOC_FUZZ_SECONDS:-900} $(BIN)/python -m pytest -q tests/hardening -k fuzz

ui: install
	$(BIN)/longdoc ui

clean:
	rm -rf .longdoc tests/output .pytest_cache $(LATEST) site
