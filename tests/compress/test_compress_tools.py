"""Issue 14 point 4: files written by ``dicodec.compress`` are valid for real
tools. For every target syntax and a set of sources (16-bit signed CT,
12-bit MR, 8- and 16-bit RGB, two frames), the written file is read back
bit-exact (within NEAR for near-lossless JPEG-LS) by

* pydicom with each of its other plugins installed for the syntax
  (pylibjpeg, GDCM, pydicom's own RLE, Pillow), and by imagecodecs (CharLS,
  OpenJPEG, libjpeg-turbo's lossless decoder) or zlib on the frames;
* dcmtk: ``dcmdump`` reports no error or warning, and ``dcmdrle`` /
  ``dcmdjpeg`` / ``dcmdjpls`` decompress it to the same values (dcmtk has no
  JPEG 2000 or Deflated Image Frame codec: ``dcmdump`` only). Skipped with
  the reason when dcmtk is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

import dicodec
from dicodec import uids

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.encaps import generate_frames  # noqa: E402
from pydicom.pixels import pixel_array  # noqa: E402

SOURCES = [
    "CT_small.dcm",  # 16-bit signed
    "MR_small_RLE.dcm",  # 16-bit, RLE source
    "SC_rgb_small_odd.dcm",  # 8-bit RGB, odd size
    "SC_rgb_rle_16bit_2frame.dcm",  # 16-bit RGB, 2 frames
]
NEAR = 2
#: Target -> (pydicom plugins that decode it, dcmtk decompressor or None).
TARGETS = {
    uids.EXPLICIT_VR_LITTLE_ENDIAN: ([], None),
    uids.RLE_LOSSLESS: (["pydicom", "pylibjpeg"], "dcmdrle"),
    uids.JPEG_LOSSLESS: (["pylibjpeg", "gdcm"], "dcmdjpeg"),
    uids.JPEG_LOSSLESS_SV1: (["pylibjpeg", "gdcm"], "dcmdjpeg"),
    uids.JPEG_LS_LOSSLESS: (["pylibjpeg", "gdcm", "pyjpegls"], "dcmdjpls"),
    uids.JPEG_LS_NEAR_LOSSLESS: (["pylibjpeg", "gdcm", "pyjpegls"], "dcmdjpls"),
    uids.JPEG_2000_LOSSLESS: (["pylibjpeg", "gdcm", "pillow"], None),
    uids.DEFLATED_IMAGE_FRAME_COMPRESSION: ([], None),
}
_MODULES = {
    "pydicom": "pydicom",
    "pylibjpeg": "pylibjpeg",
    "gdcm": "gdcm",
    "pyjpegls": "jpeg_ls",
    "pillow": "PIL",
}


def test_every_encodable_syntax_is_checked():
    assert set(TARGETS) == set(dicodec.ENCODABLE_SYNTAXES)


def _compressed(path: str, target: str, tmp_path: Path) -> tuple[Path, object]:
    ds = pydicom.dcmread(path)
    opts = {"near": NEAR} if target == uids.JPEG_LS_NEAR_LOSSLESS else {}
    dicodec.compress(ds, target, **opts)
    out = tmp_path / "out.dcm"
    ds.save_as(out, enforce_file_format=True)
    return out, ds


def _same(got: np.ndarray, want: np.ndarray, target: str, who: str) -> None:
    assert got.shape == want.shape, who
    if target == uids.JPEG_LS_NEAR_LOSSLESS:
        err = np.abs(got.astype(np.int64) - want.astype(np.int64)).max()
        assert err <= NEAR, f"{who}: error {err} > NEAR {NEAR}"
    else:
        np.testing.assert_array_equal(got, want, err_msg=who)


def _frames(ds) -> list[bytes]:
    n = int(ds.get("NumberOfFrames", 1) or 1)
    return list(generate_frames(ds.PixelData, number_of_frames=n))


def _imagecodecs_decode(ds, target: str, shape: tuple[int, ...], dtype) -> np.ndarray | None:
    """Frames decoded by an independent library (imagecodecs / zlib)."""
    ic = pytest.importorskip("imagecodecs")
    decode = {
        uids.JPEG_LOSSLESS: ic.jpeg8_decode,  # libjpeg-turbo's lossless decoder
        uids.JPEG_LOSSLESS_SV1: ic.jpeg8_decode,
        uids.JPEG_LS_LOSSLESS: ic.jpegls_decode,
        uids.JPEG_LS_NEAR_LOSSLESS: ic.jpegls_decode,
        uids.JPEG_2000_LOSSLESS: ic.jpeg2k_decode,
    }.get(target)
    if target == uids.DEFLATED_IMAGE_FRAME_COMPRESSION:
        frame_len = int(np.prod(shape[1:])) * np.dtype(dtype).itemsize
        raw = b"".join(zlib.decompressobj(-15).decompress(f)[:frame_len] for f in _frames(ds))
        return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
    if decode is None:
        return None
    frames = [np.asarray(decode(f)) for f in _frames(ds)]
    arr = np.stack(frames).reshape(shape)
    if np.dtype(dtype).kind == "i" and arr.dtype.kind == "u":
        bits = int(ds.BitsStored)
        arr = arr.astype(np.int64)
        arr = np.where(arr >= 1 << (bits - 1), arr - (1 << bits), arr)
    return arr.astype(dtype)


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("name", SOURCES)
def test_read_back_by_pydicom_plugins_and_imagecodecs(tmp_path, name, target):
    path = get_testdata_file(name)
    before = pixel_array(path, raw=True)
    out, ds = _compressed(path, target, tmp_path)
    plugins, _ = TARGETS[target]
    checked = 0
    for plugin in plugins:
        try:
            __import__(_MODULES[plugin])
        except ImportError:
            continue
        if plugin == "pillow" and ds.SamplesPerPixel == 3 and ds.BitsAllocated > 8:
            continue  # Pillow decodes 8-bit colour J2K only
        got = pixel_array(str(out), raw=True, decoding_plugin=plugin)
        _same(got, before, target, f"pydicom+{plugin}")
        checked += 1
    framed = before.reshape((int(ds.get("NumberOfFrames", 1) or 1), *before.shape[-3:]))
    if ds.SamplesPerPixel == 1:
        framed = before.reshape((-1, *before.shape[-2:]))
    if target != uids.EXPLICIT_VR_LITTLE_ENDIAN:
        ref = _imagecodecs_decode(ds, target, framed.shape, before.dtype)
        if ref is not None:
            _same(ref, framed, target, "imagecodecs/zlib")
            checked += 1
    else:
        _same(pixel_array(str(out), raw=True), before, target, "pydicom native")
        checked += 1
    _same(dicodec.read_pixels(str(out)), before, target, "dicodec")
    assert checked >= 1, "no independent decoder checked this target"


def _dcmtk(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        pytest.skip(f"dcmtk's {tool} is not installed (apt-get install dcmtk)")
    return exe


def _clean(p: subprocess.CompletedProcess) -> None:
    text = p.stdout + p.stderr
    bad = [ln for ln in text.splitlines() if ln.startswith(("E:", "W:", "F:"))]
    assert p.returncode == 0 and not bad, text[-2000:]


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("name", SOURCES)
def test_dcmtk_reads_and_decompresses(tmp_path, name, target):
    dump = _dcmtk("dcmdump")
    path = get_testdata_file(name)
    before = pixel_array(path, raw=True)
    out, _ = _compressed(path, target, tmp_path)
    p = subprocess.run(
        [dump, "-ll", "warn", "-dc", str(out)], capture_output=True, text=True, timeout=60
    )
    _clean(p)
    tool = TARGETS[target][1]
    if tool is None:
        return
    plain = tmp_path / "plain.dcm"
    p = subprocess.run(
        [_dcmtk(tool), str(out), str(plain)], capture_output=True, text=True, timeout=120
    )
    _clean(p)
    _same(pixel_array(str(plain), raw=True), before, target, tool)
