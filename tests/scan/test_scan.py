"""dicodec.scan / scan_batches: API, reading no more than needed, bad input,
folders and the CLI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

import dicodec
from dicodec.cli import main as cli_main
from dicodec.cli.scan import split_tags
from dicodec.scan import resolve_tags, scan_schema

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
CT = PYDICOM_FILES / "CT_small.dcm"
MR_BE = PYDICOM_FILES / "MR_small_bigendian.dcm"
DEFLATED = PYDICOM_FILES / "image_dfl.dcm"


def _big_file(path: Path, pixel_bytes: int, private_blob: int = 0) -> Path:
    """A CT-like file with `pixel_bytes` of Pixel Data and, optionally, a
    private OB element of `private_blob` bytes before PatientName."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "CT"
    if private_blob:
        ds.add_new(0x00090010, "LO", "ACME")
        ds.add_new(0x00091001, "OB", b"\x07" * private_blob)
    ds.PatientName = "Größe^Jürgen"
    ds.PatientID = "BIG-1"
    ds.Rows = 1024
    ds.Columns = pixel_bytes // 2048
    ds.BitsAllocated = 16
    ds.PixelSpacing = [0.5, 0.25]
    ds.PixelData = b"\x00\x01" * (pixel_bytes // 2)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True)
    return path


# ---- API ----


def test_columns_types_and_values() -> None:
    t = dicodec.scan([CT, MR_BE], ["PatientName", "Rows", "PixelSpacing", "ImageType", 0x00080060])
    assert t.column_names == [
        "path",
        "PatientName",
        "Rows",
        "PixelSpacing",
        "ImageType",
        "(0008,0060)",
        "transfer_syntax",
        "error",
        "notes",
    ]
    assert t.schema.field("Rows").type == pa.int64()
    assert t.schema.field("PixelSpacing").type == pa.list_(pa.float64())
    assert t.schema.field("PatientName").metadata[b"dicom_vr"] == b"PN"
    rows = t.to_pylist()
    for row, path in zip(rows, (CT, MR_BE), strict=True):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        assert row["path"] == str(path)
        assert row["PatientName"] == str(ds.PatientName)
        assert row["Rows"] == ds.Rows
        assert row["PixelSpacing"] == [float(x) for x in ds.PixelSpacing]
        assert row["ImageType"] == list(ds.ImageType)
        assert row["(0008,0060)"] == ds.Modality
        assert row["transfer_syntax"] == ds.file_meta.TransferSyntaxUID
        assert row["error"] is None


def test_tag_spellings_give_the_same_values() -> None:
    forms = ["PatientID", "(0010,0020)", "0010,0020", "0x00100020"]
    t = dicodec.scan(CT, forms)
    assert t.column_names[1:5] == forms
    by_int = dicodec.scan(CT, [0x00100020])
    assert by_int.column_names[1] == "(0010,0020)"
    values = {t.column(i)[0].as_py() for i in range(1, 5)} | {by_int.column(1)[0].as_py()}
    assert values == {pydicom.dcmread(CT).PatientID}


def test_bad_tags_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown DICOM keyword"):
        dicodec.scan(CT, ["PatientNmae"])
    with pytest.raises(ValueError, match="sequence"):
        dicodec.scan(CT, ["ReferencedImageSequence"])
    with pytest.raises(ValueError, match="Pixel Data"):
        dicodec.scan(CT, ["PixelData"])
    with pytest.raises(ValueError, match="twice"):
        dicodec.scan(CT, ["Rows", "Rows"])
    with pytest.raises(ValueError, match="no tags"):
        resolve_tags([])
    with pytest.raises(TypeError):
        dicodec.scan(CT, [1.5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="errors"):
        dicodec.scan(CT, ["Rows"], errors="ignore")  # type: ignore[arg-type]


def test_private_and_unknown_tags() -> None:
    # Private creator -> text; other private tags -> raw bytes.
    t = dicodec.scan(CT, ["(0009,0010)", "(0009,1001)", "(0043,1028)"])
    ds = pydicom.dcmread(CT, stop_before_pixels=True)
    assert t.schema.field("(0009,0010)").type == pa.string()
    assert t.schema.field("(0009,1001)").type == pa.binary()
    assert t.column("(0009,0010)")[0].as_py() == ds[0x00090010].value
    assert t.column("(0043,1028)")[0].as_py() == ds[0x00431028].value


def test_threads_do_not_change_the_result() -> None:
    tags = ["PatientName", "SOPInstanceUID", "WindowCenter"]
    a = dicodec.scan(PYDICOM_FILES, tags, threads=1)
    b = dicodec.scan(PYDICOM_FILES, tags)
    assert a.equals(b)
    assert a.num_rows > 100


def test_scan_batches_streams_in_order(tmp_path: Path) -> None:
    tags = ["PatientID", "Rows"]
    whole = dicodec.scan(PYDICOM_FILES, tags)
    batches = list(dicodec.scan_batches(PYDICOM_FILES, tags, batch_size=16))
    assert all(b.num_rows <= 16 for b in batches)
    assert len(batches) >= whole.num_rows // 16
    assert pa.Table.from_batches(batches).equals(whole)
    # An iterable is consumed lazily, in pieces.
    paths = sorted(str(p) for p in PYDICOM_FILES.glob("*.dcm"))
    taken: list[str] = []

    def gen():
        for p in paths:
            taken.append(p)
            yield p

    it = dicodec.scan_batches(gen(), tags, batch_size=10)
    first = next(it)
    assert first.num_rows == 10
    assert len(taken) <= 20
    rest = list(it)
    assert sum(b.num_rows for b in rest) + 10 == len(paths)


def test_schema_helper_and_empty_input(tmp_path: Path) -> None:
    schema = scan_schema(["PatientID", "PixelSpacing"], stats=True)
    assert schema.names == [
        "path",
        "PatientID",
        "PixelSpacing",
        "transfer_syntax",
        "error",
        "notes",
        "bytes_read",
    ]
    t = dicodec.scan(tmp_path, ["PatientID", "PixelSpacing"], stats=True)
    assert t.num_rows == 0 and t.schema.equals(schema)


# ---- reading no more than needed ----


def test_stops_before_large_pixel_data(tmp_path: Path) -> None:
    big = _big_file(tmp_path / "big.dcm", 8 << 20)
    assert big.stat().st_size > 8 << 20
    t = dicodec.scan(big, ["PatientName", "Rows", "PixelSpacing"], stats=True)
    row = t.to_pylist()[0]
    assert row["error"] is None
    assert row["PatientName"] == "Größe^Jürgen"
    assert row["PixelSpacing"] == [0.5, 0.25]
    # One read of the first 4 KiB; none of the 8 MiB of pixels.
    assert row["bytes_read"] <= 4096


def test_skips_large_values_without_reading_them(tmp_path: Path) -> None:
    f = _big_file(tmp_path / "blob.dcm", 1 << 20, private_blob=4 << 20)
    t = dicodec.scan(f, ["Modality", "PatientID", "Rows"], stats=True)
    row = t.to_pylist()[0]
    assert (row["Modality"], row["PatientID"], row["Rows"]) == ("CT", "BIG-1", 1024)
    assert row["bytes_read"] < 3 * 4096, row["bytes_read"]


def test_stops_after_the_highest_requested_tag() -> None:
    low = dicodec.scan(CT, ["Modality"], stats=True, read_size=512)
    high = dicodec.scan(CT, ["Modality", "Rows"], stats=True, read_size=512)
    assert low.column("bytes_read")[0].as_py() < high.column("bytes_read")[0].as_py()
    assert high.column("bytes_read")[0].as_py() < CT.stat().st_size


def test_deflated_reads_only_part_of_the_stream(tmp_path: Path) -> None:
    t = dicodec.scan(DEFLATED, ["Modality", "PatientName"], stats=True)
    ds = pydicom.dcmread(DEFLATED)
    row = t.to_pylist()[0]
    assert row["error"] is None
    assert row["Modality"] == ds.Modality
    assert row["PatientName"] == str(ds.PatientName)
    assert row["transfer_syntax"] == "1.2.840.10008.1.2.1.99"


# ---- bad input ----


def _errors(table: pa.Table) -> dict[str, str | None]:
    paths, errors = table["path"].to_pylist(), table["error"].to_pylist()
    return {Path(p).name: e for p, e in zip(paths, errors, strict=True)}


def test_bad_files_become_rows(tmp_path: Path) -> None:
    data = CT.read_bytes()
    (tmp_path / "ok.dcm").write_bytes(data)
    (tmp_path / "empty.dcm").write_bytes(b"")
    (tmp_path / "text.dcm").write_text("this is not DICOM\n" * 20)
    # Cut inside the header, before Rows.
    cut = data.index(b"CompressedSamples") + 5
    (tmp_path / "truncated.dcm").write_bytes(data[:cut])
    (tmp_path / "dangling.dcm").symlink_to(tmp_path / "gone.dcm")
    (tmp_path / "self.dcm").symlink_to(tmp_path / "self.dcm")
    os.mkfifo(tmp_path / "pipe.dcm")
    t = dicodec.scan([tmp_path, tmp_path / "vanished.dcm"], ["PatientName", "Rows"])
    err = _errors(t)
    assert err["ok.dcm"] is None
    assert "empty file" in err["empty.dcm"]
    assert "not a DICOM file" in err["text.dcm"]
    assert "truncated" in err["truncated.dcm"] and "(0010,0010)" in err["truncated.dcm"]
    assert "No such file" in err["dangling.dcm"]
    assert "symbolic links" in err["self.dcm"]
    assert "FIFO" in err["pipe.dcm"]
    assert "No such file" in err["vanished.dcm"]
    assert len(err) == 8


def test_explicit_paths_of_any_kind(tmp_path: Path) -> None:
    """Items of a list are opened without a stat call first: folders are still
    walked, a FIFO is neither read nor waited on."""
    (tmp_path / "folder").mkdir()
    shutil.copy(CT, tmp_path / "folder" / "in.dcm")
    shutil.copy(CT, tmp_path / "a.dcm")
    os.mkfifo(tmp_path / "fifo")
    paths = [tmp_path / "a.dcm", tmp_path / "fifo", tmp_path / "folder", tmp_path / "nope"]
    t = dicodec.scan(paths, ["Rows"])
    err = _errors(t)
    assert list(err) == ["a.dcm", "fifo", "nope", "in.dcm"]
    assert err["a.dcm"] is None and err["in.dcm"] is None
    assert "FIFO" in err["fifo"]
    assert "No such file" in err["nope"]


def test_symlink_loop_in_a_folder_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copy(CT, tmp_path / "a" / "b" / "x.dcm")
    (tmp_path / "a" / "b" / "up").symlink_to(tmp_path / "a")
    t = dicodec.scan(tmp_path, ["Rows"])
    err = _errors(t)
    assert err["x.dcm"] is None
    assert "symlink loop" in err["up"]
    assert t.num_rows == 2


def test_folder_named_like_a_file_and_recursion(tmp_path: Path) -> None:
    (tmp_path / "series.dcm").mkdir()
    shutil.copy(CT, tmp_path / "series.dcm" / "1.dcm")
    shutil.copy(CT, tmp_path / "top.dcm")
    deep = dicodec.scan(tmp_path, ["Rows"])
    assert sorted(Path(p).name for p in deep["path"].to_pylist()) == ["1.dcm", "top.dcm"]
    flat = dicodec.scan(tmp_path, ["Rows"], recursive=False)
    assert [Path(p).name for p in flat["path"].to_pylist()] == ["top.dcm"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied(tmp_path: Path) -> None:
    f = tmp_path / "secret.dcm"
    shutil.copy(CT, f)
    f.chmod(0)
    assert "Permission denied" in _errors(dicodec.scan(f, ["Rows"]))["secret.dcm"]


def test_errors_raise(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"")
    with pytest.raises(dicodec.DicodecError, match="bad.dcm: not a DICOM file: empty file"):
        dicodec.scan([CT, bad], ["Rows"], errors="raise")
    with pytest.raises(dicodec.DicodecError):
        list(dicodec.scan_batches([CT, bad], ["Rows"], errors="raise"))
    assert dicodec.scan([CT], ["Rows"], errors="raise").num_rows == 1


def test_every_prefix_of_a_file_is_handled(tmp_path: Path) -> None:
    data = MR_BE.read_bytes()[:3000]
    paths = []
    for n in range(0, len(data), 37):
        p = tmp_path / f"cut{n}.dcm"
        p.write_bytes(data[:n])
        paths.append(p)
    t = dicodec.scan(paths, ["PatientName", "Rows", "PixelSpacing", "WindowCenter"])
    assert t.num_rows == len(paths)


# ---- CLI ----


def test_split_tags() -> None:
    assert split_tags("PatientID,(0010,0010), Rows ,0x00280011") == [
        "PatientID",
        "(0010,0010)",
        "Rows",
        "0x00280011",
    ]


def test_cli_parquet_and_csv(tmp_path: Path, capsys) -> None:
    out = tmp_path / "index.parquet"
    tags = "PatientID,StudyInstanceUID,PixelSpacing,(0028,0010)"
    assert cli_main(["scan", str(PYDICOM_FILES), "--tags", tags, "-o", str(out)]) == 0
    summary = capsys.readouterr().err
    assert "files" in summary and "errors" in summary and "files/s" in summary
    t = pq.read_table(out)
    assert t.column_names[:5] == [
        "path",
        "PatientID",
        "StudyInstanceUID",
        "PixelSpacing",
        "(0028,0010)",
    ]
    assert t.num_rows == dicodec.scan(PYDICOM_FILES, ["Rows"]).num_rows

    out_csv = tmp_path / "index.csv"
    assert cli_main(["scan", str(CT), "--tags", tags, "-o", str(out_csv), "--threads", "1"]) == 0
    c = pacsv.read_csv(out_csv).to_pylist()[0]
    ds = pydicom.dcmread(CT)
    assert str(c["PatientID"]) == ds.PatientID
    assert c["PixelSpacing"] == "\\".join(str(float(x)) for x in ds.PixelSpacing)


def test_cli_progress_bar(tmp_path: Path, capsys) -> None:
    pytest.importorskip("tqdm")
    out = tmp_path / "i.parquet"
    (tmp_path / "in").mkdir()
    for i in range(5):
        shutil.copy(CT, tmp_path / "in" / f"{i}.dcm")
    (tmp_path / "in" / "bad.dcm").write_bytes(b"x")
    assert cli_main(["scan", str(tmp_path / "in"), "-o", str(out), "--progress"]) == 0
    err = capsys.readouterr().err
    assert "files" in err and "errors=1" in err
    assert "6 files, 1 error," in err
    assert pq.read_table(out).column("error").null_count == 5


def test_cli_fail_fast_and_bad_tags(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"nope")
    out = tmp_path / "x.parquet"
    assert cli_main(["scan", str(CT), str(bad), "--fail-fast", "-o", str(out)]) == 1
    assert "bad.dcm" in capsys.readouterr().err
    assert cli_main(["scan", str(CT), "--tags", "NoSuchKeyword"]) == 2
    assert cli_main(["scan", str(CT), "--tags", "Rows", "-o", str(tmp_path / "x.txt")]) == 2
    assert "parquet" in capsys.readouterr().err
