"""The JPEG 2000 lossless encoder (core, through the registry): streams
decoded bit-exact by imagecodecs' OpenJPEG and by dicodec's decoder over bit
depths, signedness, colour with and without the colour transform, sizes;
their size compared with imagecodecs' own OpenJPEG lossless encoding (same
library, same settings: 6 resolutions, 64 x 64 code-blocks, LRCP)."""

from __future__ import annotations

import numpy as np
import pytest

import dicodec
from dicodec import _native, uids
from dicodec.errors import InvalidArgumentError

ic = pytest.importorskip("imagecodecs")


def _image(rows: int, cols: int, spp: int, bits: int, signed: bool, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    base = (np.sin(x / 9.0) + np.cos(y / 13.0) + 2) / 4 * (2**bits - 1)
    noise = rng.integers(0, 2 ** max(1, bits // 3), size=(rows, cols))
    img = (base + noise).clip(0, 2**bits - 1).astype(np.int64)
    if spp == 3:
        img = np.stack([img, np.roll(img, 5, axis=1), img[::-1]], axis=-1)
    if signed:
        img -= 2 ** (bits - 1)
    dtype = {(False, True): np.uint8, (True, True): np.int8}.get((signed, bits <= 8))
    if dtype is None:
        dtype = np.int16 if signed else np.uint16
    return img.astype(dtype)


def _encode(arr: np.ndarray, bits: int, pi: str, **kw) -> bytes:
    rows, cols = arr.shape[:2]
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    (stream,) = _native._encode_frames(
        uids.JPEG_2000_LOSSLESS,
        np.ascontiguousarray(arr).reshape(-1).view(np.uint8),
        1,
        rows,
        cols,
        spp,
        arr.dtype.itemsize * 8,
        bits,
        int(arr.dtype.kind == "i"),
        pi,
        codec="j2k" if kw else "default",
        **kw,
    )
    return stream


CASES = [
    (64, 80, 1, 8, False, "MONOCHROME2"),
    (64, 80, 1, 8, True, "MONOCHROME2"),
    (100, 37, 1, 12, False, "MONOCHROME2"),
    (100, 37, 1, 12, True, "MONOCHROME1"),
    (90, 128, 1, 16, False, "MONOCHROME2"),
    (90, 128, 1, 16, True, "MONOCHROME2"),
    (50, 61, 3, 8, False, "RGB"),
    (50, 61, 3, 8, False, "YBR_RCT"),
    (50, 61, 3, 16, False, "YBR_RCT"),
    (3, 5, 1, 10, False, "MONOCHROME2"),
]


@pytest.mark.parametrize("rows,cols,spp,bits,signed,pi", CASES)
def test_openjpeg_and_dicodec_decode_bit_exact(rows, cols, spp, bits, signed, pi):
    arr = _image(rows, cols, spp, bits, signed, rows * cols + bits)
    stream = _encode(arr, bits, pi)
    ref = ic.jpeg2k_decode(stream)
    np.testing.assert_array_equal(ref.astype(np.int64), arr.astype(np.int64))
    info = dicodec.j2k_info(stream)
    assert info["reversible"] and info["precision"] == bits and info["signed"] == signed
    assert info["mct"] == (pi == "YBR_RCT")
    np.testing.assert_array_equal(dicodec.j2k_decode(stream).astype(np.int64), arr)


@pytest.mark.parametrize("rows,cols,spp,bits,signed,pi", CASES[:-1])
def test_size_matches_imagecodecs_openjpeg(rows, cols, spp, bits, signed, pi):
    """imagecodecs' OpenJPEG lossless stream (same library; its default levels
    are fewer for small images: it keeps 8 samples in the lowest resolution)
    is no smaller than ours, and ours with its levels is its size."""
    arr = _image(rows, cols, spp, bits, signed, 7)
    ours = _encode(arr, bits, pi)
    kw = {"level": 0, "codecformat": "J2K", "reversible": True, "bitspersample": bits}
    theirs = ic.jpeg2k_encode(arr, mct=pi == "YBR_RCT", **kw)
    assert len(ours) <= len(theirs) + 16, (len(ours), len(theirs))
    same = _encode(arr, bits, pi, levels=dicodec.j2k_info(theirs)["levels"])
    assert abs(len(same) - len(theirs)) <= 16, (len(same), len(theirs))


def test_levels_and_code_block_options():
    arr = _image(70, 70, 1, 12, False, 3)
    s = _encode(arr, 12, "MONOCHROME2", levels=2, code_block=(32, 32))
    assert dicodec.j2k_info(s)["levels"] == 2
    np.testing.assert_array_equal(ic.jpeg2k_decode(s), arr)
    with pytest.raises(InvalidArgumentError, match="at most 6"):
        _encode(arr, 12, "MONOCHROME2", levels=7)
    with pytest.raises(InvalidArgumentError, match="code-block"):
        _encode(arr, 12, "MONOCHROME2", code_block=(128, 128))


def test_out_of_range_samples_are_refused():
    arr = np.array([[0, 4096]], dtype=np.uint16)
    with pytest.raises(InvalidArgumentError, match="outside 0..=4095"):
        _encode(arr, 12, "MONOCHROME2")


def test_openjpeg_prints_nothing(capfd):
    arr = _image(40, 40, 3, 8, False, 1)
    _encode(arr, 8, "YBR_RCT")
    _encode(arr, 8, "RGB", levels=0, code_block=(4, 1024 // 4))
    with pytest.raises(InvalidArgumentError):
        _encode(arr, 8, "RGB", levels=9)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.parametrize(
    ("shape", "dtype", "bits"),
    [((33, 47), "<u2", 12), ((20, 31), "<i2", 16), ((17, 19, 3), "u1", 8), ((9, 8), "<u4", 20)],
)
def test_public_j2k_encode_decodes_with_openjpeg(shape, dtype, bits):
    """dicodec.j2k_encode: lossless, decoded bit-exact by OpenJPEG (imagecodecs)
    and by dicodec.j2k_decode."""
    imagecodecs = pytest.importorskip("imagecodecs")
    import dicodec

    rng = np.random.default_rng(7)
    info = np.iinfo(np.dtype(dtype))
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if info.min < 0 else (0, (1 << bits) - 1)
    arr = rng.integers(lo, hi, shape, endpoint=True).astype(dtype)
    stream = dicodec.j2k_encode(arr, bits_stored=bits)
    np.testing.assert_array_equal(dicodec.j2k_decode(stream), arr)
    if arr.dtype.itemsize <= 2:
        np.testing.assert_array_equal(imagecodecs.jpeg2k_decode(stream), arr)
    assert dicodec.j2k_info(stream)["reversible"]


def test_public_j2k_encode_refuses_bad_input():
    import dicodec

    with pytest.raises(TypeError):
        dicodec.j2k_encode(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError):
        dicodec.j2k_encode(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(dicodec.DicodecError):
        dicodec.j2k_encode(np.full((4, 4), 300, np.uint16), bits_stored=8)
