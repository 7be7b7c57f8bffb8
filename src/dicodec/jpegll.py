"""JPEG Lossless (ITU-T T.81 process 14, SOF3): decode raw streams and DICOM frames.

Decodes every lossless JPEG a DICOM archive holds (transfer syntaxes
``uids.JPEG_LOSSLESS`` and ``uids.JPEG_LOSSLESS_SV1``, .57 and .70): predictors
1-7, point transform, precision 2-16 bits, 1-4 components (any sampling
factors), interleaved or not, several scans, restart intervals (decoded in
parallel), DNL. The GIL is released while
decoding and the samples are written straight into the NumPy array.

Example::

    >>> import dicodec
    >>> info = dicodec.jpegll_info(stream)           # headers only
    >>> info.precision, info.shape, info.predictor
    (16, (512, 512), 1)
    >>> arr = dicodec.jpegll_decode(stream)          # uint16 array (512, 512)

Damaged streams real archives contain (missing EOI, truncated data, missing
restart markers, garbage between segments) are decoded as far as the data goes,
the rest is zeroed, and a :class:`JpegLosslessWarning` says what happened.
Streams from the buggy Cornell 16-bit encoder (Huffman codes longer than 16
bits) are recognised and decoded; streams from the legacy encoder that computed
predictors 5-7 with 16-bit signed intermediates need ``legacy_predictors=True``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dicodec import _native
from dicodec._buffers import _byte_view, _out_view
from dicodec._info import ImageInfo
from dicodec.errors import DicodecError, DicodecWarning

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import NDArray
    from pydicom.pixels.decoders.base import DecodeRunner
    from typing_extensions import Buffer

__all__ = [
    "JpegLosslessInfo",
    "JpegLosslessWarning",
    "jpegll_check",
    "jpegll_decode",
    "jpegll_encode",
    "jpegll_info",
]


class JpegLosslessWarning(DicodecWarning):
    """A damaged stream was decoded as far as its data goes (the message says
    what was tolerated and which rows were zeroed)."""


@dataclass(frozen=True)
class JpegLosslessInfo(ImageInfo):
    """Headers of a lossless JPEG stream (see :func:`jpegll_info`); ``shape``
    and ``dtype`` are those :func:`jpegll_decode` returns. ``precision`` is P
    (2-16 bits); ``rows`` comes from the frame header, or the DNL segment when
    that is 0."""

    #: Component identifiers in frame order.
    component_ids: tuple[int, ...]
    #: (horizontal, vertical) sampling factors per component.
    sampling: tuple[tuple[int, int], ...]
    #: Predictor selection value (1-7) of the first scan.
    predictor: int
    #: Point transform (Pt) of the first scan.
    point_transform: int
    #: Restart interval in MCUs for the first scan (0: none).
    restart_interval: int
    #: Number of scans.
    scans: int
    #: True when the number of lines came from a DNL segment.
    height_from_dnl: bool
    #: True when the stream ends with EOI.
    has_eoi: bool


def _info(d: dict[str, Any]) -> JpegLosslessInfo:
    return JpegLosslessInfo(
        precision=d["precision"],
        rows=d["rows"],
        columns=d["columns"],
        components=d["components"],
        component_ids=tuple(d["component_ids"]),
        sampling=tuple(tuple(s) for s in d["sampling"]),
        predictor=d["predictor"],
        point_transform=d["point_transform"],
        restart_interval=d["restart_interval"],
        scans=d["scans"],
        height_from_dnl=d["height_from_dnl"],
        has_eoi=d["has_eoi"],
    )


def jpegll_info(data: Buffer) -> JpegLosslessInfo:
    """Reads the headers of a raw lossless JPEG stream without decoding it
    (the entropy-coded data is skipped, to count the scans and find DNL/EOI).

    Raises :class:`~dicodec.UnsupportedError` (naming the SOF) for other JPEG
    processes and :class:`~dicodec.MalformedError` (with the byte offset) for
    broken headers.
    """
    return _info(_native.jpegll_info(_byte_view(data)))


def jpegll_check(data: Buffer) -> bool:
    """True if `data` is a lossless JPEG stream dicodec can decode (its headers
    parse; the entropy-coded data is not decoded)."""
    try:
        _native.jpegll_info(_byte_view(data))
    except (DicodecError, TypeError, ValueError):
        return False
    return True


def _warn(messages: list[str], stacklevel: int) -> None:
    for m in messages:
        warnings.warn(m, JpegLosslessWarning, stacklevel=stacklevel + 1)


def jpegll_decode(
    data: Buffer,
    /,
    *,
    out: NDArray[Any] | None = None,
    cornell: bool | None = None,
    legacy_predictors: bool = False,
    parallel: bool = True,
) -> NDArray[Any]:
    """Decodes a raw lossless JPEG stream.

    Returns a uint8 (precision <= 8) or uint16 array of shape
    (rows, columns[, components]), colour-by-pixel; subsampled components are
    upsampled by replication. With `out` (a writeable C-contiguous array of
    that dtype, or its signed twin, and size) the samples are written into it
    and it is returned. The GIL is released while decoding.

    `cornell`: ``None`` recognises streams of the buggy Cornell 16-bit encoder
    automatically, ``True``/``False`` force the workaround on or off.
    `legacy_predictors`: decode predictors 5-7 as the legacy encoder computed
    them (16-bit signed intermediates). `parallel`: decode restart intervals in
    parallel. Tolerated damage raises a :class:`JpegLosslessWarning`.
    """
    src = _byte_view(data)
    info = _info(_native.jpegll_info(src, full=False))
    if out is None:
        out = np.empty(info.shape, dtype=info.dtype)
    elif out.dtype.itemsize != info.dtype.itemsize or out.dtype.kind not in "ui":
        raise ValueError(f"out must have dtype {info.dtype} (or its signed twin), not {out.dtype}")
    view = _out_view(out, int(np.prod(info.shape)) * info.dtype.itemsize)
    if np.may_share_memory(src, view):
        raise ValueError("out shares memory with data")
    messages = _native.jpegll_decode_into(
        src, view, cornell=cornell, legacy_predictors=legacy_predictors, parallel=parallel
    )
    _warn(messages, 2)
    return out


def jpegll_encode(
    array: NDArray[Any],
    /,
    *,
    predictor: int = 1,
    bits_stored: int | None = None,
    restart_interval: int = 0,
    optimise: bool = True,
) -> bytes:
    """Encodes an image as a raw lossless JPEG stream (T.81 process 14, SOF3).

    `array`: (rows, columns) or (rows, columns, samples) with 1-4 samples,
    colour-by-pixel, of dtype uint8, int8, uint16 or int16. `predictor`: 1-7
    (1 is DICOM's "SV1", transfer syntax JPEG Lossless SV1). `bits_stored`:
    the sample precision written in the frame header (2-16; default the
    dtype's width); every value must fit it (signed arrays: two's complement
    in `bits_stored` bits, as DICOM encoders write them). `restart_interval`:
    MCUs between restart markers (0: none; a multiple of the columns, i.e.
    whole rows). `optimise`: Huffman tables optimised for the image (two
    passes; smaller output) instead of one fixed table.

    The GIL is released while encoding. Any decoder of process 14 (libjpeg-
    turbo, GDCM, dcmtk, pylibjpeg-libjpeg, :func:`jpegll_decode`) gives back
    the same values.

    >>> stream = dicodec.jpegll_encode(ct)          # ct: (512, 512) int16
    >>> np.array_equal(dicodec.jpegll_decode(stream).view(np.int16), ct)
    True
    """
    arr = np.asarray(array)
    if arr.ndim == 2:
        samples = 1
    elif arr.ndim == 3 and 1 <= arr.shape[2] <= 4:
        samples = arr.shape[2]
    else:
        raise DicodecError(
            f"array must be (rows, columns) or (rows, columns, 1-4 samples), not {arr.shape}"
        )
    if arr.dtype.kind not in "ui" or arr.dtype.itemsize not in (1, 2):
        raise DicodecError(f"array dtype must be uint8, int8, uint16 or int16, not {arr.dtype}")
    bits = arr.dtype.itemsize * 8
    bs = bits if bits_stored is None else int(bits_stored)
    if not 2 <= bs <= bits:
        raise DicodecError(f"bits_stored {bs} must be 2-{bits} for {arr.dtype}")
    signed = arr.dtype.kind == "i"
    if bs < bits and arr.size:
        lo, hi = (-(1 << (bs - 1)), (1 << (bs - 1)) - 1) if signed else (0, (1 << bs) - 1)
        amin, amax = int(arr.min()), int(arr.max())
        if amin < lo or amax > hi:
            raise DicodecError(
                f"values {amin}..{amax} do not fit bits_stored {bs} ({lo}..{hi}): "
                "encoding would lose them"
            )
    data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    return _native.jpegll_encode_frame(
        _byte_view(data),
        arr.shape[0],
        arr.shape[1],
        samples,
        bits,
        bs,
        int(signed),
        predictor=predictor,
        restart_interval=restart_interval,
        optimise=optimise,
    )


def _pydicom_decode_frame(src: bytes, runner: DecodeRunner) -> bytearray:
    """pydicom plugin: one frame as little-endian, colour-by-pixel bytes in the
    Bits Allocated container (exactly the frame length).

    Options read from the runner (pass them to ``pixel_array``):
    ``jpegll_cornell`` (bool or None), ``jpegll_legacy_predictors`` (bool).
    """
    if runner.get_option("pixel_keyword", "PixelData") != "PixelData":
        raise ValueError("dicodec decodes JPEG Lossless Pixel Data only")
    frame, messages = _native.jpegll_decode_frame(
        _byte_view(src),
        runner.rows,
        runner.columns,
        runner.samples_per_pixel,
        runner.bits_allocated,
        runner.bits_stored,
        runner.pixel_representation,
        cornell=runner.get_option("jpegll_cornell", None),
        legacy_predictors=bool(runner.get_option("jpegll_legacy_predictors", False)),
    )
    # JPEG interleaves components: the frame is colour-by-pixel whatever the
    # data set's Planar Configuration says.
    if runner.samples_per_pixel > 1 and runner.get_option("planar_configuration", 0) != 0:
        runner.set_option("planar_configuration", 0)
    _warn(messages, 3)
    return frame
