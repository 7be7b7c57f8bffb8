"""``dicodec decode`` killed (SIGKILL) at random moments, 50 times in a row on
one OUT, then run to the end: the outputs and the index are those of an
uninterrupted run (issue 16, point 4).

Small inputs (a few dozen 32 x 32 images, a multi-frame file, an RLE file and
a zip). So that 50 kills take seconds, not minutes of interpreter start-ups,
each killed run is a fork of a process that has already imported dicodec
(the CLI's ``main`` with the same arguments, in a fresh child: its own lock,
journal and thread pools); the kill moment is uniform over one whole run, so
kills land while headers are read, outputs created and written, the journal
appended and the index written. The reference and the final run are plain
``python -m dicodec decode`` processes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from batch_util import index_rows, read_output, write_instance

ROOT = Path(__file__).resolve().parents[2]
KILLS = 50
# Index columns that depend on timing, not on the outcome.
TIMING = ("seconds",)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


def _inputs(src: Path) -> None:
    rng = np.random.default_rng(16)
    for s in range(3):
        uid = f"1.2.826.0.1.3680043.10.996.{s + 1}"
        for k in range(8):
            write_instance(
                src / f"s{s}" / f"{k:02d}.dcm",
                series_uid=uid,
                sop_uid=f"{uid}.{k + 1}",
                instance_number=k + 1,
                position=(0.0, 0.0, float(k)),
                pixels=rng.integers(1, 4000, size=(32, 32), dtype=np.uint16),
            )
    write_instance(
        src / "multi.dcm",
        series_uid="1.2.826.0.1.3680043.10.996.9",
        pixels=rng.integers(1, 250, size=(5, 24, 40), dtype=np.uint8),
    )
    import pydicom
    from pydicom.uid import RLELossless

    rle = write_instance(
        src / "rle.dcm",
        series_uid="1.2.826.0.1.3680043.10.996.10",
        pixels=rng.integers(1, 4000, size=(32, 32), dtype=np.uint16),
    )
    ds = pydicom.dcmread(rle)
    ds.compress(RLELossless, encoding_plugin="pydicom")
    ds.save_as(rle)
    tmp = src.parent / "zipped"
    with zipfile.ZipFile(src / "more.zip", "w") as zf:
        for k in range(6):
            p = write_instance(
                tmp / f"z{k}.dcm",
                series_uid="1.2.826.0.1.3680043.10.996.11",
                sop_uid=f"1.2.826.0.1.3680043.10.996.11.{k + 1}",
                instance_number=k + 1,
                position=(0.0, 0.0, float(k)),
                pixels=rng.integers(1, 4000, size=(32, 32), dtype=np.uint16),
            )
            zf.write(p, f"sub/z{k}.dcm")
    (src / "notes.txt").write_text("not DICOM")


def _cmd(src: Path, out: Path, fmt: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dicodec",
        "decode",
        str(src),
        "-o",
        str(out),
        "--format",
        fmt,
        "--threads",
        "2",
        "--progress",
        "none",
    ]


# Forks one `dicodec decode` per line of stdin (the arguments, as JSON) and
# prints the child's pid; the next line of stdin ("reap") makes it wait for
# the child and print its wait status. Until then a finished child stays a
# zombie, so its pid cannot be reused by another process before the kill.
_FORKER = """
import json, os, sys
import numpy, pyarrow.parquet, zarr
import dicodec.batch.core, dicodec.batch.execute
from dicodec.cli import main
while line := sys.stdin.readline():
    args = json.loads(line)
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.environ["KILL_ERR"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            rc = main(args)
        except SystemExit as e:
            rc = e.code
        os._exit(rc or 0)
    print(pid, flush=True)
    sys.stdin.readline()
    print(os.waitpid(pid, 0)[1], flush=True)
"""


class _Forker:
    def __init__(self, err: Path) -> None:
        self.err = err  # the last child's stderr
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _FORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**_env(), "KILL_ERR": str(err)},
        )

    def start(self, args: list[str]) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(args) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def wait(self) -> int:
        """The wait status of the last child."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("reap\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _files(out: Path) -> list[str]:
    """Every file under OUT but dicodec's own state (journal, lock)."""
    found = []
    for d, _, names in os.walk(out):
        rel = os.path.relpath(d, out)
        if rel.split(os.sep)[0] == ".dicodec":
            continue
        found += [os.path.normpath(os.path.join(rel, n)) for n in names]
    return sorted(found)


def _rows(out: Path) -> dict[str, dict]:
    rows = {}
    for r in index_rows(out):
        rows[r["path"]] = {k: v for k, v in r.items() if k not in TIMING}
    return rows


@pytest.mark.parametrize("fmt,kills", [("zarr", KILLS), ("npy", 20)])
def test_kills_then_resume_equals_uninterrupted(tmp_path: Path, fmt: str, kills: int) -> None:
    src = tmp_path / "in"
    _inputs(src)
    ref = tmp_path / "ref"
    done = subprocess.run(_cmd(src, ref, fmt), capture_output=True, text=True, env=_env())
    assert done.returncode == 0, done.stderr
    ref_rows = _rows(ref)
    assert sum(r["status"] == "done" for r in ref_rows.values()) == 3 * 8 + 2 + 6

    forker = _Forker(tmp_path / "child.err")
    try:
        # How long one whole run takes in a forked child.
        t0 = time.monotonic()
        forker.start(_cmd(src, tmp_path / "timing", fmt)[3:])
        assert forker.wait() == 0
        full = time.monotonic() - t0

        out = tmp_path / "out"
        rnd = random.Random(1616)
        killed = 0
        for _ in range(kills):
            t0 = time.monotonic()
            pid = forker.start(_cmd(src, out, fmt)[3:])
            time.sleep(rnd.uniform(0.0, 1.1 * full))
            os.kill(pid, signal.SIGKILL)  # a zombie until reaped: never another process
            status = forker.wait()
            if status == 0:
                # It ended before the kill: resumed runs have less to do, so
                # the next kill moment is drawn over this shorter run.
                full = time.monotonic() - t0
            else:
                assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
                    status,
                    forker.err.read_text(errors="replace"),
                )
                killed += 1
    finally:
        forker.close()
    last = subprocess.run(_cmd(src, out, fmt), capture_output=True, text=True, env=_env())
    assert last.returncode == 0, last.stderr
    assert "Traceback" not in last.stderr

    # Same files (no temporary or half-written leftovers), same index rows,
    # same pixels.
    assert _files(out) == _files(ref)
    got = _rows(out)
    assert got.keys() == ref_rows.keys()
    for path, want in ref_rows.items():
        have = got[path]
        assert have == want, path
        if want["status"] == "done":
            np.testing.assert_array_equal(read_output(out, have), read_output(ref, want))
    if fmt == "npy":
        for f in _files(ref):
            if f.endswith(".npy"):
                np.testing.assert_array_equal(np.load(out / f), np.load(ref / f))
    # Many kills landed while a run was under way (once a run has finished,
    # the next runs have nothing to do, and more of them end before the kill).
    assert killed >= kills // 4, (killed, full)


def test_damaged_state_file_is_named(tmp_path: Path) -> None:
    """A state file emptied by a kill (as versions before the atomic write
    could leave it) stops the run with a message naming it and the way out,
    not a bare JSON error; --overwrite starts over."""
    from dicodec.batch import decode

    src = tmp_path / "in"
    write_instance(
        src / "a.dcm",
        series_uid="1.2.826.0.1.3680043.10.996.77",
        pixels=np.arange(64, dtype=np.uint16).reshape(8, 8) + 1,
    )
    out = tmp_path / "out"
    decode(src, out, progress="none")
    state = out / ".dicodec" / "state.json"
    assert json.loads(state.read_text())["format"] == "zarr"
    state.write_text("")
    with pytest.raises(ValueError, match=r"state\.json is damaged.*--overwrite"):
        decode(src, out, progress="none")
    report = decode(src, out, progress="none", overwrite=True)
    assert report.decoded == 1 and report.ok
    assert json.loads(state.read_text())["format"] == "zarr"
    assert not [p for p in (out / ".dicodec").iterdir() if p.name.endswith(".partial")]
