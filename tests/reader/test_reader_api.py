"""The Python API of the reader: sources, frames, out=, threads, errors,
warnings, frame_info, encapsulation (BOT, Extended Offset Table, several
fragments per frame) and the ``dicodec info`` / ``dicodec demo`` commands.

Inputs are written by pydicom (its encoders and ``encapsulate`` functions),
never by dicodec."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

import dicodec
from dicodec import DicodecError, LimitExceededError, MalformedError, UnsupportedError
from dicodec.cli import main

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.encaps import encapsulate, encapsulate_extended  # noqa: E402
from pydicom.pixels import pixel_array  # noqa: E402
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian  # noqa: E402

ENCAPSULATED_UNCOMPRESSED = UID("1.2.840.10008.1.2.1.98")
RNG = np.random.default_rng(1234)


def make_dataset(arr: np.ndarray, ts: str = ExplicitVRLittleEndian, *, frames: int = 1) -> Dataset:
    """A minimal image dataset holding ``arr`` natively (pydicom writes it)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(ts)
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    ds.Modality = "OT"
    samples = arr.shape[-1] if (arr.ndim == 4 or (arr.ndim == 3 and frames == 1)) else 1
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples == 3:
        ds.PlanarConfiguration = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.Rows, ds.Columns = arr.shape[1:3] if frames > 1 else arr.shape[:2]
    ds.BitsAllocated = arr.dtype.itemsize * 8
    ds.BitsStored = ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(arr.dtype.kind == "i")
    if ts == ExplicitVRBigEndian:
        ds.PixelData = arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    else:
        ds.PixelData = arr.tobytes()
    ds["PixelData"].VR = "OW" if ds.BitsAllocated > 8 else "OB"
    return ds


def to_bytes(ds: Dataset) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def encapsulated(arr: np.ndarray, frames: int, **kw) -> Dataset:
    """``arr`` (frames, rows, cols) as Encapsulated Uncompressed, items by pydicom."""
    ds = make_dataset(arr, frames=frames)
    ds.file_meta.TransferSyntaxUID = ENCAPSULATED_UNCOMPRESSED
    per_frame = [f.tobytes() for f in arr]
    if kw.pop("extended", False):
        data, eot, lengths = encapsulate_extended(per_frame)
        ds.PixelData = data
        ds.ExtendedOffsetTable = eot
        ds.ExtendedOffsetTableLengths = lengths
    else:
        ds.PixelData = encapsulate(per_frame, **kw)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


@pytest.fixture(scope="module")
def multiframe(tmp_path_factory) -> tuple[Path, np.ndarray]:
    arr = RNG.integers(-2000, 2000, size=(5, 7, 9), dtype=np.int16)
    path = tmp_path_factory.mktemp("mf") / "mf.dcm"
    make_dataset(arr, frames=5).save_as(path, enforce_file_format=True)
    return path, arr


def test_sources_agree(multiframe):
    path, arr = multiframe
    data = path.read_bytes()
    for src in (
        path,
        str(path),
        data,
        bytearray(data),
        memoryview(data),
        np.frombuffer(data, np.uint8),
        pydicom.dcmread(path),
    ):
        got = dicodec.read_pixels(src)
        assert got.dtype == np.int16 and got.shape == (5, 7, 9)
        np.testing.assert_array_equal(got, arr)
    np.testing.assert_array_equal(pixel_array(path, raw=True), arr)
    with pytest.raises(TypeError):
        dicodec.read_pixels(12345)


def test_frames_argument(multiframe):
    path, arr = multiframe
    np.testing.assert_array_equal(dicodec.read_pixels(path, frames=2), arr[2])
    np.testing.assert_array_equal(dicodec.read_pixels(path, frames=-1), arr[4])
    got = dicodec.read_pixels(path, frames=[3, 0, 3])
    assert got.shape == (3, 7, 9)
    np.testing.assert_array_equal(got, arr[[3, 0, 3]])
    assert dicodec.read_pixels(path, frames=[1]).shape == (1, 7, 9)
    assert dicodec.read_pixels(path, frames=[]).shape == (0, 7, 9)
    with pytest.raises(IndexError):
        dicodec.read_pixels(path, frames=5)
    with pytest.raises(IndexError):
        dicodec.read_pixels(path, frames=[0, -6])


def test_threads_give_the_same_array(multiframe):
    path, arr = multiframe
    for t in (None, 1, 2, 3):
        np.testing.assert_array_equal(dicodec.read_pixels(path, threads=t), arr)
    with pytest.raises(ValueError):
        dicodec.read_pixels(path, threads=0)


def test_out_argument(multiframe):
    path, arr = multiframe
    out = np.full(arr.shape, 7, dtype=np.int16)
    got = dicodec.read_pixels(path, out=out)
    assert got is out
    np.testing.assert_array_equal(out, arr)
    one = np.empty((7, 9), np.int16)
    assert dicodec.read_pixels(path, frames=1, out=one) is one
    np.testing.assert_array_equal(one, arr[1])
    bad = [
        np.empty(arr.shape, np.uint16),  # dtype
        np.empty((5, 9, 7), np.int16),  # shape
        np.empty((5, 7, 18), np.int16)[:, :, ::2],  # not contiguous
    ]
    ro = np.empty(arr.shape, np.int16)
    ro.flags.writeable = False
    for o in [*bad, ro, [[0]]]:
        with pytest.raises((ValueError, TypeError)):
            dicodec.read_pixels(path, out=o)


def test_large_mapped_file_with_page_release(tmp_path):
    # > 1 MiB: memory-mapped, decoded pages released frame by frame.
    arr = RNG.integers(0, 4096, size=(24, 128, 256), dtype=np.uint16)
    path = tmp_path / "big.dcm"
    make_dataset(arr, frames=24).save_as(path, enforce_file_format=True)
    assert path.stat().st_size > (1 << 20)
    for threads in (1, 2, None):
        np.testing.assert_array_equal(dicodec.read_pixels(path, threads=threads), arr)
        # Twice, in a different order, and again: pages come back from the file.
        sel = [5, 23, 0, 5, 23]
        np.testing.assert_array_equal(
            dicodec.read_pixels(path, frames=sel, threads=threads), arr[sel]
        )
        np.testing.assert_array_equal(dicodec.read_pixels(path, frames=-1), arr[-1])


def test_big_endian_and_rgb(tmp_path):
    arr = RNG.integers(0, 65535, size=(4, 6), dtype=np.uint16)
    path = tmp_path / "be.dcm"
    make_dataset(arr, ExplicitVRBigEndian).save_as(path, enforce_file_format=True)
    got = dicodec.read_pixels(path)
    assert got.dtype == np.dtype("=u2")
    np.testing.assert_array_equal(got, arr)
    rgb = RNG.integers(0, 255, size=(3, 5, 3), dtype=np.uint8)
    path = tmp_path / "rgb.dcm"
    make_dataset(rgb).save_as(path, enforce_file_format=True)
    np.testing.assert_array_equal(dicodec.read_pixels(path), rgb)


@pytest.mark.parametrize(
    "kw",
    [
        {"fragments_per_frame": 1, "has_bot": True},
        {"fragments_per_frame": 1, "has_bot": False},
        {"fragments_per_frame": 3, "has_bot": True},
        {"extended": True},
    ],
    ids=["bot", "no-bot", "bot-3-fragments", "extended-offset-table"],
)
def test_encapsulated_frames(kw, tmp_path):
    arr = RNG.integers(0, 255, size=(4, 6, 8), dtype=np.uint8)
    ds = encapsulated(arr, 4, **kw)
    path = tmp_path / "enc.dcm"
    ds.save_as(path, enforce_file_format=True)
    info = dicodec.frame_info(path)
    assert info.encapsulated and info.frames == 4 and info.decodable
    assert info.extended_offset_table == ("extended" in kw)
    per_frame = kw.get("fragments_per_frame", 1)
    assert info.fragments == 4 * per_frame
    assert [len(f) for f in info.frame_ranges] == [per_frame] * 4
    data = path.read_bytes()
    for k, frame in enumerate(info.frame_ranges):
        joined = b"".join(data[o : o + n] for o, n in frame)
        assert joined[: arr[k].nbytes] == arr[k].tobytes()
    np.testing.assert_array_equal(dicodec.read_pixels(path), arr)
    np.testing.assert_array_equal(dicodec.read_pixels(ds), arr)
    np.testing.assert_array_equal(dicodec.read_pixels(path, frames=[2, 1]), arr[[2, 1]])


def test_empty_bot_eoi_split_like_pydicom():
    # 2 frames in 5 fragments, no BOT: frames end at fragments whose last
    # 10 bytes hold FF D9 (pydicom's generate_fragmented_frames).
    from pydicom.encaps import generate_fragmented_frames, itemize_fragment

    frags = [b"\xff\xd8ab", b"cdef", b"gh\xff\xd9", b"\xff\xd8ij", b"kl\xff\xd9"]
    value = b"\xfe\xff\x00\xe0\x00\x00\x00\x00" + b"".join(itemize_fragment(f) for f in frags)
    ds = make_dataset(np.zeros((2, 2, 2), np.uint8), frames=2)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.50"
    ds.PixelData = value
    ds["PixelData"].is_undefined_length = True
    info = dicodec.frame_info(ds)
    expected = list(generate_fragmented_frames(value, number_of_frames=2))
    assert len(info.frame_ranges) == len(expected) == 2
    for ranges, frame in zip(info.frame_ranges, expected, strict=True):
        assert tuple(value[o : o + n] for o, n in ranges) == frame
    with pytest.raises(UnsupportedError, match=r"JPEG Baseline.*1\.2\.840\.10008\.1\.2\.4\.50"):
        dicodec.read_pixels(ds)
    # More EOI-terminated frames than Number of Frames: pydicom returns the
    # extra frames too (allow_excess_frames), and so does the frame count here.
    frags.append(b"\xff\xd8mn\xff\xd9")
    ds.PixelData = value + itemize_fragment(frags[-1])
    info = dicodec.frame_info(ds)
    assert info.frames == 3 and info.number_of_frames == 2
    assert any("more than the Number of Frames" in w for w in info.warnings)


def test_frame_info_native(multiframe):
    path, arr = multiframe
    info = dicodec.frame_info(path)
    assert isinstance(info, dicodec.FrameInfo)
    assert (info.rows, info.columns, info.frames, info.samples_per_pixel) == (7, 9, 5, 1)
    assert info.number_of_frames == 5
    assert info.dtype == np.int16 and info.shape == (5, 7, 9)
    assert info.transfer_syntax_name == "Explicit VR Little Endian"
    assert info.transfer_syntax == "Explicit VR Little Endian (1.2.840.10008.1.2.1)"
    assert not info.encapsulated and info.decodable
    data = path.read_bytes()
    frame_bytes = 7 * 9 * 2
    for k, [(offset, length)] in enumerate(info.frame_ranges):
        assert offset == info.pixel_data_offset + k * frame_bytes and length == frame_bytes
        assert data[offset : offset + length] == arr[k].tobytes()


def test_one_bit_frames_are_not_byte_aligned(tmp_path):
    from pydicom.pixels.utils import pack_bits

    bits = RNG.integers(0, 2, size=(3, 3, 5), dtype=np.uint8)  # 15 bits per frame
    ds = make_dataset(bits, frames=3)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, 1, 0
    ds.PixelData = pack_bits(bits.ravel())
    path = tmp_path / "bits.dcm"
    ds.save_as(path, enforce_file_format=True)
    np.testing.assert_array_equal(dicodec.read_pixels(path), pixel_array(path, raw=True))
    np.testing.assert_array_equal(dicodec.read_pixels(path), bits)
    info = dicodec.frame_info(path)
    off = info.pixel_data_offset
    # Bits 0-14, 15-29, 30-44: frames share their boundary bytes.
    assert info.frame_ranges == [[(off, 2)], [(off + 1, 3)], [(off + 3, 3)]]


def test_float_pixel_data(tmp_path):
    arr = RNG.standard_normal((4, 5)).astype(np.float32)
    ds = make_dataset(arr.view(np.uint32))
    del ds.PixelData, ds.BitsStored, ds.HighBit, ds.PixelRepresentation
    ds.FloatPixelData = arr.tobytes()
    path = tmp_path / "float.dcm"
    ds.save_as(path, enforce_file_format=True)
    got = dicodec.read_pixels(path)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, arr)
    np.testing.assert_array_equal(got, pixel_array(path, raw=True))
    assert dicodec.frame_info(path).pixel_element == "FloatPixelData"


def test_errors_and_limits(multiframe, tmp_path):
    path, arr = multiframe
    data = path.read_bytes()
    with pytest.raises(MalformedError) as exc:
        dicodec.read_pixels(data[:-100])
    assert isinstance(exc.value.offset, int) and exc.value.offset > 0
    assert "pixel data" in str(exc.value)
    old = dicodec.get_max_alloc()
    try:
        dicodec.set_max_alloc(100)
        with pytest.raises(LimitExceededError):
            dicodec.read_pixels(path)
    finally:
        dicodec.set_max_alloc(old)
    ds = pydicom.dcmread(path)
    del ds.Rows
    with pytest.raises(MalformedError, match=r"\(0028,0010\) 'Rows'"):
        dicodec.read_pixels(ds)
    info = dicodec.frame_info(ds)
    assert info.rows is None and not info.decodable and "Rows" in info.problem
    with pytest.raises(DicodecError, match="No such file"):
        dicodec.read_pixels(tmp_path / "missing.dcm")


def test_padding_warns(multiframe):
    path, arr = multiframe
    ds = pydicom.dcmread(path)
    ds.PixelData = ds.PixelData + b"\0" * 4
    with pytest.warns(dicodec.DicodecWarning, match="excess padding"):
        got = dicodec.read_pixels(ds)
    np.testing.assert_array_equal(got, arr)


def test_clipped_fragment_warns():
    # The last fragment claims more bytes than the data holds: clipped, with
    # a warning (pydicom reads it short too). A 3 x 3 frame is 9 bytes in a
    # 10-byte (padded) fragment, so losing the pad byte still decodes.
    arr = RNG.integers(0, 255, size=(1, 3, 3), dtype=np.uint8)
    data = to_bytes(encapsulated(arr, 1))
    delimiter = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    assert data.endswith(delimiter)
    cut = data[: -len(delimiter) - 1]
    with pytest.warns(dicodec.DicodecWarning, match="clipped"):
        got = dicodec.read_pixels(cut)
    np.testing.assert_array_equal(got.ravel(), arr.ravel())
    assert any("clipped" in w for w in dicodec.frame_info(cut).warnings)


def test_raw_dataset_without_meta(multiframe):
    path, arr = multiframe
    ds = pydicom.dcmread(path)
    del ds.file_meta
    buf = io.BytesIO()
    ds.save_as(buf, implicit_vr=True, little_endian=True)  # no file meta
    raw = buf.getvalue()
    raw = raw[132:] if raw[128:132] == b"DICM" else raw  # and no preamble
    info = dicodec.frame_info(raw)
    assert info.transfer_syntax_inferred and not info.has_file_meta and not info.has_preamble
    assert info.transfer_syntax_uid == "1.2.840.10008.1.2" and info.pixel_vr is None
    np.testing.assert_array_equal(dicodec.read_pixels(raw), arr)


def test_cli_info(multiframe, capsys):
    path, _ = multiframe
    assert main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Explicit VR Little Endian" in text and "7 x 9" in text and "int16" in text
    assert main(["info", "--json", str(path), str(path) + ".missing"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out[0]["frames"] == 5 and out[0]["dtype"] == "int16" and out[0]["shape"] == [5, 7, 9]
    assert "error" in out[1]


def test_concurrent_calls_release_the_gil(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    arr = RNG.integers(0, 60000, size=(12, 128, 512), dtype=np.uint16)
    path = tmp_path / "big.dcm"
    make_dataset(arr, frames=12).save_as(path, enforce_file_format=True)
    data = path.read_bytes()
    jobs = [path, data, path, memoryview(data)] * 3
    with ThreadPoolExecutor(4) as pool:
        for got in pool.map(lambda s: dicodec.read_pixels(s, threads=2), jobs):
            np.testing.assert_array_equal(got, arr)


@pytest.mark.parametrize("threads", [1, 2, None])
def test_frame_info_files_matches_one_by_one(tmp_path, multiframe, threads):
    """The batched description (used by ``dicodec decode`` to plan) gives,
    per path, what ``_frame_info_file`` gives, or the exception it raises,
    in order; big files are mapped, small ones read."""
    from dicodec import _native

    path, arr = multiframe
    big = tmp_path / "big.dcm"
    make_dataset(RNG.integers(0, 4000, (3, 256, 256), dtype=np.uint16), frames=3).save_as(
        big, enforce_file_format=True
    )
    assert big.stat().st_size > (64 << 10)
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"\x00" * 200)
    paths = [str(path), str(tmp_path / "missing.dcm"), str(big), str(junk), str(path)]
    got = _native._frame_info_files(paths, threads)
    assert len(got) == len(paths)
    for p, g in zip(paths, got, strict=True):
        try:
            want: object = _native._frame_info_file(p)
        except (OSError, DicodecError) as e:
            assert type(g) is type(e) and str(g) == str(e)
        else:
            assert g == want
    assert isinstance(got[1], DicodecError) and "missing.dcm" in str(got[1])
    assert isinstance(got[3], MalformedError)
    assert got[2]["shape"] == (3, 256, 256)
