"""The run's scratch store: what a batch run knows per input, kept on disk.

A run over millions of inputs must not hold one Python object per input for
its whole length (issue 16, point 5: memory bounded, flat in the number of
inputs). Everything that is per input — the listing, the headers of the
decodable inputs, the planned tasks, the index rows, the journal's records
of finished inputs — goes into one SQLite database,
``OUT/.dicodec/spool-<pid>.sqlite``, read back in pages of
:data:`PAGE` rows. Memory then holds what is in flight (a page, the pool's
chunks), one series at a time while planning, and SQLite's page cache
(:data:`CACHE_KIB`), whatever the number of inputs.

The database is scratch: no rollback journal, no fsync, deleted when the run
ends. A run killed before that leaves it behind; the next run on the same OUT
(which holds the lock, so nobody else uses it) deletes it. What resumption
relies on is the journal (:mod:`dicodec.batch.journal`), never this file.

Values are stored as JSON text (``ensure_ascii``, so paths that are not valid
UTF-8 survive); keys that may hold such paths as UTF-8 bytes with
``surrogatepass``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dicodec.batch.sources import Item, item_to_dict

__all__ = ["Spool", "PAGE", "CACHE_KIB"]

#: Rows fetched from the database at a time.
PAGE = 512
#: SQLite's page cache (KiB).
CACHE_KIB = 2048
#: Sequence numbers of rows that are not one listed input (a source that could
#: not be read, a skipped archive member): below every listed input, in the
#: order they were recorded.
_PRE_BASE = -(1 << 62)

_SCHEMA = """
CREATE TABLE inputs (seq INTEGER PRIMARY KEY, rel TEXT NOT NULL, item TEXT NOT NULL);
CREATE TABLE folders (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE taken (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE rows (seq INTEGER PRIMARY KEY, status TEXT, reason TEXT, row TEXT NOT NULL);
CREATE TABLE entries (seq INTEGER PRIMARY KEY, series TEXT, dup TEXT, header TEXT NOT NULL);
CREATE TABLE slots (
    seq INTEGER PRIMARY KEY, series TEXT NOT NULL, pos INTEGER NOT NULL,
    todo INTEGER NOT NULL, task TEXT
);
CREATE TABLE done (key BLOB PRIMARY KEY, sig TEXT NOT NULL, row TEXT NOT NULL) WITHOUT ROWID;
"""


def dumps(obj: Any) -> str:
    """Compact JSON (ASCII: lone surrogates of undecodable file names survive)."""
    return json.dumps(obj, separators=(",", ":"), default=str)


def key_bytes(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass")


def _item_json(item: Item) -> str:
    d = item_to_dict(item)
    del d["rel"]
    return dumps(d)


def _item(rel: str, text: str) -> Item:
    return Item(rel=rel, **json.loads(text))


class Spool:
    """The scratch database of one run in ``state_dir`` (the caller holds the
    output's lock)."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        for old in state_dir.glob("spool-*.sqlite*"):  # left by a killed run
            old.unlink(missing_ok=True)
        self.path = state_dir / f"spool-{os.getpid()}.sqlite"
        # Used by the coordinating thread only (check_same_thread off so that
        # close() may run from a finally block in any thread).
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in (
            "journal_mode = OFF",
            "synchronous = OFF",
            "temp_store = FILE",
            f"cache_size = -{CACHE_KIB}",
            "locking_mode = EXCLUSIVE",
        ):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(_SCHEMA)
        self.db.execute("BEGIN")
        self.inputs = 0
        self._listed: list[Item] = []  # listed, not yet written
        self._pre = _PRE_BASE

    def close(self) -> None:
        """Closes and deletes the database."""
        try:
            self.db.close()
        finally:
            for p in self.path.parent.glob(self.path.name + "*"):
                p.unlink(missing_ok=True)

    def _pages(self, sql: str, args: tuple = ()) -> Iterator[tuple]:
        """The rows of ``sql`` (which selects ``seq`` first, filters with
        ``seq > ?`` as its last parameter and orders by ``seq``), fetched
        :data:`PAGE` at a time, so the caller may write between pages."""
        last = _PRE_BASE - 1
        while True:
            page = self.db.execute(sql + f" LIMIT {PAGE}", (*args, last)).fetchall()
            if not page:
                return
            yield from page
            last = page[-1][0]

    # -- the listing ---------------------------------------------------------

    def add_input(self, item: Item) -> int:
        """Records the next listed input; returns its sequence number
        (written :data:`PAGE` at a time: call :meth:`unique_rels` after the
        last)."""
        seq = self.inputs
        self.inputs += 1
        self._listed.append(item)
        if len(self._listed) >= PAGE:
            self._flush_inputs()
        return seq

    def _flush_inputs(self) -> None:
        first = self.inputs - len(self._listed)
        self.db.executemany(
            "INSERT INTO inputs VALUES (?, ?, ?)",
            [(first + i, it.rel, _item_json(it)) for i, it in enumerate(self._listed)],
        )
        folders: set[str] = set()
        for it in self._listed:
            parts = it.rel.casefold().split("/")
            folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
        self.db.executemany("INSERT OR IGNORE INTO folders VALUES (?)", [(f,) for f in folders])
        self._listed.clear()

    def unique_rels(self, suffix: str) -> None:
        """Makes every input's ``rel`` unique ignoring case, as
        :func:`dicodec.batch.safepath.unique_outputs` does for a list."""
        self._flush_inputs()
        renamed: list[tuple[str, int]] = []
        q = "SELECT seq, rel FROM inputs WHERE seq > ? ORDER BY seq"
        for seq, rel in self._pages(q):
            cand, n = rel, 0
            while True:
                name = (cand + suffix).casefold()
                if self.db.execute("SELECT 1 FROM folders WHERE name = ?", (name,)).fetchone():
                    pass
                elif self.db.execute("INSERT OR IGNORE INTO taken VALUES (?)", (name,)).rowcount:
                    break
                n += 1
                cand = f"{rel}~{n}"
            if n:
                renamed.append((cand, seq))
        self.db.executemany("UPDATE inputs SET rel = ? WHERE seq = ?", renamed)
        self.db.execute("DELETE FROM folders")
        self.db.execute("DELETE FROM taken")

    def iter_inputs(self) -> Iterator[tuple[int, Item]]:
        self._flush_inputs()
        q = "SELECT seq, rel, item FROM inputs WHERE seq > ? ORDER BY seq"
        for seq, rel, text in self._pages(q):
            yield seq, _item(rel, text)

    # -- index rows ----------------------------------------------------------

    def put_row(self, seq: int | None, row: dict[str, Any]) -> None:
        """Records (or replaces) the index row of input ``seq``; ``None``: a
        row that is not a listed input (listed first in the index)."""
        if seq is None:
            seq = self._pre
            self._pre += 1
        self.db.execute(
            "INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?)",
            (seq, row["status"], row["reason"], dumps(row)),
        )

    def put_rows(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?)",
            [(seq, r["status"], r["reason"], dumps(r)) for seq, r in rows],
        )

    def count_rows(self, status: str) -> int:
        return self.db.execute("SELECT count(*) FROM rows WHERE status = ?", (status,)).fetchone()[
            0
        ]

    def index_rows(self) -> Iterator[tuple[Item | None, dict[str, Any] | None]]:
        """What the index lists, in its order: rows that are not a listed
        input first, then every listed input with its row (``None`` when it
        has none: an interrupted run did not reach it)."""
        self._flush_inputs()
        for _, text in self._pages(
            "SELECT seq, row FROM rows WHERE seq < 0 AND seq > ? ORDER BY seq"
        ):
            yield None, json.loads(text)
        q = (
            "SELECT inputs.seq, inputs.rel, inputs.item, rows.row FROM inputs "
            "LEFT JOIN rows ON rows.seq = inputs.seq WHERE inputs.seq > ? ORDER BY inputs.seq"
        )
        for _, rel, item, text in self._pages(q):
            yield (_item(rel, item), None if text is None else json.loads(text))

    # -- decodable inputs ----------------------------------------------------

    def add_entry(self, seq: int, series: str, dup: str | None, header: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO entries VALUES (?, ?, ?, ?)", (seq, series, dup, dumps(header))
        )

    def drop_entry(self, seq: int) -> None:
        self.db.execute("DELETE FROM entries WHERE seq = ?", (seq,))

    def repeated(self) -> Iterator[list[tuple[int, Item, dict[str, Any]]]]:
        """The entries of every duplicate key held by more than one entry."""
        self.db.execute("CREATE INDEX IF NOT EXISTS entries_dup ON entries (dup)")
        keys = self.db.execute(
            "SELECT dup FROM entries WHERE dup IS NOT NULL GROUP BY dup HAVING count(*) > 1"
        ).fetchall()  # few: duplicates are rare
        for (dup,) in keys:
            yield self._entries("entries.dup = ?", dup)

    def series_keys(self) -> Iterator[str]:
        """Every series key, sorted."""
        self.db.execute("CREATE INDEX IF NOT EXISTS entries_series ON entries (series)")
        last = ""
        while True:
            got = self.db.execute(
                "SELECT DISTINCT series FROM entries WHERE series > ? ORDER BY series LIMIT ?",
                (last, PAGE),
            ).fetchall()
            if not got:
                return
            yield from (k for (k,) in got)
            last = got[-1][0]

    def series_entries(self, series: str) -> list[tuple[int, Item, dict[str, Any]]]:
        return self._entries("entries.series = ?", series)

    def _entries(self, where: str, arg: str) -> list[tuple[int, Item, dict[str, Any]]]:
        self._flush_inputs()
        q = (
            "SELECT entries.seq, inputs.rel, inputs.item, entries.header FROM entries "
            f"JOIN inputs ON inputs.seq = entries.seq WHERE {where} ORDER BY entries.seq"
        )
        return [
            (seq, _item(rel, item), json.loads(h))
            for seq, rel, item, h in self.db.execute(q, (arg,))
        ]

    # -- planned tasks -------------------------------------------------------

    def add_slot(self, seq: int, series: str, pos: int, task: dict[str, Any] | None) -> None:
        """Input ``seq`` is at ``pos`` in its series; ``task``: what is left
        to do for it (``None``: finished by an earlier run)."""
        self.db.execute(
            "INSERT INTO slots VALUES (?, ?, ?, ?, ?)",
            (seq, series, pos, task is not None, None if task is None else dumps(task)),
        )

    def count_todo(self) -> int:
        return self.db.execute("SELECT count(*) FROM slots WHERE todo").fetchone()[0]

    def iter_todo(self) -> Iterator[dict[str, Any]]:
        """The tasks left, in listing order."""
        q = "SELECT seq, task FROM slots WHERE todo AND seq > ? ORDER BY seq"
        for _, text in self._pages(q):
            yield json.loads(text)

    def iter_todo_by_series(self) -> Iterator[dict[str, Any]]:
        """The tasks left, grouped by series (listing order inside one)."""
        self.db.execute("CREATE INDEX IF NOT EXISTS slots_series ON slots (series, seq)")
        last: tuple[str, int] = ("", _PRE_BASE)
        while True:
            page = self.db.execute(
                "SELECT series, seq, task FROM slots WHERE todo AND (series, seq) > (?, ?) "
                f"ORDER BY series, seq LIMIT {PAGE}",
                last,
            ).fetchall()
            if not page:
                return
            yield from (json.loads(t) for _, _, t in page)
            last = (page[-1][0], page[-1][1])

    def series_statuses(self, series: str) -> list[str | None]:
        """The index status of every input of ``series``, in stack order."""
        self.db.execute("CREATE INDEX IF NOT EXISTS slots_series ON slots (series, seq)")
        q = (
            "SELECT rows.status FROM slots LEFT JOIN rows ON rows.seq = slots.seq "
            "WHERE slots.series = ? ORDER BY slots.pos"
        )
        return [s for (s,) in self.db.execute(q, (series,))]

    # -- the journal's records of finished inputs ----------------------------

    def put_done(self, recs: list[tuple[str, str, dict[str, Any]]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO done VALUES (?, ?, ?)",
            [(key_bytes(k), sig, dumps(row)) for k, sig, row in recs],
        )

    def get_done(self, key: str) -> tuple[str, dict[str, Any]] | None:
        got = self.db.execute(
            "SELECT sig, row FROM done WHERE key = ?", (key_bytes(key),)
        ).fetchone()
        return None if got is None else (got[0], json.loads(got[1]))

    def count_done(self) -> int:
        return self.db.execute("SELECT count(*) FROM done").fetchone()[0]

    def iter_done(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        last = b""
        while True:
            page = self.db.execute(
                f"SELECT key, sig, row FROM done WHERE key > ? ORDER BY key LIMIT {PAGE}", (last,)
            ).fetchall()
            if not page:
                return
            for k, sig, row in page:
                yield k.decode("utf-8", "surrogatepass"), sig, json.loads(row)
            last = page[-1][0]
