"""dicomsdl: ``open_memory``/``open_file`` and ``copyFrameData`` per frame."""

from __future__ import annotations

from typing import Any

import numpy as np

from dicodec.bench.files import FileDesc
from dicodec.bench.peers.base import DEFLATE_FRAMES, HTJ2K, J2K, JPEG_LS, JXL, Peer


class DicomsdlPeer(Peer):
    name = "dicomsdl"
    tags = frozenset({"dicomsdl"})
    modules = ("dicomsdl",)
    pip = "pip install dicomsdl"
    dists = ("dicomsdl",)
    describes = "dicomsdl.open_memory(bytes) / open_file(path), copyFrameData per frame"

    def supports(self, desc: FileDesc) -> bool:
        # dicomsdl 0.109 has no HTJ2K, JPEG XL or deflated-frame codec.
        return desc.bits_allocated != 1 and desc.transfer_syntax not in HTJ2K | JXL | DEFLATE_FRAMES

    def engine(self, desc: FileDesc) -> str:
        # dicomsdl wraps the usual libraries: their results count once.
        ts = desc.transfer_syntax
        if ts in JPEG_LS:
            return "charls"
        if ts in J2K - HTJ2K:
            return "openjpeg"
        return self.name

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
