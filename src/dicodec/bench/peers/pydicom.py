"""pydicom 3's decoders, each with one named plugin."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from dicodec.bench.files import RLE, FileDesc
from dicodec.bench.peers.base import J2K, JPEG_DCT, Peer


class PydicomPluginPeer(Peer):
    """pydicom 3's decoder with one named plugin: the codec path decodes a
    parsed in-memory ``Dataset`` (``Decoder.as_array(ds, raw=True,
    decoding_plugin=...)``), the whole-file path calls
    ``pydicom.pixels.pixel_array(path, raw=True, decoding_plugin=...)``."""

    label: ClassVar[str] = ""

    def _plugin(self, desc: FileDesc) -> str:
        """The ``decoding_plugin`` argument for ``desc`` ('' = pydicom's
        native path, which has no plugins)."""
        return self.label

    def _register(self) -> None:
        """Hook for plugins that must be registered first."""

    def supports(self, desc: FileDesc) -> bool:
        if desc.is_native:
            return False
        try:
            from pydicom.pixels.decoders.base import get_decoder

            decoder = get_decoder(desc.transfer_syntax)
        except Exception:
            return False
        self._register()
        return self.label in decoder.available_plugins

    supports_file = supports

    def prepare(self, desc: FileDesc) -> Any:
        import pydicom

        return pydicom.dcmread(desc.path)

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        from pydicom.pixels.decoders.base import get_decoder

        self._register()
        decoder = get_decoder(desc.transfer_syntax)
        arr, _ = decoder.as_array(prepared, raw=True, decoding_plugin=self._plugin(desc))
        return arr

    def decode_file(self, desc: FileDesc) -> np.ndarray:
        from pydicom.pixels import pixel_array

        self._register()
        return pixel_array(desc.path, raw=True, decoding_plugin=self._plugin(desc))


class PydicomPeer(PydicomPluginPeer):
    name = "pydicom"
    tags = frozenset({"pydicom"})
    modules = ("pydicom",)
    pip = "pip install pydicom"
    dists = ("pydicom", "numpy")
    label = "pydicom"
    describes = "pydicom's own NumPy decoders (native, RLE)"

    def _plugin(self, desc: FileDesc) -> str:
        return "" if desc.is_native else self.label

    def supports(self, desc: FileDesc) -> bool:
        return desc.is_native or super().supports(desc)

    supports_file = supports


class PydicomPylibjpegPeer(PydicomPluginPeer):
    name = "pydicom.pylibjpeg"
    tags = frozenset({"pydicom", "pylibjpeg"})
    modules = ("pydicom", "pylibjpeg")
    pip = "pip install pydicom pylibjpeg pylibjpeg-rle pylibjpeg-libjpeg"
    dists = ("pylibjpeg", "pylibjpeg-rle", "pylibjpeg-libjpeg")
    label = "pylibjpeg"
    describes = "pydicom with its pylibjpeg plugin (pylibjpeg-rle, pylibjpeg-libjpeg)"

    def engine(self, desc: FileDesc) -> str:
        if desc.transfer_syntax == RLE:
            return "pylibjpeg-rle"
        return "openjpeg" if desc.transfer_syntax in J2K else "libjpeg"


class PydicomGdcmPeer(PydicomPluginPeer):
    name = "pydicom.gdcm"
    tags = frozenset({"pydicom", "gdcm"})
    modules = ("pydicom", "gdcm")
    pip = "pip install pydicom python-gdcm"
    dists = ("python-gdcm",)
    label = "gdcm"
    engine_name = "gdcm"
    describes = "pydicom with its GDCM plugin"
    # GDCM's JPEG2000Codec gives OpenJPEG opj_get_num_cpus() threads per frame.
    own_threads = J2K

    def supports(self, desc: FileDesc) -> bool:
        # GDCM: "does not support 'JPEG Extended' for samples with 12-bit precision".
        if desc.transfer_syntax in JPEG_DCT and desc.bits_stored > 8:
            return False
        return super().supports(desc)

    supports_file = supports
