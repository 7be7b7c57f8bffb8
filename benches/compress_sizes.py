"""Compressed sizes of ``dicodec.compress`` targets beside their peers, on
pydicom's bundled images (one frame each): JPEG 2000 lossless against
OpenJPEG through imagecodecs and pylibjpeg-openjpeg (pydicom's encoder),
JPEG-LS (lossless and NEAR=2) against CharLS through imagecodecs, deflate
against zlib level 6 / gzip of the native bytes.

Run: ``.venv/bin/python benches/compress_sizes.py``
"""

from __future__ import annotations

import time
import zlib

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.encaps import generate_frames

import dicodec
from dicodec import uids

FILES = [
    "CT_small.dcm",
    "MR_small.dcm",
    "emri_small.dcm",
    "OBXXXX1A.dcm",
    "SC_rgb_rle.dcm",
    "SC_rgb_rle_16bit.dcm",
]


def _ours(path: str, syntax: str, **opts) -> tuple[int, float]:
    ds = pydicom.dcmread(path)
    t = time.perf_counter()
    dicodec.compress(ds, syntax, threads=1, **opts)
    dt = time.perf_counter() - t
    n = int(ds.get("NumberOfFrames", 1) or 1)
    return sum(len(f) for f in generate_frames(ds.PixelData, number_of_frames=n)), dt


def main() -> None:
    import imagecodecs as ic

    try:
        import openjpeg
    except ImportError:  # pragma: no cover
        openjpeg = None
    print(
        "| image | native | zlib-6 | deflate frames | J2K ours | J2K imagecodecs | "
        "J2K pylibjpeg-openjpeg | JLS ours | JLS CharLS | JLS near=2 ours | CharLS near=2 |"
    )
    print("|---|" + "---:|" * 10)
    for name in FILES:
        path = get_testdata_file(name, download=False)
        if path is None:
            continue
        ds = pydicom.dcmread(path)
        arr = dicodec.read_pixels(ds)
        if int(ds.get("NumberOfFrames", 1) or 1) > 1:
            arr = arr[0]
        bits = int(ds.BitsStored)
        rgb = arr.ndim == 3
        native = arr.nbytes
        row = [name, native, len(zlib.compress(arr.tobytes(), 6))]
        row.append(_ours(path, uids.DEFLATED_IMAGE_FRAME_COMPRESSION)[0])
        row.append(_ours(path, uids.JPEG_2000_LOSSLESS)[0])
        row.append(
            len(
                ic.jpeg2k_encode(
                    arr, level=0, codecformat="J2K", reversible=True, mct=rgb, bitspersample=bits
                )
            )
        )
        if openjpeg is not None:
            pi = 1 if rgb else 2  # sRGB (MCT) / greyscale
            row.append(
                len(
                    openjpeg.encode(
                        arr, bits_stored=bits, photometric_interpretation=pi, use_mct=rgb
                    )
                )
            )
        else:
            row.append("-")
        row.append(_ours(path, uids.JPEG_LS_LOSSLESS)[0])
        u = arr.view(arr.dtype.str.replace("i", "u")) & ((1 << bits) - 1)
        row.append(len(ic.jpegls_encode(u.astype(arr.dtype.str.replace("i", "u")))))
        signed = int(ds.PixelRepresentation) == 1
        near_ok = not signed
        row.append(_ours(path, uids.JPEG_LS_NEAR_LOSSLESS, near=2)[0] if near_ok else "-")
        row.append(
            len(ic.jpegls_encode(u.astype(arr.dtype.str.replace("i", "u")), level=2))
            if near_ok
            else "-"
        )
        print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in row) + " |")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
