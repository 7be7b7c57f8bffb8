"""Outputs of ``dicodec transcode`` read by dcmtk: ``dcmdump`` parses them
without an error or warning, and ``dcmdjpeg`` / ``dcmdjpls`` / ``dcmdrle``
decompress them to the source's pixels (read back with pydicom). Skipped
where dcmtk is not installed (``apt-get install dcmtk``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from transcode_util import pydicom_pixels, rich_dataset

from dicodec import uids
from dicodec.transcode import resolve_syntax, transcode_file

pytest.importorskip("pydicom")

#: target -> the dcmtk tool that decompresses it (None: already native).
TOOLS = {
    "native": None,
    "rle": "dcmdrle",
    "jpeg-lossless": "dcmdjpeg",
    "jpeg-lossless-p14": "dcmdjpeg",
    "jpeg-ls": "dcmdjpls",
}


def _tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        pytest.skip(f"dcmtk's {name} is not installed (apt-get install dcmtk)")
    return path


def _sources() -> dict[str, tuple[bytes, np.ndarray]]:
    rng = np.random.default_rng(4)
    a = rng.integers(-2000, 2000, size=(2, 48, 40), dtype=np.int16)
    b = rng.integers(0, 4096, size=(64, 50), dtype=np.uint16)
    c = rng.integers(0, 256, size=(30, 22, 3), dtype=np.uint8)
    d = rng.integers(0, 256, size=(33, 17), dtype=np.uint8)
    return {
        "s16x2": (rich_dataset(a), a),
        "u12": (rich_dataset(b, bits_stored=12), b),
        "rgb8_planar": (rich_dataset(c, planar=1), c),
        "u8": (rich_dataset(d), d),
    }


SOURCES = _sources()


@pytest.mark.parametrize("target", list(TOOLS))
@pytest.mark.parametrize("name", list(SOURCES))
def test_dcmtk_reads_outputs(name: str, target: str, tmp_path: Path) -> None:
    dump = _tool("dcmdump")
    src, pixels = SOURCES[name]
    res = transcode_file(src, target)
    out = tmp_path / "out.dcm"
    out.write_bytes(res.data)
    p = subprocess.run([dump, "-dc", "-Un", str(out)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    problems = [
        ln for ln in (p.stdout + p.stderr).splitlines() if ln.startswith(("E:", "W:", "F:"))
    ]
    assert problems == [], problems
    assert resolve_syntax(target) in p.stdout  # (0002,0010) as written
    tool = TOOLS[target]
    if tool is None:
        assert np.array_equal(pydicom_pixels(res.data), pixels)
        return
    native = tmp_path / "native.dcm"
    p = subprocess.run(
        [_tool(tool), str(out), str(native)], capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    data = native.read_bytes()
    assert uids.EXPLICIT_VR_LITTLE_ENDIAN in data[:400].decode("latin-1")
    assert np.array_equal(pydicom_pixels(data).reshape(pixels.shape), pixels)
