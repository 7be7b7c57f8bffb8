"""The pydicom plugin's decoders for JPEG (.50/.51), JPEG-LS (.80/.81),
JPEG 2000 and HTJ2K (.90/.91/.201/.202/.203), through the generic registry
path (``_native.decode_frame_into``), and its colour processing step.

References, never dicodec's own output:

* ``raw=True``: the MANIFEST's ``ref_sha256`` (pydicom with its decoders);
  lossy JPEG rows without one: libjpeg-turbo (imagecodecs ``jpeg8_decode``,
  YCbCr kept as pydicom keeps it); else pydicom with its default plugins.
* ``raw=False``: pydicom with its default plugins (and pydicom's own
  ``convert_color_space``), computed while dicodec is not registered. For
  8-bit lossy JPEG the default plugins use other IDCTs than libjpeg-turbo
  (pylibjpeg-libjpeg), so the reference is pydicom with Pillow (libjpeg-turbo)
  and pydicom's NumPy colour conversion: equal to the bit.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from libjpeg_turbo_ref import turbo_frames

import dicodec
from conftest import corpus_params, corpus_rows

pydicom = pytest.importorskip("pydicom")
from pydicom.pixels import pixel_array  # noqa: E402
from pydicom.pixels.processing import convert_color_space  # noqa: E402

from dicodec import pydicom_plugin  # noqa: E402

LOSSY_JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}
J2K = {f"1.2.840.10008.1.2.4.{n}" for n in ("90", "91", "201", "202", "203")}
SYNTAXES = LOSSY_JPEG | J2K | {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}


@pytest.fixture
def plugin() -> Iterator[None]:
    """dicodec registered last (used only when named), then removed."""
    pydicom_plugin.register(prefer=False)
    try:
        yield
    finally:
        pydicom_plugin.unregister()


def _quiet(func, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kw)


def _pydicom(path: Path, **kw) -> np.ndarray | None:
    """pydicom with its own plugins (dicodec not registered), or None."""
    pydicom_plugin.unregister()
    try:
        return _quiet(pixel_array, path, **kw)
    except Exception:
        return None


def _dicodec(path: Path, **kw) -> np.ndarray:
    return _quiet(pixel_array, path, decoding_plugin="dicodec", **kw)


def _turbo(path: Path) -> np.ndarray | None:
    """libjpeg-turbo's frames as pydicom returns them with raw=True."""
    ref = turbo_frames(path)
    if ref is None:
        return None
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    if ds.BitsStored < ds.BitsAllocated:
        # pydicom's own step after any plugin (correct_unused_bits): values
        # past Bits Stored (lossy overshoot) are masked away.
        shift = 8 * ref.dtype.itemsize - ds.BitsStored
        ref = (ref << shift) >> shift
    return ref


def _openjpeg(path: Path) -> np.ndarray | None:
    """OpenJPEG's frames (imagecodecs ``jpeg2k_decode``) for a file none of
    pydicom's plugins decodes here (no pylibjpeg-openjpeg in the venv):
    unsigned data whose codestream precision fills the container only, where
    pydicom's rules change nothing."""
    imagecodecs = pytest.importorskip("imagecodecs")
    from pydicom.encaps import generate_frames

    ds = pydicom.dcmread(path)
    n = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if ds.PixelRepresentation != 0 or ds.BitsStored != ds.BitsAllocated:
        return None
    try:
        frames = [
            imagecodecs.jpeg2k_decode(f) for f in generate_frames(ds.PixelData, number_of_frames=n)
        ]
    except Exception:
        return None
    return np.stack(frames) if n > 1 else frames[0]


def _sha(a: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(a.astype(a.dtype.newbyteorder("<")).tobytes()).hexdigest()


def _rows(r: dict[str, str]) -> bool:
    return r["kind"] == "dicom" and r["transfer_syntax_uid"] in SYNTAXES


def test_registered_for_every_pydicom_slot(plugin):
    from pydicom.pixels.decoders.base import get_decoder

    for uid in SYNTAXES:
        assert "dicodec" in get_decoder(uid)._available, uid


@pytest.mark.parametrize("row", corpus_params(_rows))
def test_raw_equals_reference(row, corpus_dir, plugin):
    path = corpus_dir / row["file"]
    lossy = row["transfer_syntax_uid"] in LOSSY_JPEG
    sha = "" if lossy else row["ref_sha256"]
    if lossy:
        # ref_sha256 of lossy JPEG rows is pylibjpeg-libjpeg's (libjpeg 6b
        # IDCT, within 1 of libjpeg-turbo): libjpeg-turbo is the reference.
        ref = _turbo(path)
    elif sha:
        ref = None
    else:
        ref = _pydicom(path, raw=True)
        pydicom_plugin.register(prefer=False)
        if ref is None and row["transfer_syntax_uid"] in J2K:
            ref = _openjpeg(path)
    if not sha and ref is None:
        # No decoder of pydicom's (nor libjpeg-turbo) decodes it: dicodec
        # either fails cleanly or decodes it (nothing to compare with).
        try:
            _dicodec(path, raw=True)
        except Exception as exc:
            assert isinstance(exc, (ValueError, RuntimeError, NotImplementedError))
        pytest.skip("no independent reference decodes this file")
    got = _dicodec(path, raw=True)
    if sha:
        assert _sha(got) == sha
    else:
        assert ref is not None
        ref = ref.astype(ref.dtype.newbyteorder("="))
        assert got.shape == ref.shape
        np.testing.assert_array_equal(got, ref)


def _pillow_available() -> bool:
    try:
        from pydicom.pixels.decoders.base import get_decoder

        return "pillow" in get_decoder("1.2.840.10008.1.2.4.50")._available
    except Exception:
        return False


@pytest.mark.parametrize("row", corpus_params(_rows))
def test_as_rgb_equals_pydicom(row, corpus_dir, plugin):
    """raw=False (pydicom's processing, YCbCr → RGB by dicodec's step) equals
    pydicom with its own plugins and its NumPy conversion."""
    path = corpus_dir / row["file"]
    uid = row["transfer_syntax_uid"]
    lossy8 = uid in LOSSY_JPEG and row["bits_stored"] == "8"
    kw = {"decoding_plugin": "pillow"} if lossy8 and _pillow_available() else {}
    ref = _pydicom(path, **kw) if kw or uid not in LOSSY_JPEG else None
    pydicom_plugin.register(prefer=False)
    if ref is None and not (uid in LOSSY_JPEG and not kw):
        pytest.skip("pydicom's plugins do not decode this file")
    if uid in LOSSY_JPEG and not kw:
        # No libjpeg-turbo in pydicom's plugins: pydicom's conversion of
        # dicodec's raw output is the reference for the colour step.
        raw = _dicodec(path, raw=True)
        pi = pydicom.dcmread(path, stop_before_pixels=True).PhotometricInterpretation
        ref = convert_color_space(raw, "YBR_FULL", "RGB") if pi.startswith("YBR_FULL") else raw
    got = _dicodec(path)
    ref = ref.astype(ref.dtype.newbyteorder("="))
    assert got.dtype == ref.dtype and got.shape == ref.shape
    np.testing.assert_array_equal(got, ref)


def test_raw_keeps_ycbcr_and_as_rgb_converts(corpus_dir, plugin):
    """A YBR_FULL_422 multi-frame JPEG: raw=True is YCbCr (pydicom's
    contract), raw=False RGB equal to pydicom's conversion of it, and the
    data set's Photometric Interpretation is left as it is."""
    rows = [
        r
        for r in corpus_rows()
        if _rows(r) and r["photometric_interpretation"] == "YBR_FULL_422" and r["ref_sha256"]
    ]
    if not rows:
        pytest.skip("no YBR_FULL_422 file in the corpus")
    path = corpus_dir / rows[0]["file"]
    ds = pydicom.dcmread(path)
    raw = _dicodec(ds, raw=True)
    rgb = _dicodec(ds)
    assert not np.array_equal(raw, rgb)
    np.testing.assert_array_equal(rgb, convert_color_space(raw, "YBR_FULL", "RGB"))
    assert ds.PhotometricInterpretation == "YBR_FULL_422"
    # Through Dataset.pixel_array too.
    ds.pixel_array_options(decoding_plugin="dicodec")
    np.testing.assert_array_equal(_quiet(lambda: ds.pixel_array), rgb)


def test_processor_is_pydicoms_again_after_unregister():
    from pydicom.pixels.decoders import base

    before = list(base.PROCESSORS)
    pydicom_plugin.register(prefer=False)
    assert base.PROCESSORS != before
    pydicom_plugin.register(prefer=False)  # idempotent
    pydicom_plugin.unregister()
    assert base.PROCESSORS == before


def test_force_ybr_and_native_rgb_go_to_pydicom(plugin):
    """Cases dicodec's step leaves to pydicom: RGB → YBR (force_ybr), and a
    native RGB file (no conversion)."""
    path = Path(pydicom.data.get_testdata_file("SC_rgb_small_odd.dcm"))
    pydicom_plugin.unregister()
    want_ybr = pixel_array(path, force_ybr=True)
    want = pixel_array(path)
    pydicom_plugin.register(prefer=False)
    np.testing.assert_array_equal(pixel_array(path, force_ybr=True), want_ybr)
    np.testing.assert_array_equal(pixel_array(path), want)


def test_decode_frame_into_checks_its_arguments():
    from dicodec import _native

    data = np.zeros(16, np.uint8)
    out = np.zeros(4, np.uint8)
    with pytest.raises(dicodec.DicodecError):
        _native.decode_frame_into("1.2.3.4", data, out, 2, 2, 1, 8, 8, 0, "MONOCHROME2")
    with pytest.raises(dicodec.DicodecError):  # native syntax: not one frame
        _native.decode_frame_into("1.2.840.10008.1.2.1", data, out, 2, 2, 1, 8, 8, 0, "MONOCHROME2")
    with pytest.raises(dicodec.DicodecError):  # out of the wrong size
        _native.decode_frame_into(
            "1.2.840.10008.1.2.4.80", data, np.zeros(3, np.uint8), 2, 2, 1, 8, 8, 0, "MONOCHROME2"
        )
    with pytest.raises(dicodec.DicodecError):  # not a JPEG-LS stream
        _native.decode_frame_into(
            "1.2.840.10008.1.2.4.80", data, out, 2, 2, 1, 8, 8, 0, "MONOCHROME2"
        )
