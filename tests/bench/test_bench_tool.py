"""`dicodec bench`: the tool's output on the tiny standard set, its JSON,
agreement flags (a corrupting test double of a peer), missing peers, and a
crashing or hanging peer kept in its worker process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pydicom")

from bench_fakes import (  # noqa: E402
    KNOWN_DIFFERENT,
    AbortPeer,
    CorruptPeer,
    HangPeer,
    MissingPeer,
    RaisePeer,
)

from dicodec.bench import benchset  # noqa: E402
from dicodec.bench.files import FileDesc, describe  # noqa: E402
from dicodec.bench.normalise import normalise, sha256_of  # noqa: E402
from dicodec.bench.peers import PEERS, PydicomPeer, PylibjpegRlePeer, select_peers  # noqa: E402
from dicodec.bench.report import COLUMNS, format_markdown, format_table  # noqa: E402
from dicodec.bench.runner import SCHEMA, run  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-cache")


@pytest.fixture(scope="session")
def small_set(cache_dir: Path) -> benchset.BenchSet:
    return benchset.build("small", cache_dir=cache_dir)


def _desc(small_set: benchset.BenchSet, image: str, encoding: str) -> FileDesc:
    return small_set.file(image, encoding).desc()


# ---------------------------------------------------------------- the set


def test_small_set_is_complete_verified_and_reproducible(small_set, tmp_path):
    got = {(f.image, f.encoding) for f in small_set.files}
    for spec in benchset.IMAGES.values():
        for enc in spec.encodings:
            assert (spec.key, enc) in got, f"{spec.key}/{enc} missing: {small_set.notes}"
    for f in small_set.files:
        # Every file decodes (with pydicom, or the library where pydicom has no
        # decoder) to the array it was made from; lossy ones close to it.
        assert f.verified_by.startswith("pydicom/") or f.verified_by == "library", f
        if f.encoding in benchset.LOSSY:
            assert f.ref_sha256 == ""
        else:
            assert f.ref_sha256 == small_set.file(f.image, "native").ref_sha256
        assert f.transfer_syntax == benchset.ENCODINGS[f.encoding][0]
        assert describe(f.path).transfer_syntax == f.transfer_syntax
    # Third-party encoders, not dicodec's.
    assert "pylibjpeg-rle" in small_set.file("ct16", "rle").encoder
    assert "GDCM" in small_set.file("ct16", "jpll-gdcm").encoder
    assert "libjpeg-turbo" in small_set.file("ct16", "jpll-turbo").encoder
    again = benchset.build("small", cache_dir=tmp_path, rebuild=True)
    assert [Path(f.path).read_bytes() for f in again.files] == [
        Path(f.path).read_bytes() for f in small_set.files
    ]
    # Second call comes from the cache.
    assert benchset.build("small", cache_dir=tmp_path).root == again.root


def test_small_set_geometry(small_set):
    ct = _desc(small_set, "ct16", "rle")
    assert (ct.frames, ct.rows, ct.columns, ct.bits_allocated) == (2, 64, 64, 16)
    us = _desc(small_set, "us_rgb", "jpll-turbo")
    assert (us.samples, us.photometric, us.shape) == (3, "RGB", (2, 64, 64, 3))
    seg = _desc(small_set, "seg1", "native")
    assert (seg.bits_allocated, seg.dtype, seg.output_bytes) == (1, np.dtype("u1"), 2 * 64 * 64)


# ---------------------------------------------------------------- normalise


def test_normalise_layouts():
    desc = FileDesc("x", "x", 0, "1.2.840.10008.1.2.5", 2, 3, 2, 3, 16, 16, 0, "RGB", 0)
    ref = np.arange(2 * 2 * 3 * 3, dtype="<u2").reshape(2, 2, 3, 3)
    planar = np.ascontiguousarray(ref.transpose(0, 3, 1, 2))
    assert np.array_equal(normalise(planar, desc, planar=True), ref)
    assert np.array_equal(normalise(ref.astype(">u2"), desc), ref)
    assert normalise(ref.astype(">u2"), desc).dtype == np.dtype("<u2")

    signed = FileDesc(
        "x", "x", 0, "1.2.840.10008.1.2.4.70", 1, 2, 1, 1, 16, 12, 1, "MONOCHROME2", 0
    )
    # A JPEG decoder gives the 12-bit two's complement pattern zero-extended.
    raw = np.array([[0x0FFF, 0x0800]], dtype=np.uint16)
    assert normalise(raw, signed).tolist() == [[-1, -2048]]

    onebit = FileDesc("x", "x", 0, "1.2.840.10008.1.2.1", 2, 8, 1, 1, 1, 1, 0, "MONOCHROME2", 0)
    packed = np.array([0b00000001, 0b10000000], dtype=np.uint8)
    assert normalise(packed, onebit, packed_bits=True).tolist() == [
        [1, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 1],
    ]
    with pytest.raises(ValueError, match="expected"):
        normalise(np.zeros(5, np.uint8), onebit)
    assert len(sha256_of(ref)) == 64


def _normalise_rows() -> list:
    from conftest import corpus_params

    def pick(row: dict) -> bool:
        flags = row["flags"]
        return (
            bool(row["ref_sha256"])
            and not row["file"].startswith("jpeg/")
            and int(row["size"] or 0) < 400_000
            and any(f in flags for f in ("signed", "bits_stored", "planar1", "big_endian"))
        )

    return corpus_params(pick)[:24]


@pytest.mark.parametrize("row", _normalise_rows())
def test_normalise_keeps_pydicom_output_as_is(row, corpus_dir):
    """On real files, the normalised layout of pydicom's ``raw=True`` result is
    exactly the corpus reference (so normalising never changes values)."""
    import pydicom
    from pydicom.pixels.decoders.base import get_decoder

    path = corpus_dir / row["file"]
    desc = describe(path)
    arr, _ = get_decoder(desc.transfer_syntax).as_array(pydicom.dcmread(path), raw=True)
    assert sha256_of(normalise(arr, desc)) == row["ref_sha256"]


# ---------------------------------------------------------------- agreement


def test_corrupted_peer_result_is_flagged(small_set):
    files = [_desc(small_set, "ct16", "rle"), _desc(small_set, "us_rgb", "native")]
    report = run(files, [PydicomPeer, CorruptPeer], repeat=1)
    by = {(r.desc.name, r.peer): r for r in report.results}
    for d in files:
        good, bad = by[(d.name, "pydicom")], by[(d.name, "corrupt")]
        assert good.status == bad.status == "ok"
        assert good.basis == bad.basis == "reference"
        assert good.agrees is True
        assert bad.agrees is False
        assert good.sha256 == d.ref_sha256 != bad.sha256
    table = format_table(report)
    corrupt_rows = [ln for ln in table.splitlines() if ln.strip().startswith("corrupt")]
    assert corrupt_rows and all(" NO " in ln for ln in corrupt_rows)
    assert "✗" in format_markdown(report)


def test_agreement_without_reference_uses_independent_peers(small_set):
    d = _desc(small_set, "mr12", "rle")
    d.ref_sha256 = None  # as for a user's own file
    report = run([d], [PydicomPeer, PylibjpegRlePeer, CorruptPeer], repeat=1, whole_file=False)
    by = {r.peer: r for r in report.results}
    assert by["pydicom"].agrees is True and by["pylibjpeg.rle"].agrees is True
    assert by["corrupt"].agrees is False
    assert {r.basis for r in report.results} == {"peers"}


# ---------------------------------------------------------------- failures


def test_missing_peer_is_listed_with_pip_command(small_set):
    report = run([_desc(small_set, "ct16", "native")], [PydicomPeer, MissingPeer], repeat=1)
    assert [r.peer for r in report.results] == ["pydicom"]
    table = format_table(report)
    assert "Not installed" in table
    assert "notinstalled" in table and "pip install dicodec-bench-no-such-package" in table
    peers = {p["name"]: p for p in report.to_json()["peers"]}
    assert peers["notinstalled"]["status"] == "missing"
    assert peers["notinstalled"]["install"] == "pip install dicodec-bench-no-such-package"
    assert peers["pydicom"]["status"] == "available"


def test_crashing_peer_is_isolated(small_set):
    files = [_desc(small_set, "ct16", "native"), _desc(small_set, "mr12", "rle")]
    report = run(files, [AbortPeer, RaisePeer, PydicomPeer], repeat=1)
    by = {(r.desc.name, r.peer): r for r in report.results}
    for d in files:
        crashed = by[(d.name, "abort")]
        assert crashed.status == "crashed"
        assert "SIGABRT" in crashed.message
        raised = by[(d.name, "raise")]
        assert raised.status == "ok"  # its whole-file path is pydicom's and works
        assert raised.codec.status == "error"
        assert "ValueError: fake decoder rejects this stream" in raised.codec.message
        assert by[(d.name, "pydicom")].status == "ok"
        assert by[(d.name, "pydicom")].agrees is True
    assert "crashed: worker process killed by SIGABRT" in format_table(report)


def test_hanging_peer_times_out(small_set):
    d = _desc(small_set, "ct16", "native")
    # 15 s: long enough for the pydicom worker to start on a loaded 2-core machine (3 s was
    # not), far below the fake's 60 s sleep.
    report = run([d], [HangPeer, PydicomPeer], repeat=1, timeout=15, whole_file=False)
    by = {r.peer: r for r in report.results}
    assert by["hang"].status == "timeout"
    assert by["pydicom"].status == "ok"


def test_peer_selection():
    names = [c.name for c in select_peers(["pydicom"])]
    assert names == ["pydicom", "pydicom.pylibjpeg", "pydicom.gdcm"]
    assert [c.name for c in select_peers(["imagecodecs.jpeg8"])] == ["imagecodecs.jpeg8"]
    assert len(select_peers(None)) == len(PEERS)
    with pytest.raises(ValueError, match="unknown codec"):
        select_peers(["nope"])


# ---------------------------------------------------------------- the CLI, once


def test_cli_on_tiny_set(cache_dir, small_set, tmp_path):
    """`make test` runs the tool once, end to end, with every installed peer."""
    out_json, out_md, out_png = tmp_path / "b.json", tmp_path / "b.md", tmp_path / "b.png"
    env = dict(os.environ, DICODEC_BENCH_CACHE=str(cache_dir))
    args = ["--small", "--repeat", "1", "--json", str(out_json), "--markdown", str(out_md)]
    args += ["--check", "-q", "--plot", str(out_png)]
    proc = subprocess.run(
        [sys.executable, "-m", "dicodec", "bench", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    data = json.loads(out_json.read_text())
    wrong = {(r["peer"], r["name"]) for r in data["results"] if r["agrees"] is False}
    # The known, legitimate differences on 4:2:2 colour JPEG (see
    # test_bench_codecs.py); --check reports them with exit status 1.
    assert wrong <= {(peer, f"{stem}.dcm") for peer, stem in KNOWN_DIFFERENT}, wrong
    assert proc.returncode == (1 if wrong else 0), proc.stdout + proc.stderr
    table = proc.stdout
    header = next(ln for ln in table.splitlines() if ln.strip().startswith("codec"))
    for col in COLUMNS:
        assert col in header
    for title in ("Explicit VR Little Endian", "RLE Lossless", "JPEG Lossless SV1", "process 14"):
        assert title in table
    for f in small_set.files:
        assert f.name in table

    assert data["schema"] == SCHEMA
    assert data["command"][:2] == ["dicodec", "bench"]
    assert data["machine"]["cpu"] and data["machine"]["cpus_usable"] >= 1
    assert data["settings"]["threads"] == 1 and data["settings"]["repeat"] == 1
    assert data["versions"]["pydicom"] and data["versions"]["dicodec"]
    assert {p["name"] for p in data["peers"]} == set(PEERS)
    assert len(data["files"]) == len(small_set.files)
    ok = [r for r in data["results"] if r["status"] == "ok"]
    assert ok
    lossy = {f.name for f in small_set.files if f.encoding in benchset.LOSSY}
    for r in ok:
        if (r["peer"], r["name"]) in wrong:
            continue
        assert r["agrees"] is True, r
        assert r["agreement_basis"] == ("peers" if r["name"] in lossy else "reference"), r
        if r["codec"]["status"] == "ok":
            assert r["mb_per_s"] > 0 and r["mpx_per_s"] > 0
            assert r["codec"]["best_s"] <= r["codec"]["median_s"]
            assert len(r["codec"]["times_s"]) == 1
    # Every file is decoded by at least two independent peers.
    for f in small_set.files:
        indep = {
            r["engine"] for r in ok if r["name"] == f.name and not r["peer"].startswith("dicodec")
        }
        # JPEG XL: libjxl is the only other decoder installed.
        assert len(indep) >= (1 if f.encoding == "jxl-libjxl" else 2), (f.name, indep)
    # Every built-in peer shows up on some file (or is listed as missing).
    installed = {p["name"] for p in data["peers"] if p["status"] == "available"}
    assert installed - {"dicodec.frames", "dicodec.pydicom", "dicodec"} <= {r["peer"] for r in ok}
    assert "| codec |" in out_md.read_text()
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_rejects_unknown_codec():
    proc = subprocess.run(
        [sys.executable, "-m", "dicodec", "bench", "--codecs", "nope", "-q", __file__],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 2
    assert "unknown codec" in proc.stderr


def test_readme_block_is_rewritten(small_set):
    from dicodec.bench import readme

    report = run([_desc(small_set, "ct16", "rle")], [PydicomPeer, CorruptPeer], repeat=1)
    block = readme.render(report, "dicodec bench --repeat 1")
    assert "dicodec bench --repeat 1" in block and report.machine["cpu"] in block
    assert "| codec | ct16-rle |" in block
    assert "**Wrong output (not timed, marked ✗):** corrupt on ct16-rle.dcm" in block
    assert "| corrupt | wrong ✗ |" in block
    text = f"# T\n\nbefore\n{readme.START}\nold\n{readme.END}\nafter\n"
    new = readme.replace_block(text, block)
    assert "old" not in new and new.startswith("# T\n\nbefore\n") and new.endswith("after\n")
    assert readme.replace_block(new, "x").count(readme.START) == 1
    with pytest.raises(ValueError):
        readme.replace_block("no markers", "x")


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this OS")
def test_peer_with_own_threads_runs_on_one_cpu_for_one_thread(small_set):
    """A peer that starts threads whatever it is asked (GDCM on JPEG 2000)
    is held to one CPU in a one-thread run, and only then; the note says so."""
    from bench_fakes import OwnThreadsPeer

    from dicodec.bench._worker import measure

    rle, native = _desc(small_set, "ct16", "rle"), _desc(small_set, "ct16", "native")
    for threads in (1, 2):
        report = run([rle], [OwnThreadsPeer], threads=threads, repeat=1, whole_file=False)
        (res,) = report.results
        assert res.status == "ok", res.message
        assert res.agrees is True
        noted = any("own-threads" in n and "one CPU" in n for n in report.notes)
        assert noted == (threads == 1), report.notes
    # The peer's other syntaxes run unrestricted (its check fails otherwise).
    report = run([native], [OwnThreadsPeer], threads=1, repeat=1, whole_file=False)
    assert report.results[0].status == "ok", report.results[0].message
    # In-process: the CPU set is restored afterwards.
    before = os.sched_getaffinity(0)
    out = measure(OwnThreadsPeer(threads=1), rle, repeat=1, warmup=1, whole_file=False)
    assert out["codec"]["status"] == "ok", out
    assert os.sched_getaffinity(0) == before
