"""read_pixels / frame_info on the real files of the shared corpus, checked
against the MANIFEST (ref_sha256 = pydicom/GDCM's decoded array, geometry and
encapsulation parsed independently)."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pytest

import dicodec
from conftest import corpus_params, corpus_rows
from dicodec import DicodecError, UnsupportedError

NATIVE_GROUPS = {"native_implicit_le", "native_explicit_le", "native_explicit_be"}
DEFLATED_GROUPS = {"deflated_explicit_le"}
CODEC_GROUPS = {"rle_lossless", "jpeg_lossless_p14", "jpeg_lossless_sv1"}
# Corrupt or odd files: either the right array or a DicodecError, never a crash.
ODD_FLAGS = {
    "decode_failed_all",
    "native_pixel_data_short",
    "native_pixel_data_padded",
    "odd_pixel_data_length",
    "decoders_disagree",
    "meta_missing_ts",
    "no_file_meta",
    "jpeg_stream_anomaly",
    "rle_odd_segment_length",
    "gdcm_direct_crash",
}
# pydicom cannot read these past a truncated pixel data sequence (no
# sequence delimiter at the end of the file), so the MANIFEST records no pixel
# data; dicodec finds the encapsulated pixel data and its fragments.
TRUNCATED_PIXEL_SEQUENCE = {
    "fodicom__GH1339.dcm",
    "pydicomdata__emri_small_jpeg_2k_lossless_too_short.dcm",
}


def _flags(row: dict[str, str]) -> set[str]:
    return set(filter(None, row["flags"].split(";")))


def _sha(arr: np.ndarray, row: dict[str, str]) -> str:
    assert str(arr.dtype) == row["decoded_dtype"]
    assert "x".join(map(str, arr.shape)) == row["decoded_shape"]
    assert arr.flags.c_contiguous
    return hashlib.sha256(arr.tobytes()).hexdigest()


def _read(source, **kw) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dicodec.DicodecWarning)
        return dicodec.read_pixels(source, **kw)


def _is_native_ref(r: dict[str, str]) -> bool:
    return (
        r["kind"] == "dicom"
        and r["ts_group"] in NATIVE_GROUPS | DEFLATED_GROUPS
        and bool(r["ref_sha256"])
    )


@pytest.mark.parametrize("row", corpus_params(_is_native_ref))
def test_native_matches_reference(row, corpus_dir):
    path = corpus_dir / row["file"]
    assert _sha(_read(path), row) == row["ref_sha256"]
    # Same bytes from a buffer (zero-copy path) and on one thread.
    assert _sha(_read(path.read_bytes(), threads=1), row) == row["ref_sha256"]


@pytest.mark.parametrize("row", corpus_params(_is_native_ref))
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_native_from_pydicom_dataset(row, corpus_dir):
    pydicom = pytest.importorskip("pydicom")
    ds = pydicom.dcmread(corpus_dir / row["file"], force=True)
    assert _sha(_read(ds), row) == row["ref_sha256"]


def _codec_row(r: dict[str, str]) -> bool:
    return r["kind"] == "dicom" and r["ts_group"] in CODEC_GROUPS and bool(r["ref_sha256"])


def _codec_param(row: dict[str, str]):
    return pytest.param(row, id=row["file"])


_CODEC_ROWS = [
    p if p.values[0] is None else _codec_param(p.values[0]) for p in corpus_params(_codec_row)
]


@pytest.mark.parametrize("row", _CODEC_ROWS)
def test_rle_and_jpeg_lossless_match_reference(row, corpus_dir):
    arr = _read(corpus_dir / row["file"])
    assert _sha(arr, row) == row["ref_sha256"]


def _dicom(r: dict[str, str]) -> bool:
    return r["kind"] == "dicom"


def _num(s: str) -> int | None:
    return int(s) if s else None


@pytest.mark.parametrize("row", corpus_params(_dicom))
def test_frame_info_matches_manifest(row, corpus_dir):
    path = corpus_dir / row["file"]
    flags = _flags(row)
    if row["file"] in TRUNCATED_PIXEL_SEQUENCE:
        info = dicodec.frame_info(path)
        assert info.encapsulated and info.pixel_data_length is None and info.fragments >= 1
        return
    if "no_pixel_data" in flags:
        with pytest.raises(DicodecError):
            dicodec.frame_info(path)
        return
    info = dicodec.frame_info(path)
    assert info.transfer_syntax_uid == row["transfer_syntax_uid"]
    assert info.rows == _num(row["rows"])
    assert info.columns == _num(row["columns"])
    assert info.samples_per_pixel == _num(row["samples_per_pixel"])
    assert info.bits_allocated == _num(row["bits_allocated"])
    assert info.bits_stored == _num(row["bits_stored"])
    assert info.pixel_representation == _num(row["pixel_representation"])
    assert info.photometric_interpretation == (row["photometric_interpretation"] or None)
    assert info.number_of_frames == _num(row["frames"])
    assert info.pixel_element == row["pixel_element"]
    assert info.has_file_meta == (row["has_file_meta"] == "True")
    assert info.encapsulated == (row["encapsulated"] == "True")
    if info.encapsulated:
        assert info.fragments == int(row["fragments"])
        assert len(info.basic_offset_table) == int(row["bot_entries"])
        assert info.extended_offset_table == (row["has_extended_offset_table"] == "True")
        assert info.pixel_data_length is None
    elif not info.deflated:
        # The length present in the file (a truncated file claims more).
        present = path.stat().st_size - info.pixel_data_offset
        assert min(info.pixel_data_length, present) == int(row["pixel_data_len"])
    if info.problem is None:
        assert info.frames >= (_num(row["frames"]) or 1)
        assert len(info.frame_ranges) == info.frames
        size = len(path.read_bytes()) if not info.deflated else None
        for frame in info.frame_ranges:
            assert frame, "every frame has at least one byte range"
            for offset, length in frame:
                assert offset >= info.pixel_data_offset
                if size is not None:
                    assert offset + length <= size
        if row["decoded_shape"] and row["decodable"] == "yes":
            assert "x".join(map(str, info.shape)) == row["decoded_shape"]
            assert str(info.dtype) == row["decoded_dtype"]


def _odd(r: dict[str, str]) -> bool:
    return r["kind"] == "dicom" and bool(_flags(r) & ODD_FLAGS)


@pytest.mark.parametrize("row", corpus_params(_odd))
def test_odd_files_give_the_right_array_or_an_error(row, corpus_dir):
    path = corpus_dir / row["file"]
    try:
        arr = _read(path)
    except DicodecError:
        return
    if row["ref_sha256"]:
        assert _sha(arr, row) == row["ref_sha256"]
    else:
        assert arr.size > 0


# What this build decodes (the codec registry): the other syntaxes must be
# refused with UnsupportedError naming them.
DECODABLE = {c.transfer_syntax_uid for c in dicodec._native.codecs() if c.can_decode}
JPEG_LS = {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}


def _other_encapsulated(r: dict[str, str]) -> bool:
    return (
        r["kind"] == "dicom"
        and r["selected_as"] in ("other_ts_sample", "other_ts_odd")
        and r["encapsulated"] == "True"
        and r["transfer_syntax_uid"] not in DECODABLE
    )


def _jpeg_ls(r: dict[str, str]) -> bool:
    return r["kind"] == "dicom" and r["transfer_syntax_uid"] in JPEG_LS and bool(r["ref_sha256"])


@pytest.mark.parametrize("row", corpus_params(_jpeg_ls))
def test_jpeg_ls_files_equal_the_reference(row, corpus_dir):
    """JPEG-LS (.80/.81) through read_pixels: bit-exact with the MANIFEST's
    reference (pydicom with CharLS-based decoders)."""
    arr = _read(corpus_dir / row["file"])
    assert _sha(arr, row) == row["ref_sha256"]


def test_no_corpus_file_is_unsupported():
    """Every encapsulated syntax of the corpus has a codec now (the list of
    other syntaxes is empty); a syntax without one is tested below."""
    assert [r["file"] for r in corpus_rows() if _other_encapsulated(r)] == []


def test_a_syntax_without_codec_is_named_and_framed(tmp_path):
    """MPEG2 (no codec): frames are found, decoding says which syntax."""
    pydicom = pytest.importorskip("pydicom")
    ds = pydicom.dcmread(pydicom.data.get_testdata_file("MR_small_jpeg_ls_lossless.dcm"))
    mpeg2 = "1.2.840.10008.1.2.4.100"
    ds.file_meta.TransferSyntaxUID = mpeg2
    path = tmp_path / "mpeg2.dcm"
    ds.save_as(path)
    info = dicodec.frame_info(path)
    assert not info.decodable and mpeg2 in (info.unsupported_reason or "")
    assert len(info.frame_ranges) == info.frames == 1
    with pytest.raises(UnsupportedError, match=mpeg2):
        _read(path)
