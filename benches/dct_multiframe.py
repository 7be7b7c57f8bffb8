"""Multi-frame DCT JPEG inputs for the whole-file two-thread benchmark
(``benches/j2k_threads.py --files ct12-jpeg12-turbo,xa8-jpeg8-turbo``).

The standard benchmark set holds only one multi-frame DCT file (the 8-frame
320x240 ultrasound, small frames). These two are built from real multi-frame
files of the shared corpus, encoded by libjpeg-turbo
(``imagecodecs.jpeg8_encode``, q90, one stream per frame) and encapsulated with
pydicom's ``encapsulate`` (a basic offset table):

* ``ct12-jpeg12-turbo``: the two 512x512 CT frames of
  ``dicomparser__encapsulated_multi-frame_CT0012...jpeg_lossless.70.dcm``
  (16-bit stored, values clipped to 0..4095), extended 12-bit (.51);
* ``xa8-jpeg8-turbo``: the twelve 512x512 8-bit XA frames of
  ``jpegllj__jpeg_lossless_sel1-8bit.dcm``, baseline (.50).

Real frames are repeated in order up to ``FRAMES`` (as the standard set does).

Measured 2026-12-07 (``j2k_threads.py --files ct12-jpeg12-turbo,xa8-jpeg8-turbo
--peers imagecodecs.jpeg8 --rounds 7``, load 8 on 2 shared cores, so wall-clock
is meaningless and process CPU time is the figure; libjpeg-turbo 3.1.3):
``read_pixels(threads=2)`` CPU-time ratio 1.37-1.55x (ct12) and 1.23-1.26x
(xa8) to imagecodecs one frame at a time, threads=1 1.38-1.61x / 1.26x. The
two-thread wall-clock goal (1.8x) needs a quiet machine to measure.
Files are written once to ``<bench cache>/dct-multiframe/``; the names match
the standard set's ``<image>-<encoding>`` so that ``j2k_threads.py`` can mix
them. Without the corpus (or pydicom/imagecodecs) there are none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"
FRAMES = 24
QUALITY = 90

#: name -> (corpus file, bits, transfer syntax UID, SOP class UID)
SOURCES: dict[str, tuple[str, int, str, str]] = {
    "ct12-jpeg12-turbo": (
        "dicomparser__encapsulated_multi-frame_CT0012.fragmented_no_bot_jpeg_lossless.70.dcm",
        12,
        "1.2.840.10008.1.2.4.51",
        "1.2.840.10008.5.1.4.1.1.2",  # CT Image Storage
    ),
    "xa8-jpeg8-turbo": (
        "jpegllj__jpeg_lossless_sel1-8bit.dcm",
        8,
        "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.5.1.4.1.1.12.1",  # X-Ray Angiographic Image Storage
    ),
}


def _frames(path: Path, bits: int) -> np.ndarray:
    import pydicom

    ds = pydicom.dcmread(path)
    a = ds.pixel_array
    if a.ndim == 2:
        a = a[np.newaxis]
    a = np.clip(a.astype(np.int64), 0, (1 << bits) - 1)
    a = a.astype(np.uint8 if bits == 8 else np.uint16)
    return np.ascontiguousarray(a[[i % len(a) for i in range(FRAMES)]])


def _write(path: Path, frames: np.ndarray, bits: int, ts: str, sop: str) -> None:
    import imagecodecs
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import generate_uid

    kw: dict[str, Any] = {"level": QUALITY}
    if bits > 8:
        kw["bitspersample"] = bits
    streams = [bytes(imagecodecs.jpeg8_encode(f, **kw)) for f in frames]
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = ts
    meta.MediaStorageSOPClassUID = sop
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT" if bits > 8 else "XA"
    ds.Rows, ds.Columns = frames.shape[1:3]
    ds.NumberOfFrames = len(frames)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 8 if bits == 8 else 16
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.PixelData = encapsulate(streams, has_bot=True)
    ds["PixelData"].VR = "OB"
    ds.set_original_encoding(False, True)
    tmp = path.with_suffix(".tmp")
    pydicom.dcmwrite(tmp, ds, enforce_file_format=True)
    tmp.replace(path)


def build(root: Path | None = None) -> dict[str, Path]:
    """The files (built when missing): ``name -> path``."""
    if root is None:
        from dicodec.bench.benchset import cache_root

        root = cache_root()
    out_dir = Path(root) / "dct-multiframe"
    out: dict[str, Path] = {}
    for name, (src, bits, ts, sop) in SOURCES.items():
        if not (CORPUS / src).is_file():
            continue
        path = out_dir / f"{name}.dcm"
        if not path.is_file():
            out_dir.mkdir(parents=True, exist_ok=True)
            _write(path, _frames(CORPUS / src, bits), bits, ts, sop)
        out[name] = path
    return out


if __name__ == "__main__":
    for k, v in build().items():
        print(k, v)
