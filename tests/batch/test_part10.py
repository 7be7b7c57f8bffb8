"""``dicodec._part10``: the element walk the transcoder copies by. Checked
against pydicom's parse of the same files (top-level tags and value
offsets), on undefined lengths, UN sequences, stray items, and on mutated
files (only ``MalformedError``/``LimitExceededError``, never another
exception or a hang)."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from transcode_util import rich_dataset

from dicodec import _part10, uids
from dicodec.errors import LimitExceededError, MalformedError
from dicodec.transcode import transcode_file

pydicom = pytest.importorskip("pydicom")


def _pydicom_tags(data: bytes) -> list[int]:
    ds = pydicom.dcmread(io.BytesIO(data))
    return [int(t) for t in ds.keys()]


def test_top_level_elements_match_pydicom() -> None:
    data = rich_dataset(np.arange(24, dtype=np.uint16).reshape(2, 3, 4))
    part = _part10.split(data, 1 << 20)
    assert [e.tag for e in part.elements] == _pydicom_tags(data)
    # Sequences of undefined length end after their delimiter.
    seq = next(e for e in part.elements if e.tag == 0x00081140)
    assert seq.length == _part10.UNDEFINED
    assert data[seq.end - 8 : seq.end] == b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    # Rebuilding with no change gives the same bytes but the recomputed group length.
    same = _part10.rebuild(part, {}, {})
    glen = next(e for e in part.elements if e.tag == 0x00080000)
    n = sum(e.end - e.start for e in part.elements if e.tag >> 16 == 8 and e.tag != 0x00080000)
    want = data[: glen.value] + struct.pack("<I", n) + data[glen.value + 4 :]
    assert same == want


def _testfile(name: str) -> bytes:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"{name} absent")
    return open(path, "rb").read()


def test_un_sequence_walk() -> None:
    """UN elements of undefined length (Implicit VR sequences inside an
    Explicit VR data set) are walked to their delimiter."""
    data = _testfile("UN_sequence.dcm")
    part = _part10.split(data, 1 << 26)
    assert [e.tag for e in part.elements] == _pydicom_tags(data)
    assert part.elements[-1].end == len(data)


@pytest.mark.parametrize("name", ["nested_priv_SQ.dcm", "priv_SQ.dcm", "MR_small_implicit.dcm"])
def test_not_explicit_little_endian_is_refused(name: str) -> None:
    """Implicit VR (or no file meta): not for the byte-copying route (the
    transcoder then goes through pydicom)."""
    with pytest.raises(MalformedError):
        _part10.split(_testfile(name), 1 << 26)


def test_stray_item_at_top_level_is_kept() -> None:
    """A defined-length item tag (FFFE,E000) among the top-level elements (a
    real ultrasound file has one): walked past and copied as it is."""
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    data = rich_dataset(pixels)
    part = _part10.split(data, 1 << 20)
    at = next(e for e in part.elements if e.tag == 0x0020000D).start
    stray = b"\xfe\xff\x00\xe0" + struct.pack("<I", 4) + b"junk"
    bad = data[:at] + stray + data[at:]
    tags = [e.tag for e in _part10.split(bad, 1 << 20).elements]
    assert 0xFFFEE000 in tags
    out = transcode_file(bad, "rle", verify=True)
    assert stray in out.data and out.route == "raw"


def test_mutations_raise_malformed_only() -> None:
    data = rich_dataset(np.arange(48, dtype=np.uint16).reshape(2, 4, 6))
    rng = np.random.default_rng(10)
    for i in range(400):
        buf = bytearray(data)
        for _ in range(int(rng.integers(1, 6))):
            pos = int(rng.integers(132, len(buf)))
            buf[pos] = int(rng.integers(0, 256))
        if i % 5 == 0:
            buf = buf[: int(rng.integers(132, len(buf)))]
        try:
            _part10.split(bytes(buf), 1 << 20)
        except (MalformedError, LimitExceededError):
            pass


def test_deep_nesting_is_refused() -> None:
    """Sequences nested past the depth limit: an error, not a recursion crash."""
    item = b""
    for _ in range(200):
        seq = b"\x09\x00\x10\x10SQ\x00\x00\xff\xff\xff\xff"
        item = seq + b"\xfe\xff\x00\xe0\xff\xff\xff\xff" + item + b"\xfe\xff\x0d\xe0\0\0\0\0"
        item += b"\xfe\xff\xdd\xe0\0\0\0\0"
    meta = _part10.element_bytes(0x00020010, "UI", uids.EXPLICIT_VR_LITTLE_ENDIAN.encode() + b"\0")
    data = b"\0" * 128 + b"DICM" + meta + item
    with pytest.raises(MalformedError, match="nested deeper"):
        _part10.split(data, 1 << 20)


def test_mutated_files_fail_with_dicodec_errors_only() -> None:
    """Mutated files through the whole transcoder (either route, verify on):
    a result or a DicodecError, never another exception."""
    import warnings

    from dicodec.errors import DicodecError

    data = rich_dataset(np.arange(2 * 16 * 12, dtype=np.uint16).reshape(2, 16, 12))
    rng = np.random.default_rng(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(150):
            buf = bytearray(data)
            for _ in range(int(rng.integers(1, 6))):
                pos = int(rng.integers(132, len(buf)))
                buf[pos] = int(rng.integers(0, 256))
            if i % 5 == 0:
                buf = buf[: int(rng.integers(132, len(buf)))]
            try:
                transcode_file(bytes(buf), "jpeg-ls", verify=True)
            except DicodecError:
                pass


def test_meta_without_preamble_and_command_elements() -> None:
    """Real files: a file meta group with no preamble (written with an empty
    one), and command elements (0000,xxxx), Implicit VR, inside an Explicit
    VR data set (copied as they are)."""
    pixels = np.arange(20, dtype=np.uint16).reshape(4, 5)
    data = rich_dataset(pixels)
    bare = data[132:]
    res = transcode_file(bare, "jpeg-ls", verify=True)
    assert res.route == "raw" and res.data[:132] == b"\0" * 128 + b"DICM"
    assert res.data[132:].count(b"TX-1") == 1  # the data set follows, once
    command = struct.pack("<HHI", 0, 0, 0)  # (0000,0000), Implicit VR, empty (as in a real file)
    odd = data + command
    assert _part10.split(odd, 1 << 20).elements[-1].tag == 0x00000000
    out = transcode_file(odd, "rle", verify=True)
    assert out.route == "raw" and command in out.data
