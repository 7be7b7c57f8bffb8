"""Tag scanning of a whole archive: dicodec.scan beside pydicom, dicomsdl and
GDCM's Scanner, on the same files, in one run, warm cache.

Input: a folder tree of >= 5,000 real DICOM files (copies of the shared
corpus and of pydicom's bundled files, only those every peer reads, spread
over 20 x 10 folders), built once in the user cache directory
(``$DICODEC_BENCH_CACHE`` or platformdirs' ``dicodec/bench-scan``); never
committed. Every peer extracts the same 12 tags of every file:

* dicodec: ``dicodec.scan(folder, TAGS, threads=1 | all)`` (walk included),
  and from the file list;
* pydicom: ``dcmread(path, stop_before_pixels=True, specific_tags=TAGS)``;
* dicomsdl: ``dicomsdl.open(path, load_until=<highest tag>)`` +
  ``getValues(tags)``; also over all cores with one process per core;
* GDCM: ``gdcm.Scanner`` (``AddTag`` x 12, ``Scan(files)``, ``GetValue``).

Before timing, each peer's Rows and Columns of every file are checked against
dicodec's.

Run: ``make bench`` or ``.venv/bin/python -m pytest benches/bench_scan.py
--benchmark-only --benchmark-columns=min,median,rounds``; files/s =
files / time. ``.venv/bin/python benches/bench_scan.py`` prints the table of
files/s and ratios instead (peers interleaved, best of 2-9 runs each).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pydicom
import pytest

import dicodec

N_FILES = int(os.environ.get("DICODEC_SCAN_BENCH_FILES", "5000"))
TAGS = [
    "PatientID",
    "PatientName",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "Modality",
    "StudyDate",
    "Rows",
    "Columns",
    "BitsAllocated",
    "PixelSpacing",
    "InstanceNumber",
]
TAG_INTS = [int(pydicom.datadict.tag_for_keyword(k) or 0) for k in TAGS]
LOAD_UNTIL = max(TAG_INTS)
PYDICOM_DATA = Path(pydicom.__file__).parent / "data"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"


def cache_dir() -> Path:
    env = os.environ.get("DICODEC_BENCH_CACHE")
    if env:
        return Path(env) / "bench-scan"
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("dicodec")) / "bench-scan"
    except ImportError:  # pragma: no cover
        return Path.home() / ".cache" / "dicodec" / "bench-scan"


# ---- peers: each returns one row of values per file ----


def run_pydicom(files: list[str]) -> list[list[Any]]:
    rows = []
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True, specific_tags=TAGS)
        rows.append([ds[t].value if t in ds else None for t in TAG_INTS])
    return rows


def run_dicomsdl(files: list[str]) -> list[list[Any]]:
    import dicomsdl

    dicomsdl.set_loglevel(dicomsdl.LogLevel.ERROR)
    return [dicomsdl.open(f, LOAD_UNTIL).getValues(TAG_INTS) for f in files]


def run_gdcm(files: list[str]) -> list[list[Any]]:
    import gdcm

    scanner = gdcm.Scanner()
    tags = [gdcm.Tag(t >> 16, t & 0xFFFF) for t in TAG_INTS]
    for t in tags:
        scanner.AddTag(t)
    if not scanner.Scan(files):
        raise RuntimeError("gdcm.Scanner.Scan failed")
    return [[scanner.GetValue(f, t) for t in tags] for f in files]


def _chunks(files: list[str], n: int) -> list[list[str]]:
    size = -(-len(files) // n)
    return [files[i : i + size] for i in range(0, len(files), size)]


def _rows_columns(row: list[Any]) -> list[int | None]:
    i_rows, i_cols = TAGS.index("Rows"), TAGS.index("Columns")
    return [None if v in (None, "") else int(str(v).strip()) for v in (row[i_rows], row[i_cols])]


def _peer_agrees(fn: Callable[[list[str]], Any], f: str, want: list[int | None]) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = fn([f])
        return len(rows) == 1 and _rows_columns(rows[0]) == want
    except Exception:
        return False


def build_tree(n_files: int = N_FILES) -> tuple[Path, list[str]]:
    """The folder tree (built once) and its files in dicodec's walk order."""
    root = cache_dir() / f"tree-{n_files}"
    marker = cache_dir() / f"tree-{n_files}.json"
    if not marker.is_file():
        cands = sorted(CORPUS.glob("*.dcm")) if CORPUS.is_dir() else []
        for sub in ("test_files", "charset_files"):
            cands += sorted(p for p in (PYDICOM_DATA / sub).rglob("*") if p.is_file())
        ref = dicodec.scan([str(p) for p in cands], ["Rows", "Columns"]).to_pylist()
        fns = [run_pydicom, run_dicomsdl, run_gdcm]
        good = [
            str(p)
            for p, r in zip(cands, ref, strict=True)
            if r["error"] is None
            and r["Rows"] is not None
            and p.stat().st_size <= 4 << 20
            and all(_peer_agrees(fn, str(p), [r["Rows"], r["Columns"]]) for fn in fns)
        ]
        if not good:
            raise RuntimeError("no input files for the scan benchmark")
        shutil.rmtree(root, ignore_errors=True)
        marker.unlink(missing_ok=True)
        for i in range(n_files):
            d = root / f"p{i % 20:02d}" / f"s{(i // 20) % 10:02d}"
            d.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(good[i % len(good)], d / f"im{i:05d}.dcm")
        marker.write_text(json.dumps({"files": n_files, "sources": len(good)}))
    files = dicodec.scan(root, ["Rows"])["path"].to_pylist()
    return root, files


def warm(files: list[str]) -> None:
    for f in files:
        with open(f, "rb") as fh:
            fh.read(1 << 16)


def check(rows: list[list[Any]], reference: Any) -> None:
    """Rows and Columns of every file agree with dicodec's."""
    ref_rows = reference["Rows"].to_pylist()
    ref_cols = reference["Columns"].to_pylist()
    assert len(rows) == len(ref_rows)
    for row, r, c in zip(rows, ref_rows, ref_cols, strict=True):
        assert _rows_columns(row) == [r, c], (row, r, c)


class DicomsdlPool:
    """dicomsdl on every core: one worker process per CPU, started before
    timing."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers)
        list(self.pool.map(run_dicomsdl, [[] for _ in range(workers)]))

    def __call__(self, files: list[str]) -> list[list[Any]]:
        out: list[list[Any]] = []
        for part in self.pool.map(run_dicomsdl, _chunks(files, self.workers)):
            out += part
        return out

    def close(self) -> None:
        self.pool.shutdown()


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1


def peers(root: Path, files: list[str]) -> dict[str, tuple[Callable[[], Any], int]]:
    """name -> (callable, rounds)."""
    return {
        "dicodec 1 thread": (lambda: dicodec.scan(root, TAGS, threads=1), 9),
        "dicodec all cores": (lambda: dicodec.scan(root, TAGS), 9),
        "dicodec 1 thread, file list": (lambda: dicodec.scan(files, TAGS, threads=1), 9),
        "dicomsdl load_until": (lambda: run_dicomsdl(files), 5),
        "GDCM Scanner": (lambda: run_gdcm(files), 3),
        "pydicom specific_tags": (lambda: run_pydicom(files), 2),
    }


# ---- pytest-benchmark ----


@pytest.fixture(scope="module")
def tree() -> tuple[Path, list[str], Any]:
    root, files = build_tree()
    warm(files)
    reference = dicodec.scan(root, TAGS)
    assert reference["error"].null_count == reference.num_rows
    return root, files, reference


@pytest.mark.parametrize(
    "peer",
    [
        "dicodec 1 thread",
        "dicodec all cores",
        "dicodec 1 thread, file list",
        "dicomsdl load_until",
        "GDCM Scanner",
        "pydicom specific_tags",
    ],
)
def test_scan_archive(benchmark, tree, peer: str) -> None:
    root, files, reference = tree
    if peer.startswith("dicomsdl"):
        pytest.importorskip("dicomsdl")
    if peer.startswith("GDCM"):
        pytest.importorskip("gdcm")
    fn, rounds = peers(root, files)[peer]
    first = fn()
    if isinstance(first, list):
        check(first, reference)
    else:
        assert first.equals(reference)
    benchmark.group = f"scan {len(files)} files, {len(TAGS)} tags"
    benchmark.extra_info["files"] = len(files)
    benchmark.pedantic(fn, rounds=rounds, iterations=1)


def test_scan_archive_dicomsdl_all_cores(benchmark, tree) -> None:
    pytest.importorskip("dicomsdl")
    root, files, reference = tree
    pool = DicomsdlPool(usable_cpus())
    try:
        check(pool(files), reference)
        benchmark.group = f"scan {len(files)} files, {len(TAGS)} tags"
        benchmark.extra_info["files"] = len(files)
        benchmark.pedantic(lambda: pool(files), rounds=5, iterations=1)
    finally:
        pool.close()


# ---- table ----


def main() -> int:
    root, files = build_tree()
    warm(files)
    reference = dicodec.scan(root, TAGS)
    n = len(files)
    runs = peers(root, files)
    pool = DicomsdlPool(usable_cpus())
    runs["dicomsdl all cores (processes)"] = (lambda: pool(files), 5)
    best: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn, _ in runs.values():
            first = fn()
            if isinstance(first, list):
                check(first, reference)
        # Interleave the peers so that load on the machine hits all alike.
        for r in range(max(rounds for _, rounds in runs.values())):
            for name, (fn, rounds) in runs.items():
                if r < rounds:
                    t = time.perf_counter()
                    fn()
                    best[name] = min(best.get(name, 1e9), time.perf_counter() - t)
    pool.close()
    sdl = n / best["dicomsdl load_until"]
    print(f"{n} files, {len(TAGS)} tags, warm cache, {usable_cpus()} CPUs, best of 2-9 runs")
    print(f"{'peer':34s} {'files/s':>10s} {'vs dicomsdl':>12s}")
    for name, t in sorted(best.items(), key=lambda kv: kv[1]):
        print(f"{name:34s} {n / t:10,.0f} {n / t / sdl:11.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
