"""dicodec.compress to JPEG-LS (lossless and near-lossless), JPEG 2000
Lossless and Deflated Image Frame Compression: options reach the streams,
the attributes are set as DICOM requires (Photometric Interpretation for
J2K's colour transform, Lossy Image Compression and its ratio and method,
a new SOP Instance UID), lossy encoding only when asked for. Values are
checked against independent decoders (CharLS and OpenJPEG through
imagecodecs); the full matrix against pydicom's plugins and dcmtk is in
test_compress_tools.py."""

from __future__ import annotations

import numpy as np
import pytest

import dicodec
from dicodec import uids
from dicodec.errors import InvalidArgumentError

pydicom = pytest.importorskip("pydicom")
ic = pytest.importorskip("imagecodecs")
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.encaps import generate_frames  # noqa: E402
from pydicom.pixels import pixel_array  # noqa: E402


def _frames(ds) -> list[bytes]:
    return list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1))))


def test_jpeg_ls_options_reach_the_stream():
    ds = pydicom.dcmread(get_testdata_file("SC_rgb_rle_16bit_2frame.dcm"))
    before = pixel_array(ds, raw=True)
    dicodec.compress(ds, uids.JPEG_LS_LOSSLESS, interleave=1, restart_interval=5)
    assert ds.PlanarConfiguration == 0 and "LossyImageCompression" not in ds
    for f, want in zip(_frames(ds), before, strict=True):
        np.testing.assert_array_equal(ic.jpegls_decode(f), want)
        sos = f.index(b"\xff\xda")
        n = int.from_bytes(f[sos + 2 : sos + 4], "big")
        assert f[sos + 2 + n - 2] == 1  # ILV
        assert b"\xff\xdd" in f[:sos]  # DRI


def test_near_lossless_sets_the_lossy_attributes(tmp_path):
    ds = pydicom.dcmread(get_testdata_file("MR_small_RLE.dcm"))
    before = pixel_array(ds, raw=True)
    ds.LossyImageCompressionRatio = "3.5"
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    old = ds.SOPInstanceUID
    dicodec.compress(ds, uids.JPEG_LS_NEAR_LOSSLESS, jls_error=3, generate_instance_uid=False)
    assert ds.LossyImageCompression == "01"
    assert ds.LossyImageCompressionMethod == ["ISO_10918_1", "ISO_14495_1"]
    ratios = [float(r) for r in ds.LossyImageCompressionRatio]
    assert ratios[0] == 3.5
    stored = sum(len(f) for f in _frames(ds))
    assert ratios[1] == pytest.approx(before.nbytes / stored, abs=0.01)
    assert ds.SOPInstanceUID != old  # lossy: always a new instance
    (frame,) = _frames(ds)
    ref = ic.jpegls_decode(frame)
    err = np.abs(ref.astype(np.int64) - before.astype(np.int64)).max()
    assert 0 < err <= 3
    ds.save_as(tmp_path / "n.dcm", enforce_file_format=True)
    got = dicodec.read_pixels(str(tmp_path / "n.dcm"))
    np.testing.assert_array_equal(got, ref.astype(got.dtype))


def test_lossy_only_when_asked():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    with pytest.raises(InvalidArgumentError, match="is lossy: pass near"):
        dicodec.compress(ds, uids.JPEG_LS_NEAR_LOSSLESS)
    with pytest.raises(InvalidArgumentError, match="lossless transfer syntax"):
        dicodec.compress(ds, uids.JPEG_LS_LOSSLESS, near=2)
    with pytest.raises(InvalidArgumentError, match="j2k_cr"):
        dicodec.compress(ds, uids.JPEG_2000_LOSSLESS, j2k_cr=[10])
    with pytest.raises(InvalidArgumentError, match="predictor"):
        dicodec.compress(ds, uids.JPEG_LOSSLESS_SV1, predictor=3)
    with pytest.raises(InvalidArgumentError, match="disagree"):
        dicodec.compress(ds, uids.JPEG_LS_NEAR_LOSSLESS, near=1, jls_error=2)
    # signed data: near-lossless needs the values NEAR inside the range (as pydicom)
    with pytest.raises(InvalidArgumentError, match="needs samples in"):
        ds.PixelData = np.full((128, 128), -32768, dtype="<i2").tobytes()
        dicodec.compress(ds, uids.JPEG_LS_NEAR_LOSSLESS, near=1)
    assert ds.file_meta.TransferSyntaxUID == uids.EXPLICIT_VR_LITTLE_ENDIAN  # untouched


@pytest.mark.parametrize("mct", [True, False])
def test_j2k_rgb_is_stored_as_ybr_rct_by_default(mct):
    ds = pydicom.dcmread(get_testdata_file("SC_rgb_small_odd.dcm"))
    before = pixel_array(ds, raw=True)
    dicodec.compress(ds, uids.JPEG_2000_LOSSLESS, mct=mct, levels=1)
    assert ds.PhotometricInterpretation == ("YBR_RCT" if mct else "RGB")
    (frame,) = _frames(ds)
    info = dicodec.j2k_info(frame)
    assert (info["mct"], info["levels"], info["reversible"]) == (mct, 1, True)
    np.testing.assert_array_equal(ic.jpeg2k_decode(frame), before)
    np.testing.assert_array_equal(dicodec.read_pixels(ds), before)


def test_j2k_source_back_to_rle_is_rgb():
    ds = pydicom.dcmread(get_testdata_file("SC_rgb_small_odd.dcm"))
    before = pixel_array(ds, raw=True)
    dicodec.compress(ds, uids.JPEG_2000_LOSSLESS)
    dicodec.compress(ds, uids.RLE_LOSSLESS)
    assert ds.PhotometricInterpretation == "RGB"
    np.testing.assert_array_equal(pixel_array(ds, raw=True, decoding_plugin="pydicom"), before)


def test_deflated_image_frames_level():
    import zlib

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    before = pixel_array(ds, raw=True)
    dicodec.compress(ds, uids.DEFLATED_IMAGE_FRAME_COMPRESSION, level=12)
    (frame,) = _frames(ds)
    raw = zlib.decompressobj(-15).decompress(frame)
    np.testing.assert_array_equal(np.frombuffer(raw, "<i2").reshape(before.shape), before)
    with pytest.raises(InvalidArgumentError, match="level 13"):
        dicodec.compress(ds, uids.DEFLATED_IMAGE_FRAME_COMPRESSION, level=13)
    with pytest.raises(InvalidArgumentError, match="do not apply"):
        dicodec.compress(ds, uids.RLE_LOSSLESS, level=3)
