"""Shared fixtures of the benchmark suites (``make bench`` = ``pytest benches``).

The inputs are the standard benchmark set (``dicodec.bench.benchset``): real
images encoded by third-party encoders, built once into the user cache
directory. ``DICODEC_BENCH_SET=small`` uses the tiny variant (a quick smoke
run). Peers are the adapters of ``dicodec bench`` (``dicodec.bench.peers``),
so a suite and the tool time the same calls. A typical suite::

    import pytest

    @pytest.mark.parametrize("peer", ["dicodec", "pydicom", "pylibjpeg.rle", "gdcm"])
    @pytest.mark.parametrize("image", ["ct16", "mr12", "us_rgb"])
    def test_rle_decode(benchmark, bench_file, peer_decoder, peer, image):
        decode = peer_decoder(peer, bench_file(image, "rle"))   # checked bit-exact
        benchmark(decode)

Modules named ``bench_*.py`` here are collected by `make bench` (test functions still start
with ``test_``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from dicodec.bench import benchset
from dicodec.bench.files import FileDesc
from dicodec.bench.machine import cpu_model, usable_cpus, versions
from dicodec.bench.normalise import normalise, sha256_of
from dicodec.bench.peers import PEERS, UnsupportedByPeer, get_peer_class

#: Which variant of the benchmark set the suites use.
BENCH_SET = os.environ.get("DICODEC_BENCH_SET", "standard")


def pytest_report_header(config: pytest.Config) -> list[str]:
    libs = ", ".join(f"{k} {v}" for k, v in versions(list(PEERS.values())).items())
    return [
        f"dicodec benches: {cpu_model()} ({usable_cpus()} usable CPUs), set={BENCH_SET}",
        f"versions: {libs}",
    ]


@pytest.fixture(scope="session")
def bench_set() -> benchset.BenchSet:
    """The benchmark set (``benchset.build``): ``.files``, ``.select(...)``,
    ``.file(image, encoding)``."""
    return benchset.build(BENCH_SET)


@pytest.fixture(scope="session")
def bench_file(bench_set: benchset.BenchSet) -> Callable[[str, str], benchset.BenchFile]:
    """``bench_file(image, encoding)``: one file of the set (skips when the
    set lacks it, e.g. its encoder is not installed). Images:
    ``benchset.IMAGES`` (ct16, mr12, cr15, us_rgb, seg1); encodings:
    ``benchset.ENCODINGS`` (native, rle, jpll-gdcm, jpll-turbo, jpll-p7-turbo)."""

    def get(image: str, encoding: str) -> benchset.BenchFile:
        try:
            return bench_set.file(image, encoding)
        except KeyError as exc:
            pytest.skip(str(exc))

    return get


@pytest.fixture(scope="session")
def peer_decoder() -> Callable[..., Callable[[], Any]]:
    """``peer_decoder(peer, bench_file, threads=1, whole_file=False)``: a
    no-argument callable that decodes the file through the peer (a name in
    ``dicodec.bench.peers.PEERS`` or ``"module:Class"``), its input prepared
    in memory beforehand (``whole_file=True``: from the path, reading
    included). Its result is checked bit-exact against the file's reference
    first. Skips when the peer is not installed or cannot decode the file."""

    def make(
        peer: str, file: benchset.BenchFile, threads: int = 1, whole_file: bool = False
    ) -> Callable[[], Any]:
        cls = get_peer_class(peer)
        missing = cls.missing()
        if missing is not None:
            pytest.skip(f"{peer} not installed ({cls.pip})")
        adapter = cls(threads=threads)
        desc: FileDesc = file.desc()
        if whole_file:
            if not adapter.supports_file(desc):
                pytest.skip(f"{peer} does not read {desc.name}")

            def fn() -> Any:
                return adapter.decode_file(desc)

        else:
            if not adapter.supports(desc):
                pytest.skip(f"{peer} cannot decode {desc.name} from memory")
            prepared = adapter.prepare(desc)

            def fn() -> Any:
                return adapter.decode(prepared, desc)

        try:
            first = fn()
        except UnsupportedByPeer as exc:
            pytest.skip(f"{peer}: {exc}")
        got = normalise(
            np.asarray(first), desc, planar=adapter.planar, packed_bits=adapter.packed_bits
        )
        assert sha256_of(got) == desc.ref_sha256, f"{peer} decodes {desc.name} wrongly"
        return fn

    return make
