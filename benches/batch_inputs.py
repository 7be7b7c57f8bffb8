"""Inputs of the batch benchmark: a folder of 2,400 single-frame DICOM files
in 24 series, a third each native (Explicit VR Little Endian), RLE Lossless and
JPEG Lossless SV1, built from real images (pydicom's bundled CT and MR test
files; slices differ by a roll so nothing can be deduplicated).

Encoders are third-party, never dicodec: RLE by pylibjpeg-rle (through
pydicom's ``Dataset.compress``), JPEG Lossless (process 14, selection value 1)
by libjpeg-turbo through ``imagecodecs.jpeg8_encode``. Every 25th file is
checked to decode to the image it was made from (pydicom's own RLE decoder,
GDCM for JPEG Lossless).

Files go to ``$DICODEC_BENCH_CACHE/bench_batch_v1`` (default: the user cache
dir, e.g. ``~/.cache/dicodec/bench_batch_v1``), built once and reused; nothing
here is committed.
"""

from __future__ import annotations

import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GROUPS = ("native", "rle", "jpll")
SLICES = 100
VERSION = "bench_batch_v1"


@dataclass(frozen=True)
class Source:
    name: str  # pydicom test file
    modality: str
    bits_stored: int
    series_per_group: int


SOURCES = (
    Source("693_J2KI.dcm", "CT", 12, 2),  # 512 x 512 CT
    Source("J2K_pixelrep_mismatch.dcm", "CT", 12, 2),  # 512 x 512 CT
    Source("examples_overlay.dcm", "MR", 12, 2),  # 300 x 484 MR
    Source("CT_small.dcm", "CT", 12, 2),  # 128 x 128 CT
)


def cache_root() -> Path:
    env = os.environ.get("DICODEC_BENCH_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("dicodec"))


def _image(src: Source) -> np.ndarray:
    """The source image as unsigned ``bits_stored``-bit data (CT shifted by
    +1024, as scanners store it with RescaleIntercept -1024)."""
    from pydicom.data import get_testdata_file
    from pydicom.pixels import pixel_array

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = pixel_array(get_testdata_file(src.name), decoding_plugin="gdcm").astype(np.int32)
    if arr.min() < 0:
        arr = arr + 1024
    return np.clip(arr, 0, (1 << src.bits_stored) - 1).astype(np.uint16)


def _dataset(src: Source, series_uid: str, k: int, img: np.ndarray):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PatientID = "BENCH"
    ds.StudyInstanceUID = series_uid.rsplit(".", 1)[0]
    ds.SeriesInstanceUID = series_uid
    ds.Modality = src.modality
    ds.InstanceNumber = k + 1
    ds.ImagePositionPatient = [0, 0, k * 1.25]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.7, 0.7]
    ds.SliceThickness = 1.25
    ds.RescaleSlope = 1
    ds.RescaleIntercept = -1024 if src.modality == "CT" else 0
    ds.WindowCenter, ds.WindowWidth = 40, 400
    ds.Rows, ds.Columns = img.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, src.bits_stored, src.bits_stored - 1
    ds.PixelRepresentation = 0
    return ds


def _write(group: str, src: Source, ds, img: np.ndarray, path: Path) -> None:
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGLosslessSV1, RLELossless

    if group == "native":
        ds.PixelData = img.astype("<u2").tobytes()
        ds["PixelData"].VR = "OW"
    elif group == "rle":
        ds.compress(RLELossless, img, encoding_plugin="pylibjpeg")
    else:
        import imagecodecs

        stream = imagecodecs.jpeg8_encode(
            img, lossless=True, predictor=1, bitspersample=src.bits_stored
        )
        ds.PixelData = encapsulate([stream])
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
    ds.save_as(path, enforce_file_format=True)


def _verify(group: str, path: Path, img: np.ndarray) -> None:
    """Decodes with a decoder other than the encoder's (pydicom's own RLE
    decoder, GDCM for JPEG Lossless)."""
    from pydicom.pixels import pixel_array

    plugin = {"native": "", "rle": "pydicom", "jpll": "gdcm"}[group]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = pixel_array(str(path), decoding_plugin=plugin)
    if not np.array_equal(got, img):
        raise RuntimeError(f"{path}: the third-party encoding does not decode to its source")


def build(root: Path | None = None) -> Path:
    """The benchmark folder (built on first use): GROUP/SERIES/NNNN.dcm."""
    from pydicom.uid import generate_uid

    folder = (root or cache_root()) / VERSION
    if (folder / ".complete").is_file():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    images = {s.name: _image(s) for s in SOURCES}
    for group in GROUPS:
        n = 0
        for src in SOURCES:
            for s in range(src.series_per_group):
                series_uid = generate_uid()
                d = folder / group / f"{src.modality}_{src.name.split('.')[0]}_{s}"
                d.mkdir(parents=True)
                for k in range(SLICES):
                    img = np.roll(images[src.name], (2 * k + s, 3 * k), axis=(0, 1))
                    ds = _dataset(src, series_uid, k, img)
                    path = d / f"{k:04d}.dcm"
                    _write(group, src, ds, img, path)
                    if k % 25 == 0:
                        _verify(group, path, img)
                    n += 1
    (folder / ".complete").write_text("ok\n")
    return folder


if __name__ == "__main__":
    print(build())
