"""DCT JPEG (.50/.51/.55) against libjpeg-turbo (imagecodecs.jpeg8_decode,
references built at test time): read_pixels on the corpus files, frame by
frame as pydicom returns them with raw=True (components as stored, YCbCr kept;
libjpeg converts only streams whose Adobe APP14 marker says transform 1), and
jpeg_decode / jpeg_info / jpeg_check on the core's fixtures."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import dicodec
from conftest import corpus_params

imagecodecs = pytest.importorskip("imagecodecs")
pydicom = pytest.importorskip("pydicom")

FIXTURES = Path(__file__).resolve().parents[2] / "ext/core/tests/data/jpeg_dct"
DCT = ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.55")


def _reference(path: Path) -> np.ndarray | None:
    from pydicom.encaps import generate_frames

    ds = pydicom.dcmread(path)
    n = int(getattr(ds, "NumberOfFrames", 1) or 1)
    frames = []
    for fr in generate_frames(ds.PixelData, number_of_frames=n):
        keep = ds.SamplesPerPixel == 3 and not re.search(rb"\xff\xee..Adobe", fr[:4096], re.S)
        try:
            a = imagecodecs.jpeg8_decode(fr, outcolorspace="YCbCr" if keep else None)
        except Exception:
            return None
        if a.shape[:2] != (ds.Rows, ds.Columns):
            return None
        frames.append(a.astype(np.uint16) if ds.BitsAllocated == 16 else a)
    return np.stack(frames) if n > 1 else frames[0]


@pytest.mark.parametrize(
    "row", corpus_params(lambda r: r["kind"] == "dicom" and r["transfer_syntax_uid"] in DCT)
)
def test_read_pixels_equals_libjpeg_turbo(row, corpus_dir):
    path = corpus_dir / row["file"]
    ref = _reference(path)
    if ref is None:
        # libjpeg-turbo cannot decode it either (or a frame has another size).
        with pytest.raises(dicodec.DicodecError):
            dicodec.read_pixels(path)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dicodec.DicodecWarning)
        arr = dicodec.read_pixels(path)
    assert arr.shape == ref.shape
    assert np.array_equal(arr, ref)


def _fixtures():
    return sorted(FIXTURES.glob("*.jpg"))


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_jpeg_decode_equals_libjpeg_turbo(path):
    data = path.read_bytes()
    info = dicodec.jpeg_info(data)
    assert dicodec.jpeg_check(data)
    for colour in ("keep", "rgb"):
        ref = path.with_name(f"{path.stem}.{colour}.raw")
        if not ref.exists():
            continue
        arr = dicodec.jpeg_decode(data, colour=colour)
        assert arr.shape == info.shape and arr.dtype == info.dtype
        assert arr.astype(arr.dtype.newbyteorder("<")).tobytes() == ref.read_bytes()
        # And live against imagecodecs.
        want = imagecodecs.jpeg8_decode(
            data, outcolorspace="YCbCr" if colour == "keep" and arr.ndim == 3 else None
        )
        assert np.array_equal(arr, want)


def test_out_and_errors():
    data = (FIXTURES / "grey12_q90.jpg").read_bytes()
    out = np.zeros((29, 37), np.uint16)
    assert dicodec.jpeg_decode(data, out=out) is out
    assert np.array_equal(out, imagecodecs.jpeg8_decode(data))
    with pytest.raises(ValueError):
        dicodec.jpeg_decode(data, colour="cmyk")
    assert not dicodec.jpeg_check(b"not a jpeg")
    with pytest.raises(dicodec.DicodecError):
        dicodec.jpeg_decode(data[:20])
    cut = data[: len(data) // 2]
    with pytest.warns(dicodec.JpegWarning):
        arr = dicodec.jpeg_decode(cut)
    assert arr.shape == (29, 37)
