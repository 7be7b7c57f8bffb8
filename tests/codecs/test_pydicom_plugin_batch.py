"""The pydicom plugin's look-ahead (``dicodec._pydicom_batch``): frames
decoded together on all cores from pydicom's second frame request on give
the same arrays, buffers and warnings as frame by frame, for every way
pydicom asks (whole data set, ``index=``, ``iter_array``, ``as_buffer``,
interleaved runners, out-of-order requests, a damaged frame), hold nothing
once the last frame is handed out, and equal libjpeg-turbo.

Inputs: YBR_FULL_422 JPEG Baseline frames encoded by libjpeg-turbo
(imagecodecs), multi-frame data sets built with pydicom."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import numpy as np
import pytest

import dicodec

pydicom = pytest.importorskip("pydicom")
imagecodecs = pytest.importorskip("imagecodecs")

from pydicom.pixels import iter_pixels, pixel_array  # noqa: E402
from pydicom.pixels.decoders.base import get_decoder  # noqa: E402
from pydicom.pixels.processing import convert_color_space  # noqa: E402

from dicodec import _native, _pydicom_batch, pydicom_plugin  # noqa: E402

ROWS, COLS, FRAMES = 40, 56, 7


def _frames(n: int = FRAMES, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:ROWS, 0:COLS]
    base = np.stack([x * 255 // COLS, y * 255 // ROWS, (x + y) * 255 // (ROWS + COLS)], -1)
    return [
        imagecodecs.jpeg8_encode(
            (base + rng.integers(0, 40, base.shape) + 9 * i).clip(0, 255).astype(np.uint8),
            level=85,
            subsampling="422",
        )
        for i in range(n)
    ]


def _dataset(frames: list[bytes]) -> bytes:
    """An encapsulated multi-frame YBR_FULL_422 .50 data set of ``frames``."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = pydicom.uid.UltrasoundMultiFrameImageStorage
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.set_pixel_data(np.zeros((len(frames), ROWS, COLS, 3), np.uint8), "RGB", 8)
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.file_meta.TransferSyntaxUID = pydicom.uid.JPEGBaseline8Bit
    ds.PixelData = encapsulate(frames)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def _read(blob: bytes):  # noqa: ANN202 - a pydicom Dataset
    return pydicom.dcmread(io.BytesIO(blob))


def _turbo(frames: list[bytes]) -> np.ndarray:
    """libjpeg-turbo's YCbCr, as pydicom returns it with ``raw=True``."""
    return np.stack([imagecodecs.jpeg8_decode(f, outcolorspace="YCbCr") for f in frames])


@pytest.fixture
def plugin() -> Iterator[None]:
    pydicom_plugin.register(prefer=True)
    try:
        yield
    finally:
        pydicom_plugin.unregister()
    assert not _pydicom_batch._AHEAD


@pytest.fixture
def alone(monkeypatch):  # noqa: ANN201
    """Turns the look-ahead off: every frame decoded on its own."""

    def off() -> None:
        monkeypatch.setattr(_pydicom_batch, "take", lambda *a: None)

    return off


def test_whole_data_set_equals_libjpeg_turbo_and_holds_nothing(plugin):
    frames = _frames()
    blob = _dataset(frames)
    ref = _turbo(frames)
    got = pixel_array(_read(blob), raw=True, decoding_plugin="dicodec")
    assert np.array_equal(got, ref)
    assert not _pydicom_batch._AHEAD  # nothing held once the last frame is out
    rgb = _read(blob).pixel_array
    assert np.array_equal(rgb, convert_color_space(ref.copy(), "YBR_FULL", "RGB"))
    assert not _pydicom_batch._AHEAD


@pytest.mark.parametrize(("per_cpu", "budget"), [(2, 64 << 20), (1, 64 << 20), (3, 1)])
def test_several_look_aheads_equal_one_frame_at_a_time(plugin, alone, monkeypatch, per_cpu, budget):
    # 2 or 1 frames per CPU at a time; BUDGET 1: one frame at a time.
    monkeypatch.setattr(_pydicom_batch, "PER_CPU", per_cpu)
    monkeypatch.setattr(_pydicom_batch, "BUDGET", budget)
    calls: list[int] = []
    original = _native.decode_frames_into
    monkeypatch.setattr(
        _native, "decode_frames_into", lambda *a, **k: calls.append(len(a[1])) or original(*a, **k)
    )
    blob = _dataset(_frames(11))
    got = _read(blob).pixel_array
    assert sum(calls) == 10 and len(calls) > 1  # frame 0 alone, then look-aheads
    buf = get_decoder(pydicom.uid.JPEGBaseline8Bit).as_buffer(_read(blob))[0]
    alone()
    assert np.array_equal(got, _read(blob).pixel_array)
    assert buf == get_decoder(pydicom.uid.JPEGBaseline8Bit).as_buffer(_read(blob))[0]


def test_index_decodes_one_frame_only(plugin, monkeypatch):
    frames = _frames()
    ref = _turbo(frames)
    blob = _dataset(frames)
    calls: list[int] = []
    original = _native.decode_frames_into
    monkeypatch.setattr(
        _native, "decode_frames_into", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    for i in (0, 4, 6):
        got = pixel_array(_read(blob), index=i, raw=True)
        assert np.array_equal(got, ref[i])
    assert not calls and not _pydicom_batch._AHEAD


def test_iter_pixels_and_interleaved_runners(plugin):
    fa, fb = _frames(seed=1), _frames(9, seed=2)
    ra, rb = _turbo(fa), _turbo(fb)
    ita = iter_pixels(io.BytesIO(_dataset(fa)), raw=True)
    itb = iter_pixels(_read(_dataset(fb)), raw=True)
    got_a, got_b = [], []
    for _ in range(FRAMES):  # two runners, each with its own look-ahead
        got_a.append(next(ita))
        got_b.append(next(itb))
    got_b += list(itb)
    assert np.array_equal(np.stack(got_a), ra)
    assert np.array_equal(np.stack(got_b), rb)


def test_out_of_order_requests_on_one_runner(plugin):
    from pydicom.pixels.decoders.base import DecodeRunner

    frames = _frames()
    ref = _turbo(frames)
    ds = _read(_dataset(frames))
    runner = DecodeRunner(pydicom.uid.JPEGBaseline8Bit)
    runner.set_source(ds)
    runner.set_decoders({"dicodec": pydicom_plugin._decode_frame})
    for i in (0, 1, 5, 2, 3, 3, 6, 0):
        got = np.frombuffer(runner.decode(i), np.uint8).reshape(ref[i].shape)
        assert np.array_equal(got, ref[i]), i


def test_identical_frames_are_served_in_order(plugin):
    frames = _frames(3)
    frames = [frames[0], frames[1], frames[1], frames[2], frames[0]]
    got = pixel_array(_read(_dataset(frames)), raw=True)
    assert np.array_equal(got, _turbo(frames))


def test_damaged_frame_as_decoded_alone(plugin, alone):
    frames = _frames()
    frames[3] = frames[3][: len(frames[3]) // 2]  # truncated: rows as far as the data goes
    frames[5] = b"\xff\xd8" + b"\x00" * 64 + b"\xff\xd9"  # no frame header
    blob = _dataset(frames)

    def run() -> tuple[object, list[str]]:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                result: object = pixel_array(_read(blob), raw=True, decoding_plugin="dicodec")
            except Exception as e:  # noqa: BLE001 - compared below
                result = (type(e), str(e))
        return result, sorted(str(x.message) for x in w if "dicodec" in str(x.category))

    got, got_w = run()
    alone()
    ref, ref_w = run()
    if isinstance(ref, np.ndarray):
        assert isinstance(got, np.ndarray) and np.array_equal(got, ref)
    else:
        assert got == ref
    assert got_w == ref_w
    assert not _pydicom_batch._AHEAD


def test_decode_frames_into_checks_its_arguments():
    frames = _frames(3)
    data = [np.frombuffer(f, np.uint8) for f in frames]
    n = ROWS * COLS * 3
    args = ((ROWS, COLS, 3, 8, 8, 0, "YBR_FULL_422"),)
    uid = pydicom.uid.JPEGBaseline8Bit
    outs = [np.zeros(n, np.uint8) for _ in frames]
    assert _native.decode_frames_into(uid, data, outs, *args, threads=2) == [[], [], []]
    assert np.array_equal(np.stack(outs).reshape(3, ROWS, COLS, 3), _turbo(frames))
    with pytest.raises(dicodec.DicodecError):  # one output fewer
        _native.decode_frames_into(uid, data, outs[:2], *args)
    with pytest.raises(dicodec.DicodecError):  # an output of the wrong size
        _native.decode_frames_into(uid, data, [*outs[:2], np.zeros(3, np.uint8)], *args)
    bad = [data[0], np.zeros(16, np.uint8), data[2]]
    res = _native.decode_frames_into(uid, bad, outs, *args, threads=1)
    assert res[0] == [] and res[1] is None and res[2] == []


def test_buffer_source_and_file_like_source(plugin):
    frames = _frames()
    ref = _turbo(frames)
    ds = _read(_dataset(frames))
    opts = {
        "rows": ROWS,
        "columns": COLS,
        "samples_per_pixel": 3,
        "number_of_frames": FRAMES,
        "photometric_interpretation": "YBR_FULL_422",
        "bits_allocated": 8,
        "bits_stored": 8,
        "pixel_representation": 0,
        "planar_configuration": 0,
    }
    decoder = get_decoder(pydicom.uid.JPEGBaseline8Bit)
    got, _ = decoder.as_array(ds.PixelData, raw=True, **opts)
    assert np.array_equal(got, ref)
    got, _ = decoder.as_array(io.BytesIO(ds.PixelData), raw=True, **opts)  # frame by frame
    assert np.array_equal(got, ref)


def test_colour_step_converts_in_place_only_pydicoms_own_array(plugin):
    from pydicom.pixels.decoders.base import DecodeRunner

    from dicodec._pydicom_decode import _process_color_space

    ybr = _turbo(_frames(2))
    ref = convert_color_space(ybr.copy(), "YBR_FULL", "RGB")
    runner = DecodeRunner(pydicom.uid.ExplicitVRLittleEndian)
    runner.set_options(photometric_interpretation="YBR_FULL", samples_per_pixel=3)
    theirs = bytearray(ybr.tobytes())  # a writeable view of someone's buffer
    view = np.frombuffer(theirs, np.uint8).reshape(ybr.shape)
    changes: dict[str, str | int] = {}
    out = _process_color_space(view, runner, changes)
    assert np.array_equal(out, ref) and bytes(theirs) == ybr.tobytes()
    assert changes == {"photometric_interpretation": "RGB"}
    own = ybr.copy()  # pydicom's own new array: converted in place
    out = _process_color_space(own[...], runner, {})
    assert np.array_equal(out, ref) and np.shares_memory(out, own)
