# longdoc — set-up, tests, benchmarks. Everything runs offline once installed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test test-fast bench fuzz ui clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first and pinned: 2.13.0 is the CPU build on disk; anything else pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/longdoc ingest data/samples
	$(BIN)/longdoc docs
	-$(BIN)/longdoc ask "Which law governs these agreements?"
	-$(BIN)/longdoc summarize --style brief --export data/out/summary.md
	-$(BIN)/longdoc summarize --style brief --export data/out/summary.docx
	@echo "Opening the UI on http://$${LONGDOC_UI_ADDRESS:-127.0.0.1}:$${LONGDOC_UI_PORT:-8501} (Ctrl-C to stop)"
	$(BIN)/longdoc ui

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

fuzz: install
	LONGDOC_FUZZ_SECONDS=$${LONGDOC_FUZZ_SECONDS:-900} $(BIN)/python -m pytest -q tests/hardening -k fuzz

ui: install
	$(BIN)/longdoc ui

clean:
	rm -rf .longdoc tests/output .pytest_cache
