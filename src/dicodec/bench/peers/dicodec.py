"""dicodec itself: ``read_pixels`` on the file, the per-frame codec functions,
and pydicom with the dicodec plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dicodec.bench.files import RLE, FileDesc
from dicodec.bench.peers.base import JPEG_LL, FramePeer, Peer, UnsupportedByPeer
from dicodec.bench.peers.pydicom import PydicomPluginPeer


def _dicodec_unsupported(exc: BaseException) -> bool:
    from dicodec.errors import UnsupportedError

    return isinstance(exc, UnsupportedError | NotImplementedError)


class DicodecPeer(Peer):
    name = "dicodec"
    tags = frozenset({"dicodec"})
    modules = ("dicodec",)
    pip = "pip install dicodec"
    dists = ("dicodec",)
    is_dicodec = True
    uses_threads = True
    describes = "dicodec.read_pixels(bytes in memory) / read_pixels(path)"

    def supports(self, desc: FileDesc) -> bool:
        return True

    supports_file = supports

    def prepare(self, desc: FileDesc) -> Any:
        with open(desc.path, "rb") as f:
            return f.read()

    def _call(self, source: Any) -> np.ndarray:
        from dicodec import read_pixels

        try:
            return read_pixels(source, threads=self.threads)
        except Exception as exc:
            if _dicodec_unsupported(exc):
                raise UnsupportedByPeer(str(exc)) from exc
            raise

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        return self._call(prepared)

    def decode_file(self, desc: FileDesc) -> np.ndarray:
        return self._call(desc.path)


class DicodecFramesPeer(FramePeer):
    name = "dicodec.frames"
    tags = frozenset({"dicodec"})
    modules = ("dicodec",)
    pip = "pip install dicodec"
    dists = ("dicodec",)
    is_dicodec = True
    syntaxes = frozenset({RLE}) | JPEG_LL
    describes = "dicodec.rle_decode(out=) / jpegll_decode per frame, one thread"

    def _func(self, desc: FileDesc) -> Callable[..., Any]:
        from dicodec import jpegll_decode, rle_decode

        return rle_decode if desc.transfer_syntax == RLE else jpegll_decode

    def _rle_kwargs(self, desc: FileDesc) -> dict[str, int]:
        return dict(
            rows=desc.rows,
            columns=desc.columns,
            samples_per_pixel=desc.samples,
            bits_allocated=desc.bits_allocated,
        )

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        func = self._func(desc)
        if desc.transfer_syntax != RLE:
            return func
        kwargs = self._rle_kwargs(desc)
        return lambda frame: func(frame, **kwargs)

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        try:
            if desc.transfer_syntax == RLE:
                # rle_decode(out=) writes each frame straight into the result,
                # as read_pixels does; the per-frame JPEG path stacks copies.
                func, kwargs = self._func(desc), self._rle_kwargs(desc)
                out = np.empty((len(prepared), *desc.frame_shape), desc.dtype)
                for i, frame in enumerate(prepared):
                    func(frame, out=out[i], **kwargs)
                return out
            return super().decode(prepared, desc)
        except Exception as exc:
            if _dicodec_unsupported(exc):
                raise UnsupportedByPeer(str(exc)) from exc
            raise


class DicodecPydicomPeer(PydicomPluginPeer):
    name = "dicodec.pydicom"
    tags = frozenset({"dicodec"})
    modules = ("dicodec", "pydicom")
    pip = "pip install dicodec pydicom"
    dists = ()
    is_dicodec = True
    label = "dicodec"
    describes = "pydicom with the dicodec plugin (dicodec.pydicom_plugin)"

    def _register(self) -> None:
        from dicodec import pydicom_plugin

        pydicom_plugin.register(prefer=False)
