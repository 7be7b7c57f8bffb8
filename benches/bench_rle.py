"""RLE Lossless decode and encode: dicodec beside pydicom's own RLE plugin,
pylibjpeg-rle, imagecodecs, dicomsdl and GDCM, in one run.

Inputs are real pixel data (pydicom's bundled files, or the shared corpus when
present), tiled to useful sizes and RLE-encoded by pylibjpeg-rle's encoder, so
no input was written by dicodec. Every peer's output is checked against the
source pixels once before it is timed; each benchmark decodes (or encodes) all
frames of one input, and ``extra_info`` carries the decoded byte count so
GB/s = bytes / time.

Run: ``make bench`` or
``.venv/bin/python -m pytest benches/bench_rle.py --benchmark-only
--benchmark-columns=min,median,rounds --benchmark-group-by=group``.
Single-thread numbers unless the group says otherwise; the ``threads-*``
groups decode the same frames on one and on two Python threads (a peer that
holds the GIL gains nothing from the second thread).
"""

from __future__ import annotations

import functools
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import get_encoder, pixel_array
from pydicom.pixels.decoders.rle import _rle_decode_frame
from pydicom.uid import RLELossless

import dicodec

plr = pytest.importorskip("rle.rle", reason="pylibjpeg-rle (peer) not installed")

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"


@dataclass
class Input:
    name: str
    pixels: np.ndarray  # (frames, rows, columns[, samples]), little-endian
    frames: list[bytes]  # RLE frames written by pylibjpeg-rle
    source: str

    @property
    def rows(self) -> int:
        return self.pixels.shape[1]

    @property
    def columns(self) -> int:
        return self.pixels.shape[2]

    @property
    def samples(self) -> int:
        return 1 if self.pixels.ndim == 3 else self.pixels.shape[3]

    @property
    def bits(self) -> int:
        return self.pixels.dtype.itemsize * 8

    @property
    def nbytes(self) -> int:
        return self.pixels.nbytes

    def planar(self) -> np.ndarray:
        """The pixels as colour-by-plane frames (what several peers return)."""
        if self.samples == 1:
            return self.pixels
        return np.ascontiguousarray(self.pixels.transpose(0, 3, 1, 2))

    @functools.cached_property
    def dataset(self) -> pydicom.Dataset:
        from pydicom.dataset import Dataset, FileMetaDataset
        from pydicom.encaps import encapsulate

        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = RLELossless
        ds.SOPClassUID = pydicom.uid.SecondaryCaptureImageStorage
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
        ds.Rows, ds.Columns, ds.SamplesPerPixel = self.rows, self.columns, self.samples
        ds.NumberOfFrames = len(self.frames)
        ds.BitsAllocated = self.bits
        ds.BitsStored = self.bits
        ds.HighBit = self.bits - 1
        ds.PixelRepresentation = int(self.pixels.dtype.kind == "i")
        ds.PhotometricInterpretation = "RGB" if self.samples == 3 else "MONOCHROME2"
        if self.samples == 3:
            ds.PlanarConfiguration = 0
        ds.PixelData = encapsulate(self.frames, has_bot=True)
        return ds

    @functools.cached_property
    def path(self) -> Path:
        """The input as a DICOM file (dicomsdl and GDCM read files)."""
        folder = Path(tempfile.mkdtemp(prefix="dicodec-bench-"))
        path = folder / f"{self.name}.dcm"
        self.dataset.save_as(path, enforce_file_format=True)
        return path


def tile(arr: np.ndarray, rows: int, columns: int) -> np.ndarray:
    reps = (-(-rows // arr.shape[0]), -(-columns // arr.shape[1])) + (1,) * (arr.ndim - 2)
    return np.tile(arr, reps)[:rows, :columns]


def corpus_pixels(name: str) -> np.ndarray | None:
    path = CORPUS / name
    return pixel_array(path, raw=True) if path.is_file() else None


def make_input(name: str, frames: list[np.ndarray], source: str) -> Input:
    pixels = np.stack([np.ascontiguousarray(f, dtype=f.dtype.newbyteorder("<")) for f in frames])
    rows, columns = pixels.shape[1:3]
    samples = 1 if pixels.ndim == 3 else pixels.shape[3]
    bits = pixels.dtype.itemsize * 8
    encoded = [plr.encode_frame(f.tobytes(), rows, columns, samples, bits, "<") for f in pixels]
    return Input(name, pixels, encoded, source)


@functools.cache
def inputs() -> dict[str, Input]:
    ct = pixel_array(PYDICOM_FILES / "CT_small.dcm", raw=True)  # 128x128 int16
    ct_big = tile(ct, 512, 512)
    ct_frames = [np.roll(ct_big, (7 * k, 13 * k), axis=(0, 1)) for k in range(8)]

    mr = corpus_pixels("wg04__RLE_MR2_RLE.dcm")  # 1024x1024, 12 bits stored
    mr_source = "wg04 MR2 (1024x1024, 12-bit)"
    if mr is None:
        mr = tile(pixel_array(PYDICOM_FILES / "MR_small.dcm", raw=True), 1024, 1024) & 0x0FFF
        mr_source = "pydicom MR_small tiled to 1024x1024, 12 bits"

    us = corpus_pixels("wg04__RLE_US1_RLE.dcm")  # 480x640x3 ultrasound
    us_source = "wg04 US1 (480x640 RGB ultrasound), 4 frames"
    if us is None:
        us = tile(pixel_array(PYDICOM_FILES / "SC_rgb_rle.dcm", raw=True), 480, 640)
        us_source = "pydicom SC_rgb tiled to 480x640 RGB, 4 frames"
    us_frames = [np.roll(us, 16 * k, axis=1) for k in range(4)]

    empty = np.zeros((1024, 1024), dtype=np.uint16)
    empty[400:528, 300:428] = ct.astype(np.uint16)

    return {
        i.name: i
        for i in [
            make_input("ct16", ct_frames, "pydicom CT_small tiled to 512x512, 8 frames"),
            make_input("mr12", [mr.astype(np.uint16)], mr_source),
            make_input("us_rgb8", us_frames, us_source),
            make_input("empty16", [empty], "1024x1024 zeros with a 128x128 CT patch"),
        ]
    }


NAMES = ["ct16", "mr12", "us_rgb8", "empty16"]


# ---- decoders: each decodes every frame of an input ----


def dec_dicodec(inp: Input):
    out = np.empty_like(inp.pixels)
    for i, f in enumerate(inp.frames):
        dicodec.rle_decode(
            f,
            rows=inp.rows,
            columns=inp.columns,
            samples_per_pixel=inp.samples,
            bits_allocated=inp.bits,
            out=out[i],
        )
    return out


def dec_pylibjpeg_rle(inp: Input):
    px = inp.rows * inp.columns
    return [plr.decode_frame(f, px, inp.bits, "<") for f in inp.frames]


def dec_pydicom(inp: Input):
    return [_rle_decode_frame(f, inp.rows, inp.columns, inp.samples, inp.bits) for f in inp.frames]


def dec_imagecodecs(inp: Input):
    import imagecodecs

    dtype = f"<u{inp.bits // 8}"
    return [imagecodecs.dicomrle_decode(f, dtype) for f in inp.frames]


def dec_dicomsdl(inp: Input):
    import dicomsdl

    df = dicomsdl.open_memory(inp.blob)  # type: ignore[attr-defined]
    out = np.empty_like(inp.pixels)
    for i in range(len(inp.frames)):
        df.copyFrameData(i, out[i])
    return out


def dec_gdcm(inp: Input):
    import gdcm

    reader = gdcm.ImageReader()
    reader.SetFileName(str(inp.path))
    if not reader.Read():
        raise RuntimeError("GDCM could not read the file")
    buf = reader.GetImage().GetBuffer()
    if buf is None:
        raise RuntimeError("GDCM gave no pixel buffer")
    return buf.encode("utf-8", "surrogateescape")


DECODERS = {
    "dicodec": (dec_dicodec, "pixels"),
    "pylibjpeg-rle": (dec_pylibjpeg_rle, "planar"),
    "pydicom": (dec_pydicom, "planar"),
    "imagecodecs": (dec_imagecodecs, "planar"),
    "dicomsdl": (dec_dicomsdl, "pixels"),
    "gdcm": (dec_gdcm, "pixels"),
}
# Slow peers get fewer rounds.
ROUNDS = {"pydicom": 3, "gdcm": 5}


def as_bytes(result) -> bytes:
    if isinstance(result, np.ndarray):
        return result.tobytes()
    if isinstance(result, (bytes, bytearray)):
        return bytes(result)
    return b"".join(bytes(r) for r in result)


def check_decoder(peer: str, inp: Input) -> None:
    func, layout = DECODERS[peer]
    if peer == "dicomsdl":
        inp.blob = inp.path.read_bytes()  # type: ignore[attr-defined]
    try:
        got = as_bytes(func(inp))
    except ImportError as exc:
        pytest.skip(f"{peer} not installed: {exc}")
    except Exception as exc:  # a peer that cannot decode the input is reported, not timed
        pytest.skip(f"{peer} cannot decode {inp.name}: {exc}")
    want = (inp.pixels if layout == "pixels" else inp.planar()).tobytes()
    if got != want:
        pytest.skip(f"{peer} decodes {inp.name} wrongly; not timed")


@pytest.mark.parametrize("peer", list(DECODERS))
@pytest.mark.parametrize("name", NAMES)
def test_decode(benchmark, name, peer):
    inp = inputs()[name]
    check_decoder(peer, inp)
    func = DECODERS[peer][0]
    benchmark.group = f"decode-{name}"
    benchmark.extra_info.update(bytes=inp.nbytes, frames=len(inp.frames), source=inp.source)
    benchmark.pedantic(func, args=(inp,), rounds=ROUNDS.get(peer, 20), warmup_rounds=1)


# ---- encoders: each encodes every frame of an input ----


def enc_dicodec(inp: Input):
    return [dicodec.rle_encode(f) for f in inp.pixels]


def enc_pylibjpeg_rle(inp: Input):
    return [
        plr.encode_frame(f.tobytes(), inp.rows, inp.columns, inp.samples, inp.bits, "<")
        for f in inp.pixels
    ]


def _pydicom_encoder(plugin: str):
    def encode(inp: Input):
        kwargs = dict(
            rows=inp.rows,
            columns=inp.columns,
            samples_per_pixel=inp.samples,
            bits_allocated=inp.bits,
            bits_stored=inp.bits,
            pixel_representation=int(inp.pixels.dtype.kind == "i"),
            photometric_interpretation="RGB" if inp.samples == 3 else "MONOCHROME2",
            planar_configuration=0,
            number_of_frames=1,
        )
        enc = get_encoder(RLELossless)
        return [enc.encode(f, encoding_plugin=plugin, **kwargs) for f in inp.pixels]

    return encode


ENCODERS = {
    "dicodec": enc_dicodec,
    "pylibjpeg-rle": enc_pylibjpeg_rle,
    "pydicom": _pydicom_encoder("pydicom"),
    "gdcm": _pydicom_encoder("gdcm"),
}


@pytest.mark.parametrize("peer", list(ENCODERS))
@pytest.mark.parametrize("name", NAMES)
def test_encode(benchmark, name, peer):
    inp = inputs()[name]
    func = ENCODERS[peer]
    if peer == "gdcm" and inp.rows * inp.columns % 2:
        pytest.skip("GDCM's RLE encoder aborts on an odd number of pixels")
    encoded = func(inp)
    for f, want in zip(encoded, inp.pixels, strict=True):
        got = dicodec.rle_decode(
            f,
            rows=inp.rows,
            columns=inp.columns,
            samples_per_pixel=inp.samples,
            bits_allocated=inp.bits,
        )
        assert got.tobytes() == want.tobytes(), peer
    benchmark.group = f"encode-{name}"
    benchmark.extra_info.update(
        bytes=inp.nbytes, encoded=sum(len(f) for f in encoded), source=inp.source
    )
    benchmark.pedantic(func, args=(inp,), rounds=ROUNDS.get(peer, 10), warmup_rounds=1)


# ---- two Python threads: is the GIL released? ----


def into_dicodec(inp: Input, out: np.ndarray, frames: range) -> None:
    for i in frames:
        dicodec.rle_decode(
            inp.frames[i],
            rows=inp.rows,
            columns=inp.columns,
            samples_per_pixel=inp.samples,
            bits_allocated=inp.bits,
            out=out[i],
        )


def into_imagecodecs(inp: Input, out: np.ndarray, frames: range) -> None:
    import imagecodecs

    dtype = f"<u{inp.bits // 8}"
    for i in frames:
        imagecodecs.dicomrle_decode(inp.frames[i], dtype, out=out[i].reshape(-1).view(np.uint8))


def into_pylibjpeg_rle(inp: Input, out: np.ndarray, frames: range) -> None:
    px = inp.rows * inp.columns
    for i in frames:
        out[i].reshape(-1).view(np.uint8)[:] = plr.decode_frame(inp.frames[i], px, inp.bits, "<")


INTO = {
    "dicodec": into_dicodec,
    "imagecodecs": into_imagecodecs,
    "pylibjpeg-rle": into_pylibjpeg_rle,
}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("peer", list(INTO))
def test_decode_threads(benchmark, peer, threads):
    """Each thread decodes its share of the frames into a preallocated array
    (so the timing is not dominated by allocating, which makes threads of one
    process contend in the kernel). A peer that releases the GIL runs its
    threads in parallel; one that holds it runs them one after the other."""
    inp = inputs()["ct16"]
    check_decoder(peer, inp)
    out = np.empty_like(inp.pixels)
    into = INTO[peer]
    n = len(inp.frames)
    shares = [range(k, n, threads) for k in range(threads)]
    pool = ThreadPoolExecutor(threads)

    def run():
        list(pool.map(lambda r: into(inp, out, r), shares))

    run()
    if peer != "pylibjpeg-rle":  # its output is colour-by-plane; ct16 has one sample
        assert out.tobytes() == inp.pixels.tobytes()
    benchmark.group = "threads-ct16-decode"
    benchmark.extra_info.update(bytes=inp.nbytes, threads=threads)
    try:
        benchmark.pedantic(run, rounds=30, warmup_rounds=2)
    finally:
        pool.shutdown()
