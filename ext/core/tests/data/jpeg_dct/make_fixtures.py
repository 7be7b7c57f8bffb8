"""Regenerates the DCT JPEG fixtures of dicodec-core's tests.

Streams are encoded by libjpeg-turbo (imagecodecs.jpeg8_encode; Pillow for
progressive and restart intervals) and decoded by libjpeg-turbo
(imagecodecs.jpeg8_decode) for the references: `NAME.jpg`, `NAME.keep.raw`
(components as decoded, YCbCr kept) and, for colour, `NAME.rgb.raw`
(libjpeg's YCbCr -> RGB). Samples are u8, or u16 little-endian at 12 bits.

Run with a Python that has numpy, imagecodecs and Pillow:
    python make_fixtures.py
"""

import io
import re
import pathlib

import imagecodecs
import numpy as np
from PIL import Image

HERE = pathlib.Path(__file__).parent


def image(h, w, c, bits, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    m = (1 << bits) - 1
    planes = []
    for k in range(c):
        p = (x * (k + 1) * 7 + y * 5 + 40 * np.sin(x / 3.0 + k) * np.cos(y / 4.0)) / (w + h) * m / 4
        p = p + m / 3 + rng.normal(0, m / 12, (h, w))
        planes.append(np.clip(p, 0, m))
    a = np.stack(planes, -1) if c > 1 else planes[0]
    return a.astype(np.uint8 if bits == 8 else np.uint16)


def save(name, data):
    (HERE / f"{name}.jpg").write_bytes(data)
    keep = imagecodecs.jpeg8_decode(data, outcolorspace="YCbCr" if b"\x03\x01" in data[:0] else None)
    nc = keep.shape[2] if keep.ndim == 3 else 1
    if nc == 3:
        keep = imagecodecs.jpeg8_decode(data, outcolorspace="YCbCr")
        rgb = imagecodecs.jpeg8_decode(data)
        (HERE / f"{name}.rgb.raw").write_bytes(rgb.astype(rgb.dtype.newbyteorder("<")).tobytes())
    (HERE / f"{name}.keep.raw").write_bytes(keep.astype(keep.dtype.newbyteorder("<")).tobytes())


def main():
    for f in HERE.glob("*.jpg"):
        f.unlink()
    for f in HERE.glob("*.raw"):
        f.unlink()
    n = 0
    for bits in (8, 12):
        for q in (30, 90, 100):
            a = image(29, 37, 1, bits, n)
            save(f"grey{bits}_q{q}", imagecodecs.jpeg8_encode(a, level=q, bitspersample=bits))
            n += 1
        for ss in ("444", "422", "420", "411", "440"):
            for q in ((75,) if bits == 12 else (60, 95)):
                a = image(27, 45, 3, bits, n)
                save(
                    f"ycc{bits}_{ss}_q{q}",
                    imagecodecs.jpeg8_encode(a, level=q, subsampling=ss, bitspersample=bits),
                )
                n += 1
    # Tiny images (components narrower than three samples).
    for ss in ("420", "422"):
        a = image(3, 3, 3, 8, n)
        save(f"tiny_{ss}", imagecodecs.jpeg8_encode(a, level=90, subsampling=ss))
        n += 1
    # Progressive and restart intervals (Pillow, libjpeg-turbo underneath).
    for mode, kw, name in (
        ("L", dict(progressive=True, quality=85), "prog_grey"),
        ("RGB", dict(progressive=True, quality=80, subsampling=2), "prog_420"),
        ("RGB", dict(progressive=True, quality=95, subsampling=0, optimize=True), "prog_444"),
        ("L", dict(quality=85, restart_marker_blocks=3), "rst_grey"),
        ("RGB", dict(quality=85, subsampling=2, restart_marker_rows=1), "rst_420"),
        ("RGB", dict(progressive=True, quality=70, subsampling=1, restart_marker_blocks=2), "prog_rst_422"),
    ):
        a = image(35, 53, 1 if mode == "L" else 3, 8, n)
        buf = io.BytesIO()
        Image.fromarray(a, mode).save(buf, "JPEG", **kw)
        save(name, buf.getvalue())
        n += 1
    restart_fixtures()


def restart_fixtures():
    """Larger streams with restart intervals for the parallel decoder: whole
    MCU rows, and intervals that end inside an MCU row."""
    for mode, size, kw, name in (
        ("L", (80, 100), dict(quality=90, restart_marker_rows=2), "rst_grey_rows"),
        ("RGB", (96, 120), dict(quality=90, subsampling=1, restart_marker_blocks=7), "rst_422_blocks"),
        ("RGB", (176, 88), dict(quality=80, subsampling=2, restart_marker_blocks=5), "rst_420_blocks"),
    ):
        a = image(*size, 1 if mode == "L" else 3, 8, len(name))
        buf = io.BytesIO()
        Image.fromarray(a, mode).save(buf, "JPEG", **kw)
        save(name, buf.getvalue())


def corpus_refs():
    """`corpus_refs.txt`: SHA-256 of libjpeg-turbo's output for the ISO
    10918-2 DCT streams and the .50/.51/.55 DICOM files of the shared corpus
    (all frames, as pydicom returns them with raw=True: components as
    decoded, YCbCr kept, except three-component streams with an Adobe APP14
    marker, which libjpeg converts as Pillow asks it to)."""
    import csv
    import hashlib

    import pydicom
    from pydicom.encaps import generate_frames

    root = next(
        (p / "shared/corpus/dev" for p in HERE.resolve().parents if (p / "shared/corpus/dev/MANIFEST.csv").is_file()),
        None,
    )
    if root is None:
        print("shared corpus not found: corpus_refs.txt not written")
        return
    lines = []
    for r in csv.DictReader(open(root / "MANIFEST.csv")):
        f = r["file"]
        if f.startswith("jpeg/") and f.lower().endswith(".jpg"):
            d = (root / f).read_bytes()
            try:
                a = imagecodecs.jpeg8_decode(d)
            except Exception:
                continue
            lines.append(f"{f} {hashlib.sha256(a.tobytes()).hexdigest()}")
        elif r["transfer_syntax_uid"] in ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.55"):
            ds = pydicom.dcmread(root / f)
            n = int(getattr(ds, "NumberOfFrames", 1) or 1)
            h = hashlib.sha256()
            try:
                for fr in generate_frames(ds.PixelData, number_of_frames=n):
                    keep = ds.SamplesPerPixel == 3 and not re.search(rb"\xff\xee..Adobe", fr[:4096], re.S)
                    a = imagecodecs.jpeg8_decode(fr, outcolorspace="YCbCr" if keep else None)
                    if a.shape[:2] != (ds.Rows, ds.Columns):
                        raise ValueError(f"a frame of {a.shape} in an image of {ds.Rows} x {ds.Columns}")
                    if a.dtype == np.uint8 and ds.BitsAllocated == 16:
                        a = a.astype("<u2")
                    h.update(a.astype(a.dtype.newbyteorder("<")).tobytes())
            except Exception as e:
                print(f, "not referenced:", e)
                continue
            lines.append(f"{f} {h.hexdigest()}")
    (HERE / "corpus_refs.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
    corpus_refs()
