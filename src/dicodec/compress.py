"""``dicodec.compress``: re-encode a pydicom Dataset's pixel data in place.

The missing half of pydicom: any source syntax dicodec decodes, to any syntax
dicodec encodes, frames encoded in parallel with the GIL released (the core's
codec registry does the encoding). It sets what
:meth:`pydicom.dataset.Dataset.compress` sets (Transfer Syntax UID,
encapsulation with a Basic Offset Table, or an Extended Offset Table when the
frames are too large for one, a new SOP Instance UID) plus what the syntax
requires of the Image Pixel module (Planar Configuration, YBR_RCT for RGB
stored with JPEG 2000's colour transform, a YBR_FULL_422 source that comes out
upsampled as YBR_FULL), and the Lossy Image Compression attributes when the
encoding is lossy.

Example::

    >>> import dicodec, pydicom
    >>> from dicodec import uids
    >>> ds = pydicom.dcmread("ct.dcm")
    >>> dicodec.compress(ds, uids.JPEG_LOSSLESS_SV1)
    >>> ds.save_as("ct_jpll.dcm")
    >>> dicodec.compress(ds, uids.JPEG_LS_NEAR_LOSSLESS, near=2)  # lossy: asked for
    >>> ds.LossyImageCompression, ds.LossyImageCompressionMethod
    ('01', 'ISO_14495_1')
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dicodec import _native, uids
from dicodec.errors import DicodecError, InvalidArgumentError, UnsupportedError
from dicodec.reader import read_pixels

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

__all__ = [
    "compress",
    "ENCODABLE_SYNTAXES",
    "as_frames",
    "encodable_syntaxes",
    "encode_frames",
    "encapsulated_value",
    "encapsulated_pieces",
    "image_updates",
    "is_lossy",
    "lossy_attributes",
    "pixel_facts",
]

#: Largest total for a Basic Offset Table (32-bit offsets).
_BOT_LIMIT = 2**32 - 1


@dataclass(frozen=True)
class _Target:
    """How frames are encoded for one transfer syntax."""

    #: The core's parameter family (``_native._encode_frames(codec=...)``);
    #: None: native (no encoding).
    codec: str | None
    #: Planar Configuration the syntax requires for colour data.
    planar: int
    #: Options the target takes.
    options: frozenset[str] = frozenset()
    #: Lossy Image Compression Method when the encoding is lossy.
    lossy_method: str | None = None


_JLS = frozenset({"near", "jls_error", "interleave", "restart_interval"})
_TARGETS: dict[str, _Target] = {
    uids.EXPLICIT_VR_LITTLE_ENDIAN: _Target(None, planar=0),
    uids.RLE_LOSSLESS: _Target("default", planar=1),
    uids.JPEG_LOSSLESS: _Target(
        "jpeg-lossless", 0, frozenset({"predictor", "restart_interval", "optimise"})
    ),
    uids.JPEG_LOSSLESS_SV1: _Target(
        "jpeg-lossless", 0, frozenset({"restart_interval", "optimise"})
    ),
    uids.JPEG_LS_LOSSLESS: _Target("jpeg-ls", 0, _JLS),
    uids.JPEG_LS_NEAR_LOSSLESS: _Target("jpeg-ls", 0, _JLS, lossy_method="ISO_14495_1"),
    uids.JPEG_2000_LOSSLESS: _Target("j2k", 0, frozenset({"levels", "code_block", "mct"})),
    uids.DEFLATED_IMAGE_FRAME_COMPRESSION: _Target("deflate", 0, frozenset({"level"})),
}


def _registry() -> dict[str, Any]:
    """The codec registry's lines that can encode, by transfer syntax UID."""
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
    return any(c.transfer_syntax_uid == syntax and c.lossy for c in _native.codecs())


def _target(uid: str) -> _Target:
    """How ``uid`` is encoded, or an :class:`UnsupportedError` naming what is."""
    target = _TARGETS.get(uid)
    if target is not None:
        return target
    if uid in _registry():
        return _Target("default", planar=0)
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


def _native_options(uid: str, target: _Target, options: dict[str, Any]) -> dict[str, Any]:
    """The target's options as ``_native._encode_frames`` keywords; unknown
    options and a lossy target without its loss asked for are errors."""
    unknown = sorted(set(options) - target.options)
    if unknown:
        takes = ", ".join(sorted(target.options)) or "no options"
        raise InvalidArgumentError(
            f"option(s) {', '.join(unknown)} do not apply to {_name(uid)} (it takes {takes})"
        )
    opts = {k: v for k, v in options.items() if k != "mct"}
    if "jls_error" in opts:
        err = opts.pop("jls_error")
        if "near" in opts and int(opts["near"]) != int(err):
            raise InvalidArgumentError(f"near={opts['near']} and jls_error={err} disagree")
        opts["near"] = err
    if target.lossy_method is not None and int(opts.get("near", 0)) < 1:
        raise InvalidArgumentError(
            f"{_name(uid)} is lossy: pass near=N (or pydicom's jls_error=N), the largest "
            "error per sample (1-255), to accept the loss, or use JPEG-LS Lossless"
        )
    if "code_block" in opts:
        opts["code_block"] = tuple(int(v) for v in opts["code_block"])
    return opts


def _name(uid: str) -> str:
    from pydicom.uid import UID

    return UID(uid).name


def _photometric(px: dict[str, Any], uid: str, options: dict[str, Any]) -> str:
    """The Photometric Interpretation of the values ``read_pixels`` returns,
    as the target stores them."""
    pi = str(px["photometric"])
    samples = px["samples"]
    if pi == "YBR_FULL_422":
        # read_pixels returns native 4:2:2 data upsampled, and an encapsulated
        # YBR_FULL_422 frame decoded without colour conversion is full-size YCbCr.
        pi = "YBR_FULL"
    elif pi in ("YBR_RCT", "YBR_ICT"):
        pi = "RGB"  # JPEG 2000's colour transforms are undone by the decoder
    if uid == uids.JPEG_2000_LOSSLESS and samples == 3 and pi == "RGB" and options.get("mct", True):
        pi = "YBR_RCT"  # PS3.5 8.2.4: the reversible colour transform is applied
    return pi


def encode_frames(
    frames: np.ndarray,
    px: dict[str, Any],
    syntax: str,
    options: dict[str, Any] | None = None,
    threads: int | None = None,
    *,
    arrays: bool = False,
) -> list[Any] | bytes:
    """Encodes ``frames`` (see :func:`as_frames`) for ``syntax``: one
    ``bytes`` per frame for an encapsulated syntax (``arrays``: one 1-D
    uint8 array per frame, the encoder's own buffer, no copy), the native
    Pixel Data value (even length) for Explicit VR Little Endian. Frames are
    encoded in parallel on ``threads`` threads (default: the CPUs) by the
    core's codec registry, the GIL released. ``options`` are the target's
    (see :func:`compress`); unknown ones are an :class:`InvalidArgumentError`."""
    uid = str(syntax)
    target = _target(uid)
    opts = _native_options(uid, target, dict(options or {}))
    data = np.ascontiguousarray(frames, dtype=frames.dtype.newbyteorder("<"))
    if target.codec is None:
        if px["bits_allocated"] == 1:
            from pydicom.pixels import pack_bits

            raw = pack_bits(data)
        else:
            raw = data.tobytes()
        return raw + b"\0" if len(raw) % 2 else raw
    if px["bits_allocated"] == 1:
        raise UnsupportedError("compressing 1-bit (Bits Allocated 1) pixel data")
    encoded: list[Any] = _native._encode_frames(
        uid,
        data.reshape(-1).view(np.uint8),
        len(data),
        px["rows"],
        px["columns"],
        px["samples"],
        px["bits_allocated"],
        px["bits_stored"],
        px["pixel_representation"],
        _photometric(px, uid, dict(options or {})),
        codec=target.codec,
        threads=threads,
        arrays=arrays,
        **opts,
    )
    return encoded


def encapsulated_value(encoded: list[bytes], extended: bool = False) -> tuple[bytes, Any, Any]:
    """The Pixel Data value of encoded frames (one fragment per frame) and,
    when ``extended`` or when the frames are too large for a Basic Offset
    Table, the Extended Offset Table and its lengths (else ``None, None``):
    the bytes pydicom's ``encapsulate`` / ``encapsulate_extended`` return."""
    pieces, eot, lengths = encapsulated_pieces(encoded, extended)
    return b"".join(pieces), eot, lengths


def encapsulated_pieces(encoded: list[Any], extended: bool = False) -> tuple[list[Any], Any, Any]:
    """:func:`encapsulated_value` as a list of buffers (item headers and the
    frames themselves, not copied) that joined are the same bytes."""
    n = len(encoded)
    sizes = [memoryview(e).nbytes for e in encoded]
    total = (n - 1) * 8 + sum(sizes[:-1])
    padded = [s + s % 2 for s in sizes]
    offsets = [0] * n
    for i in range(1, n):
        offsets[i] = offsets[i - 1] + padded[i - 1] + 8
    use_eot = extended or total > _BOT_LIMIT
    item = b"\xfe\xff\x00\xe0"
    if use_eot:
        pieces: list[Any] = [item + b"\0\0\0\0"]
    else:
        pieces = [item + struct.pack(f"<I{n}I", 4 * n, *offsets)]
    for frame, size, pad in zip(encoded, sizes, padded, strict=True):
        pieces.append(item + struct.pack("<I", pad))
        pieces.append(frame)
        if pad != size:
            pieces.append(b"\0")
    if not use_eot:
        return pieces, None, None
    return pieces, struct.pack(f"<{n}Q", *offsets), struct.pack(f"<{n}Q", *padded)


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
        "LossyImageCompressionRatio": [*ratios, f"{ratio:.2f}"],
        "LossyImageCompressionMethod": [*methods, method],
    }


def _strings(value: Any) -> list[str]:
    """A pydicom value (absent, single or multi-valued) as strings."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return [str(v) for v in value]
    return [str(value)]


def image_updates(
    px: dict[str, Any], syntax: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The Image Pixel attributes that change with the encoding (keyword ->
    new value): Planar Configuration as the syntax requires for colour data;
    Photometric Interpretation YBR_FULL for YBR_FULL_422 data (decoded
    pixels are full-size YCbCr), RGB for YBR_RCT/YBR_ICT (JPEG 2000's
    decoder undoes the component transform), YBR_RCT for RGB stored as JPEG
    2000 Lossless with its reversible colour transform (``mct``, the default)."""
    updates: dict[str, Any] = {}
    if px["samples"] > 1:
        updates["PlanarConfiguration"] = _target(syntax).planar
    pi = _photometric(px, str(syntax), dict(options or {}))
    if pi and pi != px["photometric"]:
        updates["PhotometricInterpretation"] = pi
    return updates


def _teach_pydicom(uid: str) -> None:
    """pydicom 3.0 does not know Deflated Image Frame Compression (2024) and
    refuses to write a file of that syntax: add the standard's name for it to
    pydicom's UID dictionary (nothing else changes)."""
    from pydicom._uid_dict import UID_dictionary
    from pydicom.uid import UID

    if uid == uids.DEFLATED_IMAGE_FRAME_COMPRESSION and not UID(uid).is_transfer_syntax:
        name = "Deflated Image Frame Compression"
        UID_dictionary[uid] = (name, "Transfer Syntax", "", "", name.replace(" ", ""))


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

    The source may use any transfer syntax :func:`dicodec.read_pixels` decodes.
    Targets (:data:`ENCODABLE_SYNTAXES`) and their options:

    * Explicit VR Little Endian (decompression), RLE Lossless: none.
    * JPEG Lossless (``.57``: ``predictor`` 1-7) and JPEG Lossless SV1
      (``.70``): ``restart_interval``, ``optimise`` (see
      :func:`dicodec.jpegll_encode`).
    * JPEG-LS Lossless (``.80``) and Near-Lossless (``.81``):
      ``interleave`` (0 none, 1 line, 2 sample: the default), ``restart_interval``
      (lines), and for ``.81`` ``near`` (pydicom's ``jls_error``), the largest
      error per sample, 1-255, which must be given: the loss is never implied.
    * JPEG 2000 Lossless (``.90``, OpenJPEG, reversible 5/3): ``levels``
      (default 5, fewer for small images), ``code_block`` (default
      ``(64, 64)``), ``mct`` (default True: RGB is stored with the reversible
      colour transform and Photometric Interpretation becomes YBR_RCT, as
      DICOM requires; False keeps RGB).
    * Deflated Image Frame Compression (``.8.1``): ``level`` 0-12 (default 6).

    Every target except ``.81`` keeps the values exactly. A lossy encoding
    sets Lossy Image Compression "01", appends its ratio (uncompressed /
    compressed bytes) to Lossy Image Compression Ratio and its method
    (ISO_14495_1) to Lossy Image Compression Method, and always gives a new
    SOP Instance UID.

    Frames are encoded on `threads` threads (default: the CPUs).
    `encapsulate_ext` forces an Extended Offset Table (one is also used when
    the frames are too large for a Basic Offset Table); `generate_instance_uid`
    gives the instance a new SOP Instance UID, as
    :meth:`pydicom.dataset.Dataset.compress` does.

    pydicom 3.0 does not know Deflated Image Frame Compression: compressing to
    it adds the syntax to pydicom's UID dictionary, so ``save_as`` writes it.

    A dataset read from a big-endian file is written with
    :func:`pydicom.dcmwrite` afterwards (pydicom's ``save_as`` refuses to change
    the byte order of a dataset).

    Raises :class:`~dicodec.UnsupportedError` for a target syntax dicodec does
    not encode, :class:`~dicodec.InvalidArgumentError` for an option the
    target does not take or out of range (including NEAR > 0 for a lossless
    syntax), and :class:`~dicodec.DicodecError` for data the target cannot
    hold (e.g. 32-bit samples in JPEG Lossless). The dataset is unchanged when
    it raises.

    Example::

        >>> dicodec.compress(ds, uids.JPEG_2000_LOSSLESS)      # RGB -> YBR_RCT
        >>> dicodec.compress(ds, uids.JPEG_LS_LOSSLESS, interleave=1)
    """
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID, generate_uid

    uid = str(syntax)
    _native_options(uid, _target(uid), dict(options))  # refused before any work
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
    for kw, value in image_updates(px, uid, options).items():
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
    _teach_pydicom(uid)
    ds.file_meta.TransferSyntaxUID = UID(uid)
    if generate_instance_uid:
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds._pixel_array = None
    ds._pixel_id = {}
    return ds
