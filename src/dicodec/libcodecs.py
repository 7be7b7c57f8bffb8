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
from dicodec import uids as _uids
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
    "j2k_encode",
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


def j2k_encode(
    array: NDArray[Any],
    /,
    *,
    bits_stored: int | None = None,
    levels: int | None = None,
    code_block: tuple[int, int] | None = None,
    mct: bool = True,
    threads: int | None = None,
) -> bytes:
    """Encodes ``array`` as a lossless JPEG 2000 codestream (OpenJPEG,
    reversible 5/3 wavelet, one tile, one layer), as DICOM's JPEG 2000
    Lossless syntax stores a frame.

    ``array``: (rows, columns) or (rows, columns, 3) of (u)int8, (u)int16 or
    (u)int32 (at most 24 bits stored); signed arrays are stored signed.
    ``bits_stored``: the precision (default: the dtype's bits; samples must
    fit it). ``levels``: decomposition levels (default 5, fewer for small
    images); ``code_block``: (height, width), default (64, 64). ``mct``: apply
    the reversible colour transform to 3-sample images (DICOM's YBR_RCT; the
    decoder undoes it). Decoded by :func:`j2k_decode`, OpenJPEG, Kakadu...

    Example::

        >>> stream = dicodec.j2k_encode(ct)          # ct: (512, 512) int16
        >>> np.array_equal(dicodec.j2k_decode(stream), ct)
        True
    """
    arr = np.asarray(array)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3)):
        raise ValueError(f"j2k_encode takes (rows, columns[, 1 or 3]) arrays, not {arr.shape}")
    if arr.dtype.kind not in "ui" or arr.dtype.itemsize not in (1, 2, 4):
        raise TypeError(f"j2k_encode takes 8, 16 or 32-bit integers, not {arr.dtype}")
    samples = arr.shape[2] if arr.ndim == 3 else 1
    bits = 8 * arr.dtype.itemsize
    data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    photometric = "MONOCHROME2" if samples == 1 else "YBR_RCT" if mct else "RGB"
    kwargs: dict[str, Any] = {}
    if levels is not None:
        kwargs["levels"] = int(levels)
    if code_block is not None:
        kwargs["code_block"] = tuple(int(v) for v in code_block)
    (stream,) = _native._encode_frames(
        _uids.JPEG_2000_LOSSLESS,
        data.reshape(-1).view(np.uint8),
        1,
        arr.shape[0],
        arr.shape[1],
        samples,
        bits,
        bits if bits_stored is None else int(bits_stored),
        1 if arr.dtype.kind == "i" else 0,
        photometric,
        codec="j2k",
        threads=threads,
        **kwargs,
    )
    return bytes(stream)


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
