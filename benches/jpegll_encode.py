"""JPEG Lossless encoding speed and size: ``dicodec.jpegll_encode`` against
libjpeg-turbo (``imagecodecs.jpeg8_encode``, lossless, predictor 1, optimised
tables) on native images of the shared corpus; one thread, best of N,
interleaved in one run; every stream is checked by libjpeg-turbo's decoder.

    .venv/bin/python benches/jpegll_encode.py [-n 7]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import imagecodecs
import numpy as np

import dicodec
from dicodec.uids import EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"
NATIVE = (EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN)
PICKS = {
    "16-bit CT 512²": lambda r: (
        r["rows"] == "512" and r["bits_allocated"] == "16" and r["samples_per_pixel"] == "1"
    ),
    "8-bit RGB": lambda r: (
        r["samples_per_pixel"] == "3" and r["bits_allocated"] == "8" and int(r["rows"] or 0) >= 400
    ),
    "16-bit >= 1024²": lambda r: (
        r["samples_per_pixel"] == "1"
        and r["bits_allocated"] == "16"
        and int(r["rows"] or 0) >= 1000
    ),
}


def _images() -> dict[str, tuple[np.ndarray, int]]:
    with open(CORPUS / "MANIFEST.csv", newline="") as f:
        rows = [
            r for r in csv.DictReader(f) if r["transfer_syntax_uid"] in NATIVE and r["ref_sha256"]
        ]
    out = {}
    for label, pick in PICKS.items():
        row = next((r for r in rows if pick(r)), None)
        if row is None:
            continue
        arr = dicodec.read_pixels(str(CORPUS / row["file"]))
        frame = arr if arr.ndim == (3 if row["samples_per_pixel"] == "3" else 2) else arr[0]
        bits = int(row["bits_stored"])
        unsigned = frame.view(np.uint16 if frame.itemsize == 2 else np.uint8) & ((1 << bits) - 1)
        out[f"{label} ({row['file'][:40]})"] = (np.ascontiguousarray(unsigned), bits)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=7, help="timed runs, best kept")
    n = ap.parse_args().n
    for name, (img, bits) in _images().items():
        best = {"dicodec": float("inf"), "turbo": float("inf")}
        for _ in range(n):
            t = time.perf_counter()
            ours = dicodec.jpegll_encode(img, bits_stored=bits)
            best["dicodec"] = min(best["dicodec"], time.perf_counter() - t)
            t = time.perf_counter()
            theirs = imagecodecs.jpeg8_encode(
                img, lossless=True, predictor=1, bitspersample=bits, optimize=True
            )
            best["turbo"] = min(best["turbo"], time.perf_counter() - t)
        assert np.array_equal(imagecodecs.jpeg8_decode(ours), img), name
        mb = img.nbytes / 1e6
        print(
            f"{name}: {img.shape} {bits}-bit  dicodec {mb / best['dicodec']:.0f} MB/s "
            f"{len(ours)} B  libjpeg-turbo {mb / best['turbo']:.0f} MB/s {len(theirs)} B  "
            f"ratio {best['turbo'] / best['dicodec']:.2f}x"
        )


if __name__ == "__main__":
    main()
