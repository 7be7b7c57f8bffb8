"""Peers: one small adapter class per decoder and path into it.

Each adapter says which files it can decode and how to decode all frames of
a file to a NumPy array, along two paths:

* ``decode(prepared)`` — the *codec* path, timed without file reading: the
  file's bytes (or its already-extracted frames, or a parsed pydicom
  ``Dataset``) are in memory, prepared by ``prepare(desc)`` outside the timer;
* ``decode_file(desc)`` — the *whole-file* path, from the path on disk
  (reading and parsing included; the page cache is warm after the warm-up).

An adapter returns the decoded values as the library gives them; the runner
normalises the layout afterwards (outside the timer, see ``normalise.py``),
guided by the ``planar`` and ``packed_bits`` class attributes.

Adapters are referred to by name (``PEERS``) or, for peers defined elsewhere
(tests, plug-ins), by ``"module:Class"``; the benchmark runs them in worker
processes, so they must be importable there.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any, ClassVar

import numpy as np

from dicodec.bench.files import (
    JPEG_LOSSLESS,
    JPEG_LOSSLESS_SV1,
    RLE,
    FileDesc,
    read_frames,
)

__all__ = [
    "NOT_APPLICABLE",
    "Peer",
    "FramePeer",
    "PEERS",
    "FAMILIES",
    "UnsupportedByPeer",
    "get_peer_class",
    "peer_ref",
    "select_peers",
]

JPEG_LL = frozenset({JPEG_LOSSLESS, JPEG_LOSSLESS_SV1})

#: Message of a path that does not apply to a file (not shown in tables).
NOT_APPLICABLE = "not applicable to this file"


class UnsupportedByPeer(Exception):
    """Raised by an adapter when the peer cannot decode this file (reported
    as "unsupported", not as an error)."""


def _dist_version(*dists: str) -> str:
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "?"


def stack_frames(frames: Sequence[bytes], decode: Callable[[bytes], Any]) -> np.ndarray:
    """Decodes every frame with ``decode`` into one array of shape
    (frames, *frame result shape) (a frame result may be bytes)."""
    out: np.ndarray | None = None
    for i, frame in enumerate(frames):
        res = decode(frame)
        a = np.frombuffer(res, np.uint8) if isinstance(res, bytes | bytearray) else res
        if out is None:
            out = np.empty((len(frames), *a.shape), a.dtype)
        out[i] = a
    if out is None:
        raise ValueError("no frames")
    return out


class Peer:
    """Base class of the adapters. Subclasses set the class attributes and
    override ``supports``/``decode``/``decode_file`` as they can."""

    #: Unique name shown in the table, e.g. ``"pydicom.gdcm"``.
    name: ClassVar[str] = ""
    #: ``--codecs`` families this peer belongs to (library names).
    tags: ClassVar[frozenset[str]] = frozenset()
    #: Modules that must be importable.
    modules: ClassVar[tuple[str, ...]] = ()
    #: The command that installs what is missing.
    pip: ClassVar[str] = ""
    #: Distributions whose versions are reported.
    dists: ClassVar[tuple[str, ...]] = ()
    #: Part of dicodec: never counts as an independent reference.
    is_dicodec: ClassVar[bool] = False
    #: Result is colour-by-plane (normalised afterwards, outside the timer);
    #: an adapter may set it per instance once it knows.
    planar: bool = False
    #: 1-bit data comes back packed (8 pixels a byte, LSB first).
    packed_bits: bool = False
    #: The peer uses ``threads`` (others run single-threaded).
    uses_threads: ClassVar[bool] = False
    #: One line on what the two paths call.
    describes: ClassVar[str] = ""
    #: Transfer syntaxes of the codec path (for the default ``supports``).
    syntaxes: ClassVar[frozenset[str]] = frozenset()
    #: The library doing the work, when several peers share it.
    engine_name: ClassVar[str] = ""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads

    # -- availability --------------------------------------------------------
    @classmethod
    def missing(cls) -> str | None:
        """``None`` if usable, else which module is missing."""
        for mod in cls.modules:
            try:
                found = importlib.util.find_spec(mod) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                return mod
        return None

    @classmethod
    def versions(cls) -> dict[str, str]:
        return {d: _dist_version(d) for d in cls.dists}

    def engine(self, desc: FileDesc) -> str:
        """The library that does the decoding for ``desc``: results of peers
        with the same engine count once when finding the consensus."""
        return self.engine_name or self.name

    def supports(self, desc: FileDesc) -> bool:
        """Whether the codec path applies to ``desc``."""
        return desc.transfer_syntax in self.syntaxes

    def supports_file(self, desc: FileDesc) -> bool:
        """Whether the whole-file path applies to ``desc``."""
        return False

    # -- the two timed paths ---------------------------------------------------
    def prepare(self, desc: FileDesc) -> Any:
        """Untimed set-up for ``decode``: by default the encoded frames
        (pydicom's ``generate_frames``) or, for native files, the file bytes."""
        if desc.is_native:
            with open(desc.path, "rb") as f:
                return f.read()
        return read_frames(desc)

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        raise UnsupportedByPeer(f"{self.name} has no in-memory path")

    def decode_file(self, desc: FileDesc) -> np.ndarray:
        raise UnsupportedByPeer(f"{self.name} does not read files")


class FramePeer(Peer):
    """A peer that decodes the extracted frames one by one with one library
    function (``frame_decoder``), stacking the results."""

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        raise NotImplementedError

    def finish(self, out: np.ndarray, desc: FileDesc) -> np.ndarray:
        """Reinterprets the stacked frames where the library returns bytes."""
        return out

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        return self.finish(stack_frames(prepared, self.frame_decoder(desc)), desc)


# ---------------------------------------------------------------------- dicodec


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


# ---------------------------------------------------------------------- pydicom


class _PydicomPlugin(Peer):
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


class PydicomPeer(_PydicomPlugin):
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


class PydicomPylibjpegPeer(_PydicomPlugin):
    name = "pydicom.pylibjpeg"
    tags = frozenset({"pydicom", "pylibjpeg"})
    modules = ("pydicom", "pylibjpeg")
    pip = "pip install pydicom pylibjpeg pylibjpeg-rle pylibjpeg-libjpeg"
    dists = ("pylibjpeg", "pylibjpeg-rle", "pylibjpeg-libjpeg")
    label = "pylibjpeg"
    describes = "pydicom with its pylibjpeg plugin (pylibjpeg-rle, pylibjpeg-libjpeg)"

    def engine(self, desc: FileDesc) -> str:
        return "pylibjpeg-rle" if desc.transfer_syntax == RLE else "libjpeg"


class PydicomGdcmPeer(_PydicomPlugin):
    name = "pydicom.gdcm"
    tags = frozenset({"pydicom", "gdcm"})
    modules = ("pydicom", "gdcm")
    pip = "pip install pydicom python-gdcm"
    dists = ("python-gdcm",)
    label = "gdcm"
    engine_name = "gdcm"
    describes = "pydicom with its GDCM plugin"


class DicodecPydicomPeer(_PydicomPlugin):
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


# ---------------------------------------------------------------------- pylibjpeg


class _RleFrames(FramePeer):
    """RLE decoders giving colour-by-plane bytes per frame."""

    syntaxes = frozenset({RLE})
    planar = True

    def supports(self, desc: FileDesc) -> bool:
        return super().supports(desc) and desc.bits_allocated in (8, 16, 32, 64)


class PylibjpegRlePeer(_RleFrames):
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


# ---------------------------------------------------------------------- GDCM


def _gdcm_bytes(image: Any) -> bytes:
    """The decoded buffer of a gdcm.Image (GDCM hands ``char*`` over as str)."""
    buf = image.GetBuffer()
    if buf is None:
        raise ValueError("GDCM could not decode the pixel data")
    return buf.encode("utf-8", "surrogateescape")


class GdcmPeer(Peer):
    name = "gdcm"
    tags = frozenset({"gdcm"})
    modules = ("gdcm",)
    pip = "pip install python-gdcm"
    dists = ("python-gdcm",)
    packed_bits = True
    # GDCM reads DICOM only from files; frames of encapsulated data can be
    # decoded from memory through gdcm.Image (what pydicom's plugin does).
    syntaxes = frozenset({RLE}) | JPEG_LL
    describes = "gdcm.Image per frame from memory / gdcm.ImageReader(path)"

    def supports_file(self, desc: FileDesc) -> bool:
        return True

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        import gdcm

        ts = gdcm.TransferSyntax(gdcm.TransferSyntax.GetTSType(desc.transfer_syntax))
        pi = gdcm.PhotometricInterpretation(
            gdcm.PhotometricInterpretation.GetPIType(desc.photometric)
        )
        pf = gdcm.PixelFormat(
            desc.samples,
            desc.bits_allocated,
            desc.bits_stored,
            desc.bits_stored - 1,
            desc.pixel_representation,
        )

        def one(src: bytes) -> bytes:
            fragment = gdcm.Fragment()
            fragment.SetByteStringValue(src)
            fragments = gdcm.SequenceOfFragments.New()
            fragments.AddFragment(fragment)
            elem = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
            elem.SetValue(fragments.__ref__())
            img = gdcm.Image()
            img.SetNumberOfDimensions(2)
            img.SetDimensions((desc.columns, desc.rows, 1))
            img.SetDataElement(elem)
            img.SetPhotometricInterpretation(pi)
            if desc.samples > 1:
                img.SetPlanarConfiguration(desc.planar_configuration)
            img.SetTransferSyntax(ts)
            img.SetPixelFormat(pf)
            return _gdcm_bytes(img)

        return self._typed(stack_frames(prepared, one), desc)

    def decode_file(self, desc: FileDesc) -> np.ndarray:
        import gdcm

        reader = gdcm.ImageReader()
        reader.SetFileName(desc.path)
        if not reader.Read():
            raise ValueError(f"gdcm.ImageReader could not read {desc.name}")
        return self._typed(np.frombuffer(_gdcm_bytes(reader.GetImage()), np.uint8), desc)

    def _typed(self, a: np.ndarray, desc: FileDesc) -> np.ndarray:
        if desc.bits_allocated == 1:
            return a
        return a.reshape(-1).view(desc.dtype)


# ---------------------------------------------------------------------- imagecodecs


def imagecodecs_libraries() -> dict[str, str]:
    """Versions of the libraries inside imagecodecs (``{"libjpeg_turbo": ...}``)."""
    try:
        import imagecodecs

        items = imagecodecs.version().split(", ")
    except Exception:  # pragma: no cover - version string only
        return {}
    return dict(item.split("-", 1) for item in items if "-" in item)


class _Imagecodecs(Peer):
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


class ImagecodecsRlePeer(_RleFrames, _Imagecodecs):
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


class ImagecodecsJpeg8Peer(FramePeer, _Imagecodecs):
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


class ImagecodecsLjpegPeer(FramePeer, _Imagecodecs):
    name = "imagecodecs.ljpeg"
    syntaxes = JPEG_LL
    engine_name = "liblj92"
    describes = "imagecodecs.ljpeg_decode per frame (liblj92)"

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        from imagecodecs import ljpeg_decode

        return ljpeg_decode


# ---------------------------------------------------------------------- dicomsdl


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


# ---------------------------------------------------------------------- registry

#: Built-in peers, in table order.
PEERS: dict[str, type[Peer]] = {
    cls.name: cls
    for cls in (
        DicodecPeer,
        DicodecFramesPeer,
        DicodecPydicomPeer,
        PydicomPeer,
        PydicomPylibjpegPeer,
        PydicomGdcmPeer,
        PylibjpegRlePeer,
        PylibjpegLibjpegPeer,
        GdcmPeer,
        ImagecodecsRlePeer,
        ImagecodecsJpeg8Peer,
        ImagecodecsLjpegPeer,
        DicomsdlPeer,
    )
}

#: ``--codecs`` choices.
FAMILIES = ("dicodec", "pydicom", "pylibjpeg", "gdcm", "imagecodecs", "dicomsdl")


def peer_ref(cls: type[Peer]) -> str:
    """How a worker process finds ``cls``: its name for a built-in peer,
    else ``"module:QualName"``."""
    if PEERS.get(cls.name) is cls:
        return cls.name
    return f"{cls.__module__}:{cls.__qualname__}"


def get_peer_class(ref: str) -> type[Peer]:
    """The peer class for a name in ``PEERS`` or a ``"module:Class"`` path."""
    if ref in PEERS:
        return PEERS[ref]
    if ":" not in ref:
        raise KeyError(f"unknown peer {ref!r} (known: {', '.join(PEERS)})")
    module, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, Peer)):
        raise TypeError(f"{ref} is not a dicodec.bench.peers.Peer subclass")
    return obj


def select_peers(
    codecs: Sequence[str] | None = None, extra: Sequence[type[Peer]] = ()
) -> list[type[Peer]]:
    """Built-in peers whose name or family is in ``codecs`` (all when
    ``None``), then ``extra`` peers (always included)."""
    wanted = None if codecs is None else {c.strip() for c in codecs if c.strip()}
    if wanted is not None:
        unknown = wanted - set(FAMILIES) - set(PEERS) - {p.name for p in extra}
        if unknown:
            raise ValueError(
                f"unknown codec(s) {', '.join(sorted(unknown))}; "
                f"choose from {', '.join(FAMILIES)} or a peer name ({', '.join(PEERS)})"
            )
    out = [
        cls for cls in PEERS.values() if wanted is None or cls.name in wanted or cls.tags & wanted
    ]
    return out + [cls for cls in extra if cls not in out]
