"""dicomsdl: ``open_memory``/``open_file`` and ``copyFrameData`` per frame."""

from __future__ import annotations

from typing import Any

import numpy as np

from dicodec.bench.files import FileDesc
from dicodec.bench.peers.base import Peer


class DicomsdlPeer(Peer):
    name = "dicomsdl"
    tags = frozenset({"dicomsdl"})
    modules = ("dicomsdl",)
    pip = "pip install dicomsdl"
    dists = ("dicomsdl",)
    describes = "dicomsdl.open_memory(bytes) / open_file(path), copyFrameData per frame"

    def supports(self, desc: FileDesc) -> bool:
        return desc.bits_allocated != 1

    supports_file = supports

    def prepare(self, desc: FileDesc) -> Any:
        with open(desc.path, "rb") as f:
            return f.read()

    def _frames(self, dset: Any, desc: FileDesc) -> np.ndarray:
        info = dset.getPixelDataInfo()
        shape: tuple[int, ...] = (desc.rows, desc.columns)
        # dicomsdl keeps the stored planar configuration; say so per file.
        self.planar = desc.samples > 1 and info["PlanarConfiguration"] == "RRRGGGBBB"
        if desc.samples > 1:
            shape = (desc.samples, *shape) if self.planar else (*shape, desc.samples)
        # zeros: dicomsdl may fill less than the whole frame (e.g. YBR_FULL_422)
        out = np.zeros((desc.frames, *shape), dtype=info["dtype"])
        for i in range(desc.frames):
            dset.copyFrameData(i, out[i])
        return out

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        import dicomsdl

        return self._frames(dicomsdl.open_memory(prepared, copy_data=False), desc)

    def decode_file(self, desc: FileDesc) -> np.ndarray:
        import dicomsdl

        return self._frames(dicomsdl.open_file(desc.path), desc)
