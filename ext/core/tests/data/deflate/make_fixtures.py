"""Writes the Deflated Image Frame fixtures of dicodec-core (run with a Python
that has numpy and pydicom; outputs are committed):

* ``<name>.deflate``: frames compressed by Python's zlib as raw deflate
  (``wbits=-15``), padded to an even length, and ``frames.csv`` with the
  attributes and the sha256 of the original frame (as pydicom ``raw=True``
  returns it: 1-bit frames unpacked to one uint8 per pixel).
* ``corpus.csv``: for the corpus's deflated-frame files, the sha256 of the
  frames inflated by zlib and unpacked by NumPy (pydicom 3.0.2 has no decoder
  for 1.2.840.10008.1.2.8.1).

Usage: python make_fixtures.py [CORPUS_DIR]
"""

import csv
import hashlib
import sys
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def raw_deflate(b, level):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    s = c.compress(b) + c.flush()
    return s + b"\0" * (len(s) & 1)


def frames():
    rng = np.random.default_rng(244)
    rows = []
    cases = [
        # name, rows, cols, spp, ba, bs, pr, planar, dtype
        ("u8", 31, 17, 1, 8, 8, 0, 0, np.uint8),
        ("u16", 64, 48, 1, 16, 16, 0, 0, np.uint16),
        ("i16_bs12", 20, 30, 1, 16, 12, 1, 0, np.int16),
        ("rgb8", 21, 13, 3, 8, 8, 0, 0, np.uint8),
        ("rgb8_planar", 21, 13, 3, 8, 8, 0, 1, np.uint8),
        ("u32", 9, 11, 1, 32, 32, 0, 0, np.uint32),
    ]
    for name, r, c, spp, ba, bs, pr, planar, dt in cases:
        info = np.iinfo(dt)
        lo, hi = (-(1 << (bs - 1)), 1 << (bs - 1)) if pr else (0, 1 << bs)
        smooth = (np.arange(r * c * spp) // 7) % (hi - lo) + lo
        a = (smooth + rng.integers(0, 3, r * c * spp)).clip(lo, hi - 1).astype(dt)
        assert info.min <= a.min()
        stored = a.reshape(r, c, spp) if spp > 1 else a.reshape(r, c)
        raw = stored.transpose(2, 0, 1).tobytes() if planar else stored.tobytes()
        (HERE / f"{name}.deflate").write_bytes(raw_deflate(raw, 6))
        rows.append(dict(name=f"{name}.deflate", rows=r, columns=c, spp=spp, ba=ba, bs=bs,
                         pr=pr, planar=planar, sha=sha(stored)))
    # 1 bit: 13 x 7 = 91 pixels, packed LSB first into 12 bytes.
    bits = rng.integers(0, 2, 91).astype(np.uint8)
    (HERE / "bits.deflate").write_bytes(raw_deflate(np.packbits(bits, bitorder="little").tobytes(), 9))
    rows.append(dict(name="bits.deflate", rows=13, columns=7, spp=1, ba=1, bs=1, pr=0, planar=0,
                     sha=sha(bits)))
    with open(HERE / "frames.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def corpus(root):
    import pydicom
    from pydicom.encaps import generate_frames

    out = []
    with open(root / "MANIFEST.csv") as f:
        for r in csv.DictReader(f):
            if r["transfer_syntax_uid"] != "1.2.840.10008.1.2.8.1":
                continue
            ds = pydicom.dcmread(root / r["file"])
            n = int(ds.get("NumberOfFrames", 1))
            px = ds.Rows * ds.Columns * ds.SamplesPerPixel
            arrs = []
            for fr in generate_frames(ds.PixelData, number_of_frames=n):
                b = zlib.decompress(fr, -15)
                assert ds.BitsAllocated == 1, "only 1-bit files in the corpus so far"
                arrs.append(np.unpackbits(np.frombuffer(b, np.uint8), bitorder="little")[:px])
            out.append(dict(file=r["file"], sha=sha(np.stack(arrs)), frames=n))
    with open(HERE / "corpus.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out[0]))
        w.writeheader()
        w.writerows(out)
    print(out)


if __name__ == "__main__":
    frames()
    if len(sys.argv) > 1:
        corpus(Path(sys.argv[1]))
