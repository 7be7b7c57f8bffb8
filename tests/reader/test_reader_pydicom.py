"""read_pixels against pydicom itself on pydicom's bundled test files:
``pydicom.pixels.pixel_array(path, raw=True)`` (or, where pydicom cannot read
from the path, ``pixel_array(dcmread(path, force=True), raw=True)``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import dicodec
from dicodec import DicodecError, UnsupportedError, pydicom_plugin

pydicom = pytest.importorskip("pydicom")
from pydicom.pixels import pixel_array  # noqa: E402

ROOT = Path(pydicom.data.__file__).parent / "test_files"
SKIP_SUFFIXES = {".txt", ".json", ".icc", ".dump", ".gz", ".py"}
FILES = sorted(p for p in ROOT.rglob("*") if p.is_file() and p.suffix.lower() not in SKIP_SUFFIXES)
#: Syntaxes dicodec decodes (an UnsupportedError there is a failure).
CODEC_SYNTAXES = set(pydicom_plugin.DECODER_DEPENDENCIES)
#: Lossy JPEG (baseline, extended, progressive): decoders legitimately differ by 1.
LOSSY_JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.55"}


def _syntax(path: Path) -> str | None:
    try:
        meta = pydicom.filereader.read_file_meta_info(path)
        return str(meta.get("TransferSyntaxUID", "")) or None
    except Exception:
        return None


def _param(path: Path):
    return pytest.param(path, id=str(path.relative_to(ROOT)))


def _reference(path: Path) -> np.ndarray | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pixel_array(path, raw=True)
        except Exception:
            pass
        try:
            return pixel_array(pydicom.dcmread(path, force=True), raw=True)
        except Exception:
            return None


def _same(ref: np.ndarray, got: np.ndarray) -> None:
    # pydicom keeps big endian data big endian ('>i2'); dicodec returns the
    # same values in native byte order.
    ref = ref.astype(ref.dtype.newbyteorder("="))
    assert got.dtype == ref.dtype
    assert got.shape == ref.shape
    assert got.flags.c_contiguous and got.flags.writeable
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("path", [_param(p) for p in FILES])
def test_bundled_file(path: Path):
    ref = _reference(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dicodec.DicodecWarning)
        if ref is None and _syntax(path) in LOSSY_JPEG:
            # pydicom has no 12-bit JPEG decoder that accepts this stream
            # (libjpeg 6b rejects it): libjpeg-turbo is the reference.
            imagecodecs = pytest.importorskip("imagecodecs")
            ds = pydicom.dcmread(path)
            frames = pydicom.encaps.generate_frames(
                ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1) or 1)
            )
            turbo = np.stack([imagecodecs.jpeg8_decode(f) for f in frames]).squeeze()
            np.testing.assert_array_equal(dicodec.read_pixels(path), turbo)
            return
        if ref is None:
            # pydicom cannot decode it at all: neither can we, but cleanly.
            with pytest.raises(DicodecError):
                dicodec.read_pixels(path)
            return
        try:
            got = dicodec.read_pixels(path)
        except UnsupportedError as exc:
            info = dicodec.frame_info(path)
            if info.transfer_syntax_uid in CODEC_SYNTAXES:
                raise
            # Another codec (JPEG DCT, JPEG-LS, JPEG 2000…): named, and its
            # frames are found anyway.
            assert info.transfer_syntax_uid in str(exc)
            assert len(info.frame_ranges) == info.frames
            return
    if _syntax(path) in LOSSY_JPEG:
        # pydicom's default JPEG decoders use other IDCTs (libjpeg 6b through
        # pylibjpeg...): within 1 of dicodec, which equals libjpeg-turbo
        # bit for bit (tests/codecs/test_jpeg_dct.py).
        ref = ref.astype(ref.dtype.newbyteorder("="))
        assert (got.dtype, got.shape) == (ref.dtype, ref.shape)
        assert np.abs(got.astype(np.int32) - ref.astype(np.int32)).max() <= 1
        return
    _same(ref, got)


def _decodable_native(p: Path) -> bool:
    uid = _syntax(p)
    return uid in {
        "1.2.840.10008.1.2",
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.2",
        "1.2.840.10008.1.2.1.99",
    } and (_reference(p) is not None)


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=str(p.relative_to(ROOT))) for p in FILES if _decodable_native(p)]
)
def test_bundled_native_from_dataset_and_frames(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
        ref = pixel_array(ds, raw=True)
        _same(ref, dicodec.read_pixels(ds))
        n = dicodec.frame_info(path).frames
        # Each frame alone is pydicom's frame `index`.
        for i in {0, n - 1}:
            _same(pixel_array(ds, index=i, raw=True), dicodec.read_pixels(path, frames=i))
