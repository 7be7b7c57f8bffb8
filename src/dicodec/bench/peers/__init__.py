"""Peers: one small adapter class per decoder and path into it, one module
per family (``base``, ``dicodec``, ``pydicom``, ``pylibjpeg`` (with
pyjpegls), ``gdcm``, ``imagecodecs`` (with zlib), ``pillow``, ``dicomsdl``);
this module holds the registry.

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
from collections.abc import Sequence
from typing import Any

from dicodec.bench.peers.base import (
    JPEG_LL,
    NOT_APPLICABLE,
    FramePeer,
    Peer,
    RleFramePeer,
    UnsupportedByPeer,
    stack_frames,
)
from dicodec.bench.peers.dicodec import DicodecFramesPeer, DicodecPeer, DicodecPydicomPeer
from dicodec.bench.peers.dicomsdl import DicomsdlPeer
from dicodec.bench.peers.gdcm import GdcmPeer
from dicodec.bench.peers.imagecodecs import (
    ImagecodecsDeflatePeer,
    ImagecodecsHtj2kPeer,
    ImagecodecsJpeg2kPeer,
    ImagecodecsJpeg8Peer,
    ImagecodecsJpeglsPeer,
    ImagecodecsJpegxlPeer,
    ImagecodecsLjpegPeer,
    ImagecodecsPeer,
    ImagecodecsRlePeer,
    ZlibDeflatePeer,
    imagecodecs_libraries,
)
from dicodec.bench.peers.pillow import PillowPeer
from dicodec.bench.peers.pydicom import (
    PydicomGdcmPeer,
    PydicomPeer,
    PydicomPluginPeer,
    PydicomPylibjpegPeer,
)
from dicodec.bench.peers.pylibjpeg import (
    PyjpeglsPeer,
    PylibjpegLibjpegPeer,
    PylibjpegOpenjpegPeer,
    PylibjpegRlePeer,
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
    "JPEG_LL",
    "RleFramePeer",
    "stack_frames",
    "imagecodecs_libraries",
    "PydicomPluginPeer",
    "ImagecodecsPeer",
    "DicodecPeer",
    "DicodecFramesPeer",
    "DicodecPydicomPeer",
    "PydicomPeer",
    "PydicomPylibjpegPeer",
    "PydicomGdcmPeer",
    "PylibjpegRlePeer",
    "PylibjpegLibjpegPeer",
    "GdcmPeer",
    "ImagecodecsRlePeer",
    "ImagecodecsJpeg8Peer",
    "ImagecodecsLjpegPeer",
    "DicomsdlPeer",
    "ImagecodecsJpeglsPeer",
    "ImagecodecsJpeg2kPeer",
    "ImagecodecsHtj2kPeer",
    "ImagecodecsJpegxlPeer",
    "ImagecodecsDeflatePeer",
    "ZlibDeflatePeer",
    "PillowPeer",
    "PylibjpegOpenjpegPeer",
    "PyjpeglsPeer",
]

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
        ImagecodecsJpeglsPeer,
        PyjpeglsPeer,
        ImagecodecsJpeg2kPeer,
        PylibjpegOpenjpegPeer,
        ImagecodecsHtj2kPeer,
        ImagecodecsJpegxlPeer,
        ImagecodecsDeflatePeer,
        ZlibDeflatePeer,
        PillowPeer,
        DicomsdlPeer,
    )
}

#: ``--codecs`` choices.
FAMILIES = (
    "dicodec",
    "pydicom",
    "pylibjpeg",
    "pyjpegls",
    "gdcm",
    "imagecodecs",
    "pillow",
    "zlib",
    "dicomsdl",
)


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
