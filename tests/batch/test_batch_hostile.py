"""Hostile inputs to ``dicodec decode``: archives whose member names climb out
of OUT, absolute names, drive letters, control characters, over-long names,
names differing only in case, link members, a member named like dicodec's
journal, duplicate names, a source named ``..`` and SeriesInstanceUIDs that
are paths. Nothing may appear outside OUT, and every skipped member is in the
index with its reason."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from batch_util import index_rows, write_instance

import dicodec.batch
from dicodec.batch.safepath import (
    UnsafePathError,
    inside,
    safe_component,
    safe_node_name,
    safe_relpath,
    unique_outputs,
)


def _dicom_bytes(tmp: Path, series_uid: str = "1.2.826.0.1.3680043.10.996.1") -> bytes:
    p = write_instance(
        tmp / "x.dcm", series_uid=series_uid, pixels=np.arange(12, dtype=np.uint16).reshape(3, 4)
    )
    data = p.read_bytes()
    p.unlink()
    return data


def _snapshot(root: Path, skip: Path) -> dict[str, int]:
    """Every file and link below ``root`` except below ``skip`` (path -> size)."""
    found = {}
    for dirpath, dirnames, files in os.walk(root):
        here = Path(dirpath)
        if here == skip or skip in here.parents:
            dirnames[:] = []
            continue
        for f in files + [d for d in dirnames if (here / d).is_symlink()]:
            found[str(here / f)] = (here / f).lstat().st_size
    return found


def _hostile_names(victim: Path) -> list[str]:
    climb = "../" * 24 + str(victim).lstrip("/")
    return [
        f"{climb}/ESCAPED.dcm",
        "ok/plain.dcm",
        "/abs/ABS.dcm",
        str(victim / "ABSOLUTE_VICTIM.dcm"),
        "C:/drive/DRIVE.dcm",
        "..\\..\\..\\..\\win\\BACKSLASH.dcm",
        "ctl\x01\x1fname\x7f.dcm",
        "x" * 300 + ".dcm",
        "Case.dcm",
        "case.dcm",
        "folder",  # a file whose .npy name is not a folder of another one...
        "folder.npy/inner.dcm",  # ...but this one's folder is: "folder.npy"
        ".dicodec/journal.jsonl",
        "index.parquet",
        "CON",
        "./././dot.dcm",
        "a/../../b/../../../UP.dcm",
    ]


def _make_zip(path: Path, names: list[str], payload: bytes) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for n in names:
            zf.writestr(zipfile.ZipInfo(n), payload)
        # Duplicate names: both occurrences are ambiguous.
        zf.writestr(zipfile.ZipInfo("dup.dcm"), payload)
        zf.writestr(zipfile.ZipInfo("dup.dcm"), payload)
        # A symbolic link member (Unix mode in the external attributes).
        link = zipfile.ZipInfo("ziplink.dcm")
        link.create_system = 3
        link.external_attr = (0o120777 << 16) | 0
        zf.writestr(link, "/etc/passwd")


def _make_tar(path: Path, names: list[str], payload: bytes, victim: Path, mode: str) -> None:
    with tarfile.open(path, mode) as tf:

        def add_file(name: str) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))

        for n in names:
            if "\x00" not in n:
                add_file(n)
        sym = tarfile.TarInfo("symlink.dcm")
        sym.type = tarfile.SYMTYPE
        sym.linkname = str(victim / "target.dcm")
        tf.addfile(sym)
        hard = tarfile.TarInfo("hardlink.dcm")
        hard.type = tarfile.LNKTYPE
        hard.linkname = "ok/plain.dcm"
        tf.addfile(hard)
        # A link to a folder outside, then a member "through" it.
        evil = tarfile.TarInfo("evil")
        evil.type = tarfile.SYMTYPE
        evil.linkname = str(victim)
        tf.addfile(evil)
        add_file("evil/THROUGH.dcm")
        fifo = tarfile.TarInfo("fifo")
        fifo.type = tarfile.FIFOTYPE
        tf.addfile(fifo)
        add_file("dup.dcm")
        add_file("dup.dcm")


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom on the path-like UIDs
@pytest.mark.parametrize("fmt", ["npy", "zarr"])
def test_hostile_archives_write_nothing_outside_out(tmp_path: Path, fmt: str) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "target.dcm").write_bytes(b"victim")
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    payload = _dicom_bytes(tmp_path)
    names = _hostile_names(victim)
    _make_zip(src / "evil.zip", names, payload)
    _make_tar(src / "evil.tar", names, payload, victim, "w")
    _make_tar(src / "evil.tar.gz", names, payload, victim, "w:gz")
    # SeriesInstanceUIDs that are paths (Zarr node names come from them).
    for i, uid in enumerate(["../../../escape", ".dicodec", "/abs/uid", "__zarr", "a" * 300]):
        write_instance(
            src / f"uid{i}.dcm",
            series_uid=uid,
            sop_uid=uid,
            pixels=np.full((3, 4), i, dtype=np.uint16),
        )
    out = tmp_path / "work" / "out"
    before = _snapshot(tmp_path, out)

    # A source named ".." (in/sub/.. is in/) and the same folder again.
    sources = [str(src / "sub" / ".."), str(src)]
    report = dicodec.batch.decode(sources, out, format=fmt, threads=2)
    after = _snapshot(tmp_path, out)
    assert after == before, "files appeared or changed outside OUT"
    assert (victim / "target.dcm").read_bytes() == b"victim"

    rows = index_rows(out)
    real_out = out.resolve()
    outputs = [r["output"] for r in rows if r["status"] == "done"]
    if fmt == "npy":  # one file per input (Zarr: inputs of a series share an array)
        assert len(outputs) == len({o.casefold() for o in outputs})
    for o in outputs:
        p = (out / o).resolve()
        assert real_out in p.parents, o
        assert p.exists(), o
        assert not o.startswith((".dicodec", "index.parquet")), o
    # The journal and index are dicodec's own, not a member's bytes.
    assert (out / ".dicodec" / "journal.jsonl").read_bytes().startswith(b"{")

    reasons = {}
    for r in rows:
        reasons.setdefault(r["reason"], []).append(r["path"])
    link_paths = reasons.get("link_member", [])
    # Per source (".." and "in"): zip link; tar + tar.gz: symlink, hardlink, evil.
    assert len(link_paths) == 2 * (1 + 2 * 3), link_paths
    assert len(reasons.get("not_regular_member", [])) == 2 * 2
    assert len(reasons.get("duplicate_member", [])) == 2 * 3
    for r in rows:
        if r["reason"] in ("link_member", "duplicate_member", "not_regular_member"):
            assert r["status"] == "skipped" and r["error"]
    # Every regular, uniquely named member was decoded (names with their
    # own safe output), the files with path-like UIDs too.
    # The members are copies of one instance: the first of each series is
    # decoded, the others are skipped as duplicates (same SOP Instance UID and pixels).
    done = [r for r in rows if r["status"] == "done"]
    dups = [r for r in rows if r["reason"] == "duplicate"]
    per_source = len(names) + 2 * (len(names) + 1) + 5  # tars: + evil/THROUGH.dcm
    assert len(done) + len(dups) == 2 * per_source, report.table()
    assert len(done) == 6  # one per series: the archive members' and the 5 path-like UIDs
    assert report.failed == 0

    # A second run resumes everything (the journal was not clobbered).
    again = dicodec.batch.decode(sources, out, format=fmt, threads=2)
    assert again.resumed == len(done) and again.decoded == 0
    assert _snapshot(tmp_path, out) == before


def test_safe_component_rules() -> None:
    assert safe_component("..") == "__"
    assert safe_component(".") == "_"
    assert safe_component("a\x00b\nc") == "a_b_c"
    assert safe_component("C:") == "C_"
    assert safe_component("nul.txt") == "_nul.txt"
    assert safe_component("name. ") == "name"
    long = safe_component("é" * 200)
    assert len(long.encode()) <= 180
    assert safe_component("é" * 200) != safe_component("é" * 201)
    assert safe_relpath(["/abs/x"]) == "abs/x"
    assert safe_relpath(["in.zip/../../../etc/passwd"]) == "in.zip/__/__/__/etc/passwd"
    assert safe_relpath([".dicodec/journal.jsonl"]) == "_.dicodec/journal.jsonl"
    assert safe_relpath(["a\\..\\b"]) == "a/__/b"
    deep = safe_relpath(["src/" + "d/" * 800 + "f.dcm"])
    assert deep.startswith("src/deep~") and deep.endswith("/f.dcm")
    assert safe_node_name("1.2.3") == "1.2.3"
    for bad in ("..", ".dicodec", "../x", "/x", "__x", "a/b", "", None, "x" * 129):
        assert safe_node_name(bad) is None
    assert unique_outputs(["s/A", "s/a", "s/a", "s/d", "s/d.npy/x"], ".npy") == [
        "s/A",
        "s/a~1",
        "s/a~2",
        "s/d~1",
        "s/d.npy/x",
    ]


def test_inside_refuses_escapes(tmp_path: Path) -> None:
    for rel in ("../x", "a/../../x", "/etc/x", "C:/x", "a//b", "a\\..\\b", "a\x00"):
        with pytest.raises(UnsafePathError):
            inside(str(tmp_path), rel)
    (tmp_path / "link").symlink_to(tmp_path.parent)
    with pytest.raises(UnsafePathError):
        inside(str(tmp_path), "link/x.npy")
    assert inside(str(tmp_path), "a/b.npy") == str(tmp_path / "a" / "b.npy")
