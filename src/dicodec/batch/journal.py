"""The completion journal: an append-only JSON-lines file in
``OUT/.dicodec/journal.jsonl``.

A record is appended only after the output it describes is complete on disk
(array chunks or ``.npy`` written and renamed), so every record is true even
when the process is killed; a torn last line is ignored. Records:

* ``{"t": "array", "path", "sig", "gen"}`` — a series array/group was
  (re)created with the given plan signature; ``gen`` is a fresh id, so records
  of inputs written into an earlier incarnation of the array no longer count.
* ``{"t": "task", "key", "sig", "row"}`` — one input was decoded (or failed to
  decode) into the slot with signature ``sig``; ``row`` is its index row.
* ``{"t": "series", "path", "sig"}`` — the series' attributes were finalised.

The last record for a key/path wins. In memory the records are the
dataclasses below (``ArrayRecord``, ``TaskRecord``, ``SeriesRecord``); on disk
they stay the JSON objects above, so stores written earlier resume.

The task records (one per input) are kept in a dict, or — for a batch run,
which must stay flat in memory over millions of inputs — in the run's
scratch database (:class:`dicodec.batch.spool.Spool`, ``store=``), read back
one key at a time.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from dicodec.batch.spool import Spool

__all__ = ["ArrayRecord", "Journal", "SeriesRecord", "STATE_DIR", "TaskRecord"]

STATE_DIR = ".dicodec"


@dataclass(frozen=True)
class ArrayRecord:
    """A series array/group (re)created for the plan signature ``sig``;
    ``gen`` is the fresh id of that incarnation."""

    path: str
    sig: str
    gen: str

    def to_json(self) -> dict[str, Any]:
        return {"t": "array", "path": self.path, "sig": self.sig, "gen": self.gen}

    @classmethod
    def from_json(cls, rec: dict[str, Any]) -> ArrayRecord:
        return cls(rec["path"], rec["sig"], rec["gen"])


@dataclass(frozen=True)
class TaskRecord:
    """One input decoded (or failed) into the slot with signature ``sig``;
    ``row`` is its index row."""

    key: str
    sig: str
    row: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"t": "task", "key": self.key, "sig": self.sig, "row": self.row}

    @classmethod
    def from_json(cls, rec: dict[str, Any]) -> TaskRecord:
        return cls(rec["key"], rec["sig"], rec["row"])


@dataclass(frozen=True)
class SeriesRecord:
    """The attributes of series ``path`` were finalised (``sig``: the
    array's generation and which inputs were decoded)."""

    path: str
    sig: str

    def to_json(self) -> dict[str, Any]:
        return {"t": "series", "path": self.path, "sig": self.sig}

    @classmethod
    def from_json(cls, rec: dict[str, Any]) -> SeriesRecord:
        return cls(rec["path"], rec["sig"])


_Record = ArrayRecord | TaskRecord | SeriesRecord


class StoredTasks(Mapping[str, TaskRecord]):
    """The task records in a :class:`~dicodec.batch.spool.Spool` (the last
    per key), read on demand: a mapping like the dict it stands for."""

    def __init__(self, store: Spool) -> None:
        self.store = store

    def __getitem__(self, key: str) -> TaskRecord:
        got = self.store.get_done(key)
        if got is None:
            raise KeyError(key)
        return TaskRecord(key, got[0], got[1])

    def __iter__(self) -> Iterator[str]:
        return (k for k, _, _ in self.store.iter_done())

    def __len__(self) -> int:
        return self.store.count_done()

    def values(self) -> Iterator[TaskRecord]:  # type: ignore[override]
        return (TaskRecord(k, sig, row) for k, sig, row in self.store.iter_done())

    def add(self, recs: Sequence[TaskRecord]) -> None:
        self.store.put_done([(r.key, r.sig, r.row) for r in recs])


class Journal:
    def __init__(self, out: Path, store: Spool | None = None) -> None:
        self.dir = out / STATE_DIR
        self.path = self.dir / "journal.jsonl"
        self.arrays: dict[str, ArrayRecord] = {}
        #: The last task record per input key: a dict, or the run's scratch
        #: database when ``store`` is given (flat memory over many inputs).
        self.tasks: dict[str, TaskRecord] | StoredTasks = (
            {} if store is None else StoredTasks(store)
        )
        #: series path -> signature of its last finalisation
        self.series: dict[str, str] = {}
        self._lock = threading.Lock()
        self._fd: int | None = None
        self.lines = 0
        self._load()

    def _load(self) -> None:
        if not self.path.is_file():
            return
        tasks: list[TaskRecord] = []
        with self.path.open("rb") as f:
            for line in f:
                self.lines += 1
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # torn write at a kill
                t = rec.get("t")
                if t == "task":
                    tasks.append(TaskRecord.from_json(rec))
                    if len(tasks) >= 1024:
                        self._keep_tasks(tasks)
                elif t == "array":
                    array = ArrayRecord.from_json(rec)
                    self.arrays[array.path] = array
                elif t == "series":
                    series = SeriesRecord.from_json(rec)
                    self.series[series.path] = series.sig
        self._keep_tasks(tasks)

    def _keep_tasks(self, recs: list[TaskRecord]) -> None:
        """Keeps ``recs`` as the last records of their keys (and empties the list)."""
        if isinstance(self.tasks, StoredTasks):
            self.tasks.add(recs)
        else:
            for rec in recs:
                self.tasks[rec.key] = rec
        recs.clear()

    def open(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            os.write(self._fd, b"\n")  # end a line torn by a kill before appending

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _append(self, rec: _Record) -> None:
        self._append_many([rec])

    def _append_many(self, recs: Sequence[_Record]) -> None:
        self._write("".join(_line(r) for r in recs).encode())

    def _write(self, line: bytes) -> None:
        with self._lock:
            if self._fd is None:
                self.open()
            assert self._fd is not None
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view) :]
            self.lines += line.count(b"\n")

    def compact(self) -> None:
        """Rewrites the journal with only the records that count (the last
        per input, array and series) when superseded ones dominate; atomic
        (temporary file, then rename)."""
        live = len(self.tasks) + len(self.arrays) + len(self.series)
        if self.lines <= 2 * live + 1000:
            return
        self.close()
        tmp = self.path.with_name(self.path.name + ".partial")
        n = 0
        with open(tmp, "w") as f:
            for r in self.arrays.values():
                f.write(_line(r))
                n += 1
            for t in self.tasks.values():  # streamed from the store when there is one
                f.write(_line(t))
                n += 1
            for p, sig in self.series.items():
                f.write(_line(SeriesRecord(p, sig)))
                n += 1
        os.replace(tmp, self.path)
        self.lines = n

    def array_done(self, path: str, sig: str, gen: str) -> None:
        rec = ArrayRecord(path, sig, gen)
        self.arrays[path] = rec
        self._append(rec)

    def tasks_done(self, done: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Records finished inputs ``(key, slot signature, index row)`` in one
        write."""
        recs = [TaskRecord(key, sig, row) for key, sig, row in done]
        self._append_many(recs)
        self._keep_tasks(list(recs))

    def series_done(self, path: str, sig: str) -> None:
        self.series[path] = sig
        self._append(SeriesRecord(path, sig))


def _line(rec: _Record) -> str:
    """One journal line: the record's JSON object, compact."""
    return json.dumps(rec.to_json(), separators=(",", ":"), default=str) + "\n"
