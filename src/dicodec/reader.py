"""Reading pixel data: :func:`read_pixels` and :func:`frame_info`.

Both accept a path (``str`` or ``os.PathLike``: the file is memory-mapped or
read once in Rust), a buffer holding a whole DICOM file or raw dataset
(``bytes``, ``bytearray``, ``memoryview`` or anything with the buffer
protocol: used in place, not copied), or a ``pydicom.Dataset`` (its Image
Pixel attributes and pixel data bytes are used).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeGuard, Union

import numpy as np

from dicodec import _native
from dicodec._frames import FrameSpec, parse_frames
from dicodec._settings import check_threads
from dicodec.errors import (
    DicodecError,
    DicodecWarning,
    FrameIndexError,
    InvalidArgumentError,
    MissingAttributeError,
    NoPixelDataError,
    OutputArrayError,
    OutputArrayTypeError,
)
from dicodec.uids import native_syntax

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

__all__ = ["read_pixels", "frame_info", "frame_infos", "FrameInfo", "Source"]

#: What :func:`read_pixels` and :func:`frame_info` accept.
Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, "Dataset", Any]

_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


#: What :func:`frame_info` finds out about the pixel data, without decoding
#: (a frozen class defined by the extension; attributes as documented in the
#: README, ``to_dict()`` gives them all).
FrameInfo = _native.FrameInfo


def _is_dataset(obj: object) -> TypeGuard[Dataset]:
    try:
        from pydicom.dataset import Dataset
    except ImportError:  # pragma: no cover - pydicom is optional
        return False
    return isinstance(obj, Dataset)


def _as_u8(buf: Any) -> np.ndarray:
    """A zero-copy uint8 view of any contiguous buffer."""
    if isinstance(buf, np.ndarray):
        if not buf.flags.c_contiguous:
            raise ValueError("the buffer must be C-contiguous")
        return buf.reshape(-1).view(np.uint8)
    try:
        return np.frombuffer(buf, dtype=np.uint8)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"expected a path, a bytes-like object or a pydicom Dataset, not {type(buf).__name__}"
        ) from exc


def _dataset_parts(ds: Dataset) -> tuple[str, dict[str, Any], str, str | None, np.ndarray]:
    """Transfer syntax, Image Pixel attributes, pixel element, VR and value."""
    file_meta = getattr(ds, "file_meta", None)
    uid = file_meta.get("TransferSyntaxUID", None) if file_meta is not None else None
    if not uid:
        # As read: pydicom records how the dataset was encoded.
        implicit, little = getattr(ds, "original_encoding", (None, None))
        if implicit is None:
            raise MissingAttributeError(
                "the dataset has no file_meta (0002,0010) 'Transfer Syntax UID' and no "
                "known encoding"
            )
        uid = native_syntax(bool(implicit), bool(little))
    present = [kw for kw in _PIXEL_KEYWORDS if kw in ds]
    if not present:
        raise NoPixelDataError(
            "no pixel data: the dataset has no Pixel Data, Float Pixel Data or "
            "Double Float Pixel Data element"
        )
    if len(present) != 1:
        from dicodec.errors import MalformedError

        raise MalformedError(
            "one and only one of Pixel Data, Float Pixel Data or Double Float Pixel Data "
            "may be present in the dataset",
            None,
        )
    keyword = present[0]
    elem = ds[keyword]
    value = elem.value
    if hasattr(value, "read"):  # pydicom 3 buffered element
        value.seek(0)
        value = value.read()

    def get(keyword: str) -> Any:
        v = ds.get(keyword, None)
        if v is None or v == "":
            return None
        if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
            v = v[0] if len(v) else None
        return v

    nr = get("NumberOfFrames")
    if nr is not None:
        nr = int(nr)
    attrs = {
        "samples_per_pixel": get("SamplesPerPixel"),
        "photometric_interpretation": (
            str(get("PhotometricInterpretation"))
            if get("PhotometricInterpretation") is not None
            else None
        ),
        "planar_configuration": get("PlanarConfiguration"),
        "number_of_frames": nr,
        "rows": get("Rows"),
        "columns": get("Columns"),
        "bits_allocated": get("BitsAllocated"),
        "bits_stored": get("BitsStored"),
        "high_bit": get("HighBit"),
        "pixel_representation": get("PixelRepresentation"),
    }
    if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
        attrs["extended_offsets"] = bytes(ds.ExtendedOffsetTable)
        attrs["extended_lengths"] = bytes(ds.ExtendedOffsetTableLengths)
    vr = str(elem.VR) if len(str(elem.VR)) == 2 else None
    return str(uid), attrs, keyword, vr, _as_u8(value)


def _emit(messages: Sequence[str]) -> None:
    for m in messages:
        warnings.warn(m, DicodecWarning, stacklevel=3)


def read_pixels(
    source: Source,
    frames: FrameSpec = None,
    *,
    threads: int | None = None,
    out: np.ndarray | None = None,
    as_rgb: bool = False,
    modality_lut: bool = False,
    voi_lut: bool = False,
) -> np.ndarray:
    """Decodes the pixel data of a DICOM file into a NumPy array.

    The array is what ``pydicom.pixels.pixel_array(source, raw=True)``
    returns: same dtype, same values, shape ``(frames, rows, columns)`` or
    ``(frames, rows, columns, samples)``, without the frame axis when there is
    one frame. Colour data is always colour-by-pixel (planar configuration 0),
    YCbCr is not converted to RGB, 1-bit data is unpacked to ``uint8``.

    Parameters
    ----------
    source
        A path, a bytes-like object holding the whole file (or a raw dataset
        without file meta), or a ``pydicom.Dataset``.
    frames
        ``None`` for all frames; an ``int`` for one frame (the result has no
        frame axis); a sequence of ``int`` for those frames in that order, a
        ``slice``, or a string like ``"0,2,5:8,-1"`` (the result then always
        has a frame axis). Negative indices count from the end. The same
        meaning everywhere (see :mod:`dicodec._frames`).
    threads
        Frames are decoded in parallel on all cores by default; ``1`` decodes
        on the calling thread, ``n`` uses a (cached) pool of ``n`` threads,
        capped at the frames to decode and 4 × the CPUs; more than 1024 is
        refused (:class:`dicodec.errors.SettingsError`).
    out
        A C-contiguous, writeable array of the exact dtype and shape to
        decode into, instead of allocating a new one.
    as_rgb, modality_lut, voi_lut
        Then, in this order: YBR_FULL/YBR_FULL_422 → RGB (8-bit), the Modality
        LUT (Rescale Slope/Intercept, per frame for enhanced multi-frame
        files, or Modality LUT Sequence: ``float64`` / ``uint8|16``), the VOI
        LUT or first window (``float64`` / ``uint8|16``), as the functions of
        :mod:`dicodec.pipeline` (and pydicom's) do. Reading the attributes of
        a path or buffer needs pydicom.

    Raises
    ------
    MalformedError
        The file breaks the standard (``offset`` says where).
    UnsupportedError
        The transfer syntax (or bit depth...) cannot be decoded by dicodec.
    LimitExceededError
        The result would exceed :func:`dicodec.set_max_alloc`.
    NotDicomError
        The input is not DICOM at all (a ``MalformedError``).
    NoPixelDataError
        A valid dataset without pixel data (an RT Plan...).
    FrameIndexError
        A frame index is out of range (also an ``IndexError``).
    FrameSelectionError
        ``frames`` is not a valid selection (also a ``TypeError``).
    OutputArrayError
        ``out`` has the wrong dtype or shape, or is not C-contiguous and writeable.

    Codec and parser warnings (tolerated oddities) are emitted as
    :class:`dicodec.DicodecWarning`.
    """
    sel = parse_frames(frames)
    threads = check_threads(threads)
    if sel is None:
        index_list: list[int] | None = None
        single = False
    elif sel.needs_count:
        index_list, single = sel.indices(frame_info(source).frames), False
    else:
        index_list, single = sel.raw_indices(), sel.single
    try:
        arr, msgs = _read(source, index_list, single, threads, out)
    except IndexError as e:
        if isinstance(e, DicodecError):
            raise
        raise FrameIndexError(str(e)) from None
    except ValueError as e:  # the caller's out= array (checked in Rust)
        if isinstance(e, OutputArrayError) or not str(e).startswith("out "):
            raise
        if isinstance(e, DicodecError) and not isinstance(e, InvalidArgumentError):
            raise
        if isinstance(e, TypeError):
            raise OutputArrayTypeError(str(e)) from None
        raise OutputArrayError(str(e)) from None
    _emit(msgs)
    if as_rgb or modality_lut or voi_lut:
        from dicodec.display import _post_process

        arr = _post_process(arr, source, frames, as_rgb, modality_lut, voi_lut)
    return arr


def _read(
    source: Source,
    index_list: list[int] | None,
    single: bool,
    threads: int | None,
    out: np.ndarray | None,
) -> tuple[np.ndarray, list[str]]:
    if isinstance(source, (str, os.PathLike)):
        arr, msgs = _native._read_pixels_file(os.fspath(source), index_list, single, threads, out)
    elif _is_dataset(source):
        uid, attrs, keyword, vr, value = _dataset_parts(source)
        arr, msgs = _native._read_pixels_parts(
            uid, attrs, keyword, vr, value, index_list, single, threads, out
        )
    else:
        arr, msgs = _native._read_pixels_buffer(_as_u8(source), index_list, single, threads, out)
    return arr, msgs


def frame_info(source: Source) -> FrameInfo:
    """Describes the pixel data of ``source`` (same kinds as :func:`read_pixels`)
    without decoding it: transfer syntax, geometry, dtype, frames and where
    each frame's bytes are.

    Raises :class:`dicodec.MalformedError` when the file cannot be parsed up
    to its pixel data or has none. Invalid Image Pixel attributes do not
    raise: ``decodable`` is then ``False`` and ``problem`` says why.
    """
    if isinstance(source, (str, os.PathLike)):
        return _native._frame_info_file(os.fspath(source))
    if _is_dataset(source):
        uid, attrs, keyword, vr, value = _dataset_parts(source)
        return _native._frame_info_parts(uid, attrs, keyword, vr, value)
    return _native._frame_info_buffer(_as_u8(source))


def frame_infos(
    paths: Sequence[str | os.PathLike[str]], *, threads: int | None = None
) -> list[FrameInfo | Exception]:
    """:func:`frame_info` of many files at once, in parallel (``threads``:
    ``None`` for all cores) and without the GIL: one item per path, in order,
    the :class:`FrameInfo` or the exception :func:`frame_info` would have
    raised (returned, not raised)."""
    if threads is not None and int(threads) < 1:
        raise ValueError("threads must be >= 1 (or None for all cores)")
    return _native._frame_info_files([os.fspath(p) for p in paths], threads)
