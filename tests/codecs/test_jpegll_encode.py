"""JPEG Lossless encoder: streams decode bit-exact with independent decoders
(libjpeg-turbo through imagecodecs, pylibjpeg-libjpeg, GDCM through pydicom)
and with dicodec's own decoder, over predictors, precisions, signedness,
components and restart intervals; sizes against libjpeg-turbo's encoder."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import dicodec
from dicodec.uids import EXPLICIT_VR_LITTLE_ENDIAN

imagecodecs = pytest.importorskip("imagecodecs")
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "dev"


def _image(shape: tuple[int, ...], bits: int, seed: int, signed: bool = False) -> np.ndarray:
    """Smooth gradients, edges and noise: what medical images look like to a predictor."""
    rng = np.random.default_rng(seed)
    rows, cols = shape[:2]
    y, x = np.mgrid[0:rows, 0:cols]
    base = (x * 7 + y * 3) * ((1 << bits) - 1) // (cols * 7 + rows * 3)
    if len(shape) == 3:
        base = np.stack([np.roll(base, 5 * c, axis=1) for c in range(shape[2])], axis=-1)
    noise = rng.integers(0, 8, size=shape)
    img = np.clip(base + noise, 0, (1 << bits) - 1)
    img[rows // 3 : rows // 2, cols // 4 : cols // 2] = rng.integers(
        0, 1 << bits, size=img[rows // 3 : rows // 2, cols // 4 : cols // 2].shape
    )
    if signed:
        img = img - (1 << (bits - 1))
        dtype = np.int8 if bits <= 8 else np.int16
    else:
        dtype = np.uint8 if bits <= 8 else np.uint16
    return img.astype(dtype)


def _turbo(stream: bytes) -> np.ndarray:
    return imagecodecs.jpeg8_decode(stream)


def _as_unsigned_bits(arr: np.ndarray, bits: int) -> np.ndarray:
    """What a JPEG decoder returns for `arr`: its bit patterns in `bits` bits."""
    u = arr.view(np.uint8 if arr.dtype.itemsize == 1 else np.uint16)
    return u & ((1 << bits) - 1)


@pytest.mark.parametrize("predictor", range(1, 8))
@pytest.mark.parametrize(
    "shape,bits,signed",
    [
        ((61, 53), 16, False),
        ((61, 53), 12, False),
        ((61, 53), 12, True),
        ((40, 33), 8, False),
        ((40, 33, 3), 8, False),
        ((24, 17, 3), 16, False),
        ((30, 20), 2, False),
    ],
)
def test_decodes_exactly_with_libjpeg_turbo_and_dicodec(predictor, shape, bits, signed):
    arr = _image(shape, bits, seed=predictor * 31 + bits, signed=signed)
    stream = dicodec.jpegll_encode(arr, predictor=predictor, bits_stored=bits)
    info = dicodec.jpegll_info(stream)
    assert (info.precision, info.predictor, info.shape) == (bits, predictor, arr.shape)
    expected = _as_unsigned_bits(arr, bits)
    np.testing.assert_array_equal(_turbo(stream), expected)
    np.testing.assert_array_equal(dicodec.jpegll_decode(stream), expected)


@pytest.mark.parametrize("optimise", [True, False])
@pytest.mark.parametrize("rows_per_interval", [1, 4, 7])
def test_restart_intervals(optimise, rows_per_interval):
    arr = _image((50, 48), 16, seed=rows_per_interval)
    stream = dicodec.jpegll_encode(
        arr, predictor=7, restart_interval=48 * rows_per_interval, optimise=optimise
    )
    assert dicodec.jpegll_info(stream).restart_interval == 48 * rows_per_interval
    np.testing.assert_array_equal(_turbo(stream), arr)
    np.testing.assert_array_equal(dicodec.jpegll_decode(stream), arr)


def test_pylibjpeg_libjpeg_decodes_it():
    libjpeg = pytest.importorskip("libjpeg")
    for arr in (_image((64, 70), 16, 1), _image((32, 30, 3), 8, 2), _image((33, 31), 12, 3)):
        stream = dicodec.jpegll_encode(arr)
        np.testing.assert_array_equal(libjpeg.decode(stream), arr)


def test_gdcm_decodes_it_in_a_dicom_file(tmp_path):
    pydicom = pytest.importorskip("pydicom")
    pytest.importorskip("gdcm")
    from pydicom.encaps import encapsulate
    from pydicom.pixels import pixel_array
    from pydicom.uid import JPEGLosslessSV1

    ds = pydicom.dcmread(pydicom.data.get_testdata_file("CT_small.dcm"))
    frame = ds.pixel_array
    ds.PixelData = encapsulate([dicodec.jpegll_encode(frame, bits_stored=ds.BitsStored)])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
    path = tmp_path / "ct_jpll.dcm"
    ds.save_as(path, enforce_file_format=True)
    np.testing.assert_array_equal(pixel_array(str(path), decoding_plugin="gdcm"), frame)
    np.testing.assert_array_equal(dicodec.read_pixels(str(path)), frame)


def _native_corpus_frames(limit: int = 8):
    manifest = CORPUS / "MANIFEST.csv"
    if not manifest.is_file():
        pytest.skip(f"shared corpus absent: {CORPUS}")
    picked = []
    with open(manifest, newline="") as f:
        for row in csv.DictReader(f):
            if (
                row["transfer_syntax_uid"] == EXPLICIT_VR_LITTLE_ENDIAN
                and row["ref_sha256"]
                and row["bits_allocated"] in ("8", "16")
                and row["samples_per_pixel"] in ("1", "3")
                and int(row["size"] or 0) < 4_000_000
            ):
                picked.append(row)
    return picked[:limit]


def test_real_images_round_trip_and_are_no_larger_than_libjpeg_turbo():
    rows = _native_corpus_frames()
    assert rows
    for row in rows:
        arr = dicodec.read_pixels(str(CORPUS / row["file"]))
        frame = arr if int(row["frames"] or 1) == 1 else arr[0]
        bits = int(row["bits_stored"])
        if frame.dtype.kind == "i":
            bits = frame.dtype.itemsize * 8  # stored values may use the full container
        elif bits < frame.dtype.itemsize * 8 and int(frame.max()) >= 1 << bits:
            bits = frame.dtype.itemsize * 8
        ours = dicodec.jpegll_encode(frame, bits_stored=bits)
        np.testing.assert_array_equal(_turbo(ours), _as_unsigned_bits(frame, bits), row["file"])
        if frame.dtype.kind == "u":
            theirs = imagecodecs.jpeg8_encode(
                frame, lossless=True, predictor=1, bitspersample=bits, optimize=True
            )
            assert len(ours) <= len(theirs) * 1.005, (row["file"], len(ours), len(theirs))


def test_caller_mistakes_are_dicodec_errors():
    good = np.zeros((4, 4), np.uint16)
    with pytest.raises(dicodec.DicodecError):
        dicodec.jpegll_encode(good, predictor=0)
    with pytest.raises(dicodec.DicodecError):
        dicodec.jpegll_encode(good, predictor=8)
    with pytest.raises(dicodec.DicodecError):
        dicodec.jpegll_encode(good, restart_interval=3)  # not whole rows
    with pytest.raises(dicodec.DicodecError):
        dicodec.jpegll_encode(np.zeros((4, 4), np.float32))
    with pytest.raises(dicodec.DicodecError):
        dicodec.jpegll_encode(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(dicodec.DicodecError, match="do not fit"):
        dicodec.jpegll_encode(np.full((4, 4), 5000, np.uint16), bits_stored=12)
    with pytest.raises(dicodec.DicodecError):
        dicodec.jpegll_encode(np.zeros((0, 4), np.uint16))
