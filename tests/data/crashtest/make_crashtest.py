"""Writes the malformed inputs of this folder (run from anywhere:
``python tests/data/crashtest/make_crashtest.py``). Each ``*.bin`` here must make
``dicodec.read_pixels`` raise a ``DicodecError`` (tests/test_crashtest.py).

Valid bases are written by pydicom; the damage is done at byte level here, so
the files do not depend on dicodec. Every file is a few hundred bytes.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, encapsulate_extended
from pydicom.uid import UID

HERE = Path(__file__).resolve().parent
LE = "<"


def base(ts: str = "1.2.840.10008.1.2.1", *, rows=4, cols=4, frames=1, bits=16) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(ts)
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3"
    ds.Modality = "OT"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits, bits - 1
    ds.PixelRepresentation = 0
    n = rows * cols * frames * bits // 8
    ds.PixelData = bytes(np.arange(n, dtype=np.uint8))
    ds["PixelData"].VR = "OW" if bits > 8 else "OB"
    return ds


def encoded(ds: Dataset) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def rle_dataset(frames: list[bytes], nr_frames: int, **kw) -> Dataset:
    ds = base("1.2.840.10008.1.2.5", frames=nr_frames, bits=8)
    ds.PixelData = encapsulate(frames, **kw)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def tag_bytes(tag: int) -> bytes:
    return struct.pack("<HH", tag >> 16, tag & 0xFFFF)


def find(data: bytes, tag: int, start: int = 132) -> int:
    pos = data.find(tag_bytes(tag), start)
    assert pos >= 0, hex(tag)
    return pos


def set_u16(data: bytearray, pos: int, value: int) -> None:
    data[pos : pos + 2] = struct.pack("<H", value)


def set_u32(data: bytearray, pos: int, value: int) -> None:
    data[pos : pos + 4] = struct.pack("<L", value)


def with_attr(tag: int, value: int) -> bytes:
    """The base file with a US attribute's value replaced."""
    d = bytearray(encoded(base()))
    set_u16(d, find(d, tag) + 8, value)
    return bytes(d)


def rle_segment_frame(n: int) -> bytes:
    """A valid one-segment RLE frame of n literal bytes (n <= 128)."""
    header = struct.pack("<16L", 1, 64, *([0] * 14))
    return header + bytes([n - 1]) + bytes(range(n)) + (b"\0" if (n + 1) % 2 else b"")


def cases() -> dict[str, bytes]:
    ok = encoded(base())
    px = find(ok, 0x7FE00010)
    out: dict[str, bytes] = {}

    out["empty_file"] = b""
    out["only_preamble"] = ok[:132]
    out["truncated_in_meta"] = ok[:150]
    out["truncated_in_element_header"] = ok[: px + 5]
    out["truncated_pixel_data"] = ok[:-9]
    out["missing_pixel_data"] = ok[:px]

    d = bytearray(ok)
    set_u16(d, find(d, 0x00080060) + 6, 0x7FF0)  # Modality CS length past the end
    out["length_past_end"] = bytes(d)

    d = bytearray(ok[:-3])
    set_u32(d, px + 8, 0x7FFF_FFF0)  # Pixel Data length past the end (and data short)
    out["pixel_length_past_end"] = bytes(d)

    d = bytearray(ok)
    set_u16(d, find(d, 0x00280010) + 6, 3)  # odd length: the walk loses step
    out["odd_length_us"] = bytes(d)

    d = bytearray(ok)
    pos = find(d, 0x00280010) + 4
    d[pos : pos + 2] = b"\x01\x02"  # not a VR
    out["bad_vr"] = bytes(d)

    out["rows_too_large_for_data"] = with_attr(0x00280010, 400)
    out["bits_stored_above_allocated"] = with_attr(0x00280101, 17)
    out["bits_allocated_12"] = with_attr(0x00280100, 12)
    out["samples_per_pixel_2"] = with_attr(0x00280002, 2)
    out["pixel_representation_2"] = with_attr(0x00280103, 2)
    out["rows_zero"] = with_attr(0x00280010, 0)

    ds = base()
    del ds.Columns
    out["missing_columns"] = encoded(ds)
    ds = base()
    ds.PhotometricInterpretation = "NOT_A_PI"
    out["unknown_photometric"] = encoded(ds)
    d = bytearray(encoded(base(frames=10, rows=1, cols=2)))
    pos = find(d, 0x00280008) + 8
    assert d[pos : pos + 2] == b"10"
    d[pos : pos + 2] = b"1A"
    out["number_of_frames_not_a_number"] = bytes(d)
    ds = base()
    ds.NumberOfFrames = -3
    out["number_of_frames_negative"] = encoded(ds)

    # Undefined-length sequence that never ends.
    d = bytearray(ok[:px])
    d += tag_bytes(0x00081115) + b"SQ\0\0" + b"\xff\xff\xff\xff"
    d += tag_bytes(0xFFFEE000) + b"\xff\xff\xff\xff"
    d += tag_bytes(0x00080060) + b"CS\x02\x00CT"
    out["unterminated_sequence"] = bytes(d)

    # Garbage where an item is expected.
    d = bytearray(ok[:px])
    d += tag_bytes(0x00081115) + b"SQ\0\0" + b"\xff\xff\xff\xff" + b"\x12\x34" * 8
    out["garbage_in_sequence"] = bytes(d)

    # Undefined-length item at the top level.
    out["top_level_undefined_item"] = (
        ok[:px] + tag_bytes(0xFFFEE000) + b"\xff\xff\xff\xff" + ok[px:]
    )

    # Native syntax, encapsulated pixel data.
    enc = rle_dataset([rle_segment_frame(16)], 1)
    native = bytearray(encoded(enc))
    ts = b"1.2.840.10008.1.2.5\0"
    i = native.find(ts)
    native[i : i + len(ts)] = b"1.2.840.10008.1.2.1\0"
    out["undefined_length_pixel_data_in_native_syntax"] = bytes(native)

    # Encapsulated syntax, native pixel data.
    d = bytearray(ok)
    ts = b"1.2.840.10008.1.2.1\0"
    i = d.find(ts)
    d[i : i + len(ts)] = b"1.2.840.10008.1.2.5\0"
    out["native_pixel_data_in_rle_syntax"] = bytes(d)

    # Encapsulated damage (RLE with one valid frame of 16 bytes).
    good = encoded(rle_dataset([rle_segment_frame(16)], 1))
    epx = find(good, 0x7FE00010)
    bot = epx + 12
    d = bytearray(good)
    set_u32(d, bot + 4, 0x7FFF_FFF0)
    out["bot_past_end"] = bytes(d)
    d = bytearray(good)
    set_u32(d, bot + 4, 6)
    out["bot_length_not_multiple_of_4"] = bytes(d)
    d = bytearray(good)
    d[bot : bot + 4] = tag_bytes(0x00080060)
    out["bot_bad_item_tag"] = bytes(d)
    frag = bot + 8 + 4  # after a one-entry BOT
    d = bytearray(good)
    d[frag : frag + 4] = b"\x34\x12\x78\x56"
    out["fragment_bad_item_tag"] = bytes(d)
    d = bytearray(good)
    set_u32(d, frag + 4, 0xFFFF_FFFF)
    out["fragment_undefined_length"] = bytes(d)
    d = bytearray(good)
    set_u32(d, frag + 8 + 4, 0x7FFF_FFF0)  # RLE header: segment offset past the end
    out["rle_segment_offset_past_end"] = bytes(d)

    out["fewer_fragments_than_frames"] = encoded(
        rle_dataset([rle_segment_frame(16)] * 2, 3, has_bot=False)
    )
    ds = rle_dataset([rle_segment_frame(16)], 1)
    ds.PixelData = b"\xfe\xff\x00\xe0\x00\x00\x00\x00"
    out["no_fragments"] = encoded(ds)

    # Absurd size: 65535 x 65535 x 3 samples x 16 bits (25 GB) in one tiny fragment.
    ds = rle_dataset([rle_segment_frame(16)], 1)
    ds.Rows = ds.Columns = 65535
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
    out["absurd_size_encapsulated"] = encoded(ds)
    ds = base()
    ds.Rows = ds.Columns = 65535
    ds.NumberOfFrames = 2_000_000_000
    out["absurd_size_native"] = encoded(ds)

    # Extended Offset Table pointing past the end.
    ds = base("1.2.840.10008.1.2.1.98", frames=2, bits=8)
    data, eot, lengths = encapsulate_extended([b"\1" * 16, b"\2" * 16])
    ds.PixelData = data
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.ExtendedOffsetTable = struct.pack("<2Q", 0, 1 << 40)
    ds.ExtendedOffsetTableLengths = lengths
    out["eot_past_end"] = encoded(ds)

    # Deflated syntax with a broken deflate stream (pydicom deflates).
    d = encoded(base("1.2.840.10008.1.2.1.99"))
    meta_end = 144 + struct.unpack("<L", d[140:144])[0]  # after (0002,0000) UL
    zlib.decompressobj(-15).decompress(d[meta_end:])  # the base is valid
    out["deflate_truncated"] = d[: meta_end + (len(d) - meta_end) // 2]
    out["deflate_garbage"] = d[:meta_end] + b"\xff\xfe" * 40

    # JPEG 2000 has no decoder: unsupported, but still an error.
    ds = rle_dataset([b"\xff\x4f\xff\x51" + b"\0" * 12], 1)
    ds.file_meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.4.90")
    out["unsupported_syntax"] = encoded(ds)
    return out


def main() -> None:
    for old in HERE.glob("*.bin"):
        old.unlink()
    for name, data in cases().items():
        assert len(data) < 4096, name
        (HERE / f"{name}.bin").write_bytes(data)


if __name__ == "__main__":
    main()
