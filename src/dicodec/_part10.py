"""Element-level reading and rewriting of DICOM Part 10 files (Explicit VR
Little Endian data sets), for transcoding without touching any element but
those that must change.

:func:`split` finds the preamble, the file meta group and the top-level
elements of the data set as byte ranges; :func:`rebuild` writes a new file
from those byte ranges, with some top-level elements replaced, removed or
inserted, group lengths recomputed. Every other element (private tags,
sequences of defined or undefined length, odd VRs, values of any length)
is copied byte for byte.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dicodec.errors import LimitExceededError, MalformedError

__all__ = [
    "Element",
    "Part10",
    "split",
    "rebuild",
    "rebuild_parts",
    "Chunks",
    "element_bytes",
    "text_value",
    "PIXEL_DATA",
]

#: A whole file's bytes (the batch transcoder reads into a reused bytearray).
Buf = bytes | bytearray

#: Value lengths of these VRs have 4 bytes (after 2 reserved bytes).
_LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
UNDEFINED = 0xFFFFFFFF
_ITEM = 0xFFFEE000
_ITEM_END = 0xFFFEE00D
_SEQ_END = 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010
_TS = 0x00020010
#: Deepest nesting of sequences followed (deeper is malformed here).
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Element:
    """One top-level element: its tag, VR (``None`` for item tags), and byte
    offsets of the element (``start``/``end``, the end after the delimiter
    of an undefined length) and of its value (``value``, ``length`` =
    :data:`UNDEFINED` for an undefined length)."""

    tag: int
    vr: bytes | None
    start: int
    value: int
    length: int
    end: int


@dataclass
class Part10:
    """A Part 10 file cut into its pieces (offsets into ``data``)."""

    data: Buf
    preamble: bytes
    meta: list[Element]
    transfer_syntax: str
    #: The data set: ``data`` itself, or the inflated data set of a
    #: Deflated Explicit VR Little Endian file.
    dataset: Buf
    elements: list[Element]


def _bad(offset: int, message: str) -> MalformedError:
    return MalformedError(f"at byte {offset}: {message}", offset)


def _header(buf: Buf, pos: int, explicit: bool) -> tuple[int, bytes | None, int, int]:
    """``(tag, vr, value offset, value length)`` of the element at ``pos``."""
    if pos + 8 > len(buf):
        raise _bad(pos, "element header past the end of the data")
    group, elem = struct.unpack_from("<HH", buf, pos)
    tag = group << 16 | elem
    if group == 0xFFFE or not explicit:
        return tag, None, pos + 8, struct.unpack_from("<I", buf, pos + 4)[0]
    vr = bytes(buf[pos + 4 : pos + 6])
    if not (65 <= vr[0] <= 90 and 65 <= vr[1] <= 90):
        if group == 0x0000:  # command elements are Implicit VR (some files hold them)
            return tag, None, pos + 8, struct.unpack_from("<I", buf, pos + 4)[0]
        raise _bad(pos, f"element ({group:04X},{elem:04X}) has no explicit VR ({vr!r})")
    if vr in _LONG_VRS:
        if pos + 12 > len(buf):
            raise _bad(pos, "element header past the end of the data")
        return tag, vr, pos + 12, struct.unpack_from("<I", buf, pos + 8)[0]
    return tag, vr, pos + 8, struct.unpack_from("<H", buf, pos + 6)[0]


def _skip_items(buf: Buf, pos: int, explicit: bool, depth: int) -> int:
    """End of an undefined-length sequence (or encapsulated pixel data)
    whose items start at ``pos``: the offset after its delimiter."""
    if depth > _MAX_DEPTH:
        raise _bad(pos, f"sequences nested deeper than {_MAX_DEPTH}")
    while True:
        tag, _, value, length = _header(buf, pos, False)
        if tag == _SEQ_END:
            return value
        if tag != _ITEM:
            raise _bad(
                pos, f"expected an item in a sequence, found ({tag >> 16:04X},{tag & 0xFFFF:04X})"
            )
        if length == UNDEFINED:
            pos = _skip_dataset(buf, value, explicit, depth + 1)
        else:
            pos = value + length
            if pos > len(buf):
                raise _bad(value, "item past the end of the data")


def _skip_dataset(buf: Buf, pos: int, explicit: bool, depth: int) -> int:
    """End of an undefined-length item whose data set starts at ``pos``."""
    while True:
        tag, vr, value, length = _header(buf, pos, explicit)
        if tag == _ITEM_END:
            return value
        pos = _value_end(buf, vr, value, length, explicit, depth)


def _value_end(
    buf: Buf, vr: bytes | None, value: int, length: int, explicit: bool, depth: int
) -> int:
    if length != UNDEFINED:
        end = value + length
        if end > len(buf):
            raise _bad(value, f"value of {length} bytes past the end of the data")
        return end
    # An undefined length: a sequence (UN: its content is Implicit VR Little
    # Endian) or encapsulated pixel data.
    return _skip_items(buf, value, explicit and vr != b"UN", depth + 1)


def walk(buf: Buf, pos: int, end: int, explicit: bool = True) -> Iterator[Element]:
    """The elements at the top level of ``buf[pos:end]``."""
    while pos < end:
        if end - pos < 8:
            raise _bad(pos, f"{end - pos} stray bytes at the end of the data set")
        tag, vr, value, length = _header(buf, pos, explicit)
        nxt = _value_end(buf, vr, value, length, explicit, 0)
        yield Element(tag, vr, pos, value, length, nxt)
        pos = nxt


def text_value(buf: Buf, e: Element) -> str:
    """A string element's value, without padding."""
    return buf[e.value : e.value + e.length].decode("ascii", "replace").rstrip("\0 ")


def split(data: Buf, max_inflated: int) -> Part10:
    """Cuts a Part 10 file into preamble, file meta elements and top-level
    data set elements. Raises :class:`MalformedError` when ``data`` has no
    preamble and file meta group or its data set is not Explicit VR (the
    caller converts those with pydicom). A deflated data set is inflated
    (at most ``max_inflated`` bytes)."""
    if len(data) >= 132 and data[128:132] == b"DICM":
        preamble, pos = bytes(data[:128]), 132
    elif data[:2] == b"\x02\x00" and data[4:6].isalpha():
        # A file meta group without preamble: the output gets an empty one.
        preamble, pos = b"\0" * 128, 0
    else:
        raise _bad(128, "no DICOM preamble and file meta group")
    meta: list[Element] = []
    while pos + 8 <= len(data) and data[pos : pos + 2] == b"\x02\x00":
        tag, vr, value, length = _header(data, pos, True)
        end = _value_end(data, vr, value, length, True, 0)
        meta.append(Element(tag, vr, pos, value, length, end))
        pos = end
    ts_el = next((e for e in meta if e.tag == _TS), None)
    if ts_el is None:
        raise _bad(pos, "no Transfer Syntax UID in the file meta group")
    ts = text_value(data, ts_el)
    from dicodec import uids

    dataset, start = data, pos
    if ts == uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
        dataset, start = _inflate(data[pos:], max_inflated), 0
    elif ts in (uids.EXPLICIT_VR_BIG_ENDIAN, uids.IMPLICIT_VR_LITTLE_ENDIAN):
        raise _bad(pos, f"the data set is not Explicit VR Little Endian ({ts})")
    elements = list(walk(dataset, start, len(dataset)))
    return Part10(data, preamble, meta, ts, dataset, elements)


def _inflate(raw: Buf, limit: int) -> bytes:
    d = zlib.decompressobj(-15)
    try:
        out = d.decompress(raw, limit)
    except zlib.error as e:
        raise MalformedError(f"deflated data set: {e}") from None
    if d.unconsumed_tail:
        raise LimitExceededError(f"the deflated data set inflates past {limit} bytes")
    return out


def element_bytes(tag: int, vr: str, value: bytes, undefined: bool = False) -> bytes:
    """One Explicit VR Little Endian element (``value`` already even-length
    and padded, or the items and delimiter of an undefined length)."""
    head = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr.encode()
    if vr.encode() in _LONG_VRS:
        return head + struct.pack("<HI", 0, UNDEFINED if undefined else len(value)) + value
    if len(value) > 0xFFFF:
        raise ValueError(f"a {vr} value of {len(value)} bytes")
    return head + struct.pack("<H", len(value)) + value


def _with_group_lengths(elements: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """Group length elements (gggg,0000) recomputed for their groups (one
    pass from the end; command elements (0000,xxxx) are left as they are)."""
    out = list(elements)
    after: dict[int, int] = {}  # group -> bytes of its elements after this one
    for i in range(len(out) - 1, -1, -1):
        tag, raw = out[i]
        group = tag >> 16
        if tag & 0xFFFF == 0 and group != 0x0000:
            raw = element_bytes(tag, "UL", struct.pack("<I", after.get(group, 0)))
            out[i] = (tag, raw)
        after[group] = after.get(group, 0) + len(raw)
    return out


class Chunks:
    """An element's bytes as buffers that are not joined (the encoded
    frames of Pixel Data): ``len()`` is their total size."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts
        self.nbytes = sum(memoryview(p).nbytes for p in parts)

    def __len__(self) -> int:
        return self.nbytes


def rebuild(
    part: Part10,
    meta_updates: dict[int, bytes | None],
    updates: dict[int, bytes | Chunks | None],
) -> bytes:
    """The file with top-level elements replaced (tag -> new element bytes),
    removed (tag -> ``None``) or inserted in tag order, in the file meta
    group and in the data set; group lengths recomputed; everything else
    copied byte for byte."""
    return b"".join(rebuild_parts(part, meta_updates, updates))


def rebuild_parts(
    part: Part10,
    meta_updates: dict[int, bytes | None],
    updates: dict[int, bytes | Chunks | None],
) -> list[Any]:
    """:func:`rebuild` as a list of buffers to write one after the other
    (views of ``part``'s bytes and the new elements' buffers, not copied)."""
    # Views, not copies: the source's Pixel Data (most of the bytes) is dropped.
    data, dataset = memoryview(part.data), memoryview(part.dataset)
    meta = _apply([(e.tag, data[e.start : e.end]) for e in part.meta], meta_updates)
    body = _apply([(e.tag, dataset[e.start : e.end]) for e in part.elements], updates)
    pieces: list[Any] = [part.preamble, b"DICM"]
    for _, b in [*_with_group_lengths(meta), *_with_group_lengths(body)]:
        if isinstance(b, Chunks):
            pieces += b.parts
        else:
            pieces.append(b)
    return pieces


def _apply(
    elements: list[tuple[int, Any]], updates: Mapping[int, bytes | Chunks | None]
) -> list[tuple[int, Any]]:
    out: list[tuple[int, Any]] = []
    todo = dict(updates)
    present = {t for t, _ in elements}
    for tag, raw in elements:
        # Inserted elements go before the first element with a larger tag
        # (stray item tags at the top level are left where they are).
        if tag >> 16 != 0xFFFE:
            for new in sorted(t for t in todo if t < tag and t not in present):
                value = todo.pop(new)
                if value is not None:
                    out.append((new, value))
        if tag in todo:
            value = todo.pop(tag)
            if value is not None:
                out.append((tag, value))
            continue
        out.append((tag, raw))
    for new in sorted(todo):
        value = todo[new]
        if value is not None:
            out.append((new, value))
    return out
