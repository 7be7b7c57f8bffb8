"""dicodec's pixel pipeline against pydicom's ``pydicom.pixels.processing``:
every corpus file and bundled pydicom test file whose pixels pydicom decodes,
every function that pydicom accepts on it, each attribute variant
(rescale, Modality/VOI LUT Sequences, each window, LINEAR / LINEAR_EXACT /
SIGMOID, palettes incl. segmented and 16-bit, MONOCHROME1, YBR kinds).
Pixels are decoded by pydicom, so these tests do not depend on dicodec's
codecs. Integers must be equal, floats equal (SIGMOID: within 1e-6 relative,
its ``exp`` may differ in the last bit)."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pytest

import dicodec
from conftest import CORPUS, corpus_params

pydicom = pytest.importorskip("pydicom")
from pydicom.pixels import pixel_array  # noqa: E402
from pydicom.pixels import processing as P  # noqa: E402

PYDICOM_FILES = sorted(Path(pydicom.__file__).parent.joinpath("data", "test_files").glob("*.dcm"))
MAX_VALUES = 24_000_000  # keep the run short on small machines


def _compare(name: str, *args, rtol: float = 0.0, **kwargs) -> bool:
    """True when pydicom's function ``name`` accepted the arguments and ours
    gave the same result."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = getattr(P, name)(*args, **kwargs)
    except Exception:
        return False  # pydicom does not accept it: nothing to compare
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = getattr(dicodec, name)(*args, **kwargs)
    assert got.dtype == ref.dtype
    assert got.shape == ref.shape
    if rtol and got.dtype.kind == "f":
        np.testing.assert_allclose(got, ref, rtol=rtol, atol=0)
    else:
        np.testing.assert_array_equal(got, ref)
    return True


def _compare_in_place(arr: np.ndarray, pi: str) -> bool:
    ref = P.convert_color_space(arr.copy(), pi, "RGB", per_frame=True)
    got = dicodec.convert_color_space(arr.copy(), pi, "RGB", per_frame=True)
    np.testing.assert_array_equal(got, ref)
    return True


def _windows(ds) -> int:
    n = 1
    for kw in ("WindowCenter", "WindowWidth"):
        if kw in ds and ds[kw].VM > 1:
            n = max(n, ds[kw].VM)
    if ds.get("VOILUTSequence"):
        n = max(n, len(ds.VOILUTSequence))
    return n


def check_file(path: Path) -> int:
    """Compares every function pydicom accepts on ``path``; returns how many."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, force=True)
            if not any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
                return 0
            rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
            spp = int(ds.get("SamplesPerPixel", 1) or 1)
            nf = int(ds.get("NumberOfFrames", 1) or 1)
            if rows * cols * spp * nf > MAX_VALUES:
                return 0
            arr = pixel_array(path, raw=True)
    except Exception:
        return 0
    n = 0
    pi = str(ds.get("PhotometricInterpretation", "")).strip()
    # Modality LUT
    n += _compare("apply_modality_lut", arr, ds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod = P.apply_modality_lut(arr, ds)
    except Exception:
        mod = None
    # VOI LUT / windows, each view, on stored and on modality values
    for index in range(_windows(ds)):
        for prefer in (True, False):
            for src in (arr, mod):
                if src is None:
                    continue
                n += _compare("apply_voi_lut", src, ds, index, prefer, rtol=1e-6)
    # each VOI LUT Function on the file's windows
    if "WindowCenter" in ds and "WindowWidth" in ds:
        for func in ("LINEAR", "LINEAR_EXACT", "SIGMOID"):
            d2 = copy.deepcopy(ds)
            d2.VOILUTFunction = func
            for src in (arr, mod):
                if src is not None:
                    n += _compare("apply_windowing", src, d2, rtol=1e-6)
    # palettes
    if pi == "PALETTE COLOR":
        n += _compare("apply_color_lut", arr, ds)
    # colour spaces
    if pi in ("YBR_FULL", "YBR_FULL_422", "RGB") and arr.dtype == np.uint8:
        for desired in ("RGB", "YBR_FULL"):
            n += _compare("convert_color_space", arr, pi, desired)
        if arr.ndim == 4:
            n += _compare_in_place(arr, pi)
    return n


@pytest.mark.parametrize(
    "row", corpus_params(lambda r: r["file"].endswith(".dcm") and r["decodable"] == "yes")
)
def test_corpus_file(row):
    n = check_file(CORPUS / row["file"])
    if n == 0:
        pytest.skip("pydicom decodes nothing or accepts no function on this file")


@pytest.mark.parametrize("path", PYDICOM_FILES, ids=[p.name for p in PYDICOM_FILES])
def test_pydicom_file(path):
    n = check_file(path)
    if n == 0:
        pytest.skip("pydicom decodes nothing or accepts no function on this file")


def test_all_ycbcr_values():
    """All 2^24 YCbCr and RGB triples, both directions, equal to pydicom."""
    v = np.arange(256, dtype=np.uint8)
    grid = np.stack(np.meshgrid(v, v, v, indexing="ij"), -1).reshape(4096, 4096, 3)
    for cur, des in (("YBR_FULL", "RGB"), ("RGB", "YBR_FULL"), ("YBR_FULL_422", "RGB")):
        np.testing.assert_array_equal(
            dicodec.convert_color_space(grid, cur, des), P.convert_color_space(grid, cur, des)
        )
    frames = grid.reshape(4, 1024, 4096, 3).copy()
    ref = P.convert_color_space(frames.copy(), "YBR_FULL", "RGB", per_frame=True)
    got_in = frames.copy()
    got = dicodec.convert_color_space(got_in, "YBR_FULL", "RGB", per_frame=True)
    assert got is got_in
    np.testing.assert_array_equal(got, ref)
    # no change
    assert dicodec.convert_color_space(grid, "YBR_FULL", "YBR_FULL_422") is grid
    with pytest.raises(ValueError):
        dicodec.convert_color_space(grid.astype(np.uint16), "YBR_FULL", "RGB")
    with pytest.raises(NotImplementedError):
        dicodec.convert_color_space(grid, "YBR_PARTIAL_420", "RGB")


@pytest.mark.parametrize(
    "name",
    ["HOT_IRON", "PET", "HOT_METAL_BLUE", "PET_20_STEP", "SPRING", "SUMMER", "FALL", "WINTER"],
)
def test_well_known_palettes(name):
    arr = np.arange(-20, 300, dtype=np.int16).reshape(16, 20)
    ref = P.apply_color_lut(arr, palette=name)
    np.testing.assert_array_equal(dicodec.apply_color_lut(arr, palette=name), ref)
    assert dicodec.apply_color_lut(arr, palette=name).dtype == ref.dtype


def test_palette_arguments():
    with pytest.raises(ValueError):
        dicodec.apply_color_lut(np.zeros(3, np.uint8))
    with pytest.raises(ValueError):
        dicodec.apply_color_lut(np.zeros(3, np.uint8), palette="NOPE")
    uid = "1.2.840.10008.1.5.1"
    arr = np.arange(256, dtype=np.uint8)
    np.testing.assert_array_equal(
        dicodec.apply_color_lut(arr, palette=uid), P.apply_color_lut(arr, palette=uid)
    )
