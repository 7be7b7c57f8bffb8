"""Issue 17 items 8, 9 and 11: the real console script never prints a
traceback for a user's mistake, and its exit codes tell the truth."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest
from cli_util import dicodec_cmd, env_for, no_traceback, run

pydicom = pytest.importorskip("pydicom")
pytest.importorskip("pyarrow")


@pytest.fixture
def ct(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copyfile(pydicom.data.get_testdata_file("CT_small.dcm"), src / "CT_small.dcm")
    return src / "CT_small.dcm"


def test_scan_output_in_a_missing_folder(tmp_path, ct):
    p = run(["scan", str(ct.parent), "-o", "/nonexistent/x.parquet"], tmp_path)
    assert p.returncode == 2 and no_traceback(p.stderr), p.stderr
    assert "/nonexistent" in p.stderr and "does not exist" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_decode_output_is_a_file(tmp_path, ct):
    out = tmp_path / "somefile.txt"
    out.write_text("x")
    p = run(["decode", str(ct.parent), "-o", str(out)], tmp_path)
    assert p.returncode == 2 and no_traceback(p.stderr), p.stderr
    assert "somefile.txt" in p.stderr and "not a folder" in p.stderr
    assert out.read_text() == "x"


def test_dask_scheduler_unreachable(tmp_path, ct):
    pytest.importorskip("distributed")
    t0 = time.perf_counter()
    p = run(
        [
            "decode",
            str(ct.parent),
            "-o",
            str(tmp_path / "o"),
            "--dask",
            "tcp://127.0.0.1:1",
            "--dask-timeout",
            "2",
        ],
        tmp_path,
    )
    assert p.returncode == 2 and no_traceback(p.stderr), p.stderr
    assert "tcp://127.0.0.1:1" in p.stderr and "cannot reach" in p.stderr
    assert time.perf_counter() - t0 < 25


@pytest.mark.parametrize("command", ["info", "scan"])
def test_closed_pipe_is_quiet(tmp_path, ct, command):
    args = [str(ct)] * 200 if command == "info" else [str(ct.parent)]
    proc = subprocess.Popen(
        [*dicodec_cmd(), command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env_for(tmp_path),
    )
    proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    rc = proc.wait(timeout=60)
    assert no_traceback(err) and "BrokenPipeError" not in err, err
    assert rc in (0, 141), (rc, err)  # 0 when everything fit in the pipe before it closed


def test_info_json_lines_and_broken_pipe_exit_code(tmp_path, ct):
    p = run(["info", "--json", str(ct), str(ct) + ".missing"], tmp_path)
    assert p.returncode == 1
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert lines[0]["path"] == str(ct) and lines[0]["rows"] == 128
    assert "error" in lines[1]
    # Many files into a closed pipe: exit 141 (as if killed by SIGPIPE), no traceback.
    proc = subprocess.Popen(
        [*dicodec_cmd(), "info", "--json", *[str(ct)] * 2000],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env_for(tmp_path),
    )
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and no_traceback(err), err


def test_scan_missing_input(tmp_path):
    p = run(["scan", str(tmp_path / "nonexistent_dir")], tmp_path)
    assert p.returncode == 2 and "nonexistent_dir" in p.stderr and no_traceback(p.stderr)


def test_decode_missing_input_creates_nothing(tmp_path):
    out = tmp_path / "store"
    p = run(["decode", str(tmp_path / "nonexistent"), "-o", str(out)], tmp_path)
    assert p.returncode == 2 and "nonexistent" in p.stderr and no_traceback(p.stderr)
    assert not out.exists()


def test_nothing_found_is_not_success(tmp_path):
    empty = tmp_path / "emptydir"
    empty.mkdir()
    p = run(["decode", str(empty), "-o", str(tmp_path / "o")], tmp_path)
    assert p.returncode == 1 and "no inputs found" in p.stderr, p.stderr
    p = run(["decode", str(empty), "-o", str(tmp_path / "o2"), "--allow-empty"], tmp_path)
    assert p.returncode == 0, p.stderr
    p = run(["scan", str(empty)], tmp_path)
    assert p.returncode == 1 and "no files found" in p.stderr, p.stderr
    p = run(["scan", str(empty), "--allow-empty"], tmp_path)
    assert p.returncode == 0, p.stderr


def test_scan_fail_fast_does_not_claim_zero(tmp_path, ct):
    (ct.parent / "zz_bad.dcm").write_bytes(b"\x08\x00\x10\x00" + b"\xff" * 40)
    p = run(["scan", str(ct.parent), "--fail-fast", "-o", str(tmp_path / "x.csv")], tmp_path)
    assert p.returncode == 1 and no_traceback(p.stderr), p.stderr
    assert "stopped at the first error" in p.stderr
    assert "0 files, 0 errors" not in p.stderr


def test_usage_errors(tmp_path, ct):
    p = run(["scan", str(ct), "--no-such-option"], tmp_path)
    assert p.returncode == 2 and "usage: dicodec scan" in p.stderr, p.stderr
    p = run(["bench", "--repeat", "0"], tmp_path)
    assert p.returncode == 2 and "--repeat" in p.stderr and no_traceback(p.stderr)
    p = run(["decode", str(ct.parent), "-o", str(tmp_path / "o"), "--frames", "a-b"], tmp_path)
    assert p.returncode == 2 and "--frames" in p.stderr and no_traceback(p.stderr)
    p = run(["decode", str(ct.parent), "-o", str(tmp_path / "o"), "--threads", "1000000"], tmp_path)
    assert p.returncode == 2 and "1000000" in p.stderr and no_traceback(p.stderr)


def test_help_texts(tmp_path):
    p = run(["scan", "--help"], tmp_path)
    assert p.returncode == 0 and "``" not in p.stdout
    p = run(["decode", "--help"], tmp_path)
    assert "--format" in p.stdout and "one .npy per input" in p.stdout.replace("\n", " ")
    p = run(["demo", "--help"], tmp_path)
    assert "inputs decoded at once" in p.stdout.replace("\n", " ")


def test_scan_summary_grammar(tmp_path, ct):
    p = run(["scan", str(ct.parent), "-o", str(tmp_path / "x.csv")], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "1 file, 0 errors" in p.stderr, p.stderr


def test_scan_reads_archives_like_decode(tmp_path, ct):
    import tarfile
    import zipfile

    with zipfile.ZipFile(tmp_path / "more.zip", "w") as zf:
        zf.write(ct, "sub/ct.dcm")
    with tarfile.open(tmp_path / "more.tar.gz", "w:gz") as tf:
        tf.add(ct, "t/ct.dcm")
    out = tmp_path / "x.csv"
    p = run(
        [
            "scan",
            str(ct),
            str(tmp_path / "more.zip"),
            str(tmp_path / "more.tar.gz"),
            "--tags",
            "Rows,Columns",
            "-o",
            str(out),
        ],
        tmp_path,
    )
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert f"{tmp_path / 'more.zip'}::sub/ct.dcm" in text
    assert f"{tmp_path / 'more.tar.gz'}::t/ct.dcm" in text
    assert "not a DICOM file" not in text
    assert text.count(",128,128,") == 3, text


def test_scan_reads_archives_in_batches(tmp_path, ct):
    """Archive members are written out and scanned --batch-size at a time
    (memory and the temporary folder do not grow with the archive); the rows
    keep the archive's order and decode's paths."""
    import zipfile

    with zipfile.ZipFile(tmp_path / "many.zip", "w") as zf:
        for i in range(5):
            zf.write(ct, f"d/{i}.dcm")
        zf.writestr("d/not.txt", b"plain text")
    out = tmp_path / "x.csv"
    args = ["scan", str(tmp_path / "many.zip"), "--tags", "Rows", "--batch-size", "2", "-o"]
    p = run([*args, str(out)], tmp_path)
    assert p.returncode == 0, p.stderr
    lines = out.read_text().splitlines()[1:]
    names = [f"{tmp_path / 'many.zip'}::d/{n}" for n in ("0.dcm", "1.dcm", "2.dcm", "3.dcm")]
    names += [f"{tmp_path / 'many.zip'}::d/{n}" for n in ("4.dcm", "not.txt")]
    assert [line.split(",")[0].strip('"') for line in lines] == names, lines
    assert sum(",128," in line for line in lines) == 5
    assert "not a DICOM file" in lines[-1]


def test_bad_max_alloc_is_one_line(tmp_path, ct):
    p = run(["info", str(ct)], tmp_path, DICODEC_MAX_ALLOC="abc")
    assert p.returncode == 2 and no_traceback(p.stderr), p.stderr
    assert "DICODEC_MAX_ALLOC" in p.stderr and "'abc' is not a size" in p.stderr
    p = run(["info", str(ct)], tmp_path, DICODEC_MAX_ALLOC="1G")
    assert p.returncode == 0, p.stderr
