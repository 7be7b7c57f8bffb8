"""JPEG 2000 / HTJ2K, JPEG XL and Deflated Image Frames from Python: raw streams
against the fixtures' independent references (imagecodecs' OpenJPEG / OpenJPH
/ libjxl decodes and the encoders' originals, see
ext/core/tests/data/*/make_fixtures.py), read_pixels on the corpus files
against MANIFEST ref_sha256, round trips through Python's zlib, bad input."""

from __future__ import annotations

import csv
import hashlib
import zlib
from pathlib import Path

import numpy as np
import pytest

import dicodec
from conftest import corpus_params
from dicodec.errors import DicodecError

DATA = Path(__file__).resolve().parents[2] / "ext" / "core" / "tests" / "data"
J2K_SYNTAXES = {f"1.2.840.10008.1.2.4.{n}" for n in ("90", "91", "201", "202", "203")}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


@pytest.mark.parametrize("row", _rows(DATA / "j2k" / "streams.csv"), ids=lambda r: r["name"])
def test_j2k_streams_match_openjpeg(row):
    src = (DATA / "j2k" / row["name"]).read_bytes()
    arr = dicodec.j2k_decode(src)
    assert arr.dtype.str == row["dtype"]
    assert "x".join(map(str, arr.shape)) == row["shape"]
    assert _sha(arr) == row["sha_openjpeg"]
    if row["lossless"] == "1":
        assert _sha(arr) == row["sha_original"]
    info = dicodec.j2k_info(src)
    assert info["ht"] == bool(row["sha_openjph"])
    out = np.zeros_like(arr)
    assert dicodec.j2k_decode(src, out=out, threads=2) is out
    assert np.array_equal(out, arr)


@pytest.mark.parametrize("row", _rows(DATA / "jxl" / "streams.csv"), ids=lambda r: r["name"])
def test_jxl_lossless_streams_match_the_originals(row):
    if row["lossless"] != "1":
        pytest.skip("lossy: compared within a tolerance in the Rust tests")
    arr = dicodec.jxl_decode((DATA / "jxl" / row["name"]).read_bytes())
    assert arr.dtype.str == row["dtype"] and _sha(arr) == row["sha_original"]


def test_deflate_frames_round_trip_through_zlib():
    frame = (np.arange(100_001, dtype=np.uint32) * 2654435761 >> 20).astype(np.uint16).tobytes()
    enc = dicodec.deflate_frame_encode(frame, level=6)
    assert len(enc) % 2 == 0
    assert zlib.decompress(enc, -15) == frame
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    theirs = c.compress(frame) + c.flush()
    assert dicodec.deflate_frame_decode(theirs, len(frame)).tobytes() == frame
    with pytest.raises(DicodecError):
        dicodec.deflate_frame_decode(theirs, len(frame) - 1)  # inflates to more
    with pytest.raises(DicodecError):
        dicodec.deflate_frame_decode(b"\xff\xff\xff", 10)


def test_malformed_streams_raise():
    for bad in (b"", b"\xff\x4f\xff\x51", b"\x00" * 64):
        with pytest.raises(DicodecError):
            dicodec.j2k_decode(bad)
        with pytest.raises(DicodecError):
            dicodec.jxl_decode(bad)


@pytest.mark.parametrize(
    "row",
    corpus_params(lambda r: r["transfer_syntax_uid"] in J2K_SYNTAXES and r["ref_sha256"]),
)
def test_read_pixels_j2k_corpus(row, corpus_dir):
    arr = dicodec.read_pixels(corpus_dir / row["file"])
    assert _sha(arr.astype(arr.dtype.newbyteorder("<"))) == row["ref_sha256"]


def _threads_during(fn) -> int:
    """This process's usual number of threads while ``fn`` ran: the median of
    samples a watcher thread takes (``fn`` must release the GIL), less the
    watcher."""
    import os
    import statistics
    import threading

    done = threading.Event()
    samples: list[int] = []

    def watch() -> None:
        while not done.is_set():
            samples.append(len(os.listdir("/proc/self/task")))
            done.wait(0.0002)

    w = threading.Thread(target=watch)
    w.start()
    try:
        fn()
    finally:
        done.set()
        w.join()
    return int(statistics.median(samples)) - 1


def test_j2k_one_thread_ignores_opj_num_threads(monkeypatch):
    """OPJ_NUM_THREADS gives every OpenJPEG codec a thread pool (one per frame
    while frames are decoded in parallel); with threads=1 it is dropped before
    decoding and the frame decodes on the calling thread, while threads=2
    does run OpenJPEG's threads (which the watcher sees)."""
    import os

    if not os.path.isdir("/proc/self/task"):
        pytest.skip("no /proc/self/task")
    rng = np.random.default_rng(13)
    img = rng.integers(0, 4096, size=(1024, 1024), dtype=np.uint16)
    stream = dicodec.j2k_encode(img, bits_stored=12)
    monkeypatch.setenv("OPJ_NUM_THREADS", "4")
    base = len(os.listdir("/proc/self/task"))
    assert _threads_during(lambda: dicodec.j2k_decode(stream, threads=2)) >= base + 2
    got = []
    assert _threads_during(lambda: got.append(dicodec.j2k_decode(stream, threads=1))) == base
    np.testing.assert_array_equal(got[0], img)
