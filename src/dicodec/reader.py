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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard, Union

import numpy as np

from dicodec import _native
from dicodec.errors import DicodecWarning
from dicodec.uids import native_syntax

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

__all__ = ["read_pixels", "frame_info", "FrameInfo", "Source"]

#: What :func:`read_pixels` and :func:`frame_info` accept.
Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, "Dataset", Any]

_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


@dataclass(frozen=True)
class FrameInfo:
    """What :func:`frame_info` finds out about the pixel data, without decoding.

    Attributes that are absent from the dataset are ``None``. Byte offsets
    are offsets into the file (for a deflated file: into the file with its
    deflated dataset replaced by the inflated one; for a ``pydicom.Dataset``:
    into the pixel data value).
    """

    #: (0002,0010) Transfer Syntax UID (inferred from the encoding when absent).
    transfer_syntax_uid: str
    #: Its name, e.g. ``"Explicit VR Little Endian"``.
    transfer_syntax_name: str
    #: The UID was not in the file but inferred from how the dataset is encoded.
    transfer_syntax_inferred: bool
    #: :func:`read_pixels` can decode it (see ``unsupported_reason`` otherwise).
    decodable: bool
    #: Why it cannot be decoded (unsupported syntax, invalid attributes...).
    unsupported_reason: str | None
    has_preamble: bool
    has_file_meta: bool
    #: Deflated Explicit VR Little Endian (offsets refer to the inflated data).
    deflated: bool
    rows: int | None
    columns: int | None
    #: (0028,0008) Number of Frames as stored (``None`` when absent).
    number_of_frames: int | None
    #: Frames :func:`read_pixels` returns (Number of Frames, or more when
    #: encapsulated data holds extra frames, as pydicom returns them too).
    frames: int
    samples_per_pixel: int | None
    bits_allocated: int | None
    bits_stored: int | None
    high_bit: int | None
    pixel_representation: int | None
    planar_configuration: int | None
    photometric_interpretation: str | None
    #: NumPy dtype of the decoded array, ``None`` when it cannot be decoded.
    dtype: np.dtype | None
    #: Shape of the array :func:`read_pixels` returns for all frames.
    shape: tuple[int, ...] | None
    #: ``"PixelData"``, ``"FloatPixelData"`` or ``"DoubleFloatPixelData"``.
    pixel_element: str
    #: VR of the pixel element as stored (``None`` in implicit VR).
    pixel_vr: str | None
    #: Offset of the first byte of the pixel data value.
    pixel_data_offset: int
    #: Length of the value in bytes, ``None`` for undefined length.
    pixel_data_length: int | None
    encapsulated: bool
    #: Basic Offset Table entries (empty when the table is empty).
    basic_offset_table: list[int]
    #: The Extended Offset Table (7FE0,0001/0002) gave the frame positions.
    extended_offset_table: bool
    #: Number of fragments (encapsulated data).
    fragments: int
    #: Per frame, the ``(offset, length)`` byte ranges holding it: the
    #: fragments of an encapsulated frame, or the bytes of a native frame.
    frame_ranges: list[list[tuple[int, int]]]
    #: Why the frame layout could not be worked out, if it could not.
    problem: str | None = None
    #: Tolerated oddities (clipped fragments, excess padding...).
    warnings: list[str] = field(default_factory=list)

    @property
    def transfer_syntax(self) -> str:
        """``"name (uid)"``."""
        return f"{self.transfer_syntax_name} ({self.transfer_syntax_uid})"


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
            raise AttributeError(
                "the dataset has no file_meta (0002,0010) 'Transfer Syntax UID' and no "
                "known encoding"
            )
        uid = native_syntax(bool(implicit), bool(little))
    present = [kw for kw in _PIXEL_KEYWORDS if kw in ds]
    if not present:
        from dicodec.errors import MalformedError

        raise MalformedError(
            "the dataset has no Pixel Data, Float Pixel Data or Double Float Pixel Data element",
            None,
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
    frames: int | Sequence[int] | None = None,
    *,
    threads: int | None = None,
    out: np.ndarray | None = None,
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
        frame axis); a sequence of ``int`` for those frames in that order
        (the result always has a frame axis). Negative indices count from
        the end.
    threads
        Frames are decoded in parallel on all cores by default; ``1`` decodes
        on the calling thread, ``n`` uses a (cached) pool of ``n`` threads.
    out
        A C-contiguous, writeable array of the exact dtype and shape to
        decode into, instead of allocating a new one.

    Raises
    ------
    MalformedError
        The file breaks the standard (``offset`` says where).
    UnsupportedError
        The transfer syntax (or bit depth...) cannot be decoded by dicodec.
    LimitExceededError
        The result would exceed :func:`dicodec.set_max_alloc`.
    IndexError
        A frame index is out of range.

    Codec and parser warnings (tolerated oddities) are emitted as
    :class:`dicodec.DicodecWarning`.
    """
    if isinstance(frames, (int, np.integer)):
        index_list: list[int] | None = [int(frames)]
        single = True
    elif frames is None:
        index_list, single = None, False
    else:
        index_list, single = [int(i) for i in frames], False
    if threads is not None and int(threads) < 1:
        raise ValueError("threads must be >= 1 (or None for all cores)")

    if isinstance(source, (str, os.PathLike)):
        arr, msgs = _native._read_pixels_file(os.fspath(source), index_list, single, threads, out)
    elif _is_dataset(source):
        uid, attrs, keyword, vr, value = _dataset_parts(source)
        arr, msgs = _native._read_pixels_parts(
            uid, attrs, keyword, vr, value, index_list, single, threads, out
        )
    else:
        arr, msgs = _native._read_pixels_buffer(_as_u8(source), index_list, single, threads, out)
    _emit(msgs)
    return arr


def frame_info(source: Source) -> FrameInfo:
    """Describes the pixel data of ``source`` (same kinds as :func:`read_pixels`)
    without decoding it: transfer syntax, geometry, dtype, frames and where
    each frame's bytes are.

    Raises :class:`dicodec.MalformedError` when the file cannot be parsed up
    to its pixel data or has none. Invalid Image Pixel attributes do not
    raise: ``decodable`` is then ``False`` and ``problem`` says why.
    """
    if isinstance(source, (str, os.PathLike)):
        d = _native._frame_info_file(os.fspath(source))
    elif _is_dataset(source):
        uid, attrs, keyword, vr, value = _dataset_parts(source)
        d = _native._frame_info_parts(uid, attrs, keyword, vr, value)
    else:
        d = _native._frame_info_buffer(_as_u8(source))
    d["dtype"] = np.dtype(d["dtype"]) if d["dtype"] is not None else None
    d["frame_ranges"] = [[(int(o), int(n)) for o, n in f] for f in d["frame_ranges"]]
    d["basic_offset_table"] = list(d["basic_offset_table"])
    return FrameInfo(**d)
