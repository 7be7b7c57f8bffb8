"""imagecodecs: DICOM RLE, libjpeg-turbo (``jpeg8``) and liblj92 (``ljpeg``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dicodec.bench.files import FileDesc
from dicodec.bench.peers.base import JPEG_LL, FramePeer, Peer, RleFramePeer


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

    @classmethod
    def versions(cls) -> dict[str, str]:
        libs = imagecodecs_libraries()
        return {
            **super().versions(),
            **{k: libs[k] for k in ("libjpeg_turbo", "liblj92") if k in libs},
        }


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
    syntaxes = JPEG_LL
    engine_name = "libjpeg-turbo"
    describes = "imagecodecs.jpeg8_decode per frame (libjpeg-turbo 3)"

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        from imagecodecs import jpeg8_decode

        if desc.samples == 3:
            # Lossless streams are stored without colour transform: ask for
            # the samples as they are.
            return lambda frame: jpeg8_decode(frame, colorspace="RGB", outcolorspace="RGB")
        return jpeg8_decode


class ImagecodecsLjpegPeer(FramePeer, ImagecodecsPeer):
    name = "imagecodecs.ljpeg"
    syntaxes = JPEG_LL
    engine_name = "liblj92"
    describes = "imagecodecs.ljpeg_decode per frame (liblj92)"

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        from imagecodecs import ljpeg_decode

        return ljpeg_decode
