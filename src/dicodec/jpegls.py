"""JPEG-LS (ITU-T T.87 / ISO 14495-1): decode and encode raw streams, lossless
and near-lossless (DICOM ``uids.JPEG_LS_LOSSLESS`` and
``uids.JPEG_LS_NEAR_LOSSLESS``, .80 and .81).

Precision 2-16 bits, 1-4 components, interleave none / line / sample, NEAR
0-255, default and custom thresholds (LSE), restart intervals, DNL, HP colour
transforms (APP8 "mrfx"). The GIL is released while decoding or encoding and
the samples are written straight into the NumPy array. Streams are bit-exact
with CharLS both ways.

Example::

    >>> import dicodec
    >>> stream = dicodec.jpegls_encode(ct)              # ct: (512, 512) uint16
    >>> info = dicodec.jpegls_info(stream)              # headers only
    >>> info.precision, info.shape, info.near
    (16, (512, 512), 0)
    >>> np.array_equal(dicodec.jpegls_decode(stream), ct)
    True
    >>> lossy = dicodec.jpegls_encode(rgb, near=2, interleave="line")

Oddities of real streams (no EOI, garbage before a marker, surplus restart
markers, the Java JAI encoder's thresholds for more than 12 bits...) are
tolerated with a :class:`JpegLsWarning`; see the README's JPEG-LS section.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dicodec import _native, uids
from dicodec._buffers import _byte_view, _out_view
from dicodec._info import ImageInfo
from dicodec.errors import (
    DicodecError,
    DicodecWarning,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    OutputArrayError,
    OutputArrayTypeError,
)

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import NDArray
    from pydicom.pixels.encoders.base import EncodeRunner
    from typing_extensions import Buffer

__all__ = [
    "JpegLsInfo",
    "JpegLsWarning",
    "jpegls_check",
    "jpegls_decode",
    "jpegls_encode",
    "jpegls_info",
]

#: Interleave mode names, in the order of their T.87 ILV values (0, 1, 2).
_INTERLEAVE = ("none", "line", "sample")


class JpegLsWarning(DicodecWarning):
    """A JPEG-LS stream with a tolerated oddity was decoded (the message says
    what was tolerated)."""


@dataclass(frozen=True)
class JpegLsInfo(ImageInfo):
    """Headers of a JPEG-LS stream (see :func:`jpegls_info`); ``shape`` and
    ``dtype`` are those :func:`jpegls_decode` returns."""

    #: NEAR of the first scan (0: lossless).
    near: int
    #: Interleave mode of the first scan: "none", "line" or "sample".
    interleave: str
    #: Number of scans.
    scans: int
    #: Lines per restart interval (0: none).
    restart_interval: int
    #: MAXVAL of the first scan (defaults resolved).
    maxval: int
    #: Gradient thresholds T1, T2, T3 of the first scan (defaults resolved).
    t1: int
    t2: int
    t3: int
    #: RESET of the first scan.
    reset: int
    #: True when an LSE segment gave preset coding parameters.
    custom_preset: bool
    #: HP colour transform of an APP8 "mrfx" segment (0: none).
    colour_transform: int
    #: True when LSE mapping tables were present.
    mapping_tables: bool


def _info(d: dict[str, Any]) -> JpegLsInfo:
    return JpegLsInfo(
        precision=d["precision"],
        rows=d["rows"],
        columns=d["columns"],
        components=d["components"],
        near=d["near"],
        interleave=_INTERLEAVE[d["interleave"]],
        scans=d["scans"],
        restart_interval=d["restart_interval"],
        maxval=d["maxval"],
        t1=d["t1"],
        t2=d["t2"],
        t3=d["t3"],
        reset=d["reset"],
        custom_preset=d["custom_preset"],
        colour_transform=d["colour_transform"],
        mapping_tables=d["mapping_tables"],
    )


def jpegls_info(data: Buffer) -> JpegLsInfo:
    """Reads the headers of a JPEG-LS stream without decoding it (the
    entropy-coded data is skipped, to count the scans). Raises
    :class:`~dicodec.MalformedError` (with the byte offset) for broken
    headers."""
    return _info(_native.jpegls_info(_byte_view(data)))


def jpegls_check(data: Buffer) -> bool:
    """True if `data` is a JPEG-LS stream dicodec can decode (its headers
    parse; the entropy-coded data is not decoded)."""
    try:
        _native.jpegls_info(_byte_view(data))
    except (DicodecError, TypeError, ValueError):
        return False
    return True


def _out(out: Any, info: JpegLsInfo) -> np.ndarray:
    """The byte view of the caller's ``out`` array, checked."""
    if not isinstance(out, np.ndarray):
        raise OutputArrayTypeError(f"out must be a numpy array, not {type(out).__name__}")
    if out.dtype.kind not in "ui" or out.dtype.itemsize != info.dtype.itemsize:
        raise OutputArrayTypeError(
            f"out must have dtype {info.dtype} (or its signed twin), not {out.dtype}"
        )
    if out.shape != info.shape:
        raise OutputArrayError(f"out must have shape {info.shape}, not {out.shape}")
    try:
        return _out_view(out, out.nbytes)
    except ValueError as e:
        raise OutputArrayError(str(e)) from None


def jpegls_decode(
    data: Buffer,
    /,
    *,
    out: NDArray[Any] | None = None,
    legacy_thresholds: bool | None = None,
) -> NDArray[Any]:
    """Decodes a JPEG-LS stream.

    Returns a uint8 (precision <= 8) or uint16 array of shape
    (rows, columns[, components]), colour-by-pixel whatever the interleave
    mode. With `out` (a writeable C-contiguous array of exactly that shape and
    dtype, or its signed twin) the samples are written into it and it is
    returned; otherwise :class:`~dicodec.errors.OutputArrayError` (or
    :class:`~dicodec.errors.OutputArrayTypeError` for the dtype). The GIL is
    released while decoding. Tolerated oddities raise a :class:`JpegLsWarning`.

    `legacy_thresholds`: ``None`` decodes with the standard default thresholds
    and, when that fails on a stream without LSE segment of more than 12 bits
    or of 6-7 bits, again with those of the old encoders that computed them
    otherwise (the Java JAI encoder; CharLS before 2.1, so dcmtk's dcmjpls),
    with a warning; ``True``/``False`` force the legacy / standard ones.
    """
    src = _byte_view(data)
    info = _info(_native.jpegls_info(src, full=False))
    if out is None:
        out = np.empty(info.shape, dtype=info.dtype)
    view = _out(out, info)
    if np.may_share_memory(src, view):
        raise OutputArrayError("out shares memory with data")
    for m in _native.jpegls_decode_into(src, view, legacy_thresholds=legacy_thresholds):
        warnings.warn(m, JpegLsWarning, stacklevel=2)
    return out


def _interleave(interleave: str | int | None, components: int) -> int:
    if interleave is None:
        return 0 if components == 1 else 2
    if isinstance(interleave, str) and interleave in _INTERLEAVE:
        return _INTERLEAVE.index(interleave)
    if isinstance(interleave, int) and 0 <= interleave <= 2:
        return interleave
    raise InvalidArgumentError(
        f"interleave must be None, 'none', 'line' or 'sample', not {interleave!r}"
    )


def jpegls_encode(
    array: NDArray[Any],
    /,
    *,
    near: int = 0,
    interleave: str | None = None,
    bits_stored: int | None = None,
    restart_interval: int = 0,
) -> bytes:
    """Encodes an image as a JPEG-LS stream.

    `array`: (rows, columns) or (rows, columns, components) with 1-4
    components, colour-by-pixel, of dtype uint8, int8, uint16 or int16.
    `near`: the maximum error per sample (0: lossless, DICOM JPEG-LS Lossless;
    above 0: JPEG-LS Near-Lossless). `interleave`: ``"none"`` (one scan per
    component), ``"line"`` or ``"sample"``; ``None`` chooses ``"none"`` for one
    component and ``"sample"`` otherwise.
    `bits_stored`: the sample precision written in the frame header (2-16;
    default the dtype's width); every value must fit it (signed arrays: two's
    complement in `bits_stored` bits, as DICOM stores them). `restart_interval`:
    lines between restart markers (0: none).

    The output matches CharLS's stream for the same parameters (same size
    within a few bytes); the GIL is released while encoding.

    >>> stream = dicodec.jpegls_encode(mr, bits_stored=12)
    >>> np.array_equal(dicodec.jpegls_decode(stream), mr)
    True
    """
    arr = np.asarray(array)
    if arr.ndim == 2:
        components = 1
    elif arr.ndim == 3 and 1 <= arr.shape[2] <= 4:
        components = arr.shape[2]
    else:
        raise InvalidArgumentError(
            f"array must be (rows, columns) or (rows, columns, 1-4 components), not {arr.shape}"
        )
    if arr.dtype.kind not in "ui" or arr.dtype.itemsize not in (1, 2):
        raise InvalidArgumentTypeError(
            f"array dtype must be uint8, int8, uint16 or int16, not {arr.dtype}"
        )
    bits = arr.dtype.itemsize * 8
    bs = bits if bits_stored is None else int(bits_stored)
    if not 2 <= bs <= bits:
        raise InvalidArgumentError(f"bits_stored {bs} must be 2-{bits} for {arr.dtype}")
    if not 0 <= int(near) <= 255:
        raise InvalidArgumentError(f"near must be 0-255, not {near}")
    if not 0 <= int(restart_interval) <= 65535:
        raise InvalidArgumentError(f"restart_interval must be 0-65535, not {restart_interval}")
    ilv = _interleave(interleave, components)
    signed = arr.dtype.kind == "i"
    if bs < bits and arr.size:
        lo, hi = (-(1 << (bs - 1)), (1 << (bs - 1)) - 1) if signed else (0, (1 << bs) - 1)
        amin, amax = int(arr.min()), int(arr.max())
        if amin < lo or amax > hi:
            raise InvalidArgumentError(
                f"values {amin}..{amax} do not fit bits_stored {bs} ({lo}..{hi}): "
                "encoding would lose them"
            )
    samples = arr.astype(np.uint16)  # int8/int16: two's complement, masked below
    if signed or bs < 16:
        samples &= np.uint16((1 << bs) - 1)
    return _native.jpegls_encode_samples(
        np.ascontiguousarray(samples).reshape(-1),
        arr.shape[0],
        arr.shape[1],
        components,
        bs,
        near=int(near),
        interleave=ilv,
        restart_interval=int(restart_interval),
    )


def _pydicom_encode_frame(src: bytes, runner: EncodeRunner) -> bytes:
    """Encodes one frame for pydicom's JPEGLSLosslessEncoder and
    JPEGLSNearLosslessEncoder, as pydicom's pyjpegls plugin does: precision
    *Bits Stored*, NEAR from the ``jls_error`` option (refused with the
    Lossless transfer syntax), interleave "none" for colour-by-plane input
    (*Planar Configuration* 1) and "sample" otherwise.

    pydicom hands JPEG-LS encoders samples sized for *Bits Stored* (1 byte up
    to 8 bits, else 2), colour-by-plane when *Planar Configuration* is 1."""
    error = int(runner.get_option("jls_error", 0) or 0)
    if error and runner.transfer_syntax == uids.JPEG_LS_LOSSLESS:
        raise ValueError(
            f"A 'jls_error' value of '{error}' is being used with a transfer syntax "
            "of 'JPEG-LS Lossless' - did you mean to use 'JPEG-LS Near Lossless' instead?"
        )
    if runner.get_option("byteorder", "<") == ">":
        raise ValueError("dicodec encodes little-endian input only (byteorder '<')")
    rows, columns, spp = runner.rows, runner.columns, runner.samples_per_pixel
    bs = runner.bits_stored
    if not 2 <= bs <= 16:
        raise ValueError(f"dicodec encodes JPEG-LS of Bits Stored 2-16, not {bs}")
    data = np.frombuffer(src, dtype="<u1" if bs <= 8 else "<u2")
    samples = data.astype(np.uint16) & np.uint16((1 << bs) - 1)
    ilv = 0 if spp == 1 else 2
    if spp > 1 and runner.planar_configuration == 1:
        samples = samples.reshape(spp, rows * columns).T  # colour-by-plane input
        ilv = 0
    return _native.jpegls_encode_samples(
        np.ascontiguousarray(samples).reshape(-1),
        rows,
        columns,
        spp,
        bs,
        near=error,
        interleave=ilv,
        restart_interval=0,
    )
