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

The last record for a key/path wins.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

__all__ = ["Journal", "STATE_DIR"]

STATE_DIR = ".dicodec"


class Journal:
    def __init__(self, out: Path) -> None:
        self.dir = out / STATE_DIR
        self.path = self.dir / "journal.jsonl"
        self.arrays: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.series: dict[str, str] = {}
        self._lock = threading.Lock()
        self._fd: int | None = None
        self.lines = 0
        self._load()

    def _load(self) -> None:
        if not self.path.is_file():
            return
        with self.path.open("rb") as f:
            for line in f:
                self.lines += 1
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # torn write at a kill
                t = rec.get("t")
                if t == "task":
                    self.tasks[rec["key"]] = rec
                elif t == "array":
                    self.arrays[rec["path"]] = rec
                elif t == "series":
                    self.series[rec["path"]] = rec["sig"]

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

    def _append(self, rec: dict[str, Any]) -> None:
        self._append_many([rec])

    def _append_many(self, recs: list[dict[str, Any]]) -> None:
        line = "".join(json.dumps(r, separators=(",", ":"), default=str) + "\n" for r in recs)
        self._write(line.encode())

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
        recs = [*self.arrays.values(), *self.tasks.values()]
        recs += [{"t": "series", "path": p, "sig": sig} for p, sig in self.series.items()]
        tmp = self.path.with_name(self.path.name + ".partial")
        with open(tmp, "w") as f:
            for r in recs:
                f.write(json.dumps(r, separators=(",", ":"), default=str) + "\n")
        os.replace(tmp, self.path)
        self.lines = len(recs)

    def array_done(self, path: str, sig: str, gen: str) -> None:
        rec = {"t": "array", "path": path, "sig": sig, "gen": gen}
        self.arrays[path] = rec
        self._append(rec)

    def tasks_done(self, done: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Records finished inputs ``(key, slot signature, index row)`` in one
        write."""
        recs = [{"t": "task", "key": key, "sig": sig, "row": row} for key, sig, row in done]
        for rec in recs:
            self.tasks[rec["key"]] = rec
        self._append_many(recs)

    def series_done(self, path: str, sig: str) -> None:
        self.series[path] = sig
        self._append({"t": "series", "path": path, "sig": sig})
