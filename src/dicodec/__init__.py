"""dicodec: fast, safe DICOM pixel-data engine (Rust core, Python API).

See the README for examples.
"""

from __future__ import annotations

from dicodec import batch  # imports pydicom/zarr/dask only when used
from dicodec._native import __version__, get_max_alloc, set_max_alloc
from dicodec.batch import iter_decode
from dicodec.compress import compress
from dicodec.errors import (
    DicodecError,
    DicodecWarning,
    LimitExceededError,
    MalformedError,
    UnsupportedError,
)
from dicodec.jpegll import (
    JpegLosslessInfo,
    JpegLosslessWarning,
    jpegll_check,
    jpegll_decode,
    jpegll_encode,
    jpegll_info,
)
from dicodec.reader import FrameInfo, frame_info, read_pixels
from dicodec.rle import RLEWarning, rle_check, rle_decode, rle_encode
from dicodec.scan import scan, scan_batches

__all__ = [
    "compress",
    "__version__",
    "DicodecError",
    "MalformedError",
    "UnsupportedError",
    "LimitExceededError",
    "get_max_alloc",
    "set_max_alloc",
    # reading pixel data (native and encapsulated)
    "read_pixels",
    "frame_info",
    "FrameInfo",
    "DicodecWarning",
    # RLE Lossless
    "rle_decode",
    "rle_encode",
    "rle_check",
    "RLEWarning",
    # JPEG Lossless
    "JpegLosslessInfo",
    "JpegLosslessWarning",
    "jpegll_check",
    "jpegll_decode",
    "jpegll_encode",
    "jpegll_info",
    # scanning headers
    "scan",
    "scan_batches",
    # batch decoding
    "batch",
    "iter_decode",
]
