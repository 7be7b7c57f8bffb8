# dicodec — the README's commands. Needs only python3 (>= 3.10), cargo and a C compiler.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(VENV))/bin:$(PATH)
CARGO_DIR := ext
RUST_SOURCES := $(shell find ext/core ext/py \( -name '*.rs' -o -name Cargo.toml \) -not -path '*/target/*' 2>/dev/null) ext/Cargo.toml
NATIVE_STAMP := $(VENV)/.native-stamp

.PHONY: help venv build demo test test-rust test-py lint fmt bench bench-readme clean

help:
	@echo "make demo   - build and run the main job on bundled sample data"
	@echo "make test   - build, then cargo test, clippy, fmt, ruff, stubtest and pytest"
	@echo "make bench  - benchmark suites against the peers (pytest-benchmark)"
	@echo "make bench-readme - run 'dicodec bench' on the standard set, update README.md"
	@echo "make lint   - clippy, rustfmt, ruff, mypy, stubtest only"

$(VENV)/.deps-stamp: pyproject.toml .ci/deps.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "maturin>=1.7,<2" $$($(PYTHON) .ci/deps.py dev)
	touch $@

venv: $(VENV)/.deps-stamp

$(NATIVE_STAMP): $(VENV)/.deps-stamp $(RUST_SOURCES)
	$(VENV)/bin/maturin develop --release -q
	touch $@

build: $(NATIVE_STAMP)

demo: build
	$(PY) -m dicodec demo

test-rust:
	cd $(CARGO_DIR) && cargo test -p dicodec-core --quiet

lint: build
	cd $(CARGO_DIR) && cargo fmt --all --check
	cd $(CARGO_DIR) && cargo clippy --workspace --all-targets --quiet -- -D warnings
	$(PY) -m ruff check src tests benches
	$(PY) -m ruff format --check src tests benches
	$(PY) -m mypy src/dicodec
	$(PY) -m mypy.stubtest dicodec._native --allowlist .ci/stubtest-allowlist.txt

test-py: build
	$(PY) -m pytest -q tests

test: build lint test-rust test-py

fmt: venv
	cd $(CARGO_DIR) && cargo fmt --all
	$(PY) -m ruff format src tests benches
	$(PY) -m ruff check --fix src tests benches

bench: build
	$(PY) -m pytest benches -o python_files="bench_*.py" --benchmark-only --benchmark-columns=min,median,mean,rounds --benchmark-sort=name -q

# `dicodec bench` on the standard set; rewrites README.md between <!-- bench:start/end -->.
bench-readme: build
	$(PY) -m dicodec.bench.readme README.md

clean:
	rm -rf $(VENV) ext/target src/dicodec/*.so
