"""Transcoding one DICOM file to another transfer syntax, keeping every
other data element as it is.

Two routes (the index's ``warnings`` column of ``dicodec transcode`` does
not change with the route; :class:`Transcoded.route` says which ran):

* ``"raw"`` — the source has a Part 10 header and an Explicit VR Little
  Endian data set (every encapsulated syntax, Explicit VR Little Endian, and
  Deflated Explicit VR Little Endian once inflated). The output is built
  from the source's bytes: the preamble, the file meta group with the new
  Transfer Syntax UID (group length recomputed), then every top-level
  element byte for byte except Pixel Data, the Extended Offset Table and the
  Image Pixel attributes the target syntax requires to change (see
  :func:`dicodec.compress.image_updates`); group lengths are recomputed.
  Sequences, private tags, undefined lengths and odd VRs are untouched.
* ``"pydicom"`` — Implicit VR Little Endian, Explicit VR Big Endian and files
  without a file meta group are read with pydicom, compressed with
  :func:`dicodec.compress` and written by pydicom as Explicit VR Little
  Endian (element values are kept; private elements of an Implicit VR
  source whose VR pydicom does not know are written as ``UN``).
* ``"copy"`` — the source already has the target syntax: its bytes are
  written as they are.

Lossy targets (the codec registry says which) are refused unless
``allow_lossy=True``; then the Lossy Image Compression attributes are set
and the instance gets a new SOP Instance UID, as DICOM requires.
"""

from __future__ import annotations

import io
import os
import re
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dicodec.compress import (
    _strings,
    as_frames,
    encapsulated_pieces,
    encodable_syntaxes,
    encode_frames,
    image_updates,
    is_lossy,
    lossy_attributes,
)
from dicodec.errors import (
    DicodecError,
    InvalidArgumentError,
    LimitExceededError,
    MalformedError,
    UnsupportedError,
)

__all__ = [
    "Transcoded",
    "transcode_file",
    "transcode_parts",
    "resolve_syntax",
    "syntax_name",
    "check_target",
    "SYNTAX_ALIASES",
    "VerifyError",
]

#: Short names accepted by ``--to`` (and ``to=``), as pydicom UID keywords.
SYNTAX_ALIASES = {
    "native": "ExplicitVRLittleEndian",
    "explicit": "ExplicitVRLittleEndian",
    "rle": "RLELossless",
    "jpeg-lossless": "JPEGLosslessSV1",
    "jpegll": "JPEGLosslessSV1",
    "jpeg-lossless-sv1": "JPEGLosslessSV1",
    "jpeg-lossless-p14": "JPEGLossless",
    "jpeg-ls": "JPEGLSLossless",
    "jpegls": "JPEGLSLossless",
    "jpeg-ls-near": "JPEGLSNearLossless",
    "j2k": "JPEG2000Lossless",
    "jpeg2000-lossless": "JPEG2000Lossless",
    "j2k-lossy": "JPEG2000",
    "htj2k": "HTJ2KLossless",
}
#: Short names of syntaxes pydicom 3.0 has no keyword for (registry names).
_NAMED = {"deflate": "Deflated Image Frame Compression", "jpeg-xl": "JPEG XL Lossless"}


class VerifyError(DicodecError):
    """``verify=True``: the output does not decode to the source's pixels."""


def resolve_syntax(name: str) -> str:
    """The transfer syntax UID for a UID, a pydicom keyword (e.g.
    ``JPEGLSLossless``), a registry name or a short alias (see
    :data:`SYNTAX_ALIASES`: ``native``, ``rle``, ``jpeg-lossless``,
    ``jpeg-ls``, ``deflate``...)."""
    from pydicom.uid import UID_dictionary

    from dicodec import _native

    key = name.strip()
    if re.fullmatch(r"[0-9.]+", key):
        return key
    low = key.lower()
    if low in _NAMED:
        low = _NAMED[low].lower()
    keyword = SYNTAX_ALIASES.get(low, key)
    for uid, entry in UID_dictionary.items():
        if entry[1] == "Transfer Syntax" and keyword.lower() in (
            entry[4].lower(),
            entry[0].lower(),
        ):
            return uid
    for c in _native.codecs():
        if c.name.lower() == low:
            return c.transfer_syntax_uid
    raise InvalidArgumentError(
        f"unknown transfer syntax {name!r}: give a UID, a pydicom keyword or one of "
        f"{', '.join(sorted([*SYNTAX_ALIASES, *_NAMED]))}"
    )


def syntax_name(uid: str) -> str:
    """The name of a transfer syntax (the codec registry's, then pydicom's)."""
    from pydicom.uid import UID

    from dicodec import _native

    return next((c.name for c in _native.codecs() if c.transfer_syntax_uid == uid), UID(uid).name)


def check_target(syntax: str, allow_lossy: bool) -> None:
    """Refuses a syntax dicodec cannot write, or a lossy one without
    ``allow_lossy``."""
    if syntax not in encodable_syntaxes():
        names = sorted(f"{syntax_name(u)} ({u})" for u in encodable_syntaxes())
        raise UnsupportedError(
            f"dicodec cannot encode {syntax_name(syntax)} ({syntax}); "
            f"it encodes: {', '.join(names)}"
        )
    if is_lossy(syntax) and not allow_lossy:
        raise InvalidArgumentError(
            f"{syntax_name(syntax)} is lossy: pass allow_lossy=True (--allow-lossy) to accept that"
        )


_IMPORT_LOCK = threading.Lock()
_imported = False


def _import_pydicom() -> None:
    """Imports pydicom once, under a lock: two threads of a fresh process (a
    Dask worker) importing it at once see half-initialised modules (pydicom's
    imports are circular)."""
    global _imported
    if _imported:
        return
    with _IMPORT_LOCK:
        if not _imported:
            import pydicom  # noqa: F401
            import pydicom.datadict  # noqa: F401
            import pydicom.encaps  # noqa: F401
            import pydicom.uid  # noqa: F401

            _imported = True


@dataclass
class Transcoded:
    """One transcoded file: its bytes and how it was made."""

    data: bytes
    route: str
    shape: tuple[int, ...]
    dtype: str
    lossy: bool = False
    #: ``verify=True`` on a lossy target: the largest absolute difference.
    max_error: int | None = None


def transcode_file(
    source: str | os.PathLike[str] | bytes,
    syntax: str,
    *,
    allow_lossy: bool = False,
    verify: bool = False,
    threads: int | None = None,
    encapsulate_ext: bool = False,
    **options: Any,
) -> Transcoded:
    """Transcodes one DICOM file (a path or its bytes) to ``syntax`` (see
    :func:`resolve_syntax`) and returns the new file's bytes (see the module
    doc for what is kept). ``verify``: decode the result and compare it with
    the source's pixels (lossless: equal) — :class:`VerifyError` if not.
    ``encapsulate_ext``: an Extended Offset Table even when the frames fit a
    Basic Offset Table. ``options`` go to the encoder (JPEG Lossless:
    ``predictor``, ``restart_interval``, ``optimise``)."""
    result, parts = transcode_parts(
        source,
        syntax,
        allow_lossy=allow_lossy,
        verify=verify,
        threads=threads,
        encapsulate_ext=encapsulate_ext,
        **options,
    )
    if not result.data:
        result.data = b"".join(parts)
    return result


def transcode_parts(
    source: str | os.PathLike[str] | bytes,
    syntax: str,
    *,
    allow_lossy: bool = False,
    verify: bool = False,
    threads: int | None = None,
    encapsulate_ext: bool = False,
    reuse_buffer: bool = False,
    **options: Any,
) -> tuple[Transcoded, list[Any]]:
    """:func:`transcode_file` without joining the output: the new file is
    the buffers of the returned list written one after the other (views of
    the source's bytes, the encoder's frames: no copy of the pixel data).
    The :class:`Transcoded`'s ``data`` is empty unless the output had to be
    joined anyway (``verify``, the ``"pydicom"`` and ``"copy"`` routes).

    ``reuse_buffer`` (a path ``source``): the file is read into a buffer this
    thread reuses for its next input (no fresh pages per input); the parts
    are then valid only until this thread's next call (the batch writer
    writes them at once)."""
    from dicodec.reader import frame_info, read_pixels

    _import_pydicom()
    uid = resolve_syntax(syntax)
    check_target(uid, allow_lossy)
    data: bytes | bytearray
    if isinstance(source, bytes):
        data = source
    elif reuse_buffer:
        data = _read_reused(os.fspath(source))
    else:
        data = Path(os.fspath(source)).read_bytes()
    info = frame_info(data)
    if not info.decodable:
        raise UnsupportedError(info.unsupported_reason or "pixel data dicodec cannot decode")
    if info.pixel_element != "PixelData":
        raise UnsupportedError(f"transcoding {info.pixel_element} (only Pixel Data is encoded)")
    px = _facts(info)
    if info.transfer_syntax_uid == uid and info.has_file_meta and not (options or encapsulate_ext):
        data = bytes(data)  # never the reused buffer
        arr = read_pixels(data, threads=threads) if verify else None
        shape = arr.shape if arr is not None else _shape(px)
        result = Transcoded(data, "copy", tuple(shape), str(info.dtype), is_lossy(uid))
        if arr is not None:
            _verify(result, arr, uid, threads)
        return result, [data]
    arr = _native_view(data, info)
    if arr is None:
        arr = read_pixels(data, threads=threads)
    try:
        encoded = encode_frames(as_frames(arr, px), px, uid, options, threads, arrays=True)
    except (UnsupportedError, LimitExceededError):
        raise
    except DicodecError as e:  # the decoded data does not fit the target
        raise UnsupportedError(f"{syntax_name(uid)} cannot hold these pixels: {e}") from e
    lossy = is_lossy(uid)
    try:
        parts = _raw(data, px, uid, encoded, arr.nbytes, lossy, encapsulate_ext)
        route = "raw"
        out = b""
    except MalformedError:
        try:
            out = _with_pydicom(data, uid, threads, encapsulate_ext, options)
        except DicodecError:
            raise
        except Exception as e:  # noqa: BLE001 - pydicom raises many types for bad data
            raise MalformedError(
                f"pydicom cannot convert the data set: {type(e).__name__}: {e}"
            ) from e
        parts = [out]
        route = "pydicom"
    del encoded
    result = Transcoded(out, route, tuple(arr.shape), str(arr.dtype), lossy)
    if verify:
        if not result.data:
            result.data = b"".join(parts)
            parts = [result.data]
        _verify(result, arr, uid, threads)
    return result, parts


_REUSED = threading.local()


def _read_reused(path: str) -> bytearray:
    """The file's bytes in this thread's reused buffer (a new one when the
    old one is still referenced, e.g. by the parts of an earlier call that
    were kept)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        buf: bytearray | None = getattr(_REUSED, "buf", None)
        if buf is not None:
            try:
                buf.append(0)  # BufferError while views of it are alive
                buf.pop()
            except BufferError:
                buf = None
        if buf is None or len(buf) < size:
            buf = bytearray(size)
        elif len(buf) > size:
            del buf[size:]
        _REUSED.buf = None  # not reused while a call uses it
        n = 0
        with memoryview(buf) as view:
            while n < size:
                got = f.readinto(view[n:])
                if not got:
                    break
                n += got
        if n < size:  # the file shrank while read
            del buf[n:]
    _REUSED.buf = buf
    return buf


def _native_view(data: bytes | bytearray, info: Any) -> np.ndarray | None:
    """The pixels of a native little-endian source as a view of its bytes
    (no decoding, no copy) when that is exactly what :func:`read_pixels`
    returns: 8/16/32 bits allocated and stored, colour-by-pixel, all frames
    present; else ``None``."""
    from dicodec import uids

    if (
        info.transfer_syntax_uid
        not in (uids.EXPLICIT_VR_LITTLE_ENDIAN, uids.IMPLICIT_VR_LITTLE_ENDIAN)
        or info.encapsulated
        or info.deflated
        or info.bits_allocated not in (8, 16, 32)
        or info.bits_stored != info.bits_allocated
        or ((info.samples_per_pixel or 1) > 1 and info.planar_configuration not in (None, 0))
        or info.dtype is None
        or info.dtype.itemsize * 8 != info.bits_allocated
    ):
        return None
    shape = tuple(int(n) for n in info.shape)
    count = 1
    for n in shape:
        count *= n
    nbytes = count * info.dtype.itemsize
    start = int(info.pixel_data_offset or 0)
    if start <= 0 or int(info.pixel_data_length or 0) < nbytes or start + nbytes > len(data):
        return None
    dtype = info.dtype.newbyteorder("<")
    return np.frombuffer(data, dtype=dtype, count=count, offset=start).reshape(shape)


def _facts(info: Any) -> dict[str, Any]:
    return {
        "frames": int(info.frames),
        "rows": int(info.rows),
        "columns": int(info.columns),
        "bits_allocated": int(info.bits_allocated),
        "bits_stored": int(info.bits_stored or info.bits_allocated),
        "samples": int(info.samples_per_pixel or 1),
        "pixel_representation": int(info.pixel_representation or 0),
        "photometric": str(info.photometric_interpretation or ""),
    }


def _shape(px: dict[str, Any]) -> tuple[int, ...]:
    shape = [px["rows"], px["columns"]] + ([px["samples"]] if px["samples"] > 1 else [])
    return tuple([px["frames"], *shape] if px["frames"] > 1 else shape)


def _verify(result: Transcoded, arr: np.ndarray, uid: str, threads: int | None) -> None:
    from dicodec.reader import frame_info, read_pixels

    info = frame_info(result.data)
    if info.transfer_syntax_uid != uid:
        raise VerifyError(f"the output's transfer syntax is {info.transfer_syntax_uid}, not {uid}")
    got = read_pixels(result.data, threads=threads)
    if got.shape != arr.shape or got.dtype != arr.dtype:
        raise VerifyError(
            f"the output decodes to {got.shape} {got.dtype}, not {arr.shape} {arr.dtype}"
        )
    if result.lossy:
        diff = np.abs(got.astype(np.int64) - arr.astype(np.int64))
        result.max_error = int(diff.max()) if diff.size else 0
    elif not np.array_equal(got, arr):
        raise VerifyError("the output does not decode to the source's pixel values")


# ---- the raw route ----------------------------------------------------------

_SEQ_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


def _raw(
    data: bytes | bytearray,
    px: dict[str, Any],
    uid: str,
    encoded: list[Any] | bytes,
    nbytes: int,
    lossy: bool,
    extended: bool,
) -> list[Any]:
    from dicodec import _part10 as p10
    from dicodec._native import get_max_alloc

    part = p10.split(data, get_max_alloc())
    top = {e.tag: e for e in part.elements}
    pixel = top.get(p10.PIXEL_DATA)
    if pixel is None:
        raise UnsupportedError("no top-level Pixel Data element")
    updates: dict[int, bytes | p10.Chunks | None] = {}
    meta_updates: dict[int, bytes | None] = {}
    if isinstance(encoded, bytes):
        vr = "OB" if px["bits_allocated"] <= 8 else "OW"
        updates[p10.PIXEL_DATA] = p10.element_bytes(p10.PIXEL_DATA, vr, encoded)
        eot = lengths = None
        size = len(encoded)
    else:
        pieces, eot, lengths = encapsulated_pieces(encoded, extended)
        head = p10.element_bytes(p10.PIXEL_DATA, "OB", b"", undefined=True)
        updates[p10.PIXEL_DATA] = p10.Chunks([head, *pieces, _SEQ_DELIMITER])
        size = sum(memoryview(e).nbytes for e in encoded)
    updates[0x7FE00001] = None if eot is None else p10.element_bytes(0x7FE00001, "OV", eot)
    updates[0x7FE00002] = None if lengths is None else p10.element_bytes(0x7FE00002, "OV", lengths)
    changes = image_updates(px, uid)
    if lossy:
        ratios = _strings_at(part, top, 0x00282112)
        methods = _strings_at(part, top, 0x00282114)
        changes.update(lossy_attributes(uid, nbytes / max(1, size), ratios, methods))
        from pydicom.uid import generate_uid

        new_uid = generate_uid()
        changes["SOPInstanceUID"] = new_uid
        meta_updates[0x00020003] = p10.element_bytes(0x00020003, "UI", _encode("UI", new_uid))
    for keyword, value in changes.items():
        tag, vr = _tag_vr(keyword)
        new = p10.element_bytes(tag, vr, _encode(vr, value))
        old = top.get(tag)
        if old is None or part.dataset[old.start : old.end] != new:
            updates[tag] = new
    meta_updates[0x00020010] = p10.element_bytes(0x00020010, "UI", _encode("UI", uid))
    return p10.rebuild_parts(part, meta_updates, updates)


def _strings_at(part: Any, top: dict[int, Any], tag: int) -> list[str]:
    from dicodec._part10 import text_value

    e = top.get(tag)
    return _strings(text_value(part.dataset, e).split("\\")) if e is not None else []


def _tag_vr(keyword: str) -> tuple[int, str]:
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    tag = tag_for_keyword(keyword)
    if tag is None:  # pragma: no cover - keywords come from compress
        raise ValueError(keyword)
    return int(tag), dictionary_VR(tag)


def _encode(vr: str, value: Any) -> bytes:
    """An element value as Explicit VR Little Endian bytes (even length)."""
    if vr in ("US", "SS"):
        return struct.pack("<H" if vr == "US" else "<h", int(value))
    if isinstance(value, (list, tuple)):
        value = "\\".join(str(v) for v in value)
    raw = str(value).encode("ascii")
    if len(raw) % 2:
        raw += b"\0" if vr == "UI" else b" "
    return raw


# ---- the pydicom route ------------------------------------------------------


def _with_pydicom(
    data: bytes | bytearray, uid: str, threads: int | None, extended: bool, options: dict[str, Any]
) -> bytes:
    import pydicom

    from dicodec.compress import compress

    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
        ds.file_meta  # noqa: B018 - read now
    except Exception as e:  # noqa: BLE001 - pydicom raises many types for bad data
        raise MalformedError(f"pydicom cannot read the data set: {type(e).__name__}: {e}") from e
    if "PixelData" not in ds:
        raise UnsupportedError("no top-level Pixel Data element")
    compress(
        ds,
        uid,
        threads=threads,
        encapsulate_ext=extended,
        generate_instance_uid=False,
        **options,
    )
    buf = io.BytesIO()
    # A source with a file meta group keeps it as it is (but the Transfer
    # Syntax UID); one without gets what pydicom makes for a valid Part 10 file.
    enforce = not (ds.preamble is not None and "MediaStorageSOPClassUID" in ds.file_meta)
    known = ds.file_meta.TransferSyntaxUID.is_transfer_syntax
    if not known:  # pydicom 3.0 refuses to write a syntax it does not know (deflated frames)
        from pydicom.uid import ExplicitVRLittleEndian

        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    try:
        pydicom.dcmwrite(
            buf, ds, enforce_file_format=enforce, implicit_vr=False, little_endian=True
        )
    except Exception as e:  # noqa: BLE001 - what pydicom cannot write as Explicit VR LE
        raise UnsupportedError(
            f"converting this data set to Explicit VR Little Endian (pydicom: "
            f"{type(e).__name__}: {e})"
        ) from e
    if known:
        return buf.getvalue()
    from dicodec import _part10

    part = _part10.split(buf.getvalue(), len(buf.getvalue()))
    ts = _part10.element_bytes(0x00020010, "UI", _encode("UI", uid))
    return _part10.rebuild(part, {0x00020010: ts}, {})
