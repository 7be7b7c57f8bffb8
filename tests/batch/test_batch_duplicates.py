"""Issue 17 item 4: the same SOP Instance UID twice in a series is not
stacked silently."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")
zarr = pytest.importorskip("zarr")
pytest.importorskip("pyarrow")

from batch_util import index_rows  # noqa: E402

import dicodec.batch  # noqa: E402

CT = pydicom.data.get_testdata_file("CT_small.dcm")


def test_equal_copies_are_kept_once(tmp_path):
    src = tmp_path / "arch"
    src.mkdir()
    shutil.copyfile(CT, src / "ct.dcm")
    with zipfile.ZipFile(src / "more.zip", "w") as zf:
        zf.write(CT, "copy/ct.dcm")
    out = tmp_path / "o.zarr"
    report = dicodec.batch.decode([src], out)
    assert report.decoded == 1 and report.skipped == 1, report.table()
    assert report.skipped_reasons == {"duplicate": 1}
    assert "duplicate: 1" in report.table()
    rows = {r["path"]: r for r in index_rows(out)}
    dup = rows[f"{src / 'more.zip'}::copy/ct.dcm"]
    assert dup["status"] == "skipped" and dup["reason"] == "duplicate"
    assert str(src / "ct.dcm") in dup["error"]
    ds = pydicom.dcmread(CT)
    arr = zarr.open_array(str(out), path=ds.SeriesInstanceUID, mode="r")
    assert arr.shape == (1, 128, 128)  # one slice, not two copies of it
    np.testing.assert_array_equal(arr[0], ds.pixel_array)


def test_different_pixels_are_not_stacked(tmp_path):
    src = tmp_path / "arch"
    src.mkdir()
    shutil.copyfile(CT, src / "a.dcm")
    ds = pydicom.dcmread(CT)
    ds.PixelData = (ds.pixel_array + 1).astype(ds.pixel_array.dtype).tobytes()
    ds.save_as(src / "b.dcm")
    out = tmp_path / "o.zarr"
    report = dicodec.batch.decode([src], out)
    assert report.decoded == 2 and report.skipped == 0, report.table()
    group = zarr.open_group(str(out), path=ds.SeriesInstanceUID, mode="r")
    reason = group.attrs["unstacked_reason"]
    assert ds.SOPInstanceUID in reason and "2 times with different pixels" in reason


def test_cli_summary_names_duplicates(tmp_path):
    src = tmp_path / "arch"
    src.mkdir()
    shutil.copyfile(CT, src / "ct.dcm")
    with zipfile.ZipFile(src / "more.zip", "w") as zf:
        zf.write(CT, "ct.dcm")
    p = subprocess.run(
        [sys.executable, "-m", "dicodec", "decode", str(src), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert "duplicate: 1" in p.stdout
