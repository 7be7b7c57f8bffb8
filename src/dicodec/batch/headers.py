"""Per-input header metadata: the tags the batch needs to group inputs into
series, order them, predict the decoded layout and annotate the outputs.

All header reading goes through :func:`read_headers` (one place to swap the
tag reader).
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from dicodec.batch.sources import Item, iter_payloads
from dicodec.batch.threads import default_threads
from dicodec.errors import DicodecError, LimitExceededError, UnsupportedError
from dicodec.uids import DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, native_syntax

if TYPE_CHECKING:  # pragma: no cover
    from dicodec.reader import FrameInfo

__all__ = ["Header", "HeaderFailure", "read_headers", "header_from_dataset", "TAGS"]

#: Keywords read from every input.
TAGS = (
    "PatientID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "SOPClassUID",
    "Modality",
    "InstanceNumber",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelSpacing",
    "SliceThickness",
    "RescaleSlope",
    "RescaleIntercept",
    "WindowCenter",
    "WindowWidth",
    "PhotometricInterpretation",
    "Rows",
    "Columns",
    "NumberOfFrames",
    "SamplesPerPixel",
    "BitsAllocated",
    "BitsStored",
    "PixelRepresentation",
    "RedPaletteColorLookupTableDescriptor",
)


@dataclass
class Header:
    """What the batch knows about one input before decoding it (plain JSON-able
    values, so it travels to Dask workers and into the index)."""

    transfer_syntax: str | None = None
    patient_id: str | None = None
    study_uid: str | None = None
    series_uid: str | None = None
    sop_uid: str | None = None
    sop_class_uid: str | None = None
    modality: str | None = None
    instance_number: int | None = None
    image_position: list[float] | None = None
    image_orientation: list[float] | None = None
    pixel_spacing: list[float] | None = None
    slice_thickness: float | None = None
    rescale_slope: float | None = None
    rescale_intercept: float | None = None
    window_center: list[float] | None = None
    window_width: list[float] | None = None
    photometric: str | None = None
    rows: int | None = None
    columns: int | None = None
    frames: int = 1
    samples: int = 1
    bits_allocated: int | None = None
    bits_stored: int | None = None
    pixel_representation: int = 0
    #: Which pixel element follows the header: "PixelData", "FloatPixelData",
    #: "DoubleFloatPixelData", "" when there is none, None when unknown.
    pixel_element: str | None = None
    #: The decoded layout, from :func:`dicodec.frame_info`: NumPy dtype name
    #: and the shape of one frame, (rows, columns[, samples]).
    out_dtype: str | None = None
    out_frame_shape: list[int] | None = None
    #: Bits of the palette's entries (Red Palette Color LUT Descriptor), of
    #: the first Modality LUT's entries, and which values the batch writes
    #: (``--values``, see :mod:`dicodec.batch.values`).
    palette_bits: int | None = None
    modality_lut_bits: int | None = None
    values: str = "stored"

    def to_dict(self) -> dict[str, Any]:
        # What dataclasses.asdict gives for these flat fields (lists copied),
        # at a fraction of its cost: this runs once per input.
        return {
            k: list(v) if isinstance(v, list) else v
            for k, v in ((k, getattr(self, k)) for k in _HEADER_FIELDS)
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Header:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    @property
    def is_image(self) -> bool:
        return (
            bool(self.rows)
            and bool(self.columns)
            and self.bits_allocated is not None
            and self.pixel_element != ""
        )

    def dtype(self) -> str:
        """The NumPy dtype :func:`dicodec.read_pixels` returns."""
        assert self.out_dtype is not None, "layout not known"
        return self.out_dtype

    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one decoded frame: (rows, columns[, samples])."""
        assert self.out_frame_shape is not None, "layout not known"
        return tuple(self.out_frame_shape)

    def set_layout(self, info: FrameInfo) -> None:
        """Takes the decoded layout from :func:`dicodec.frame_info`."""
        assert info.shape is not None and info.dtype is not None
        per_frame = 3 if (info.samples_per_pixel or 1) > 1 else 2
        self.out_dtype = info.dtype.name
        self.out_frame_shape = list(info.shape[-per_frame:])
        self.frames = info.frames
        self.pixel_element = info.pixel_element
        if not self.transfer_syntax:
            self.transfer_syntax = info.transfer_syntax_uid


_HEADER_FIELDS = tuple(f.name for f in fields(Header))


@dataclass
class HeaderFailure:
    """Why an input has no usable header. ``status`` is ``"skipped"`` for
    inputs that are not DICOM images (not DICOM at all, or no pixel data) and
    ``"failed"`` for those that should be but cannot be read."""

    status: str
    reason: str
    error: str
    header: Header | None = None


def _text(v: Any) -> str | None:
    if v is None or v == "":
        return None
    return str(v).strip() or None


def _int(v: Any) -> int | None:
    if v is None or v == "":
        return None
    try:
        if isinstance(v, (list, tuple)) or hasattr(v, "__len__") and not isinstance(v, str):
            v = list(v)[0]
        return int(float(v))
    except (TypeError, ValueError, IndexError):
        return None


def _float(v: Any) -> float | None:
    if v is None or v == "":
        return None
    try:
        if hasattr(v, "__len__") and not isinstance(v, str):
            v = list(v)[0]
        return float(v)
    except (TypeError, ValueError, IndexError):
        return None


def _floats(v: Any, n: int | None = None) -> list[float] | None:
    if v is None or v == "":
        return None
    try:
        vals = (
            [float(x) for x in v]
            if hasattr(v, "__len__") and not isinstance(v, str)
            else [float(v)]
        )
    except (TypeError, ValueError):
        return None
    if n is not None and len(vals) != n:
        return None
    return vals


def header_from_values(get: Callable[[str], Any], transfer_syntax: str | None) -> Header:
    """A :class:`Header` from ``get(keyword)`` (a pydicom element value, a
    :func:`dicodec.scan` cell, or ``None``); values that fail to convert
    become ``None``, never an error."""
    return Header(
        transfer_syntax=_text(transfer_syntax),
        patient_id=_text(get("PatientID")),
        study_uid=_text(get("StudyInstanceUID")),
        series_uid=_text(get("SeriesInstanceUID")),
        sop_uid=_text(get("SOPInstanceUID")),
        sop_class_uid=_text(get("SOPClassUID")),
        modality=_text(get("Modality")),
        instance_number=_int(get("InstanceNumber")),
        image_position=_floats(get("ImagePositionPatient"), 3),
        image_orientation=_floats(get("ImageOrientationPatient"), 6),
        pixel_spacing=_floats(get("PixelSpacing"), 2),
        slice_thickness=_float(get("SliceThickness")),
        rescale_slope=_float(get("RescaleSlope")),
        rescale_intercept=_float(get("RescaleIntercept")),
        window_center=_floats(get("WindowCenter")),
        window_width=_floats(get("WindowWidth")),
        photometric=_text(get("PhotometricInterpretation")),
        rows=_int(get("Rows")),
        columns=_int(get("Columns")),
        frames=max(_int(get("NumberOfFrames")) or 1, 1),
        samples=_int(get("SamplesPerPixel")) or 1,
        bits_allocated=_int(get("BitsAllocated")),
        bits_stored=_int(get("BitsStored")),
        pixel_representation=_int(get("PixelRepresentation")) or 0,
        palette_bits=lut_bits(get("RedPaletteColorLookupTableDescriptor")),
        modality_lut_bits=lut_bits(_first_item(get("ModalityLUTSequence"), "LUTDescriptor")),
    )


def lut_bits(descriptor: Any) -> int | None:
    """The third value (bits per entry) of a LUT descriptor, or None."""
    v = _floats(descriptor)
    return int(v[2]) if v is not None and len(v) >= 3 else None


def _first_item(seq: Any, keyword: str) -> Any:
    try:
        return seq[0].get(keyword) if seq else None
    except Exception:  # noqa: BLE001 - a scan cell or a broken sequence: unknown
        return None


def header_from_dataset(ds: Any) -> Header:
    """A :class:`Header` from a pydicom Dataset."""

    def get(kw: str) -> Any:
        try:
            elem = ds.get(kw)
        except Exception:  # noqa: BLE001 - a broken value is a missing value here
            return None
        return elem

    meta = getattr(ds, "file_meta", None)
    ts = _text(meta.get("TransferSyntaxUID")) if meta is not None else None
    if ts is None:
        enc = getattr(ds, "original_encoding", None)
        if enc is not None and enc[0] is not None:
            implicit, little = enc
            ts = native_syntax(implicit, little)
    return header_from_values(get, ts)


_PIXEL_TAGS = {
    bytes.fromhex("e07f1000"): "PixelData",
    bytes.fromhex("7fe00010"): "PixelData",
    bytes.fromhex("e07f0800"): "FloatPixelData",
    bytes.fromhex("7fe00008"): "FloatPixelData",
    bytes.fromhex("e07f0900"): "DoubleFloatPixelData",
    bytes.fromhex("7fe00009"): "DoubleFloatPixelData",
}


def _pixel_element(ds: Any, f: Any) -> str | None:
    """The pixel element pydicom stopped in front of (it leaves the file
    positioned at its tag): its keyword, "" at the end of the data, None when
    the position says nothing (deflated data sets are read from a copy)."""
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    if ts == DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
        return None
    tag = f.read(4)
    if not tag:
        return ""
    return _PIXEL_TAGS.get(tag)


_WARNINGS_LOCK = threading.Lock()


def _read_one(item: Item, payload: str | bytes, layout: bool = True) -> Header | HeaderFailure:
    """The header of one input. pydicom's warnings about odd values are
    silenced (the batch reports problems per input); the lock keeps
    ``catch_warnings`` safe across threads (pydicom holds the GIL anyway)."""
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _read_one_quiet(item, payload, layout)


def _read_one_quiet(item: Item, payload: str | bytes, layout: bool) -> Header | HeaderFailure:
    import pydicom
    from pydicom.errors import InvalidDicomError

    forced = False
    try:
        f: Any = open(payload, "rb") if isinstance(payload, str) else io.BytesIO(payload)
    except OSError as e:
        return HeaderFailure("failed", "unreadable", f"{type(e).__name__}: {e}")
    with f:
        f.seek(128)
        dicm = f.read(4) == b"DICM"
        f.seek(0)
        head = f.read(1024)
        f.seek(0)
        looks_dicom = dicm or item.path.lower().endswith((".dcm", ".dicom"))
        try:
            try:
                ds = pydicom.dcmread(f, stop_before_pixels=True)
            except InvalidDicomError:
                forced = True
                f.seek(0)
                ds = pydicom.dcmread(f, stop_before_pixels=True, force=True)
            h = header_from_dataset(ds)
            h.pixel_element = _pixel_element(ds, f)
            fm = getattr(ds, "file_meta", None)
            ts_in_meta = fm is not None and "TransferSyntaxUID" in fm
        except Exception as e:  # noqa: BLE001 - pydicom raises many types on garbage
            if not looks_dicom:
                return HeaderFailure("skipped", "not_dicom", _not_dicom_message(head, e))
            # pydicom cannot read the header; dicodec may still find the pixels.
            fallback = _with_layout(Header(), payload)
            if isinstance(fallback, Header):
                return fallback if layout else Header()
            return HeaderFailure("failed", "malformed", f"header: {type(e).__name__}: {e}")
    recognisable = h.sop_class_uid or h.sop_uid or h.rows
    if not recognisable:
        if forced and not looks_dicom:
            return HeaderFailure("skipped", "not_dicom", _not_dicom_message(head, None), None)
        if dicm and not ts_in_meta:
            return HeaderFailure(
                "failed",
                "malformed",
                "no file meta information or data set after the DICM prefix",
                h,
            )
    if not h.is_image:
        what = "no Pixel Data element" if h.rows else "no image pixel module (Rows/Columns)"
        return HeaderFailure("skipped", "no_pixel_data", what, h)
    return _with_layout(h, payload) if layout else h


def _layout(payload: str | bytes) -> FrameInfo:
    """:func:`dicodec.frame_info` of a file or member."""
    from dicodec.reader import frame_info

    return frame_info(payload)


def _with_layout(
    h: Header, payload: str | bytes, info: FrameInfo | BaseException | None = None
) -> Header | HeaderFailure:
    """Adds the decoded layout (dicodec's :func:`~dicodec.frame_info`), or
    says why the input cannot be decoded. ``info``: the native description
    of ``payload`` (or the exception it raised) when already computed."""
    try:
        if isinstance(info, BaseException):
            raise info
        if info is None:
            info = _layout(payload)
    except DicodecError as e:
        reason = "unsupported" if isinstance(e, UnsupportedError) else "malformed"
        return HeaderFailure("failed", reason, f"{type(e).__name__}: {e}", h)
    except OSError as e:
        return HeaderFailure("failed", "unreadable", f"{type(e).__name__}: {e}", h)
    if not info.decodable or info.dtype is None or info.shape is None:
        why = info.unsupported_reason or info.problem or "not decodable"
        if why.startswith("unsupported"):
            return HeaderFailure("failed", "unsupported", f"UnsupportedError: {why}", h)
        return HeaderFailure("failed", "malformed", f"MalformedError: {why}", h)
    h.set_layout(info)
    return h


_NO_PIXELS = "no Pixel Data, Float Pixel Data or Double Float Pixel Data"


def _not_dicom_message(head: bytes, err: BaseException | None) -> str:
    """The one "not a DICOM file: <reason>" message (dicodec's detection,
    the same as :func:`dicodec.read_pixels` and :func:`dicodec.scan` give)."""
    from dicodec.errors import NotDicomError
    from dicodec.reader import frame_info

    try:
        frame_info(head)
    except NotDicomError as e:
        return str(e)
    except Exception:  # noqa: BLE001 - DICOM-like start, but pydicom could not read it
        pass
    why = f" ({type(err).__name__}: {err})" if err is not None else ""
    return f"not a DICOM file: pydicom cannot read it{why}"


def _looks_dicom(item: Item) -> bool:
    return item.path.lower().endswith((".dcm", ".dicom"))


def header_from_scan(
    item: Item,
    row: dict[str, Any],
    layout: bool,
    info: FrameInfo | BaseException | None = None,
) -> Header | HeaderFailure:
    """A :class:`Header` from one row of :func:`dicodec.scan` (a plain file),
    classified the same way as :func:`_read_one` classifies pydicom's.
    ``info``: the file's native frame description (or the exception that
    describing it raised), when already computed."""
    err = row.get("error")
    if err:
        if "not a dicom file" in err.lower() and not _looks_dicom(item):
            return HeaderFailure("skipped", "not_dicom", err)
        # Rare: let pydicom (which reads some odd files the scanner rejects)
        # and the same rules as for archive members decide.
        return _read_one(item, item.path, layout)

    h = header_from_values(row.get, row.get("transfer_syntax"))
    if not h.is_image:
        return HeaderFailure("skipped", "no_pixel_data", "no image pixel module (Rows/Columns)", h)
    if not layout:
        return h
    got = _with_layout(h, item.path, info)
    if isinstance(got, HeaderFailure) and _NO_PIXELS in got.error:
        return HeaderFailure("skipped", "no_pixel_data", "no Pixel Data element", h)
    return got


def _scan_files(
    chunk: list[tuple[Item, str]], layout: bool, threads: int | None
) -> list[Header | HeaderFailure]:
    from dicodec import scan

    nthreads = threads or default_threads()
    table = scan([p for _, p in chunk], list(TAGS), threads=nthreads, errors="record")
    rows = table.to_pylist()
    if [r["path"] for r in rows] != [p for _, p in chunk]:  # pragma: no cover - defensive
        by_path = {r["path"]: r for r in rows}
        rows = [by_path[p] for _, p in chunk]
    if not layout:
        return [
            header_from_scan(item, row, False) for (item, _), row in zip(chunk, rows, strict=True)
        ]
    # Frame descriptions of the whole chunk in one call: parallel in Rust,
    # without the GIL (Python threads here would fight over it).
    from dicodec.reader import frame_infos

    infos = frame_infos([p for _, p in chunk], threads=nthreads)
    return [
        header_from_scan(item, row, True, info)
        for (item, _), row, info in zip(chunk, rows, infos, strict=True)
    ]


def iter_headers(
    items: Iterable[Item], *, layout: bool = True, chunk: int = 1024, threads: int | None = None
) -> Iterator[tuple[Item, str | bytes | BaseException, Header | HeaderFailure]]:
    """``(item, payload, header)`` for every item, in the order of
    :func:`iter_payloads`. Plain files are scanned in chunks by
    :func:`dicodec.scan` (Rust, parallel, reads only the header); archive
    members are parsed by pydicom from their bytes. With ``layout`` the
    decoded layout and decodability come from :func:`dicodec.frame_info`.
    ``threads`` bounds the threads used (``None``: all cores)."""
    pending: list[tuple[Item, str]] = []

    def flush() -> Iterator[tuple[Item, str | bytes | BaseException, Header | HeaderFailure]]:
        if pending:
            for (item, path), h in zip(pending, _scan_files(pending, layout, threads), strict=True):
                yield item, path, h
            pending.clear()

    for item, payload in iter_payloads(items):
        if isinstance(payload, str) and item.kind == "file":
            pending.append((item, payload))
            if len(pending) >= chunk:
                yield from flush()
            continue
        yield from flush()
        if isinstance(payload, BaseException):
            reason = "limit_exceeded" if isinstance(payload, LimitExceededError) else "unreadable"
            err = HeaderFailure("failed", reason, f"{type(payload).__name__}: {payload}")
            yield item, payload, err
        else:
            yield item, payload, _read_one(item, payload, layout)
    yield from flush()


def read_headers(
    items: Iterable[Item], *, threads: int | None = None
) -> Iterator[tuple[Item, Header | HeaderFailure]]:
    """The header of every item (in the order of :func:`iter_payloads`)."""
    for item, _, h in iter_headers(items, threads=threads):
        yield item, h
