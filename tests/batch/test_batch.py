"""Batch decoding on synthetic series (written with pydicom): stack order,
series layout and attributes, failures with reasons, frames, formats,
iter_decode and the CLI."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr
from batch_util import index_rows, read_output, write_instance

import dicodec
import dicodec.batch
from dicodec.batch.plan import resolve_frames

OBLIQUE = (0.8660254, 0.5, 0.0, 0.0, 0.0, -1.0)  # rows along (cos30, sin30, 0), cols along -z


def _normal(iop):
    r, c = np.array(iop[:3]), np.array(iop[3:])
    return np.cross(r, c)


def _marker(k: int, shape=(8, 6)) -> np.ndarray:
    """A frame whose every pixel says which slice it is."""
    return np.full(shape, 100 + k, dtype=np.uint16)


def make_shuffled_series(folder: Path, uid: str = "1.2.826.0.1.3680043.10.999.1") -> list[str]:
    """Nine slices written in shuffled order under shuffled names. Expected
    stack order: InstanceNumber 1..5; two slices share InstanceNumber 6 and
    are ordered by position along the (oblique) slice normal, not by their
    coordinates; two slices without InstanceNumber come last, by position.
    Returns the SOP Instance UIDs in the expected order."""
    normal = _normal(OBLIQUE)
    specs = []  # (sop uid, instance number, distance along the normal)
    for k in range(5):
        specs.append((f"{uid}.{k + 1}", k + 1, 10.0 - k))  # number wins over position
    specs.append((f"{uid}.62", 6, 3.0))
    specs.append((f"{uid}.61", 6, -2.0))
    specs.append((f"{uid}.92", None, 7.0))
    specs.append((f"{uid}.91", None, 1.0))
    expected = [s[0] for s in specs[:5]] + [f"{uid}.61", f"{uid}.62", f"{uid}.91", f"{uid}.92"]
    rng = random.Random(7)
    order = list(range(len(specs)))
    rng.shuffle(order)
    for name_idx, i in enumerate(order):
        sop, inum, dist = specs[i]
        # A position with components off the normal too, so sorting by any
        # single coordinate would give another order.
        pos = normal * dist + np.array(OBLIQUE[:3]) * 5.0 * i - np.array(OBLIQUE[3:]) * 3.0 * i
        write_instance(
            folder / f"f{name_idx:02d}_{rng.randrange(1000):03d}.dcm",
            series_uid=uid,
            sop_uid=sop,
            instance_number=inum,
            position=tuple(pos),
            orientation=OBLIQUE,
            pixels=_marker(expected.index(sop)),
            slope=1.0 + 0.5 * (i == 2),  # one instance differs: per-instance attribute
        )
    return expected


def test_stack_order_shuffled_series(tmp_path):
    expected = make_shuffled_series(tmp_path / "in")
    out = tmp_path / "out.zarr"
    report = dicodec.batch.decode(tmp_path / "in", out, threads=2)
    assert report.ok and report.decoded == 9 and report.series == 1
    root = zarr.open_group(str(out), mode="r")
    arr = root["1.2.826.0.1.3680043.10.999.1"]
    assert isinstance(arr, zarr.Array)
    assert arr.shape == (9, 8, 6) and arr.dtype == np.uint16 and arr.chunks == (1, 8, 6)
    data = arr[:]
    assert [int(f[0, 0]) for f in data] == [100 + k for k in range(9)]
    a = arr.attrs
    assert a["sop_instance_uids"] == expected
    assert a["instance_numbers"] == [1, 2, 3, 4, 5, 6, 6, None, None]
    assert a["Modality"] == "CT" and a["PhotometricInterpretation"] == "MONOCHROME2"
    assert a["PixelSpacing"] == [0.5, 0.5] and a["SliceThickness"] == 1.5
    assert a["WindowCenter"] == [40.0] and a["WindowWidth"] == [400.0]
    assert a["RescaleIntercept"] == -1024.0
    assert "RescaleSlope" in a["varying"] and sorted(set(a["RescaleSlope"])) == [1.0, 1.5]
    assert a["frame_start"] == list(range(9)) and a["frame_count"] == [1] * 9
    assert [Path(p).parent.name for p in a["source_paths"]] == ["in"] * 9
    assert a["complete"] is True and a["decoded"] == [True] * 9
    # index rows point at the right frames
    rows = {r["sop_uid"]: r for r in index_rows(out)}
    for k, sop in enumerate(expected):
        assert rows[sop]["frame_start"] == k and rows[sop]["output"] == arr.path
        assert int(read_output(out, rows[sop])[0, 0]) == 100 + k


def test_series_layouts_and_multiframe(tmp_path):
    src = tmp_path / "in"
    uid = "1.2.826.0.1.3680043.10.999.2"
    # Stacked: a 3-frame instance between two single frames.
    write_instance(src / "a.dcm", series_uid=uid, instance_number=1, pixels=_marker(0))
    mf = np.stack([_marker(k) for k in (1, 2, 3)])
    write_instance(src / "b.dcm", series_uid=uid, instance_number=2, pixels=mf)
    write_instance(src / "c.dcm", series_uid=uid, instance_number=3, pixels=_marker(4))
    # Not stackable: geometry differs -> one array per instance in a group.
    uid2 = "1.2.826.0.1.3680043.10.999.3"
    write_instance(src / "d.dcm", series_uid=uid2, sop_uid=uid2 + ".1", pixels=_marker(0))
    write_instance(src / "e.dcm", series_uid=uid2, sop_uid=uid2 + ".2", pixels=_marker(1, (4, 4)))
    # Same SOP Instance UID twice in that group (copies happen): kept once.
    shutil.copyfile(src / "d.dcm", src / "d_copy.dcm")
    out = tmp_path / "out.zarr"
    report = dicodec.batch.decode(src, out, threads=1)
    assert report.ok and report.series == 2 and report.decoded == 5
    assert report.skipped_reasons == {"duplicate": 1}
    root = zarr.open_group(str(out), mode="r")
    stacked = root[uid]
    assert stacked.shape == (5, 8, 6)
    assert [int(f[0, 0]) for f in stacked[:]] == [100, 101, 102, 103, 104]
    assert stacked.attrs["frame_start"] == [0, 1, 4] and stacked.attrs["frame_count"] == [1, 3, 1]
    group = root[uid2]
    assert isinstance(group, zarr.Group)
    assert "frame shapes differ" in group.attrs["unstacked_reason"]
    names = sorted(group.array_keys())
    assert names == [f"{uid2}.1", f"{uid2}.2"]
    assert group[f"{uid2}.2"].shape == (1, 4, 4)
    assert group[f"{uid2}.1"].attrs["SOPInstanceUID"] == uid2 + ".1"
    rows = {Path(r["path"]).name: r for r in index_rows(out)}
    assert rows["b.dcm"]["shape"] == [3, 8, 6] and rows["b.dcm"]["frame_start"] == 1
    np.testing.assert_array_equal(read_output(out, rows["b.dcm"]), mf)
    np.testing.assert_array_equal(read_output(out, rows["e.dcm"]), _marker(1, (4, 4)))


def test_frames_selection(tmp_path):
    src = tmp_path / "in"
    uid = "1.2.826.0.1.3680043.10.999.4"
    mf = np.stack([_marker(k) for k in range(5)])
    write_instance(src / "mf.dcm", series_uid=uid, instance_number=1, pixels=mf)
    write_instance(src / "sf.dcm", series_uid=uid, instance_number=2, pixels=_marker(9))
    out = tmp_path / "out.zarr"
    report = dicodec.batch.decode(src, out, frames="0,-1")
    assert report.ok
    arr = zarr.open_array(str(out), path=uid, mode="r")
    # frame 0 and the last of the 5-frame file; frame 0 (= -1) of the single-frame one
    assert [int(f[0, 0]) for f in arr[:]] == [100, 104, 109]
    assert resolve_frames("1:3,-1,7", 5) == [1, 2, 4]
    assert resolve_frames(None, 5) is None
    with pytest.raises(ValueError):
        resolve_frames("a-b", 5)


def _bad_inputs(src: Path) -> dict[str, str]:
    """A good file, a truncated one, garbage named .dcm, a JPEG 2000 Part 2 file
    (a decodable J2K file relabelled 1.2.840.10008.1.2.4.92: no decoder), a
    text file and a DICOM file without pixel data. Returns name -> expected
    (status, reason)."""
    import pydicom.data

    src.mkdir(parents=True)
    good = Path(pydicom.data.get_testdata_file("CT_small.dcm"))
    shutil.copyfile(good, src / "good.dcm")
    data = good.read_bytes()
    (src / "truncated.dcm").write_bytes(data[: len(data) - 5000])  # pixel data cut short
    (src / "garbage.dcm").write_bytes(b"\x00" * 128 + b"DICM" + bytes(range(256)) * 4)
    j2k = Path(pydicom.data.get_testdata_file("MR_small_jp2klossless.dcm")).read_bytes()
    assert j2k.count(b"1.2.840.10008.1.2.4.90") == 1
    (src / "j2k.dcm").write_bytes(j2k.replace(b"1.2.840.10008.1.2.4.90", b"1.2.840.10008.1.2.4.92"))
    (src / "notes.txt").write_text("not a DICOM file\n")
    shutil.copyfile(pydicom.data.get_testdata_file("rtplan.dcm"), src / "rtplan.dcm")
    return {
        "good.dcm": ("done", None),
        "truncated.dcm": ("failed", "malformed"),
        "garbage.dcm": ("failed", "malformed"),
        "j2k.dcm": ("failed", "unsupported"),
        "notes.txt": ("skipped", "not_dicom"),
        "rtplan.dcm": ("skipped", "no_pixel_data"),
    }


def test_failures_are_recorded_and_batch_goes_on(tmp_path):
    expected = _bad_inputs(tmp_path / "in")
    out = tmp_path / "out.zarr"
    report = dicodec.batch.decode(tmp_path / "in", out)
    rows = {Path(r["path"]).name: r for r in index_rows(out)}
    assert {k: (r["status"], r["reason"]) for k, r in rows.items()} == expected
    assert "1.2.840.10008.1.2.4.92" in rows["j2k.dcm"]["error"]
    assert rows["j2k.dcm"]["transfer_syntax"] == "1.2.840.10008.1.2.4.92"
    assert rows["truncated.dcm"]["error"].startswith("MalformedError")
    assert report.failures == {"malformed": 2, "unsupported": 1}
    assert report.skipped_reasons == {"not_dicom": 1, "no_pixel_data": 1}
    assert report.decoded == 1 and report.failed == 3 and not report.ok
    assert "unsupported: 1" in report.table() and "malformed: 2" in report.table()


def test_cli_exit_status_progress_and_summary(tmp_path):
    _bad_inputs(tmp_path / "in")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "dicodec", "decode", str(tmp_path / "in"), "-o", str(out)]
    p = subprocess.run([*cmd, "--format", "npy"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, p.stderr
    assert "failures by reason" in p.stdout and "malformed: 2" in p.stdout
    # not a terminal: plain progress lines, no bar
    assert "decode: " in p.stderr and "files/s" in p.stderr and "\r" not in p.stderr
    assert (out / "in" / "good.dcm.npy").is_file()
    # Only the good file: exit 0. A different format in the same OUT is refused.
    good = tmp_path / "good"
    good.mkdir()
    shutil.copyfile(tmp_path / "in" / "good.dcm", good / "good.dcm")
    p = subprocess.run(
        [sys.executable, "-m", "dicodec", "decode", str(good), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2 and "--overwrite" in p.stderr
    p = subprocess.run(
        [sys.executable, "-m", "dicodec", "decode", str(good), "-o", str(out), "--overwrite"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert not (out / "in").exists()  # overwritten
    assert [r["status"] for r in index_rows(out)] == ["done"]


def test_refuses_foreign_output_folder(tmp_path):
    _bad_inputs(tmp_path / "in")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("precious")
    for overwrite in (False, True):
        with pytest.raises(FileExistsError):
            dicodec.batch.decode(tmp_path / "in", foreign, overwrite=overwrite)
    assert (foreign / "keep.txt").read_text() == "precious"


def test_iter_decode_order_prefetch_and_errors(tmp_path):
    _bad_inputs(tmp_path / "in")
    uid = "1.2.826.0.1.3680043.10.999.5"
    for k in range(6):
        write_instance(tmp_path / "in" / f"s{k}.dcm", series_uid=uid, pixels=_marker(k))
    with pytest.raises(dicodec.DicodecError):
        list(dicodec.iter_decode(tmp_path / "in", threads=2))
    got = list(dicodec.iter_decode(tmp_path / "in", threads=2, prefetch=3, errors="skip"))
    names = [Path(p).name for p, _, _ in got]
    assert names == ["good.dcm"] + [f"s{k}.dcm" for k in range(6)]
    for path, arr, meta in got:
        np.testing.assert_array_equal(arr, dicodec.read_pixels(path))
        assert meta["path"] == path and meta["transfer_syntax"] == "1.2.840.10008.1.2.1"
    assert got[1][2]["series_uid"] == uid and got[1][2]["rescale_intercept"] == -1024.0
    rows = list(dicodec.iter_decode(tmp_path / "in", errors="yield"))
    errs = {Path(p).name: m["error"] for p, a, m in rows if a is None}
    assert set(errs) == {"truncated.dcm", "garbage.dcm", "j2k.dcm", "notes.txt", "rtplan.dcm"}
    assert errs["j2k.dcm"].startswith("UnsupportedError")
    # Breaking out early stops the workers (the generator closes cleanly).
    gen = dicodec.iter_decode(tmp_path / "in", errors="skip", prefetch=2)
    next(gen)
    gen.close()


def test_demo_builds_archive_and_decodes(tmp_path):
    import pydicom

    from dicodec.batch.sources import enumerate_sources, read_payload
    from dicodec.cli import main

    assert main(["demo", "--dir", str(tmp_path / "demo")]) == 0
    samples = tmp_path / "demo" / "samples"
    assert (samples / "archive.zip").is_file() and (samples / "archive.tar.gz").is_file()
    store = tmp_path / "demo" / "demo.zarr"
    rows = {r["path"]: r for r in index_rows(store)}
    assert {r["source_kind"] for r in rows.values()} == {"file", "zip", "tar-stream"}
    assert sum(r["status"] == "done" for r in rows.values()) >= 15
    # pydicom's samples hold one image in several lossless encodings: kept once.
    assert sum(r["reason"] == "duplicate" for r in rows.values()) >= 1
    checked = 0
    for item in enumerate_sources(samples):
        r = rows[item.path]
        if r["status"] != "done":
            continue
        payload = read_payload(item)
        try:  # the reference: pydicom's own decoding of the same bytes
            ref = pydicom.pixels.pixel_array(
                payload if isinstance(payload, str) else io.BytesIO(payload), raw=True
            )
        except Exception:  # noqa: BLE001 - pydicom cannot decode it: nothing to compare
            continue
        np.testing.assert_array_equal(read_output(store, r), ref)
        checked += 1
    assert checked >= 15  # duplicates (same image, other encodings) are kept once


@pytest.mark.parametrize("compression", ["lz4", "zstd", "none"])
def test_compressions_read_back_with_zarr(tmp_path, compression):
    uid = "1.2.826.0.1.3680043.10.999.6"
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 4096, (3, 20, 30), dtype=np.uint16)
    write_instance(tmp_path / "in" / "a.dcm", series_uid=uid, instance_number=1, pixels=frames)
    out = tmp_path / "out.zarr"
    assert dicodec.batch.decode(tmp_path / "in", out, compression=compression).ok
    arr = zarr.open_array(str(out), path=uid, mode="r")
    codecs = [type(c).__name__ for c in arr.compressors]
    assert codecs == {"lz4": ["BloscCodec"], "zstd": ["ZstdCodec"], "none": []}[compression]
    np.testing.assert_array_equal(arr[:], frames)
    assert not list(out.rglob("*.partial"))


def test_progress_bar_lines_and_callback(tmp_path):
    from dicodec.batch.progress import make_progress

    stream = io.StringIO()
    bar = make_progress("bar", total=3, stream=stream)
    for failed in (False, True, False):
        bar.update(failed=failed, bytes_out=2_000_000)
    bar.close()
    text = stream.getvalue()
    assert "3/3" in text and "MB/s" in text and "failed 1" in text and "file/s" in text
    stream = io.StringIO()
    lines = make_progress("lines", total=2, stream=stream, every=0.0)
    lines.update(failed=False, bytes_out=10)
    lines.update(failed=True, bytes_out=10)
    lines.close()
    out = stream.getvalue().splitlines()
    assert out[-1].startswith("decode: 2/2 files (100.0%)") and "failed 1" in out[-1]
    # Inputs found not decodable before decoding are not counted as decoding failures.
    stream = io.StringIO()
    lines = make_progress("lines", total=1, stream=stream, every=0.0, failed=31)
    lines.update(failed=False, bytes_out=10)
    lines.close()
    assert "1/1 files" in stream.getvalue() and "failed 0 (+31 not decodable)" in stream.getvalue()
    assert "ETA" in out[0]
    seen = []
    uid = "1.2.826.0.1.3680043.10.999.8"
    for k in range(4):
        write_instance(tmp_path / "in" / f"{k}.dcm", series_uid=uid, pixels=_marker(k))
    report = dicodec.batch.decode(tmp_path / "in", tmp_path / "out", progress=seen.append)
    assert report.ok and [s["done"] for s in seen] == [1, 2, 3, 4]
    assert seen[-1]["total"] == 4 and seen[-1]["failed"] == 0
    assert seen[-1]["bytes_out"] == 4 * _marker(0).nbytes


def test_iter_decode_frames(tmp_path):
    uid = "1.2.826.0.1.3680043.10.999.7"
    mf = np.stack([_marker(k) for k in range(4)])
    write_instance(tmp_path / "mf.dcm", series_uid=uid, pixels=mf)
    [(_, arr, meta)] = list(dicodec.iter_decode(tmp_path / "mf.dcm", frames="1,-1"))
    np.testing.assert_array_equal(arr, mf[[1, 3]])
    assert meta["frames"] == 4


def test_journal_keeps_the_last_record_and_compacts(tmp_path):
    from dicodec.batch.journal import Journal

    j = Journal(tmp_path)
    j.open()
    j.array_done("1.2.3", "sig-a", "gen-a")
    for k in range(1500):  # the same 3 inputs recorded again and again
        j.tasks_done([(f"key{k % 3}", f"sig{k}", {"status": "done", "k": k})])
    j.series_done("1.2.3", "s")
    j.close()
    with open(j.path, "ab") as f:
        f.write(b'{"t":"task","key":"torn')  # a write cut short by a kill
    j = Journal(tmp_path)
    assert {k: r.row["k"] for k, r in j.tasks.items()} == {
        "key0": 1497,
        "key1": 1498,
        "key2": 1499,
    }
    assert j.lines == 1503
    j.open()  # ends the torn line before appending
    j.tasks_done([("key3", "s", {"status": "failed"})])
    j.compact()
    j = Journal(tmp_path)
    assert j.lines == 6 and set(j.tasks) == {"key0", "key1", "key2", "key3"}
    assert j.arrays["1.2.3"].gen == "gen-a" and j.series == {"1.2.3": "s"}


def test_journal_records_keep_the_on_disk_format(tmp_path):
    """Records are dataclasses in memory; the JSON lines stay as they were, so
    stores written by earlier versions resume (and compaction rewrites them
    byte for byte)."""
    from dicodec.batch.journal import Journal

    old = [
        '{"t":"array","path":"1.2.3","sig":"a","gen":"g"}',
        '{"t":"task","key":"k","sig":"s","row":{"status":"done","path":"x","frames":2}}',
        '{"t":"series","path":"1.2.3","sig":"g|1"}',
    ]
    (tmp_path / ".dicodec").mkdir()
    (tmp_path / ".dicodec" / "journal.jsonl").write_text("\n".join(old) + "\n")
    j = Journal(tmp_path)
    assert j.arrays["1.2.3"].gen == "g" and j.arrays["1.2.3"].sig == "a"
    assert j.tasks["k"].sig == "s" and j.tasks["k"].row["frames"] == 2
    assert j.series == {"1.2.3": "g|1"}
    j.lines = 1 << 20  # as if superseded records dominated: compact rewrites
    j.compact()
    assert j.path.read_text().splitlines() == old
    j = Journal(tmp_path)
    j.open()
    j.array_done("4.5", "b", "h")
    j.tasks_done([("k2", "t", {"status": "failed"})])
    j.series_done("4.5", "h|0")
    j.close()
    assert j.path.read_text().splitlines()[3:] == [
        '{"t":"array","path":"4.5","sig":"b","gen":"h"}',
        '{"t":"task","key":"k2","sig":"t","row":{"status":"failed"}}',
        '{"t":"series","path":"4.5","sig":"h|0"}',
    ]


def test_header_to_dict_is_asdict_with_copied_lists():
    from dataclasses import asdict

    from dicodec.batch.headers import Header

    h = Header(patient_id="P", instance_number=3, image_position=[1.0, 2.0, 3.0])
    d = h.to_dict()
    assert d == asdict(h) and list(d) == list(asdict(h))
    d["image_position"].append(4.0)
    assert h.image_position == [1.0, 2.0, 3.0]
    assert Header.from_dict(d | {"image_position": [1.0, 2.0, 3.0]}) == h
