"""pydicom's own JPEG-LS encoder tests (``tests/pixels/test_encoder_pyjpegls.py``
of its sdist, see ``test_pydicom_suite.py``) with dicodec as the encoder.

The module is copied and rewritten: ``encoding_plugin="pyjpegls"`` becomes
``"dicodec"``, its "pyjpegls installed" guard is lifted and pyjpegls is taken
off the list of decoders that check each stream, so pydicom's assertions run on
dicodec's streams decoded by GDCM and pylibjpeg-libjpeg (exact for lossless,
within ``jls_error`` for near-lossless), and its ``jls_error`` error message
test expects dicodec's name. Skipped without the sdist (``make pydicom-tests``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pydicom = pytest.importorskip("pydicom")
pytest.importorskip("pylibjpeg")

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
MODULE = "test_encoder_pyjpegls.py"
#: (text in pydicom's module, replacement): each must be found.
REWRITES = [
    ('encoding_plugin="pyjpegls"', 'encoding_plugin="dicodec"'),
    ('HAVE_JLS = bool(importlib.util.find_spec("jpeg_ls"))', "HAVE_JLS = True"),
    ('plugins = ["pyjpegls"]', "plugins = []"),
    ('"pyjpegls: A ', '"dicodec: A '),
]


def _pydicom_tests() -> Path | None:
    env = os.environ.get("DICODEC_PYDICOM_TESTS")
    if env:
        return Path(env)
    found = REPO / ".cache" / "pydicom-sdist" / f"pydicom-{pydicom.__version__}" / "tests"
    return found if found.is_dir() else None


def test_pydicom_jpegls_encoder_tests_pass_with_dicodec(tmp_path):
    src = _pydicom_tests()
    if src is None or not (src / "pixels" / MODULE).is_file():
        pytest.skip(
            f"pydicom {pydicom.__version__}'s tests are not here: run `make pydicom-tests` "
            "(fetches its sdist from PyPI) or set DICODEC_PYDICOM_TESTS"
        )
    (tmp_path / "tests").mkdir()
    for name in ("__init__.py", "conftest.py"):
        shutil.copyfile(src / name, tmp_path / "tests" / name)
    shutil.copytree(src / "pixels", tmp_path / "tests" / "pixels")
    shutil.copyfile(HERE / "pydicom_suite" / "conftest_runner.py", tmp_path / "conftest.py")
    path = tmp_path / "tests" / "pixels" / MODULE
    text = path.read_text()
    for old, new in REWRITES:
        assert old in text, f"pydicom's {MODULE} changed: {old!r} not found"
        text = text.replace(old, new)
    path.write_text(text)
    p = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ, DICODEC_REGISTER="1"),
        timeout=900,
    )
    tail = p.stdout[-3000:] + p.stderr[-2000:]
    assert p.returncode == 0, tail
    last = p.stdout.strip().splitlines()[-1]
    assert " passed" in last and "failed" not in last and "skipped" not in last, tail
