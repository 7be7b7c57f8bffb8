"""JPEG Lossless: dicodec against independent references (the corpus MANIFEST
hashes, the ISO 10918-2 conformance stream, libjpeg-turbo, liblj92 and GDCM
as encoders and decoders, pydicom).

Restart intervals: no installed third-party encoder writes them; they are
covered by the conformance stream O1 (85-MCU intervals, 64 RSTn markers) and
by the Rust tests, which also cover DNL, Cornell tables, legacy predictors,
subsampled components and damaged streams with a reference encoder.
"""

from __future__ import annotations

import hashlib
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.encaps import encapsulate
from pydicom.pixels import get_decoder, pixel_array
from pydicom.uid import JPEGLossless, JPEGLosslessSV1

import dicodec
import dicodec.pydicom_plugin as plugin
from conftest import corpus_params, corpus_rows

imagecodecs = pytest.importorskip("imagecodecs", reason="imagecodecs (peer) not installed")

JPLL = {str(JPEGLossless), str(JPEGLosslessSV1)}
PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
O1 = "jpeg/pylibjpeg__10918_p14_O1.JPG"


@pytest.fixture
def registered():
    """dicodec registered as a pydicom plugin (prefer=False), removed after."""
    plugin.register(prefer=False)
    yield
    plugin.unregister()


def image(shape: tuple[int, ...], bits: int, seed: int) -> np.ndarray:
    """Smooth gradient + texture + noise + a few wild samples, in `bits` bits
    (exercises short, long and SSSS 16 codes)."""
    rng = np.random.default_rng(seed)
    rows, cols = shape[:2]
    y, x = np.mgrid[0:rows, 0:cols]
    base = (x * 7 + y * 3 + (x * y) % 13 * 5).astype(np.float64) / (7 * cols + 3 * rows + 65)
    if len(shape) == 3:
        base = base[..., None] * np.linspace(0.5, 1.0, shape[2])
    top = (1 << bits) - 1
    arr = base * top + rng.integers(0, 5, size=shape)
    wild = rng.random(shape) < 0.02
    arr[wild] = rng.integers(0, top + 1, size=int(wild.sum()))
    return np.clip(arr, 0, top).astype(np.uint8 if bits <= 8 else np.uint16)


def dataset_for(arr: np.ndarray, frames: list[bytes], ts=JPEGLosslessSV1, bits_stored=None):
    """A data set with `arr`'s Image Pixel module and `frames` encapsulated."""
    from pydicom.dataset import Dataset, FileMetaDataset

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = pydicom.uid.SecondaryCaptureImageStorage
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    colour = "RGB" if arr.ndim == 3 else "MONOCHROME2"
    ds.set_pixel_data(arr, colour, bits_stored or arr.dtype.itemsize * 8)
    ds.file_meta.TransferSyntaxUID = ts
    ds.PixelData = encapsulate(frames)
    return ds


def sha(arr: np.ndarray) -> str:
    """The MANIFEST's hash: sha256 of the C-order bytes (arrays here are
    little-endian)."""
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def turbo(arr: np.ndarray, predictor: int = 1, bits: int | None = None) -> bytes:
    bits = bits or (8 if arr.dtype == np.uint8 else 16)
    return imagecodecs.jpeg8_encode(arr, lossless=True, predictor=predictor, bitspersample=bits)


# ---- corpus ----


def _jpll_ref(row: dict[str, str]) -> bool:
    return row["transfer_syntax_uid"] in JPLL and bool(row["ref_sha256"])


@pytest.mark.parametrize("row", corpus_params(_jpll_ref))
def test_corpus_through_pydicom_matches_manifest(row, corpus_dir, registered):
    arr = pixel_array(str(corpus_dir / row["file"]), raw=True, decoding_plugin="dicodec")
    assert str(arr.dtype) == row["decoded_dtype"]
    assert sha(arr) == row["ref_sha256"]


@pytest.mark.parametrize("row", corpus_params(_jpll_ref))
def test_corpus_read_pixels_matches_manifest(row, corpus_dir):
    arr = dicodec.read_pixels(corpus_dir / row["file"])
    assert sha(arr) == row["ref_sha256"]


def test_corpus_conformance_stream_o1(corpus_dir):
    """ISO 10918-2 O1: 4 components sampled 1x1, 1x2, 3x1, 1x4, 85-MCU restart
    intervals. dicodec upsamples subsampled components by replication, like
    libjpeg-turbo 3: the two agree bit for bit. The MANIFEST reference is
    libjpeg's (pylibjpeg-libjpeg), which interpolates instead: against it the
    components agree at the positions of their own samples (the centre of each
    replicated block where the factor is odd, the clamped first row where it is
    even)."""
    (row,) = [r for r in corpus_rows() if r["file"] == O1]
    data = (corpus_dir / O1).read_bytes()
    info = dicodec.jpegll_info(data)
    assert (info.rows, info.columns, info.components) == (257, 255, 4)
    assert info.sampling == ((1, 1), (1, 2), (3, 1), (1, 4))
    assert (info.restart_interval, info.precision, info.predictor) == (85, 8, 1)
    got = dicodec.jpegll_decode(data)
    np.testing.assert_array_equal(got, imagecodecs.jpeg8_decode(data))
    np.testing.assert_array_equal(got, dicodec.jpegll_decode(data, parallel=False))
    libjpeg = pytest.importorskip("libjpeg", reason="pylibjpeg-libjpeg not installed")
    ref = libjpeg.decode(data)
    assert sha(ref) == row["ref_sha256"]
    hmax = max(h for h, _ in info.sampling)
    vmax = max(v for _, v in info.sampling)
    for c, (h, v) in enumerate(info.sampling):
        fx, fy = hmax // h, vmax // v
        xs = np.arange(fx // 2, info.columns, fx) if fx % 2 else np.array([0])
        ys = np.arange(fy // 2, info.rows, fy) if fy % 2 else np.array([0])
        at = np.ix_(ys, xs)
        np.testing.assert_array_equal(got[at][..., c], ref[at][..., c])


@pytest.mark.parametrize(
    "name, sof",
    [
        ("jpeg/pylibjpeg__10918_p1_A1.JPG", "SOF0"),
        ("jpeg/pylibjpeg__10918_p2_C1.JPG", "SOF1"),
        ("jpeg/pylibjpeg__14495_JLS_T8C0E0.JLS", "SOF55"),
    ],
)
def test_corpus_other_processes_are_unsupported(name, sof, corpus_dir):
    data = (corpus_dir / name).read_bytes()
    with pytest.raises(dicodec.UnsupportedError, match=sof):
        dicodec.jpegll_decode(data)
    assert not dicodec.jpegll_check(data)


# ---- round trips with third-party encoders ----


@pytest.mark.parametrize("bits", range(2, 17))
def test_roundtrip_libjpeg_turbo_all_predictors(bits):
    for samples in (1, 3):
        shape = (23, 37) if samples == 1 else (19, 29, 3)
        arr = image(shape, bits, seed=bits * 10 + samples)
        for predictor in range(1, 8):
            enc = turbo(arr, predictor, bits)
            info = dicodec.jpegll_info(enc)
            assert (info.precision, info.predictor) == (bits, predictor)
            got = dicodec.jpegll_decode(enc)
            assert got.dtype == arr.dtype
            np.testing.assert_array_equal(got, arr, err_msg=f"predictor {predictor}")
            assert dicodec.jpegll_check(enc)


@pytest.mark.parametrize("bits", range(8, 17))
def test_roundtrip_liblj92(bits):
    """liblj92 writes its Huffman table before the frame header."""
    arr = image((31, 40), bits, seed=bits).astype(np.uint16)
    got = dicodec.jpegll_decode(imagecodecs.ljpeg_encode(arr, bitspersample=bits))
    np.testing.assert_array_equal(got, arr)


def _gdcm_encode(arr: np.ndarray, bits_stored: int, ts: str, signed: bool = False) -> bytes:
    gdcm = pytest.importorskip("gdcm", reason="python-gdcm not installed")
    rows, cols = arr.shape[:2]
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    writer = gdcm.ImageWriter()
    image_ = writer.GetImage()
    image_.SetNumberOfDimensions(2)
    image_.SetDimensions((cols, rows, 1))
    pi = (
        gdcm.PhotometricInterpretation.MONOCHROME2
        if spp == 1
        else gdcm.PhotometricInterpretation.RGB
    )
    image_.SetPhotometricInterpretation(gdcm.PhotometricInterpretation(pi))
    image_.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.ImplicitVRLittleEndian))
    fmt = gdcm.PixelFormat(spp, arr.dtype.itemsize * 8, bits_stored, bits_stored - 1, int(signed))
    image_.SetPixelFormat(fmt)
    if spp > 1:
        image_.SetPlanarConfiguration(0)
    elem = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
    elem.SetByteStringValue(arr.tobytes())
    image_.SetDataElement(elem)
    conv = gdcm.ImageChangeTransferSyntax()
    conv.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.GetTSType(ts)))
    conv.SetInput(image_)
    assert conv.Change()
    seq = conv.GetOutput().GetDataElement().GetSequenceOfFragments()
    return seq.GetFragment(0).GetByteValue().GetBuffer().encode("utf-8", "surrogateescape")


GDCM_CASES = [
    (ts, bs, spp, signed)
    for ts in (str(JPEGLosslessSV1), str(JPEGLossless))
    for bs, spp, signed in [
        (8, 1, False),
        (8, 3, False),
        (12, 1, False),
        (16, 1, True),
        (16, 3, False),
    ]
]


@pytest.mark.parametrize("ts, bits_stored, spp, signed", GDCM_CASES)
def test_roundtrip_gdcm_through_pydicom(ts, bits_stored, spp, signed, registered):
    shape = (32, 45) if spp == 1 else (32, 45, 3)
    arr = image(shape, bits_stored, seed=bits_stored + spp)
    if signed:
        arr = (arr.astype(np.int32) - (1 << (bits_stored - 1))).astype(np.int16)
    enc = _gdcm_encode(arr, bits_stored, ts, signed)
    ds = dataset_for(arr, [enc], ts=ts, bits_stored=bits_stored)
    got = pixel_array(ds, raw=True, decoding_plugin="dicodec")
    np.testing.assert_array_equal(got, arr)
    # GDCM's own decoder agrees (independent reference for the same frame).
    np.testing.assert_array_equal(pixel_array(ds, raw=True, decoding_plugin="gdcm"), got)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "SC_rgb_small_odd.dcm"])
def test_real_images_turbo_predictors_1_and_7(name, tmp_path):
    ds = pydicom.dcmread(PYDICOM_FILES / name)
    arr = ds.pixel_array
    unsigned = arr.view(np.uint16) if arr.dtype == np.int16 else arr
    for predictor in (1, 7):
        enc = turbo(np.ascontiguousarray(unsigned), predictor)
        np.testing.assert_array_equal(dicodec.jpegll_decode(enc), unsigned)
        # And as a DICOM file through read_pixels.
        out = dataset_for(arr, [enc], ts=JPEGLossless)
        path = tmp_path / f"{predictor}.dcm"
        out.save_as(path, enforce_file_format=True)
        np.testing.assert_array_equal(dicodec.read_pixels(path), arr)


# ---- damaged and invalid streams ----


def _ct() -> tuple[np.ndarray, bytes]:
    arr = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm").pixel_array.view(np.uint16)
    return arr, turbo(np.ascontiguousarray(arr), 1)


def test_truncated_stream_decodes_what_is_there():
    arr, enc = _ct()
    with pytest.warns(dicodec.JpegLosslessWarning) as rec:
        got = dicodec.jpegll_decode(enc[: len(enc) // 2])
    messages = " | ".join(str(w.message) for w in rec)
    assert "ends early" in messages and "no EOI" in messages
    good = next(r for r in range(arr.shape[0]) if not np.array_equal(got[r], arr[r]))
    assert good > 10
    np.testing.assert_array_equal(got[:good], arr[:good])
    assert not got[good:].any()


def test_missing_eoi_and_padding_after_eoi():
    arr, enc = _ct()
    with pytest.warns(dicodec.JpegLosslessWarning, match="EOI"):
        np.testing.assert_array_equal(dicodec.jpegll_decode(enc[:-2]), arr)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(dicodec.jpegll_decode(enc + b"\0" * 7), arr)
        # Fill bytes before a marker and an extra COM segment are fine too.
        at = enc.index(b"\xff\xc3")
        extra = enc[:at] + b"\xff\xff\xff\xfe\x00\x05abc" + enc[at:]
        np.testing.assert_array_equal(dicodec.jpegll_decode(extra), arr)


def test_bad_huffman_table_and_misplaced_markers():
    _, enc = _ct()
    dht = enc.index(b"\xff\xc4")
    bad = bytearray(enc)
    bad[dht + 5] = 3  # three codes of length 1: not a prefix code
    with pytest.raises(dicodec.MalformedError) as e:
        dicodec.jpegll_decode(bytes(bad))
    assert e.value.offset is not None and e.value.offset >= dht
    # A scan header before any frame header (the SOF made a comment).
    sof = enc.index(b"\xff\xc3")
    no_sof = enc[:sof] + b"\xff\xfe" + enc[sof + 2 :]
    with pytest.raises(dicodec.MalformedError, match="before the frame header") as e:
        dicodec.jpegll_decode(no_sof)
    assert e.value.offset == enc.index(b"\xff\xda")
    # Not JPEG at all.
    with pytest.raises(dicodec.MalformedError) as e:
        dicodec.jpegll_decode(b"\x00" * 100)
    assert e.value.offset == 0
    # Truncated inside the headers.
    with pytest.raises(dicodec.MalformedError):
        dicodec.jpegll_decode(enc[: sof + 7])


@pytest.mark.parametrize(
    "code, name", [(0xC0, "SOF0"), (0xC1, "SOF1"), (0xC2, "SOF2"), (0xCB, "SOF11")]
)
def test_other_jpeg_processes_name_their_sof(code, name):
    _, enc = _ct()
    sof = enc.index(b"\xff\xc3")
    other = enc[: sof + 1] + bytes([code]) + enc[sof + 2 :]
    with pytest.raises(dicodec.UnsupportedError, match=name):
        dicodec.jpegll_decode(other)
    # A real baseline stream too.
    lossy = imagecodecs.jpeg8_encode(np.zeros((8, 8), np.uint8))
    with pytest.raises(dicodec.UnsupportedError, match="SOF0"):
        dicodec.jpegll_info(lossy)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 255), st.integers(0, 3)), max_size=6
    ),
    cut=st.integers(0, 10**6),
)
def test_damaged_streams_never_crash(edits, cut):
    arr = image((24, 30), 12, seed=3)
    data = bytearray(turbo(arr, 6, 12))
    for pos, byte, kind in edits:
        p = pos % len(data)
        if kind == 0:
            data[p] = byte
        elif kind == 1:
            data[p] ^= 1 << (byte % 8)
        elif kind == 2:
            data.insert(p, byte)
        elif len(data) > 1:
            del data[p]
    if cut % 4 == 0:
        data = data[: cut % len(data)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            got = dicodec.jpegll_decode(bytes(data))
        except dicodec.DicodecError:
            return
    info = dicodec.jpegll_info(bytes(data))
    assert got.shape[:2] == (info.rows, info.columns)


# ---- API ----


def test_info_fields():
    arr = image((20, 33, 3), 12, seed=1)
    info = dicodec.jpegll_info(turbo(arr, 5, 12))
    assert info == dicodec.JpegLosslessInfo(
        precision=12,
        rows=20,
        columns=33,
        components=3,
        component_ids=info.component_ids,
        sampling=((1, 1),) * 3,
        predictor=5,
        point_transform=0,
        restart_interval=0,
        scans=1,
        height_from_dnl=False,
        has_eoi=True,
    )
    assert info.shape == (20, 33, 3) and info.dtype == np.uint16
    assert not dicodec.jpegll_check(b"not a jpeg")


def test_out_argument_and_input_buffers():
    arr = image((16, 21), 16, seed=2)
    enc = turbo(arr)
    out = np.empty((16, 21), np.uint16)
    assert dicodec.jpegll_decode(enc, out=out) is out
    np.testing.assert_array_equal(out, arr)
    signed = np.empty((16, 21), np.int16)
    dicodec.jpegll_decode(enc, out=signed)
    np.testing.assert_array_equal(signed.view(np.uint16), arr)
    with pytest.raises(ValueError, match="dtype"):
        dicodec.jpegll_decode(enc, out=np.empty((16, 21), np.uint8))
    with pytest.raises(ValueError):
        dicodec.jpegll_decode(enc, out=np.empty((16, 20), np.uint16))
    with pytest.raises(ValueError, match="C-contiguous"):
        dicodec.jpegll_decode(enc, out=np.empty((32, 21), np.uint16)[::2])
    for data in [bytearray(enc), memoryview(enc), np.frombuffer(enc, np.uint8)]:
        np.testing.assert_array_equal(dicodec.jpegll_decode(data), arr)
    # Options pass through (no Cornell codes or legacy predictors here).
    np.testing.assert_array_equal(
        dicodec.jpegll_decode(enc, cornell=True, legacy_predictors=True, parallel=False), arr
    )


def test_threads_decode_concurrently():
    arr, enc = _ct()
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: dicodec.jpegll_decode(enc), range(40)))
    assert all(np.array_equal(o, arr) for o in outs)


# ---- pydicom plugin ----


def test_plugin_prefer_true_then_false():
    decoders = [get_decoder(JPEGLossless), get_decoder(JPEGLosslessSV1)]
    arr, enc = _ct()
    try:
        plugin.register(prefer=True)
        plugin.register(prefer=True)  # twice is harmless
        for d in decoders:
            assert list(d._available)[0] == "dicodec"
            assert list(d._available).count("dicodec") == 1
        # A plain pixel_array now goes to dicodec: a truncated frame, which the
        # other plugins refuse, decodes with dicodec's warning.
        ds = dataset_for(arr, [enc[: len(enc) // 2]])
        with pytest.warns(dicodec.JpegLosslessWarning) as rec:
            got = ds.pixel_array
        assert any("ends early" in str(w.message) for w in rec)
        assert got.shape == arr.shape
        plugin.register(prefer=False)
        for d in decoders:
            assert list(d._available)[-1] == "dicodec"
    finally:
        plugin.unregister()
    for d in decoders:
        assert "dicodec" not in d._available


def test_plugin_colour_frames_are_by_pixel(registered):
    arr = image((12, 10, 3), 8, seed=5)
    enc = turbo(arr)
    for planar in (0, 1):
        ds = dataset_for(arr, [enc])
        ds.PlanarConfiguration = planar  # JPEG interleaves whatever this says
        np.testing.assert_array_equal(pixel_array(ds, raw=True, decoding_plugin="dicodec"), arr)


def test_plugin_precision_other_than_bits_stored(registered):
    """GDCM writes 12-bit data with precision 16: the SOF is used to decode,
    then pydicom's convention for Bits Stored applies (here: masked)."""
    arr = image((20, 24), 12, seed=9)
    enc = _gdcm_encode(arr, 12, str(JPEGLosslessSV1))
    assert dicodec.jpegll_info(enc).precision == 16
    ds = dataset_for(arr, [enc], bits_stored=12)
    np.testing.assert_array_equal(pixel_array(ds, raw=True, decoding_plugin="dicodec"), arr)
