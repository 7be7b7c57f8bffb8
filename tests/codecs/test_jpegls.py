"""JPEG-LS Python API: jpegls_decode / jpegls_encode / jpegls_info /
jpegls_check, the out= contract, malformed streams, the tolerated oddities
(crafted streams) and the conformance streams of the shared corpus, all
checked against CharLS (imagecodecs) or the source images, never against
dicodec's own earlier output."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import dicodec
from dicodec.errors import (
    DicodecError,
    InvalidArgumentError,
    MalformedError,
    OutputArrayError,
    OutputArrayTypeError,
    UnsupportedError,
)
from dicodec.jpegls import JpegLsWarning

imagecodecs = pytest.importorskip("imagecodecs")
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "dev" / "jpegls"


def image(shape: tuple[int, ...], bits: int, seed: int) -> np.ndarray:
    """Gradients, a flat block (run mode) and a noisy block."""
    rng = np.random.default_rng(seed)
    rows, cols = shape[:2]
    top = (1 << bits) - 1
    y, x = np.mgrid[0:rows, 0:cols]
    base = (x * 5 + y * 3) * top // max(1, cols * 5 + rows * 3)
    if len(shape) == 3:
        base = np.stack([np.roll(base, 3 * c, axis=1) for c in range(shape[2])], axis=-1)
    img = np.clip(base + rng.integers(0, 4, size=shape), 0, top)
    img[: rows // 4, : cols // 3] = top // 3
    block = img[rows // 2 :, cols // 2 :]
    block[...] = rng.integers(0, top + 1, size=block.shape)
    return img.astype(np.uint8 if bits <= 8 else np.uint16)


def charls(stream: bytes, shape: tuple[int, ...]) -> np.ndarray:
    return np.asarray(imagecodecs.jpegls_decode(stream)).reshape(shape)


# ---- API ----


def test_round_trip_info_and_charls():
    img = image((40, 33, 3), 12, 1)
    s = dicodec.jpegls_encode(img, bits_stored=12, interleave="line", restart_interval=8)
    info = dicodec.jpegls_info(s)
    assert (info.precision, info.rows, info.columns, info.components) == (12, 40, 33, 3)
    assert (info.near, info.interleave, info.scans, info.restart_interval) == (0, "line", 1, 8)
    assert (info.maxval, info.t1, info.t2, info.t3, info.reset) == (4095, 18, 67, 276, 64)
    assert info.shape == img.shape and info.dtype == np.uint16
    assert not info.custom_preset and info.colour_transform == 0 and not info.mapping_tables
    assert np.array_equal(charls(s, img.shape), img)
    assert np.array_equal(dicodec.jpegls_decode(s), img)
    assert dicodec.jpegls_check(s)
    assert not dicodec.jpegls_check(b"\xff\xd8\xff\xd9")
    assert not dicodec.jpegls_check(b"not a stream")


def test_default_interleave_follows_components():
    assert dicodec.jpegls_info(dicodec.jpegls_encode(image((8, 8), 8, 0))).interleave == "none"
    rgb = dicodec.jpegls_info(dicodec.jpegls_encode(image((8, 8, 3), 8, 0)))
    assert (rgb.interleave, rgb.scans) == ("sample", 1)
    planes = dicodec.jpegls_info(dicodec.jpegls_encode(image((8, 8, 3), 8, 0), interleave="none"))
    assert (planes.interleave, planes.scans) == ("none", 3)


def test_signed_arrays_are_stored_as_twos_complement():
    img = image((16, 20), 12, 3).astype(np.int16) - 2048
    s = dicodec.jpegls_encode(img, bits_stored=12)
    got = charls(s, img.shape).astype(np.int32)
    assert np.array_equal(got, img.astype(np.int32) & 0xFFF)


@pytest.mark.parametrize(
    ("kwargs", "err"),
    [
        ({"bits_stored": 17}, InvalidArgumentError),
        ({"bits_stored": 1}, InvalidArgumentError),
        ({"near": 256}, InvalidArgumentError),
        ({"interleave": "planar"}, InvalidArgumentError),
        ({"restart_interval": -1}, InvalidArgumentError),
        ({"bits_stored": 4}, InvalidArgumentError),  # values do not fit 4 bits
        ({"near": 200}, MalformedError),  # NEAR above MAXVAL / 2 for 8 bits
    ],
)
def test_encode_argument_errors(kwargs, err):
    with pytest.raises(err):
        dicodec.jpegls_encode(image((8, 8), 8, 0), **kwargs)


def test_encode_refuses_other_arrays():
    with pytest.raises(dicodec.errors.InvalidArgumentTypeError):
        dicodec.jpegls_encode(np.zeros((4, 4), np.float32))
    with pytest.raises(InvalidArgumentError):
        dicodec.jpegls_encode(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(InvalidArgumentError):
        dicodec.jpegls_encode(np.zeros(4, np.uint8))


def test_out_contract():
    img = image((10, 12, 3), 10, 5)
    s = dicodec.jpegls_encode(img, bits_stored=10)
    out = np.zeros(img.shape, np.uint16)
    assert dicodec.jpegls_decode(s, out=out) is out
    assert np.array_equal(out, img)
    signed = np.zeros(img.shape, np.int16)
    assert np.array_equal(dicodec.jpegls_decode(s, out=signed), img)
    with pytest.raises(OutputArrayTypeError):
        dicodec.jpegls_decode(s, out=np.zeros(img.shape, np.uint8))
    with pytest.raises(OutputArrayTypeError):
        dicodec.jpegls_decode(s, out=np.zeros(img.shape, np.float16))
    with pytest.raises(OutputArrayTypeError):
        dicodec.jpegls_decode(s, out=bytearray(img.nbytes))  # type: ignore[arg-type]
    with pytest.raises(OutputArrayError):
        dicodec.jpegls_decode(s, out=np.zeros((10, 36), np.uint16))
    with pytest.raises(OutputArrayError):
        dicodec.jpegls_decode(s, out=np.zeros((10, 24, 3), np.uint16)[:, ::2])
    ro = np.zeros(img.shape, np.uint16)
    ro.flags.writeable = False
    with pytest.raises(OutputArrayError):
        dicodec.jpegls_decode(s, out=ro)
    assert issubclass(OutputArrayError, ValueError)


# ---- malformed streams ----


def test_malformed_streams_raise_dicodec_errors():
    s = dicodec.jpegls_encode(image((24, 24), 8, 2))
    for bad in (b"", b"\xff\xd8", s[:20], b"\x00" + s, s[:2] + b"\xff\xf7\x00\x03" + s[4:]):
        with pytest.raises(DicodecError):
            dicodec.jpegls_decode(bad)
        assert not dicodec.jpegls_check(bad)
    cut = s[: len(s) // 2]  # entropy-coded data ends early
    with pytest.raises(MalformedError):
        dicodec.jpegls_decode(cut)


def test_mapping_table_scans_are_refused_by_name():
    s = bytearray(dicodec.jpegls_encode(image((8, 8), 8, 2)))
    sos = bytes(s).find(b"\xff\xda")
    s[sos + 6] = 1  # table selector of the scan's component
    with pytest.raises(UnsupportedError, match="mapping table"):
        dicodec.jpegls_decode(bytes(s))


def test_mutated_streams_raise_or_decode():
    rng = np.random.default_rng(7)
    s = dicodec.jpegls_encode(image((20, 20, 3), 8, 4), near=2, restart_interval=5)
    for _ in range(200):
        b = bytearray(s)
        for _ in range(rng.integers(1, 6)):
            b[rng.integers(0, len(b))] = rng.integers(0, 256)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", JpegLsWarning)
            try:
                dicodec.jpegls_decode(bytes(b[: rng.integers(2, len(b) + 1)]))
            except DicodecError:
                pass


# ---- the shared corpus (T.87 Annex E set and CharLS's test streams) ----

#: stream -> (source image, NEAR) for the conformance and CharLS streams.
SOURCES = {
    "t8c0e0.jls": ("test8.ppm", 0),
    "t8c1e0.jls": ("test8.ppm", 0),
    "t8c2e0.jls": ("test8.ppm", 0),
    "t8c0e3.jls": ("test8.ppm", 3),
    "t8c1e3.jls": ("test8.ppm", 3),
    "t8c2e3.jls": ("test8.ppm", 3),
    "t8nde0.jls": ("test8bs2.pgm", 0),
    "t8nde3.jls": ("test8bs2.pgm", 3),
    "t16e0.jls": ("test16.pgm", 0),
    "t16e3.jls": ("test16.pgm", 3),
    "test16_rm_5.jls": ("test16.pgm", 0),
    "test8_ilv_line_rm_7.jls": ("test8.ppm", 0),
    "test8_ilv_none_rm_7.jls": ("test8.ppm", 0),
    "test8_ilv_sample_rm_7.jls": ("test8.ppm", 0),
    "test8_ilv_sample_rm_300.jls": ("test8.ppm", 0),
    "tulips-gray-8bit-512-512-hp-encoder.jls": ("tulips-gray-8bit-512-512.pgm", 0),
    "banny.jls": ("banny.ppm", 0),
    "banny-hp1.jls": ("banny.ppm", 0),
    "banny-hp2.jls": ("banny.ppm", 0),
    "banny-hp3.jls": ("banny.ppm", 0),
}
MALFORMED = [
    "ff_in_entropy_data.jls",
    "fuzzy-input-bad-run-mode-golomb-code.jls",
    "fuzzy-input-no-valid-bits-at-the-end.jls",
    "fuzzy_input_golomb_16.jls",
    "land10-10bit-rgb-hp3-invalid.jls",
    "no_start_byte_after_encoded_scan.jls",
]


def corpus(name: str) -> bytes:
    p = CORPUS / name
    if not p.is_file():
        pytest.skip(f"shared corpus absent: {p}")
    return p.read_bytes()


def read_pnm(b: bytes) -> np.ndarray:
    """PGM/PPM (P5/P6, 8 or 16 bits big-endian) as an array."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while b[pos : pos + 1].isspace():
            pos += 1
        if b[pos : pos + 1] == b"#":
            pos = b.index(b"\n", pos)
            continue
        end = pos
        while not b[end : end + 1].isspace():
            end += 1
        fields.append(b[pos:end])
        pos = end
    magic, w, h, top = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    nc = 3 if magic == b"P6" else 1
    dt = ">u2" if top > 255 else "u1"
    a = np.frombuffer(b[pos + 1 :], dt, count=w * h * nc).astype(np.uint16)
    return a.reshape((h, w, nc) if nc > 1 else (h, w))


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_conformance_streams(name):
    stream = corpus(name)
    src_name, near = SOURCES[name]
    want = read_pnm(corpus(src_name))
    got = dicodec.jpegls_decode(stream)
    assert got.shape == want.shape
    err = np.abs(got.astype(np.int64) - want.astype(np.int64)).max()
    assert err <= near
    assert dicodec.jpegls_info(stream).near == near
    try:
        ref = charls(stream, got.shape)
    except Exception:  # CharLS refuses some (e.g. HP transforms at other bit depths)
        return
    assert np.array_equal(got, ref)


@pytest.mark.parametrize("name", MALFORMED)
def test_charls_malformed_streams(name):
    with pytest.raises(DicodecError):
        dicodec.jpegls_decode(corpus(name))


@pytest.mark.parametrize("name", ["t8sse0.jls", "t8sse3.jls"])
def test_subsampled_streams_are_refused_by_name(name):
    with pytest.raises(UnsupportedError, match="subsampled"):
        dicodec.jpegls_decode(corpus(name))


# ---- tolerated oddities (crafted from clean streams; the reference is the source) ----


def _decode_warned(stream: bytes) -> tuple[np.ndarray, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        arr = dicodec.jpegls_decode(stream)
    msgs = [str(w.message) for w in caught if issubclass(w.category, JpegLsWarning)]
    return arr, msgs


def test_tolerated_oddities():
    img = image((30, 26, 3), 8, 6)
    s = dicodec.jpegls_encode(img, restart_interval=10)
    assert s.endswith(b"\xff\xd9")
    body = s[:-2]
    sos = s.find(b"\xff\xda")
    cases = {
        # (stream, a warning expected)
        "no EOI": (body, True),
        "padding after EOI": (s + b"\x00" * 7, False),
        "garbage after EOI": (s + b"\x12\x34\xff", False),
        # WG04's MR1_JLSL: one 0x00 between the scan data and EOI (CharLS #437)
        "a 0x00 between the scan and EOI": (body + b"\x00" + s[-2:], False),
        "fill bytes before EOI": (body + b"\xff\xff" + s[-2:], False),
        "garbage before a marker": (s[:sos] + b"\x00\x00\x00" + s[sos:], True),
        "fill bytes before a marker": (s[:sos] + b"\xff\xff" + s[sos:], False),
        "COM and APP segments": (s[:2] + b"\xff\xfe\x00\x04hi\xff\xe3\x00\x02" + s[2:], False),
    }
    for name, (stream, warned) in cases.items():
        got, msgs = _decode_warned(stream)
        assert np.array_equal(got, img), name
        assert bool(msgs) == warned, (name, msgs)


def test_legacy_threshold_option_is_forwarded():
    # A standard stream decoded with forced legacy thresholds (16 bits: JAI's)
    # is not the image; forced standard thresholds and the default are.
    img = image((24, 24), 16, 8)
    s = dicodec.jpegls_encode(img)
    assert np.array_equal(dicodec.jpegls_decode(s, legacy_thresholds=False), img)
    try:
        forced = dicodec.jpegls_decode(s, legacy_thresholds=True)
    except DicodecError:
        return
    assert not np.array_equal(forced, img)
