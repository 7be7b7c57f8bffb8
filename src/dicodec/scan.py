"""Fast tag scanning of whole archives into a columnar index (pyarrow).

>>> import dicodec
>>> table = dicodec.scan("/data/archive", ["PatientID", "StudyInstanceUID", "Rows"])
>>> table.column_names
['path', 'PatientID', 'StudyInstanceUID', 'Rows', 'transfer_syntax', 'error', 'notes']

How it works: the Rust core walks folders in parallel, reads only the start of
each file (one 4 KiB read for most files), walks the elements without
decoding values that were not asked for, stops after the highest requested tag
(never reading Pixel Data), and writes the values straight into Arrow-layout
buffers (validity bitmap, offsets, data). Those buffers become NumPy arrays that
own the Rust memory and are wrapped by ``pyarrow.Array.from_buffers``: no
Python object is created per value. The GIL is released while scanning.

Column types, from the data dictionary (``pydicom.datadict``):

* text VRs (AE AS CS DA DT LO LT PN SH ST TM UC UI UR UT) -> ``string``,
  decoded per (0008,0005) Specific Character Set and trimmed as pydicom does
  (``str(value)`` for PN). Decoded in Rust, exactly as pydicom's
  ``decode_bytes`` does: the default repertoire, ISO_IR 100, 101, 109, 110,
  126, 127, 138, 144, 148, 13 and 192, their ISO 2022 forms, ISO 2022 IR 87
  (Japanese, JIS X 0208) and IR 149 (Korean, KS X 1001), escape sequences and
  delimiters included. Values in GB18030, GBK, ISO 2022 IR 58/159/166 or an
  unknown character set (and bytes a codec would reject) are decoded with
  pydicom's own functions instead, at pydicom's speed.
* US SS UL SL SV IS AT and "US or SS" -> ``int64``; UV -> ``uint64``;
  FL FD DS -> ``float64``; OB OW UN, unknown private tags -> ``binary``.
* a tag whose dictionary VM allows several values (e.g. PixelSpacing,
  ImageType, WindowCenter) -> ``list<...>`` of those, even when a file holds
  one value. A scalar column holding several values in a file gets the first
  number (noted in ``notes``), or the strings joined by a backslash.
* a missing tag -> null; an empty text value -> ``""`` (``[]`` in a list
  column); an empty number -> null; an unparsable number (IS ``"1A"``), a
  binary value whose length does not fit its VR, or a number the column type
  cannot hold -> null, noted in ``notes``.

Extra columns: ``path``; ``transfer_syntax`` (the (0002,0010) UID, or for files
without file meta the UID of the encoding detected); ``error`` (null when the
file was scanned fine, else why not: missing, unreadable, empty, not DICOM,
truncated...); ``notes`` (null when every requested value was kept as read,
else what was not, per tag: ``"(0020,0013) IS value '1A' is not an integer:
null"``, ``"(0028,0010) 2 values where VM is 1: the first is kept"``, joined
by ``"; "``); with ``stats=True`` also ``bytes_read``.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from dicodec import _native
from dicodec.errors import DicodecError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["scan", "scan_batches", "scan_schema", "resolve_tags", "ScanTag"]

PathLike = str | os.PathLike[str]
TagLike = str | int

#: Files per batch of :func:`scan` (each batch is scanned in parallel).
DEFAULT_BATCH_SIZE = 65536

_TAG_RE = re.compile(r"^\(?\s*([0-9A-Fa-f]{4})\s*,\s*([0-9A-Fa-f]{4})\s*\)?$")
_HEX_RE = re.compile(r"^(?:0[xX])?([0-9A-Fa-f]{8})$")


@dataclass(frozen=True)
class ScanTag:
    """A requested tag: column name, tag number, dictionary VR and VM."""

    name: str
    tag: int
    vr: str
    vm: str


def _tag_name(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def resolve_tags(tags: TagLike | Iterable[TagLike]) -> list[ScanTag]:
    """Resolves keywords, ``"(gggg,eeee)"``/``"gggg,eeee"``/``"0xggggeeee"``
    strings and integers to tags with their dictionary VR and VM.

    Columns are named as the tag was given (integers as ``"(GGGG,EEEE)"``).
    """
    from pydicom.datadict import dictionary_VM, dictionary_VR, tag_for_keyword

    if isinstance(tags, str | int):
        tags = [tags]
    out: list[ScanTag] = []
    for t in tags:
        if isinstance(t, bool) or not isinstance(t, str | int):
            raise TypeError(f"a tag must be a keyword, a '(gggg,eeee)' string or an int: {t!r}")
        if isinstance(t, int):
            number, name = t, _tag_name(t)
        else:
            name = t
            s = t.strip()
            m = _TAG_RE.match(s)
            h = _HEX_RE.match(s)
            if m:
                number = int(m.group(1) + m.group(2), 16)
            elif h:
                number = int(h.group(1), 16)
            else:
                found = tag_for_keyword(s)
                if found is None:
                    raise ValueError(f"unknown DICOM keyword {t!r}")
                number = found
        if not 0 <= number <= 0xFFFFFFFF:
            raise ValueError(f"tag out of range: {t!r}")
        try:
            vr = str(dictionary_VR(number))
            vm = str(dictionary_VM(number))
        except KeyError:
            vr, vm = "", ""
        if vr == "SQ":
            raise ValueError(f"{t!r} is a sequence (SQ); scan reads top-level values only")
        if number >= 0x7FE00000:
            raise ValueError(f"{t!r}: Pixel Data and the tags after it are never scanned")
        if any(o.name == name for o in out):
            raise ValueError(f"tag {name!r} given twice")
        out.append(ScanTag(name, number, vr, vm))
    if not out:
        raise ValueError("no tags given")
    return out


# ---- Arrow assembly ----


def _arrow_type(name: str) -> pa.DataType:
    import pyarrow as pa

    if name.startswith("list<") and name.endswith(">"):
        return pa.list_(_arrow_type(name[5:-1]))
    return {
        "int64": pa.int64(),
        "uint64": pa.uint64(),
        "float64": pa.float64(),
        "utf8": pa.string(),
        "binary": pa.binary(),
    }[name]


def _array(desc: tuple[Any, ...]) -> pa.Array:
    """Wraps the buffers made in Rust (no copy)."""
    import pyarrow as pa

    kind, length, nulls, validity = desc[:4]
    vbuf = None if validity is None else pa.py_buffer(validity)
    if kind.startswith("list<"):
        child = _array(desc[5])
        return pa.Array.from_buffers(
            pa.list_(child.type),
            length,
            [vbuf, pa.py_buffer(desc[4])],
            null_count=nulls,
            children=[child],
        )
    buffers = [vbuf, *(pa.py_buffer(b) for b in desc[4:])]
    return pa.Array.from_buffers(_arrow_type(kind), length, buffers, null_count=nulls)


def _charset_encodings(raw: bytes) -> list[str]:
    from pydicom.charset import convert_encodings
    from pydicom.values import convert_string

    if not raw:
        return convert_encodings(None)
    terms = convert_string(raw, True)
    return convert_encodings(terms if isinstance(terms, str) else list(terms))


def decode_text(vr: str, value: bytes, charset: bytes) -> list[str]:
    """Decodes one text value with pydicom (as ``dcmread`` would for a file
    whose (0008,0005) holds ``charset``), returning its values as strings.

    Used for the values the core leaves to pydicom (GB18030, GBK, ISO 2022
    IR 58/159/166, unknown character sets, bytes a codec rejects)."""
    return list(_decode_text(vr, value, charset))


@functools.lru_cache(maxsize=4096)
def _decode_text(vr: str, value: bytes, charset: bytes) -> tuple[str, ...]:
    # Cached: the files of a series repeat the same names and descriptions.
    from pydicom.valuerep import PersonName
    from pydicom.values import convert_PN, convert_single_string, convert_text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        encodings = _charset_encodings(charset)
        v: Any
        if vr == "PN":
            v = convert_PN(value, encodings)
        elif vr in ("SH", "LO", "UC"):
            v = convert_text(value, encodings, vr)
        else:
            v = convert_single_string(value, encodings, vr)
    if isinstance(v, str | PersonName):
        return (str(v),)
    return tuple(str(x) for x in v)


def _apply_deferred(
    cols: list[pa.Array], deferred: list[tuple[int, int, str, bytes, bytes]]
) -> list[pa.Array]:
    """Puts the values pydicom decoded into their (null) slots: the decoded
    values are appended to the column and one ``take`` puts them in place."""
    import numpy as np
    import pyarrow as pa

    by_col: dict[int, dict[int, tuple[str, ...]]] = {}
    for row, col, vr, value, charset in deferred:
        by_col.setdefault(col, {})[row] = _decode_text(vr, value, charset)
    for ci, fixes in by_col.items():
        arr = cols[ci]
        if pa.types.is_list(arr.type):
            values: list[Any] = [[] if items == ("",) else list(items) for items in fixes.values()]
        else:
            values = ["\\".join(items) for items in fixes.values()]
        index = np.arange(len(arr), dtype=np.int64)
        index[list(fixes)] = np.arange(len(arr), len(arr) + len(fixes), dtype=np.int64)
        fixed = pa.concat_arrays([arr, pa.array(values, type=arr.type)])
        cols[ci] = fixed.take(pa.array(index))
    return cols


def _schema(tags: Sequence[ScanTag], types: Sequence[str], stats: bool) -> pa.Schema:
    import pyarrow as pa

    fields = [pa.field("path", pa.string(), nullable=False)]
    for t, ty in zip(tags, types, strict=True):
        meta = {"dicom_tag": _tag_name(t.tag), "dicom_vr": t.vr, "dicom_vm": t.vm}
        fields.append(pa.field(t.name, _arrow_type(ty), metadata=meta))
    fields.append(pa.field("transfer_syntax", pa.string()))
    fields.append(pa.field("error", pa.string()))
    fields.append(pa.field("notes", pa.string()))
    if stats:
        fields.append(pa.field("bytes_read", pa.uint64(), nullable=False))
    return pa.schema(fields)


def scan_schema(tags: TagLike | Iterable[TagLike], *, stats: bool = False) -> pa.Schema:
    """The schema of the table :func:`scan` returns for ``tags`` (each tag
    field carries ``dicom_tag``/``dicom_vr``/``dicom_vm`` metadata)."""
    resolved = resolve_tags(tags)
    types = _native.scan_column_types(
        [t.tag for t in resolved], [t.vr for t in resolved], [t.vm for t in resolved]
    )
    return _schema(resolved, types, stats)


def _raise_first_error(batch: pa.RecordBatch) -> None:
    err = batch.column("error")
    if err.null_count == len(err):
        return
    for path, msg in zip(batch.column("path").to_pylist(), err.to_pylist(), strict=True):
        if msg is not None:
            raise DicodecError(f"{path}: {msg}")


def _sources(sources: PathLike | Iterable[PathLike]) -> tuple[Iterator[Any], bool]:
    """The paths, and whether to look at each before opening it: a single
    source (often a folder) is looked at; the items of an iterable (usually
    files) are checked only once opened, which saves a system call per file."""
    if isinstance(sources, str | bytes | os.PathLike):
        return iter([os.fsdecode(sources)]), True
    return iter(sources), False


def _decoded(chunk: list[Any]) -> list[str]:
    """``os.fsdecode`` of each path (skipped when all are already ``str``)."""
    if set(map(type, chunk)) <= {str}:
        return chunk
    return [os.fsdecode(p) for p in chunk]


def scan_batches(
    sources: PathLike | Iterable[PathLike],
    tags: TagLike | Iterable[TagLike],
    *,
    batch_size: int = 4096,
    threads: int | None = None,
    recursive: bool = True,
    errors: Literal["record", "raise"] = "record",
    stats: bool = False,
    read_size: int = 4096,
) -> Iterator[pa.RecordBatch]:
    """Scans ``sources`` and yields one :class:`pyarrow.RecordBatch` per
    ``batch_size`` files, in a deterministic order.

    Memory stays bounded for archives of any size: paths are taken from
    ``sources`` (an iterable is consumed lazily) and folders are listed only
    as far as the next batch needs. See :func:`scan` for the parameters.
    """
    scanner, schema = _prepare(tags, threads, errors, stats, read_size)
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    return _batches(scanner, schema, *_sources(sources), batch_size, recursive, errors, stats)


def _prepare(
    tags: TagLike | Iterable[TagLike],
    threads: int | None,
    errors: str,
    stats: bool,
    read_size: int,
) -> tuple[_native.Scanner, pa.Schema]:
    if errors not in ("record", "raise"):
        raise ValueError(f"errors must be 'record' or 'raise', not {errors!r}")
    from dicodec._settings import check_threads

    threads = check_threads(threads)  # 1..1024: a clear error, never 10**6 OS threads
    resolved = resolve_tags(tags)
    scanner = _native.Scanner(
        [t.tag for t in resolved],
        [t.vr for t in resolved],
        [t.vm for t in resolved],
        threads=threads,
        read_size=read_size,
    )
    return scanner, _schema(resolved, scanner.column_types, stats)


def _batches(
    scanner: _native.Scanner,
    schema: pa.Schema,
    it: Iterator[Any],
    check: bool,
    batch_size: int,
    recursive: bool,
    errors: str,
    stats: bool,
) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    walker = _native.Walker(recursive)
    exhausted = False
    while True:
        while not exhausted and walker.pending_sources() < batch_size:
            chunk = _decoded(list(itertools.islice(it, batch_size)))
            if chunk:
                walker.add(chunk, check)
            else:
                exhausted = True
        raw: dict[str, Any] | None = scanner.scan_next(walker, batch_size)
        if raw is None:
            if exhausted:
                return
            continue
        cols = [_array(c) for c in raw["columns"]]
        if raw["deferred"]:
            cols = _apply_deferred(cols, raw["deferred"])
        arrays = [
            _array(raw["path"]),
            *cols,
            _array(raw["transfer_syntax"]),
            _array(raw["error"]),
            _array(raw["notes"]),
        ]
        if stats:
            arrays.append(_array(raw["bytes_read"]))
        batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
        if errors == "raise":
            _raise_first_error(batch)
        yield batch


def scan(
    sources: PathLike | Iterable[PathLike],
    tags: TagLike | Iterable[TagLike],
    *,
    threads: int | None = None,
    recursive: bool = True,
    errors: Literal["record", "raise"] = "record",
    stats: bool = False,
    read_size: int = 4096,
) -> pa.Table:
    """Scans DICOM files into a :class:`pyarrow.Table`, one row per file.

    Parameters
    ----------
    sources
        A file or folder path, or an iterable of file/folder paths. Folders
        are walked in parallel (``recursive``: into subfolders too); symbolic
        links are followed, loops reported as error rows.
    tags
        Keywords (``"PatientID"``), ``"(0010,0020)"``/``"0010,0020"``/
        ``"0x00100020"`` strings or ``0x00100020`` ints. Columns are named as
        given (ints as ``"(0010,0020)"``).
    threads
        Scan threads (default: all cores).
    errors
        ``"record"``: a file that cannot be scanned becomes a row with a
        message in ``error``; ``"raise"``: raise :class:`DicodecError` for the
        first such file.
    stats
        Add a ``bytes_read`` column (bytes read from each file).
    read_size
        Size of the first read of each file; more is read only when an
        element crosses it.

    Example
    -------
    >>> t = dicodec.scan(["a.dcm", "b.dcm"], ["PatientName", "PixelSpacing", 0x00280010])
    >>> t.column("(0028,0010)").to_pylist()
    [512, 256]
    """
    import pyarrow as pa

    scanner, schema = _prepare(tags, threads, errors, stats, read_size)
    batches = _batches(
        scanner, schema, *_sources(sources), DEFAULT_BATCH_SIZE, recursive, errors, stats
    )
    return pa.Table.from_batches(list(batches), schema=schema)
