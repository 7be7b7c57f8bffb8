"""imagecodecs: DICOM RLE, libjpeg-turbo (``jpeg8``), liblj92 (``ljpeg``),
CharLS (``jpegls``), OpenJPEG (``jpeg2k``), OpenJPH (``htj2k``), libjxl
(``jpegxl``) and libdeflate (``deflate``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dicodec.bench.files import FileDesc
from dicodec.bench.peers.base import (
    DEFLATE_FRAMES,
    HTJ2K,
    J2K,
    JPEG_DCT,
    JPEG_LL,
    JPEG_LS,
    JXL,
    FramePeer,
    FunctionPeer,
    Peer,
    RleFramePeer,
)


def imagecodecs_libraries() -> dict[str, str]:
    """Versions of the libraries inside imagecodecs (``{"libjpeg_turbo": ...}``)."""
    try:
        import imagecodecs

        items = imagecodecs.version().split(", ")
    except Exception:  # pragma: no cover - version string only
        return {}
    return dict(item.split("-", 1) for item in items if "-" in item)


class ImagecodecsPeer(Peer):
    tags = frozenset({"imagecodecs"})
    modules = ("imagecodecs",)
    pip = "pip install imagecodecs"
    dists = ("imagecodecs",)
    #: Libraries inside imagecodecs whose versions this peer reports.
    libraries: tuple[str, ...] = ("libjpeg_turbo", "liblj92")

    @classmethod
    def versions(cls) -> dict[str, str]:
        libs = imagecodecs_libraries()
        return {**super().versions(), **{k: libs[k] for k in cls.libraries if k in libs}}


class ImagecodecsRlePeer(RleFramePeer, ImagecodecsPeer):
    name = "imagecodecs.dicomrle"
    describes = "imagecodecs.dicomrle_decode per frame (colour-by-plane)"

    def _dtype(self, desc: FileDesc) -> str:
        return desc.dtype.str.replace("<", ">") if desc.dtype.itemsize > 1 else desc.dtype.str

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        from imagecodecs import dicomrle_decode

        dtype = self._dtype(desc)
        return lambda frame: dicomrle_decode(frame, dtype)

    def finish(self, out: np.ndarray, desc: FileDesc) -> np.ndarray:
        return out.view(self._dtype(desc))


class ImagecodecsJpeg8Peer(FramePeer, ImagecodecsPeer):
    name = "imagecodecs.jpeg8"
    syntaxes = JPEG_LL | JPEG_DCT
    engine_name = "libjpeg-turbo"
    libraries = ("libjpeg_turbo",)
    describes = "imagecodecs.jpeg8_decode per frame (libjpeg-turbo 3)"

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        from imagecodecs import jpeg8_decode

        if desc.samples == 3 and desc.photometric.startswith("YBR"):
            # pydicom's raw=True: the YCbCr samples, no colour conversion.
            return lambda f: jpeg8_decode(f, colorspace="YCbCr", outcolorspace="YCbCr")
        if desc.samples == 3:
            # Lossless streams are stored without colour transform: ask for
            # the samples as they are.
            return lambda frame: jpeg8_decode(frame, colorspace="RGB", outcolorspace="RGB")
        return jpeg8_decode


class ImagecodecsLjpegPeer(FunctionPeer, ImagecodecsPeer):
    name = "imagecodecs.ljpeg"
    syntaxes = JPEG_LL
    engine_name = "liblj92"
    libraries = ("liblj92",)
    describes = "imagecodecs.ljpeg_decode per frame (liblj92)"
    function = "imagecodecs:ljpeg_decode"


class ImagecodecsJpeglsPeer(FunctionPeer, ImagecodecsPeer):
    name = "imagecodecs.jpegls"
    syntaxes = JPEG_LS
    engine_name = "charls"
    libraries = ("charls",)
    describes = "imagecodecs.jpegls_decode per frame (CharLS)"
    function = "imagecodecs:jpegls_decode"


class ImagecodecsJpeg2kPeer(FunctionPeer, ImagecodecsPeer):
    name = "imagecodecs.jpeg2k"
    syntaxes = J2K
    engine_name = "openjpeg"
    libraries = ("openjpeg",)
    describes = "imagecodecs.jpeg2k_decode per frame (OpenJPEG, one thread)"
    function = "imagecodecs:jpeg2k_decode"
    options = (("numthreads", 1),)


class ImagecodecsHtj2kPeer(FunctionPeer, ImagecodecsPeer):
    name = "imagecodecs.htj2k"
    syntaxes = HTJ2K
    engine_name = "openjph"
    libraries = ("openjph",)
    describes = "imagecodecs.htj2k_decode per frame (OpenJPH)"
    function = "imagecodecs:htj2k_decode"


class ImagecodecsJpegxlPeer(FunctionPeer, ImagecodecsPeer):
    name = "imagecodecs.jpegxl"
    syntaxes = JXL
    engine_name = "libjxl"
    libraries = ("libjxl",)
    describes = "imagecodecs.jpegxl_decode per frame (libjxl, one thread)"
    function = "imagecodecs:jpegxl_decode"
    options = (("numthreads", 1),)


class ImagecodecsDeflatePeer(ImagecodecsPeer):
    name = "imagecodecs.deflate"
    syntaxes = DEFLATE_FRAMES
    engine_name = "libdeflate"
    libraries = ("libdeflate",)
    describes = "imagecodecs.deflate_decode(raw=True, out=frame) per frame (libdeflate)"

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        from imagecodecs import deflate_decode

        out = np.empty((len(prepared), *desc.frame_shape), desc.dtype)
        flat = out.reshape(len(prepared), -1).view(np.uint8)
        for i, frame in enumerate(prepared):
            deflate_decode(frame, raw=True, out=flat[i])
        return out


class ZlibDeflatePeer(Peer):
    name = "zlib"
    tags = frozenset({"zlib"})
    modules = ("zlib",)
    pip = "(Python's standard library)"
    syntaxes = DEFLATE_FRAMES
    engine_name = "zlib"
    describes = "zlib.decompress(wbits=-15) per frame (Python's zlib)"

    @classmethod
    def versions(cls) -> dict[str, str]:
        import zlib

        return {"zlib": zlib.ZLIB_RUNTIME_VERSION}

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        import zlib

        out = np.empty((len(prepared), *desc.frame_shape), desc.dtype)
        flat = out.reshape(len(prepared), -1).view(np.uint8)
        for i, frame in enumerate(prepared):
            flat[i] = np.frombuffer(zlib.decompress(frame, -15), np.uint8)
        return out
