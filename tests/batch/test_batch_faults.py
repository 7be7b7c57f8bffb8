"""Faults during ``dicodec decode``: the output file system refuses a write
(``RLIMIT_FSIZE`` -> ``EFBIG``, as a full disk gives ``ENOSPC``), and two runs
on one OUT at once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from batch_util import cli_env, index_rows, run_cli, slow_run, write_instance

_env = cli_env


def _cli(args: list[str], fsize: int | None = None, **kw) -> subprocess.CompletedProcess:
    return run_cli("decode", args, fsize, **kw)


def _inputs(folder: Path) -> dict[str, np.ndarray]:
    """Six files; the third decodes to 128 KiB (over the limit), the others
    to under 1 KiB."""
    rng = np.random.default_rng(7)
    arrays = {}
    for i in range(6):
        shape = (256, 256) if i == 2 else (16, 16)
        arr = rng.integers(0, 60000, size=shape, dtype=np.uint16)
        name = f"a{i}.dcm"
        write_instance(
            folder / name,
            series_uid=f"1.2.826.0.1.3680043.10.995.{i}",
            instance_number=1,
            pixels=arr,
        )
        arrays[name] = arr
    return arrays


def _journal_rows(out: Path) -> dict[str, dict]:
    rows = {}
    for line in (out / ".dicodec" / "journal.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec.get("t") == "task":
            rows[rec["row"]["path"]] = rec["row"]
    return rows


def _partials(out: Path) -> list[str]:
    return [
        os.path.join(d, f) for d, _, files in os.walk(out) for f in files if f.endswith(".partial")
    ]


@pytest.mark.parametrize("fmt", ["npy", "zarr"])
def test_output_full_stops_and_resumes(tmp_path: Path, fmt: str) -> None:
    src = tmp_path / "in"
    arrays = _inputs(src)
    out = tmp_path / "out"
    args = [str(src), "-o", str(out), "--format", fmt, "--threads", "1"]
    if fmt == "zarr":
        args += ["--compression", "none"]  # random data: keep the big chunk big

    first = _cli(args, fsize=100_000)
    assert first.returncode == 1, first.stderr
    assert "cannot write the output" in first.stderr
    assert "run the same command again" in first.stderr
    assert "Traceback" not in first.stderr

    rows = {Path(r["path"]).name: r for r in index_rows(out)}
    assert rows["a2.dcm"]["status"] == "failed"
    assert rows["a2.dcm"]["reason"] == "output_error"
    assert "cannot write the output" in rows["a2.dcm"]["error"]
    assert all(r["reason"] != "unreadable" for r in rows.values())
    # The run stopped: inputs after the failure are not all attempted.
    assert sum(r["status"] == "pending" for r in rows.values()) >= 1
    # Nothing half-written under a final name, no temporary files left.
    assert _partials(out) == []
    if fmt == "npy":
        for name, r in rows.items():
            npy = out / "in" / (name + ".npy")
            if r["status"] == "done":
                assert np.array_equal(np.load(npy), arrays[name])
            else:
                assert not npy.exists(), name
    # Journal and index agree on every input the journal knows.
    journal = _journal_rows(out)
    assert journal
    for path, jrow in journal.items():
        irow = next(r for r in rows.values() if r["path"] == path)
        assert (irow["status"], irow["reason"]) == (jrow["status"], jrow["reason"])

    # Space is back: the same command (no --retry-failed) completes every input.
    second = _cli(args)
    assert second.returncode == 0, second.stderr
    rows = {Path(r["path"]).name: r for r in index_rows(out)}
    assert all(r["status"] == "done" for r in rows.values()), rows
    assert _partials(out) == []
    for name, r in rows.items():
        if fmt == "npy":
            got = np.load(out / "in" / (name + ".npy"))
        else:
            import zarr

            got = zarr.open_array(str(out), path=r["output"], mode="r")[0]
        assert np.array_equal(got, arrays[name]), name


def test_second_run_on_same_out_refuses(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _inputs(src)
    out = tmp_path / "out"
    args = ["decode", str(src), "-o", str(out), "--format", "npy", "--threads", "1"]
    with slow_run(args, "dicodec:read_pixels", "decoding") as first:  # holds the lock now
        t0 = time.monotonic()
        second = _cli(args[1:])
        assert time.monotonic() - t0 < 60
        assert second.returncode == 2, second.stderr
        assert "being written by another dicodec run" in second.stderr
        assert f"process {first.pid}" in second.stderr
        assert not list(out.glob("in/*.npy.*"))
        rc = first.wait(timeout=120)
        assert rc == 0, first.stderr.read() if first.stderr else ""
    # Once the first is done, the same command runs (and finds everything done).
    again = _cli(args[1:])
    assert again.returncode == 0, again.stderr
    assert re.search(r"resumed \(done before\)\s+6\b", again.stdout), again.stdout
    assert all(r["status"] == "done" for r in index_rows(out))
