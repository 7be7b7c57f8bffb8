"""Issue 17 item 12: the README's claim that pydicom's pixel pipeline
functions work on dicodec's output (stored values, like ``raw=True``) and
give pydicom's results."""

from __future__ import annotations

import numpy as np
import pytest

import dicodec

pydicom = pytest.importorskip("pydicom")
from pydicom.pixels import (  # noqa: E402
    apply_color_lut,
    apply_modality_lut,
    apply_voi_lut,
    convert_color_space,
)


def _pair(name):
    ds = pydicom.dcmread(pydicom.data.get_testdata_file(name))
    got = dicodec.read_pixels(ds)
    ref = pydicom.pixels.pixel_array(ds, raw=True)
    np.testing.assert_array_equal(got, ref)  # stored values, as raw=True
    return ds, got, ref


def test_modality_and_voi_luts():
    ds, got, ref = _pair("CT_small.dcm")
    hu = apply_modality_lut(got, ds)
    np.testing.assert_array_equal(hu, apply_modality_lut(ref, ds))
    np.testing.assert_array_equal(hu, apply_modality_lut(ds.pixel_array, ds))
    ds.WindowCenter, ds.WindowWidth = 40, 400
    np.testing.assert_array_equal(
        apply_voi_lut(hu, ds), apply_voi_lut(apply_modality_lut(ref, ds), ds)
    )


def test_palette_colour_lut():
    ds, got, ref = _pair("examples_palette.dcm")
    np.testing.assert_array_equal(apply_color_lut(got, ds), apply_color_lut(ref, ds))


def test_colour_space_conversion():
    # An RGB RLE file, converted to YCbCr and back: the same as on pydicom's array.
    ds, got, ref = _pair("SC_rgb_rle_2frame.dcm")
    ybr = convert_color_space(got, "RGB", "YBR_FULL")
    np.testing.assert_array_equal(ybr, convert_color_space(ref, "RGB", "YBR_FULL"))
    np.testing.assert_array_equal(
        convert_color_space(ybr, "YBR_FULL", "RGB"),
        convert_color_space(convert_color_space(ref, "RGB", "YBR_FULL"), "YBR_FULL", "RGB"),
    )
