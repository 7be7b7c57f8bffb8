"""libjpeg-turbo (imagecodecs ``jpeg8_decode``) references for DCT JPEG
DICOM files, frame by frame as pydicom returns them with ``raw=True``:
components as stored (YCbCr kept; libjpeg converts only streams whose Adobe
APP14 marker says transform 1), 12-bit frames in uint16. Shared by the codec
and the pydicom plugin tests."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest


def turbo_frames(path: Path) -> np.ndarray | None:
    """The file's frames decoded by libjpeg-turbo, or None where it refuses
    one or returns another geometry than the dataset's."""
    imagecodecs = pytest.importorskip("imagecodecs")
    pydicom = pytest.importorskip("pydicom")
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
