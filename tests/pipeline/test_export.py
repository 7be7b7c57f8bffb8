"""``dicodec export``: PNGs read back with Pillow equal :func:`dicodec.render`
(itself checked against pydicom in test_render.py), montage, frames, 16-bit,
resumption, failures, the CLI, and dcmj2pnm where installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import dicodec
from dicodec.cli import main
from dicodec.export import export, montage

pydicom = pytest.importorskip("pydicom")
Image = pytest.importorskip("PIL.Image")

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
NAMES = [
    "CT_small.dcm",
    "MR_small.dcm",
    "SC_ybr_full_422_uncompressed.dcm",
    "examples_palette.dcm",
    "SC_rgb_rle_2frame.dcm",
]


@pytest.fixture
def src(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for n in NAMES:
        shutil.copy(TEST_FILES / n, d / n)
    return d


def read_png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im)


def test_export_folder(src: Path, tmp_path: Path):
    out = tmp_path / "out"
    rep = export([src], out, progress="none")
    assert rep.ok and rep.decoded == len(NAMES) and rep.failed == 0
    for n in NAMES:
        stem = n[:-4]
        ref = dicodec.render(src / n)
        if n == "SC_rgb_rle_2frame.dcm":
            for i in range(2):
                np.testing.assert_array_equal(read_png(out / "in" / f"{stem}.{i:04d}.png"), ref[i])
        else:
            np.testing.assert_array_equal(read_png(out / "in" / f"{stem}.png"), ref)
    assert (out / "index.parquet").is_file()
    # resumption: nothing left to do
    again = export([src], out, progress="none")
    assert again.resumed == len(NAMES) and again.decoded == 0


def test_export_options(src: Path, tmp_path: Path):
    out = tmp_path / "o16"
    rep = export([src / "CT_small.dcm"], out, window=(40.0, 400.0), bits=16, progress="none")
    assert rep.ok
    got = read_png(out / "CT_small.png")
    np.testing.assert_array_equal(
        got.astype(np.uint16),
        dicodec.render(src / "CT_small.dcm", window=(40, 400), output="uint16"),
    )
    out = tmp_path / "m"
    rep = export([src / "SC_rgb_rle_2frame.dcm"], out, montage=True, progress="none")
    uid = pydicom.dcmread(src / "SC_rgb_rle_2frame.dcm").SeriesInstanceUID
    sheet = read_png(out / f"{uid}.png")
    np.testing.assert_array_equal(sheet, montage(dicodec.render(src / "SC_rgb_rle_2frame.dcm")))
    out = tmp_path / "f"
    rep = export([src / "SC_rgb_rle_2frame.dcm"], out, frames="1", progress="none")
    np.testing.assert_array_equal(
        read_png(out / "SC_rgb_rle_2frame.0001.png"),
        dicodec.render(src / "SC_rgb_rle_2frame.dcm")[1],
    )


def test_montage_layout():
    frames = np.arange(5 * 2 * 3, dtype=np.uint8).reshape(5, 2, 3)
    sheet = montage(frames)
    assert sheet.shape == (2 * 2, 3 * 3)  # 3 columns, 2 rows
    np.testing.assert_array_equal(sheet[0:2, 0:3], frames[0])
    np.testing.assert_array_equal(sheet[2:4, 3:6], frames[4])
    assert not sheet[2:4, 6:].any()


def test_cli_and_failures(src: Path, tmp_path: Path):
    (src / "junk.dcm").write_bytes(b"not a dicom file" * 10)
    out = tmp_path / "cli"
    rc = main(["export", str(src), "-o", str(out), "--window", "file", "--progress", "none"])
    assert rc == 1  # junk failed, and CT_small has no window for 'file'
    import pyarrow.parquet as pq

    rows = pq.read_table(out / "index.parquet").to_pylist()
    by = {Path(r["path"]).name: r for r in rows}
    assert by["junk.dcm"]["status"] == "failed"
    assert by["MR_small.dcm"]["status"] == "done"
    assert main(["export", str(src), "-o", str(out), "--window", "1,2,3"]) == 2


DCMTK_CASES = [
    ("MR_small.dcm", ["+Ww", "600", "1200"], (600.0, 1200.0)),
    ("CT_small.dcm", ["+Ww", "40", "400"], (40.0, 400.0)),
    (
        "corpus:cswado__CTImage.dcm_RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm",
        ["+Wi", "1"],
        "file",
    ),
    ("corpus:highdicom__dx_image.dcm", ["+Wi", "1"], "file"),
    ("corpus:pydicomdata__vlut_04.dcm", ["+Wl", "1"], "file"),
]


@pytest.mark.skipif(shutil.which("dcmj2pnm") is None, reason="dcmj2pnm (dcmtk) not installed")
@pytest.mark.parametrize("name,dcmtk_args,window", DCMTK_CASES, ids=[c[0] for c in DCMTK_CASES])
def test_equal_to_dcmj2pnm(name, dcmtk_args, window, tmp_path: Path):
    """dcmj2pnm with the same window (or VOI LUT), 8-bit PNG: within 1 of ours."""
    from conftest import CORPUS, MANIFEST

    if name.startswith("corpus:"):
        if not MANIFEST.is_file():
            pytest.skip(f"shared corpus absent: {MANIFEST}")
        path = CORPUS / name[len("corpus:") :]
    else:
        path = TEST_FILES / name
    out = tmp_path / "d"
    rep = export([path], out, window=window, progress="none")
    assert rep.ok, rep
    ref_path = tmp_path / "ref.png"
    subprocess.run(["dcmj2pnm", "+on", *dcmtk_args, str(path), str(ref_path)], check=True)
    ours = read_png(next(out.rglob("*.png"))).astype(int)
    ref = read_png(ref_path).astype(int)
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() <= 1


def test_export_zip_archive(src: Path, tmp_path: Path):
    import zipfile

    arc = tmp_path / "series.zip"
    with zipfile.ZipFile(arc, "w") as z:
        for n in ("CT_small.dcm", "MR_small.dcm"):
            z.write(src / n, f"sub/{n}")
    out = tmp_path / "z"
    rep = export([arc], out, progress="none")
    assert rep.ok and rep.decoded == 2
    pngs = sorted(p.name for p in out.rglob("*.png"))
    assert pngs == ["CT_small.png", "MR_small.png"]
    ct = next(out.rglob("CT_small.png"))
    np.testing.assert_array_equal(read_png(ct), dicodec.render(src / "CT_small.dcm"))
