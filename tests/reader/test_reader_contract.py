"""Issue 17 items 1, 3, 6, 7 and 10: threads, the one frames parser,
non-DICOM input, error types, and the allocation setting."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import dicodec
from dicodec.errors import (
    DicodecError,
    FrameIndexError,
    FrameSelectionError,
    MalformedError,
    MissingAttributeError,
    NoPixelDataError,
    NotDicomError,
    SettingsError,
)

pydicom = pytest.importorskip("pydicom")
RLE2 = pydicom.data.get_testdata_file("SC_rgb_rle_2frame.dcm")
MULTI = pydicom.data.get_testdata_file("rtdose_rle.dcm")  # 15 frames, RLE


@pytest.fixture(scope="module")
def multi_all():
    ref = pydicom.dcmread(MULTI).pixel_array
    got = dicodec.read_pixels(MULTI)
    np.testing.assert_array_equal(got, ref)  # pydicom is the reference
    assert got.shape[0] == 15
    return got


# ---- 1. threads ---------------------------------------------------------


def _os_threads() -> int:
    return len(os.listdir("/proc/self/task"))


def test_absurd_thread_counts_are_refused_quickly():
    for n in (10**6, 3000):
        t0 = time.perf_counter()
        with pytest.raises(SettingsError, match=f"threads={n}"):
            dicodec.read_pixels(RLE2, threads=n)
        assert time.perf_counter() - t0 < 1
    with pytest.raises(SettingsError):
        dicodec.read_pixels(RLE2, threads=0)
    with pytest.raises(SettingsError):
        dicodec.read_pixels(RLE2, threads=2.5)


def test_scan_and_iter_decode_refuse_absurd_threads(tmp_path):
    pytest.importorskip("pyarrow")
    with pytest.raises(SettingsError, match="threads=1000000"):
        dicodec.scan(tmp_path, ["Rows"], threads=10**6)
    with pytest.raises(SettingsError, match="threads=1000000"):
        next(dicodec.iter_decode(tmp_path, threads=10**6))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_thread_pools_are_capped_and_bounded(multi_all):
    ref = dicodec.read_pixels(RLE2, threads=1)
    before = _os_threads()
    t0 = time.perf_counter()
    np.testing.assert_array_equal(dicodec.read_pixels(RLE2, threads=1024), ref)
    assert time.perf_counter() - t0 < 2
    # 2 frames: never more than 2 threads for them, whatever was asked.
    assert _os_threads() - before <= 2
    for n in range(2, 41):
        np.testing.assert_array_equal(dicodec.read_pixels(MULTI, threads=n), multi_all)
    cap = 4 * (os.cpu_count() or 1)
    # At most 4 pools are kept, each at most min(15 frames, 4 x CPUs) threads.
    assert _os_threads() - before <= 4 * min(15, cap), _os_threads() - before


# ---- 3. one frames parser ----------------------------------------------


def test_frames_mean_the_same_everywhere(multi_all, tmp_path):
    r = dicodec.read_pixels
    np.testing.assert_array_equal(r(MULTI, frames="9"), multi_all[[9]])  # parsed, not iterated
    np.testing.assert_array_equal(r(MULTI, frames="0,2"), multi_all[[0, 2]])
    np.testing.assert_array_equal(r(MULTI, frames="5:8,-1"), multi_all[[5, 6, 7, 14]])
    np.testing.assert_array_equal(r(MULTI, frames="::3"), multi_all[::3])
    np.testing.assert_array_equal(r(MULTI, frames=slice(0, 1)), multi_all[0:1])
    np.testing.assert_array_equal(r(MULTI, frames=slice(None, None, -4)), multi_all[::-4])
    np.testing.assert_array_equal(r(MULTI, frames=range(2, 4)), multi_all[2:4])
    np.testing.assert_array_equal(r(MULTI, frames=np.int64(1)), multi_all[1])  # no frame axis
    np.testing.assert_array_equal(r(MULTI, frames=[1]), multi_all[[1]])
    ds = pydicom.dcmread(MULTI)
    np.testing.assert_array_equal(r(ds, frames=slice(1, 3)), multi_all[1:3])
    # iter_decode: the same meanings.
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "e.dcm").write_bytes(open(MULTI, "rb").read())
    for spec, want in [
        ("9", multi_all[[9]]),
        ("0,2", multi_all[[0, 2]]),
        (1, multi_all[1]),
        ([1], multi_all[[1]]),
        (slice(0, 1), multi_all[0:1]),
    ]:
        ((_, arr, _),) = list(dicodec.iter_decode(tmp_path / "a", frames=spec))
        np.testing.assert_array_equal(arr, want)


@pytest.mark.parametrize(
    "bad", ["", "a", "1,,2", "1:2:3:4", "0:5:0", True, 1.5, b"0", ["0"], [0.5]]
)
def test_bad_frame_selections_are_refused(bad, tmp_path):
    with pytest.raises(FrameSelectionError) as e:
        dicodec.read_pixels(MULTI, frames=bad)
    assert isinstance(e.value, TypeError) and isinstance(e.value, DicodecError)
    with pytest.raises(FrameSelectionError):
        next(dicodec.iter_decode(MULTI, frames=bad))


# ---- 6. non-DICOM input ------------------------------------------------


def _foreign(tmp_path):
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("a.txt", "hello")
    files = {
        "README.txt": (b"# dicodec\n\nThis is a README, not an image.\n" * 20, "looks like text"),
        "data.json": (json.dumps({"a": [1, 2, 3]}).encode(), "looks like JSON"),
        "more.zip": (zbuf.getvalue(), "ZIP archive"),
        "x.gz": (gzip.compress(b"hello" * 100), "gzip"),
        "empty.bin": (b"", "empty"),
    }
    out = {}
    for name, (data, why) in files.items():
        (tmp_path / name).write_bytes(data)
        out[tmp_path / name] = why
    return out


def test_not_dicom_one_message_everywhere(tmp_path):
    pytest.importorskip("pyarrow")
    files = _foreign(tmp_path)
    for path, why in files.items():
        with pytest.raises(NotDicomError) as e:
            dicodec.read_pixels(path)
        msg = str(e.value)
        assert msg.startswith("not a DICOM file: ") and why in msg, msg
        assert "malformed" not in msg and msg.count("not a DICOM file") == 1
        assert isinstance(e.value, MalformedError)
        with pytest.raises(NotDicomError, match="^not a DICOM file: "):
            dicodec.read_pixels(path.read_bytes())
        with pytest.raises(NotDicomError):
            dicodec.frame_info(path)
    with pytest.raises(NotDicomError, match="empty"):
        dicodec.read_pixels(b"")
    # scan: the same message per file
    rows = {r["path"]: r["error"] for r in dicodec.scan(tmp_path, ["Rows"]).to_pylist()}
    for path, why in files.items():
        assert rows[str(path)].startswith("not a DICOM file: ") and why in rows[str(path)], rows
    # iter_decode(errors="yield"): not "not a DICOM file: not a DICOM file (...)"
    for _path, arr, meta in dicodec.iter_decode([tmp_path / "README.txt"], errors="yield"):
        assert arr is None
        assert meta["error"].count("not a DICOM file") == 1, meta["error"]


def test_rt_plan_has_no_pixel_data():
    plan = pydicom.data.get_testdata_file("rtplan.dcm")
    with pytest.raises(NoPixelDataError, match="^no pixel data") as e:
        dicodec.read_pixels(plan)
    assert not isinstance(e.value, MalformedError)
    with pytest.raises(NoPixelDataError):
        dicodec.read_pixels(pydicom.dcmread(plan))


# ---- 7. error types ------------------------------------------------------


def test_documented_failures_are_dicodec_errors(tmp_path):
    with pytest.raises(FrameIndexError) as e:
        dicodec.read_pixels(RLE2, frames=5)
    assert isinstance(e.value, IndexError) and isinstance(e.value, DicodecError)
    with pytest.raises(FrameIndexError):
        dicodec.read_pixels(RLE2, frames="0,7")
    from dicodec.errors import OutputArrayError

    ref = dicodec.read_pixels(RLE2)
    for bad in (
        np.zeros(3),
        np.zeros(ref.shape, np.uint16),
        np.zeros(ref.shape, np.uint8)[::1, ::-1],
    ):
        with pytest.raises(OutputArrayError, match="^out "):
            dicodec.read_pixels(RLE2, out=bad)
    ds = pydicom.Dataset()
    ds.Rows = ds.Columns = 1
    ds.PixelData = b"\0\0"
    with pytest.raises(MissingAttributeError) as e:
        dicodec.read_pixels(ds)
    assert isinstance(e.value, AttributeError) and isinstance(e.value, DicodecError)


def test_iter_decode_errors_carry_the_path(tmp_path):
    bad = tmp_path / "bad.dcm"
    data = bytearray(open(RLE2, "rb").read())
    bad.write_bytes(bytes(data[: len(data) - 300]))  # truncated pixel data
    with pytest.raises(DicodecError) as e:
        list(dicodec.iter_decode([bad], errors="raise"))
    assert e.value.path == str(bad) and str(bad) in str(e.value)


# ---- 10. DICODEC_MAX_ALLOC and set_max_alloc --------------------------


def _max_alloc_in_child(value: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DICODEC_MAX_ALLOC=value)
    return subprocess.run(
        [sys.executable, "-c", "import dicodec; print(dicodec.get_max_alloc())"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("value", "want"),
    [("1G", 1 << 30), ("512MiB", 512 << 20), ("1.5GB", 1_500_000_000), ("123456", 123456)],
)
def test_env_sizes_with_units(value, want):
    p = _max_alloc_in_child(value)
    assert p.returncode == 0, p.stderr
    assert int(p.stdout) == want


@pytest.mark.parametrize("value", ["abc", "1X", "-5", "0", "1 G B"])
def test_env_garbage_is_refused(value):
    p = _max_alloc_in_child(value)
    assert p.returncode != 0
    assert "SettingsError" in p.stderr and "DICODEC_MAX_ALLOC" in p.stderr


def test_set_max_alloc():
    old = dicodec.get_max_alloc()
    try:
        dicodec.set_max_alloc("4MiB")
        assert dicodec.get_max_alloc() == 4 << 20
        with pytest.raises(dicodec.LimitExceededError):
            dicodec.read_pixels(MULTI)  # 15 x 10 x 10 x 4 bytes: fits
            dicodec.set_max_alloc(1000)
            dicodec.read_pixels(MULTI)
        for bad in (0, -1, "abc", 1.5, True):
            with pytest.raises(SettingsError):
                dicodec.set_max_alloc(bad)
        dicodec.set_max_alloc(None)
        assert dicodec.get_max_alloc() == 16 << 30
    finally:
        dicodec.set_max_alloc(old)
