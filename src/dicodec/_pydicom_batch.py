"""Look-ahead for the pydicom plugin: the frames pydicom will ask for next,
decoded in parallel.

pydicom asks a decoding plugin for one frame at a time
(``_decode_frame(src, runner)``), in order when it decodes a whole data set
(``DecodeRunner.iter_decode``), once when it decodes one frame (``index=``).
Frame by frame, dicodec would decode on one core. So, from the **second**
call on the same runner (never for a lone ``index=`` frame), the plugin
decodes the next frames of the runner's pixel data together, on all cores
(``_native.decode_frames_into``), and hands them out as pydicom asks.

Nothing stale is served: the look-ahead belongs to the runner object (a
weak-key dictionary: it goes with the runner), reads the frames with
pydicom's own ``generate_frames`` (the same split, excess JPEG frames
included), and a cached frame is returned only when the encoded bytes
pydicom passes are those it was decoded from and the runner's pixel
description is the one it was decoded with. Anything else (another order,
other options, a file-like source) drops the look-ahead and decodes the
frame alone, as before. At most :data:`PER_CPU` frames per CPU (and
:data:`BUDGET` bytes) are held ahead; the look-ahead is dropped as soon as
its last frame is handed out.
"""

from __future__ import annotations

import os
import warnings
import weakref
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from dicodec import _native
from dicodec.errors import DicodecWarning

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.pixels.decoders.base import DecodeRunner

__all__: list[str] = []

#: Frames decoded ahead at once per CPU: enough to keep every core busy,
#: few enough that the frames are still in the caches when pydicom copies
#: them and that their memory is recycled (decoding a whole data set ahead
#: into fresh memory was slower than frame by frame: page faults, and
#: pydicom's copy then reads from DRAM).
PER_CPU = 2
#: At most this many bytes of decoded frames ahead (at least one frame).
BUDGET = 64 << 20

#: Rows, columns, samples per pixel, bits allocated, bits stored, pixel
#: representation, photometric interpretation (``_native.decode_frames_into``).
Geometry = tuple[int, int, int, int, int, int, str]
#: The transfer syntax UID and the geometry a frame is decoded with.
Params = tuple[str, Geometry]


class _LookAhead:
    """The frames of one runner decoded ahead."""

    def __init__(self, first: bytes, params: Params, nbytes: int) -> None:
        self.first: bytes | None = first
        self.params = params
        self.nbytes = nbytes
        self.frames: Iterator[bytes] | None = None
        self.done = False  # the generator is exhausted
        self.ready: deque[tuple[bytes, bytearray | None, list[str]]] = deque()

    def start(self, runner: DecodeRunner) -> bool:
        """Opens pydicom's frame generator on the runner's source; False if
        its first frame is not the one the runner was first asked for."""
        from pydicom.encaps import generate_frames

        src = runner.src
        if not isinstance(src, (bytes, bytearray)):  # a file-like, a memoryview
            return False
        frames = generate_frames(
            cast(bytes, src),
            number_of_frames=runner.number_of_frames,
            extended_offsets=runner.extended_offsets,
        )
        if next(frames, None) != self.first:
            return False
        self.frames, self.first = frames, None
        return True

    def fill(self) -> None:
        """Decodes the next frames of the source together."""
        assert self.frames is not None
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        count = max(1, min(PER_CPU * (cpus or 1), BUDGET // max(self.nbytes, 1)))
        encoded: list[bytes] = []
        for frame in self.frames:
            encoded.append(frame)
            if len(encoded) >= count:
                break
        else:
            self.done = True
        if not encoded:
            return
        outs = [bytearray(self.nbytes) for _ in encoded]
        uid, geometry = self.params
        results = _native.decode_frames_into(
            uid,
            [np.frombuffer(e, np.uint8) for e in encoded],
            [np.frombuffer(o, np.uint8) for o in outs],
            geometry,
        )
        for enc, out, res in zip(encoded, outs, results, strict=True):
            if res is None:  # failed: decoded again alone, to raise there
                self.ready.append((enc, None, []))
            else:
                self.ready.append((enc, out, res))


_AHEAD: weakref.WeakKeyDictionary[Any, _LookAhead] = weakref.WeakKeyDictionary()


def take(src: bytes, runner: DecodeRunner, params: Params, nbytes: int) -> bytearray | None:
    """The decoded frame ``src`` of ``runner`` if it was decoded ahead (its
    warnings are emitted), else None: the caller decodes it alone."""
    ahead = _AHEAD.get(runner)
    if ahead is None:
        frames = runner.get_option("number_of_frames", 1) or 1
        in_memory = getattr(runner, "is_dataset", False) or getattr(runner, "is_buffer", False)
        if in_memory and frames > 1:
            try:
                _AHEAD[runner] = _LookAhead(bytes(src), params, nbytes)
            except TypeError:  # a runner without weak references: frame by frame
                pass
        return None
    if ahead.params != params or ahead.nbytes != nbytes:
        del _AHEAD[runner]
        return None
    if ahead.frames is None and not ahead.start(runner):
        del _AHEAD[runner]
        return None
    if not ahead.ready:
        ahead.fill()
    if not ahead.ready or ahead.ready[0][0] != src:
        del _AHEAD[runner]
        return None
    _, out, messages = ahead.ready.popleft()
    if not ahead.ready and ahead.done:
        del _AHEAD[runner]  # the last frame: nothing is kept
    for m in messages:
        warnings.warn(m, DicodecWarning, stacklevel=4)
    return out
