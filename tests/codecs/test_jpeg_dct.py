"""DCT JPEG (.50/.51/.55) against libjpeg-turbo (imagecodecs.jpeg8_decode,
references built at test time): read_pixels on the corpus files, frame by
frame as pydicom returns them with raw=True (components as stored, YCbCr kept;
libjpeg converts only streams whose Adobe APP14 marker says transform 1), and
jpeg_decode / jpeg_info / jpeg_check on the core's fixtures."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from libjpeg_turbo_ref import turbo_frames

import dicodec
from conftest import corpus_params

imagecodecs = pytest.importorskip("imagecodecs")
pydicom = pytest.importorskip("pydicom")

FIXTURES = Path(__file__).resolve().parents[2] / "ext/core/tests/data/jpeg_dct"
DCT = ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.55")


@pytest.mark.parametrize(
    "row", corpus_params(lambda r: r["kind"] == "dicom" and r["transfer_syntax_uid"] in DCT)
)
def test_read_pixels_equals_libjpeg_turbo(row, corpus_dir):
    path = corpus_dir / row["file"]
    ref = turbo_frames(path)
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


def _restart_dataset(tmp_path: Path, mode: str, **kw) -> tuple[Path, np.ndarray]:
    """A one-frame .50 file of a 640 x 512 stream with restart intervals
    (Pillow's libjpeg-turbo), and libjpeg-turbo's decoding of it."""
    import io

    from PIL import Image
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate

    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:512, 0:640]
    nc = 1 if mode == "L" else 3
    planes = [(x * (k + 2) + y * 3) % 256 + rng.normal(0, 6, x.shape) for k in range(nc)]
    arr = np.clip(np.stack(planes, -1) if nc == 3 else planes[0], 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, "JPEG", quality=90, **kw)
    data = buf.getvalue()
    ref = imagecodecs.jpeg8_decode(data, outcolorspace="YCbCr" if nc == 3 else None)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = pydicom.uid.SecondaryCaptureImageStorage
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.set_pixel_data(arr, "RGB" if nc == 3 else "MONOCHROME2", 8)
    if nc == 3:
        ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.file_meta.TransferSyntaxUID = pydicom.uid.JPEGBaseline8Bit
    ds.PixelData = encapsulate([data])
    path = tmp_path / "rst.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path, ref


@pytest.mark.parametrize(
    "mode,kw",
    [
        ("L", dict(restart_marker_rows=3)),
        ("L", dict(restart_marker_blocks=50)),
        ("RGB", dict(subsampling=1, restart_marker_blocks=7)),
        ("RGB", dict(subsampling=2, restart_marker_rows=1)),
    ],
)
def test_restart_intervals_in_parallel_equal_libjpeg_turbo(tmp_path, mode, kw):
    """A large frame with restart intervals decodes the same on one thread
    and on several (intervals and output rows in parallel)."""
    path, ref = _restart_dataset(tmp_path, mode, **kw)
    for threads in (1, 2, 4, None):
        arr = dicodec.read_pixels(path, threads=threads)
        assert np.array_equal(arr, ref), threads
