"""Writes the seed corpora of the fuzz targets from the development corpus
(``../shared/corpus/dev``, never copied into the repository): whole files for
the file targets, encapsulated frames for the codec targets (with the 4-byte
pixel description prefix of ``fuzz_targets/common.rs``).

Usage: python fuzz/seed.py TARGET OUTDIR [MAX_FILES]
(``DICODEC_CORPUS`` overrides the corpus folder.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("DICODEC_CORPUS") or ROOT.parent / "shared" / "corpus" / "dev")
MAX_BYTES = 256 << 10


def _pydicom_files() -> list[Path]:
    """pydicom's own test files (shipped in its wheel): seeds when the corpus is absent."""
    try:
        import pydicom.data

        d = Path(pydicom.data.__file__).parent / "test_files"
    except ImportError:
        return []
    return sorted(p for p in d.glob("*.dcm") if p.stat().st_size <= MAX_BYTES)


def _files() -> list[Path]:
    own = []
    if CORPUS.is_dir():
        own = sorted(
            p
            for p in CORPUS.iterdir()
            if p.is_file() and p.suffix not in (".csv", ".txt") and p.stat().st_size <= MAX_BYTES
        )
    return own + _pydicom_files()


def _streams(folder: str, suffixes: tuple[str, ...]) -> list[bytes]:
    """Raw codestreams of the corpus's ``jpeg/`` or ``jpegls/`` folder."""
    d = CORPUS / folder
    if not d.is_dir():
        return []
    paths = sorted(p for p in d.iterdir() if p.suffix.lower() in suffixes)
    return [p.read_bytes() for p in paths if p.stat().st_size <= MAX_BYTES]


def _native_frames() -> list[bytes]:
    """Round-trip seeds: an option byte, a pixel description prefix and the
    first bytes of native (uncompressed) pixel data."""
    import pydicom

    out = []
    for p in _files():
        try:
            ds = pydicom.dcmread(p)
            if ds.file_meta.TransferSyntaxUID.is_compressed or "PixelData" not in ds:
                continue
            bits = int(ds.BitsAllocated)
            if bits not in (8, 16):
                continue
            spp = int(ds.get("SamplesPerPixel", 1))
            flags = (1 if spp == 3 else 0) | (2 if bits > 8 else 0)
            flags |= 4 * int(ds.get("PixelRepresentation", 0))
            stored = int(ds.get("BitsStored", bits))
            head = bytes([len(out) % 256, 15, 15, flags, (stored - 2) % 256])
            out.append(head + bytes(ds.PixelData[: 32 * 32 * spp * bits // 8]))
        except Exception:  # noqa: BLE001 - a seed less
            continue
    return out


def _frames(ts_prefixes: tuple[str, ...]) -> list[bytes]:
    import pydicom
    from pydicom.encaps import generate_frames

    out = []
    for p in _files():
        try:
            ds = pydicom.dcmread(p)
            ts = str(ds.file_meta.TransferSyntaxUID)
            if not ts.startswith(ts_prefixes):
                continue
            rows, cols = int(ds.Rows) % 64, int(ds.Columns) % 64
            spp = int(ds.get("SamplesPerPixel", 1))
            bits = int(ds.BitsAllocated)
            flags = (1 if spp == 3 else 0) | (2 if bits > 8 else 0)
            flags |= 4 * int(ds.get("PixelRepresentation", 0))
            head = bytes([(rows - 1) % 256, (cols - 1) % 256, flags, 0])
            nframes = int(ds.get("NumberOfFrames", 1) or 1)
            frames = generate_frames(ds.PixelData, number_of_frames=nframes)
            frame = next(iter(frames))
            if len(frame) <= MAX_BYTES:
                out.append(head + frame)
        except Exception:  # noqa: BLE001 - a seed less
            continue
    return out


def _synthetic(kind: str) -> list[bytes]:
    """Small images encoded by the reference libraries (imagecodecs; zlib for
    raw deflate), each with the pixel description prefix: geometry matches,
    so the frame decoders get past their checks."""
    import zlib

    import numpy as np

    try:
        import imagecodecs
    except ImportError:
        imagecodecs = None
    out = []
    for h, w, spp, bits in ((8, 8, 1, 8), (13, 17, 1, 16), (16, 16, 3, 8), (5, 33, 1, 12)):
        dtype = np.uint8 if bits <= 8 else np.uint16
        y, x = np.mgrid[0:h, 0:w]
        img = ((x * 7 + y * 13) % (1 << bits)).astype(dtype)
        if spp == 3:
            img = np.stack([img, img[::-1], img[:, ::-1]], axis=-1).astype(dtype)
        flags = (1 if spp == 3 else 0) | (2 if bits > 8 else 0)
        head = bytes([h - 1, w - 1, flags, 0])
        try:
            if kind == "deflate":
                c = zlib.compressobj(6, zlib.DEFLATED, -15)
                raw = img.astype("<" + img.dtype.str[1:]).tobytes()
                out.append(head + c.compress(raw) + c.flush())
            elif imagecodecs is None:
                continue
            elif kind == "jxl":
                out.append(head + imagecodecs.jpegxl_encode(img, lossless=True))
                out.append(head + imagecodecs.jpegxl_encode(img, level=90))
            elif kind == "j2k":
                out.append(head + imagecodecs.jpeg2k_encode(img, level=0, codecformat="j2k"))
                out.append(head + imagecodecs.jpeg2k_encode(img, level=30, codecformat="jp2"))
                out.append(head + imagecodecs.htj2k_encode(img))
            elif kind == "jpegls":
                out.append(head + imagecodecs.jpegls_encode(img))
                out.append(head + imagecodecs.jpegls_encode(img, level=2))
            elif kind == "jpeg8" and bits <= 12:
                out.append(head + imagecodecs.jpeg8_encode(img, level=90))
        except Exception:  # noqa: BLE001 - a seed less
            continue
    return out


def main() -> int:
    target, outdir = sys.argv[1], Path(sys.argv[2])
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 400
    outdir.mkdir(parents=True, exist_ok=True)
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}: pydicom's test files only", file=sys.stderr)
    if target in ("read_pixels", "frame_info", "scan"):
        seeds = [p.read_bytes() for p in _files()]
    elif target in ("rle_decode", "rle_roundtrip"):
        seeds = _frames(("1.2.840.10008.1.2.5",))
    elif target == "jpeg_lossless":
        seeds = _frames(("1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"))
        seeds += _streams("jpeg", (".jpg",))[:50]
    elif target == "jpeg_dct":
        seeds = _frames(tuple(f"1.2.840.10008.1.2.4.{n}" for n in (50, 51, 55)))
        seeds += _streams("jpeg", (".jpg",))[:50]
        seeds += _synthetic("jpeg8")
    elif target == "jpegls_decode":
        seeds = _frames(("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"))
        seeds += _streams("jpegls", (".jls",))
        seeds += _synthetic("jpegls")
    elif target == "j2k_decode":
        seeds = _frames(tuple(f"1.2.840.10008.1.2.4.{n}" for n in (90, 91, 201, 202, 203)))
        seeds += _streams("jpeg", (".j2k", ".jp2", ".j2c"))
        seeds += _synthetic("j2k")
    elif target == "jxl_decode":
        seeds = _frames(tuple(f"1.2.840.10008.1.2.4.{n}" for n in (110, 111, 112)))
        seeds += _synthetic("jxl")
    elif target == "deflate_decode":
        seeds = _frames(("1.2.840.10008.1.2.8.1",))
        seeds += _synthetic("deflate")
    elif target in ("jpeg_lossless_roundtrip", "jpegls_roundtrip", "deflate_roundtrip"):
        seeds = _native_frames()
        if target == "deflate_roundtrip":
            seeds = [s[1:] for s in seeds]  # no option byte
    else:
        raise SystemExit(f"unknown target {target}")
    for i, s in enumerate(seeds[:limit]):
        (outdir / f"seed{i:04}").write_bytes(s)
    print(f"{min(len(seeds), limit)} seeds for {target} in {outdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
