"""The adapter base classes: ``Peer`` (two timed paths), ``FramePeer`` (one
library call per frame) and what every family shares."""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any, ClassVar

import numpy as np

from dicodec import uids
from dicodec.bench.files import JPEG_LOSSLESS, JPEG_LOSSLESS_SV1, RLE, FileDesc, read_frames

__all__ = [
    "DEFLATE_FRAMES",
    "HTJ2K",
    "J2K",
    "JPEG_DCT",
    "JPEG_LS",
    "JXL",
    "JPEG_LL",
    "NOT_APPLICABLE",
    "FramePeer",
    "Peer",
    "RleFramePeer",
    "UnsupportedByPeer",
    "stack_frames",
]

JPEG_LL = frozenset({JPEG_LOSSLESS, JPEG_LOSSLESS_SV1})
#: JPEG-LS lossless and near-lossless.
JPEG_LS = frozenset({uids.JPEG_LS_LOSSLESS, uids.JPEG_LS_NEAR_LOSSLESS})
#: Huffman DCT JPEG: baseline 8-bit and extended 12-bit.
JPEG_DCT = frozenset({uids.JPEG_BASELINE_8BIT, uids.JPEG_EXTENDED_12BIT})
#: High-Throughput JPEG 2000.
HTJ2K = frozenset({uids.HTJ2K_LOSSLESS, uids.HTJ2K_LOSSLESS_RPCL, uids.HTJ2K})
#: JPEG 2000, Part 1 and Part 15 (HT) code-streams.
J2K = frozenset({uids.JPEG_2000_LOSSLESS, uids.JPEG_2000}) | HTJ2K
#: JPEG XL.
JXL = frozenset({uids.JPEG_XL_LOSSLESS, uids.JPEG_XL_JPEG_RECOMPRESSION, uids.JPEG_XL})
#: Deflated Image Frame Compression.
DEFLATE_FRAMES = frozenset({uids.DEFLATED_IMAGE_FRAME_COMPRESSION})

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
    #: Counts toward the consensus of the independent peers (dicodec's paths
    #: never do, whatever this says).
    votes: ClassVar[bool] = True
    #: Result is colour-by-plane (normalised afterwards, outside the timer);
    #: an adapter may set it per instance once it knows.
    planar: bool = False
    #: 1-bit data comes back packed (8 pixels a byte, LSB first).
    packed_bits: bool = False
    #: The peer uses ``threads`` (others run single-threaded).
    uses_threads: ClassVar[bool] = False
    #: Transfer syntaxes this peer decodes on several threads whatever
    #: ``threads`` says (GDCM: OpenJPEG on every CPU). With ``threads=1`` its
    #: worker then runs on one CPU, so that its one-thread times are one
    #: core's (see ``_worker.measure``).
    own_threads: ClassVar[frozenset[str]] = frozenset()
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


class FunctionPeer(FramePeer):
    """A frame peer that calls one library function per frame:
    ``function`` names it as ``"module:attribute"``, called as
    ``attribute(frame, **dict(options))``."""

    function: ClassVar[str] = ""
    options: ClassVar[tuple[tuple[str, Any], ...]] = ()

    def frame_decoder(self, desc: FileDesc) -> Callable[[bytes], Any]:
        module, _, attr = self.function.partition(":")
        func = getattr(importlib.import_module(module), attr)
        return functools.partial(func, **dict(self.options)) if self.options else func


class RleFramePeer(FramePeer):
    """RLE decoders giving colour-by-plane bytes per frame."""

    syntaxes = frozenset({RLE})
    planar = True

    def supports(self, desc: FileDesc) -> bool:
        return super().supports(desc) and desc.bits_allocated in (8, 16, 32, 64)
