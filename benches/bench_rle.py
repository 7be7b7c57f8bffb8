"""RLE Lossless decode and encode: dicodec beside pydicom's own RLE plugin,
pylibjpeg-rle, imagecodecs, GDCM and dicomsdl, in one run.

Inputs are the standard benchmark set (``benches/conftest.py``,
``dicodec.bench.benchset``): real images — ``ct16`` (16-bit CT, 24 frames),
``mr12`` (12-bit MR), ``cr15`` (15-bit CR), ``us_rgb`` (8-bit RGB, 8 frames) —
RLE-encoded by pylibjpeg-rle through pydicom, so no input was written by
dicodec. Decoders are the adapters of ``dicodec bench``
(``dicodec.bench.peers``): each result is checked bit-exact against the
file's reference before it is timed, and each benchmark decodes all frames of
one file.

``test_encode`` encodes the native frames of the same images; every encoder's
output is decoded by pylibjpeg-rle or imagecodecs (through their peer
adapters) and checked against the reference before it is timed.
``test_threads`` decodes the frames of the multi-frame files on one and on
two Python threads (a peer that holds the GIL gains nothing from the second)
and dicodec's ``read_pixels(threads=...)``.

Run: ``make bench`` or
``.venv/bin/python -m pytest benches/bench_rle.py --benchmark-only
--benchmark-columns=min,median,rounds --benchmark-group-by=group -q``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

import dicodec
from dicodec import uids
from dicodec.bench.files import FileDesc
from dicodec.bench.normalise import normalise, sha256_of
from dicodec.bench.peers import FramePeer, UnsupportedByPeer, get_peer_class

pytest.importorskip("pydicom")

IMAGES = ["ct16", "mr12", "cr15", "us_rgb"]
#: Peers of the standard adapters (``dicodec.bench.peers.PEERS``):
#: "dicodec" is read_pixels on the file's bytes, "dicodec.frames" rle_decode
#: per frame into the result, "dicodec.pydicom" pydicom with dicodec's plugin.
PEERS = [
    "dicodec.frames",
    "dicodec",
    "dicodec.pydicom",
    "pydicom",
    "pydicom.pylibjpeg",
    "pylibjpeg.rle",
    "imagecodecs.dicomrle",
    "gdcm",
    "dicomsdl",
]


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize("image", IMAGES)
def test_decode(benchmark, bench_file, peer_decoder, image, peer):
    """All frames of one file, one thread (inputs in memory)."""
    benchmark.group = f"decode-{image}"
    benchmark(peer_decoder(peer, bench_file(image, "rle")))


# ---- encoders: each encodes every frame of an image ----


@functools.cache
def _frames(path: str) -> tuple[FileDesc, np.ndarray]:
    """The native file's description and its frames (frames, rows, columns
    [, samples]), decoded by pydicom (the ``pydicom`` peer)."""
    from dicodec.bench.files import describe

    desc = describe(path)
    pixels = get_peer_class("pydicom")().decode_file(desc)
    return desc, np.ascontiguousarray(pixels.reshape(desc.frames, *desc.frame_shape))


def _enc_dicodec(desc: FileDesc, frames: np.ndarray) -> list[bytes]:
    return [dicodec.rle_encode(f) for f in frames]


def _enc_pylibjpeg_rle(desc: FileDesc, frames: np.ndarray) -> list[bytes]:
    from rle.rle import encode_frame

    bits = desc.bits_allocated
    return [
        encode_frame(f.tobytes(), desc.rows, desc.columns, desc.samples, bits, "<") for f in frames
    ]


def _enc_pydicom(plugin: str) -> Callable[[FileDesc, np.ndarray], list[bytes]]:
    def encode(desc: FileDesc, frames: np.ndarray) -> list[bytes]:
        from pydicom.pixels import get_encoder

        kwargs = dict(
            rows=desc.rows,
            columns=desc.columns,
            samples_per_pixel=desc.samples,
            bits_allocated=desc.bits_allocated,
            bits_stored=desc.bits_stored,
            pixel_representation=desc.pixel_representation,
            photometric_interpretation=desc.photometric,
            planar_configuration=0,
            number_of_frames=1,
        )
        enc = get_encoder(uids.RLE_LOSSLESS)
        return [enc.encode(f, encoding_plugin=plugin, **kwargs) for f in frames]

    return encode


ENCODERS: dict[str, Callable[[FileDesc, np.ndarray], list[bytes]]] = {
    "dicodec": _enc_dicodec,
    "pylibjpeg-rle": _enc_pylibjpeg_rle,
    "pydicom": _enc_pydicom("pydicom"),
    "gdcm": _enc_pydicom("gdcm"),
}
#: Independent decoders that check what an encoder wrote (the first installed).
CHECKERS = ["pylibjpeg.rle", "imagecodecs.dicomrle"]


def _check_encoded(encoded: list[bytes], desc: FileDesc) -> None:
    """Decodes ``encoded`` with a third-party RLE decoder and compares with
    the native file's reference."""
    for name in CHECKERS:
        cls = get_peer_class(name)
        if cls.missing() is None:
            break
    else:
        pytest.skip(f"no independent RLE decoder installed ({', '.join(CHECKERS)})")
    adapter = cls()
    assert isinstance(adapter, FramePeer)
    got = normalise(np.asarray(adapter.decode(encoded, desc)), desc, planar=adapter.planar)
    assert sha256_of(got) == desc.ref_sha256, f"{name} decodes the frames to other values"


@pytest.mark.parametrize("encoder", list(ENCODERS))
@pytest.mark.parametrize("image", IMAGES)
def test_encode(benchmark, bench_file, image, encoder):
    """All frames of one image, one thread."""
    file = bench_file(image, "native")
    desc, frames = _frames(file.path)
    desc.ref_sha256 = file.ref_sha256
    func = ENCODERS[encoder]
    try:
        encoded = func(desc, frames)
    except ImportError as exc:
        pytest.skip(f"{encoder} not installed: {exc}")
    except Exception as exc:  # an encoder that cannot encode this image is reported
        pytest.skip(f"{encoder} cannot encode {image}: {type(exc).__name__}: {exc}")
    _check_encoded(encoded, desc)
    benchmark.group = f"encode-{image}"
    benchmark.extra_info.update(
        bytes=frames.nbytes, encoded=sum(len(f) for f in encoded), source=file.sources
    )
    benchmark(func, desc, frames)


# ---- threads ----


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(
    "peer", ["dicodec", "dicodec.frames", "pylibjpeg.rle", "imagecodecs.dicomrle"]
)
@pytest.mark.parametrize("image", ["ct16", "us_rgb"])
def test_threads(benchmark, bench_file, peer_decoder, image, peer, threads):
    """All frames of a multi-frame file on ``threads`` Python threads, one
    frame a call (``dicodec``: read_pixels(threads=...) on the file's bytes)."""
    file = bench_file(image, "rle")
    benchmark.group = f"threads-{image}-rle"
    if peer == "dicodec":
        benchmark(peer_decoder(peer, file, threads=threads))
        return
    peer_decoder(peer, file)  # skips unless installed and bit-exact on this file
    adapter = get_peer_class(peer)()
    assert isinstance(adapter, FramePeer)
    desc = file.desc()
    frames = adapter.prepare(desc)
    try:
        func: Callable[[bytes], Any] = adapter.frame_decoder(desc)
    except UnsupportedByPeer as exc:
        pytest.skip(f"{peer}: {exc}")
    pool = ThreadPoolExecutor(threads)
    try:
        benchmark(lambda: list(pool.map(func, frames)))
    finally:
        pool.shutdown()
