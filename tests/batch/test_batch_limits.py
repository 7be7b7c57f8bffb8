"""Bounded resources: headers claiming huge images, deflated datasets that
inflate past the limit (decompression bombs) and archive members with absurd
declared sizes give :class:`dicodec.LimitExceededError` before anything of
that size is allocated. Each case runs in a subprocess whose address space is
capped (``RLIMIT_AS``) below the claimed size, so allocating first would
crash it instead of raising."""

from __future__ import annotations

import os
import resource
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from batch_util import index_rows, write_instance

ROOT = Path(__file__).resolve().parents[2]
AS_LIMIT = 3 << 30  # the claims below are far larger


def _run(code: str) -> subprocess.CompletedProcess:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    env["RAYON_NUM_THREADS"] = "2"
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        preexec_fn=cap,
        env=env,
        timeout=120,
    )


def _patch(data: bytes, tag: bytes, vr: bytes, value: bytes) -> bytes:
    """Replaces the value of the explicit VR LE element ``tag`` (same length)."""
    at = data.index(tag + vr) + 8
    return data[:at] + value + data[at + len(value) :]


def _huge_header(path: Path, transfer_syntax: str) -> Path:
    write_instance(
        path, series_uid="1.2.826.0.1.3680043.10.994.1", pixels=np.zeros((2, 4, 4), np.uint16)
    )
    if transfer_syntax != "1.2.840.10008.1.2.1":
        import pydicom

        ds = pydicom.dcmread(path)
        ds.compress(transfer_syntax, encoding_plugin="pydicom")
        ds.save_as(path, enforce_file_format=True)
    data = path.read_bytes()
    data = _patch(data, b"\x28\x00\x10\x00", b"US", struct.pack("<H", 65535))
    data = _patch(data, b"\x28\x00\x11\x00", b"US", struct.pack("<H", 65535))
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("ts", ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2.5"])
def test_header_claiming_a_huge_image(tmp_path: Path, ts: str) -> None:
    # 65535 x 65535 x 2 bytes x 2 frames = 16 GiB claimed; the limit is 1 GiB.
    p = _huge_header(tmp_path / "huge.dcm", ts)
    r = _run(
        "import dicodec\n"
        "dicodec.set_max_alloc(1 << 30)\n"
        "try:\n"
        f"    dicodec.read_pixels({str(p)!r})\n"
        "except dicodec.LimitExceededError as e:\n"
        "    print('LIMIT', e)\n"
        "except dicodec.MalformedError as e:\n"
        "    print('MALFORMED', e)\n"
    )
    assert r.returncode == 0, r.stderr
    # Native data too short for the claim is malformed (checked before any
    # allocation); RLE frames would need 16 GiB: over the limit. The process
    # survived its 3 GiB address space, so nothing of that size was allocated.
    if ts.endswith(".5"):
        assert r.stdout.startswith("LIMIT") and "pixel array" in r.stdout, r.stdout
    else:
        assert r.stdout.startswith("MALFORMED") and "are needed" in r.stdout, r.stdout


def _deflated_bomb(path: Path, inflated: int) -> Path:
    """A Deflated Explicit VR LE file whose dataset is a private OB of
    ``inflated`` zero bytes (then a tiny image): a few KiB on disk."""
    meta_elems = b""

    def el(tag: int, vr: bytes, value: bytes) -> bytes:
        g, e = tag >> 16, tag & 0xFFFF
        if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT"):
            return struct.pack("<HH", g, e) + vr + b"\0\0" + struct.pack("<I", len(value)) + value
        return struct.pack("<HH", g, e) + vr + struct.pack("<H", len(value)) + value

    ts = b"1.2.840.10008.1.2.1.99\0"
    meta_elems += el(0x00020001, b"OB", b"\0\1")
    meta_elems += el(0x00020002, b"UI", b"1.2.840.10008.5.1.4.1.1.7\0")
    meta_elems += el(0x00020003, b"UI", b"1.2.3.4.5\0")
    meta_elems += el(0x00020010, b"UI", ts)
    meta = el(0x00020000, b"UL", struct.pack("<I", len(meta_elems))) + meta_elems
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [z.compress(el(0x00080060, b"CS", b"OT"))]
    head = struct.pack("<HH", 0x0009, 0x1001) + b"OB\0\0" + struct.pack("<I", inflated)
    out.append(z.compress(head))
    zeros = bytes(1 << 20)
    for _ in range(inflated >> 20):
        out.append(z.compress(zeros))
    for tag, v in ((0x00280002, 1), (0x00280010, 2), (0x00280011, 2), (0x00280100, 8)):
        out.append(z.compress(el(tag, b"US", struct.pack("<H", v))))
    out.append(z.compress(el(0x7FE00010, b"OB", bytes(4))))
    out.append(z.flush())
    path.write_bytes(b"\0" * 128 + b"DICM" + meta + b"".join(out))
    return path


def test_deflated_dataset_bomb(tmp_path: Path) -> None:
    # 64 MiB of zeros inflate from about 64 KiB; the limit is 16 MiB, the
    # address space 3 GiB: a reader that inflated first would still fit, so
    # the check is that it refuses *because of the limit*.
    p = _deflated_bomb(tmp_path / "bomb.dcm", 64 << 20)
    assert p.stat().st_size < 200_000
    code = (
        "import dicodec\n"
        "dicodec.set_max_alloc(16 << 20)\n"
        "for f in (dicodec.frame_info, dicodec.read_pixels):\n"
        "    try:\n"
        f"        f({str(p)!r})\n"
        "        print('OK')\n"
        "    except dicodec.LimitExceededError as e:\n"
        "        print('LIMIT', e)\n"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [r.stdout.splitlines()[0]] * 2
    assert r.stdout.startswith("LIMIT"), r.stdout
    assert "inflated dataset" in r.stdout


def _absurd_zip(path: Path, member: bytes) -> Path:
    """A zip whose one member declares 2^40 bytes (ZIP64 fields patched)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ok.dcm", member)
        zf.writestr("huge.dcm", member)
    data = bytearray(path.read_bytes())
    # Patch the central directory's uncompressed size of huge.dcm.
    cd = data.rindex(b"PK\x01\x02")  # the last central directory entry: huge.dcm
    data[cd + 24 : cd + 28] = struct.pack("<I", 0xFFFFFFFF)
    name_len, extra_len = struct.unpack("<HH", data[cd + 28 : cd + 32])
    assert name_len == len("huge.dcm") and extra_len == 0
    zip64 = struct.pack("<HHQ", 0x0001, 8, 1 << 40)
    data[cd + 30 : cd + 32] = struct.pack("<H", len(zip64))
    at = cd + 46 + name_len
    data[at:at] = zip64
    # Move the end-of-central-directory record's offset fields accordingly.
    eocd = data.rindex(b"PK\x05\x06")
    cd_size = struct.unpack("<I", data[eocd + 12 : eocd + 16])[0]
    data[eocd + 12 : eocd + 16] = struct.pack("<I", cd_size + len(zip64))
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("huge.dcm").file_size == 1 << 40
    return path


def test_archive_member_with_absurd_declared_size(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    dcm = write_instance(
        tmp_path / "x.dcm",
        series_uid="1.2.826.0.1.3680043.10.994.2",
        pixels=np.arange(16, dtype=np.uint16).reshape(4, 4),
    ).read_bytes()
    _absurd_zip(src / "a.zip", dcm)
    out = tmp_path / "out"
    code = (
        "import dicodec.batch\n"
        f"r = dicodec.batch.decode({str(src)!r}, {str(out)!r}, format='npy', threads=1)\n"
        "print(r.failures)\n"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr
    rows = {row["path"].rsplit("::", 1)[1]: row for row in index_rows(out)}
    assert rows["ok.dcm"]["status"] == "done"
    huge = rows["huge.dcm"]
    assert (huge["status"], huge["reason"]) == ("failed", "limit_exceeded")
    assert "declared size" in huge["error"]
