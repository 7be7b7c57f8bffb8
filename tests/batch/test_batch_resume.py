"""Resumption: the CLI is killed (SIGKILL) or interrupted (SIGINT) mid-run;
re-running the same command loses nothing and redoes only unfinished work."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zarr
from batch_util import index_rows, write_instance

N_SERIES, N_SLICES, SIZE = 6, 100, 96


def _uid(s: int) -> str:
    return f"1.2.826.0.1.3680043.10.998.{s + 1}"


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """600 single-frame files in 6 series; every pixel of slice k of series s
    holds 1000 * s + k + 1 (never 0: Zarr does not store all-zero chunks)."""
    src = tmp_path_factory.mktemp("resume") / "in"
    for s in range(N_SERIES):
        for k in range(N_SLICES):
            write_instance(
                src / f"series{s}" / f"{k:04d}.dcm",
                series_uid=_uid(s),
                sop_uid=f"{_uid(s)}.{k + 1}",
                instance_number=k + 1,
                position=(0.0, 0.0, float(k)),
                pixels=np.full((SIZE, SIZE), 1000 * s + k + 1, dtype=np.uint16),
            )
    return src


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _journal_tasks(out: Path) -> list[dict]:
    recs = []
    path = out / ".dicodec" / "journal.jsonl"
    if not path.is_file():
        return recs
    for line in path.read_bytes().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("t") == "task":
            recs.append(rec)
    return recs


def _chunk(out: Path, row: dict) -> Path:
    return out / row["output"] / f"c.{row['frame_start']}.0.0"


def _check_store(out: Path) -> None:
    root = zarr.open_group(str(out), mode="r")
    for s in range(N_SERIES):
        arr = root[_uid(s)][:]
        assert arr.shape == (N_SLICES, SIZE, SIZE)
        np.testing.assert_array_equal(arr[:, 0, 0], 1000 * s + 1 + np.arange(N_SLICES))
        assert (arr == arr[:, :1, :1]).all()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_interrupted_run_resumes(source, tmp_path, sig):
    out = tmp_path / "out.zarr"
    cmd = [sys.executable, "-m", "dicodec", "decode", str(source), "-o", str(out), "--threads", "1"]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # SIGINT at its default disposition, so Python installs its handler
        # even when this suite was started with SIGINT ignored (`cmd &`).
        preexec_fn=_default_sigint,
    )
    deadline = time.monotonic() + 120
    while len(_journal_tasks(out)) < 40:
        assert proc.poll() is None, "finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    total = N_SERIES * N_SLICES
    before = {r["key"]: r for r in _journal_tasks(out)}
    assert 40 <= len(before) < total, "the kill did not land mid-run"
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert "run the same command again to resume" in stderr
        # The index was written on the way out: finished rows done, the rest pending.
        rows = index_rows(out)
        assert len(rows) == total
        statuses = [r["status"] for r in rows]
        assert statuses.count("done") >= len(before) and "pending" in statuses
    else:
        assert proc.returncode == -signal.SIGKILL
    # What the journal calls done is complete and correct on disk.
    done_rows = [r["row"] for r in before.values()]
    assert all(r["status"] == "done" for r in done_rows)
    root = zarr.open_group(str(out), mode="r")
    stamps = {}
    for r in done_rows:
        value = int(root[r["output"]][r["frame_start"], 0, 0])
        s = int(r["output"].rsplit(".", 1)[1]) - 1
        assert value == 1000 * s + int(r["sop_uid"].rsplit(".", 1)[1])
        stamps[r["path"]] = _chunk(out, r).stat().st_mtime_ns
    time.sleep(0.05)  # a rewrite now would get a later timestamp

    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    summary = dict(re.findall(r"^\s*(\S.*?)\s{2,}(\S+)$", p.stdout, re.M))
    assert int(summary["resumed (done before)"]) == len(before)
    assert int(summary["decoded"]) == total - len(before)
    rows = index_rows(out)
    assert [r["status"] for r in rows] == ["done"] * total
    _check_store(out)
    # Work finished before the interruption was not redone.
    for r in rows:
        if r["path"] in stamps:
            assert _chunk(out, r).stat().st_mtime_ns == stamps[r["path"]], r["path"]
    after = _journal_tasks(out)
    assert len(after) == total  # one record per input: nothing journalled twice
    assert not list(out.rglob("*.partial"))
    # A third run has nothing to do.
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and f"resumed (done before)  {total}" in p.stdout
    # --overwrite starts over.
    p = subprocess.run([*cmd, "--overwrite"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0
    assert "resumed (done before)  0" in p.stdout and len(_journal_tasks(out)) == total
