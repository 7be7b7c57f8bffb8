"""Issue 17 item 2: progress on a terminal without tqdm degrades to plain
lines (decode, demo, and ``dicodec.batch.decode(progress="auto")``)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from cli_util import env_for, no_traceback, run_pty

pydicom = pytest.importorskip("pydicom")
pytest.importorskip("zarr")
pytest.importorskip("pyarrow")


@pytest.fixture
def sources(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("CT_small.dcm", "MR_small.dcm", "SC_rgb_rle_2frame.dcm"):
        shutil.copyfile(pydicom.data.get_testdata_file(name), src / name)
    return src


def test_decode_on_a_terminal_without_tqdm(tmp_path, sources):
    rc, out = run_pty(
        ["decode", str(sources), "-o", str(tmp_path / "o.zarr")], tmp_path, block_tqdm=True
    )
    assert rc == 0, out
    assert no_traceback(out) and "tqdm" not in out, out
    assert "decode: 3/3 files" in out and "files/s" in out, out  # the plain lines
    assert (tmp_path / "o.zarr" / "index.parquet").is_file()


def test_decode_on_a_terminal_with_tqdm_shows_a_bar(tmp_path, sources):
    pytest.importorskip("tqdm")
    rc, out = run_pty(["decode", str(sources), "-o", str(tmp_path / "o.zarr")], tmp_path)
    assert rc == 0, out
    assert "3/3" in out and "decode: 3/3 files" not in out, out  # the bar, not the lines


def test_demo_on_a_terminal_without_tqdm(tmp_path):
    rc, out = run_pty(["demo", "--dir", str(tmp_path / "demo")], tmp_path, block_tqdm=True)
    assert rc == 0, out
    assert no_traceback(out) and "No module named" not in out, out
    assert "series in" in out and "files/s" in out, out
    # The table shows paths relative to the sample folder, never cut from the left.
    assert "archive.zip::" in out and "folder/" in out, out
    assert "/samples/" not in out.split("input", 1)[1].split("series in")[0], out


def test_library_progress_auto_on_a_terminal_without_tqdm(tmp_path, sources):
    pty = pytest.importorskip("pty")
    import os

    code = (
        "import sys, dicodec.batch as b; "
        f"r = b.decode([{str(sources)!r}], {str(tmp_path / 'lib.zarr')!r}, progress='auto'); "
        "sys.exit(0 if r.ok else 1)"
    )
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=slave,
        stderr=slave,
        env=env_for(tmp_path, block_tqdm=True),
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    out = b"".join(chunks).decode(errors="replace")
    assert proc.wait(timeout=120) == 0, out
    assert no_traceback(out) and "decode: 3/3 files" in out, out


def test_tqdm_block_really_blocks(tmp_path):
    p = subprocess.run(
        [sys.executable, "-c", "import tqdm"],
        capture_output=True,
        text=True,
        env=env_for(tmp_path, block_tqdm=True),
    )
    assert p.returncode != 0 and "No module named 'tqdm'" in p.stderr
