"""conftest.py for running pydicom's own pixel test modules with dicodec
registered first (copied next to the copied pydicom tests by
``tests/codecs/test_pydicom_suite.py``; not collected by dicodec's own run).

* ``DICODEC_REGISTER=0`` runs them without dicodec (the baseline).
* Test files that pydicom does not bundle (it downloads them from the
  pydicom-data repository) are not fetched: the shared corpus's copy
  (``$DICODEC_CORPUS/pydicomdata__<name>``) is used when there is one, else
  those tests are skipped with the reason, so the run is network-free.
"""

import os

import pydicom.data
import pydicom.data.data_manager as _dm
import pytest

_original = _dm.get_testdata_file
_in_test = False


#: In the JPEG 2000 encoder run (DICODEC_AS_PYLIBJPEG_J2K=1): bundled
#: stand-ins for files pydicom downloads (the tests only take an RGB image's
#: values and size from it).
_STAND_INS = (
    {"US1_UNCR.dcm": "SC_rgb_rle.dcm"} if os.environ.get("DICODEC_AS_PYLIBJPEG_J2K") == "1" else {}
)


_CORPUS = os.environ.get("DICODEC_CORPUS")


def _from_corpus(name, read):
    """pydicom-data's file of that name when the shared corpus holds a copy
    (``pydicomdata__<name>``)."""
    if not _CORPUS:
        return None
    path = os.path.join(_CORPUS, f"pydicomdata__{name}")
    if not os.path.isfile(path):
        return None
    return pydicom.dcmread(path, force=True) if read else path


def _local_only(name, read=False, download=True):
    found = _original(_STAND_INS.get(name, name), read=read, download=False)
    if found is None:
        found = _from_corpus(name, read)
    if found is None and _in_test:
        pytest.skip(f"{name}: not bundled with pydicom (needs the network / pydicom-data)")
    return found  # None at import time, as pydicom returns without the file


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    global _in_test
    _in_test = True
    try:
        yield
    finally:
        _in_test = False


_dm.get_testdata_file = _local_only
pydicom.data.get_testdata_file = _local_only

_MISSING = "Expected a file path, file-like or readable buffer, but got NoneType"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A module-level ``get_testdata_file(...)`` of a file pydicom does not
    bundle is ``None``: the test then fails reading it, with or without
    dicodec. Report it as skipped, with the reason."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and report.failed and _MISSING in str(call.excinfo.value):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), 0, "Skipped: test data not bundled with pydicom")


if os.environ.get("DICODEC_REGISTER", "1") == "1":
    import dicodec.pydicom_plugin

    dicodec.pydicom_plugin.register(prefer=True)
    from pydicom.pixels.decoders.base import get_decoder
    from pydicom.uid import RLELossless

    assert next(iter(get_decoder(RLELossless)._available)) == "dicodec"  # tried first

if os.environ.get("DICODEC_AS_PYLIBJPEG_J2K") == "1":
    # pydicom's JPEG 2000 Lossless encoder tests name their plugin
    # (encoding_plugin="pylibjpeg"): run dicodec's encoder under that name.
    from pydicom.pixels.encoders.base import get_encoder
    from pydicom.uid import JPEG2000Lossless

    import dicodec.j2kenc

    _enc = get_encoder(JPEG2000Lossless)
    assert "pylibjpeg" in _enc._available, "pylibjpeg-openjpeg is needed for these tests"
    _enc._available["pylibjpeg"] = dicodec.j2kenc._pydicom_encode_frame
