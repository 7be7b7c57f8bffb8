"""The one parser of frame selections (``frames=``), used by
:func:`dicodec.read_pixels`, :func:`dicodec.iter_decode`,
:func:`dicodec.batch.decode` and the ``--frames`` option of the CLI.

A selection is one of:

``None``
    All frames.
``int`` (or a NumPy integer)
    That frame; negative counts from the end. :func:`~dicodec.read_pixels`
    and :func:`~dicodec.iter_decode` return it without the frame axis, as
    ``array[i]`` would.
sequence of ``int``
    Those frames in that order (a list, tuple, range or 1-D integer array).
    The result keeps the frame axis, even for one frame.
``slice``
    ``slice(start, stop, step)`` as Python slices a list of all frames.
``str``
    The CLI syntax: comma-separated indices and ``start:stop[:step]`` ranges,
    e.g. ``"0"``, ``"0,2,5:8,-1"``, ``"::2"``. Like a sequence, it keeps the
    frame axis. Anything else is refused (a string is never iterated
    character by character).

Other types (``bool``, ``float``, ``bytes``...) are refused with
:class:`dicodec.errors.FrameSelectionError` (a ``TypeError``/``ValueError``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dicodec.errors import FrameIndexError, FrameSelectionError

__all__ = ["FrameSpec", "Selection", "parse_frames"]

#: What ``frames=`` accepts.
FrameSpec = int | Sequence[int] | slice | str | None

_INDEX = re.compile(r"[+-]?\d+")
_BOUND = re.compile(r"[+-]?\d*")


@dataclass(frozen=True)
class Selection:
    """A parsed frame selection: ``parts`` are ints and slices, in order;
    ``single`` is true for a lone ``int`` (no frame axis in the result)."""

    parts: tuple[int | slice, ...]
    single: bool = False

    @property
    def needs_count(self) -> bool:
        """True when resolving needs the number of frames (slices)."""
        return any(isinstance(p, slice) for p in self.parts)

    def indices(self, nframes: int, *, strict: bool = True) -> list[int]:
        """The selected frame indices (``0 <= i < nframes``), in order.

        ``strict``: an index out of range raises :class:`FrameIndexError`;
        otherwise (batch decoding, where inputs differ in frame count) it is
        left out and repeats are kept once.
        """
        out: list[int] = []
        for p in self.parts:
            if isinstance(p, slice):
                out.extend(range(nframes)[p])
            elif -nframes <= p < nframes:
                out.append(p % nframes)
            elif strict:
                raise FrameIndexError(f"frame index {p} is out of range for {nframes} frame(s)")
        return out if strict else list(dict.fromkeys(out))

    def raw_indices(self) -> list[int]:
        """The indices as given (negative kept) when there are no slices."""
        assert not self.needs_count
        return [int(p) for p in self.parts]  # type: ignore[arg-type]


def _is_int(x: object) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _parse_str(spec: str) -> tuple[int | slice, ...]:
    parts: list[int | slice] = []
    tokens = spec.replace(" ", "").split(",")
    if not spec.strip() or any(not t for t in tokens):
        raise FrameSelectionError(
            f"bad frame selection {spec!r}: expected indices and ranges separated by commas, "
            'e.g. "0", "0,2,5:8,-1" or "::2"'
        )
    for tok in tokens:
        if ":" in tok:
            bits = tok.split(":")
            if len(bits) > 3 or not all(_BOUND.fullmatch(b) for b in bits):
                raise FrameSelectionError(f"bad frame range {tok!r} in {spec!r}")
            bounds = [int(b) if b not in ("", "+", "-") else None for b in bits]
            if any(b in ("+", "-") for b in bits):
                raise FrameSelectionError(f"bad frame range {tok!r} in {spec!r}")
            if len(bounds) == 3 and bounds[2] == 0:
                raise FrameSelectionError(f"frame range {tok!r}: the step cannot be 0")
            parts.append(slice(*bounds))
        elif _INDEX.fullmatch(tok):
            parts.append(int(tok))
        else:
            raise FrameSelectionError(f"bad frame index {tok!r} in {spec!r}")
    return tuple(parts)


def parse_frames(spec: Any) -> Selection | None:
    """Parses a ``frames=`` value (see the module documentation); ``None``
    for all frames."""
    if spec is None:
        return None
    if isinstance(spec, Selection):
        return spec
    if _is_int(spec):
        return Selection((int(spec),), single=True)
    if isinstance(spec, str):
        return Selection(_parse_str(spec))
    if isinstance(spec, slice):
        for b in (spec.start, spec.stop, spec.step):
            if b is not None and not _is_int(b):
                raise FrameSelectionError(f"frame slice bounds must be integers, not {spec!r}")
        if spec.step == 0:
            raise FrameSelectionError("frame slice step cannot be 0")
        return Selection((spec,))
    if isinstance(spec, (bytes, bytearray, memoryview, dict, set, frozenset)) or not hasattr(
        spec, "__iter__"
    ):
        raise FrameSelectionError(
            "frames must be None, an int, a sequence of ints, a slice or a string like "
            f'"0,2,5:8", not {type(spec).__name__}'
        )
    items = list(spec)
    bad = [x for x in items if not _is_int(x)]
    if bad:
        raise FrameSelectionError(
            f"frames must be integers, not {type(bad[0]).__name__} ({bad[0]!r})"
        )
    return Selection(tuple(int(x) for x in items))


def pick_frames(sel: Selection | None, nframes: int) -> int | list[int] | None:
    """What to pass to :func:`dicodec.read_pixels` for one input of a batch
    (:func:`dicodec.iter_decode`): the selection's frames of this input,
    indices past its end left out; a lone ``int`` stays an ``int`` (no frame
    axis) when the input has that frame."""
    if sel is None:
        return None
    idx = sel.indices(nframes, strict=False)
    if sel.single and idx:
        return idx[0]
    return idx
