"""dicodec.compress: pixel values kept exactly through every target syntax,
checked by pydicom's own decoders (numpy RLE, pylibjpeg, GDCM), and the
attributes set as pydicom's Dataset.compress sets them."""

from __future__ import annotations

import numpy as np
import pytest

import dicodec
from dicodec import uids

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.pixels import pixel_array  # noqa: E402

SOURCES = [
    "CT_small.dcm",  # 16-bit signed, native
    "MR_small_RLE.dcm",  # RLE source
    "SC_rgb_rle_16bit_2frame.dcm",  # 16-bit RGB, 2 frames
    "SC_rgb_small_odd.dcm",  # 8-bit RGB, odd size
    "SC_ybr_full_422_uncompressed.dcm",  # native YBR_FULL_422 (comes out YBR_FULL)
    "SC_rgb_rle_2frame.dcm",  # RGB RLE, 2 frames
    "MR_small_bigendian.dcm",  # big-endian source
]
TARGETS = [
    (uids.RLE_LOSSLESS, "pydicom"),
    (uids.JPEG_LOSSLESS_SV1, "gdcm"),
    (uids.JPEG_LOSSLESS, "pylibjpeg"),
    (uids.EXPLICIT_VR_LITTLE_ENDIAN, None),
]


@pytest.mark.parametrize("target,plugin", TARGETS)
@pytest.mark.parametrize("name", SOURCES)
def test_values_kept_and_read_by_pydicom(tmp_path, name, target, plugin):
    path = get_testdata_file(name)
    before = pixel_array(path, raw=True)
    ds = pydicom.dcmread(path)
    old_uid = ds.SOPInstanceUID
    dicodec.compress(ds, target)
    assert ds.file_meta.TransferSyntaxUID == target
    assert ds.SOPInstanceUID != old_uid
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    if name.startswith("SC_ybr_full_422"):
        assert ds.PhotometricInterpretation == "YBR_FULL"
    if ds.SamplesPerPixel > 1:
        assert ds.PlanarConfiguration == (1 if target == uids.RLE_LOSSLESS else 0)
    out = tmp_path / "out.dcm"
    # dcmwrite: save_as refuses to turn a big-endian source into a little-endian file
    pydicom.dcmwrite(out, ds, enforce_file_format=True)
    if plugin == "gdcm":
        pytest.importorskip("gdcm")
    if plugin == "pylibjpeg":
        pytest.importorskip("libjpeg")
    kwargs = {"decoding_plugin": plugin} if plugin else {}
    np.testing.assert_array_equal(pixel_array(str(out), raw=True, **kwargs), before)
    np.testing.assert_array_equal(dicodec.read_pixels(str(out)), before)


def test_jpeg_lossless_options_and_extended_offset_table(tmp_path):
    ds = pydicom.dcmread(get_testdata_file("SC_rgb_rle_16bit_2frame.dcm"))
    before = pixel_array(ds, raw=True)
    dicodec.compress(
        ds,
        uids.JPEG_LOSSLESS,
        predictor=6,
        restart_interval=ds.Columns * 4,
        encapsulate_ext=True,
        generate_instance_uid=False,
        threads=2,
    )
    assert "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds
    first = next(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=ds.NumberOfFrames))
    info = dicodec.jpegll_info(first)
    assert (info.predictor, info.restart_interval) == (6, ds.Columns * 4)
    out = tmp_path / "x.dcm"
    ds.save_as(out, enforce_file_format=True)
    np.testing.assert_array_equal(pixel_array(str(out), decoding_plugin="pylibjpeg"), before)


def test_32_bit_data_goes_to_rle_but_not_jpeg_lossless(tmp_path):
    path = get_testdata_file("rtdose.dcm")
    before = pixel_array(path, raw=True)
    ds = pydicom.dcmread(path)
    with pytest.raises(dicodec.DicodecError):
        dicodec.compress(ds, uids.JPEG_LOSSLESS_SV1)
    assert ds.file_meta.TransferSyntaxUID != uids.JPEG_LOSSLESS_SV1  # untouched on failure
    dicodec.compress(ds, uids.RLE_LOSSLESS)
    ds.save_as(tmp_path / "d.dcm", enforce_file_format=True)
    np.testing.assert_array_equal(pixel_array(str(tmp_path / "d.dcm"), raw=True), before)


def test_unsupported_target_and_no_pixels():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    with pytest.raises(dicodec.UnsupportedError, match="cannot encode"):
        dicodec.compress(ds, "1.2.840.10008.1.2.4.100")
    del ds.PixelData
    with pytest.raises(dicodec.DicodecError, match="no Pixel Data"):
        dicodec.compress(ds, uids.RLE_LOSSLESS)
