"""``dicodec transcode`` against a ``multiprocessing`` pool of pydicom
workers (issue 14's transcode goal), native -> JPEG Lossless SV1 and native
-> JPEG-LS Lossless, on the same cores, writing to the same disk; and the
compression ratio of each syntax dicodec encodes beside gzip of the native
file.

Inputs: ``--files`` copies of a large multi-frame 16-bit native file:
pydicom's CT_small (128x128) scaled to 512x512 with a little noise,
``--frames`` frames drifting by a pixel each (realistic redundancy, not
random data); ``--corpus``: the largest 16-bit native file of the shared
corpus instead (the corpus has no large multi-frame one). The output files are checked: dicodec's by
pydicom's own decoders (GDCM / pylibjpeg), the peers' by dicodec.

Peers (one process per worker, ``--workers``, pool started before timing):

* JPEG-LS: ``Dataset.compress(JPEGLSLossless)`` with pydicom's fastest
  installed JPEG-LS encoder (pyjpegls = CharLS); where pydicom has none, CharLS
  per frame through ``imagecodecs.jpegls_encode`` + ``pydicom.encaps.encapsulate``.
* JPEG Lossless (pydicom has no encoder): libjpeg-turbo's lossless mode per
  frame through ``imagecodecs.jpeg8_encode(lossless=True, predictor=1)`` +
  ``pydicom.encaps.encapsulate``.

dicodec: ``dicodec.batch.transcode(folder, out, to=..., threads=workers)``
(the whole batch engine: listing, headers, journal, index). Best of ``-n``.

    .venv/bin/python benches/transcode.py [-n 3] [--files 4] [--frames 24]
"""

from __future__ import annotations

import argparse
import gzip
import io
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGLosslessSV1, JPEGLSLossless

import dicodec
import dicodec.batch

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"


def _corpus_file() -> Path | None:
    import csv

    man = CORPUS / "MANIFEST.csv"
    if not man.is_file():
        return None
    with man.open(newline="") as f:
        rows = [
            r
            for r in csv.DictReader(f)
            if r["kind"] == "dicom"
            and r["ts_group"] == "native_explicit_le"
            and r["bits_allocated"] == "16"
            and r["samples_per_pixel"] == "1"
        ]
    if not rows:
        return None
    return CORPUS / max(rows, key=lambda r: int(r["size"]))["file"]


def _synthetic(frames: int) -> bytes:
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    base = np.kron(ds.pixel_array.astype(np.int32), np.ones((4, 4), np.int32))
    rng = np.random.default_rng(0)
    stack = np.empty((frames, 512, 512), np.int16)
    for i in range(frames):
        stack[i] = np.roll(base, i, axis=1) + rng.integers(-3, 4, base.shape)
    ds.Rows, ds.Columns = 512, 512
    ds.NumberOfFrames = frames
    ds.PixelData = stack.tobytes()
    ds["PixelData"].VR = "OW"
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


# ---- peers (run in pool workers) ---------------------------------------------


def _peer_jpegls(args: tuple[str, str]) -> int:
    src, dst = args
    ds = pydicom.dcmread(src)
    from pydicom.pixels.encoders import JPEGLSLosslessEncoder

    if JPEGLSLosslessEncoder.available_plugins:
        ds.compress(JPEGLSLossless, generate_instance_uid=False)
    else:
        import imagecodecs

        arr = ds.pixel_array.reshape(-1, ds.Rows, ds.Columns)
        ds.PixelData = encapsulate([imagecodecs.jpegls_encode(f) for f in arr])
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        ds.file_meta.TransferSyntaxUID = JPEGLSLossless
    ds.save_as(dst)
    return os.path.getsize(dst)


def _peer_jpegll(args: tuple[str, str]) -> int:
    import imagecodecs

    src, dst = args
    ds = pydicom.dcmread(src)
    arr = ds.pixel_array.reshape(-1, ds.Rows, ds.Columns)
    bits = int(ds.BitsStored)
    if arr.dtype.kind == "i":  # signed: the Bits Stored low bits, as DICOM encoders write them
        arr = (arr.astype(np.int32) & ((1 << bits) - 1)).astype(np.uint16)
    frames = [
        imagecodecs.jpeg8_encode(f, lossless=True, predictor=1, bitspersample=bits) for f in arr
    ]
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
    ds.save_as(dst)
    return os.path.getsize(dst)


def _peer_name(target: str) -> str:
    if target == "jpeg-ls":
        from pydicom.pixels.encoders import JPEGLSLosslessEncoder

        plugins = JPEGLSLosslessEncoder.available_plugins
        if plugins:
            return f"pydicom Dataset.compress ({', '.join(plugins)} = CharLS)"
        return (
            "CharLS (imagecodecs) per frame + pydicom encapsulate "
            "(pydicom has no JPEG-LS encoder here)"
        )
    return "libjpeg-turbo lossless (imagecodecs) per frame + pydicom encapsulate"


def _best(fn, n: int) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=3, help="repeats (best of)")
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--corpus",
        action="store_true",
        help="the largest 16-bit native file of the shared corpus instead of the synthetic CT",
    )
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dicodec-transcode-bench-"))
    try:
        src_dir = tmp / "in"
        src_dir.mkdir()
        corpus = _corpus_file() if args.corpus else None
        data = corpus.read_bytes() if corpus else _synthetic(args.frames)
        for i in range(args.files):
            (src_dir / f"f{i}.dcm").write_bytes(data)
        info = dicodec.frame_info(data)
        print(
            f"input: {args.files} x {corpus.name if corpus else 'synthetic CT'} "
            f"({info.frames} frames {info.rows}x{info.columns}, {len(data) / 1e6:.1f} MB each); "
            f"{args.workers} workers / threads; os.cpu_count()={os.cpu_count()}, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        files = sorted(src_dir.glob("*.dcm"))
        pool = mp.get_context("fork").Pool(args.workers)
        try:
            for target, peer in (("jpeg-lossless", _peer_jpegll), ("jpeg-ls", _peer_jpegls)):
                peer_out = tmp / f"peer-{target}"
                peer_out.mkdir()
                jobs = [(str(f), str(peer_out / f.name)) for f in files]
                t_peer = _best(lambda jobs=jobs, peer=peer: pool.map(peer, jobs), args.n)
                out = tmp / f"dicodec-{target}"

                def ours(out: Path = out, target: str = target) -> None:
                    r = dicodec.batch.transcode(
                        [src_dir], out, to=target, threads=args.workers, overwrite=True
                    )
                    assert r.ok and r.decoded == len(files), r.table()

                t_ours = _best(ours, args.n)
                ours_size = sum(p.stat().st_size for p in (out / "in").glob("*.dcm"))
                peer_size = sum(p.stat().st_size for p in peer_out.glob("*.dcm"))
                _check(out / "in" / files[0].name, peer_out / files[0].name, data)
                mb = len(data) * len(files) / 1e6
                print(
                    f"native -> {target}: dicodec {t_ours:.3f} s ({mb / t_ours:.0f} MB/s), "
                    f"{_peer_name(target)} {t_peer:.3f} s ({mb / t_peer:.0f} MB/s): "
                    f"{t_peer / t_ours:.2f}x; sizes dicodec {ours_size:,} B, peer {peer_size:,} B"
                )
        finally:
            pool.close()
            pool.join()
        _ratios(data)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check(ours: Path, peer: Path, native: bytes) -> None:
    """dicodec's output decoded by pydicom's plugins, the peer's by dicodec:
    both equal the native pixels."""
    ref = dicodec.read_pixels(native)
    ds = pydicom.dcmread(ours)
    assert np.array_equal(ds.pixel_array.reshape(ref.shape), ref), "dicodec output differs"
    assert np.array_equal(dicodec.read_pixels(peer), ref), "peer output differs"


def _ratios(data: bytes) -> None:
    from dicodec.compress import encodable_syntaxes, is_lossy
    from dicodec.transcode import syntax_name, transcode_file

    gz = len(gzip.compress(data, 6))
    print(f"compression ratio (native file size / output size): gzip -6 {len(data) / gz:.2f}")
    for uid in sorted(u for u in encodable_syntaxes() if not is_lossy(u)):
        out = transcode_file(data, uid)
        print(f"  {syntax_name(uid)}: {len(data) / len(out.data):.2f}")


if __name__ == "__main__":
    main()
