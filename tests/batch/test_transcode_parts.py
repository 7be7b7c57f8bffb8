"""The batch transcoder's copy-free route (issue 14's transcode speed):
the Pixel Data value built from the encoder's buffers equals pydicom's
``encapsulate`` / ``encapsulate_extended``; a native source's pixels taken
as a view of its bytes equal :func:`dicodec.read_pixels`; the output
written as parts equals :func:`transcode_file`'s bytes."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from transcode_util import rich_dataset

import dicodec
from dicodec import uids
from dicodec.compress import encapsulated_pieces, encapsulated_value, encodable_syntaxes, is_lossy
from dicodec.transcode import _native_view, transcode_file, transcode_parts

pydicom = pytest.importorskip("pydicom")
from pydicom.encaps import encapsulate, encapsulate_extended  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "dev"
RNG = np.random.default_rng(1414)


@pytest.mark.parametrize("sizes", [[1], [2, 3, 4], [7, 7, 10, 1, 6]])
def test_pieces_equal_pydicom_encapsulation(sizes: list[int]) -> None:
    frames = [RNG.integers(0, 256, n, dtype=np.uint8).tobytes() for n in sizes]
    as_arrays = [np.frombuffer(f, np.uint8).copy() for f in frames]
    for given in (frames, as_arrays):
        pieces, eot, lengths = encapsulated_pieces(given)
        assert b"".join(pieces) == encapsulate(frames)
        assert eot is None and lengths is None
        pieces, eot, lengths = encapsulated_pieces(given, extended=True)
        assert (b"".join(pieces), eot, lengths) == encapsulate_extended(frames)
    assert encapsulated_value(frames) == (encapsulate(frames), None, None)


def _sources() -> dict[str, tuple[bytes, bool]]:
    """name -> (file, whether its pixels can be a view of its bytes)."""
    a = RNG.integers(-3000, 3000, size=(3, 40, 33), dtype=np.int16)
    b = RNG.integers(0, 4096, size=(50, 64), dtype=np.uint16)
    c = RNG.integers(0, 256, size=(2, 24, 31, 3), dtype=np.uint8)
    d = RNG.integers(0, 256, size=(17, 19), dtype=np.uint8)
    return {
        "s16x3": (rich_dataset(a), True),
        "u12": (rich_dataset(b, bits_stored=12), False),  # bits above Bits Stored
        "rgb_planar": (rich_dataset(c, planar=1), False),
        "rgb": (rich_dataset(c), True),
        "u8_odd": (rich_dataset(d), True),
        "implicit": (rich_dataset(a, transfer_syntax=uids.IMPLICIT_VR_LITTLE_ENDIAN), True),
    }


SOURCES = _sources()


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_native_view_is_read_pixels(name: str) -> None:
    data, viewable = SOURCES[name]
    view = _native_view(data, dicodec.frame_info(data))
    assert (view is not None) == viewable
    if view is not None:
        ref = dicodec.read_pixels(data)
        assert view.dtype == ref.dtype and view.shape == ref.shape
        assert np.array_equal(view, ref)


def test_native_view_of_corpus_files() -> None:
    man = CORPUS / "MANIFEST.csv"
    if not man.is_file():
        pytest.skip(f"no corpus at {CORPUS}")
    with man.open(newline="") as f:
        rows = [
            r
            for r in csv.DictReader(f)
            if r["kind"] == "dicom"
            and r["ts_group"] in ("native_explicit_le", "native_implicit_le")
            and r["ref_sha256"]
        ]
    seen = 0
    for r in [r for r in rows if int(r["size"]) < 8_000_000][:150]:
        data = (CORPUS / r["file"]).read_bytes()
        info = dicodec.frame_info(data)
        if not info.decodable:
            continue
        view = _native_view(data, info)
        if view is None:
            continue
        ref = dicodec.read_pixels(data)
        assert view.dtype == ref.dtype and np.array_equal(view, ref), r["file"]
        seen += 1
    assert seen > 0


LOSSLESS = sorted(u for u in encodable_syntaxes() if not is_lossy(u))


@pytest.mark.parametrize("syntax", LOSSLESS)
@pytest.mark.parametrize("name", ["s16x3", "rgb", "u12"])
def test_parts_join_to_transcode_file(name: str, syntax: str) -> None:
    data = SOURCES[name][0]
    whole = transcode_file(data, syntax)
    res, parts = transcode_parts(data, syntax)
    joined = b"".join(parts)
    assert joined == whole.data
    assert (res.route, res.shape, res.dtype) == (whole.route, whole.shape, whole.dtype)
    if res.route == "raw":
        assert res.data == b""  # not joined unless needed
    verified, vparts = transcode_parts(data, syntax, verify=True)
    assert b"".join(vparts) == verified.data == whole.data


def test_write_parts_writes_every_buffer(tmp_path: Path) -> None:
    from dicodec.batch.dicomwriter import write_parts

    parts = [b"ab", np.arange(1000, dtype=np.uint8), b"", memoryview(b"xyz")[1:]]
    parts += [bytes([i % 256]) for i in range(1500)]  # more buffers than one writev takes
    with open(tmp_path / "f", "wb") as f:
        f.write(b"head")  # buffered bytes go first
        write_parts(f, parts)
    assert (tmp_path / "f").read_bytes() == b"head" + b"".join(bytes(p) for p in parts)


def test_reused_buffer_never_overwrites_kept_parts(tmp_path: Path) -> None:
    a, b = tmp_path / "a.dcm", tmp_path / "b.dcm"
    a.write_bytes(SOURCES["s16x3"][0])
    b.write_bytes(SOURCES["rgb"][0])
    syntax = uids.JPEG_LOSSLESS_SV1
    want_a = transcode_file(a, syntax).data
    _, parts_a = transcode_parts(a, syntax, reuse_buffer=True)
    _, parts_b = transcode_parts(b, syntax, reuse_buffer=True)  # parts_a still alive
    assert b"".join(parts_a) == want_a
    assert b"".join(parts_b) == transcode_file(b, syntax).data
    del parts_a, parts_b
    for path in (a, b, a):  # reused once nothing refers to it
        _, parts = transcode_parts(path, syntax, reuse_buffer=True)
        assert b"".join(parts) == transcode_file(path, syntax).data
        del parts
    same, parts = transcode_parts(a, uids.EXPLICIT_VR_LITTLE_ENDIAN, reuse_buffer=True)
    assert isinstance(same.data, bytes) and same.route == "copy"
