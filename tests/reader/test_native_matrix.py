"""Native pixel data, table-driven: small data sets built with pydicom for every
combination of Bits Allocated (1/8/16/32/64), transfer syntax (implicit LE,
explicit LE, explicit BE), Samples per Pixel, Planar Configuration, signed data
with Bits Stored < Bits Allocated (negative values, garbage in the unused high
bits), multi-frame (1-bit frames not byte-aligned), YBR_FULL_422, Float and
Double Float Pixel Data, 8-bit OB vs OW in big endian.

Each is written with ``dcmwrite`` and decoded by ``dicodec.read_pixels`` and by
``pydicom.pixels.pixel_array(..., raw=True)``: same dtype (little-endian), same
shape, same bytes.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from io import BytesIO

import numpy as np
import pytest

import dicodec

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.pixels import pixel_array  # noqa: E402
from pydicom.uid import (  # noqa: E402
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    generate_uid,
)

SYNTAXES = {
    "implicit": ImplicitVRLittleEndian,
    "explicit": ExplicitVRLittleEndian,
    "big": ExplicitVRBigEndian,
}
ELEMENTS = {
    "PixelData": 0x7FE00010,
    "FloatPixelData": 0x7FE00008,
    "DoubleFloatPixelData": 0x7FE00009,
}


@dataclass(frozen=True)
class Case:
    syntax: str
    bits_allocated: int
    bits_stored: int
    signed: int
    spp: int = 1
    planar: int = 0
    photometric: str = "MONOCHROME2"
    rows: int = 3
    cols: int = 5
    frames: int = 1
    element: str = "PixelData"
    vr: str | None = None  # explicit syntaxes: OB/OW/OF/OD; None = usual VR

    @property
    def id(self) -> str:
        parts = [
            self.syntax,
            f"{self.bits_stored}of{self.bits_allocated}{'s' if self.signed else 'u'}",
            f"spp{self.spp}",
        ]
        if self.spp > 1:
            parts.append(f"pc{self.planar}")
        if self.photometric == "YBR_FULL_422":
            parts.append("ybr422")
        parts += [f"{self.rows}x{self.cols}x{self.frames}"]
        if self.element != "PixelData":
            parts.append(self.element)
        if self.vr:
            parts.append(self.vr)
        return "-".join(parts)

    def stored_samples(self) -> int:
        per_pixel = 2 if self.photometric == "YBR_FULL_422" else self.spp
        return self.rows * self.cols * per_pixel * self.frames

    def stored_bytes(self) -> int:
        bits = self.stored_samples() * self.bits_allocated
        return (bits + 7) // 8


def random_value(case: Case, seed: int) -> bytes:
    """Stored bytes with every bit random: negative values and garbage in the
    unused high bits; floats are finite values in the syntax's byte order."""
    rng = np.random.default_rng(seed)
    n = case.stored_bytes()
    if case.element != "PixelData":
        dt = np.dtype("f4" if case.element == "FloatPixelData" else "f8")
        vals = rng.normal(0, 1000, case.stored_samples()).astype(dt)
        order = ">" if case.syntax == "big" else "<"
        raw = vals.astype(dt.newbyteorder(order)).tobytes()
    else:
        raw = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    return raw + b"\x00" * (len(raw) % 2)


def build(case: Case, seed: int = 0) -> bytes:
    """The case as a DICOM file (pydicom's dcmwrite, enforce_file_format)."""
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "OT"
    ds.Rows = case.rows
    ds.Columns = case.cols
    if case.frames > 1:
        ds.NumberOfFrames = case.frames
    ds.SamplesPerPixel = case.spp
    ds.PhotometricInterpretation = case.photometric
    if case.spp > 1:
        ds.PlanarConfiguration = case.planar
    ds.BitsAllocated = case.bits_allocated
    if case.element == "PixelData":
        ds.BitsStored = case.bits_stored
        ds.HighBit = case.bits_stored - 1
        ds.PixelRepresentation = case.signed
    vr = (
        case.vr
        or {
            "PixelData": "OB" if case.bits_allocated <= 8 else "OW",
            "FloatPixelData": "OF",
            "DoubleFloatPixelData": "OD",
        }[case.element]
    )
    ds.add_new(ELEMENTS[case.element], vr, random_value(case, seed))

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = SYNTAXES[case.syntax]
    ds.file_meta = meta
    out = BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def reference(data: bytes) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = pixel_array(BytesIO(data), raw=True)
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False)


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    assert got.flags.c_contiguous
    assert got.tobytes() == want.tobytes()


# ---------------------------------------------------------------- the matrix

BITS = [  # (allocated, stored, signed)
    (1, 1, 0),
    (8, 8, 0),
    (8, 8, 1),
    (8, 6, 1),
    (8, 5, 0),
    (16, 16, 0),
    (16, 16, 1),
    (16, 12, 0),
    (16, 12, 1),
    (16, 15, 1),
    (32, 32, 0),
    (32, 32, 1),
    (32, 24, 1),
    (32, 20, 0),
    (64, 64, 0),
    (64, 64, 1),
    (64, 40, 1),
    (64, 33, 0),
]
COLOUR = [  # (spp, planar, photometric, rows, cols)
    (1, 0, "MONOCHROME2", 3, 5),
    (3, 0, "RGB", 3, 5),
    (3, 1, "RGB", 3, 5),
    (3, 0, "YBR_FULL_422", 3, 4),
]


def matrix() -> list[Case]:
    cases = []
    for syntax, (ba, bs, signed), (spp, planar, pi, rows, cols), frames in itertools.product(
        SYNTAXES, BITS, COLOUR, (1, 3)
    ):
        if ba == 1 and pi == "YBR_FULL_422":
            continue  # pydicom cannot decode 1-bit YBR_FULL_422 either
        cases.append(Case(syntax, ba, bs, signed, spp, planar, pi, rows, cols, frames))
    extra = [
        # 8-bit in big endian: OW swaps byte pairs (odd frame lengths), OB does not.
        Case("big", 8, 8, 0, rows=3, cols=3, frames=3, vr="OW"),
        Case("big", 8, 8, 0, rows=3, cols=3, frames=3, vr="OB"),
        Case("big", 8, 7, 1, 3, 1, "RGB", 3, 3, 3, vr="OW"),
        Case("big", 8, 8, 0, 3, 0, "YBR_FULL_422", 2, 4, 3, vr="OW"),
        Case("big", 16, 16, 1, vr="OB"),
        Case("explicit", 8, 8, 0, vr="OW"),
        # 1-bit, many frames never byte-aligned (7 × 3 = 21 bits each).
        Case("explicit", 1, 1, 0, rows=7, cols=3, frames=9),
        Case("big", 1, 1, 0, rows=7, cols=3, frames=9, vr="OW"),
        Case("implicit", 1, 1, 0, 3, 1, "RGB", 5, 3, 4),
        # YBR_FULL_422 with an odd pixel count per frame (pairs straddle frames).
        Case("explicit", 8, 8, 0, 3, 0, "YBR_FULL_422", 3, 3, 2),
        Case("big", 16, 12, 1, 3, 0, "YBR_FULL_422", 3, 3, 2),
        # Larger frames (cross the Rust interleave block size).
        Case("explicit", 16, 12, 1, 3, 1, "RGB", 64, 129, 2),
        Case("big", 16, 16, 1, rows=64, cols=65, frames=2),
    ]
    for syntax, element, (spp, planar, pi, rows, cols), frames in itertools.product(
        SYNTAXES, ("FloatPixelData", "DoubleFloatPixelData"), COLOUR[:3], (1, 3)
    ):
        ba = 32 if element == "FloatPixelData" else 64
        extra.append(Case(syntax, ba, ba, 0, spp, planar, pi, rows, cols, frames, element))
    return cases + extra


CASES = matrix()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_pydicom(case: Case) -> None:
    data = build(case, seed=len(case.id))
    want = reference(data)
    assert_same(dicodec.read_pixels(data), want)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.frames > 1 and c.rows == 3][::7],
    ids=lambda c: c.id,
)
def test_single_thread_and_memoryview_agree(case: Case) -> None:
    data = build(case, seed=1)
    want = reference(data)
    assert_same(dicodec.read_pixels(memoryview(data), threads=1), want)
    assert_same(dicodec.read_pixels(bytearray(data), threads=2), want)


def test_from_path_and_dataset(tmp_path) -> None:
    case = Case("big", 16, 12, 1, 3, 1, "RGB", 4, 6, 3)
    data = build(case)
    path = tmp_path / "x.dcm"
    path.write_bytes(data)
    want = reference(data)
    assert_same(dicodec.read_pixels(path), want)
    assert_same(dicodec.read_pixels(str(path)), want)
    assert_same(dicodec.read_pixels(pydicom.dcmread(BytesIO(data))), want)


@pytest.mark.parametrize(
    "case",
    [
        Case("explicit", 16, 12, 1, rows=4, cols=4, frames=3),
        Case("big", 1, 1, 0, rows=5, cols=7, frames=3),
        Case("explicit", 8, 8, 0, 3, 1, "RGB", 2, 2, 3),
    ],
    ids=lambda c: c.id,
)
def test_truncated_value_is_malformed(case: Case) -> None:
    """A Pixel Data value shorter than Rows × Columns × Frames needs: a
    MalformedError naming an offset, never a crash or a partial array."""
    data = bytearray(build(case))
    # Shrink the value length by 4 (and the file by 4): the last frame is short.
    tag = {
        "big": b"\x7f\xe0\x00\x10",
        "explicit": b"\xe0\x7f\x10\x00",
    }[case.syntax]
    pos = data.rindex(tag)
    order = "big" if case.syntax == "big" else "little"
    length_at = pos + 8  # explicit VR OB/OW: tag, VR, 2 reserved, 4-byte length
    length = int.from_bytes(data[length_at : length_at + 4], order)
    data[length_at : length_at + 4] = (length - 4).to_bytes(4, order)
    del data[-4:]
    with pytest.raises(dicodec.DicodecError):
        dicodec.read_pixels(bytes(data))
