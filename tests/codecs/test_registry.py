"""The codec registry as Python sees it (``_native.codecs()``), and the
error classes of caller mistakes."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

import dicodec
from dicodec import _native
from dicodec.errors import DicodecError, InvalidArgumentError, InvalidArgumentTypeError


def test_registry_lists_each_syntax_once_with_its_codec():
    entries = _native.codecs()
    uids = [c.transfer_syntax_uid for c in entries]
    assert len(uids) == len(set(uids))
    by_uid = {c.transfer_syntax_uid: c for c in entries}
    rle = by_uid[pydicom.uid.RLELossless]
    assert (rle.name, rle.encapsulated, rle.lossy, rle.feature) == (
        "RLE Lossless",
        True,
        False,
        "rle",
    )
    assert rle.can_decode and rle.can_encode
    for uid in (pydicom.uid.JPEGLossless, pydicom.uid.JPEGLosslessSV1):
        assert by_uid[uid].can_decode and by_uid[uid].can_encode
    assert not by_uid[pydicom.uid.ExplicitVRLittleEndian].encapsulated
    # Names agree with pydicom's UID dictionary.
    for c in entries:
        known = pydicom.uid.UID(c.transfer_syntax_uid).name
        if known != c.transfer_syntax_uid:  # pydicom 3.0 predates JPEG XL and deflated frames
            assert c.name == known
    assert "1.2.840.10008.1.2.4.100" not in by_uid  # MPEG2: no codec
    with pytest.raises(AttributeError):
        rle.lossy = True  # type: ignore[misc]


def test_frame_info_decodable_follows_the_registry():
    decodable = {c.transfer_syntax_uid for c in _native.codecs() if c.can_decode}
    for name in ("SC_rgb_rle_2frame.dcm", "JPEG2000.dcm", "CT_small.dcm"):
        path = pydicom.data.get_testdata_file(name)
        info = dicodec.frame_info(path)
        assert info.decodable == (info.transfer_syntax_uid in decodable), name


def test_wrong_out_is_a_caller_mistake():
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    arr = dicodec.read_pixels(path)
    with pytest.raises(InvalidArgumentTypeError, match="dtype") as e:
        dicodec.read_pixels(path, out=np.empty(arr.shape, np.float32))
    assert isinstance(e.value, TypeError) and isinstance(e.value, ValueError)
    with pytest.raises(InvalidArgumentError, match="shape") as e2:
        dicodec.read_pixels(path, out=np.empty((3, 3), arr.dtype))
    assert isinstance(e2.value, DicodecError) and not isinstance(e2.value, TypeError)
    with pytest.raises(InvalidArgumentError, match="C-contiguous"):
        dicodec.read_pixels(path, out=np.empty(arr.shape[::-1], arr.dtype).T)
