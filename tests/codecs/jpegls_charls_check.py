"""Cross-checks dicodec's JPEG-LS encoder and decoder with CharLS (imagecodecs).

Usage (from the repository root):
    DICODEC_JLS_DUMP=/tmp/jlsdump cargo test --manifest-path ext/Cargo.toml \
        -p dicodec-core jpegls::tests_encode::dump
    python tests/jpegls_charls_check.py /tmp/jlsdump

For every dumped stream NAME__W_H_NC_BITS_ILV_NEAR_RI.jls (dicodec's encoder),
NAME.raw (the input) and NAME__….dec (dicodec's decoder on that stream):
- CharLS decodes the stream to exactly dicodec's decoded samples, and those are
  the input (NEAR 0) or within NEAR of it;
- where imagecodecs' CharLS encoder uses the same parameters (precision 8 or 16,
  RGB sample-interleaved, 4 components line-interleaved, no restart interval),
  the scans of CharLS's stream have the same size within 0.5% (CharLS adds a
  SPIFF header and, above 12 bits, an LSE segment before them).
Not collected by pytest (needs the dump); exits 1 on a failure.
"""

import sys
from pathlib import Path

import imagecodecs
import numpy as np


def spiff_len(b: bytes) -> int:
    """Bytes of CharLS's SPIFF header (APP8 'SPIFF' and its end-of-directory)."""
    if b[6:11] != b"SPIFF":
        return 0
    n1 = 2 + int.from_bytes(b[4:6], "big")
    n2 = 2 + int.from_bytes(b[2 + n1 + 2 : 2 + n1 + 4], "big")
    return n1 + n2 - 2  # the end-of-directory entry holds the real SOI


def main(d: Path) -> int:
    bad = sized = 0
    ratios = []
    streams = sorted(d.glob("*.jls"))
    for f in streams:
        name, params = f.stem.split("__")
        w, h, nc, bits, ilv, near, ri = map(int, params.split("_"))
        shape = (h, w, nc) if nc > 1 else (h, w)
        raw = np.frombuffer((d / f"{name}.raw").read_bytes(), "<u2").reshape(shape)
        ours_dec = np.frombuffer(f.with_suffix(".dec").read_bytes(), "<u2").reshape(shape)
        ours = f.read_bytes()
        cdec = imagecodecs.jpegls_decode(ours).reshape(shape).astype(np.uint16)
        err = np.abs(cdec.astype(np.int64) - raw.astype(np.int64)).max()
        if err > near or not np.array_equal(cdec, ours_dec):
            print(
                f"FAIL {f.name}: CharLS error {err} (NEAR {near}), "
                f"equal to dicodec's decode: {np.array_equal(cdec, ours_dec)}"
            )
            bad += 1
        std_ilv = 0 if nc == 1 else (2 if nc == 3 else 1)
        if bits in (8, 16) and ri == 0 and ilv == std_ilv:
            src = raw.astype(np.uint8 if bits == 8 else np.uint16)
            theirs = imagecodecs.jpegls_encode(src, level=near)
            # Scan data only: CharLS adds SPIFF and, above 12 bits, an LSE segment.
            tsize = len(theirs) - theirs.find(b"\xff\xda")
            osize = len(ours) - ours.find(b"\xff\xda")
            r = osize / tsize
            ratios.append((r, f.name))
            sized += 1
            tdec = imagecodecs.jpegls_decode(theirs).reshape(shape)
            if abs(r - 1) > 0.005 or (near == 0 and not np.array_equal(tdec, raw)):
                print(f"SIZE {f.name}: dicodec {osize} vs CharLS {tsize} ({r:.4f})")
                bad += 1
    print(
        f"{len(streams)} dicodec streams decoded by CharLS; {sized} size comparisons, "
        f"ratio {min(ratios)[0]:.4f}-{max(ratios)[0]:.4f}; {bad} failures"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
