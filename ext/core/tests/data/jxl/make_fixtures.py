"""Writes the JPEG XL fixtures of dicodec-core (run with a Python that has numpy,
imagecodecs and pydicom; outputs are committed):

* ``<name>.jxl``: images encoded by libjxl (imagecodecs ``jpegxl_encode``),
  lossless at 8, 10, 12 and 16 bits with 1 and 3 channels, and lossy.
* ``streams.csv``: per stream, the dtype and shape and sha256 of libjxl's
  decode (``jpegxl_decode``), and for lossless streams of the original; for
  lossy streams libjxl's decode is also written as ``<name>.ref`` (raw
  little-endian samples) to compare within a tolerance.
* ``corpus.csv``: per frame of the corpus's JPEG XL files, the sha256 of
  libjxl's decode; ``<file>_f0.ref``: a 32 x 32 crop of frame 0 at (300, 500).

Usage: python make_fixtures.py [CORPUS_DIR]
"""

import csv
import hashlib
import sys
from pathlib import Path

import imagecodecs as ic
import numpy as np

HERE = Path(__file__).resolve().parent


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def image(h, w, c, bits, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    planes = [((x * (k + 2) * 5 + y * 3 + (x * y) // 5) % (1 << bits)) for k in range(c)]
    a = np.stack(planes, -1) if c > 1 else planes[0]
    a = (a + rng.integers(0, 4, a.shape)) % (1 << bits)
    a.flat[0] = (1 << bits) - 1
    return a.astype(np.uint8 if bits <= 8 else np.uint16)


def streams():
    rows = []
    cases = [
        ("u8_c1", image(29, 37, 1, 8, 1), 8, True),
        ("u8_c3", image(29, 37, 3, 8, 2), 8, True),
        ("u10_c3", image(29, 37, 3, 10, 3), 10, True),
        ("u12_c1", image(40, 33, 1, 12, 4), 12, True),
        ("u16_c1", image(40, 33, 1, 16, 5), 16, True),
        ("u16_c3", image(24, 20, 3, 16, 6), 16, True),
        ("u8_c3_lossy", image(48, 64, 3, 8, 7), 8, False),
        ("u16_c1_lossy", image(48, 64, 1, 16, 8), 16, False),
    ]
    for name, a, bits, lossless in cases:
        kw = dict(lossless=True) if lossless else dict(distance=1.0)
        if bits != 8:
            kw["bitspersample"] = bits
        s = ic.jpegxl_encode(a, **kw)
        (HERE / f"{name}.jxl").write_bytes(s)
        ref = ic.jpegxl_decode(s)
        row = dict(name=f"{name}.jxl", dtype=ref.dtype.str, shape="x".join(map(str, ref.shape)),
                   lossless=int(lossless), sha_libjxl=sha(ref), sha_original="")
        if lossless:
            assert np.array_equal(ref, a), name
            row["sha_original"] = sha(a)
        else:
            (HERE / f"{name}.ref").write_bytes(ref.astype(ref.dtype.newbyteorder("<")).tobytes())
        rows.append(row)
    with open(HERE / "streams.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def corpus(root):
    import pydicom
    from pydicom.encaps import generate_frames

    rows = []
    with open(root / "MANIFEST.csv") as f:
        for r in csv.DictReader(f):
            if r["transfer_syntax_uid"] not in (
                "1.2.840.10008.1.2.4.110", "1.2.840.10008.1.2.4.111", "1.2.840.10008.1.2.4.112"):
                continue
            ds = pydicom.dcmread(root / r["file"])
            n = int(ds.get("NumberOfFrames", 1))
            for i, fr in enumerate(generate_frames(ds.PixelData, number_of_frames=n)):
                a = ic.jpegxl_decode(fr)
                if i == 0:
                    (HERE / f"{r['file']}_f0.ref").write_bytes(a[300:332, 500:532].tobytes())
                rows.append(dict(file=r["file"], frame=i, shape="x".join(map(str, a.shape)),
                                 sha_libjxl=sha(a)))
    with open(HERE / "corpus.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    streams()
    if len(sys.argv) > 1:
        corpus(Path(sys.argv[1]))
