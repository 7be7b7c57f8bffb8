"""GDCM (python-gdcm): frames from memory through ``gdcm.Image``, files through
``gdcm.ImageReader``."""

from __future__ import annotations

from typing import Any

import numpy as np

from dicodec.bench.files import RLE, FileDesc
from dicodec.bench.peers.base import (
    DEFLATE_FRAMES,
    J2K,
    JPEG_DCT,
    JPEG_LL,
    JPEG_LS,
    JXL,
    Peer,
    stack_frames,
)


def _gdcm_bytes(image: Any) -> bytes:
    """The decoded buffer of a gdcm.Image (GDCM hands ``char*`` over as str)."""
    buf = image.GetBuffer()
    if buf is None:
        raise ValueError("GDCM could not decode the pixel data")
    return buf.encode("utf-8", "surrogateescape")


class GdcmPeer(Peer):
    name = "gdcm"
    tags = frozenset({"gdcm"})
    modules = ("gdcm",)
    pip = "pip install python-gdcm"
    dists = ("python-gdcm",)
    packed_bits = True
    # GDCM reads DICOM only from files; frames of encapsulated data can be
    # decoded from memory through gdcm.Image (what pydicom's plugin does).
    syntaxes = frozenset({RLE}) | JPEG_LL | JPEG_LS | JPEG_DCT | J2K
    describes = "gdcm.Image per frame from memory / gdcm.ImageReader(path)"
    # GDCM's JPEG2000Codec gives OpenJPEG opj_get_num_cpus() threads per frame.
    own_threads = J2K

    def supports_file(self, desc: FileDesc) -> bool:
        # GDCM 3.2 has no JPEG XL or deflated-frame codec.
        return desc.transfer_syntax not in JXL | DEFLATE_FRAMES

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        import gdcm

        ts = gdcm.TransferSyntax(gdcm.TransferSyntax.GetTSType(desc.transfer_syntax))
        pi = gdcm.PhotometricInterpretation(
            gdcm.PhotometricInterpretation.GetPIType(desc.photometric)
        )
        pf = gdcm.PixelFormat(
            desc.samples,
            desc.bits_allocated,
            desc.bits_stored,
            desc.bits_stored - 1,
            desc.pixel_representation,
        )

        def one(src: bytes) -> bytes:
            fragment = gdcm.Fragment()
            fragment.SetByteStringValue(src)
            fragments = gdcm.SequenceOfFragments.New()
            fragments.AddFragment(fragment)
            elem = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
            elem.SetValue(fragments.__ref__())
            img = gdcm.Image()
            img.SetNumberOfDimensions(2)
            img.SetDimensions((desc.columns, desc.rows, 1))
            img.SetDataElement(elem)
            img.SetPhotometricInterpretation(pi)
            if desc.samples > 1:
                img.SetPlanarConfiguration(desc.planar_configuration)
            img.SetTransferSyntax(ts)
            img.SetPixelFormat(pf)
            return _gdcm_bytes(img)

        return self._typed(stack_frames(prepared, one), desc)

    def decode_file(self, desc: FileDesc) -> np.ndarray:
        import gdcm

        reader = gdcm.ImageReader()
        reader.SetFileName(desc.path)
        if not reader.Read():
            raise ValueError(f"gdcm.ImageReader could not read {desc.name}")
        return self._typed(np.frombuffer(_gdcm_bytes(reader.GetImage()), np.uint8), desc)

    def _typed(self, a: np.ndarray, desc: FileDesc) -> np.ndarray:
        if desc.bits_allocated == 1:
            return a
        return a.reshape(-1).view(desc.dtype)
