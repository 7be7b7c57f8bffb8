"""The scanner (``dicodec.scan``) and the reader (``dicodec.frame_info``) read
a dataset the same way: over every file of the development corpus and of
pydicom's test files, both give the same transfer syntax, Rows, Columns,
Bits Allocated, Number of Frames and Samples per Pixel. Plus generated files
with a stray item at the top level, a 2-valued Rows and an IS of ``"1A"``
(the README's scan section documents the rule)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

import dicodec

CORPUS = Path(
    os.environ.get("DICODEC_CORPUS")
    or Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "dev"
)
PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
TAGS = ["Rows", "Columns", "BitsAllocated", "NumberOfFrames", "SamplesPerPixel"]


def _files() -> list[Path]:
    files = []
    if CORPUS.is_dir():
        files += sorted(
            p for p in CORPUS.iterdir() if p.is_file() and p.suffix not in (".csv", ".txt")
        )
    files += sorted(p for p in PYDICOM_FILES.rglob("*") if p.is_file())
    return files


def _compare(files: list[Path]) -> tuple[int, list[str]]:
    table = dicodec.scan(files, TAGS).to_pylist()
    compared, diffs = 0, []
    for path, row in zip(files, table, strict=True):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fi = dicodec.frame_info(path)
        except dicodec.DicodecError:
            # Not readable up to pixel data (no pixel data, malformed later
            # on): the scanner, which stops before pixel data, may still
            # have values. Nothing to compare.
            continue
        compared += 1
        got = (
            row["transfer_syntax"],
            row["Rows"],
            row["Columns"],
            row["BitsAllocated"],
            row["NumberOfFrames"],
            row["SamplesPerPixel"],
        )
        want = (
            fi.transfer_syntax_uid,
            fi.rows,
            fi.columns,
            fi.bits_allocated,
            fi.number_of_frames,
            fi.samples_per_pixel,
        )
        if row["error"] is not None or got != want:
            diffs.append(f"{path.name}: scan {got} error {row['error']!r}, frame_info {want}")
    return compared, diffs


def test_scanner_and_reader_agree_on_real_files() -> None:
    files = _files()
    if not CORPUS.is_dir():
        pytest.skip(f"development corpus not found at {CORPUS}")
    compared, diffs = _compare(files)
    assert compared > 350, compared
    assert diffs == [], "\n".join(diffs)


def _write(path: Path, edit) -> Path:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "US"
    ds.SliceThickness = "1"
    ds.StudyInstanceUID = "1.2.3.4"
    ds.InstanceNumber = "3"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 2
    ds.Columns = 3
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(6)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True)
    data = path.read_bytes()
    path.write_bytes(edit(data))
    return path


def _insert_before(tag_bytes: bytes, extra: bytes):
    def edit(data: bytes) -> bytes:
        at = data.index(tag_bytes)
        return data[:at] + extra + data[at:]

    return edit


def test_stray_item_at_the_top_level(tmp_path: Path) -> None:
    # (FFFE,E000) with a defined length of 6 between (0018,0050) and (0020,000D).
    stray = b"\xfe\xff\x00\xe0\x06\x00\x00\x00ABCDEF"
    p = _write(tmp_path / "stray.dcm", _insert_before(b"\x20\x00\x0d\x00UI", stray))
    ds = pydicom.dcmread(p)
    fi = dicodec.frame_info(p)
    row = dicodec.scan(p, [*TAGS, "StudyInstanceUID", "InstanceNumber"]).to_pylist()[0]
    assert row["error"] is None
    assert row["notes"] is None
    assert (row["Rows"], row["Columns"]) == (fi.rows, fi.columns) == (ds.Rows, ds.Columns)
    assert row["StudyInstanceUID"] == ds.StudyInstanceUID == "1.2.3.4"
    assert row["InstanceNumber"] == 3


def test_two_valued_rows_and_bad_integer_string(tmp_path: Path) -> None:
    # Rows (VM 1) holding two US values: 2 and 9.
    def edit(data: bytes) -> bytes:
        rows = b"\x28\x00\x10\x00US\x02\x00\x02\x00"
        data = data.replace(rows, b"\x28\x00\x10\x00US\x04\x00\x02\x00\x09\x00")
        return data.replace(b"\x20\x00\x13\x00IS\x02\x003 ", b"\x20\x00\x13\x00IS\x02\x001A")

    p = _write(tmp_path / "multi.dcm", edit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(p)
        assert list(ds.Rows) == [2, 9]
    fi = dicodec.frame_info(p)
    row = dicodec.scan(p, [*TAGS, "InstanceNumber"]).to_pylist()[0]
    # The rule: a VM-1 column takes the first value, as frame_info does...
    assert row["Rows"] == fi.rows == 2
    # ...and a number that does not parse is null (the file is not an error);
    # both are noted, in column order.
    assert row["InstanceNumber"] is None
    assert row["error"] is None
    notes = row["notes"].split("; ")
    assert "(0028,0010) 2 values where VM is 1: the first is kept" in notes
    assert "(0020,0013) IS value '1A' is not an integer: null" in notes
    assert len(notes) == 2
