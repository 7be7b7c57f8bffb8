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

.PHONY: help venv build demo test test-rust test-py lint fmt bench bench-readme clean fuzz pydicom-tests

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

# pydicom's own pixel tests (from its sdist on PyPI, not vendored), run by
# tests/codecs/test_pydicom_suite.py with dicodec registered first. Offline: skipped.
PYDICOM_SDIST := .cache/pydicom-sdist
pydicom-tests: venv
	@v=$$($(PY) -c 'import pydicom; print(pydicom.__version__)'); \
	if [ ! -d $(PYDICOM_SDIST)/pydicom-$$v/tests ]; then \
	  mkdir -p $(PYDICOM_SDIST) && \
	  $(PY) -m pip download -q --no-deps --no-binary :all: pydicom==$$v -d $(PYDICOM_SDIST) && \
	  tar -xzf $(PYDICOM_SDIST)/pydicom-$$v.tar.gz -C $(PYDICOM_SDIST) \
	  || echo "pydicom $$v sdist unavailable: its tests will be skipped"; \
	fi

test-py: build pydicom-tests
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

# Coverage-guided fuzzing (nightly + `cargo install cargo-fuzz`; see README's
# Reliability section): make fuzz TARGET=read_pixels SECONDS=60
# Targets: read_pixels frame_info scan rle_decode jpeg_lossless rle_roundtrip
# jpegls_decode jpeg_dct j2k_decode jxl_decode deflate_decode
# jpeg_lossless_roundtrip jpegls_roundtrip deflate_roundtrip. CFLAGS gives the
# C libraries (OpenJPEG, libdeflate) AddressSanitizer too.
TARGET ?= read_pixels
SECONDS ?= 60
, := ,
fuzz: venv
	test -d fuzz/corpus/$(TARGET) || $(PY) fuzz/seed.py $(TARGET) fuzz/corpus/$(TARGET)
	$(if $(shell command -v clang),CC=clang CFLAGS="-fsanitize=address$(,)fuzzer-no-link -fno-omit-frame-pointer",CFLAGS="-fsanitize=address -fno-omit-frame-pointer") nice cargo +nightly fuzz run --fuzz-dir fuzz $(TARGET) fuzz/corpus/$(TARGET) -- \
		-max_total_time=$(SECONDS) -rss_limit_mb=2048 -max_len=262144 \
		-print_final_stats=1
