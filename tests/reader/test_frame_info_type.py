"""FrameInfo is one frozen class defined by the extension (no dict mirror):
its attributes, ``to_dict``, equality, and the batched ``frame_infos``."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

import dicodec
from dicodec import _native
from dicodec.reader import frame_infos

FIELDS = [
    "transfer_syntax_uid", "transfer_syntax_name", "transfer_syntax_inferred", "decodable",
    "unsupported_reason", "has_preamble", "has_file_meta", "deflated", "rows", "columns",
    "number_of_frames", "frames", "samples_per_pixel", "bits_allocated", "bits_stored",
    "high_bit", "pixel_representation", "planar_configuration", "photometric_interpretation",
    "dtype", "shape", "pixel_element", "pixel_vr", "pixel_data_offset", "pixel_data_length",
    "encapsulated", "basic_offset_table", "extended_offset_table", "fragments", "frame_ranges",
    "problem", "warnings",
]  # fmt: skip


def test_frame_info_is_the_native_frozen_class():
    path = pydicom.data.get_testdata_file("SC_rgb_rle_2frame.dcm")
    info = dicodec.frame_info(path)
    assert type(info) is dicodec.FrameInfo is _native.FrameInfo
    assert list(info.to_dict()) == FIELDS
    assert info.to_dict()["dtype"] == np.dtype("uint8")
    assert info.shape == (2, 100, 100, 3) and info.frames == 2
    assert info.transfer_syntax == "RLE Lossless (1.2.840.10008.1.2.5)"
    assert all(isinstance(o, int) for f in info.frame_ranges for r in f for o in r)
    assert info == dicodec.frame_info(path)
    assert info != dicodec.frame_info(pydicom.data.get_testdata_file("CT_small.dcm"))
    assert repr(info).startswith("FrameInfo(transfer_syntax_uid='1.2.840.10008.1.2.5'")
    with pytest.raises(AttributeError):
        info.frames = 3  # type: ignore[misc]


def test_frame_infos_returns_errors_in_place(tmp_path):
    good = pydicom.data.get_testdata_file("CT_small.dcm")
    got = frame_infos([good, tmp_path / "missing.dcm", good], threads=2)
    assert got[0] == got[2] == dicodec.frame_info(good)
    assert isinstance(got[1], dicodec.DicodecError) and "missing.dcm" in str(got[1])
    with pytest.raises(ValueError):
        frame_infos([good], threads=0)
