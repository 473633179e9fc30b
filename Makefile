# fangxin: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: setup system-deps kafka-artifacts test test-unit test-faults lint demo up down bench \
        clean metrics-catalogue

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

system-deps:
	bash deploy/local/setup.sh

kafka-artifacts: $(STAMP) system-deps
	$(BIN)/fangxin kafka resolve

setup: $(STAMP) system-deps kafka-artifacts

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy contracts services fangxin

test: setup lint
	$(BIN)/python -m pytest

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

test-faults: setup  # the full fault run (100,000+ facts, two rounds of faults); figures printed
	FANGXIN_FAULTS=full $(BIN)/python -m pytest -s tests/reliability/test_faults.py

demo: setup
	$(BIN)/fangxin demo --once

up: setup
	$(BIN)/fangxin up

down: $(STAMP)
	$(BIN)/fangxin down

bench: setup
	$(BIN)/python -m bench.kafka_baseline
	$(BIN)/python -m bench.intake_bench
	$(BIN)/python -m bench.workflow_bench
	$(BIN)/python -m bench.projections_bench
	$(BIN)/python -m bench.console_bench

metrics-catalogue: $(STAMP)  # rewrite the metrics section of docs/operations.md from the code
	$(BIN)/python -m fangxin.metrics_catalogue

clean:
	rm -rf var .cache .pytest_cache .mypy_cache .ruff_cache
