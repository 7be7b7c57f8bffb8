"""read_pixels(as_rgb, modality_lut, voi_lut), render() and hostile LUT
descriptors. References: pydicom's processing functions on pixels decoded by
pydicom, and NumPy for per-frame rescale."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pytest

import dicodec
from conftest import CORPUS, MANIFEST
from dicodec import DicodecError

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import Dataset  # noqa: E402
from pydicom.pixels import pixel_array  # noqa: E402
from pydicom.pixels import processing as P  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
CT = TEST_FILES / "CT_small.dcm"
YBR = TEST_FILES / "SC_ybr_full_422_uncompressed.dcm"


def corpus(name: str) -> Path:
    if not MANIFEST.is_file():
        pytest.skip(f"shared corpus absent: {MANIFEST}")
    return CORPUS / name


def display_ref(
    values: np.ndarray, center: float, width: float, func: str, bits: int
) -> np.ndarray:
    """pydicom's windowing into 0..2^bits-1 (a dataset with only the window
    and an unsigned bits-deep range), rounded half up."""
    d = Dataset()
    d.PhotometricInterpretation = "MONOCHROME2"
    d.BitsStored = bits
    d.PixelRepresentation = 0
    d.WindowCenter = center
    d.WindowWidth = width
    d.VOILUTFunction = func
    y = P.apply_windowing(values, d)
    return np.clip(np.floor(y + 0.5), 0, 2**bits - 1).astype(f"uint{bits}")


def test_read_pixels_modality_and_voi():
    ds = pydicom.dcmread(CT)
    raw = pixel_array(CT, raw=True)
    mod = P.apply_modality_lut(raw, ds)
    got = dicodec.read_pixels(CT, modality_lut=True)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, mod)
    np.testing.assert_array_equal(
        dicodec.read_pixels(str(CT), voi_lut=True), P.apply_voi_lut(raw, ds)
    )
    both = dicodec.read_pixels(ds, modality_lut=True, voi_lut=True)
    np.testing.assert_array_equal(both, P.apply_voi_lut(mod, ds))
    np.testing.assert_array_equal(dicodec.read_pixels(CT.read_bytes(), modality_lut=True), mod)


def test_read_pixels_as_rgb():
    ds = pydicom.dcmread(YBR)
    raw = pixel_array(YBR, raw=True)
    ref = P.convert_color_space(raw, ds.PhotometricInterpretation, "RGB")
    np.testing.assert_array_equal(dicodec.read_pixels(YBR, as_rgb=True), ref)
    np.testing.assert_array_equal(dicodec.read_pixels(YBR), raw)


def test_read_pixels_per_frame_rescale():
    path = corpus("dicomparser__encapsulated_multi-frame_CT0012.not_fragmented_bot_rle.dcm")
    ds = pydicom.dcmread(path)
    raw = pixel_array(path, raw=True).astype(np.float64)
    slopes, inters = [], []
    for i in range(int(ds.NumberOfFrames)):
        g = ds.PerFrameFunctionalGroupsSequence[i].get("PixelValueTransformationSequence")
        if not g:
            g = ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence
        slopes.append(float(g[0].RescaleSlope))
        inters.append(float(g[0].RescaleIntercept))
    ref = raw * np.array(slopes)[:, None, None] + np.array(inters)[:, None, None]
    got = dicodec.read_pixels(path, modality_lut=True)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(
        dicodec.read_pixels(path, frames=[1, 0], modality_lut=True), ref[[1, 0]]
    )
    np.testing.assert_array_equal(dicodec.read_pixels(path, frames=1, modality_lut=True), ref[1])


@pytest.mark.parametrize("output,bits", [("uint8", 8), ("uint16", 16)])
def test_render_file_window(output, bits):
    path = corpus("cswado__CTImage.dcm_RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm")
    ds = pydicom.dcmread(path)
    mod = P.apply_modality_lut(pixel_array(path, raw=True), ds)
    c, w = float(ds.WindowCenter), float(ds.WindowWidth)
    ref = display_ref(mod, c, w, "LINEAR", bits)
    got = dicodec.render(path, window="file", output=output)
    assert got.dtype == np.dtype(output)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(dicodec.render(path, output=output), ref)
    np.testing.assert_array_equal(
        dicodec.render(path, window=(40, 400), output=output),
        display_ref(mod, 40, 400, "LINEAR", bits),
    )


def test_render_auto_and_monochrome1():
    path = corpus("highdicom__dx_image.dcm")
    ds = pydicom.dcmread(path, force=True)
    mod = P.apply_modality_lut(pixel_array(ds, raw=True), ds)
    lo, hi = float(mod.min()), float(mod.max())
    ref = display_ref(mod, (lo + hi) / 2, hi - lo, "LINEAR_EXACT", 8)
    assert ds.PhotometricInterpretation == "MONOCHROME1"
    got = dicodec.render(path, window="auto")
    np.testing.assert_array_equal(got, 255 - ref)
    assert got.max() == 255 and got.min() == 0


def test_render_colour():
    np.testing.assert_array_equal(
        dicodec.render(YBR),
        P.convert_color_space(pixel_array(YBR, raw=True), "YBR_FULL_422", "RGB"),
    )
    rgb16 = dicodec.render(YBR, output="uint16")
    assert rgb16.dtype == np.uint16
    np.testing.assert_array_equal(rgb16, dicodec.render(YBR).astype(np.uint16) * 257)
    pal = TEST_FILES / "examples_palette.dcm"
    ds = pydicom.dcmread(pal)
    ref = P.apply_color_lut(pixel_array(pal, raw=True), ds)
    assert ref.dtype == np.uint16  # 16-bit entries: uint8 output is scaled
    np.testing.assert_array_equal(dicodec.render(pal, output="uint16"), ref)
    np.testing.assert_array_equal(
        dicodec.render(pal), ((ref.astype(np.uint32) + 128) // 257).astype(np.uint8)
    )


def test_render_errors():
    with pytest.raises(ValueError):
        dicodec.render(CT, output="float")
    with pytest.raises(ValueError):
        dicodec.render(CT, window="nope")
    ds = pydicom.dcmread(CT)
    assert "WindowCenter" not in ds
    with pytest.raises(ValueError):
        dicodec.render(ds, window="file")
    assert dicodec.render(ds).dtype == np.uint8  # falls back to auto


# ---- hostile LUT descriptors ----------------------------------------------


def _lut_item(desc, n, vr="US"):
    item = Dataset()
    item.LUTDescriptor = desc
    item.add_new(0x00283006, vr, list(range(n)) if vr == "US" else bytes(2 * n))
    return item


def _ct_with(keyword: str, desc, n: int, vr: str = "US") -> Dataset:
    ds = pydicom.dcmread(CT)
    setattr(ds, keyword, Sequence([_lut_item(desc, n, vr)]))
    return ds


ARR = np.arange(64, dtype=np.int16).reshape(8, 8)


@pytest.mark.parametrize("vr", ["US", "OW"])
@pytest.mark.parametrize(
    "desc,n",
    [([300, 0, 16], 10), ([0, 0, 16], 10), ([10, 0, 17], 10), ([10, 0, 0], 10), ([10, 0, 16], 0)],
    ids=["past-the-data", "zero-entries", "bits-17", "bits-0", "no-data"],
)
def test_hostile_descriptors(desc, n, vr):
    for keyword, fn in (
        ("ModalityLUTSequence", lambda ds: dicodec.apply_modality_lut(ARR, ds)),
        ("VOILUTSequence", lambda ds: dicodec.apply_voi_lut(ARR, ds)),
    ):
        if n == 0 and vr == "US":
            pytest.skip("an empty US LUT Data is absent: pydicom and dicodec ignore the LUT")
        ds = _ct_with(keyword, desc, n, vr)
        with pytest.raises(DicodecError):
            fn(ds)


def test_hostile_palettes():
    path = TEST_FILES / "examples_palette.dcm"
    ds = pydicom.dcmread(path)
    arr = pixel_array(path, raw=True)
    d = copy.deepcopy(ds)
    d.RedPaletteColorLookupTableDescriptor = [256, 0, 17]
    with pytest.raises(DicodecError):
        dicodec.apply_color_lut(arr, d)
    # a segmented LUT shorter than its descriptor: entries past the data
    d = copy.deepcopy(ds)
    for c in ("Red", "Green", "Blue"):
        delattr(d, f"{c}PaletteColorLookupTableData")
        setattr(d, f"Segmented{c}PaletteColorLookupTableData", bytes([0, 4, 1, 2, 3, 4]))
    for c in ("Red", "Green", "Blue"):
        setattr(d, f"{c}PaletteColorLookupTableDescriptor", [256, 0, 8])
    with pytest.raises(DicodecError):
        dicodec.apply_color_lut(arr, d)
    # a segmented LUT with an indirect segment pointing at itself
    for c in ("Red", "Green", "Blue"):
        setattr(d, f"Segmented{c}PaletteColorLookupTableData", bytes([0, 1, 5, 2, 2, 0, 0, 0, 0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DicodecError):
            dicodec.apply_color_lut(arr, d)
