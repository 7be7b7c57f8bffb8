"""Pixel pipeline vs pydicom (a benchmark, not a test; < 1 min).

    python benches/bench_pipeline.py [--repeat 5]

A 120-frame 512x512 CT (12-bit stored, Rescale 1/-1024, window 40/400) made
with NumPy, and a 60-frame 480x640 RGB "ultrasound" for YCbCr -> RGB. Prints
best-of-N seconds and the ratio pydicom / dicodec, results checked equal.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import processing as P
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

import dicodec


def best(fn, repeat):
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def ct_dataset(frames: int = 120) -> tuple[Dataset, np.ndarray]:
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 512)
    body = (np.sin(x[:, None] * 9) * np.cos(x[None, :] * 7) * 1500 + 1024).astype(np.int32)
    arr = np.clip(body[None] + rng.integers(-40, 40, (frames, 512, 512)), 0, 4095).astype(np.uint16)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.Rows = ds.Columns = 512
    ds.NumberOfFrames = frames
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.RescaleSlope = 1
    ds.RescaleIntercept = -1024
    ds.WindowCenter = 40
    ds.WindowWidth = 400
    ds.PixelData = arr.tobytes()
    return ds, arr


def pydicom_render(path: str) -> np.ndarray:
    from pydicom import dcmread

    ds = dcmread(path)
    arr = ds.pixel_array
    arr = P.apply_modality_lut(arr, ds)
    arr = P.apply_voi_lut(arr, ds)
    lo, hi = 0, 2**ds.BitsStored - 1  # windowing output range (no rescale of the range here)
    lo = lo * ds.RescaleSlope + ds.RescaleIntercept
    hi = hi * ds.RescaleSlope + ds.RescaleIntercept
    return np.clip(np.floor((arr - lo) / (hi - lo) * 255 + 0.5), 0, 255).astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    r = ap.parse_args().repeat
    ds, arr = ct_dataset()
    rows = []

    def row(name, ref_fn, our_fn, check=True):
        a, b = ref_fn(), our_fn()
        if check:
            if a.dtype.kind == "f":
                np.testing.assert_allclose(b, a, rtol=1e-6)
            else:
                np.testing.assert_array_equal(b, a)
        tp, td = best(ref_fn, r), best(our_fn, r)
        rows.append((name, tp, td, tp / td))

    row(
        "modality LUT (rescale)",
        lambda: P.apply_modality_lut(arr, ds),
        lambda: dicodec.apply_modality_lut(arr, ds),
    )
    mod = P.apply_modality_lut(arr, ds)
    row(
        "VOI LUT (window, float64 in)",
        lambda: P.apply_voi_lut(mod, ds),
        lambda: dicodec.apply_voi_lut(mod, ds),
    )
    rng = np.random.default_rng(1)
    us = rng.integers(0, 256, (60, 480, 640, 3), dtype=np.uint8)
    row(
        "YBR_FULL -> RGB (60x480x640)",
        lambda: P.convert_color_space(us, "YBR_FULL", "RGB"),
        lambda: dicodec.convert_color_space(us, "YBR_FULL", "RGB"),
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ct.dcm")
        ds.save_as(path, enforce_file_format=True)
        row(
            "render(path, window='file') vs pydicom read+LUTs+uint8",
            lambda: pydicom_render(path),
            lambda: dicodec.render(path, window="file"),
            check=False,
        )
        ours, ref = dicodec.render(path, window="file"), pydicom_render(path)
        print(f"render vs pydicom-based uint8: max |diff| = {np.abs(ours.astype(int) - ref).max()}")

        def pil_loop():
            from PIL import Image

            out = os.path.join(tmp, "pil")
            os.makedirs(out, exist_ok=True)
            for i, frame in enumerate(pydicom_render(path)):
                Image.fromarray(frame).save(os.path.join(out, f"{i:04d}.png"))

        def export():
            from dicodec.export import export as run

            out = os.path.join(tmp, "exp")
            shutil.rmtree(out, ignore_errors=True)
            run([path], out, window="file", progress="none")

        def dcmtk():
            out = os.path.join(tmp, "dcmtk")
            os.makedirs(out, exist_ok=True)
            subprocess.run(
                ["dcmj2pnm", "+Fa", "+on", "+Wi", "1", path, os.path.join(out, "f")], check=True
            )

        tp, td = best(pil_loop, max(1, r // 2)), best(export, r)
        rows.append(("export PNG vs pydicom + Pillow loop", tp, td, tp / td))
        if shutil.which("dcmj2pnm"):
            tp = best(dcmtk, max(1, r // 2))
            rows.append(("export PNG vs dcmj2pnm +Fa", tp, td, tp / td))
    print(f"{'step':58s} {'pydicom s':>10s} {'dicodec s':>10s} {'ratio':>7s}")
    for name, tp, td, q in rows:
        print(f"{name:58s} {tp:10.4f} {td:10.4f} {q:7.1f}x")
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
