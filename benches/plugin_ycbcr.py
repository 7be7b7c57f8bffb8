"""``ds.pixel_array`` of a multi-frame YBR_FULL_422 JPEG Baseline file: pydicom
with its own plugins (GDCM, pylibjpeg-libjpeg, Pillow; default order) against
the dicodec plugin (decoding + YCbCr -> RGB in Rust), best of N, same run.

    python benches/plugin_ycbcr.py [--frames 60] [--repeat 5] [--size 480x640]

The input is generated: a 4:2:2 YCbCr JPEG (libjpeg-turbo via imagecodecs,
quality 90) of a smooth test pattern with noise, repeated as frames of an
encapsulated Ultrasound Multi-frame data set (pydicom issue #2226's case).
"""

from __future__ import annotations

import argparse
import io
import time
import warnings

import numpy as np


def make_dataset(frames: int, rows: int, cols: int):  # noqa: ANN201 - pydicom Dataset
    import imagecodecs
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit, generate_uid

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:rows, 0:cols]
    base = np.stack([(x * 255 // cols), (y * 255 // rows), ((x + y) * 255 // (rows + cols))], -1)
    data = []
    for i in range(frames):
        img = (base + rng.integers(0, 24, base.shape) + i).clip(0, 255).astype(np.uint8)
        data.append(imagecodecs.jpeg8_encode(img, level=90, subsampling="422"))
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, cols, frames
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "YBR_FULL_422", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = encapsulate(data)
    ds["PixelData"].VR = "OB"
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def best(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    import pydicom

    from dicodec import pydicom_plugin

    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--size", default="480x640")
    a = ap.parse_args()
    rows, cols = map(int, a.size.split("x"))
    blob = make_dataset(a.frames, rows, cols)

    def read(**opts):  # noqa: ANN202
        def run():  # noqa: ANN202
            ds = pydicom.dcmread(io.BytesIO(blob))
            if opts:
                ds.pixel_array_options(**opts)
            return ds.pixel_array

        return run

    warnings.simplefilter("ignore")
    pydicom_plugin.unregister()
    ref = read()()
    results = {}
    for name, opts in [
        ("pydicom default (gdcm first)", {}),
        ("pydicom + pylibjpeg", {"decoding_plugin": "pylibjpeg"}),
        ("pydicom + pillow", {"decoding_plugin": "pillow"}),
    ]:
        results[name] = best(read(**opts), a.repeat)
    pydicom_plugin.register(prefer=True)
    got = read()()
    results["dicodec plugin"] = best(read(), a.repeat)
    pydicom_plugin.unregister()
    mpx = a.frames * rows * cols / 1e6
    print(
        f"{a.frames} frames {rows}x{cols} YBR_FULL_422 JPEG q90 ({mpx:.1f} Mpx), best of {a.repeat}"
    )
    ours = results["dicodec plugin"]
    for name, t in results.items():
        print(f"  {name:30s} {t * 1e3:8.1f} ms  {mpx * 3 / t:7.1f} MB/s  dicodec x{t / ours:5.2f}")
    diff = np.abs(got.astype(int) - ref.astype(int)).max()
    print(f"  max |dicodec - pydicom default| = {diff}")


if __name__ == "__main__":
    main()
