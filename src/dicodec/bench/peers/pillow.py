"""Pillow (libjpeg-turbo inside): 8-bit DCT JPEG frames from memory, as
pydicom's pillow plugin calls it (YCbCr kept with ``draft``)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np

from dicodec.bench.files import FileDesc
from dicodec.bench.peers.base import JPEG_DCT, FramePeer


class PillowPeer(FramePeer):
    name = "pillow"
    tags = frozenset({"pillow"})
    modules = ("PIL",)
    pip = "pip install pillow"
    dists = ("pillow",)
    syntaxes = JPEG_DCT
    engine_name = "libjpeg-turbo"
    describes = "PIL.Image.open(BytesIO(frame)) per frame (libjpeg-turbo inside Pillow)"

    def supports(self, desc: FileDesc) -> bool:
        return super().supports(desc) and desc.bits_stored <= 8

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        from PIL import Image

        keep_ycbcr = desc.samples == 3 and desc.photometric.startswith("YBR")

        def one(frame: bytes) -> np.ndarray:
            img = Image.open(io.BytesIO(frame))
            if keep_ycbcr:
                img.draft("YCbCr", img.size)
            return np.asarray(img)

        return one
