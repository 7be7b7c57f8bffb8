"""DCT JPEG (ITU-T T.81 baseline SOF0, extended SOF1, progressive SOF2): decode
raw streams, 8 and 12 bits, bit-exact with libjpeg-turbo.

Example::

    >>> import dicodec
    >>> info = dicodec.jpeg_info(stream)             # headers only
    >>> arr = dicodec.jpeg_decode(stream)            # YCbCr kept, as stored
    >>> rgb = dicodec.jpeg_decode(stream, colour="rgb")

``colour="keep"`` returns the components as decoded (a YCbCr stream stays
YCbCr, upsampled as libjpeg-turbo does); ``colour="rgb"`` converts YCbCr to RGB
with libjpeg-turbo's integer tables (not when an Adobe APP14 marker or 'R',
'G', 'B' component ids say the stream is not YCbCr). Damaged streams are
decoded as far as the data goes, with a :class:`JpegWarning`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dicodec import _native
from dicodec._buffers import _byte_view, _out_view
from dicodec.errors import DicodecError, DicodecWarning

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import NDArray
    from typing_extensions import Buffer

__all__ = ["JpegInfo", "JpegWarning", "jpeg_check", "jpeg_decode", "jpeg_info"]


class JpegWarning(DicodecWarning):
    """A damaged DCT JPEG stream was decoded as far as its data goes."""


@dataclass(frozen=True)
class JpegInfo:
    """Headers of a DCT JPEG stream (see :func:`jpeg_info`)."""

    #: SOF marker code: 0xC0 baseline, 0xC1 extended, 0xC2 progressive.
    sof: int
    #: Sample precision in bits (8 or 12).
    precision: int
    rows: int
    columns: int
    component_ids: tuple[int, ...]
    #: (horizontal, vertical) sampling factors per component.
    sampling: tuple[tuple[int, int], ...]
    restart_interval: int
    #: Adobe APP14 transform flag, or None without the marker.
    adobe_transform: int | None
    jfif: bool
    #: True for three YCbCr-coded components (libjpeg's rules).
    ycbcr: bool

    @property
    def shape(self) -> tuple[int, ...]:
        n = len(self.component_ids)
        return (self.rows, self.columns) if n == 1 else (self.rows, self.columns, n)

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(np.uint8 if self.precision <= 8 else np.uint16)


def _info(d: dict[str, Any]) -> JpegInfo:
    return JpegInfo(
        sof=d["sof"],
        precision=d["precision"],
        rows=d["rows"],
        columns=d["columns"],
        component_ids=tuple(d["component_ids"]),
        sampling=tuple(tuple(s) for s in d["sampling"]),
        restart_interval=d["restart_interval"],
        adobe_transform=d["adobe_transform"],
        jfif=d["jfif"],
        ycbcr=d["ycbcr"],
    )


def jpeg_info(data: Buffer) -> JpegInfo:
    """Reads the headers of a DCT JPEG stream without decoding it. Raises
    :class:`~dicodec.UnsupportedError` naming the SOF for other processes."""
    return _info(_native.jpeg_info(_byte_view(data)))


def jpeg_check(data: Buffer) -> bool:
    """True if `data` is a DCT JPEG stream dicodec can decode (its headers
    parse; the entropy-coded data is not decoded)."""
    try:
        _native.jpeg_info(_byte_view(data))
    except (DicodecError, TypeError, ValueError):
        return False
    return True


def jpeg_decode(
    data: Buffer, /, *, out: NDArray[Any] | None = None, colour: str = "keep"
) -> NDArray[Any]:
    """Decodes a DCT JPEG stream into a uint8 (8-bit) or uint16 (12-bit) array
    of shape (rows, columns[, components]), colour-by-pixel, subsampled
    components upsampled as libjpeg-turbo does. With `out` (a writeable
    C-contiguous array of that dtype and size) the samples are written into it.
    `colour`: ``"keep"`` or ``"rgb"`` (see the module doc). The GIL is released
    while decoding."""
    if colour not in ("keep", "rgb"):
        raise ValueError(f"colour must be 'keep' or 'rgb', not {colour!r}")
    src = _byte_view(data)
    info = _info(_native.jpeg_info(src))
    if out is None:
        out = np.empty(info.shape, dtype=info.dtype)
    elif out.dtype.itemsize != info.dtype.itemsize or out.dtype.kind not in "ui":
        raise ValueError(f"out must have dtype {info.dtype}, not {out.dtype}")
    view = _out_view(out, int(np.prod(info.shape)) * info.dtype.itemsize)
    if np.may_share_memory(src, view):
        raise ValueError("out shares memory with data")
    for m in _native.jpeg_decode_into(src, view, colour=colour):
        warnings.warn(m, JpegWarning, stacklevel=2)
    return out
