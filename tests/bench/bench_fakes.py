"""Test doubles of *peers* for tests/test_bench_tool.py. They live in a module
of their own because the benchmark runs peers in worker processes, which
import them by ``module:Class``."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from dicodec.bench.files import RLE, FileDesc
from dicodec.bench.peers import Peer, PydicomPeer

#: (peer, file stem) pairs of the small set whose results legitimately differ
#: from the consensus, and are reported so: on 4:2:2 colour JPEG, Thomas
#: Richter's libjpeg upsamples chroma without libjpeg-turbo's "fancy" filter
#: (±5), dicomsdl returns RGB for YBR_FULL_422.
KNOWN_DIFFERENT = {
    ("pylibjpeg.libjpeg", "us_rgb-jpeg8-422-turbo"),
    ("pydicom.pylibjpeg", "us_rgb-jpeg8-422-turbo"),
    ("dicomsdl", "us_rgb-jpeg8-422-turbo"),
}


class CorruptPeer(PydicomPeer):
    """pydicom's real decoder, with one sample of every result changed."""

    name = "corrupt"
    tags = frozenset({"fake"})

    def engine(self, desc: FileDesc) -> str:
        return "corrupt"

    @staticmethod
    def _flip(arr: np.ndarray) -> np.ndarray:
        out = np.array(arr, copy=True)
        out.flat[0] ^= 1
        return out

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        return self._flip(super().decode(prepared, desc))

    def decode_file(self, desc: FileDesc) -> np.ndarray:
        return self._flip(super().decode_file(desc))


class AbortPeer(PydicomPeer):
    """Takes its whole process down, as a segfaulting C library would."""

    name = "abort"
    tags = frozenset({"fake"})

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        os.abort()

    def decode_file(self, desc: FileDesc) -> np.ndarray:
        os.abort()


class HangPeer(PydicomPeer):
    """Never returns (within the test's timeout)."""

    name = "hang"
    tags = frozenset({"fake"})

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        time.sleep(60)
        raise AssertionError("not reached")


class RaisePeer(PydicomPeer):
    """Raises like a decoder that rejects the data."""

    name = "raise"
    tags = frozenset({"fake"})

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        raise ValueError("fake decoder rejects this stream")


class MissingPeer(Peer):
    """A peer whose library is not installed."""

    name = "notinstalled"
    tags = frozenset({"fake"})
    modules = ("dicodec_bench_no_such_module",)
    pip = "pip install dicodec-bench-no-such-package"


class _Shifted(Peer):
    """libjpeg-turbo's result with one sample moved by ``delta``: a lossy
    decoder that is ±1 off (allowed for DCT JPEG) or wrong."""

    tags = frozenset({"fake"})
    modules = ("imagecodecs",)
    votes = False
    delta = 1
    syntaxes = frozenset()

    def supports(self, desc: FileDesc) -> bool:
        return desc.samples == 1 and desc.bits_stored <= 8

    def engine(self, desc: FileDesc) -> str:
        return self.name

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        from imagecodecs import jpeg8_decode

        out = np.stack([jpeg8_decode(f) for f in prepared]).astype(np.int16)
        out.flat[0] += self.delta if out.flat[0] < 128 else -self.delta
        return out.astype(np.uint8)


class OffByOnePeer(_Shifted):
    name = "offbyone"
    delta = 1


class OffByThreePeer(_Shifted):
    name = "offbythree"
    delta = 3


#: The CPUs this (worker) process could use when it imported this module.
_START_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


class OwnThreadsPeer(PydicomPeer):
    """Declares that it starts threads of its own for RLE (as GDCM does for
    JPEG 2000) and fails unless it runs on exactly the CPUs it expects: one
    when asked for one thread on RLE, all the process may use otherwise."""

    name = "own-threads"
    tags = frozenset({"fake"})
    own_threads = frozenset({RLE})

    def engine(self, desc: FileDesc) -> str:
        return "own-threads"

    def decode(self, prepared: Any, desc: FileDesc) -> np.ndarray:
        cpus = len(os.sched_getaffinity(0))
        pinned = self.threads == 1 and desc.transfer_syntax in self.own_threads
        want = 1 if pinned else _START_CPUS
        if cpus != want:
            raise ValueError(f"decoding on {cpus} CPUs, expected {want}")
        return super().decode(prepared, desc)
