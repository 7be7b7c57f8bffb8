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

__all__ = ["compress", "ENCODABLE_SYNTAXES"]

#: Largest total for a Basic Offset Table (32-bit offsets).
_BOT_LIMIT = 2**32 - 1


@dataclass(frozen=True)
class _Target:
    """How frames are encoded for one transfer syntax."""

    encode: Callable[[np.ndarray, dict[str, Any], dict[str, Any]], bytes] | None
    #: Planar Configuration the syntax requires for colour data.
    planar: int


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

#: Transfer syntaxes :func:`compress` can write.
ENCODABLE_SYNTAXES = frozenset(_TARGETS)


def _pixel_facts(ds: Dataset) -> dict[str, Any]:
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    return {
        "frames": frames,
        "bits_allocated": int(ds.BitsAllocated),
        "bits_stored": int(ds.get("BitsStored", ds.BitsAllocated)),
        "samples": int(ds.get("SamplesPerPixel", 1)),
    }


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
    the values are kept exactly (every target here is lossless). Targets:
    Explicit VR Little Endian (decompression), RLE Lossless, JPEG Lossless
    (``.57``, option ``predictor`` 1-7) and JPEG Lossless SV1 (``.70``); JPEG
    Lossless also takes ``restart_interval`` and ``optimise`` (see
    :func:`dicodec.jpegll_encode`). Frames are encoded on `threads` threads
    (default: the CPUs). `encapsulate_ext` forces an Extended Offset Table
    (one is also used when the frames are too large for a Basic Offset
    Table); `generate_instance_uid` gives the instance a new SOP Instance UID,
    as :meth:`pydicom.dataset.Dataset.compress` does.

    A dataset read from a big-endian file is written with
    :func:`pydicom.dcmwrite` afterwards (pydicom's ``save_as`` refuses to change
    the byte order of a dataset).

    Raises :class:`~dicodec.UnsupportedError` for a target syntax dicodec does
    not encode and :class:`~dicodec.DicodecError` for data the target cannot
    hold (e.g. 32-bit samples in JPEG Lossless).
    """
    from pydicom.dataset import FileMetaDataset
    from pydicom.encaps import encapsulate, encapsulate_extended
    from pydicom.uid import UID, generate_uid

    uid = str(syntax)
    target = _TARGETS.get(uid)
    if target is None:
        raise UnsupportedError(
            f"dicodec cannot encode transfer syntax {UID(uid).name} ({uid}); "
            f"it encodes: {', '.join(sorted(UID(u).name for u in _TARGETS))}"
        )
    if "PixelData" not in ds:
        raise DicodecError("the dataset has no Pixel Data (7FE0,0010) to compress")
    arr = read_pixels(ds, threads=threads)
    px = _pixel_facts(ds)
    frames = arr.reshape((px["frames"], *arr.shape[-(3 if px["samples"] > 1 else 2) :]))
    if px["bits_allocated"] == 1 and target.encode is not None:
        raise UnsupportedError("compressing 1-bit (Bits Allocated 1) pixel data")

    photometric = str(ds.get("PhotometricInterpretation", ""))
    if photometric == "YBR_FULL_422":
        # read_pixels returns native 4:2:2 data upsampled, and an encapsulated
        # YBR_FULL_422 frame decoded without colour conversion is full-size YCbCr.
        photometric = "YBR_FULL"

    if target.encode is None:
        if px["bits_allocated"] == 1:
            from pydicom.pixels import pack_bits

            data = pack_bits(frames)
        else:
            data = np.ascontiguousarray(frames, dtype=frames.dtype.newbyteorder("<")).tobytes()
        if len(data) % 2:
            data += b"\0"
        ds.PixelData = data
        elem = ds["PixelData"]
        elem.VR = "OB" if px["bits_allocated"] <= 8 else "OW"
        elem.is_undefined_length = False
        for kw in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
            if kw in ds:
                del ds[kw]
    else:
        encode = target.encode
        workers = max(1, min(threads or os.cpu_count() or 1, len(frames)))
        if workers == 1:
            encoded = [encode(f, px, options) for f in frames]
        else:
            with ThreadPoolExecutor(workers) as pool:
                encoded = list(pool.map(lambda f: encode(f, px, options), frames))
        total = (len(encoded) - 1) * 8 + sum(len(e) for e in encoded[:-1])
        if encapsulate_ext or total > _BOT_LIMIT:
            ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = (
                encapsulate_extended(encoded)
            )
        else:
            ds.PixelData = encapsulate(encoded)
            for kw in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
                if kw in ds:
                    del ds[kw]
        elem = ds["PixelData"]
        elem.VR = "OB"
        elem.is_undefined_length = True

    if px["samples"] > 1:
        ds.PlanarConfiguration = target.planar
    if photometric and photometric != ds.get("PhotometricInterpretation"):
        ds.PhotometricInterpretation = photometric
    if not hasattr(ds, "file_meta"):
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(uid)
    if generate_instance_uid:
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds._pixel_array = None
    ds._pixel_id = {}
    return ds
