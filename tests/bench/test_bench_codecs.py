"""The benchmark's other codecs: the set's JPEG-LS, JPEG, JPEG 2000, HTJ2K,
JPEG XL and deflated-frame files (third-party encoders), every peer's output
on them checked against the reference and against each other, a wrong or
±1-off peer reported, and the encoder comparison (``--encode``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pydicom")
pytest.importorskip("imagecodecs")

from bench_fakes import KNOWN_DIFFERENT, OffByOnePeer, OffByThreePeer  # noqa: E402

from dicodec.bench import benchset  # noqa: E402
from dicodec.bench.benchset.codecs import j2k_uses_mct  # noqa: E402
from dicodec.bench.encode import (  # noqa: E402
    format_encode_markdown,
    format_encode_table,
    load_images,
    run_encode,
)
from dicodec.bench.encode_peers import ENCODERS, EncoderSpec  # noqa: E402
from dicodec.bench.peers import PEERS  # noqa: E402
from dicodec.bench.peers.base import DEFLATE_FRAMES, J2K, JPEG_DCT, JPEG_LS, JXL  # noqa: E402
from dicodec.bench.report import format_markdown  # noqa: E402
from dicodec.bench.runner import run  # noqa: E402

OTHER_CODECS = JPEG_LS | JPEG_DCT | J2K | JXL | DEFLATE_FRAMES


@pytest.fixture(scope="module")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> benchset.BenchSet:
    return benchset.build("small", cache_dir=tmp_path_factory.mktemp("bench-codecs"))


def test_set_has_every_codec_from_third_party_encoders(small_set):
    got = {f.encoding: f for f in small_set.files}
    want = {
        "jls-charls": "CharLS",
        "jls-near2-charls": "CharLS",
        "jpeg8-turbo": "libjpeg-turbo",
        "jpeg8-422-turbo": "libjpeg-turbo",
        "jpeg12-turbo": "libjpeg-turbo",
        "j2k-openjpeg": "OpenJPEG",
        "j2k-lossy-openjpeg": "OpenJPEG",
        "htj2k-openjph": "OpenJPH",
        "jxl-libjxl": "libjxl",
        "deflate-zlib": "zlib",
    }
    for encoding, library in want.items():
        assert encoding in got, (encoding, small_set.notes)
        assert library in got[encoding].encoder
        assert "dicodec" not in got[encoding].encoder
    colour = small_set.file("us_rgb", "jpeg8-422-turbo").desc()
    assert colour.photometric == "YBR_FULL_422" and colour.samples == 3
    twelve = small_set.file("mr12", "jpeg12-turbo").desc()
    assert twelve.bits_stored == 12 and twelve.bits_allocated == 16
    grey8 = small_set.file("mr8", "jpeg8-turbo").desc()
    assert grey8.bits_stored == 8 and grey8.samples == 1
    # J2K colour with the reversible colour transform says so.
    assert small_set.file("us_rgb", "j2k-openjpeg").desc().photometric == "YBR_RCT"
    for f in small_set.files:
        assert (f.ref_sha256 == "") == (f.encoding in benchset.LOSSY)


def test_j2k_mct_flag():
    import imagecodecs

    rgb = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)
    assert j2k_uses_mct(bytes(imagecodecs.jpeg2k_encode(rgb, level=0, codecformat="J2K")))
    grey = rgb[..., 0].copy()
    assert not j2k_uses_mct(bytes(imagecodecs.jpeg2k_encode(grey, level=0, codecformat="J2K")))


def _other_codec_descs(small_set: benchset.BenchSet) -> list:
    return [f.desc() for f in small_set.files if f.transfer_syntax in OTHER_CODECS]


def test_every_peer_agrees_on_the_other_codecs(small_set):
    """Every installed peer (dicodec's codec functions and read_pixels too)
    decodes every file to the reference, or for lossy files to the others'
    consensus (±1 allowed for DCT JPEG only); none errs on a file it claims."""
    files = _other_codec_descs(small_set)
    peers = [cls for cls in PEERS.values() if not cls.name.startswith("dicodec.pydicom")]
    report = run(files, peers, repeat=1, whole_file=False)
    ok = [r for r in report.results if r.status == "ok"]
    bad = {(r.peer, Path(r.desc.name).stem): r.max_diff for r in ok if r.agrees is not True}
    # Known, legitimate differences on 4:2:2 colour, reported as such: Thomas
    # Richter's libjpeg upsamples chroma without libjpeg-turbo's "fancy"
    # filter (±5 here); dicomsdl returns RGB for YBR_FULL_422.
    assert set(bad) <= KNOWN_DIFFERENT, bad
    assert all(diff is not None and diff > 1 for diff in bad.values()), bad
    for r in ok:
        if r.note.startswith("within"):
            assert r.desc.transfer_syntax in JPEG_DCT and r.max_diff == 1
    # A codec-path error is a bug in the adapter (or the peer): none expected,
    # except GDCM's and dicomsdl's known refusals, which are reported.
    errors = [
        (r.peer, r.desc.name, r.message)
        for r in report.results
        if r.status in ("error", "crashed", "timeout") and r.peer not in ("gdcm", "dicomsdl")
    ]
    assert not errors
    for d in files:
        engines = {r.engine for r in report.results_for(d) if r.status == "ok" and not r.is_dicodec}
        assert len(engines) >= (1 if d.transfer_syntax in JXL else 2), (d.name, engines)
        mine = [r for r in report.results_for(d) if r.is_dicodec and r.status == "ok"]
        assert mine, f"dicodec decodes nothing of {d.name}"


def test_wrong_lossy_peer_is_reported_not_timed(small_set):
    d = small_set.file("mr8", "jpeg8-turbo").desc()
    assert not d.ref_sha256
    report = run(
        [d],
        [PEERS["imagecodecs.jpeg8"], PEERS["pillow"], PEERS["gdcm"], OffByOnePeer, OffByThreePeer],
        repeat=1,
        whole_file=False,
    )
    by = {r.peer: r for r in report.results}
    assert by["imagecodecs.jpeg8"].agrees is True and by["pillow"].agrees is True
    assert by["offbyone"].agrees is True and by["offbyone"].note.startswith("within ±1")
    assert by["offbythree"].agrees is False and by["offbythree"].max_diff == 3
    md = format_markdown(report)
    row = next(ln for ln in md.splitlines() if ln.startswith("| offbythree"))
    assert "wrong ✗ (max diff 3)" in row and "MB" not in row
    assert "≈" in next(ln for ln in md.splitlines() if ln.startswith("| offbyone"))


# ---------------------------------------------------------------- encode


@pytest.fixture(scope="module")
def images(small_set):
    pairs = [(f.image, f.path) for f in small_set.select(encoding="native")]
    return load_images(pairs)


def test_encoders_round_trip_through_independent_decoders(images):
    report = run_encode(images, repeat=1)
    by = {(r.codec, r.encoder, r.image): r for r in report.results}
    assert {i.key for i in images} == {"ct16", "mr12", "mr8", "cr15", "us_rgb"}
    for r in report.results:
        assert r.status in ("ok", "missing", "unsupported"), (r.encoder, r.codec, r.message)
        if r.status == "ok":
            assert r.times and r.size > 0 and r.ratio and r.ratio > 0.5 and r.mb_per_s
    for img in ("ct16", "us_rgb"):
        assert by[("jpll", "dicodec", img)].status == "ok"
        assert by[("jpll", "imagecodecs.jpeg8", img)].status == "ok"
        assert by[("rle", "dicodec", img)].status == "ok"
        assert by[("deflate", "dicodec", img)].status == "ok"
        assert by[("jls", "imagecodecs.jpegls", img)].status == "ok"
        assert by[("j2k", "imagecodecs.jpeg2k", img)].status == "ok"
    md = format_encode_markdown(report)
    assert "Encode: JPEG Lossless SV1" in md and "gzip" in md
    assert "| **dicodec** |" in md
    assert "gzip -6" in format_encode_table(report)
    assert set(report.gzip) == {i.key for i in images}


def test_wrong_encoder_is_reported_not_timed(images):
    def broken(img):  # drops the last byte of every frame
        from dicodec import rle_encode

        return lambda f: rle_encode(f, bits_allocated=img.bits_allocated)[:-4]

    spec = EncoderSpec("broken", "rle", "broken", ("dicodec",), make=broken)
    report = run_encode(images[:1], encoders=[spec, *ENCODERS[-3:]], repeat=1)
    r = next(r for r in report.results if r.encoder == "broken")
    assert r.status == "wrong" and not r.times and r.mb_per_s is None
    assert "broken" in format_encode_table(report)
    assert "wrong" in format_encode_markdown(report)


def test_gdcm_encoder_output_is_read_by_others(images):
    pytest.importorskip("gdcm")
    from dicodec.bench.encode_gdcm import gdcm_encode

    img = next(i for i in images if i.key == "ct16")
    frames = gdcm_encode(img, "JPEGLSLossless")
    import imagecodecs

    assert len(frames) == len(img.frames)
    got = np.stack([imagecodecs.jpegls_decode(f) for f in frames])
    assert np.array_equal(got.view(img.frames.dtype), img.frames)


def test_readme_summary_tables(small_set):
    from dicodec.bench import readme

    d = small_set.file("ct16", "jls-charls").desc()
    peers = [PEERS["dicodec"], PEERS["imagecodecs.jpegls"], PEERS["pyjpegls"]]
    one = run([d], peers, repeat=1, whole_file=False)
    two = run([d], [PEERS["dicodec"]], threads=2, repeat=1, whole_file=False)
    rows = readme.summary_rows(one)
    assert rows and rows[0][1] == Path(d.name).stem
    assert rows[0][4] in ("imagecodecs.jpegls", "pyjpegls")
    threads = readme.threads_rows(one, two)
    assert threads and threads[0][5] > 0
    block = readme.render(one, "dicodec bench --repeat 1", two=two, encode_md="#### Encode: X")
    assert "two threads" in block and "#### Encode: X" in block and "shared" in block


def test_cli_encode(small_set, tmp_path):
    import json
    import os
    import subprocess
    import sys

    out_md, out_json = tmp_path / "enc.md", tmp_path / "enc.json"
    env = dict(os.environ, DICODEC_BENCH_CACHE=str(Path(small_set.root).parent))
    proc = subprocess.run(
        [sys.executable, "-m", "dicodec", "bench", "--encode", "--small", "--repeat", "1", "-q"]
        + ["--markdown", str(out_md), "--json", str(out_json)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "== encode: JPEG Lossless SV1 ==" in proc.stdout
    assert "Encode: RLE Lossless" in out_md.read_text()
    data = json.loads(out_json.read_text())
    assert {r["status"] for r in data["results"]} <= {"ok", "missing", "unsupported"}


def test_min_time_repeats_fast_decoders():
    from dicodec.bench._worker import MAX_REPEAT, _timed

    calls = []
    _, times, cpu = _timed(lambda: calls.append(1), 2, 1, 0.0)
    assert len(times) == len(cpu) == 2 and len(calls) == 3  # warm-up + 2
    _, times, cpu = _timed(lambda: None, 2, 1, 10.0)  # never adds up: capped
    assert len(times) == len(cpu) == MAX_REPEAT
