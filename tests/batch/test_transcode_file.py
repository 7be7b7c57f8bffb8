"""``dicodec.transcode.transcode_file``: one file to every syntax dicodec
encodes and back. Pixels are checked with pydicom's own plugins (GDCM,
pylibjpeg, numpy; never dicodec's) and with Python's zlib for deflated
frames; every element but those a transcoder may change is compared byte
for byte (raw route) and with pydicom element by element."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from transcode_util import (
    NoPeerDecoder,
    allowed_changes,
    changed_tags,
    pydicom_pixels,
    rich_dataset,
    same_elements,
)

import dicodec
from dicodec import uids
from dicodec.compress import encodable_syntaxes, is_lossy
from dicodec.errors import InvalidArgumentError, UnsupportedError
from dicodec.transcode import resolve_syntax, transcode_file

pydicom = pytest.importorskip("pydicom")

LOSSLESS = sorted(u for u in encodable_syntaxes() if not is_lossy(u))
RNG = np.random.default_rng(14)


def _sources() -> dict[str, tuple[bytes, np.ndarray]]:
    """Synthetic sources: signed 16-bit multi-frame, 12-bit unsigned, 8-bit
    RGB stored colour-by-plane, 8-bit mono with odd columns."""
    out = {}
    a = RNG.integers(-3000, 3000, size=(3, 40, 33), dtype=np.int16)
    out["s16x3"] = (rich_dataset(a), a)
    b = RNG.integers(0, 4096, size=(50, 64), dtype=np.uint16)
    out["u12"] = (rich_dataset(b, bits_stored=12), b)
    c = RNG.integers(0, 256, size=(2, 24, 31, 3), dtype=np.uint8)
    out["rgb_planar"] = (rich_dataset(c, planar=1), c)
    d = RNG.integers(0, 256, size=(17, 19), dtype=np.uint8)
    out["u8_odd"] = (rich_dataset(d), d)
    return out


SOURCES = _sources()


def _peer_pixels(data: bytes, syntax: str) -> np.ndarray:
    """The output's pixels decoded without dicodec."""
    if pydicom.uid.UID(syntax).name == syntax:  # pydicom 3.0 does not know deflated frames
        ds = pydicom.dcmread(io.BytesIO(data))
        from pydicom.encaps import generate_frames

        info = dicodec.frame_info(data)
        frames = [
            zlib.decompress(f, -15)
            for f in generate_frames(ds.PixelData, number_of_frames=info.frames)
        ]
        return np.frombuffer(b"".join(frames), info.dtype).reshape(info.shape)
    return pydicom_pixels(data)


@pytest.mark.parametrize("syntax", LOSSLESS)
@pytest.mark.parametrize("name", list(SOURCES))
def test_every_target_and_back(name: str, syntax: str) -> None:
    src, pixels = SOURCES[name]
    res = transcode_file(src, syntax, verify=True)
    assert res.route == ("copy" if syntax == uids.EXPLICIT_VR_LITTLE_ENDIAN else "raw")
    assert not res.lossy
    info = dicodec.frame_info(res.data)
    assert info.transfer_syntax_uid == syntax
    # Byte for byte: only pixel data, the transfer syntax, group lengths and
    # the Image Pixel attributes the syntax requires may differ.
    assert allowed_changes(changed_tags(src, res.data)) == set()
    assert same_elements(src, res.data) == []
    try:
        got = _peer_pixels(res.data, syntax)
    except NoPeerDecoder as e:
        pytest.skip(str(e))
    assert np.array_equal(got.reshape(pixels.shape), pixels)
    # And back to native: the pixels are the source's; Planar Configuration
    # is the only Image Pixel change (colour-by-plane in, by-pixel out).
    back = transcode_file(res.data, "native", verify=True)
    assert np.array_equal(pydicom_pixels(back.data).reshape(pixels.shape), pixels)
    assert allowed_changes(changed_tags(src, back.data)) == set()
    changed = changed_tags(src, back.data) & {0x00280004, 0x00280006}
    planar_changed = name == "rgb_planar" and syntax != uids.EXPLICIT_VR_LITTLE_ENDIAN
    assert changed == ({0x00280006} if planar_changed else set())


def test_options_and_lossy_policy() -> None:
    src, pixels = SOURCES["s16x3"]
    for p in range(1, 8):
        res = transcode_file(src, "jpeg-lossless-p14", predictor=p, verify=True)
        assert np.array_equal(pydicom_pixels(res.data), pixels)
    with pytest.raises(InvalidArgumentError, match="unknown transfer syntax"):
        transcode_file(src, "jpeg-lossy-please")
    lossy = [u for u in pydicom.uid.UID_dictionary if u.endswith(".4.81")]
    with pytest.raises((UnsupportedError, InvalidArgumentError)):
        transcode_file(src, lossy[0])  # refused: lossy (or not encodable in this build)


def test_same_syntax_is_copied() -> None:
    src, _ = SOURCES["u12"]
    res = transcode_file(src, "native", verify=True)
    assert res.route == "copy" and res.data == src


def test_extended_offset_table() -> None:
    src, pixels = SOURCES["s16x3"]
    res = transcode_file(src, "rle", encapsulate_ext=True, verify=True)
    ds = pydicom.dcmread(io.BytesIO(res.data))
    assert "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds
    assert np.array_equal(pydicom_pixels(res.data), pixels)
    # Back to native: the table goes with the encapsulation.
    back = transcode_file(res.data, "native")
    assert "ExtendedOffsetTable" not in pydicom.dcmread(io.BytesIO(back.data))


def test_source_without_file_meta() -> None:
    """A bare data set (no preamble, no file meta): read by pydicom, written
    as a valid Part 10 file with the meta group pydicom makes."""
    from dicodec import _part10

    src, pixels = SOURCES["u12"]
    part = _part10.split(src, 1 << 30)
    bare = src[part.elements[0].start :]
    res = transcode_file(bare, "jpeg-ls", verify=True)
    assert res.route == "pydicom" and res.data[128:132] == b"DICM"
    ds = pydicom.dcmread(io.BytesIO(res.data))
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert same_elements(src, res.data) == []  # the data set's elements
    assert np.array_equal(pydicom_pixels(res.data), pixels)


def test_aliases() -> None:
    assert resolve_syntax("native") == uids.EXPLICIT_VR_LITTLE_ENDIAN
    assert resolve_syntax("jpeg-lossless") == uids.JPEG_LOSSLESS_SV1
    assert resolve_syntax("JPEGLossless") == uids.JPEG_LOSSLESS
    assert resolve_syntax(uids.RLE_LOSSLESS) == uids.RLE_LOSSLESS
    assert resolve_syntax("jpeg-ls") in encodable_syntaxes()


# ---- pydicom's test files: other source syntaxes, real-world element sets ----

PYDICOM_FILES = [
    "CT_small.dcm",  # Explicit VR LE
    "MR_small_implicit.dcm",  # Implicit VR LE: the pydicom route
    "MR_small_bigendian.dcm",  # Explicit VR BE: the pydicom route
    "image_dfl.dcm",  # Deflated Explicit VR LE: inflated, raw route
    "MR_small_RLE.dcm",
    "SC_rgb_rle_16bit_2frame.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "MR_small_jp2klossless.dcm",
    "JPEG2000.dcm",
    "GDCMJ2K_TextGBR.dcm",  # YBR_RCT: decoded as RGB, written as RGB
    "SC_ybr_full_422_uncompressed.dcm",  # written as YBR_FULL
    "SC_rgb_jpeg_dcmtk.dcm",  # lossy source: decoded YCbCr kept losslessly
    "liver_1frame.dcm",
    "rtdose_1frame.dcm",
    "examples_palette.dcm",
]


def _testfile(name: str):  # noqa: ANN202
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom test file {name} absent")
    return path


@pytest.mark.parametrize("syntax", ["native", "rle", "jpeg-lossless", "jpeg-ls", "deflate"])
@pytest.mark.parametrize("name", PYDICOM_FILES)
def test_pydicom_files(name: str, syntax: str) -> None:
    path = _testfile(name)
    src = open(path, "rb").read()
    ref = dicodec.read_pixels(src)
    try:
        peer_ref = pydicom_pixels(src)
    except NoPeerDecoder:
        peer_ref = None
    if peer_ref is not None:
        assert np.array_equal(peer_ref.reshape(ref.shape), ref)
    uid = resolve_syntax(syntax)
    info = dicodec.frame_info(src)
    too_deep = (info.bits_stored or 0) > 16 and syntax in ("jpeg-lossless", "jpeg-ls")
    one_bit = info.bits_allocated == 1 and syntax != "native"
    if too_deep or one_bit:  # what the target cannot hold is refused
        with pytest.raises(UnsupportedError):
            transcode_file(src, uid)
        return
    res = transcode_file(src, uid, verify=True)
    expected_route = (
        "copy"
        if info.transfer_syntax_uid == uid
        else "pydicom"
        if info.transfer_syntax_uid in (uids.IMPLICIT_VR_LITTLE_ENDIAN, uids.EXPLICIT_VR_BIG_ENDIAN)
        or not info.has_file_meta
        else "raw"
    )
    assert res.route == expected_route
    assert same_elements(src, res.data) == []
    if res.route == "raw" and info.transfer_syntax_uid != uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
        assert allowed_changes(changed_tags(src, res.data)) == set()
    try:
        got = _peer_pixels(res.data, uid)
    except NoPeerDecoder as e:
        pytest.skip(str(e))
    assert np.array_equal(got.reshape(ref.shape), ref)
    ds = pydicom.dcmread(io.BytesIO(res.data))
    if info.photometric_interpretation == "YBR_FULL_422" and res.route != "copy":
        assert ds.PhotometricInterpretation == "YBR_FULL"
    if info.photometric_interpretation == "YBR_RCT":
        assert ds.PhotometricInterpretation == "RGB"
        rgb = pydicom.pixels.pixel_array(path, decoding_plugin="gdcm")  # colour-converted
        assert np.array_equal(got.reshape(rgb.shape), rgb)
    assert ds.SOPInstanceUID == pydicom.dcmread(path).SOPInstanceUID  # lossless: kept


def test_lossy_marks_the_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a lossy target writes (no lossy encoder is registered in every
    build: RLE is declared lossy here to drive the mechanism): Lossy Image
    Compression "01", the ratio and method appended, a new SOP Instance UID
    in the data set and the file meta group; refused without allow_lossy."""
    import dicodec.transcode as t

    lossy = {uids.RLE_LOSSLESS, uids.JPEG_LOSSLESS_SV1}
    monkeypatch.setattr(t, "is_lossy", lambda uid: uid in lossy)
    src, pixels = SOURCES["s16x3"]
    with pytest.raises(InvalidArgumentError, match="allow_lossy"):
        transcode_file(src, "rle")
    res = transcode_file(src, "rle", allow_lossy=True, verify=True)
    assert res.lossy and res.max_error == 0
    before = pydicom.dcmread(io.BytesIO(src))
    after = pydicom.dcmread(io.BytesIO(res.data))
    assert after.LossyImageCompression == "01"
    assert after.LossyImageCompressionMethod == pydicom.uid.UID(uids.RLE_LOSSLESS).name
    ratio = before.PixelData and len(before.PixelData) / len(after.PixelData)
    assert float(after.LossyImageCompressionRatio) == pytest.approx(ratio, rel=0.01)
    assert after.SOPInstanceUID != before.SOPInstanceUID
    assert after.file_meta.MediaStorageSOPInstanceUID == after.SOPInstanceUID
    assert np.array_equal(pydicom_pixels(res.data), pixels)
    # A second lossy step appends to the ratio and method.
    step2 = transcode_file(res.data, "jpeg-lossless", allow_lossy=True)
    again = pydicom.dcmread(io.BytesIO(step2.data))
    assert len(again.LossyImageCompressionRatio) == 2
    assert len(again.LossyImageCompressionMethod) == 2


def test_compress_uses_registry_encoders() -> None:
    """dicodec.compress writes every syntax with a registered encoder (here
    JPEG-LS Lossless), frames through the registry in one call; pydicom's own
    decoder reads the result."""
    from pydicom.data import get_testdata_file
    from pydicom.uid import JPEGLSLossless

    path = get_testdata_file("SC_rgb_rle_16bit_2frame.dcm", download=False)
    ds = pydicom.dcmread(path)
    before = dicodec.read_pixels(ds)
    dicodec.compress(ds, JPEGLSLossless, generate_instance_uid=False)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    assert ds.PlanarConfiguration == 0
    assert np.array_equal(pydicom_pixels(buf.getvalue()).reshape(before.shape), before)
    with pytest.raises(InvalidArgumentError, match="do not apply"):
        dicodec.compress(pydicom.dcmread(path), JPEGLSLossless, predictor=3)
