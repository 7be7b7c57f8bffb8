"""Helpers of the transcode tests: a synthetic image rich in everything a
transcoder must keep (private tags, nested sequences of undefined length,
odd VRs, group lengths), element-by-element comparison of two files, and
pixels decoded by pydicom's own plugins (never dicodec's)."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from dicodec import _part10

#: Elements a transcoder may change (besides group lengths (gggg,0000)).
PIXEL_TAGS = {0x7FE00010, 0x7FE00001, 0x7FE00002}
IMAGE_PIXEL_TAGS = {0x00280004, 0x00280006}
#: File meta elements pydicom adds when a converted source lacks them.
_REQUIRED_META = {0x00020001, 0x00020002, 0x00020003, 0x00020012, 0x00020013}


def rich_dataset(
    pixels: np.ndarray,
    *,
    transfer_syntax: str = "1.2.840.10008.1.2.1",
    photometric: str | None = None,
    planar: int = 0,
    bits_stored: int | None = None,
) -> bytes:
    """A Part 10 file holding ``pixels`` ((frames,) rows, cols(, 3)) and
    private tags, nested sequences of defined and undefined length, items of
    undefined length, a UN element, OF/FL/SS/AT/US values, a group length
    and trailing padding after the pixel data, written by pydicom."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import UID, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    sop = generate_uid()
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = UID(transfer_syntax)
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = sop
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Transcode^Test"
    ds.PatientID = "TX-1"
    ds.Modality = "OT"
    ds.ImageType = ["DERIVED", "SECONDARY"]
    inner = Dataset()
    inner.CodeValue = "1234"
    inner.CodingSchemeDesignator = "99TEST"
    inner.CodeMeaning = "nested"
    item = Dataset()
    item.ReferencedSOPInstanceUID = generate_uid()
    item.add_new(0x00091010, "LO", "PRIVATE CREATOR IN ITEM")
    item.add_new(0x00091011, "OB", b"\x01\x02\x03\x04")
    item.ConceptNameCodeSequence = Sequence([inner])
    item["ConceptNameCodeSequence"].is_undefined_length = True
    item.is_undefined_length_sequence_item = True
    ds.ReferencedImageSequence = Sequence([item, Dataset()])
    ds["ReferencedImageSequence"].is_undefined_length = True
    ds.add_new(0x00190010, "LO", "ACME_PRIVATE")
    ds.add_new(0x00191001, "DS", "1.5\\-2")
    ds.add_new(0x00191002, "UN", b"\x00\x01\x02\x03\x04\x05")
    ds.add_new(0x00191003, "OF", np.arange(4, dtype="<f4").tobytes())
    ds.add_new(0x00191004, "FL", [0.25, -8.5])
    ds.add_new(0x00191005, "SS", -7)
    ds.add_new(0x00191006, "AT", [0x00100010, 0x7FE00010])
    ds.add_new(0x00191007, "UT", "odd length text!")
    priv = Dataset()
    priv.add_new(0x00290010, "LO", "NESTED_PRIV")
    priv.add_new(0x00291001, "SH", "deep")
    ds.add_new(0x00191008, "SQ", Sequence([priv]))
    ds[0x00191008].is_undefined_length = True
    frames = pixels if pixels.ndim == (4 if pixels.shape[-1] == 3 else 3) else pixels[None]
    color = frames.ndim == 4
    ds.SamplesPerPixel = 3 if color else 1
    ds.PhotometricInterpretation = photometric or ("RGB" if color else "MONOCHROME2")
    if color:
        ds.PlanarConfiguration = planar
    if len(frames) > 1:
        ds.NumberOfFrames = len(frames)
    ds.Rows, ds.Columns = frames.shape[1:3]
    ds.BitsAllocated = frames.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if frames.dtype.kind == "i" else 0
    stored = frames.transpose(0, 3, 1, 2) if color and planar else frames
    big = transfer_syntax == "1.2.840.10008.1.2.2"
    data = np.ascontiguousarray(stored).astype(stored.dtype.newbyteorder(">" if big else "<"))
    raw = data.tobytes()
    ds.PixelData = raw + b"\0" * (len(raw) % 2)
    ds["PixelData"].VR = "OW" if ds.BitsAllocated > 8 else "OB"
    ds.add_new(0xFFFCFFFC, "OB", b"\0" * 6)  # Data Set Trailing Padding
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    data = buf.getvalue()
    if transfer_syntax != "1.2.840.10008.1.2.1":
        return data
    # A (wrong) group length before group 0008, which pydicom does not write:
    # the transcoder recomputes it.
    first = next(e for e in _part10.split(data, 1 << 30).elements if e.tag >> 16 == 0x0008)
    glen = _part10.element_bytes(0x00080000, "UL", (12345).to_bytes(4, "little"))
    return data[: first.start] + glen + data[first.start :]


def pydicom_pixels(data: bytes) -> np.ndarray:
    """The pixels of a file as pydicom decodes them with its own plugins
    (pylibjpeg, GDCM, pyjpegls, numpy), colour-by-pixel, little-endian, no
    colour conversion (``raw=True``)."""
    import pydicom
    from pydicom.pixels import pixel_array

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
        plugin = _plugin(ds)
        arr = pixel_array(ds, raw=True, **({"decoding_plugin": plugin} if plugin else {}))
    return arr.astype(arr.dtype.newbyteorder("<"))


class NoPeerDecoder(Exception):
    """pydicom has no decoder of its own for this transfer syntax here."""


def _plugin(ds: Any) -> str:
    """A pydicom decoding plugin that is not dicodec's: pylibjpeg, pyjpegls,
    pydicom's own, then GDCM (last: its assertions abort the process on some
    valid streams, e.g. JPEG Lossless with Bits Stored < Bits Allocated)."""
    from pydicom.pixels import get_decoder

    uid = ds.file_meta.TransferSyntaxUID
    if not uid.is_transfer_syntax:  # e.g. Deflated Image Frame Compression in pydicom 3.0
        raise NoPeerDecoder(f"pydicom does not know transfer syntax {uid}")
    if not uid.is_compressed:
        return ""  # pydicom's own native reader
    try:
        names = [n for n in get_decoder(uid).available_plugins if n != "dicodec"]
    except NotImplementedError:
        names = []
    if not names:
        raise NoPeerDecoder(f"pydicom has no decoder for {uid} here")
    order = ["pylibjpeg", "pyjpegls", "pydicom", "gdcm"]
    return sorted(names, key=lambda n: order.index(n) if n in order else 9)[0]


def changed_tags(src: bytes, out: bytes) -> set[int]:
    """Top-level tags of the data sets and file meta groups whose element
    bytes differ between two Explicit VR Little Endian Part 10 files."""
    a, b = _part10.split(src, 1 << 30), _part10.split(out, 1 << 30)
    changed: set[int] = set()
    for pa, pb, ea, eb in (
        (a.data, b.data, a.meta, b.meta),
        (a.dataset, b.dataset, a.elements, b.elements),
    ):
        ma = {e.tag: pa[e.start : e.end] for e in ea}
        mb = {e.tag: pb[e.start : e.end] for e in eb}
        changed |= {t for t in ma.keys() | mb.keys() if ma.get(t) != mb.get(t)}
    return changed


def allowed_changes(tags: set[int]) -> set[int]:
    """``tags`` without those a transcoder may change."""
    return {
        t for t in tags if t & 0xFFFF != 0 and t not in PIXEL_TAGS | IMAGE_PIXEL_TAGS | {0x00020010}
    }


def same_elements(src: bytes, out: bytes, *, image_pixel_may_change: bool = True) -> list[str]:
    """Differences between two files compared with pydicom element by
    element (values, recursively through sequences, private tags included;
    file meta too), ignoring Pixel Data, the Transfer Syntax UID, group
    lengths, the Extended Offset Table and (when allowed) Photometric
    Interpretation and Planar Configuration."""
    import pydicom

    skip = PIXEL_TAGS | {0x00020010}
    if image_pixel_may_change:
        skip |= IMAGE_PIXEL_TAGS
    da = pydicom.dcmread(io.BytesIO(src), force=True)
    db = pydicom.dcmread(io.BytesIO(out), force=True)
    diffs: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        ta = {int(t) for t in a.keys() if int(t) not in skip and t.element != 0}
        tb = {int(t) for t in b.keys() if int(t) not in skip and t.element != 0}
        for t in sorted(ta ^ tb):
            if where == "meta" and t in tb and t in _REQUIRED_META:
                continue  # a required meta element the source lacked, added by pydicom
            diffs.append(f"{where}({t >> 16:04X},{t & 0xFFFF:04X}) only in one")
        for t in sorted(ta & tb):
            try:
                ea, eb = a[t], b[t]
            except (NotImplementedError, ValueError, KeyError):
                # pydicom cannot convert it (e.g. a stray item tag): the raw values.
                ra, rb = a._dict[t], b._dict[t]  # the RawDataElements as read
                if (ra.VR, ra.value) != (rb.VR, rb.value):
                    diffs.append(f"{where}({t >> 16:04X},{t & 0xFFFF:04X}) raw values differ")
                continue
            if ea.VR == "SQ":
                if len(ea.value) != len(eb.value):
                    diffs.append(f"{where}{ea.tag} item count")
                    continue
                for i, (ia, ib) in enumerate(zip(ea.value, eb.value, strict=True)):
                    walk(ia, ib, f"{where}{ea.tag}[{i}]")
            elif ea.value != eb.value:
                diffs.append(f"{where}{ea.tag} {ea.value!r} != {eb.value!r}")

    if len(da.file_meta):  # a source without one gets what pydicom writes
        walk(da.file_meta, db.file_meta, "meta")
    walk(da, db, "")
    return diffs


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
