"""dicodec: fast, safe DICOM pixel-data engine (Rust core, Python API).

See the README for examples.
"""

from __future__ import annotations

from dicodec._native import __version__, get_max_alloc, set_max_alloc
from dicodec.errors import DicodecError, LimitExceededError, MalformedError, UnsupportedError

__all__ = [
    "__version__",
    "DicodecError",
    "MalformedError",
    "UnsupportedError",
    "LimitExceededError",
    "get_max_alloc",
    "set_max_alloc",
]

# ---- reader / native pixel data (foundation) ----
from dicodec.errors import DicodecWarning  # noqa: E402
from dicodec.pixels import FrameInfo, frame_info, read_pixels  # noqa: E402

__all__ += ["read_pixels", "frame_info", "FrameInfo", "DicodecWarning"]

# ---- end reader ----


# ---- RLE Lossless ----
from dicodec.rle import RLEWarning, rle_check, rle_decode, rle_encode  # noqa: E402

__all__ += ["rle_decode", "rle_encode", "rle_check", "RLEWarning"]

# ---- end RLE ----


# ---- JPEG Lossless ----
from dicodec.jpegll import (  # noqa: E402
    JpegLosslessInfo,
    JpegLosslessWarning,
    jpegll_check,
    jpegll_decode,
    jpegll_info,
)

__all__ += [
    "JpegLosslessInfo",
    "JpegLosslessWarning",
    "jpegll_check",
    "jpegll_decode",
    "jpegll_info",
]
# ---- end JPEG ----


# ---- JPEG 2000 / HTJ2K, JPEG XL, Deflated Image Frames ----
from dicodec.libcodecs import (  # noqa: E402
    LibraryCodecWarning,
    deflate_frame_decode,
    deflate_frame_encode,
    j2k_decode,
    j2k_info,
    jxl_decode,
    jxl_info,
)

__all__ += [
    "LibraryCodecWarning",
    "deflate_frame_decode",
    "deflate_frame_encode",
    "j2k_decode",
    "j2k_info",
    "jxl_decode",
    "jxl_info",
]
# ---- end library codecs ----


# ---- scanning ----
from dicodec.scan import scan, scan_batches  # noqa: E402

__all__ += ["scan", "scan_batches"]
# ---- end scanning ----


# ---- batch decoding ----
from dicodec import batch  # noqa: E402  (imports pydicom/zarr/dask only when used)
from dicodec.batch import iter_decode  # noqa: E402

__all__ += ["batch", "iter_decode"]
# ---- end batch ----
