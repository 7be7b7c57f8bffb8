"""JPEG Lossless decode: dicodec beside libjpeg-turbo (imagecodecs.jpeg8),
liblj92 (imagecodecs.ljpeg), pylibjpeg-libjpeg, GDCM and dicomsdl, in one run.

Inputs are real images written by third-party encoders, none by dicodec:

* the standard benchmark set (``benches/conftest.py``, ``dicodec.bench.benchset``):
  ``ct16`` (16-bit CT, 24 frames), ``mr12`` (12-bit MR), ``cr15`` (15-bit CR),
  ``us_rgb`` (8-bit RGB, 8 frames) as ``jpll-turbo`` (SV1, libjpeg-turbo),
  ``jpll-gdcm`` (SV1, GDCM) and ``jpll-p7-turbo`` (.57, predictor 7,
  libjpeg-turbo);
* built here from the same native pixels: every predictor 1-7 encoded by
  libjpeg-turbo (``imagecodecs.jpeg8_encode(lossless=True, predictor=p)``).

Every peer's result is checked bit-exact against the reference before it is
timed; each benchmark decodes all frames of one input. ``test_decode`` and
``test_predictors`` are single-thread; ``test_threads`` decodes the frames of
the multi-frame inputs on one and on two Python threads (peers that hold the
GIL gain nothing from the second) and dicodec's ``read_pixels(threads=2)``.
At the end a table gives each peer's best time and its ratio to dicodec's
single-thread time (higher = dicodec faster). Machines are shared and noisy:
compare within one run.

Run: ``make bench`` or
``.venv/bin/python -m pytest benches/bench_jpegll.py --benchmark-only
--benchmark-columns=min,median,rounds --benchmark-group-by=group -q``.

Goal (issue 4): single-thread decode >= 2.5x libjpeg-turbo on every file
(3x the aim), >= 5x pylibjpeg-libjpeg and GDCM.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

import dicodec

imagecodecs = pytest.importorskip("imagecodecs", reason="imagecodecs (peer) not installed")
pydicom = pytest.importorskip("pydicom")

IMAGES = ["ct16", "mr12", "cr15", "us_rgb"]
ENCODINGS = ["jpll-turbo", "jpll-gdcm", "jpll-p7-turbo"]
#: Peers of the standard adapters (dicodec.bench.peers); "dicodec" is
#: read_pixels on the file's bytes, "dicodec.frames" jpegll_decode per frame.
PEERS = [
    "dicodec.frames",
    "dicodec",
    "imagecodecs.jpeg8",
    "imagecodecs.ljpeg",
    "pylibjpeg.libjpeg",
    "gdcm",
    "dicomsdl",
]
#: group -> peer -> best time (s); printed as a table at the end.
RESULTS: dict[str, dict[str, float]] = {}


def _record(group: str, peer: str, benchmark: Any) -> None:
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        RESULTS.setdefault(group, {})[peer] = stats.stats.min


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest):
    yield
    if not RESULTS:
        return
    lines = ["", "JPEG Lossless decode: best time, and ratio dicodec-faster (peer / dicodec)"]
    for group, peers in sorted(RESULTS.items()):
        base = next((t for p, t in peers.items() if p.startswith("dicodec.frames")), None)
        base = base or peers.get("dicodec")
        cells = []
        for peer, t in sorted(peers.items(), key=lambda kv: kv[1]):
            ratio = f" x{t / base:.2f}" if base else ""
            cells.append(f"{peer} {t * 1e3:.2f} ms{ratio}")
        lines.append(f"  {group:28} " + " | ".join(cells))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capman = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capman is None:
        return
    with capman.global_and_fixture_disabled():
        for line in lines:
            reporter.write_line(line)


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("image", IMAGES)
def test_decode(benchmark, bench_file, peer_decoder, image, encoding, peer):
    """All frames of one file, one thread (inputs in memory)."""
    group = f"{image} {encoding}"
    benchmark.group = group
    decode = peer_decoder(peer, bench_file(image, encoding))
    benchmark(decode)
    _record(group, peer, benchmark)


# ---- every predictor, encoded here by libjpeg-turbo ----


@functools.cache
def _native_pixels(path: str) -> np.ndarray:
    """(frames, rows, columns[, samples]) unsigned samples of a native file."""
    from pydicom.pixels import pixel_array

    arr = pixel_array(path, raw=True)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    if int(ds.get("NumberOfFrames", 1) or 1) == 1:
        arr = arr[None]
    return arr.view(arr.dtype.str.replace("i", "u"))


@functools.cache
def _predictor_input(path: str, bits: int, predictor: int) -> tuple[np.ndarray, tuple[bytes, ...]]:
    pixels = _native_pixels(path)
    frames = tuple(
        imagecodecs.jpeg8_encode(
            np.ascontiguousarray(f), lossless=True, predictor=predictor, bitspersample=bits
        )
        for f in pixels
    )
    return pixels, frames


def _libjpeg_decode(frame: bytes) -> np.ndarray:
    libjpeg = pytest.importorskip("libjpeg", reason="pylibjpeg-libjpeg not installed")
    return libjpeg.decode(frame)


FRAME_DECODERS: dict[str, Callable[[bytes], np.ndarray]] = {
    "dicodec.frames": lambda f: dicodec.jpegll_decode(f, parallel=False),
    "imagecodecs.jpeg8": imagecodecs.jpeg8_decode,
    "imagecodecs.ljpeg": imagecodecs.ljpeg_decode,
    "pylibjpeg.libjpeg": _libjpeg_decode,
}


def _decode_all(decode: Callable[[bytes], np.ndarray], frames: tuple[bytes, ...]) -> list[Any]:
    return [decode(f) for f in frames]


@pytest.mark.parametrize("peer", list(FRAME_DECODERS))
@pytest.mark.parametrize("predictor", [1, 2, 4, 5, 6, 7])
@pytest.mark.parametrize("image", ["ct16", "mr12", "cr15"])
def test_predictors(benchmark, bench_file, image, predictor, peer):
    """One frame per input (the first), encoded with each predictor."""
    desc = bench_file(image, "native").desc()
    bits = 8 if desc.bits_allocated == 8 else max(2, desc.bits_stored)
    pixels, frames = _predictor_input(desc.path, bits, predictor)
    frames = frames[:1]
    decode = FRAME_DECODERS[peer]
    try:
        got = _decode_all(decode, frames)
    except Exception as exc:  # a peer that cannot decode this predictor
        pytest.skip(f"{peer}: {exc}")
    if not np.array_equal(np.asarray(got[0]).reshape(pixels[0].shape), pixels[0]):
        pytest.skip(f"{peer} decodes predictor {predictor} of {image} wrongly")
    group = f"{image} predictor {predictor}"
    benchmark.group = group
    benchmark(_decode_all, decode, frames)
    _record(group, peer, benchmark)


# ---- threads ----


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("peer", ["dicodec", *FRAME_DECODERS])
@pytest.mark.parametrize("image", ["ct16", "us_rgb"])
def test_threads(benchmark, bench_file, peer_decoder, image, peer, threads):
    """All frames of a multi-frame file on `threads` Python threads
    (``dicodec``: read_pixels(threads=...) on the file's bytes)."""
    file = bench_file(image, "jpll-turbo")
    group = f"threads {image} jpll-turbo"
    benchmark.group = group
    label = f"{peer} x{threads}"
    if peer == "dicodec":
        decode = peer_decoder(peer, file, threads=threads)
        benchmark(decode)
        _record(group, label, benchmark)
        return
    from pydicom.encaps import generate_frames

    desc = file.desc()
    ds = pydicom.dcmread(desc.path)
    frames = list(generate_frames(ds.PixelData, number_of_frames=desc.frames))
    func = FRAME_DECODERS[peer]
    try:
        func(frames[0])
    except Exception as exc:
        pytest.skip(f"{peer}: {exc}")
    pool = ThreadPoolExecutor(threads)
    try:
        benchmark(lambda: list(pool.map(func, frames)))
    finally:
        pool.shutdown()
    _record(group, label, benchmark)
