"""pylibjpeg's codec packages called directly: pylibjpeg-rle and pylibjpeg-libjpeg."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dicodec.bench.files import FileDesc
from dicodec.bench.peers.base import JPEG_LL, FramePeer, RleFramePeer


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


class PylibjpegLibjpegPeer(FramePeer):
    name = "pylibjpeg.libjpeg"
    tags = frozenset({"pylibjpeg"})
    modules = ("libjpeg",)
    pip = "pip install pylibjpeg-libjpeg"
    dists = ("pylibjpeg-libjpeg",)
    syntaxes = JPEG_LL
    engine_name = "libjpeg"
    describes = "libjpeg.decode per frame (Thomas Richter's libjpeg)"

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        from libjpeg import decode

        return decode
