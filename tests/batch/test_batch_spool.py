"""The pieces that keep a batch run flat in memory (issue 16, point 5): the
on-disk spool, the journal kept in it, archives listed and read without
their whole directory, and members read in any order."""

from __future__ import annotations

import io
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest

from dicodec.batch.journal import Journal, StoredTasks
from dicodec.batch.safepath import unique_outputs
from dicodec.batch.sources import Item, Readers, iter_payloads, iter_sources, read_payload
from dicodec.batch.spool import PAGE, Spool


def _item(rel: str, i: int = 0) -> Item:
    return Item(path=f"/x/{i}\udcff", rel=rel, kind="file", size=i, key=f"/x/{i}\udcff|k")


def test_unique_rels_on_disk_equal_unique_outputs(tmp_path: Path) -> None:
    rels = ["s/A", "s/a", "s/a", "s/d", "s/d.npy/x", "s/A~1", "t/B.npy", "t/b"]
    rels += [f"many/{i % 7}" for i in range(2 * PAGE + 3)]  # several pages
    spool = Spool(tmp_path)
    try:
        for i, rel in enumerate(rels):
            spool.add_input(_item(rel, i))
        spool.unique_rels(".npy")
        got = [(seq, it.rel, it.path) for seq, it in spool.iter_inputs()]
    finally:
        spool.close()
    assert [r for _, r, _ in got] == unique_outputs(rels, ".npy")
    assert [s for s, _, _ in got] == list(range(len(rels)))
    assert got[3][2] == "/x/3\udcff"  # undecodable file names survive the round trip
    assert not list(tmp_path.glob("spool-*"))  # deleted when closed


def test_index_rows_order_and_pending_inputs(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    try:
        for i in range(3):
            spool.add_input(_item(f"r{i}", i))
        spool.put_row(2, {"status": "done", "reason": None, "path": "two"})
        spool.put_row(None, {"status": "failed", "reason": "unreadable", "path": "src"})
        spool.put_row(0, {"status": "failed", "reason": "malformed", "path": "zero"})
        spool.put_row(None, {"status": "skipped", "reason": "link_member", "path": "link"})
        spool.put_row(0, {"status": "done", "reason": None, "path": "zero"})  # replaced
        got = [
            (it.rel if it else None, row["path"] if row else None) for it, row in spool.index_rows()
        ]
        assert spool.count_rows("done") == 2 and spool.count_rows("failed") == 1
    finally:
        spool.close()
    assert got == [(None, "src"), (None, "link"), ("r0", "zero"), ("r1", None), ("r2", "two")]


def test_journal_in_the_spool_behaves_like_the_dict(tmp_path: Path) -> None:
    """The same records, last one per key, compaction and torn lines, with
    the task records kept on disk."""
    j = Journal(tmp_path)
    j.open()
    for k in range(1500):
        j.tasks_done([(f"key{k % 3}\udcff", f"sig{k}", {"status": "done", "k": k})])
    j.array_done("1.2.3", "sig-a", "gen-a")
    j.close()
    with open(j.path, "ab") as f:
        f.write(b'{"t":"task","key":"torn')
    spool = Spool(tmp_path / ".dicodec")
    try:
        j = Journal(tmp_path, spool)
        assert isinstance(j.tasks, StoredTasks)
        assert {k: r.row["k"] for k, r in j.tasks.items()} == {
            "key0\udcff": 1497,
            "key1\udcff": 1498,
            "key2\udcff": 1499,
        }
        assert j.tasks.get("nope") is None and "key1\udcff" in j.tasks and len(j.tasks) == 3
        j.open()
        j.tasks_done([("key3", "s", {"status": "failed"})])
        assert j.tasks["key3"].sig == "s"
        j.compact()
    finally:
        spool.close()
    j = Journal(tmp_path)
    assert j.lines == 5 and set(j.tasks) == {"key0\udcff", "key1\udcff", "key2\udcff", "key3"}
    assert j.arrays["1.2.3"].gen == "gen-a"


def _tar_gz(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))


def test_members_read_in_any_order(tmp_path: Path) -> None:
    """Zip (stored and deflated) and plain tar members are read from their
    records; a compressed tar streams forward and reopens for a member asked
    for out of archive order; every reader gives zipfile's/tarfile's bytes."""
    members = {f"d/{i}.dcm": bytes([i]) * (100 + i) for i in range(6)}
    with zipfile.ZipFile(tmp_path / "a.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data, zipfile.ZIP_STORED if name < "d/3" else zipfile.ZIP_DEFLATED)
    with tarfile.open(tmp_path / "a.tar", "w") as tf:
        for name, data in members.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    _tar_gz(tmp_path / "a.tar.gz", members)
    for archive in ("a.zip", "a.tar", "a.tar.gz"):
        items = list(iter_sources(tmp_path / archive))
        assert [it.member for it in items] == list(members)
        assert all((it.loc is None) == (archive == "a.tar.gz") for it in items)
        order = [items[i] for i in (0, 1, 4, 2, 5, 3, 3)]
        got = [(it.member, data) for it, data in iter_payloads(order)]
        assert got == [(it.member, members[it.member or ""]) for it in order], archive
        assert [read_payload(it) for it in items] == list(members.values())


def test_broken_members_are_errors_not_crashes(tmp_path: Path) -> None:
    import random

    rng = random.Random(0)
    members = {"a.dcm": rng.randbytes(1000), "b.dcm": rng.randbytes(1000)}
    with zipfile.ZipFile(tmp_path / "z.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    items = list(iter_sources(tmp_path / "z.zip"))
    raw = bytearray((tmp_path / "z.zip").read_bytes())
    raw[100:120] = bytes(20)  # inside the first member's data
    (tmp_path / "z.zip").write_bytes(bytes(raw))
    readers = Readers()
    try:
        first, second = (readers.read(it) for it in items)
    finally:
        readers.close()
    assert isinstance(first, Exception)  # a CRC or zlib error, recorded for that input
    assert second == members["b.dcm"]


def test_archive_listing_is_not_held(tmp_path: Path) -> None:
    """Listing a zip of many members holds a few bytes per member (a hash
    for duplicate names), not zipfile's 600: checked with tracemalloc."""
    import tracemalloc

    n = 20_000
    with zipfile.ZipFile(tmp_path / "m.zip", "w", zipfile.ZIP_STORED) as zf:
        for i in range(n):
            zf.writestr(f"folder/sub/member-{i:06d}.dcm", b"")
    tracemalloc.start()
    try:
        count = 0
        for _ in iter_sources(tmp_path / "m.zip"):
            count += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == n
    assert peak < 64 * n + (2 << 20), peak  # zipfile.ZipFile alone: about 600 * n


@pytest.mark.parametrize("dup", [False, True])
def test_duplicate_member_names_found_without_a_listing(tmp_path: Path, dup: bool) -> None:
    names = [f"m/{i}.dcm" for i in range(50)] + (["m/7.dcm", "m/7.dcm"] if dup else [])
    with warnings.catch_warnings(), zipfile.ZipFile(tmp_path / "d.zip", "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate names
        for name in names:
            zf.writestr(name, b"x")
    skips: list = []
    got = [it.member for it in iter_sources(tmp_path / "d.zip", on_skip=skips)]
    assert got == [n for n in dict.fromkeys(names) if names.count(n) == 1]
    assert [(s[0].member, s[1], s[2]) for s in skips] == (
        [("m/7.dcm", "duplicate_member", "3 members named 'm/7.dcm'")] if dup else []
    )
