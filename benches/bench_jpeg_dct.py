"""DCT JPEG decode speed, one thread: dicodec.jpeg_decode against libjpeg-turbo
(imagecodecs.jpeg8_decode), interleaved best-of-N on the same streams.

Streams are encoded by libjpeg-turbo (imagecodecs.jpeg8_encode) from a smooth
image with noise (a medical-like texture) and, where the shared corpus is
present, from real images (12-bit CT and MR at q75 and q90; an ultrasound and
a visible-light photo, RGB 4:2:2 q90); outputs are compared byte for byte
before timing. Usage:

    python benches/bench_jpeg_dct.py [--reps 15] [--size 1024x768] [--save DIR]

Measured 2026-12-07 (--reps 25, 1024x768, 2 shared cores at load 18-24, so
ratios are rough; MB/s dicodec / libjpeg-turbo): 8-bit grey 368/332 (1.11),
12-bit grey 163/109 (1.49), YCbCr 4:2:2 keep 681/759 (0.90; 97/821 = 0.12
before the one-pass chroma kernel), 4:2:2 rgb 290/721 (0.40), 4:2:0 keep
591/753 (0.79), 4:2:0 rgb 260/828 (0.31).

Session 3 (--reps 25, thread CPU time, libjpeg-turbo 3.1.3 / imagecodecs
2026.3.6, load 13-17 on 2 cores): after the AVX2 output stage and the
two-symbol AC table, 8-bit grey 339/286 (1.19), 12-bit grey 328/251 (1.31),
4:2:2 keep 715/709 (1.01), 4:2:2 rgb 643/779 (0.83; 660/645 = 1.02 in a
wall-clock run minutes before), 4:2:0 keep 838/814 (1.03), 4:2:0 rgb 775/723
(1.07). Callgrind instructions, whole decode: 12-bit grey 33M vs
libjpeg-turbo 67M, 8-bit grey 18M vs 25M; the noise of this image makes the
12-bit stream about 6 bits per sample, so Huffman decoding dominates.

Session 4 (--reps 40, thread CPU time, libjpeg-turbo 3.1.3 / imagecodecs
2026.3.6, load 9-11 on 2 cores, two runs; ratios dicodec / libjpeg-turbo):
after the AC loop without data-dependent branches (refill at every other
step, the second symbol of a two-symbol entry stored branch-free), its BMI2
build, the vpmaddwd IDCT and the first-row-only pass-1 shortcut: 8-bit grey
1.44-1.48 (1.28 before, load 5), 12-bit grey 1.73-1.76 (1.35), 4:2:2 keep
1.16 (1.07), 4:2:2 rgb 1.04 (0.92), 4:2:0 keep 1.17-1.18 (1.06), 4:2:0 rgb
1.02-1.03 (0.91); corpus rows: 12-bit CT q75 1.39-1.65 (1.45), CT q90
1.52-1.74 (1.36), MR 1024 q75 1.61-1.75 (1.52), MR 1024 q90 1.77-1.83
(1.44), MR 512 q75 1.63-1.64 (1.57), MR 512 q90 1.56-1.57 (1.44); US 4:2:2
keep 1.03-1.09 (1.13), rgb 1.08-1.19 (0.91); VL 4:2:2 keep 0.98-1.10
(1.04), rgb 0.93-1.00 (0.92). Ratios move by about 10% between runs at this
load. dicodec alone (examples/jpeg_dct.rs `cpu`, best thread CPU time of
3 x 40 decodes, interleaved with the previous build): 1.23-1.35x faster at
12 bits, 1.30x on 8-bit grey, 1.15-1.20x on the synthetic 8-bit colour
image, 0.96-1.13x on the US and VL photos (few coefficients per block).

Session 5 (--reps 25 --only 12-bit, thread CPU time, libjpeg-turbo 3.1.3 /
imagecodecs 2026.3.6, load 8-9 on 2 cores with a cargo build running, the
previous build (a511138) and this one run back to back; ratios previous ->
now): after the per-thread Huffman table cache and grey frames decoded
straight into the caller's buffer: 12-bit grey 1.75 -> 1.90, CT q75 1.29 ->
1.36, CT q90 1.33 -> 1.45, MR 1024 q75 1.66 -> 1.87, MR 1024 q90 1.76 ->
1.82, MR 512 q75 1.58 -> 2.04, MR 512 q90 1.23 -> 2.08. At this load the
ratios of one build move by 0.3 between runs (the 512x512 rows most): rerun
quietly. Where the time goes (perf, examples/jpeg_dct.rs): the AC loop
62-69 % at 3-6 bits/px, 48 % on MR 512 q90; the IDCT 14-30 %; the table
builds and plane clearing 6-7 % of a 512x512 frame before this change. A
walk compiled for AVX2+BMI2 with the AC loop inlined did not pay (-2 %).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import imagecodecs
import numpy as np

import dicodec


def image(h: int, w: int, c: int, bits: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    m = (1 << bits) - 1
    planes = []
    for k in range(c):
        wave = 60 * np.sin(x / 17.0 + k) * np.cos(y / 23.0)
        p = (x * (k + 1) * 3 + y * 2 + wave) / (w + h) * m / 3
        p = p + m / 4 + rng.normal(0, m / 40, (h, w))
        planes.append(np.clip(p, 0, m))
    a = np.stack(planes, -1) if c > 1 else planes[0]
    return a.astype(np.uint8 if bits == 8 else np.uint16)


CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"

# Real images of the shared corpus (native pixel data, read with pydicom),
# re-encoded by libjpeg-turbo: (label, file, offset added to reach 0..4095).
MEDICAL12 = [
    ("CT 512x512", "wg04__REF_CT1_UNC.dcm", 0),
    ("MR 1024x1024", "pydicomdata__MR2_UNCI.dcm", 0),
    ("MR 512x512", "wg04__REF_MR4_UNC.dcm", 0),
]
MEDICAL_RGB = [
    ("US 555x800", "dcm4che__YBR_422.dcm"),
    ("VL 486x756", "wg04__REF_VL1_UNC.dcm"),
]


def corpus_cases() -> list[tuple[str, bytes, str, str | None]]:
    """12-bit grey CT/MR at q75 and q90, and RGB ultrasound / visible-light
    photos at 4:2:2 q90, when the corpus (and pydicom) are present."""
    try:
        import pydicom
    except ImportError:
        return []
    out: list[tuple[str, bytes, str, str | None]] = []
    for label, name, off in MEDICAL12:
        if not (CORPUS / name).exists():
            continue
        a = pydicom.dcmread(CORPUS / name).pixel_array.astype(np.int32) + off
        a = np.clip(a, 0, 4095).astype(np.uint16)
        for q in (75, 90):
            s = imagecodecs.jpeg8_encode(a, level=q, bitspersample=12)
            out.append((f"12-bit {label} q{q}", s, "keep", None))
    for label, name in MEDICAL_RGB:
        if not (CORPUS / name).exists():
            continue
        ds = pydicom.dcmread(CORPUS / name)
        a = ds.pixel_array
        if ds.PhotometricInterpretation.startswith("YBR"):
            a = pydicom.pixels.convert_color_space(a, ds.PhotometricInterpretation, "RGB")
        a = np.ascontiguousarray(a, dtype=np.uint8)
        s = imagecodecs.jpeg8_encode(a, level=90, subsampling="422")
        out.append((f"8-bit {label} 422 q90 keep", s, "keep", "YCbCr"))
        out.append((f"8-bit {label} 422 q90 rgb", s, "rgb", "RGB"))
    return out


def cases(h: int, w: int) -> list[tuple[str, bytes, str, str | None]]:
    out = []
    g8 = image(h, w, 1, 8)
    g12 = image(h, w, 1, 12)
    c8 = image(h, w, 3, 8)
    out.append(("8-bit grey q90", imagecodecs.jpeg8_encode(g8, level=90), "keep", None))
    g12s = imagecodecs.jpeg8_encode(g12, level=90, bitspersample=12)
    out.append(("12-bit grey q90", g12s, "keep", None))
    for ss in ("422", "420"):
        s = imagecodecs.jpeg8_encode(c8, level=90, subsampling=ss)
        out.append((f"8-bit YCbCr {ss} q90 keep", s, "keep", "YCbCr"))
        out.append((f"8-bit YCbCr {ss} q90 rgb", s, "rgb", "RGB"))
    return out + corpus_cases()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--size", default="1024x768")
    ap.add_argument("--only", default="")
    ap.add_argument("--save", default="", help="also write the streams to DIR/<n>.jpg")
    ap.add_argument(
        "--clock",
        choices=("thread", "wall"),
        default="thread",
        help="thread CPU time (robust on a loaded machine; both decoders run on "
        "the calling thread) or wall-clock time",
    )
    a = ap.parse_args()
    clock = time.thread_time if a.clock == "thread" else time.perf_counter
    w, h = (int(v) for v in a.size.split("x"))
    head = f"{'image':36} {'bits/px':>7} {'dicodec MB/s':>12}"
    print(f"{head} {'libjpeg-turbo MB/s':>18} {'ratio':>6}")
    for i, (name, s, colour, ocs) in enumerate(cases(h, w)):
        if a.only and a.only not in name:
            continue
        if a.save:
            Path(a.save).mkdir(parents=True, exist_ok=True)
            (Path(a.save) / f"{i:02d}.jpg").write_bytes(s)
        ref = imagecodecs.jpeg8_decode(s, outcolorspace=ocs) if ocs else imagecodecs.jpeg8_decode(s)
        got = dicodec.jpeg_decode(s, colour=colour)
        assert got.tobytes() == ref.tobytes(), name
        out = np.empty_like(got)
        ref_out = np.empty_like(ref)
        best = [1e9, 1e9]
        for _ in range(a.reps):
            t = clock()
            dicodec.jpeg_decode(s, out=out, colour=colour)
            best[0] = min(best[0], clock() - t)
            t = clock()
            if ocs:
                imagecodecs.jpeg8_decode(s, outcolorspace=ocs, out=ref_out)
            else:
                imagecodecs.jpeg8_decode(s, out=ref_out)
            best[1] = min(best[1], clock() - t)
        mb = got.nbytes / 1e6
        bpp = 8 * len(s) / (got.shape[0] * got.shape[1])
        row = f"{name:36} {bpp:7.2f} {mb / best[0]:12.0f}"
        print(f"{row} {mb / best[1]:18.0f} {best[1] / best[0]:6.2f}")


if __name__ == "__main__":
    main()
