"""pydicom plugin: JPEG-LS Lossless / Near-Lossless encoding through
``ds.compress(..., encoding_plugin="dicodec")`` and pydicom's encoders, as
pydicom's own pyjpegls tests exercise them (arrays and buffers, Bits Stored
2-16, signed, 1 and 3 samples, planar configuration, ``jls_error``). The
streams are decoded by CharLS (imagecodecs) and, through pydicom, by
pylibjpeg-libjpeg where installed."""

from __future__ import annotations

import importlib.util
import io

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")
imagecodecs = pytest.importorskip("imagecodecs")

from pydicom import examples  # noqa: E402
from pydicom.encaps import encapsulate  # noqa: E402
from pydicom.pixels.decoders import JPEGLSLosslessDecoder  # noqa: E402
from pydicom.pixels.encoders import (  # noqa: E402
    JPEGLSLosslessEncoder,
    JPEGLSNearLosslessEncoder,
)
from pydicom.uid import JPEGLSLossless, JPEGLSNearLossless  # noqa: E402

import dicodec.pydicom_plugin  # noqa: E402

HAVE_PYLJ = importlib.util.find_spec("libjpeg") is not None


@pytest.fixture(autouse=True, scope="module")
def _registered():
    dicodec.pydicom_plugin.register(prefer=False)
    yield
    dicodec.pydicom_plugin.unregister()


def opts(shape: tuple[int, ...], bits_allocated: int, bits_stored: int, signed: bool) -> dict:
    return {
        "rows": shape[0],
        "columns": shape[1],
        "samples_per_pixel": shape[2] if len(shape) == 3 else 1,
        "photometric_interpretation": "RGB" if len(shape) == 3 else "MONOCHROME2",
        "pixel_representation": int(signed),
        "number_of_frames": 1,
        "bits_allocated": bits_allocated,
        "bits_stored": bits_stored,
        "planar_configuration": 0,
    }


def ref_image(shape: tuple[int, ...], bits: int, signed: bool, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    top = (1 << bits) - 1
    img = (x + 2 * y) * top // (shape[1] + 2 * shape[0]) + rng.integers(0, 3, size=shape[:2])
    if len(shape) == 3:
        img = np.stack([np.roll(img, c, axis=0) for c in range(shape[2])], axis=-1)
    img = np.clip(img, 0, top)
    if signed:
        img = img - (1 << (bits - 1))
    kind = "i" if signed else "u"
    return img.astype(f"{kind}{1 if bits <= 8 else 2}")


def charls_values(cs: bytes, shape: tuple[int, ...], bits: int, signed: bool) -> np.ndarray:
    """CharLS's decode, read as `bits`-bit two's complement when signed."""
    v = np.asarray(imagecodecs.jpegls_decode(cs)).reshape(shape).astype(np.int64)
    if signed:
        v = np.where(v >= 1 << (bits - 1), v - (1 << bits), v)
    return v


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("bits_stored", [2, 5, 6, 7, 8, 9, 12, 15, 16])
@pytest.mark.parametrize("spp", [1, 3])
def test_lossless_arrays(bits_stored, signed, spp):
    if signed and spp == 3:
        pytest.skip("pydicom allows signed JPEG-LS for one sample per pixel only")
    shape = (23, 31, 3) if spp == 3 else (23, 31)
    ref = ref_image(shape, bits_stored, signed, bits_stored)
    ba = 8 if bits_stored <= 8 else 16
    o = opts(shape, ba, bits_stored, signed)
    cs = JPEGLSLosslessEncoder.encode(ref, encoding_plugin="dicodec", **o)
    info = dicodec.jpegls_info(cs)
    assert (info.precision, info.near) == (bits_stored, 0)
    assert info.interleave == ("sample" if spp == 3 else "none")
    assert np.array_equal(charls_values(cs, shape, bits_stored, signed), ref)
    if HAVE_PYLJ:
        out, _ = JPEGLSLosslessDecoder.as_array(encapsulate([cs]), decoding_plugin="pylibjpeg", **o)
        assert np.array_equal(out, ref)


@pytest.mark.parametrize("planar", [0, 1])
@pytest.mark.parametrize("bits_stored", [8, 12])
def test_lossless_buffers(bits_stored, planar):
    shape = (16, 20, 3)
    ref = ref_image(shape, bits_stored, False, 3)
    ba = 8 if bits_stored <= 8 else 16
    o = opts(shape, ba, bits_stored, False)
    o["planar_configuration"] = planar
    buffer = (ref.transpose(2, 0, 1) if planar else ref).tobytes()
    cs = JPEGLSLosslessEncoder.encode(buffer, encoding_plugin="dicodec", **o)
    assert dicodec.jpegls_info(cs).interleave == ("none" if planar else "sample")
    assert np.array_equal(charls_values(cs, shape, bits_stored, False), ref)


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize(("bits_stored", "error"), [(8, 1), (8, 3), (12, 2), (16, 5)])
def test_near_lossless_honours_jls_error(bits_stored, error, signed):
    shape = (21, 19)
    ref = ref_image(shape, bits_stored, signed, 9)
    if signed:  # pydicom's limit for lossy signed data
        lim = (1 << (bits_stored - 1)) - error - 1
        ref = np.clip(ref, -lim, lim).astype(ref.dtype)
    o = opts(shape, 8 if bits_stored <= 8 else 16, bits_stored, signed)
    cs = JPEGLSNearLosslessEncoder.encode(ref, encoding_plugin="dicodec", jls_error=error, **o)
    assert dicodec.jpegls_info(cs).near == error
    got = charls_values(cs, shape, bits_stored, signed)
    assert np.abs(got - ref.astype(np.int64)).max() <= error
    assert np.array_equal(dicodec.jpegls_decode(cs), np.asarray(imagecodecs.jpegls_decode(cs)))


def test_jls_error_with_lossless_is_refused():
    ref = ref_image((8, 8), 8, False, 0)
    with pytest.raises(RuntimeError, match="did you mean to use 'JPEG-LS Near Lossless'"):
        JPEGLSLosslessEncoder.encode(
            ref, encoding_plugin="dicodec", jls_error=3, **opts((8, 8), 8, 8, False)
        )


def _saved(ds) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def test_dataset_compress():
    """Decoded by pydicom's own JPEG-LS decoders (dicodec is no decoder
    plugin here) and by dicodec.read_pixels from the saved file."""
    ds = examples.ct
    ref = ds.pixel_array.copy()
    ds.compress(JPEGLSLossless, encoding_plugin="dicodec")
    assert ds.file_meta.TransferSyntaxUID == JPEGLSLossless
    assert np.array_equal(ds.pixel_array, ref)
    assert np.array_equal(dicodec.read_pixels(_saved(ds)), ref)
    ds = examples.rgb_color
    ref = ds.pixel_array.copy()
    ds.compress(JPEGLSNearLossless, encoding_plugin="dicodec", jls_error=2)
    assert ds.file_meta.TransferSyntaxUID == JPEGLSNearLossless
    got = ds.pixel_array
    assert 0 < np.abs(got.astype(np.int64) - ref).max() <= 2
    assert np.array_equal(dicodec.read_pixels(_saved(ds)), got)
