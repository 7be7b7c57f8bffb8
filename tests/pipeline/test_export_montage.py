"""``dicodec export --montage``: one contact sheet per series, frames in the
stack order of ``dicodec decode`` (InstanceNumber), read back with Pillow and
compared with :func:`dicodec.render` of each instance (itself checked against
pydicom in test_render.py); resumption re-renders a series' finished inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import dicodec
from dicodec.cli import main
from dicodec.export import export, montage

pydicom = pytest.importorskip("pydicom")
Image = pytest.importorskip("PIL.Image")

CT = Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm"


def _series(d: Path, uid: str, numbers: list[int]) -> list[Path]:
    """Instances of one series (CT_small with other pixels), written in the
    order given: ``numbers`` are their InstanceNumbers."""
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, n in enumerate(numbers):
        ds = pydicom.dcmread(CT)
        ds.SeriesInstanceUID = uid
        ds.SOPInstanceUID = f"{uid}.{n}"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = n
        arr = ds.pixel_array.astype(np.int16)
        ds.PixelData = (arr + 150 * n).astype(np.int16).tobytes()
        p = d / f"file{k}.dcm"
        ds.save_as(p)
        paths.append(p)
    return paths


def _png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im)


def test_one_sheet_per_series_in_stack_order(tmp_path: Path):
    src = tmp_path / "in"
    a = _series(src / "a", "1.2.826.0.1.3680043.8.498.1", [3, 1, 2])
    b = _series(src / "b", "1.2.826.0.1.3680043.8.498.2", [1])
    shutil.copy(
        Path(pydicom.__file__).parent / "data" / "test_files" / "SC_rgb_rle_2frame.dcm", src
    )
    out = tmp_path / "out"
    rep = export([src], out, montage=True, window=(40.0, 400.0), progress="none")
    assert rep.ok and rep.decoded == 5
    sheets = sorted(p.name for p in out.glob("*.png"))
    assert len(sheets) == 3, sheets
    # Series a: frames by InstanceNumber (1, 2, 3), not by file name.
    order = sorted(a, key=lambda p: pydicom.dcmread(p).InstanceNumber)
    frames = np.stack([dicodec.render(p, window=(40, 400)) for p in order])
    got = _png(out / "1.2.826.0.1.3680043.8.498.1.png")
    np.testing.assert_array_equal(got, montage(frames))
    assert got.shape == (2 * 128, 2 * 128)  # 3 frames: 2 x 2 grid
    got = _png(out / "1.2.826.0.1.3680043.8.498.2.png")
    np.testing.assert_array_equal(got, dicodec.render(b[0], window=(40, 400)))
    # A multi-frame colour instance is a series of its own.
    uid = pydicom.dcmread(src / "SC_rgb_rle_2frame.dcm").SeriesInstanceUID
    rgb = _png(out / f"{uid}.png")
    assert rgb.ndim == 3 and rgb.shape[-1] == 3


def test_resume_rerenders_the_series(tmp_path: Path):
    src = tmp_path / "in"
    a = _series(src, "1.2.826.0.1.3680043.8.498.7", [1, 2])
    out = tmp_path / "out"
    assert export([src], out, montage=True, progress="none").ok
    sheet = out / "1.2.826.0.1.3680043.8.498.7.png"
    first = _png(sheet)
    # A new instance of the same series: the sheet is rebuilt with all three.
    _series(src / "more", "1.2.826.0.1.3680043.8.498.7", [3])
    rep = export([src], out, montage=True, progress="none")
    assert rep.ok and rep.resumed == 2 and rep.decoded == 1
    again = _png(sheet)
    assert again.shape != first.shape
    frames = np.stack([dicodec.render(p) for p in [*a, src / "more" / "file0.dcm"]])
    np.testing.assert_array_equal(again, montage(frames))


def test_cli_montage(tmp_path: Path):
    src = tmp_path / "in"
    _series(src, "1.2.826.0.1.3680043.8.498.9", [2, 1])
    out = tmp_path / "out"
    assert main(["export", str(src), "-o", str(out), "--montage", "--progress", "none"]) == 0
    assert [p.name for p in out.glob("*.png")] == ["1.2.826.0.1.3680043.8.498.9.png"]
