"""dicodec itself: ``read_pixels`` on the file, the per-frame codec functions,
and pydicom with the dicodec plugin."""

from __future__ import annotations

from collections.abc import Callable
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
    FramePeer,
    Peer,
    UnsupportedByPeer,
)
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
    syntaxes = frozenset({RLE}) | JPEG_LL | JPEG_DCT | J2K | JXL | DEFLATE_FRAMES | JPEG_LS
    describes = (
        "dicodec's codec function per frame, one thread, into the result array (rle_decode, "
        "jpegll_decode, jpeg_decode, jpegls_decode, j2k_decode, jxl_decode, deflate_frame_decode)"
    )

    def supports(self, desc: FileDesc) -> bool:
        if desc.transfer_syntax in JPEG_LS:
            import dicodec

            return hasattr(dicodec, "jpegls_decode")
        return super().supports(desc)

    def _rle_kwargs(self, desc: FileDesc) -> dict[str, int]:
        return dict(
            rows=desc.rows,
            columns=desc.columns,
            samples_per_pixel=desc.samples,
            bits_allocated=desc.bits_allocated,
        )

    def frame_writer(self, desc: FileDesc) -> Callable[[bytes, np.ndarray], Any]:
        """``write(frame, out)``: decodes one frame into ``out`` (one frame
        of the result array), as ``read_pixels`` does."""
        import dicodec

        ts = desc.transfer_syntax
        if ts == RLE:
            k = self._rle_kwargs(desc)
            return lambda f, out: dicodec.rle_decode(
                f,
                rows=k["rows"],
                columns=k["columns"],
                samples_per_pixel=k["samples_per_pixel"],
                bits_allocated=k["bits_allocated"],
                out=out,
            )
        if ts in JPEG_LL:
            return lambda f, out: dicodec.jpegll_decode(f, out=out, parallel=False)
        if ts in JPEG_DCT:
            return lambda f, out: dicodec.jpeg_decode(f, out=out)
        if ts in J2K:
            return lambda f, out: dicodec.j2k_decode(f, out=out, threads=1)
        if ts in JXL:
            return lambda f, out: dicodec.jxl_decode(f, out=out, threads=1)
        if ts in DEFLATE_FRAMES:
            n = desc.rows * desc.columns * desc.samples * desc.dtype.itemsize
            return lambda f, out: dicodec.deflate_frame_decode(
                f, n, out=out.reshape(-1).view(np.uint8)
            )
        if ts in JPEG_LS:
            func = dicodec.jpegls_decode
            return lambda f, out: func(f, out=out)
        raise UnsupportedByPeer(f"no dicodec codec function for {desc.ts_name}")

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        try:
            write = self.frame_writer(desc)
            out = np.empty((len(prepared), *desc.frame_shape), desc.dtype)
            for i, frame in enumerate(prepared):
                write(frame, out[i])
            return out
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
    # pydicom hands over one frame at a time: the plugin gives a lone JPEG 2000
    # frame OpenJPEG's threads (every CPU).
    own_threads = J2K

    def _register(self) -> None:
        from dicodec import pydicom_plugin

        pydicom_plugin.register(prefer=False)
