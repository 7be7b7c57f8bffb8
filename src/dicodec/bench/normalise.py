"""One layout for every peer's result, so results can be compared bit for bit.

The target is what ``pydicom.pixels.pixel_array(path, raw=True)`` returns:
shape ``(frames, rows, cols, samples)`` with size-1 frame and sample axes
dropped, colour-by-pixel, little-endian, dtype ``u1/u2/u4`` (or ``i*`` when
PixelRepresentation is 1) of the Bits Allocated width (1-bit data unpacked to
one ``u1`` per pixel). The *values* are never changed, only how they are laid
out:

* a peer that returns colour-by-plane data (``planar=True``) is transposed;
* a wider or narrower integer dtype holding the same values (e.g. ``uint16``
  from a JPEG decoder for 8-bit data) is cast; the same width with the other
  signedness (``uint16`` for signed data) is reinterpreted, as is big-endian;
* packed 1-bit data (``packed_bits=True``) is unpacked, least significant bit
  first, as DICOM stores it;
* signed data with Bits Stored < Bits Allocated is sign-extended from Bits
  Stored, as pydicom does: a decoder that leaves the high bits zero (JPEG
  streams carry only Bits Stored bits) and one that extends them compare equal.
"""

from __future__ import annotations

import hashlib

import numpy as np

from dicodec.bench.files import FileDesc

__all__ = ["normalise", "sha256_of"]


def normalise(
    arr: np.ndarray, desc: FileDesc, *, planar: bool = False, packed_bits: bool = False
) -> np.ndarray:
    """``arr`` in the reference layout of ``desc`` (see the module docstring).

    Raises ``ValueError`` when ``arr`` cannot hold that many samples."""
    want = desc.dtype
    a = np.asarray(arr)
    if packed_bits and desc.bits_allocated == 1:
        a = np.unpackbits(a.reshape(-1).view(np.uint8), bitorder="little")
        a = a[: desc.pixels * desc.samples]
    if a.dtype.kind not in "uib" and not (a.dtype.kind == "f" and want.kind == "f"):
        raise ValueError(f"unexpected dtype {a.dtype}, wanted {want}")
    if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and np.little_endian is False):
        a = a.astype(a.dtype.newbyteorder("<"))
    if a.dtype != want:
        if a.dtype.itemsize == want.itemsize and a.dtype.kind in "ui":
            a = a.view(want)
        else:
            a = a.astype(want)
    count = desc.pixels * desc.samples
    if a.size != count:
        raise ValueError(f"{a.size} samples decoded, {count} expected for {desc.summary()}")
    if planar and desc.samples > 1:
        a = a.reshape(desc.frames, desc.samples, desc.rows, desc.columns).transpose(0, 2, 3, 1)
    a = np.ascontiguousarray(a.reshape(desc.shape))
    if want.kind == "i" and 0 < desc.bits_stored < want.itemsize * 8:
        shift = want.itemsize * 8 - desc.bits_stored
        a = (a << shift) >> shift
    return a


def sha256_of(arr: np.ndarray) -> str:
    """sha256 of the C-order bytes of ``arr`` (the corpus MANIFEST's ref_sha256)."""
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()
