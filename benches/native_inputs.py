"""Multi-frame native benchmark inputs, built by tiling frames of real images
(pydicom's bundled test files) into new data sets written with pydicom.

Files go to ``$DICODEC_BENCH_CACHE`` (default: the user cache dir, e.g.
``~/.cache/dicodec/bench_native``), are built once and reused; nothing here is
committed. Every frame differs (rolled by its index) so no reader can dedupe.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, generate_uid

MB = 1 << 20


def cache_dir() -> Path:
    env = os.environ.get("DICODEC_BENCH_CACHE")
    if env:
        d = Path(env)
    else:
        import platformdirs

        d = Path(platformdirs.user_cache_dir("dicodec")) / "bench_native"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _source(name: str) -> Dataset:
    path = get_testdata_file(name)
    if path is None:
        raise FileNotFoundError(f"pydicom test file {name} not found")
    return pydicom.dcmread(path)


def _tile(img: np.ndarray, rows: int, cols: int) -> np.ndarray:
    reps = (-(-rows // img.shape[0]), -(-cols // img.shape[1])) + (1,) * (img.ndim - 2)
    return np.tile(img, reps)[:rows, :cols]


def _frames(img: np.ndarray, n: int) -> np.ndarray:
    return np.stack([np.roll(img, 7 * k, axis=1) for k in range(n)])


def _write(
    path: Path, template: Dataset, frames: np.ndarray, raw: bytes, big: bool, **attrs
) -> None:
    ds = Dataset()
    ds.SOPClassUID = template.get("SOPClassUID", "1.2.840.10008.5.1.4.1.1.7")
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = template.get("Modality", "OT")
    ds.Rows, ds.Columns = frames.shape[1], frames.shape[2]
    ds.NumberOfFrames = frames.shape[0]
    for k, v in attrs.items():
        setattr(ds, k, v)
    vr = "OB" if ds.BitsAllocated <= 8 else "OW"
    ds.add_new(0x7FE00010, vr, raw + b"\x00" * (len(raw) % 2))
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRBigEndian if big else ExplicitVRLittleEndian
    ds.file_meta = meta
    tmp = path.with_suffix(".tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(tmp, enforce_file_format=True)
    tmp.replace(path)


def _mono(src: str, rows: int, cols: int, n: int, big: bool, path: Path) -> None:
    ds = _source(src)
    img = ds.pixel_array
    img = _tile(img, rows, cols)
    frames = _frames(img, n)
    dt = frames.dtype.newbyteorder(">" if big else "<")
    _write(
        path,
        ds,
        frames,
        frames.astype(dt).tobytes(),
        big,
        SamplesPerPixel=1,
        PhotometricInterpretation="MONOCHROME2",
        BitsAllocated=ds.BitsAllocated,
        BitsStored=ds.BitsStored,
        HighBit=ds.HighBit,
        PixelRepresentation=ds.PixelRepresentation,
    )


def _rgb(planar: int, n: int, path: Path) -> None:
    ds = _source("examples_rgb_color.dcm")
    frames = _frames(ds.pixel_array, n)
    stored = frames.transpose(0, 3, 1, 2) if planar else frames
    _write(
        path,
        ds,
        frames,
        np.ascontiguousarray(stored).tobytes(),
        False,
        SamplesPerPixel=3,
        PhotometricInterpretation="RGB",
        PlanarConfiguration=planar,
        BitsAllocated=8,
        BitsStored=8,
        HighBit=7,
        PixelRepresentation=0,
    )


def _seg(rows: int, cols: int, n: int, path: Path) -> None:
    ds = _source("liver_1frame.dcm")
    img = _tile(ds.pixel_array, rows, cols)
    frames = _frames(img, n)
    raw = np.packbits(frames.ravel(), bitorder="little").tobytes()
    _write(
        path,
        ds,
        frames,
        raw,
        False,
        SamplesPerPixel=1,
        PhotometricInterpretation="MONOCHROME2",
        BitsAllocated=1,
        BitsStored=1,
        HighBit=0,
        PixelRepresentation=0,
    )


@dataclass(frozen=True)
class Input:
    name: str
    what: str
    build: Callable[[Path], None]

    def path(self) -> Path:
        p = cache_dir() / f"{self.name}.dcm"
        if not p.exists():
            self.build(p)
        return p


INPUTS = [
    Input(
        "ct16_le",
        "CT 16-bit signed, 512x512 x 96 frames (CT_small tiled), 48 MiB",
        lambda p: _mono("CT_small.dcm", 512, 512, 96, False, p),
    ),
    Input(
        "mr12_le",
        "12 of 16 bits, 300x484 x 90 frames (examples_overlay), 25 MiB",
        lambda p: _mono("examples_overlay.dcm", 300, 484, 90, False, p),
    ),
    Input(
        "rgb8_le",
        "RGB 8-bit colour-by-pixel, 240x320 x 110 frames (examples_rgb_color), 24 MiB",
        lambda p: _rgb(0, 110, p),
    ),
    Input(
        "rgb8_planar",
        "RGB 8-bit colour-by-plane, 240x320 x 110 frames, 24 MiB",
        lambda p: _rgb(1, 110, p),
    ),
    Input(
        "seg1_le",
        "1-bit segmentation, 512x512 x 640 frames (liver_1frame), 20 MiB file, 160 MiB out",
        lambda p: _seg(512, 512, 640, p),
    ),
    Input(
        "seg1_small",
        "1-bit segmentation, 511x511 x 96 frames (not byte-aligned), 3 MiB file, 24 MiB out",
        lambda p: _seg(511, 511, 96, p),
    ),
    Input(
        "mr16_be",
        "16-bit signed big endian, 512x512 x 48 frames (MR_small_bigendian tiled), 24 MiB",
        lambda p: _mono("MR_small_bigendian.dcm", 512, 512, 48, True, p),
    ),
]
BY_NAME = {i.name: i for i in INPUTS}


def dicomsdl_read_all(path: Path) -> np.ndarray:
    """All frames with dicomsdl (stored values), one ``copyFrameData`` per
    frame into one array. Colour-by-plane data stays planar (dicomsdl's own
    layout): it does less work there than dicodec and pydicom."""
    import dicomsdl

    ds = dicomsdl.open(str(path))
    info = ds.getPixelDataInfo()
    n, rows, cols = info["NumberOfFrames"], info["Rows"], info["Cols"]
    if info["SamplesPerPixel"] > 1:
        planar = info["PlanarConfiguration"] == "RRRGGGBBB"
        frame = (3, rows, cols) if planar else (rows, cols, 3)
    else:
        frame = (rows, cols)
    out = np.empty((n, *frame), dtype=info["dtype"])
    for i in range(n):
        ds.copyFrameData(i, out[i])
    return out
