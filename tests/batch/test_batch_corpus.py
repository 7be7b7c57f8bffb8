"""Batch decoding of the shared corpus (a folder, and a zip/tar/tar.gz of part
of it): every array is checked against the MANIFEST ref_sha256; files dicodec
cannot decode are in the index with the reason dicodec gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from batch_util import (
    CORPUS,
    index_rows,
    make_archives,
    manifest,
    member_name,
    read_output,
    sha,
)

import dicodec
import dicodec.batch
from dicodec.batch.work import classify

pytestmark = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.csv").is_file(), reason=f"shared corpus absent: {CORPUS}"
)

NOT_DICOM = {"jpeg_stream", "reference_document"}


def _direct_reason(path: Path) -> str | None:
    """The failure reason of decoding ``path`` alone with read_pixels."""
    try:
        dicodec.read_pixels(str(path))
    except Exception as e:  # noqa: BLE001
        return classify(e)
    return None


def _check_rows(out: Path, rows: list[dict], sources: dict[str, Path]) -> dict[str, int]:
    """Checks every index row against the MANIFEST; returns counts."""
    man = manifest()
    counts = {"done": 0, "failed": 0, "skipped": 0, "verified": 0, "duplicates": 0}
    for row in rows:
        counts[row["status"]] += 1
        name = member_name(row["path"])
        m = man.get(name) or man.get(f"jpeg/{name}")
        assert row["status"] in ("done", "failed", "skipped"), row
        if row["status"] != "done":
            assert row["reason"] and row["error"], row
        if m is None:  # MANIFEST.csv / README.txt, the raw streams of jpegls/
            assert name in ("MANIFEST.csv", "README.txt") or "/jpegls/" in row["path"], row
            assert (row["status"], row["reason"]) == ("skipped", "not_dicom"), row
            continue
        if m["kind"] in NOT_DICOM:
            assert (row["status"], row["reason"]) == ("skipped", "not_dicom"), row
            continue
        if m["decodable"] == "no_pixel_data":
            assert row["status"] != "done" or row["shape"], row
            continue
        if row["status"] == "done":
            arr = read_output(out, row)
            assert list(arr.shape) == row["shape"]
            assert str(arr.dtype) == row["dtype"]
            # JPEG DCT references in the MANIFEST come from decoders that
            # differ from libjpeg-turbo by +-1 (another IDCT); dicodec equals
            # libjpeg-turbo, checked in tests/test_jpeg_dct.py.
            if m["ref_sha256"] and m["ts_group"] != "other_jpeg_dct":
                assert list(arr.shape) == [int(x) for x in m["decoded_shape"].split("x")], name
                assert str(arr.dtype) == m["decoded_dtype"], name
                assert sha(arr) == m["ref_sha256"], f"{name}: pixels differ from the reference"
                counts["verified"] += 1
            continue
        if row["reason"] == "duplicate":
            # Kept once (issue 17): the copy kept has the same reference pixels.
            kept = row["error"].split("duplicate of ", 1)[1].split(" (same SOP Instance UID")[0]
            k = man.get(member_name(kept)) or man.get(f"jpeg/{member_name(kept)}")
            if k is not None and k["ref_sha256"] and m["ref_sha256"]:
                assert k["ref_sha256"] == m["ref_sha256"], (name, kept)
            counts["duplicates"] += 1
            continue
        # Not decoded: dicodec must say why, the same way when asked directly.
        if m["selected_as"] == "target_ts" and m["ref_sha256"]:
            pytest.fail(
                f"{name}: a target syntax file with a reference not decoded: {row['error']}"
            )
        if m["selected_as"] == "other_ts_sample" and m["decodable"] == "yes":
            assert row["reason"] == "unsupported", row
        if row["status"] == "failed" and name in sources and row["reason"] != "unsupported":
            assert row["reason"] == _direct_reason(sources[name]), row
    return counts


def test_decode_corpus_folder(tmp_path):
    out = tmp_path / "out.zarr"
    report = dicodec.batch.decode([CORPUS], out, threads=2)
    rows = index_rows(out)
    files = [p for p in CORPUS.rglob("*") if p.is_file()]
    assert len(rows) == len(files) == report.files
    assert {r["path"] for r in rows} == {str(p) for p in files}
    counts = _check_rows(out, rows, {p.name: p for p in files})
    man = manifest()
    with_ref = [m for m in man.values() if m["kind"] == "dicom" and m["ref_sha256"]]
    target_ref = [m for m in with_ref if m["selected_as"] == "target_ts"]
    assert counts["verified"] + counts["duplicates"] >= len(target_ref) > 200
    assert report.decoded == counts["done"]
    assert report.failed == counts["failed"] > 0
    assert not report.ok
    # Every syntax of the corpus has a codec: nothing is "unsupported" any more.
    assert report.failures.get("unsupported", 0) == 0, report.failures
    assert report.series > 50
    # Every decoded input's bytes out are its array's bytes.
    done = [r for r in rows if r["status"] == "done"]
    assert report.bytes_out == sum(r["bytes_out"] for r in done)
    assert all(r["bytes_out"] == np.prod(r["shape"]) * np.dtype(r["dtype"]).itemsize for r in done)


def _archive_inputs() -> list[Path]:
    """Part of the corpus: native, RLE, JPEG Lossless, lossy JPEG and a file
    without pixel data."""
    man = manifest()
    picks: list[Path] = []
    for group, n in [
        ("native_explicit_le", 6),
        ("native_implicit_le", 3),
        ("native_explicit_be", 2),
        ("rle_lossless", 3),
        ("jpeg_lossless_sv1", 3),
        ("other_jpeg_dct", 1),
    ]:
        rows = sorted(
            (
                m
                for m in man.values()
                if m["ts_group"] == group and int(m["size"]) < 600_000 and m["ref_sha256"]
            ),
            key=lambda m: m["file"],
        )
        picks += [CORPUS / m["file"] for m in rows[:n]]
    no_pixels = sorted(m["file"] for m in man.values() if m["decodable"] == "no_pixel_data")
    picks.append(CORPUS / no_pixels[0])
    return [p for p in picks if p.is_file()]


@pytest.mark.parametrize("fmt", ["zarr", "npy"])
def test_decode_archives(tmp_path, fmt):
    files = _archive_inputs()
    archives = make_archives(files, tmp_path / "in")
    out = tmp_path / f"out.{fmt}"
    report = dicodec.batch.decode(archives, out, format=fmt, threads=2)
    rows = index_rows(out)
    assert report.files == len(rows) == len(files)
    assert {member_name(r["path"]) for r in rows} == {f.name for f in files}
    kinds = {r["source_kind"] for r in rows}
    assert kinds == {"zip", "tar", "tar-stream"}
    for r in rows:
        archive, member = r["path"].split("::")
        assert Path(archive).name.startswith("part.") and member.startswith("sub/")
    counts = _check_rows(out, rows, {f.name: f for f in files})
    # all but the JPEG baseline and the RT plan (copies of one instance are kept once)
    assert counts["verified"] + counts["duplicates"] == len(files) - 2
    assert any(r["reason"] == "no_pixel_data" for r in rows)
    if fmt == "npy":  # mirrored tree: OUT/<archive name>/<member path>.npy
        for r in rows:
            if r["status"] == "done":
                archive, member = r["path"].split("::")
                assert r["output"] == f"{Path(archive).name}/{member}.npy"
                assert (out / r["output"]).is_file()
    # Nothing was extracted next to the archives.
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == [
        "part.tar",
        "part.tar.gz",
        "part.zip",
    ]


def test_headers_from_scan_match_pydicom():
    """Plain files get their header from dicodec.scan, archive members from
    pydicom: both must give the same values (so grouping, stacking and
    attributes do not depend on where a file came from)."""
    from dicodec.batch.headers import HeaderFailure, _read_one, iter_headers
    from dicodec.batch.sources import enumerate_sources

    compared = 0
    for item, _, h in iter_headers(enumerate_sources(CORPUS)):
        ref = _read_one(item, item.path)
        if isinstance(h, HeaderFailure) or isinstance(ref, HeaderFailure):
            # Both say "not decodable"; the exact class may differ on broken files.
            assert isinstance(h, HeaderFailure) and isinstance(ref, HeaderFailure), item.path
            continue
        got, want = h.to_dict(), ref.to_dict()
        # The scanner reads top-level values only: the Modality LUT Sequence's
        # descriptor is read for --values modality when a run needs it
        # (dicodec.batch.values.read_lut_bits).
        got.pop("modality_lut_bits")
        want.pop("modality_lut_bits")
        assert got == want, item.path
        compared += 1
    assert compared > 200
