"""JPEG 2000 / HTJ2K (OpenJPEG), JPEG XL (jxl-oxide) and Deflated Image Frames
(libdeflate): decode raw streams; ``read_pixels`` decodes DICOM files of these
transfer syntaxes (JPEG 2000 lossless/lossy, HTJ2K lossless/RPCL/lossy, JPEG XL
lossless/JPEG recompression/lossy, Deflated Image Frame Compression) directly.

Example::

    >>> import dicodec
    >>> dicodec.j2k_info(stream)["precision"]
    12
    >>> arr = dicodec.j2k_decode(stream)             # uint16 (rows, columns)
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from dicodec import _native
from dicodec._buffers import _byte_view, _out_view
from dicodec.errors import DicodecWarning

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import NDArray
    from typing_extensions import Buffer

__all__ = [
    "LibraryCodecWarning",
    "deflate_frame_decode",
    "deflate_frame_encode",
    "j2k_decode",
    "j2k_info",
    "jxl_decode",
    "jxl_info",
]


class LibraryCodecWarning(DicodecWarning):
    """The codec library reported something it tolerated."""


def _warn(messages: list[str]) -> None:
    for m in messages:
        warnings.warn(m, LibraryCodecWarning, stacklevel=3)


def _decode(
    native_into: Any,
    src: np.ndarray,
    shape: tuple[int, ...],
    dtype: np.dtype,
    out: NDArray[Any] | None,
    threads: int,
) -> NDArray[Any]:
    if out is None:
        out = np.empty(shape, dtype=dtype)
    elif out.dtype.itemsize != dtype.itemsize or out.dtype.kind not in "ui":
        raise ValueError(f"out must have dtype {dtype} (or its signed twin), not {out.dtype}")
    view = _out_view(out, int(np.prod(shape)) * dtype.itemsize)
    if np.may_share_memory(src, view):
        raise ValueError("out shares memory with data")
    _warn(native_into(src, view, threads))
    return out


def j2k_info(data: Buffer, /) -> dict[str, Any]:
    """Main header of a JPEG 2000 / HTJ2K codestream or JP2 file: rows, columns,
    components, precision, signed, tiles, tile_size, levels, layers,
    progression, mct, reversible, ht (High-Throughput), jp2. Decodes nothing."""
    return dict(_native._j2k_info(_byte_view(data)))


def j2k_decode(
    data: Buffer, /, *, out: NDArray[Any] | None = None, threads: int = 1
) -> NDArray[Any]:
    """Decodes a JPEG 2000 / HTJ2K codestream (or JP2 file) with OpenJPEG.

    Returns an array of shape (rows, columns[, components]), colour-by-pixel,
    of (u)int8 up to 8 bits of precision, (u)int16 up to 16, else (u)int32,
    signed as the codestream. `threads`: OpenJPEG worker threads. The GIL is
    released while decoding."""
    src = _byte_view(data)
    i = _native._j2k_info(src)
    bits = 8 if i["precision"] <= 8 else 16 if i["precision"] <= 16 else 32
    dtype = np.dtype(f"<{'i' if i['signed'] else 'u'}{bits // 8}")
    shape = (i["rows"], i["columns"]) + ((i["components"],) if i["components"] > 1 else ())
    return _decode(_native._j2k_decode_into, src, shape, dtype, out, threads)


def jxl_info(data: Buffer, /) -> dict[str, Any]:
    """Header of a JPEG XL codestream or container: rows, columns, channels,
    bits_per_sample, float, xyb, jpeg_reconstruction. Decodes nothing."""
    return dict(_native._jxl_info(_byte_view(data)))


def jxl_decode(
    data: Buffer, /, *, out: NDArray[Any] | None = None, threads: int = 1
) -> NDArray[Any]:
    """Decodes a JPEG XL image with jxl-oxide: uint8 up to 8 bits per sample,
    else uint16 (the codestream's values, not rescaled), shape (rows, columns[,
    channels])."""
    src = _byte_view(data)
    i = _native._jxl_info(src)
    dtype = np.dtype("u1" if i["bits_per_sample"] <= 8 else "<u2")
    shape = (i["rows"], i["columns"]) + ((i["channels"],) if i["channels"] > 1 else ())
    return _decode(_native._jxl_decode_into, src, shape, dtype, out, threads)


def deflate_frame_decode(
    data: Buffer, /, nbytes: int, *, out: NDArray[Any] | None = None
) -> NDArray[Any]:
    """Inflates one raw deflate frame (Deflated Image Frame Compression) of
    exactly `nbytes` bytes into a uint8 array (or `out`); a frame that inflates
    to more or fewer bytes is an error (decompression bombs stop at `nbytes`)."""
    src = _byte_view(data)
    if out is None:
        out = np.empty(nbytes, dtype=np.uint8)
    _native._deflate_frame_decode_into(src, _out_view(out, nbytes))
    return out


def deflate_frame_encode(data: Buffer, /, level: int = 6) -> bytes:
    """Compresses one frame's bytes as raw deflate (libdeflate `level` 0-12),
    padded with a zero byte to an even length as a DICOM fragment must be."""
    return bytes(_native._deflate_frame_encode(_byte_view(data), level))
