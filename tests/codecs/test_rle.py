"""RLE Lossless: dicodec against independent references (the corpus
MANIFEST hashes, pydicom's own decoder and encoder, pylibjpeg-rle, GDCM)."""

from __future__ import annotations

import hashlib
import struct
import threading
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.encaps import generate_frames
from pydicom.pixels import get_decoder, get_encoder, pixel_array
from pydicom.pixels.decoders.rle import _rle_decode_frame, _rle_decode_segment
from pydicom.uid import RLELossless

import dicodec
import dicodec.pydicom_plugin as plugin
from conftest import corpus_params

rle_peer = pytest.importorskip("rle.utils", reason="pylibjpeg-rle (peer) not installed")
from rle.rle import decode_frame as plr_decode  # noqa: E402
from rle.rle import encode_frame as plr_encode  # noqa: E402

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
BUNDLED_RLE = sorted(p.name for p in PYDICOM_FILES.glob("*_rle*.dcm"))
# Uncompressed twins of pydicom's bundled RLE files.
TWINS = {
    "MR_small_RLE.dcm": "MR_small.dcm",
    "rtdose_rle.dcm": "rtdose.dcm",
    "rtdose_rle_1frame.dcm": "rtdose_1frame.dcm",
}


@pytest.fixture
def registered():
    """dicodec registered as a pydicom plugin (prefer=False), removed after."""
    plugin.register(prefer=False)
    yield
    plugin.unregister()


def sha(arr: np.ndarray) -> str:
    arr = np.ascontiguousarray(arr)
    return hashlib.sha256(arr.astype(arr.dtype.newbyteorder("<")).tobytes()).hexdigest()


def frames_of(path) -> tuple[pydicom.Dataset, list[bytes]]:
    ds = pydicom.dcmread(path)
    n = int(ds.get("NumberOfFrames", 1) or 1)
    return ds, list(generate_frames(ds.PixelData, number_of_frames=n))


def rle_corpus(row) -> bool:
    return row["ts_group"] == "rle_lossless"


def header(src: bytes) -> tuple[int, list[int]]:
    words = struct.unpack("<16L", src[:64])
    return words[0], list(words[1:])


def with_header(src: bytes, count: int, offsets: list[int]) -> bytes:
    return struct.pack("<16L", count, *offsets) + src[64:]


def image(rng: np.random.Generator, shape, dtype, runny: bool) -> np.ndarray:
    info = np.iinfo(dtype)
    if runny:
        values = rng.integers(info.min, info.max, size=4, endpoint=True, dtype=dtype)
        values[0] = 0
        idx = np.repeat(
            rng.integers(0, 4, size=shape[0] * 8), rng.integers(1, 40, size=shape[0] * 8)
        )
        flat = values[np.resize(idx, int(np.prod(shape)))]
        return flat.reshape(shape)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


# ---- the corpus and pydicom's files ----


@pytest.mark.parametrize("row", corpus_params(rle_corpus))
def test_corpus_through_pydicom_matches_manifest(row, corpus_dir, registered):
    path = corpus_dir / row["file"]
    if not row["ref_sha256"]:
        pytest.skip(f"no reference hash ({row['decoders_agree'] or 'decoders failed'})")
    arr = pixel_array(path, raw=True, decoding_plugin="dicodec")
    assert arr.dtype == np.dtype(row["decoded_dtype"])
    assert "x".join(map(str, arr.shape)) == row["decoded_shape"]
    assert sha(arr) == row["ref_sha256"]


@pytest.mark.parametrize("row", corpus_params(rle_corpus))
def test_corpus_frames_through_rle_decode(row, corpus_dir):
    """dicodec.rle_decode on each raw frame, against the MANIFEST hash."""
    if not row["ref_sha256"]:
        pytest.skip("no reference hash")
    ds, frames = frames_of(corpus_dir / row["file"])
    out = [
        dicodec.rle_decode(
            f,
            rows=ds.Rows,
            columns=ds.Columns,
            samples_per_pixel=ds.SamplesPerPixel,
            bits_allocated=ds.BitsAllocated,
            strict=True,
        )
        for f in frames
    ]
    arr = np.stack(out) if len(out) > 1 else out[0]
    arr = arr.view(np.dtype(row["decoded_dtype"]).newbyteorder("<"))
    assert sha(arr) == row["ref_sha256"]


@pytest.mark.parametrize("row", corpus_params(lambda r: r["file"] == "pydicomdata__liver_rle.dcm"))
def test_one_bit_bit_packed_segmentation(row, corpus_dir, registered):
    """Older highdicom wrote 1-bit RLE as bit-packed segments; no peer decodes
    it, so the reference is pydicom's PackBits segment decoder + unpack_bits."""
    from pydicom.pixels.utils import unpack_bits

    path = corpus_dir / row["file"]
    ds, frames = frames_of(path)
    want = np.stack(
        [
            unpack_bits(bytes(_rle_decode_segment(f[64:]))[: ds.Rows * ds.Columns // 8])
            .reshape(ds.Rows, ds.Columns)
            .astype(np.uint8)
            for f in frames
        ]
    )
    got = pixel_array(path, raw=True, decoding_plugin="dicodec")
    assert got.dtype == np.uint8 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(dicodec.read_pixels(path), want)
    assert want.any() and want.max() == 1


@pytest.mark.parametrize("name", BUNDLED_RLE)
def test_pydicom_bundled_files_match_pydicom_decoder(name, registered):
    path = PYDICOM_FILES / name
    ours = pixel_array(path, raw=True, decoding_plugin="dicodec")
    theirs = pixel_array(path, raw=True, decoding_plugin="pydicom")
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
    if name in TWINS:
        np.testing.assert_array_equal(ours, pixel_array(PYDICOM_FILES / TWINS[name], raw=True))


@pytest.mark.parametrize(
    "name", ["SC_rgb_rle_2frame.dcm", "SC_rgb_rle_16bit_2frame.dcm", "rtdose_rle.dcm"]
)
def test_pydicom_buffer_and_iterator_paths(name, registered):
    """The plugin returns each frame as a memoryview of an uninitialised NumPy
    buffer: pydicom's buffer, per-frame and iterator paths all accept it and
    give pydicom's own decoder's pixels."""
    from pydicom.pixels import iter_pixels

    path = PYDICOM_FILES / name
    ds = pydicom.dcmread(path)
    decoder = get_decoder(RLELossless)
    want = pixel_array(path, raw=True, decoding_plugin="pydicom")
    frames = int(ds.NumberOfFrames)
    assert frames > 1
    buf, _ = decoder.as_buffer(ds, decoding_plugin="dicodec")
    assert bytes(buf) == np.ascontiguousarray(want).tobytes()
    for index in range(frames):
        one, _ = decoder.as_buffer(ds, index=index, decoding_plugin="dicodec")
        assert isinstance(one, memoryview) and one.nbytes == want[index].nbytes
        assert bytes(one) == want[index].tobytes()
        arr = pixel_array(path, index=index, raw=True, decoding_plugin="dicodec")
        np.testing.assert_array_equal(arr, want[index])
    got = list(iter_pixels(path, raw=True, decoding_plugin="dicodec"))
    assert len(got) == frames
    for index, arr in enumerate(got):
        assert arr.flags.writeable
        np.testing.assert_array_equal(arr, want[index])


@pytest.mark.parametrize("row", corpus_params(rle_corpus))
def test_read_pixels_matches_manifest(row, corpus_dir):
    """read_pixels decodes RLE files through the reader's dispatch, which calls
    dicodec_core::rle::decode_frame for every frame (in parallel)."""
    if not row["ref_sha256"]:
        pytest.skip("no reference hash")
    arr = dicodec.read_pixels(corpus_dir / row["file"])
    assert sha(arr) == row["ref_sha256"]


# ---- round trips ----


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.integers(1, 40),
    columns=st.integers(1, 70),
    samples=st.sampled_from([1, 3]),
    dtype=st.sampled_from(["u1", "i1", "<u2", "<i2", "<u4", "<i4"]),
    runny=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_round_trip(rows, columns, samples, dtype, runny, seed):
    rng = np.random.default_rng(seed)
    shape = (rows, columns) if samples == 1 else (rows, columns, samples)
    arr = image(rng, shape, np.dtype(dtype), runny)
    enc = dicodec.rle_encode(arr)
    assert dicodec.rle_check(enc)
    bits = arr.dtype.itemsize * 8
    out = dicodec.rle_decode(
        enc, rows=rows, columns=columns, samples_per_pixel=samples, bits_allocated=bits, strict=True
    )
    np.testing.assert_array_equal(out.view(arr.dtype), arr)
    # pydicom's and pylibjpeg-rle's decoders read it the same.
    le = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    assert bytes(plr_decode(enc, rows * columns, bits, "<")) == (
        le if samples == 1 else arr.transpose(2, 0, 1).astype(arr.dtype.newbyteorder("<")).tobytes()
    )
    planar = _rle_decode_frame(enc, rows, columns, samples, bits)
    want = arr if samples == 1 else arr.transpose(2, 0, 1)
    assert bytes(planar) == np.ascontiguousarray(want).astype(arr.dtype.newbyteorder("<")).tobytes()
    # Never larger than pylibjpeg-rle on the same frame.
    assert len(enc) <= len(plr_encode(le, rows, columns, samples, bits, "<"))


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 30), columns=st.integers(1, 50), seed=st.integers(0, 2**32 - 1))
def test_one_bit_round_trip_with_pylibjpeg_rle(rows, columns, seed):
    arr = np.random.default_rng(seed).integers(0, 2, size=(rows, columns), dtype=np.uint8)
    enc = dicodec.rle_encode(arr, bits_allocated=1)
    np.testing.assert_array_equal(
        dicodec.rle_decode(enc, rows=rows, columns=columns, bits_allocated=1, strict=True), arr
    )
    # pylibjpeg-rle 2.2 reads and writes 1-bit RLE as one byte per pixel.
    assert bytes(plr_decode(enc, rows * columns, 1, "<")) == arr.tobytes()
    packed = np.packbits(arr.ravel(), bitorder="little").tobytes()
    theirs = rle_peer.encode_pixel_data(
        packed, rows=rows, columns=columns, samples_per_pixel=1, bits_allocated=1
    )
    np.testing.assert_array_equal(
        dicodec.rle_decode(theirs, rows=rows, columns=columns, bits_allocated=1), arr
    )


def test_widened_samples_and_bits_allocated():
    arr = np.array([[0, 1, 127], [-128, -1, 5]], dtype=np.int8)
    enc = dicodec.rle_encode(arr, bits_allocated=16)
    out = dicodec.rle_decode(enc, rows=2, columns=3, bits_allocated=16)
    np.testing.assert_array_equal(out.view(np.int16), arr.astype(np.int16))
    enc = dicodec.rle_encode(arr.view(np.uint8), bits_allocated=32)
    out = dicodec.rle_decode(enc, rows=2, columns=3, bits_allocated=32)
    np.testing.assert_array_equal(out, arr.view(np.uint8).astype(np.uint32))
    np.testing.assert_array_equal(
        dicodec.rle_decode(
            dicodec.rle_encode(arr.astype(">i2")), rows=2, columns=3, bits_allocated=16
        ).view(np.int16),
        arr,
    )
    with pytest.raises(ValueError, match="smaller than"):
        dicodec.rle_encode(arr.astype(np.uint16), bits_allocated=8)
    with pytest.raises(ValueError, match="integer"):
        dicodec.rle_encode(arr.astype(np.float32))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        dicodec.rle_encode(np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="bits_allocated"):
        dicodec.rle_encode(arr, bits_allocated=12)


# ---- interop ----


def pydicom_encode(arr: np.ndarray, plugin_name: str, bits_stored: int | None = None) -> bytes:
    samples = 1 if arr.ndim == 2 else arr.shape[2]
    bits = arr.dtype.itemsize * 8
    return get_encoder(RLELossless).encode(
        arr,
        validate=bits <= 16,  # pydicom's profile for RLE stops at 16 bits, its encoder does not
        encoding_plugin=plugin_name,
        rows=arr.shape[0],
        columns=arr.shape[1],
        samples_per_pixel=samples,
        bits_allocated=bits,
        bits_stored=bits_stored or bits,
        pixel_representation=int(arr.dtype.kind == "i"),
        photometric_interpretation="RGB" if samples == 3 else "MONOCHROME2",
        planar_configuration=0,
        number_of_frames=1,
    )


def dataset_for(arr: np.ndarray, frames: list[bytes], bits_stored: int | None = None):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = RLELossless
    samples = 1 if arr.ndim == 2 else arr.shape[2]
    ds.Rows, ds.Columns = arr.shape[:2]
    ds.SamplesPerPixel = samples
    ds.BitsAllocated = arr.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(arr.dtype.kind == "i")
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples == 3:
        ds.PlanarConfiguration = 0
    ds.SOPClassUID = pydicom.uid.SecondaryCaptureImageStorage
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.PixelData = encapsulate(frames)
    return ds


def gdcm_decode(ds, path: Path) -> np.ndarray | None:
    """GDCM's own RLE decoder (python-gdcm ImageReader) on `ds` saved to
    `path`; None where GDCM gives no buffer (it fails on some tiny colour
    images whatever their encoder)."""
    gdcm = pytest.importorskip("gdcm")
    ds.save_as(path, enforce_file_format=True)
    reader = gdcm.ImageReader()
    reader.SetFileName(str(path))
    assert reader.Read()
    buf = reader.GetImage().GetBuffer()
    if buf is None:
        return None
    buf = buf.encode("utf-8", "surrogateescape")
    shape = (ds.Rows, ds.Columns) if ds.SamplesPerPixel == 1 else (ds.Rows, ds.Columns, 3)
    dtype = np.dtype(f"<{'i' if ds.PixelRepresentation else 'u'}{ds.BitsAllocated // 8}")
    return np.frombuffer(buf, dtype=dtype).reshape(shape)


def real_images() -> list[np.ndarray]:
    out = []
    for name in ["MR_small.dcm", "CT_small.dcm", "SC_rgb_small_odd.dcm", "rtdose_1frame.dcm"]:
        arr = pixel_array(PYDICOM_FILES / name, raw=True)
        out.append(np.ascontiguousarray(arr))
    rng = np.random.default_rng(7)
    out.append(image(rng, (33, 47, 3), np.dtype("u1"), runny=False))
    out.append(image(rng, (64, 31), np.dtype("<i2"), runny=True))
    return out


@pytest.mark.parametrize("idx", range(6))
def test_interop_with_pylibjpeg_rle_gdcm_and_pydicom(idx, registered, tmp_path):
    arr = real_images()[idx]
    rows, columns = arr.shape[:2]
    samples = 1 if arr.ndim == 2 else arr.shape[2]
    bits = arr.dtype.itemsize * 8
    le = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    ours = dicodec.rle_encode(arr)
    # Our stream, their decoders.
    ds = dataset_for(arr, [ours])
    for name in ["pydicom", "pylibjpeg"]:
        got = pixel_array(ds, raw=True, decoding_plugin=name)
        np.testing.assert_array_equal(got, arr, err_msg=name)
    # GDCM mishandles multi-byte colour RLE (see the MANIFEST's gdcm_direct_mismatch) and
    # some tiny images: compare where it decodes pylibjpeg-rle's stream of the image right.
    control = gdcm_decode(
        dataset_for(arr, [plr_encode(le.tobytes(), rows, columns, samples, bits, "<")]),
        tmp_path / "control.dcm",
    )
    if control is not None and np.array_equal(control, arr):
        np.testing.assert_array_equal(gdcm_decode(ds, tmp_path / "ours.dcm"), arr, err_msg="gdcm")
    # Their streams, our decoder.
    theirs = {
        "pylibjpeg-rle": plr_encode(le.tobytes(), rows, columns, samples, bits, "<"),
        "pydicom": pydicom_encode(arr, "pydicom"),
    }
    if bits <= 16 and rows * columns % 2 == 0:
        # GDCM's encoder aborts the process on an odd number of pixels.
        theirs["gdcm"] = pydicom_encode(arr, "gdcm")
    for name, enc in theirs.items():
        got = dicodec.rle_decode(
            enc, rows=rows, columns=columns, samples_per_pixel=samples, bits_allocated=bits
        )
        np.testing.assert_array_equal(got.view(arr.dtype.newbyteorder("<")), arr, err_msg=name)
        assert len(ours) <= len(enc), name


def test_bits_allocated_16_bits_stored_8(registered):
    """pydicom hands encoders one byte per sample when Bits Stored <= 8; the
    dicodec plugin widens them back (sign-extended for signed data)."""
    arr = np.array([[0, 3, 255, 17], [200, 1, 0, 9]], dtype=np.uint16)
    enc = pydicom_encode(arr, "dicodec", bits_stored=8)
    assert header(enc)[0] == 2
    got = pixel_array(dataset_for(arr, [enc], bits_stored=8), raw=True, decoding_plugin="pydicom")
    np.testing.assert_array_equal(got, arr)
    signed = np.array([[0, -3, 127, -128], [5, -1, 0, 9]], dtype=np.int16)
    enc = pydicom_encode(signed, "dicodec", bits_stored=8)
    ds = dataset_for(signed, [enc], bits_stored=8)
    for name in ["pydicom", "pylibjpeg", "dicodec"]:
        np.testing.assert_array_equal(
            pixel_array(ds, raw=True, decoding_plugin=name), signed, err_msg=name
        )


# ---- malformed and odd streams ----


def ct_frame() -> tuple[bytes, dict]:
    arr = pixel_array(PYDICOM_FILES / "CT_small.dcm", raw=True)
    enc = dicodec.rle_encode(arr)
    return enc, dict(rows=arr.shape[0], columns=arr.shape[1], bits_allocated=16)


def test_truncated_segment_names_segment_and_offset():
    enc, geo = ct_frame()
    count, offsets = header(enc)
    cut = enc[: offsets[1] + 100]
    with pytest.raises(dicodec.MalformedError, match=r"RLE segment 2") as exc:
        dicodec.rle_decode(cut, **geo)
    assert isinstance(exc.value, dicodec.DicodecError) and isinstance(exc.value, ValueError)
    assert offsets[1] <= exc.value.offset <= len(cut)
    assert f"byte offset {exc.value.offset}" in str(exc.value)


def test_header_claiming_16_segments():
    enc, geo = ct_frame()
    _, offsets = header(enc)
    with pytest.raises(dicodec.MalformedError, match="16 segments") as exc:
        dicodec.rle_decode(with_header(enc, 16, offsets), **geo)
    assert exc.value.offset == 0


def test_offsets_past_the_end():
    enc, geo = ct_frame()
    count, offsets = header(enc)
    offsets[1] = len(enc) + 10
    with pytest.raises(dicodec.MalformedError, match="RLE segment 2.*past the end") as exc:
        dicodec.rle_decode(with_header(enc, count, offsets), **geo)
    assert exc.value.offset == 8


@pytest.mark.parametrize("data", [b"", b"\x01\x00\x00\x00", bytes(63)])
def test_zero_length_and_short_data(data):
    with pytest.raises(dicodec.MalformedError, match="RLE header") as exc:
        dicodec.rle_decode(data, rows=4, columns=4)
    assert exc.value.offset == len(data)
    assert not dicodec.rle_check(data)


def test_wrong_segment_count_and_bad_arguments():
    enc, geo = ct_frame()
    with pytest.raises(dicodec.MalformedError, match="needs 1"):
        dicodec.rle_decode(enc, rows=geo["rows"], columns=geo["columns"], bits_allocated=8)
    with pytest.raises(ValueError, match="bits_allocated"):
        dicodec.rle_decode(enc, rows=2, columns=2, bits_allocated=12)
    with pytest.raises(ValueError, match="positive"):
        dicodec.rle_decode(enc, rows=0, columns=2)
    with pytest.raises(dicodec.UnsupportedError, match="15 segments"):
        dicodec.rle_decode(enc, rows=2, columns=2, samples_per_pixel=3, bits_allocated=64)


def test_lenient_policy_warns_and_strict_raises():
    row = np.arange(1, 8, dtype=np.uint8).reshape(1, 7)
    enc = dicodec.rle_encode(row)
    # Drop the last pixel from the only segment: one byte short.
    seg = bytes([5]) + bytes(range(1, 7))
    short = enc[:64] + seg
    with pytest.warns(dicodec.RLEWarning, match="RLE segment 1.*one short"):
        out = dicodec.rle_decode(short, rows=1, columns=7)
    np.testing.assert_array_equal(out, [[1, 2, 3, 4, 5, 6, 0]])
    with pytest.raises(dicodec.MalformedError, match="RLE segment 1"):
        dicodec.rle_decode(short, rows=1, columns=7, strict=True)
    # Two extra pixels: trimmed with a warning.
    long = enc[:64] + bytes([8]) + bytes(range(1, 10)) + b"\x00"
    with pytest.warns(dicodec.RLEWarning, match="2 bytes more"):
        out = dicodec.rle_decode(long, rows=1, columns=7)
    np.testing.assert_array_equal(out, row)
    with pytest.raises(dicodec.MalformedError):
        dicodec.rle_decode(long, rows=1, columns=7, strict=True)


def test_warnings_reach_pydicom_users(registered):
    arr = np.arange(1, 8, dtype=np.uint8).reshape(1, 7)
    enc = dicodec.rle_encode(arr)
    short = enc[:64] + bytes([5]) + bytes(range(1, 7))
    with pytest.warns(dicodec.RLEWarning, match="one short"):
        got = pixel_array(dataset_for(arr, [short]), raw=True, decoding_plugin="dicodec")
    np.testing.assert_array_equal(got, [[1, 2, 3, 4, 5, 6, 0]])


def test_out_argument():
    arr = np.arange(60, dtype=np.uint16).reshape(4, 5, 3)
    enc = dicodec.rle_encode(arr)
    geo = dict(rows=4, columns=5, samples_per_pixel=3, bits_allocated=16)
    out = np.zeros((4, 5, 3), np.uint16)
    assert dicodec.rle_decode(enc, out=out, **geo) is out
    np.testing.assert_array_equal(out, arr)
    buf = bytearray(120)
    dicodec.rle_decode(enc, out=buf, **geo)
    assert bytes(buf) == arr.tobytes()
    with pytest.raises(ValueError, match="needs 120"):
        dicodec.rle_decode(enc, out=np.zeros(59, np.uint16), **geo)
    with pytest.raises(ValueError, match="C-contiguous"):
        dicodec.rle_decode(enc, out=np.zeros((8, 5, 3), np.uint16)[::2], **geo)
    with pytest.raises(ValueError, match="writeable"):
        dicodec.rle_decode(enc, out=bytes(120), **geo)
    # Input may be any buffer: memoryview, bytearray, numpy array.
    for data in [memoryview(enc), bytearray(enc), np.frombuffer(enc, np.uint8)]:
        np.testing.assert_array_equal(dicodec.rle_decode(data, **geo), arr)
    # out aliasing data is refused.
    shared = np.frombuffer(bytearray(enc) + bytearray(200), np.uint8)
    with pytest.raises(ValueError, match="shares memory"):
        dicodec.rle_decode(shared[: len(enc)], out=shared[50:170], **geo)


def test_threads_decode_concurrently():
    enc, geo = ct_frame()
    want = dicodec.rle_decode(enc, **geo)
    results = []

    def work():
        for _ in range(20):
            results.append(np.array_equal(dicodec.rle_decode(enc, **geo), want))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 80


# ---- pydicom plugin ----


def test_plugin_prefer_true_is_the_default_coder():
    decoder, encoder = get_decoder(RLELossless), get_encoder(RLELossless)
    try:
        plugin.register(prefer=True)
        plugin.register(prefer=True)  # twice is harmless
        assert list(decoder._available)[0] == "dicodec"
        assert list(encoder._available)[0] == "dicodec"
        assert list(decoder._available).count("dicodec") == 1
        # A plain compress() now writes dicodec's stream (it merges two-byte
        # repeats between literals, which pydicom's encoder never does).
        arr = np.array([[1, 2, 3, 3, 4, 5, 9, 9]], dtype=np.uint8)
        ds = dataset_for(arr, [bytes(2)])
        ds.PixelData = arr.tobytes()
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
        ds.compress(RLELossless, arr)
        frame = next(generate_frames(ds.PixelData, number_of_frames=1))
        assert frame == dicodec.rle_encode(arr)
        assert frame != pydicom_encode(arr, "pydicom")
        # And a plain pixel_array decodes with it: 1-bit data no other plugin reads.
        one_bit = np.array([[1, 0, 1], [0, 0, 1]], dtype=np.uint8)
        ds1 = dataset_for(one_bit, [dicodec.rle_encode(one_bit, bits_allocated=1)])
        ds1.BitsAllocated = ds1.BitsStored = 1
        ds1.HighBit = 0
        np.testing.assert_array_equal(ds1.pixel_array, one_bit)
        plugin.register(prefer=False)
        assert list(decoder._available)[-1] == "dicodec"
        assert list(encoder._available)[-1] == "dicodec"
    finally:
        plugin.unregister()
    assert "dicodec" not in decoder._available and "dicodec" not in encoder._available


def test_plugin_sets_planar_configuration_only_when_it_deviates(registered):
    arr = np.random.default_rng(1).integers(0, 255, size=(6, 5, 3), dtype=np.uint8)
    enc = dicodec.rle_encode(arr)
    for planar in (0, 1):
        ds = dataset_for(arr, [enc])
        ds.PlanarConfiguration = planar
        got = pixel_array(ds, raw=True, decoding_plugin="dicodec")
        np.testing.assert_array_equal(got, arr)
        np.testing.assert_array_equal(pixel_array(ds, raw=True, decoding_plugin="pydicom"), arr)


def test_plugin_honours_segment_order_option(registered):
    arr = np.arange(20, dtype=np.uint16).reshape(4, 5) * 300
    enc = dicodec.rle_encode(arr)
    count, offsets = header(enc)
    msb, lsb = enc[offsets[0] : offsets[1]], enc[offsets[1] :]
    swapped = struct.pack("<16L", 2, 64, 64 + len(lsb), *[0] * 13) + lsb + msb
    ds = dataset_for(arr, [swapped])
    got = pixel_array(ds, raw=True, decoding_plugin="dicodec", rle_segment_order="<")
    np.testing.assert_array_equal(got, arr)
