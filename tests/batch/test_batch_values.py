"""``dicodec decode --values stored|modality|rgb`` (issue 15, point 3): the
values written equal pydicom's (``apply_modality_lut``, ``convert_color_space``
through ``pixel_array``'s ``as_rgb``, ``apply_color_lut``), in the planned
dtype, through the Python API and the console script, npy and Zarr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")
pytest.importorskip("pyarrow")
from batch_util import write_instance  # noqa: E402
from pydicom.pixels import apply_color_lut, apply_modality_lut, pixel_array  # noqa: E402

from dicodec.batch import decode  # noqa: E402
from dicodec.batch.headers import Header  # noqa: E402
from dicodec.batch.values import plan_values  # noqa: E402


def _ref(path: Path, **kw) -> np.ndarray:
    from dicodec import pydicom_plugin

    pydicom_plugin.unregister()  # pydicom's own processing step
    return pixel_array(path, **kw)


def _npy(out: Path, src: Path) -> np.ndarray:
    return np.load(next(out.rglob(src.name + ".npy")))


def _header(**kw) -> Header:
    h = Header(out_dtype=kw.pop("stored", "uint16"), out_frame_shape=[4, 4], **kw)
    return h


@pytest.mark.parametrize(
    ("kw", "dtype"),
    [
        ({"bits_stored": 12, "rescale_slope": 1.0, "rescale_intercept": -1024.0}, "int16"),
        ({"bits_stored": 16, "rescale_slope": 1.0, "rescale_intercept": -1024.0}, "int32"),
        ({"bits_stored": 8, "rescale_slope": 1.0, "rescale_intercept": 0.0}, "uint8"),
        ({"bits_stored": 12, "rescale_slope": 0.5, "rescale_intercept": 0.0}, "float32"),
        ({"bits_stored": 12}, "uint16"),  # no rescale: the stored values
        ({"bits_stored": 12, "modality_lut_bits": 8}, "uint8"),
        (
            {
                "bits_stored": 16,
                "pixel_representation": 1,
                "stored": "int16",
                "rescale_slope": 2.0,
                "rescale_intercept": 0.0,
            },
            "int32",
        ),
    ],
)
def test_planned_modality_dtype(kw, dtype):
    h = _header(bits_allocated=16, **kw)
    plan_values(h, "modality")
    assert h.dtype() == dtype and h.values == "modality"


def test_modality_values_equal_pydicom(tmp_path):
    rng = np.random.default_rng(1)
    src = tmp_path / "in"
    paths = []
    for i, (slope, icpt) in enumerate([(1.0, -1024.0), (0.5, -10.25)]):
        px = rng.integers(0, 4096, (2, 8, 9), dtype=np.uint16)
        paths.append(
            write_instance(
                src / f"ct{i}.dcm",
                series_uid=f"1.2.3.{i}",
                instance_number=1,
                pixels=px,
                slope=slope,
                intercept=icpt,
            )
        )
    out = tmp_path / "out"
    rep = decode([src], out, format="npy", values="modality", progress=None)
    assert rep.ok, rep.table()
    for p, dtype in zip(paths, ("int32", "float32"), strict=True):  # Bits Stored 16
        ds = pydicom.dcmread(p)
        want = apply_modality_lut(_ref(p, raw=True), ds)
        got = _npy(out, p)
        assert got.dtype == dtype
        if dtype == "float32":
            np.testing.assert_allclose(got, want, rtol=1e-6)
            np.testing.assert_array_equal(got, want.astype(np.float32))
        else:
            np.testing.assert_array_equal(got, want)


def test_rgb_values_equal_pydicom(tmp_path):
    """YBR_FULL_422 → RGB as pydicom's pixel_array (as_rgb), a palette as
    pydicom's apply_color_lut, a greyscale image as stored; Zarr output."""
    zarr = pytest.importorskip("zarr")
    from pydicom.data import get_testdata_file

    src = tmp_path / "in"
    src.mkdir()
    names = ["SC_ybr_full_422_uncompressed.dcm", "CT_small.dcm"]
    files = []
    for name in names:
        f = get_testdata_file(name)
        if f is None:
            continue
        files.append(Path(f))
        (src / name).write_bytes(Path(f).read_bytes())
    palette = get_testdata_file("examples_palette.dcm")
    if palette:
        files.append(Path(palette))
        (src / "examples_palette.dcm").write_bytes(Path(palette).read_bytes())
    out = tmp_path / "out.zarr"
    rep = decode([src], out, values="rgb", progress=None)
    assert rep.ok, rep.table()
    root = zarr.open_group(str(out), mode="r")
    for f in files:
        ds = pydicom.dcmread(f)
        pi = ds.PhotometricInterpretation
        if pi == "PALETTE COLOR":
            want = apply_color_lut(_ref(f, raw=True), ds)
        elif pi.startswith("YBR_FULL"):
            want = _ref(f)  # pydicom converts YCbCr (as_rgb) with raw=False
        else:
            want = _ref(f, raw=True)
        got = np.asarray(root[ds.SeriesInstanceUID][...])
        got = got[0] if got.shape[0] == 1 and want.ndim == got.ndim - 1 else got
        assert got.dtype == want.dtype, f.name
        np.testing.assert_array_equal(got, want, err_msg=f.name)


def test_cli_values_and_resume(tmp_path):
    px = np.arange(64, dtype=np.uint16).reshape(8, 8)
    p = write_instance(tmp_path / "in" / "a.dcm", series_uid="1.2.9", pixels=px)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "dicodec",
        "decode",
        str(tmp_path / "in"),
        "-o",
        str(out),
        "--format",
        "npy",
    ]
    r = subprocess.run([*cmd, "--progress", "none"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert _npy(out, p).dtype == np.uint16
    # The same output with other values: the input is decoded again.
    r = subprocess.run(
        [*cmd, "--progress", "none", "--values", "modality"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    got = _npy(out, p)
    assert got.dtype == np.int32  # Bits Stored 16, intercept -1024
    np.testing.assert_array_equal(got, px.astype(np.int32) - 1024)
    r = subprocess.run([*cmd, "--values", "hu"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--values" in r.stderr


def test_values_that_do_not_fit_fail_the_input(tmp_path):
    """Per-frame rescales the header does not show: an honest failure."""
    from dicodec.batch.values import _fit
    from dicodec.errors import DicodecError

    with pytest.raises(DicodecError, match="do not fit"):
        _fit(np.array([-5.5, 3.0]), "uint16", "modality")
    assert _fit(np.array([1.0, 300.0]), "uint16", "modality").dtype == np.uint16


def test_modality_lut_sequence_file_equals_pydicom(tmp_path):
    """A plain file whose Modality LUT is a sequence (its header comes from the
    scanner, which cannot see sequences): the LUT's dtype and values as
    pydicom's apply_modality_lut."""
    from batch_util import CORPUS

    path = CORPUS / "fodicom__CR-ModalitySequenceLUT.dcm"
    if not path.is_file():
        pytest.skip(f"shared corpus absent: {path}")
    src = tmp_path / "in"
    src.mkdir()
    (src / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out"
    rep = decode([src], out, format="npy", values="modality", progress=None)
    assert rep.ok, rep.table()
    ds = pydicom.dcmread(path)
    want = apply_modality_lut(_ref(path, raw=True), ds)
    got = _npy(out, src / path.name)
    bits = int(ds.ModalityLUTSequence[0].LUTDescriptor[2])
    assert got.dtype == ("uint8" if bits <= 8 else "uint16")
    np.testing.assert_array_equal(got, want)
