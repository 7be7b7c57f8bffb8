"""pylibjpeg's codec packages called directly: pylibjpeg-rle,
pylibjpeg-libjpeg and pylibjpeg-openjpeg; and pyjpegls (CharLS), the JPEG-LS
package pydicom uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dicodec.bench.files import FileDesc
from dicodec.bench.peers.base import (
    J2K,
    JPEG_DCT,
    JPEG_LL,
    JPEG_LS,
    FramePeer,
    FunctionPeer,
    RleFramePeer,
)


class PylibjpegRlePeer(RleFramePeer):
    name = "pylibjpeg.rle"
    tags = frozenset({"pylibjpeg"})
    modules = ("rle",)
    pip = "pip install pylibjpeg-rle"
    dists = ("pylibjpeg-rle",)
    engine_name = "pylibjpeg-rle"
    describes = "rle.utils.decode_frame per frame (colour-by-plane bytes)"

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        from rle.utils import decode_frame

        n, bits = desc.rows * desc.columns, desc.bits_allocated
        return lambda frame: decode_frame(frame, n, bits, "<")

    def finish(self, out: np.ndarray, desc: FileDesc) -> np.ndarray:
        return out.view(desc.dtype)


class PylibjpegLibjpegPeer(FunctionPeer):
    name = "pylibjpeg.libjpeg"
    tags = frozenset({"pylibjpeg"})
    modules = ("libjpeg",)
    pip = "pip install pylibjpeg-libjpeg"
    dists = ("pylibjpeg-libjpeg",)
    syntaxes = JPEG_LL | JPEG_LS | JPEG_DCT
    engine_name = "libjpeg"
    describes = "libjpeg.decode per frame (Thomas Richter's libjpeg; no colour transform)"
    function = "libjpeg:decode"


class PylibjpegOpenjpegPeer(FunctionPeer):
    name = "pylibjpeg.openjpeg"
    tags = frozenset({"pylibjpeg"})
    modules = ("openjpeg",)
    pip = "pip install pylibjpeg-openjpeg"
    dists = ("pylibjpeg-openjpeg",)
    syntaxes = J2K
    engine_name = "openjpeg"
    describes = "openjpeg.decode per frame (pylibjpeg-openjpeg, OpenJPEG)"
    function = "openjpeg:decode"


class PyjpeglsPeer(FramePeer):
    name = "pyjpegls"
    tags = frozenset({"pyjpegls"})
    modules = ("jpeg_ls",)
    pip = "pip install pyjpegls"
    dists = ("pyjpegls",)
    syntaxes = JPEG_LS
    engine_name = "charls"
    describes = "jpeg_ls.decode per frame (pyjpegls, CharLS)"

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        from jpeg_ls import decode

        return lambda frame: decode(np.frombuffer(frame, np.uint8))
