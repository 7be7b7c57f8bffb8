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


def _files() -> list[Path]:
    return sorted(
        p
        for p in CORPUS.iterdir()
        if p.is_file() and p.suffix not in (".csv", ".txt") and p.stat().st_size <= MAX_BYTES
    )


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


def main() -> int:
    target, outdir = sys.argv[1], Path(sys.argv[2])
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 400
    outdir.mkdir(parents=True, exist_ok=True)
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}: empty seed corpus", file=sys.stderr)
        return 0
    if target in ("read_pixels", "frame_info", "scan"):
        seeds = [p.read_bytes() for p in _files()]
    elif target in ("rle_decode", "rle_roundtrip"):
        seeds = _frames(("1.2.840.10008.1.2.5",))
    elif target == "jpeg_lossless":
        seeds = _frames(("1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"))
        jpegs = sorted(p for p in (CORPUS / "jpeg").glob("*") if p.suffix.lower() == ".jpg")
        seeds += [p.read_bytes() for p in jpegs if p.stat().st_size <= MAX_BYTES][:50]
    else:
        raise SystemExit(f"unknown target {target}")
    for i, s in enumerate(seeds[:limit]):
        (outdir / f"seed{i:04}").write_bytes(s)
    print(f"{min(len(seeds), limit)} seeds for {target} in {outdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
