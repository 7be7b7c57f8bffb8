"""``dicodec.compress``: re-encode a pydicom Dataset's pixel data in place.

The missing half of pydicom: any source syntax dicodec decodes, to any syntax
dicodec encodes, frames encoded in parallel with the GIL released. It sets
what :meth:`pydicom.dataset.Dataset.compress` sets (Transfer Syntax UID,
encapsulation with a Basic Offset Table, or an Extended Offset Table when the
frames are too large for one, a new SOP Instance UID) plus what the syntax
requires of the Image Pixel module (Planar Configuration, a YBR_FULL_422
source that comes out upsampled as YBR_FULL), and the Lossy Image
Compression attributes when the encoding is lossy.

Example::

    >>> import dicodec, pydicom
    >>> from dicodec import uids
    >>> ds = pydicom.dcmread("ct.dcm")
    >>> dicodec.compress(ds, uids.JPEG_LOSSLESS_SV1)
    >>> ds.save_as("ct_jpll.dcm")
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dicodec import uids
from dicodec.errors import DicodecError, UnsupportedError
from dicodec.jpegll import jpegll_encode
from dicodec.reader import read_pixels
from dicodec.rle import rle_encode

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

__all__ = [
    "compress",
    "ENCODABLE_SYNTAXES",
    "encodable_syntaxes",
    "encode_frames",
    "encapsulated_value",
    "image_updates",
    "is_lossy",
    "pixel_facts",
]

#: Largest total for a Basic Offset Table (32-bit offsets).
_BOT_LIMIT = 2**32 - 1


@dataclass(frozen=True)
class _Target:
    """How frames are encoded for one transfer syntax."""

    encode: Callable[[np.ndarray, dict[str, Any], dict[str, Any]], bytes] | None
    #: Planar Configuration the syntax requires for colour data.
    planar: int
    #: Frames go to the codec registry's encoder (no options here).
    registry: bool = False


def _jpegll(predictor: int | None) -> Callable[[np.ndarray, dict[str, Any], dict[str, Any]], bytes]:
    def enc(frame: np.ndarray, px: dict[str, Any], opts: dict[str, Any]) -> bytes:
        p = predictor if predictor is not None else int(opts.get("predictor", 1))
        return jpegll_encode(
            frame,
            predictor=p,
            bits_stored=px["bits_stored"],
            restart_interval=int(opts.get("restart_interval", 0)),
            optimise=bool(opts.get("optimise", True)),
        )

    return enc


def _rle(frame: np.ndarray, px: dict[str, Any], opts: dict[str, Any]) -> bytes:
    return rle_encode(frame, bits_allocated=px["bits_allocated"])


_TARGETS: dict[str, _Target] = {
    uids.EXPLICIT_VR_LITTLE_ENDIAN: _Target(None, planar=0),
    uids.RLE_LOSSLESS: _Target(_rle, planar=1),
    uids.JPEG_LOSSLESS: _Target(_jpegll(None), planar=0),
    uids.JPEG_LOSSLESS_SV1: _Target(_jpegll(1), planar=0),
}


def _registry() -> dict[str, Any]:
    """The codec registry's lines that can encode, by transfer syntax UID."""
    from dicodec import _native

    return {c.transfer_syntax_uid: c for c in _native.codecs() if c.can_encode}


def encodable_syntaxes() -> frozenset[str]:
    """Every transfer syntax :func:`compress` (and ``dicodec transcode``)
    can write: those with options here, and every syntax whose encoder is in
    the codec registry of this build (it grows as encoders are registered)."""
    return frozenset(_TARGETS) | frozenset(_registry())


#: Transfer syntaxes :func:`compress` can write (see :func:`encodable_syntaxes`).
ENCODABLE_SYNTAXES = encodable_syntaxes()


def is_lossy(syntax: str) -> bool:
    """True when the codec registry marks ``syntax`` as (possibly) lossy."""
    from dicodec import _native

    return any(c.transfer_syntax_uid == syntax and c.lossy for c in _native.codecs())


def _target(uid: str) -> _Target:
    """How ``uid`` is encoded, or an :class:`UnsupportedError` naming what is."""
    target = _TARGETS.get(uid)
    if target is not None:
        return target
    if uid in _registry():
        return _Target(None, planar=0, registry=True)
    from pydicom.uid import UID

    names = sorted(UID(u).name for u in encodable_syntaxes())
    raise UnsupportedError(
        f"dicodec cannot encode transfer syntax {UID(uid).name} ({uid}); "
        f"it encodes: {', '.join(names)}"
    )


def pixel_facts(ds: Any) -> dict[str, Any]:
    """The Image Pixel values an encoder needs, from a pydicom Dataset (or
    anything with the same attributes)."""
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    return {
        "frames": frames,
        "rows": int(ds.Rows),
        "columns": int(ds.Columns),
        "bits_allocated": int(ds.BitsAllocated),
        "bits_stored": int(ds.get("BitsStored", ds.BitsAllocated)),
        "samples": int(ds.get("SamplesPerPixel", 1)),
        "pixel_representation": int(ds.get("PixelRepresentation", 0)),
        "photometric": str(ds.get("PhotometricInterpretation", "")),
    }


def as_frames(arr: np.ndarray, px: dict[str, Any]) -> np.ndarray:
    """``arr`` (as :func:`read_pixels` returns it) as ``(frames, rows,
    columns[, samples])``."""
    return arr.reshape((px["frames"], *arr.shape[-(3 if px["samples"] > 1 else 2) :]))


def encode_frames(
    frames: np.ndarray,
    px: dict[str, Any],
    syntax: str,
    options: dict[str, Any] | None = None,
    threads: int | None = None,
) -> list[bytes] | bytes:
    """Encodes ``frames`` (see :func:`as_frames`) for ``syntax``: one
    ``bytes`` per frame for an encapsulated syntax, the native Pixel Data
    value (even length) for Explicit VR Little Endian. Frames are encoded in
    parallel on ``threads`` threads (default: the CPUs), the GIL released."""
    options = dict(options or {})
    target = _target(syntax)
    if target.registry:
        if px["bits_allocated"] == 1:
            raise UnsupportedError("compressing 1-bit (Bits Allocated 1) pixel data")
        return _encode_registry(frames, px, syntax, options, threads)
    if target.encode is None:
        if px["bits_allocated"] == 1:
            from pydicom.pixels import pack_bits

            data = pack_bits(frames)
        else:
            data = np.ascontiguousarray(frames, dtype=frames.dtype.newbyteorder("<")).tobytes()
        return data + b"\0" if len(data) % 2 else data
    if px["bits_allocated"] == 1:
        raise UnsupportedError("compressing 1-bit (Bits Allocated 1) pixel data")
    encode = target.encode
    workers = max(1, min(threads or os.cpu_count() or 1, len(frames)))
    if workers == 1:
        return [encode(f, px, options) for f in frames]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda f: encode(f, px, options), frames))


def _encode_registry(
    frames: np.ndarray,
    px: dict[str, Any],
    syntax: str,
    options: dict[str, Any],
    threads: int | None,
) -> list[bytes]:
    """All frames through the registry's encoder in one call (parallel in Rust)."""
    from dicodec import _native

    if options:
        raise UnsupportedError(
            f"options {', '.join(sorted(options))} for this transfer syntax ({syntax})"
        )
    data = np.ascontiguousarray(frames, dtype=frames.dtype.newbyteorder("<"))
    return _native._encode_frames(
        syntax,
        data.reshape(-1).view(np.uint8),
        px["rows"],
        px["columns"],
        len(frames),
        px["samples"],
        px["bits_allocated"],
        px["bits_stored"],
        px["pixel_representation"],
        px["photometric"],
        threads,
    )


def encapsulated_value(encoded: list[bytes], extended: bool = False) -> tuple[bytes, Any, Any]:
    """The Pixel Data value of encoded frames (one fragment per frame) and,
    when ``extended`` or when the frames are too large for a Basic Offset
    Table, the Extended Offset Table and its lengths (else ``None, None``)."""
    from pydicom.encaps import encapsulate, encapsulate_extended

    total = (len(encoded) - 1) * 8 + sum(len(e) for e in encoded[:-1])
    if extended or total > _BOT_LIMIT:
        return encapsulate_extended(encoded)
    return encapsulate(encoded), None, None


#: Lossy Image Compression Method (0028,2114) per lossy syntax (pydicom's
#: UID keyword -> the defined term of PS3.3 C.7.6.1.1.5.1).
_LOSSY_METHODS = {
    "JPEGBaseline8Bit": "ISO_10918_1",
    "JPEGExtended12Bit": "ISO_10918_1",
    "JPEGLSNearLossless": "ISO_14495_1",
    "JPEG2000": "ISO_15444_1",
    "JPEG2000MC": "ISO_15444_2",
    "HTJ2K": "ISO_15444_15",
}


def lossy_attributes(
    syntax: str, ratio: float, ratios: list[str], methods: list[str]
) -> dict[str, Any]:
    """What a lossy encoding to ``syntax`` with compression ``ratio`` sets
    (keyword -> value): Lossy Image Compression "01", the ratio and method
    appended to those of earlier lossy steps (``ratios``/``methods``)."""
    from pydicom.uid import UID

    method = _LOSSY_METHODS.get(UID(syntax).keyword, UID(syntax).name)
    return {
        "LossyImageCompression": "01",
        "LossyImageCompressionRatio": [*ratios, f"{ratio:.4g}"],
        "LossyImageCompressionMethod": [*methods, method],
    }


def _strings(value: Any) -> list[str]:
    """A pydicom value (absent, single or multi-valued) as strings."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return [str(v) for v in value]
    return [str(value)]


def image_updates(px: dict[str, Any], syntax: str) -> dict[str, Any]:
    """The Image Pixel attributes that change with the encoding (keyword ->
    new value): Planar Configuration as the syntax requires for colour data;
    Photometric Interpretation YBR_FULL for YBR_FULL_422 data (decoded
    pixels are full-size YCbCr), RGB for YBR_RCT/YBR_ICT (JPEG 2000's
    decoder undoes the component transform)."""
    updates: dict[str, Any] = {}
    if px["samples"] > 1:
        updates["PlanarConfiguration"] = _target(syntax).planar
    if px["photometric"] == "YBR_FULL_422":
        updates["PhotometricInterpretation"] = "YBR_FULL"
    elif px["photometric"] in ("YBR_RCT", "YBR_ICT"):
        # The JPEG 2000 decoder undid the component transform: the pixels are RGB.
        updates["PhotometricInterpretation"] = "RGB"
    return updates


def compress(
    ds: Dataset,
    syntax: str,
    *,
    threads: int | None = None,
    encapsulate_ext: bool = False,
    generate_instance_uid: bool = True,
    **options: Any,
) -> Dataset:
    """Re-encodes the pixel data of `ds` (a pydicom Dataset, in place) as
    transfer syntax `syntax` and returns `ds`.

    The source may use any transfer syntax :func:`dicodec.read_pixels` decodes;
    the values are kept exactly on lossless targets. Targets: Explicit VR
    Little Endian (decompression), RLE Lossless, JPEG Lossless (``.57``,
    option ``predictor`` 1-7) and JPEG Lossless SV1 (``.70``), and every other
    syntax whose encoder is in the codec registry (:func:`encodable_syntaxes`:
    JPEG-LS Lossless and Deflated Image Frame Compression in this build; no
    options). JPEG Lossless also takes ``restart_interval`` and ``optimise``
    (see :func:`dicodec.jpegll_encode`). A lossy target sets the Lossy Image
    Compression attributes and always a new SOP Instance UID. Frames are
    encoded on `threads` threads (default: the CPUs). `encapsulate_ext`
    forces an Extended Offset Table (one is also used when the frames are
    too large for a Basic Offset Table); `generate_instance_uid` gives the
    instance a new SOP Instance UID, as
    :meth:`pydicom.dataset.Dataset.compress` does.

    A dataset read from a big-endian file is written with
    :func:`pydicom.dcmwrite` afterwards (pydicom's ``save_as`` refuses to change
    the byte order of a dataset).

    Raises :class:`~dicodec.UnsupportedError` for a target syntax dicodec does
    not encode and :class:`~dicodec.DicodecError` for data the target cannot
    hold (e.g. 32-bit samples in JPEG Lossless).
    """
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID, generate_uid

    uid = str(syntax)
    _target(uid)  # an unknown target is refused before any work
    if "PixelData" not in ds:
        raise DicodecError("the dataset has no Pixel Data (7FE0,0010) to compress")
    arr = read_pixels(ds, threads=threads)
    px = pixel_facts(ds)
    encoded = encode_frames(as_frames(arr, px), px, uid, options, threads)
    eot_kws = ("ExtendedOffsetTable", "ExtendedOffsetTableLengths")
    if isinstance(encoded, bytes):
        ds.PixelData = encoded
        elem = ds["PixelData"]
        elem.VR = "OB" if px["bits_allocated"] <= 8 else "OW"
        elem.is_undefined_length = False
        eot: Any = None
    else:
        ds.PixelData, eot, lengths = encapsulated_value(encoded, encapsulate_ext)
        if eot is not None:
            ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = eot, lengths
        elem = ds["PixelData"]
        elem.VR = "OB"
        elem.is_undefined_length = True
    if eot is None:
        for kw in eot_kws:
            if kw in ds:
                del ds[kw]
    for kw, value in image_updates(px, uid).items():
        setattr(ds, kw, value)
    if is_lossy(uid):
        ratio = arr.nbytes / max(1, sum(map(len, encoded)) if isinstance(encoded, list) else 1)
        lossy = lossy_attributes(
            uid,
            ratio,
            _strings(ds.get("LossyImageCompressionRatio")),
            _strings(ds.get("LossyImageCompressionMethod")),
        )
        for kw, value in lossy.items():
            setattr(ds, kw, value)
        generate_instance_uid = True  # a lossy copy is a new instance
    if not hasattr(ds, "file_meta"):
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(uid)
    if generate_instance_uid:
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds._pixel_array = None
    ds._pixel_id = {}
    return ds
