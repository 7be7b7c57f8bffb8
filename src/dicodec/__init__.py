"""dicodec: fast, safe DICOM pixel-data engine (Rust core, Python API).

See the README for examples.
"""

from __future__ import annotations

from dicodec import batch  # imports pydicom/zarr/dask only when used
from dicodec._native import __version__
from dicodec._settings import apply_environment as _apply_environment
from dicodec._settings import get_max_alloc, set_max_alloc
from dicodec.batch import iter_decode
from dicodec.compress import ENCODABLE_SYNTAXES, compress
from dicodec.display import render
from dicodec.errors import (
    DicodecError,
    DicodecWarning,
    LimitExceededError,
    MalformedError,
    UnsupportedError,
)
from dicodec.jpeg import JpegInfo, JpegWarning, jpeg_check, jpeg_decode, jpeg_info
from dicodec.jpegll import (
    JpegLosslessInfo,
    JpegLosslessWarning,
    jpegll_check,
    jpegll_decode,
    jpegll_encode,
    jpegll_info,
)
from dicodec.jpegls import (
    JpegLsInfo,
    JpegLsWarning,
    jpegls_check,
    jpegls_decode,
    jpegls_encode,
    jpegls_info,
)
from dicodec.libcodecs import (
    LibraryCodecWarning,
    deflate_frame_decode,
    deflate_frame_encode,
    j2k_decode,
    j2k_encode,
    j2k_info,
    jxl_decode,
    jxl_info,
)
from dicodec.pipeline import (
    apply_color_lut,
    apply_modality_lut,
    apply_voi,
    apply_voi_lut,
    apply_windowing,
    convert_color_space,
)
from dicodec.reader import FrameInfo, frame_info, read_pixels
from dicodec.rle import RLEWarning, rle_check, rle_decode, rle_encode
from dicodec.scan import scan, scan_batches

__all__ = [
    "compress",
    "ENCODABLE_SYNTAXES",
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
    # JPEG baseline/extended/progressive (DCT)
    "JpegInfo",
    "JpegWarning",
    "jpeg_check",
    "jpeg_decode",
    "jpeg_info",
    # JPEG Lossless
    "JpegLosslessInfo",
    "JpegLosslessWarning",
    "jpegll_check",
    "jpegll_decode",
    "jpegll_encode",
    "jpegll_info",
    # JPEG-LS
    "JpegLsInfo",
    "JpegLsWarning",
    "jpegls_check",
    "jpegls_decode",
    "jpegls_encode",
    "jpegls_info",
    # JPEG 2000 / HTJ2K, JPEG XL, Deflated Image Frames (library codecs)
    "LibraryCodecWarning",
    "deflate_frame_decode",
    "deflate_frame_encode",
    "j2k_decode",
    "j2k_encode",
    "j2k_info",
    "jxl_decode",
    "jxl_info",
    # scanning headers
    "scan",
    "scan_batches",
    # batch decoding
    "batch",
    "iter_decode",
    # pixel pipeline (stored values -> what people look at)
    "apply_modality_lut",
    "apply_voi_lut",
    "apply_voi",
    "apply_windowing",
    "apply_color_lut",
    "convert_color_space",
    "render",
]

_apply_environment()  # DICODEC_MAX_ALLOC: sizes with units; garbage raises SettingsError
