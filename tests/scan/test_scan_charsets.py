"""Character sets: the scanner's text decoding against pydicom's, code by code.

``_native.scan_decode_text`` is the scanner's decoder (``None``: the value is
left to pydicom, which the scanner then calls). Every JIS X 0208 code (ISO 2022
IR 87), every KS X 1001 code (ISO 2022 IR 149), every byte of the single-byte
sets, and escape/delimiter combinations are compared with
``pydicom.charset.decode_bytes``; then random names in each character set go
through whole files and ``dicodec.scan``.
"""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.charset import convert_encodings, decode_bytes, encode_string
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pydicom.valuerep import TEXT_VR_DELIMS

import dicodec
from dicodec._native import scan_decode_text

SINGLE_BYTE = ["ISO_IR 100", "ISO_IR 101", "ISO_IR 109", "ISO_IR 110", "ISO_IR 126",
               "ISO_IR 127", "ISO_IR 138", "ISO_IR 144", "ISO_IR 148", "ISO_IR 13"]  # fmt: skip


def pydicom_decode(value: bytes, terms: list[str]) -> str | None:
    """pydicom's decoding, or None when pydicom has to replace characters."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return decode_bytes(value, convert_encodings(terms), TEXT_VR_DELIMS)
        except (UnicodeError, UserWarning, ValueError, LookupError):
            return None


def charset_bytes(terms: list[str]) -> bytes:
    return "\\".join(terms).encode()


def check(value: bytes, terms: list[str], must_decode: bool) -> None:
    want = pydicom_decode(value, terms)
    got = scan_decode_text("LO", value, charset_bytes(terms))
    if got is not None:
        assert got == want, (value, terms)
    elif must_decode:
        assert want is None, f"left to pydicom but pydicom decodes it: {value!r} {terms}"


def test_every_jis_x_0208_code() -> None:
    terms = ["", "ISO 2022 IR 87"]
    decoded = 0
    for a in range(0x21, 0x7F):
        for b in range(0x21, 0x7F):
            value = b"\x1b$B" + bytes([a, b]) + b"\x1b(B"
            check(value, terms, must_decode=True)
            decoded += scan_decode_text("LO", value, charset_bytes(terms)) is not None
    assert decoded > 6800  # JIS X 0208 has 6879 characters


def test_every_ks_x_1001_code() -> None:
    terms = ["", "ISO 2022 IR 149"]
    decoded = 0
    for a in range(0xA1, 0xFF):
        for b in range(0xA1, 0xFF):
            value = b"\x1b$)C" + bytes([a, b])
            check(value, terms, must_decode=True)
            decoded += scan_decode_text("LO", value, charset_bytes(terms)) is not None
    assert decoded > 8000


@pytest.mark.parametrize("term", SINGLE_BYTE)
def test_every_byte_of_single_byte_sets(term: str) -> None:
    for c in range(0x20, 0x100):
        if c == 0x5C:
            continue
        # ISO_IR 13: single-byte JIS X 0201 here; two-byte Shift JIS goes to pydicom.
        single = term != "ISO_IR 13" or c < 0x80 or 0xA1 <= c <= 0xDF
        check(bytes([c]) + b"ab", [term], must_decode=single)
        # The same set reached through an escape sequence.
        if term not in ("ISO_IR 100", "ISO_IR 13"):
            iso2022 = term.replace("ISO_IR", "ISO 2022 IR")
            esc = {"101": b"-B", "109": b"-C", "110": b"-D", "126": b"-F", "127": b"-G",
                   "138": b"-H", "144": b"-L", "148": b"-M"}[term[-3:]]  # fmt: skip
            check(b"x\x1b" + esc + bytes([c]), ["ISO 2022 IR 6", iso2022], must_decode=False)


def test_escape_sequences_and_delimiters() -> None:
    cases = [
        (b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B", ["", "ISO 2022 IR 87"]),
        (
            b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J",
            ["ISO 2022 IR 13", "ISO 2022 IR 87"],
        ),  # fmt: skip
        (b"Hong=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf", ["", "ISO 2022 IR 149"]),
        (b"\x1b$)C\xc8\xab\r\n\xc8\xab", ["ISO_IR 100", "ISO 2022 IR 149"]),
        (b"\x1b-L\xbb\t\xbb", ["ISO 2022 IR 100", "ISO 2022 IR 144"]),
        (b"a\x1b(Bb", ["ISO_IR 192"]),
        (b"\x1b$B;3ED", ["ISO_IR 100"]),  # escape to an undeclared set
        (b"\x1b$B;3", ["", "ISO 2022 IR 87"]),
        (b"\x1b$B-!", ["", "ISO 2022 IR 87"]),  # NEC row: Python rejects it
        (b'\x1b$B!A!B!]!q!r"L', ["", "ISO 2022 IR 87"]),  # Python's own mappings
        (b"caf\xc3\xa9", ["ISO_IR 192"]),
        (b"caf\xe9", ["ISO_IR 192"]),  # invalid UTF-8
        (b"\xc4\xe3\xba\xc3", ["GB18030"]),  # left to pydicom
        (b"abc", ["GBK"]),
        (b"abc", ["NOT A CHARSET"]),
    ]
    for value, terms in cases:
        check(value, terms, must_decode=False)
    assert scan_decode_text("PN", cases[0][0], b"\\ISO 2022 IR 87") == pydicom_decode(
        cases[0][0], cases[0][1]
    )
    assert scan_decode_text("LO", b"\x1b$B!A", b"\\ISO 2022 IR 87") == "\u301c"


def test_misspelled_terms_decoded_as_pydicom_corrects_them() -> None:
    """pydicom patches "ISO-IR 100" to "ISO_IR 100" (and "ISO_2022_IR_87" to
    "ISO 2022 IR 87") with a warning; the scanner decodes the same text."""
    cases = [
        (b"M\xfcller", ["ISO-IR 100"]),
        (b"M\xfcller", ["ISO IR 100"]),
        (b"\xc4\xcb\xcf\xcd\xd5\xd3\xc9\xcf\xd3", ["ISO-IR 126"]),
        (b"\x1b$B;3ED\x1b(B", ["", "ISO_2022_IR_87"]),
        (b"abc\xe9", ["ISO-IR 999"]),  # patched to nothing known: the default
    ]
    for value, terms in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = decode_bytes(value, convert_encodings(terms), TEXT_VR_DELIMS)
        assert scan_decode_text("LO", value, charset_bytes(terms)) == want, (value, terms)


# ---- whole files ----

ALPHABETS = {
    ("", "ISO 2022 IR 87"): "山田太郎やまだたろうヤマダ東京都〜‖−¢£¬" + "abcXYZ",
    ("ISO 2022 IR 13", "ISO 2022 IR 87"): "山田太郎やまだ" + "ｱｲｳｴｵﾔﾏﾀﾞ",
    ("", "ISO 2022 IR 149"): "홍길동洪吉洞김희중" + "abc",
    ("ISO_IR 144",): "ЛюксембургПривет" + "abc",
    ("ISO_IR 126",): "Διονυσιοςαβγ",
    ("ISO_IR 127",): "قبانيلنزار",
    ("ISO_IR 138",): "שרוןדבורה",
    ("ISO_IR 148",): "ĞğİıŞşÇç",
    ("ISO_IR 101",): "ŁódźŻółć",
    ("ISO_IR 192",): "Wang小東Jérôme홍길동",
    ("ISO_IR 100",): "JérômeÄneasRüdiger",
    ("GB18030",): "王小东中文",
}


def _random_name(rng: random.Random, alphabet: str) -> str:
    groups = []
    for _ in range(rng.randint(1, 3)):
        parts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5)))]
        parts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))]
        groups.append("^".join(parts))
    return "=".join(groups)


def _write(path: Path, terms: tuple[str, ...], name: str, text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # values longer than the VR allows
        _write_dataset(path, terms, name, text)


def _write_dataset(path: Path, terms: tuple[str, ...], name: str, text: str) -> None:
    ds = Dataset()
    ds.SpecificCharacterSet = list(terms) if len(terms) > 1 else terms[0]
    encodings = convert_encodings(list(terms))
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = generate_uid()
    ds.add_new(0x00100010, "PN", name.encode("utf-8"))
    ds[0x00100010].value = pydicom.valuerep.PersonName(name).encode(encodings)
    ds.add_new(0x00081030, "LO", encode_string(text, encodings))
    ds.add_new(0x00204000, "LT", encode_string(text + "\r\n" + text, encodings))
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True)


def test_random_names_through_files(tmp_path: Path) -> None:
    rng = random.Random(20240601)
    paths = []
    for k, (terms, alphabet) in enumerate(ALPHABETS.items()):
        for i in range(12):
            p = tmp_path / f"cs{k:02d}_{i:02d}.dcm"
            _write(p, terms, _random_name(rng, alphabet), _random_name(rng, alphabet))
            paths.append(p)
    tags = ["PatientName", "StudyDescription", "ImageComments"]
    rows = dicodec.scan(paths, tags).to_pylist()
    for p, row in zip(paths, rows, strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(p)
            want = [str(ds.PatientName), str(ds.StudyDescription), str(ds.ImageComments)]
        assert row["error"] is None
        assert [row[t] for t in tags] == want, p.name
