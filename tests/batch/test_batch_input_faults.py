"""Inputs that change or vanish while ``dicodec decode`` runs (issue 16,
point 4): each gets its own recorded reason, a changed file is never decoded
as a mix of its old header and new pixels, and the next run of the same
command decodes the new content."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from batch_util import index_rows, write_instance

import dicodec
import dicodec.batch


def _write(path: Path, value: int, size: int = 16) -> Path:
    name = path.stem
    return write_instance(
        path,
        series_uid=f"1.2.826.0.1.3680043.10.994.{abs(hash(name)) % 10_000}",
        sop_uid=f"1.2.826.0.1.3680043.10.994.7.{abs(hash(name)) % 10_000}",
        pixels=np.full((size, size), value, dtype=np.uint16),
    )


@pytest.mark.parametrize("fmt", ["npy", "zarr"])
def test_changed_and_vanished_inputs_get_their_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    src = tmp_path / "in"
    for i in range(4):
        _write(src / f"ok{i}.dcm", 100 + i)
    grown = _write(src / "grown.dcm", 7)
    same_size = _write(src / "same_size.dcm", 8)
    vanished = _write(src / "vanished.dcm", 9)

    import dicodec.batch.core as core

    real = core._plan_outputs
    damaged = []

    def plan_then_damage(*args, **kwargs):
        # After the headers are read and the outputs planned, before any
        # input is decoded: one file grows, one is rewritten with other pixels
        # at the same size, one is deleted.
        todo = real(*args, **kwargs)  # how many inputs are left to decode
        damaged.append(todo)
        _write(grown, 70, size=20)
        before = same_size.stat()
        _write(same_size, 80)
        assert same_size.stat().st_size == before.st_size
        os.utime(same_size, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
        vanished.unlink()
        return todo

    monkeypatch.setattr(core, "_plan_outputs", plan_then_damage)
    out = tmp_path / "out"
    report = dicodec.batch.decode(src, out, format=fmt, threads=1, progress=None)
    monkeypatch.undo()

    rows = {Path(r["path"]).name: r for r in index_rows(out)}
    assert damaged == [7]
    assert report.failures == {"input_changed": 2, "unreadable": 1}, [
        (n, r["status"], r["reason"], r["error"]) for n, r in rows.items()
    ]
    for name in ("grown.dcm", "same_size.dcm"):
        r = rows[name]
        assert (r["status"], r["reason"]) == ("failed", "input_changed"), r
        assert "changed during the run" in r["error"]
    r = rows["vanished.dcm"]
    assert (r["status"], r["reason"]) == ("failed", "unreadable"), r
    assert "No such file" in r["error"]
    for i in range(4):
        assert rows[f"ok{i}.dcm"]["status"] == "done"
    if fmt == "npy":
        # Nothing written for a changed input (no old header with new pixels).
        assert not (out / "in" / "grown.dcm.npy").exists()
        assert not (out / "in" / "same_size.dcm.npy").exists()

    # The same command again: the changed files are decoded, with their new
    # content (the vanished one is no longer an input).
    dicodec.batch.decode(src, out, format=fmt, threads=1, progress=None)
    rows = {Path(r["path"]).name: r for r in index_rows(out)}
    assert "vanished.dcm" not in rows
    assert all(r["status"] == "done" for r in rows.values()), rows
    if fmt == "npy":
        grown_arr = np.load(out / "in" / "grown.dcm.npy")
        assert grown_arr.shape == (20, 20) and (grown_arr == 70).all()
        assert (np.load(out / "in" / "same_size.dcm.npy") == 80).all()
    else:
        from batch_util import read_output

        assert (read_output(out, rows["grown.dcm"]) == 70).all()
        assert read_output(out, rows["grown.dcm"]).shape == (20, 20)
        assert (read_output(out, rows["same_size.dcm"]) == 80).all()


def test_input_rewritten_while_decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file rewritten while its pixels are read: the pixels may be a mix of
    both contents, so they are not written (checked again after reading)."""
    src = tmp_path / "in"
    victim = _write(src / "victim.dcm", 5)
    _write(src / "other.dcm", 6)
    real = dicodec.read_pixels

    def read_then_rewrite(source, *args, **kwargs):
        arr = real(source, *args, **kwargs)
        if str(source) == str(victim):
            _write(victim, 55, size=24)
        return arr

    monkeypatch.setattr(dicodec, "read_pixels", read_then_rewrite)
    out = tmp_path / "out"
    dicodec.batch.decode(src, out, format="npy", threads=1, progress=None)
    monkeypatch.undo()
    rows = {Path(r["path"]).name: r for r in index_rows(out)}
    assert (rows["victim.dcm"]["status"], rows["victim.dcm"]["reason"]) == (
        "failed",
        "input_changed",
    )
    assert rows["other.dcm"]["status"] == "done"
    assert not (out / "in" / "victim.dcm.npy").exists()
    dicodec.batch.decode(src, out, format="npy", threads=1, progress=None)
    assert (np.load(out / "in" / "victim.dcm.npy") == 55).all()
