"""What the benchmark needs to know about one DICOM file, read once with pydicom.

``FileDesc`` holds the pixel description and the expected decoded array
(shape and dtype as ``pydicom.pixels.pixel_array(path, raw=True)`` returns it),
so every peer's result can be normalised to the same layout and compared.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dicodec import uids
from dicodec.uids import JPEG_LOSSLESS, JPEG_LOSSLESS_SV1, NATIVE_SYNTAXES

__all__ = [
    "FileDesc",
    "describe",
    "find_dicom_files",
    "read_frames",
    "ts_label",
    "register_newer_syntaxes",
    "NATIVE_SYNTAXES",
    "RLE",
    "JPEG_LOSSLESS",
    "JPEG_LOSSLESS_SV1",
]

RLE = uids.RLE_LOSSLESS

_SHORT_NAMES = {
    uids.IMPLICIT_VR_LITTLE_ENDIAN: "Implicit VR Little Endian (native)",
    uids.EXPLICIT_VR_LITTLE_ENDIAN: "Explicit VR Little Endian (native)",
    uids.EXPLICIT_VR_BIG_ENDIAN: "Explicit VR Big Endian (native)",
    uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN: "Deflated Explicit VR Little Endian (native)",
    RLE: "RLE Lossless",
    JPEG_LOSSLESS: "JPEG Lossless, process 14",
    JPEG_LOSSLESS_SV1: "JPEG Lossless SV1",
    uids.JPEG_BASELINE_8BIT: "JPEG Baseline 8-bit",
    uids.JPEG_EXTENDED_12BIT: "JPEG Extended 12-bit",
    uids.JPEG_LS_LOSSLESS: "JPEG-LS Lossless",
    uids.JPEG_LS_NEAR_LOSSLESS: "JPEG-LS Near-Lossless",
    uids.JPEG_2000_LOSSLESS: "JPEG 2000 Lossless",
    uids.JPEG_2000: "JPEG 2000",
    uids.HTJ2K_LOSSLESS: "HTJ2K Lossless",
    uids.HTJ2K: "HTJ2K",
    uids.JPEG_XL_LOSSLESS: "JPEG XL Lossless",
    uids.DEFLATED_IMAGE_FRAME_COMPRESSION: "Deflated Image Frames",
}


#: Transfer syntaxes newer than some pydicom 3 releases: (name, keyword).
_NEWER_SYNTAXES = {
    uids.JPEG_XL_LOSSLESS: ("JPEG XL Lossless", "JPEGXLLossless"),
    uids.JPEG_XL_JPEG_RECOMPRESSION: ("JPEG XL JPEG Recompression", "JPEGXLJPEGRecompression"),
    uids.JPEG_XL: ("JPEG XL", "JPEGXL"),
    uids.DEFLATED_IMAGE_FRAME_COMPRESSION: (
        "Deflated Image Frame Compression",
        "DeflatedImageFrameCompression",
    ),
}


def register_newer_syntaxes() -> None:
    """Makes pydicom know the transfer syntaxes it is too old for (JPEG XL,
    Deflated Image Frames), so it can read and write the benchmark's files of
    them (encapsulated, explicit VR little endian). Adds only missing entries."""
    try:
        from pydicom._uid_dict import UID_dictionary
    except ImportError:  # pragma: no cover - pydicom absent or reorganised
        return
    for uid, (name, keyword) in _NEWER_SYNTAXES.items():
        UID_dictionary.setdefault(uid, (name, "Transfer Syntax", "", "", keyword))


def ts_label(uid: str) -> str:
    """A short human-readable name for a transfer syntax UID."""
    if uid in _SHORT_NAMES:
        return _SHORT_NAMES[uid]
    try:
        from pydicom.uid import UID

        name = UID(uid).name
    except Exception:  # pragma: no cover - pydicom is required anyway
        name = uid
    return name if name != uid else f"transfer syntax {uid}"


@dataclass
class FileDesc:
    """Pixel description of one file, as pydicom reads it."""

    path: str
    name: str
    size: int
    transfer_syntax: str
    rows: int
    columns: int
    frames: int
    samples: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    photometric: str
    planar_configuration: int
    #: 32 or 64 for Float / Double Float Pixel Data, else 0.
    float_bits: int = 0
    #: Known sha256 of the normalised decoded array (from a benchmark-set
    #: manifest); ``None`` for the user's own files.
    ref_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ts_name(self) -> str:
        return ts_label(self.transfer_syntax)

    @property
    def is_native(self) -> bool:
        return self.transfer_syntax in NATIVE_SYNTAXES

    @property
    def dtype(self) -> np.dtype:
        """dtype pydicom returns with ``raw=True`` (little-endian)."""
        if self.float_bits:
            return np.dtype(f"<f{self.float_bits // 8}")
        if self.bits_allocated == 1:
            return np.dtype("u1")
        nbytes = max(1, (self.bits_allocated + 7) // 8)
        kind = "i" if self.pixel_representation else "u"
        return np.dtype(f"<{kind}{nbytes}")

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape pydicom returns: (frames, rows, cols, samples), size-1 frame
        and sample axes dropped."""
        shape: tuple[int, ...] = (self.rows, self.columns)
        if self.frames > 1:
            shape = (self.frames, *shape)
        if self.samples > 1:
            shape = (*shape, self.samples)
        return shape

    @property
    def frame_shape(self) -> tuple[int, ...]:
        if self.samples > 1:
            return (self.rows, self.columns, self.samples)
        return (self.rows, self.columns)

    @property
    def pixels(self) -> int:
        """Pixels decoded (frames × rows × columns; samples not counted)."""
        return self.frames * self.rows * self.columns

    @property
    def output_bytes(self) -> int:
        """Bytes of the decoded array (1-bit data unpacked to one byte per pixel)."""
        return self.pixels * self.samples * self.dtype.itemsize

    def summary(self) -> str:
        dims = f"{self.frames}x{self.rows}x{self.columns}"
        if self.samples > 1:
            dims += f"x{self.samples}"
        return f"{dims} {self.bits_stored}/{self.bits_allocated}-bit {self.photometric}"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            ts_name=self.ts_name,
            dtype=self.dtype.str,
            shape=list(self.shape),
            pixels=self.pixels,
            output_bytes=self.output_bytes,
        )
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileDesc:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})


def describe(path: str | os.PathLike[str], ref_sha256: str | None = None) -> FileDesc:
    """Reads the header of ``path`` with pydicom (not the pixel data).

    Raises ``ValueError`` when the file has no (usable) Pixel Data."""
    import pydicom

    register_newer_syntaxes()
    path = os.fspath(path)
    # Large values (the pixel data) are left on disk: deferred, never read.
    ds = pydicom.dcmread(path, defer_size=1024, force=True)
    meta = getattr(ds, "file_meta", None)
    ts = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
    if not ts:
        ts = uids.native_syntax(bool(ds.is_implicit_VR), True)
        if not ds.is_little_endian:
            ts = uids.EXPLICIT_VR_BIG_ENDIAN
    try:
        rows, cols = int(ds.Rows), int(ds.Columns)
        bits_allocated = int(ds.BitsAllocated)
    except (AttributeError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not an image (no Rows/Columns/BitsAllocated)") from exc
    if not any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        raise ValueError(f"{path}: no Pixel Data")
    float_bits = 32 if "FloatPixelData" in ds else 64 if "DoubleFloatPixelData" in ds else 0
    try:
        frames = int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        frames = 1
    return FileDesc(
        path=path,
        name=Path(path).name,
        size=os.path.getsize(path),
        transfer_syntax=ts,
        rows=rows,
        columns=cols,
        frames=max(frames, 1),
        samples=int(ds.get("SamplesPerPixel", 1) or 1),
        bits_allocated=bits_allocated,
        bits_stored=int(ds.get("BitsStored", bits_allocated) or bits_allocated),
        pixel_representation=int(ds.get("PixelRepresentation", 0) or 0),
        photometric=str(ds.get("PhotometricInterpretation", "")),
        planar_configuration=int(ds.get("PlanarConfiguration", 0) or 0),
        float_bits=float_bits,
        ref_sha256=ref_sha256,
    )


def read_frames(desc: FileDesc) -> list[bytes]:
    """The encoded frames of an encapsulated file, extracted with pydicom
    (Basic/Extended Offset Table aware), so codec timings exclude file reading."""
    import pydicom
    from pydicom.encaps import generate_frames

    register_newer_syntaxes()
    ds = pydicom.dcmread(desc.path, force=True)
    extended = None
    if "ExtendedOffsetTable" in ds:
        extended = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
    return list(
        generate_frames(ds.PixelData, number_of_frames=desc.frames, extended_offsets=extended)
    )


def _looks_like_dicom(path: Path) -> bool:
    if path.suffix.lower() in {".dcm", ".dicom", ".seg"}:
        return True
    try:
        with path.open("rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return head[128:132] == b"DICM"


def find_dicom_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files named in ``paths``, directories searched recursively for DICOM
    files (``.dcm``/``.dicom`` or a ``DICM`` preamble), in sorted order."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and _looks_like_dicom(child):
                    yield child
        else:
            yield path
