"""``dicodec demo``: decodes pydicom's bundled test files with
:func:`dicodec.read_pixels` and prints shape, dtype and time for each (files
dicodec cannot decode are listed as such)."""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

from dicodec.errors import DicodecError
from dicodec.pixels import frame_info, read_pixels


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "demo",
        help="decode pydicom's bundled test files and print shape, dtype and time",
        description="Decodes every DICOM image in pydicom's bundled test files.",
    )
    p.add_argument("--threads", type=int, default=None, help="decoding threads (default: all)")
    p.set_defaults(func=run)


def sample_files() -> tuple[Path, list[Path]]:
    """The folder of pydicom's bundled test files and the files in it, sorted."""
    import pydicom.data

    root = Path(pydicom.data.__file__).parent / "test_files"
    return root, sorted(p for p in root.rglob("*") if p.is_file())


def run(args: argparse.Namespace) -> int:
    try:
        root, files = sample_files()
    except ImportError:
        print("dicodec demo needs pydicom (pip install pydicom)")
        return 1
    decoded = unsupported = skipped = 0
    total = 0.0
    print(f"{'file':<44} {'shape':<18} {'dtype':<8} {'ms':>8}")
    for path in files:
        name = str(path.relative_to(root))
        try:
            info = frame_info(path)
        except DicodecError:
            skipped += 1  # not an image (SR, RT plan, DICOMDIR, text...)
            continue
        if not info.decodable:
            unsupported += 1
            print(f"{name:<44} {info.unsupported_reason}")
            continue
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                arr = read_pixels(path, threads=args.threads)
        except DicodecError as exc:
            unsupported += 1
            print(f"{name:<44} error: {exc}")
            continue
        ms = (time.perf_counter() - t0) * 1000
        total += ms
        decoded += 1
        print(f"{name:<44} {str(arr.shape):<18} {str(arr.dtype):<8} {ms:8.2f}")
    print(
        f"\n{decoded} decoded in {total:.1f} ms, {unsupported} not decodable by dicodec, "
        f"{skipped} without image pixel data"
    )
    return 0
