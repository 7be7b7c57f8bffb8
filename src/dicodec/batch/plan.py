"""Grouping inputs into series, the stacking order, and where every input's
frames go.

Layout of a Zarr output (documented in the README):

* One array per series at ``<SeriesInstanceUID>`` when every instance of the
  series has the same frame geometry (Rows, Columns, Samples per Pixel), dtype,
  Photometric Interpretation, Image Orientation (Patient) and Pixel Spacing.
  Shape ``(frames, rows, columns[, samples])``: the frames of all instances,
  stacked in *stack order*, chunked by frame.
* Otherwise a group at ``<SeriesInstanceUID>`` with one array per instance at
  ``<SeriesInstanceUID>/<SOPInstanceUID>`` (``~1``, ``~2`` appended to repeated
  SOP Instance UIDs), each ``(frames, rows, columns[, samples])``.

Stack order: InstanceNumber ascending (missing numbers last), then the
position along the slice normal (ImagePositionPatient projected on the cross
product of the ImageOrientationPatient row and column directions; missing
last), then the input path, so the order never depends on how the inputs were
listed.

Inputs without a SeriesInstanceUID each form their own series named
``nouid.<hash of the path>``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dicodec.batch.headers import Header
from dicodec.batch.safepath import safe_node_name
from dicodec.batch.sources import Item

__all__ = [
    "FrameSpec",
    "SeriesKeys",
    "SeriesPlan",
    "Slot",
    "Task",
    "plan_group",
    "plan_series",
    "resolve_frames",
    "stack_key",
]

FrameSpec = int | str | slice | Sequence[int] | None

_TOL = 1e-4

#: Formats with one output file per input (mirroring the sources) -> suffix.
_MIRRORED = {"npy": ".npy", "dicom": ""}


@dataclass
class Slot:
    """Where one input's decoded frames go: frames ``start`` … ``start +
    count`` of the array ``array`` (a store path for Zarr, a relative file
    path for npy). ``frames`` lists the frames to decode (``None`` = all)."""

    array: str
    start: int
    count: int
    frames: list[int] | None
    frame_shape: tuple[int, ...]
    dtype: str
    generation: str = ""

    def signature(self) -> str:
        return (
            f"{self.array}|{self.start}|{self.count}|{self.frames}|"
            f"{self.frame_shape}|{self.dtype}|{self.generation}"
        )


@dataclass
class Task:
    """One input to decode and write."""

    item: Item
    header: Header
    slot: Slot
    series: str
    #: The input's place in the listing (the batch engine's key for it).
    seq: int = -1

    def signature(self) -> str:
        values = "" if self.header.values == "stored" else f"|{self.header.values}"
        return f"{self.item.key}|{self.slot.signature()}{values}"


@dataclass
class SeriesPlan:
    """One series: its tasks in stack order and, when ``stacked``, the one
    array they fill."""

    key: str
    stacked: bool
    tasks: list[Task]
    unstacked_reason: str | None = None
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    def signature(self) -> str:
        """Changes whenever the array(s) of this series must be recreated."""
        h = hashlib.sha1()
        h.update(f"{self.key}|{self.stacked}|{self.shape}|{self.dtype}".encode())
        for t in self.tasks:
            h.update(f"|{t.slot.array}|{t.slot.start}|{t.slot.count}|{t.slot.frame_shape}".encode())
        return h.hexdigest()


def resolve_frames(spec: FrameSpec, nframes: int) -> list[int] | None:
    """The frame indices selected by ``spec`` for an input with ``nframes``
    frames (``None`` = all). ``spec`` is what ``frames=`` accepts everywhere
    (see :mod:`dicodec._frames`: an int, a sequence of ints, a slice, or a
    string like ``"0,2,5:8,-1"``). Indices past the end of this input are
    dropped (inputs differ in frame count), repeats kept once."""
    from dicodec._frames import parse_frames

    sel = parse_frames(spec)
    return None if sel is None else sel.indices(nframes, strict=False)


def _normal(iop: list[float] | None) -> tuple[float, float, float] | None:
    if not iop:
        return None
    r, c = iop[:3], iop[3:]
    n = (r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0])
    if math.sqrt(sum(x * x for x in n)) < 1e-6:
        return None
    return n


def stack_key(h: Header, normal: tuple[float, float, float] | None, path: str) -> tuple:
    """Sort key of one instance in its series (see the module doc)."""
    inum = h.instance_number
    pos = None
    if normal is not None and h.image_position is not None:
        pos = sum(a * b for a, b in zip(h.image_position, normal, strict=True))
    return (inum is None, inum if inum is not None else 0, pos is None, pos or 0.0, path)


def _close(a: list[float] | None, b: list[float] | None) -> bool:
    if a is None or b is None:
        return a is b
    return len(a) == len(b) and all(abs(x - y) <= _TOL for x, y in zip(a, b, strict=True))


def _mismatch(headers: list[Header]) -> str | None:
    """Why the instances cannot share one array (``None`` when they can)."""
    from dicodec.batch.duplicates import repeated_uid

    dup = repeated_uid(headers)  # equal copies were dropped before planning
    if dup is not None:
        return f"SOP Instance UID {dup[0]} appears {dup[1]} times with different pixels"
    first = headers[0]
    for h in headers[1:]:
        if h.frame_shape() != first.frame_shape():
            return f"frame shapes differ: {first.frame_shape()} vs {h.frame_shape()}"
        if h.dtype() != first.dtype():
            return f"dtypes differ: {first.dtype()} vs {h.dtype()}"
        if h.photometric != first.photometric:
            return f"photometric interpretations differ: {first.photometric} vs {h.photometric}"
        if not _close(h.image_orientation, first.image_orientation):
            return "image orientations differ"
        if not _close(h.pixel_spacing, first.pixel_spacing):
            return "pixel spacings differ"
    return None


def _series_key(item: Item, h: Header) -> str:
    # A node name only when safe (no "..", no leading dot, bounded length).
    return safe_node_name(h.series_uid) or _hashed(item)


def _hashed(item: Item) -> str:
    return "nouid." + hashlib.sha1(item.path.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _node_name(uid: str | None, item: Item) -> str:
    return safe_node_name(uid) or _hashed(item)


def _uniform(values: list[Any]) -> tuple[bool, Any]:
    first = values[0]
    return all(v == first for v in values[1:]), first


def series_attrs(plan: SeriesPlan) -> dict[str, Any]:
    """The attributes of a series' array (stacked) or group (unstacked):
    series-wide values as single values; values that differ between
    instances as one entry per instance (in stack order), listed in
    ``varying``."""
    hs = [t.header for t in plan.tasks]
    per: dict[str, list[Any]] = {
        "Modality": [h.modality for h in hs],
        "PatientID": [h.patient_id for h in hs],
        "StudyInstanceUID": [h.study_uid for h in hs],
        "SeriesInstanceUID": [h.series_uid for h in hs],
        "PhotometricInterpretation": [h.photometric for h in hs],
        "PixelSpacing": [h.pixel_spacing for h in hs],
        "SliceThickness": [h.slice_thickness for h in hs],
        "ImageOrientationPatient": [h.image_orientation for h in hs],
        "RescaleSlope": [h.rescale_slope for h in hs],
        "RescaleIntercept": [h.rescale_intercept for h in hs],
        "WindowCenter": [h.window_center for h in hs],
        "WindowWidth": [h.window_width for h in hs],
        "BitsStored": [h.bits_stored for h in hs],
        "TransferSyntaxUID": [h.transfer_syntax for h in hs],
    }
    attrs: dict[str, Any] = {}
    varying = []
    for k, vals in per.items():
        same, v = _uniform(vals)
        attrs[k] = v if same else vals
        if not same:
            varying.append(k)
    attrs["varying"] = varying
    attrs["source_paths"] = [t.item.path for t in plan.tasks]
    attrs["sop_instance_uids"] = [t.header.sop_uid for t in plan.tasks]
    attrs["instance_numbers"] = [t.header.instance_number for t in plan.tasks]
    attrs["image_positions"] = [t.header.image_position for t in plan.tasks]
    attrs["stack_order"] = (
        "InstanceNumber, then ImagePositionPatient along the slice normal, then path"
    )
    if plan.stacked:
        attrs["frame_start"] = [t.slot.start for t in plan.tasks]
        attrs["frame_count"] = [t.slot.count for t in plan.tasks]
    else:
        attrs["arrays"] = [t.slot.array for t in plan.tasks]
        attrs["unstacked_reason"] = plan.unstacked_reason
    return attrs


def plan_series(
    entries: list[tuple[Item, Header]], *, fmt: str = "zarr", frames: FrameSpec = None
) -> list[SeriesPlan]:
    """Group decodable inputs by series and give each a :class:`Slot`.

    ``fmt="npy"`` gives every input its own ``<rel>.npy`` file (``"dicom"``:
    ``<rel>``, a transcoded copy); the series grouping still orders the
    inputs and counts series. (The batch engine groups on disk and plans one
    series at a time: :class:`SeriesKeys`, :func:`plan_group`.)"""
    groups: dict[str, list[tuple[Item, Header]]] = {}
    keys = SeriesKeys()
    for item, h in entries:
        groups.setdefault(keys.key(item, h), []).append((item, h))
    return [plan_group(key, groups[key], fmt=fmt, frames=frames) for key in sorted(groups)]


class SeriesKeys:
    """The series key of every input: the Series Instance UID when it is a
    safe node name and no other series' key equals it ignoring case (else a
    hash of the input's path). Holds one entry per series seen."""

    def __init__(self) -> None:
        self._folded: dict[str, str] = {}  # casefolded key -> key

    def key(self, item: Item, h: Header) -> str:
        key = _series_key(item, h)
        if self._folded.setdefault(key.casefold(), key) != key:
            key = _hashed(item)
        return key


def plan_group(
    key: str,
    members: list[tuple[Item, Header]],
    *,
    fmt: str = "zarr",
    frames: FrameSpec = None,
    seqs: list[int] | None = None,
) -> SeriesPlan:
    """The plan of one series (``members``: its inputs; ``seqs``: their
    places in the listing, kept in the tasks)."""
    seq_of = {} if seqs is None else {id(m[0]): q for m, q in zip(members, seqs, strict=True)}
    members = list(members)
    normal = next((v for _, h in members if (v := _normal(h.image_orientation))), None)
    members.sort(key=lambda e: stack_key(e[1], normal, e[0].path))
    counts = []
    for _item, h in members:
        sel = resolve_frames(frames, h.frames)
        counts.append((sel, len(sel) if sel is not None else h.frames))
    why = _mismatch([h for _, h in members]) if fmt == "zarr" else None
    stacked = fmt == "zarr" and why is None
    tasks = []

    def task(item: Item, h: Header, slot: Slot) -> Task:
        return Task(item, h, slot, key, seq_of.get(id(item), -1))

    if fmt in _MIRRORED:
        for (item, h), (sel, n) in zip(members, counts, strict=True):
            slot = Slot(item.rel + _MIRRORED[fmt], 0, n, sel, h.frame_shape(), h.dtype())
            tasks.append(task(item, h, slot))
        return SeriesPlan(key, False, tasks, f"{fmt} output")
    if stacked:
        start = 0
        h0 = members[0][1]
        for (item, h), (sel, n) in zip(members, counts, strict=True):
            tasks.append(task(item, h, Slot(key, start, n, sel, h.frame_shape(), h.dtype())))
            start += n
        plan = SeriesPlan(key, True, tasks, None, (start, *h0.frame_shape()), h0.dtype())
    else:
        used: dict[str, int] = {}
        for (item, h), (sel, n) in zip(members, counts, strict=True):
            name = _node_name(h.sop_uid, item)
            k = used.get(name.casefold(), 0)
            used[name.casefold()] = k + 1
            path = f"{key}/{name}" if k == 0 else f"{key}/{name}~{k}"
            tasks.append(task(item, h, Slot(path, 0, n, sel, h.frame_shape(), h.dtype())))
        plan = SeriesPlan(key, False, tasks, why)
    plan.attrs = series_attrs(plan)
    return plan
