"""Issue 17 item 5: pydicom's own decoder and encoder test modules pass with
dicodec registered first (``dicodec.pydicom_plugin.register()``).

The tests come from pydicom's sdist (not vendored): ``make test`` fetches it
from PyPI into ``.cache/pydicom-sdist`` (``make pydicom-tests``), or point
``DICODEC_PYDICOM_TESTS`` at a pydicom ``tests`` folder. Without either the
test is skipped, saying so. The runner (``pydicom_suite/conftest_runner.py``)
registers dicodec first and checks it is first, and skips — with the reason —
the tests whose data files pydicom does not bundle (it would download them).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS

pydicom = pytest.importorskip("pydicom")

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
MODULES = [
    "test_decoder_rle.py",
    "test_decoder_base.py",
    "test_encoder_base.py",
    "test_encoder_pydicom.py",
]


def _pydicom_tests() -> Path | None:
    env = os.environ.get("DICODEC_PYDICOM_TESTS")
    if env:
        return Path(env)
    found = REPO / ".cache" / "pydicom-sdist" / f"pydicom-{pydicom.__version__}" / "tests"
    return found if found.is_dir() else None


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    src = _pydicom_tests()
    if src is None or not (src / "pixels").is_dir():
        pytest.skip(
            f"pydicom {pydicom.__version__}'s tests are not here: run `make pydicom-tests` "
            "(fetches its sdist from PyPI) or set DICODEC_PYDICOM_TESTS"
        )
    root = tmp_path_factory.mktemp("pydicom_suite")
    (root / "tests").mkdir()
    for name in ("__init__.py", "conftest.py"):
        shutil.copyfile(src / name, root / "tests" / name)
    shutil.copytree(src / "pixels", root / "tests" / "pixels")
    shutil.copyfile(HERE / "pydicom_suite" / "conftest_runner.py", root / "conftest.py")
    for module, plugin in AS_DICODEC.items():
        text = (src / "pixels" / module).read_text()
        (root / "tests" / "pixels" / _as_dicodec_name(module)).write_text(_as_dicodec(text, plugin))
    return root


# pydicom's per-plugin decoder modules (JPEG, JPEG-LS, JPEG 2000 / HTJ2K and
# their reference tables, tests/pixels/pixels_reference.py) run against
# dicodec: every ``decoding_plugin="<plugin>"`` names "dicodec" instead and
# the module's "is <plugin> installed" skips are lifted. The expectations
# stay the plugin's: Pillow's for lossy JPEG (libjpeg-turbo, which dicodec
# equals to the bit), pylibjpeg's (OpenJPEG, libjpeg) and pyjpegls's (CharLS).
AS_DICODEC = {
    "test_decoder_pillow.py": "pillow",
    "test_decoder_pylibjpeg.py": "pylibjpeg",
    "test_decoder_pyjpegls.py": "pyjpegls",
    "test_decoder_gdcm.py": "gdcm",
}


def _as_dicodec_name(module: str) -> str:
    return module.replace(".py", "_as_dicodec.py")


def _as_dicodec(text: str, plugin: str) -> str:
    text = text.replace(f'decoding_plugin="{plugin}"', 'decoding_plugin="dicodec"')
    text = re.sub(r"(?m)^(SKIP_\w+) = .*$", r"\1 = False", text)
    return text


# Tests of those modules that check the named plugin's own behaviour, not
# the decoded pixels, with the reason dicodec differs (node id -> reason).
_REFUSES = (
    "checks that {plugin} refuses this data ({what}); dicodec decodes it "
    "(checked against {ref} in tests/codecs/test_pydicom_plugin_decoders.py)"
)
_TWELVE = _REFUSES.format(
    plugin="{plugin}", what="12-bit JPEG Extended", ref="libjpeg-turbo (imagecodecs)"
)
_LIBJPEG6B = (
    "expects libjpeg 6b's IDCT values (pylibjpeg-libjpeg); dicodec equals libjpeg-turbo, "
    "and the same file passes test_decoder_pillow_as_dicodec.py (Pillow's libjpeg-turbo values)"
)
EXCLUDED: dict[str, str] = {
    **{
        f"test_decoder_{p}_as_dicodec.py::{c}::test_jpg_extended[{f}]": _TWELVE.format(plugin=p)
        for p, c in (("pillow", "TestLibJpegDecoder"), ("gdcm", "TestDecoding"))
        for f in ("JPEG-lossy.dcm", "JPGExtended.dcm")
    },
    "test_decoder_pillow_as_dicodec.py::TestOpenJpegDecoder::test_j2k_lossless"
    "[GDCMJ2K_TextGBR.dcm]": _REFUSES.format(
        plugin="Pillow", what="'broken data stream' on YBR_RCT", ref="its ref_sha256"
    ),
    "test_decoder_pillow_as_dicodec.py::TestOpenJpegDecoder::test_u4_raises": (
        "checks Pillow's refusal of J2K precision > 16; dicodec decodes it as pydicom's "
        "pylibjpeg plugin does (32-bit container, wrapped into Bits Allocated, with a warning)"
    ),
    **{
        f"test_decoder_pylibjpeg_as_dicodec.py::TestLibJpegDecoder::test_jpg_baseline[{f}]": (
            _LIBJPEG6B
        )
        for f in (
            "SC_jpeg_no_color_transform.dcm",
            "SC_jpeg_no_color_transform_2.dcm",
            "SC_rgb_jpeg_app14_dcmd.dcm",
            "SC_rgb_dcmtk_+eb+cy+np.dcm",
            "SC_rgb_dcmtk_+eb+cy+n1.dcm",
        )
    },
    "test_decoder_pylibjpeg_as_dicodec.py::TestLibJpegDecoder::"
    "test_jpg_extended_invalid_se_raises": (
        "checks libjpeg 6b's error on a sequential scan with Se != 63; libjpeg-turbo decodes "
        "it with a warning, and so does dicodec (a DicodecWarning), equal to libjpeg-turbo"
    ),
    "test_decoder_gdcm_as_dicodec.py::TestDecoding::test_jls_lossless[JLSL_08_07_0_1F.dcm]": (
        _REFUSES.format(plugin="GDCM", what="JPEG-LS precision 6 or 7", ref="ref_sha256 (CharLS)")
    ),
    "test_decoder_gdcm_as_dicodec.py::TestDecoding::test_jls_lossy_signed_raises": (
        "checks GDCM's refusal of signed near-lossless JPEG-LS below 8 bits; dicodec decodes "
        "it as pydicom's pyjpegls and pylibjpeg plugins do (their modules pass)"
    ),
}


def _run(
    root: Path, module: str, register: bool, *extra: str, **env_extra: str
) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        DICODEC_REGISTER="1" if register else "0",
        DICODEC_CORPUS=str(CORPUS),
        **env_extra,
    )
    deselect = [
        f"--deselect=tests/pixels/{node}" for node in EXCLUDED if node.startswith(module + "::")
    ]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rfE",
            f"tests/pixels/{module}",
            *deselect,
            *extra,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


@pytest.mark.parametrize("module", MODULES + [_as_dicodec_name(m) for m in AS_DICODEC])
def test_pydicom_suite_with_dicodec_first(suite, module):
    p = _run(suite, module, register=True)
    tail = p.stdout[-3000:] + p.stderr[-2000:]
    assert p.returncode == 0, tail
    assert " passed" in p.stdout and "failed" not in p.stdout.splitlines()[-1], tail


def test_pydicom_j2k_lossless_encoder_tests_with_dicodec(suite):
    """pydicom's JPEG 2000 Lossless encoder tests (TestJ2KLosslessEncoding:
    every bit depth 1-16, signed and unsigned, RGB/YBR_RCT, arrays and
    buffers) with dicodec's encoder in place of pylibjpeg-openjpeg's; their
    streams are decoded by pylibjpeg-openjpeg, GDCM and Pillow."""
    pytest.importorskip("openjpeg", reason="pylibjpeg-openjpeg: the tests decode with it")
    p = _run(
        suite,
        "test_encoder_pylibjpeg.py",
        True,
        "-k",
        "J2KLossless",
        DICODEC_AS_PYLIBJPEG_J2K="1",
    )
    tail = p.stdout[-3000:] + p.stderr[-2000:]
    assert p.returncode == 0, tail
    last = p.stdout.splitlines()[-1]
    assert " passed" in last and "failed" not in last and "skipped" not in last, tail
