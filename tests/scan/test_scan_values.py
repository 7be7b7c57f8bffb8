"""dicodec.scan values against pydicom, file by file.

Every file of the shared corpus and every file bundled with pydicom (test
files, character-set files, palettes) is scanned once with a broad tag set,
and each value is compared with ``pydicom.dcmread(path,
stop_before_pixels=True)`` for the same file (``force=True`` for datasets
without a file meta header, which dicodec reads too).

Normalisation of pydicom's values to dicodec's typed columns:

* missing element -> None; numeric element that is empty -> None;
* text -> ``str(value)`` (so PN compares as ``str(PersonName)``);
* list columns (dictionary VM other than 1): a single value becomes
  ``[value]``, an empty text value ``[]``, an empty/unparsable number None;
* scalar columns holding several values: text joined with a backslash,
  numbers -> the first;
* IS -> ``int``, DS/FL/FD -> ``float`` (compared exactly);
* where pydicom raises while converting a value (e.g. IS "1A"), dicodec gives
  None.

Files dicodec rejects (``error`` set) must be files pydicom rejects too
(without ``force``). Files where pydicom finds no data set because a chance
"DICM" at byte 128 makes it read garbage are listed in ``PYDICOM_MISREADS``:
dicodec reads them as the raw data sets they are.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pyarrow as pa
import pydicom
import pytest
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue

import dicodec
from conftest import CORPUS, corpus_rows
from dicodec.scan import scan_schema

PYDICOM_DATA = Path(pydicom.__file__).parent / "data"

TAGS = [
    "PatientName",
    "PatientID",
    "OtherPatientNames",
    "PatientAge",
    "PatientSex",
    "ReferringPhysicianName",
    "InstitutionName",
    "StudyDescription",
    "SeriesDescription",
    "ImageComments",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "SOPClassUID",
    "Modality",
    "StudyDate",
    "StudyTime",
    "AcquisitionDateTime",
    "AccessionNumber",
    "SeriesNumber",
    "InstanceNumber",
    "ImageType",
    "SpecificCharacterSet",
    "Manufacturer",
    "Rows",
    "Columns",
    "BitsAllocated",
    "BitsStored",
    "PixelRepresentation",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "NumberOfFrames",
    "PixelSpacing",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "SliceThickness",
    "WindowCenter",
    "WindowWidth",
    "RescaleIntercept",
    "RescaleSlope",
    "SmallestImagePixelValue",
    "LargestImagePixelValue",
    "DiffusionBValue",
    "FileMetaInformationGroupLength",
    "TransferSyntaxUID",
    "ImplementationVersionName",
    "(0008,0000)",
    "(0028,0000)",
]

#: Raw data sets whose bytes 128..131 happen to read "DICM": pydicom takes
#: them for a preamble and reads nothing; dicodec reads the data set.
PYDICOM_MISREADS = {"dcm4che__no_preamble_dicm_in_data.dcm"}


def _files() -> list[Path]:
    out = [CORPUS / r["file"] for r in corpus_rows()]
    for sub in ("test_files", "charset_files", "palettes"):
        out += sorted(p for p in (PYDICOM_DATA / sub).rglob("*") if p.is_file())
    return out


FILES = _files()


@pytest.fixture(scope="module")
def scanned() -> dict[str, dict[str, Any]]:
    table = dicodec.scan([str(p) for p in FILES], TAGS)
    assert table.num_rows == len(FILES)
    assert table.column("path").to_pylist() == [str(p) for p in FILES]
    return {r["path"]: r for r in table.to_pylist()}


@pytest.fixture(scope="module")
def types() -> dict[str, pa.DataType]:
    return {f.name: f.type for f in scan_schema(TAGS)}


def _tag(name: str) -> int:
    if name.startswith("("):
        return int(name[1:5] + name[6:10], 16)
    tag = pydicom.datadict.tag_for_keyword(name)
    assert tag is not None
    return tag


def expected(value: Any, ty: pa.DataType) -> Any:
    """pydicom's value as dicodec types it (see the module docstring)."""
    if value is None:
        return None
    is_list = pa.types.is_list(ty)
    base = ty.value_type if is_list else ty

    def conv(x: Any) -> Any:
        if pa.types.is_string(base):
            return str(x)
        if x is None or x == "":
            return None
        if pa.types.is_integer(base):
            return int(x)
        if pa.types.is_floating(base):
            return float(x)
        return bytes(x)

    items = list(value) if isinstance(value, MultiValue | list) else [value]
    if is_list:
        if pa.types.is_string(base):
            return [] if items == [""] else [conv(x) for x in items]
        if len(items) == 1 and items[0] in ("", None):
            return None
        return [conv(x) for x in items]
    if pa.types.is_string(base):
        return "\\".join(str(x) for x in items)
    return conv(items[0])


def _read(path: Path) -> pydicom.Dataset | None:
    """pydicom's reading, or None when pydicom rejects the file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pydicom.dcmread(path, stop_before_pixels=True)
        except InvalidDicomError:
            try:
                return pydicom.dcmread(path, stop_before_pixels=True, force=True)
            except Exception:
                return None
        except Exception:
            return None


def _rejected_by_pydicom(path: Path) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:
            return True
    return False


def _pydicom_value(ds: pydicom.Dataset, tag: int, ty: pa.DataType) -> Any:
    where = ds.file_meta if tag >> 16 == 2 else ds
    if where is None or tag not in where:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return expected(where[tag].value, ty)
        except Exception:
            return None


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_values_equal_pydicom(path: Path, scanned, types) -> None:
    row = scanned[str(path)]
    if row["error"] is not None:
        assert _rejected_by_pydicom(path), f"dicodec rejects a file pydicom reads: {row['error']}"
        return
    if path.name in PYDICOM_MISREADS:
        assert row["Modality"] and row["SpecificCharacterSet"], row
        return
    ds = _read(path)
    assert ds is not None, "pydicom cannot read a file dicodec scans"
    diffs = {}
    for name in TAGS:
        want = _pydicom_value(ds, _tag(name), types[name])
        if row[name] != want:
            diffs[name] = (want, row[name])
    assert not diffs, f"(pydicom, dicodec): {diffs}"


def test_most_files_are_scanned(scanned) -> None:
    ok = [r for r in scanned.values() if r["error"] is None]
    assert len(ok) >= 150  # pydicom alone bundles more DICOM files than that


def test_non_ascii_person_names(scanned) -> None:
    """Latin-1, UTF-8, ISO 2022 (Japanese, Korean) and other character sets."""
    names = {
        Path(p).name: r["PatientName"]
        for p, r in scanned.items()
        if "charset_files" in p and r["PatientName"]
    }
    assert names["chrFren.dcm"] == "Buc^Jérôme"  # ISO_IR 100, decoded in Rust
    assert names["chrX1.dcm"] == "Wang^XiaoDong=王^小東"  # ISO_IR 192, Rust
    assert names["chrH31.dcm"] == "Yamada^Tarou=山田^太郎=やまだ^たろう"  # ISO 2022 IR 87
    assert names["chrH32.dcm"] == "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"  # IR 13 + IR 87
    assert names["chrI2.dcm"] == "Hong^Gildong=洪^吉洞=홍^길동"  # ISO 2022 IR 149
    assert names["chrKoreanMulti.dcm"] == "김희중"
    assert names["chrRuss.dcm"] == "Люкceмбypг"  # ISO_IR 144
    assert names["chrX2.dcm"] == "Wang^XiaoDong=王^小东"  # GB18030
    non_ascii = [n for n in names.values() if not n.isascii()]
    assert len(non_ascii) >= 10


def test_types_of_columns(types) -> None:
    assert types["PatientName"] == pa.string()
    assert types["Rows"] == pa.int64()
    assert types["NumberOfFrames"] == pa.int64()
    assert types["PixelSpacing"] == pa.list_(pa.float64())
    assert types["ImageType"] == pa.list_(pa.string())
    assert types["SliceThickness"] == pa.float64()
    assert types["FileMetaInformationGroupLength"] == pa.int64()
    assert types["SmallestImagePixelValue"] == pa.int64()
