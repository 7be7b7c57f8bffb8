"""``dicodec transcode`` / ``dicodec.batch.transcode`` over folders and
archives: the mirrored tree of Part 10 files, hostile archive members,
resumption after SIGKILL, a full output disk, the lock, the CLI."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from batch_util import index_rows, make_archives, run_cli, slow_run
from test_batch_faults import _env, _journal_rows, _partials
from test_batch_hostile import _hostile_names, _make_tar, _make_zip, _snapshot
from transcode_util import pydicom_pixels, rich_dataset, same_elements

import dicodec
import dicodec.batch
from dicodec import uids

pydicom = pytest.importorskip("pydicom")


def _inputs(folder: Path, n: int = 6, big: int | None = None) -> dict[str, np.ndarray]:
    """``n`` rich files with different pixels; file ``big`` is 256 KiB of
    incompressible data (to fill a small disk)."""
    rng = np.random.default_rng(16)
    arrays = {}
    for i in range(n):
        shape = (512, 256) if i == big else (2, 16, 12)
        arr = rng.integers(0, 65535, size=shape, dtype=np.uint16)
        (folder / "sub").mkdir(parents=True, exist_ok=True)
        name = f"sub/f{i}.dcm"
        (folder / name).write_bytes(rich_dataset(arr))
        arrays[name] = arr
    return arrays


def _cli(args: list[str], fsize: int | None = None) -> subprocess.CompletedProcess:
    return run_cli("transcode", args, fsize)


def test_folder_and_archives_mirrored(tmp_path: Path) -> None:
    src = tmp_path / "in"
    arrays = _inputs(src)
    archives = make_archives(sorted(src.glob("sub/*.dcm")), tmp_path / "arch")
    out = tmp_path / "out"
    report = dicodec.batch.transcode([src, *archives], out, to="jpeg-ls", verify=True)
    assert report.ok and report.decoded == 2 * len(arrays), report.table()
    rows = index_rows(out)
    assert all(r["status"] == "done" for r in rows)
    by_name: dict[str, list[Path]] = {}
    for r in rows:
        p = out / r["output"]
        assert p.is_file() and out.resolve() in p.resolve().parents
        by_name.setdefault(Path(r["path"].split("::")[-1]).name, []).append(p)
    # The mirror: OUT/<source name>/<path below it>.
    assert (out / "in" / "sub" / "f0.dcm").is_file()
    assert (out / "part.zip" / "sub" / "f0.dcm").is_file()
    for name, paths in by_name.items():
        src_bytes = (src / "sub" / name).read_bytes()
        assert len(paths) == 2
        for p in paths:
            data = p.read_bytes()
            assert dicodec.frame_info(data).transfer_syntax_uid == dicodec.transcode.resolve_syntax(
                "jpeg-ls"
            )
            assert same_elements(src_bytes, data) == []
            assert np.array_equal(pydicom_pixels(data), arrays[f"sub/{name}"])
    # Non-image inputs are skipped with a reason, not copied.
    (src / "notes.txt").write_text("hello")
    again = dicodec.batch.transcode([src], out / "x", to="rle")
    reasons = {r["reason"] for r in index_rows(out / "x") if r["status"] == "skipped"}
    assert reasons and again.ok


def test_lossy_target_refused(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _inputs(src, 1)
    p = _cli([str(src), "-o", str(tmp_path / "o"), "--to", "jpeg-ls-near"])
    assert p.returncode == 2 and "--to jpeg-ls-near" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr
    p = _cli([str(src), "-o", str(tmp_path / "o"), "--to", "nonsense"])
    assert p.returncode == 2 and "unknown transfer syntax" in p.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("*.dcm"))


def test_help_and_list() -> None:
    p = _cli(["--help"])
    assert p.returncode == 0
    for word in ("--to", "--allow-lossy", "--verify", "--dask", "examples:", "jpeg-ls"):
        assert word in p.stdout
    p = _cli(["--list-syntaxes"])
    assert p.returncode == 0 and uids.JPEG_LOSSLESS_SV1 in p.stdout


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_hostile_archives_write_nothing_outside_out(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "target.dcm").write_bytes(b"victim")
    src = tmp_path / "in"
    src.mkdir()
    payload = rich_dataset(np.arange(12, dtype=np.uint16).reshape(3, 4))
    names = _hostile_names(victim)
    _make_zip(src / "evil.zip", names, payload)
    _make_tar(src / "evil.tar", names, payload, victim, "w")
    _make_tar(src / "evil.tar.gz", names, payload, victim, "w:gz")
    out = tmp_path / "work" / "out"
    before = _snapshot(tmp_path, out)
    report = dicodec.batch.transcode([src], out, to="rle", threads=2)
    assert _snapshot(tmp_path, out) == before, "files appeared or changed outside OUT"
    assert (victim / "target.dcm").read_bytes() == b"victim"
    rows = index_rows(out)
    done = [r for r in rows if r["status"] == "done"]
    outputs = [r["output"] for r in done]
    assert len(outputs) == len({o.casefold() for o in outputs})  # one file per input
    for o in outputs:
        p = (out / o).resolve()
        assert out.resolve() in p.parents and p.is_file(), o
        assert not o.startswith((".dicodec", "index.parquet")), o
    skipped = {r["reason"] for r in rows if r["status"] == "skipped"}
    assert {"link_member", "duplicate_member", "not_regular_member"} <= skipped
    # Every regular, uniquely named member was transcoded (no duplicate dropping).
    assert len(done) == len(names) + 2 * (len(names) + 1), report.table()
    assert (out / ".dicodec" / "journal.jsonl").read_bytes().startswith(b"{")


def test_resume_after_sigkill(tmp_path: Path) -> None:
    src = tmp_path / "in"
    rng = np.random.default_rng(3)
    arrays = {}
    for i in range(120):
        arr = rng.integers(0, 4096, size=(64, 64), dtype=np.uint16)
        (src / f"d{i // 40}").mkdir(parents=True, exist_ok=True)
        (src / f"d{i // 40}" / f"{i:03d}.dcm").write_bytes(rich_dataset(arr))
        arrays[f"{i:03d}.dcm"] = arr
    out = tmp_path / "out"
    args = [str(src), "-o", str(out), "--to", "jpeg-lossless", "--threads", "1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "dicodec", "transcode", *args, "--progress", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    deadline = time.monotonic() + 120
    while not (out / ".dicodec" / "journal.jsonl").is_file() or len(_journal_rows(out)) < 10:
        assert proc.poll() is None, "finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    before = _journal_rows(out)
    assert 10 <= len(before) < len(arrays)
    p = _cli(args)
    assert p.returncode == 0, p.stderr
    summary = dict(re.findall(r"^\s*(\S.*?)\s{2,}(\S+)$", p.stdout, re.M))
    assert int(summary["resumed (done before)"]) == len(before)
    rows = index_rows(out)
    assert len(rows) == len(arrays) and all(r["status"] == "done" for r in rows)
    assert _partials(out) == []
    for r in rows:
        got = pydicom_pixels((out / r["output"]).read_bytes())
        assert np.array_equal(got, arrays[Path(r["output"]).name])


def test_output_disk_full_stops_and_resumes(tmp_path: Path) -> None:
    src = tmp_path / "in"
    arrays = _inputs(src, 6, big=2)
    out = tmp_path / "out"
    args = ["--to", "native", "--threads", "1"]  # native: the big file stays big

    def run(fsize: int | None) -> subprocess.CompletedProcess:
        return _cli([str(src), "-o", str(out), *args], fsize=fsize)

    first = run(200_000)
    assert first.returncode == 1, first.stderr
    assert "cannot write the output" in first.stderr and "Traceback" not in first.stderr
    rows = {Path(r["path"]).name: r for r in index_rows(out)}
    assert rows["f2.dcm"]["status"] == "failed"
    assert rows["f2.dcm"]["reason"] == "output_error"
    assert all(r["reason"] != "unreadable" for r in rows.values())
    assert _partials(out) == []
    for name, r in rows.items():
        final = out / "in" / "sub" / name
        if r["status"] == "done":
            assert np.array_equal(pydicom_pixels(final.read_bytes()), arrays[f"sub/{name}"])
        else:
            assert not final.exists(), name  # nothing half-written under a final name
    second = run(None)
    assert second.returncode == 0, second.stderr
    rows = {Path(r["path"]).name: r for r in index_rows(out)}
    assert all(r["status"] == "done" for r in rows.values())
    for name in rows:
        got = pydicom_pixels((out / "in" / "sub" / name).read_bytes())
        assert np.array_equal(got, arrays[f"sub/{name}"])


def test_second_run_on_same_out_refuses(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _inputs(src, 3)
    out = tmp_path / "out"
    args = ["transcode", str(src), "-o", str(out), "--to", "rle", "--threads", "1"]
    with slow_run(args, "dicodec.transcode:transcode_parts", "transcoding") as first:
        second = _cli(args[1:])
        assert second.returncode == 2, second.stderr
        assert "being written by another dicodec run" in second.stderr
        assert first.wait(timeout=120) == 0
    again = _cli(args[1:])
    assert again.returncode == 0 and re.search(r"resumed \(done before\)\s+3\b", again.stdout)
    # Another target on the same OUT is refused (it holds RLE files).
    other = _cli([str(src), "-o", str(out), "--to", "native"])
    assert other.returncode == 2 and "--overwrite" in other.stderr


def test_dask_local_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    src = tmp_path / "in"
    arrays = _inputs(src, 4)
    out = tmp_path / "out"
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2) as client:
        report = dicodec.batch.transcode([src], out, to="jpeg-lossless", client=client)
    assert report.ok and report.decoded == 4
    for name, arr in arrays.items():
        assert np.array_equal(pydicom_pixels((out / "in" / name).read_bytes()), arr)


def test_progress_lines_say_transcode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The plain progress lines of a transcode name it (decode's say decode)."""
    _inputs(tmp_path / "in", n=2)
    r = dicodec.batch.transcode(
        [tmp_path / "in"], tmp_path / "out", to="jpeg-ls", threads=1, progress="lines"
    )
    assert r.ok, r.table()
    err = capsys.readouterr().err
    assert "transcode: 2/2 files (100.0%)" in err and "files/s transcoding" in err, err
    assert "decode:" not in err, err


def test_verify_on_rerun_redoes_unverified_outputs(tmp_path: Path) -> None:
    """A rerun with verify=True redoes (verified) what a run without it
    wrote; what was verified is resumed as usual."""
    arrays = _inputs(tmp_path / "in", n=2)
    out = tmp_path / "out"
    first = dicodec.batch.transcode([tmp_path / "in"], out, to="jpeg-ls", threads=1)
    assert first.ok and first.resumed == 0, first.table()
    second = dicodec.batch.transcode([tmp_path / "in"], out, to="jpeg-ls", threads=1, verify=True)
    assert second.ok and second.resumed == 0 and second.decoded == 2, second.table()
    third = dicodec.batch.transcode([tmp_path / "in"], out, to="jpeg-ls", threads=1, verify=True)
    assert third.ok and third.resumed == 2 and third.decoded == 0, third.table()
    fourth = dicodec.batch.transcode([tmp_path / "in"], out, to="jpeg-ls", threads=1)
    assert fourth.resumed == 2, fourth.table()  # verified outputs also do without verify
    for name, arr in arrays.items():
        got = dicodec.read_pixels(out / "in" / name)
        assert np.array_equal(got, arr), name
