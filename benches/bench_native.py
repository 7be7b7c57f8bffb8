"""Whole-file native decode: dicodec.read_pixels vs pydicom.pixels.pixel_array
vs dicomsdl, side by side on multi-frame files built from real images (see
native_inputs.py). One group per file; the summary at the end prints each
peer's best-of-15 and median times, and their ratio to dicodec's single-thread
ones (higher = dicodec faster). Machines are shared: compare within one run.

    make bench                       # everything in benches/
    .venv/bin/python -m pytest benches/bench_native.py --benchmark-only \
        --benchmark-columns=min,median,rounds -q

Goal (issue 2): single thread >= 2x pydicom on each multi-frame native file of
>= 20 MB, 1-bit >= 3x. Peak memory: see native_memory.py.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import dicodec
from native_inputs import INPUTS, Input, dicomsdl_read_all

pydicom = pytest.importorskip("pydicom")
from pydicom.pixels import pixel_array  # noqa: E402

PEERS = ["dicodec_t1", "dicodec", "pydicom", "dicomsdl"]
RESULTS: dict[str, dict[str, tuple[float, float]]] = {}


def _pydicom(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pixel_array(path)


@functools.cache
def dicomsdl_crashes(path: Path) -> str | None:
    """dicomsdl segfaults on some files (multi-frame 1-bit): try it in a
    subprocess first so the benchmark session survives."""
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "from native_inputs import dicomsdl_read_all; "
        f"dicomsdl_read_all({str(path)!r})"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if p.returncode == 0:
        return None
    return (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]


RUNNERS = {
    "dicodec_t1": lambda path: dicodec.read_pixels(path, threads=1),
    "dicodec": lambda path: dicodec.read_pixels(path),
    "pydicom": _pydicom,
    "dicomsdl": dicomsdl_read_all,
}


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    yield
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    capman = request.config.pluginmanager.get_plugin("capturemanager")
    if tr is None or capman is None or not RESULTS:
        return
    lines = [
        "",
        "native whole-file decode: best-of-N ms (peer / dicodec threads=1),"
        " then the same for medians",
    ]
    lines.append(f"{'file':12}" + "".join(f"{p:>34}" for p in PEERS))
    for name, r in RESULTS.items():
        base = r.get("dicodec_t1")
        cells = []
        for p in PEERS:
            t = r.get(p)
            if t is None or base is None:
                cells.append(f"{'-':>34}")
            else:
                best = f"{t[0] * 1e3:.2f} ({t[0] / base[0]:.2f}x)"
                med = f"{t[1] * 1e3:.2f} ({t[1] / base[1]:.2f}x)"
                cells.append(f"{best + ' ' + med:>34}")
        lines.append(f"{name:12}" + "".join(cells))
    with capman.global_and_fixture_disabled():
        for line in lines:
            tr.write_line(line)


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize("inp", INPUTS, ids=[i.name for i in INPUTS])
def test_native_decode(benchmark, inp: Input, peer: str) -> None:
    path = inp.path()
    benchmark.group = f"native {inp.name}: {inp.what}"
    run = RUNNERS[peer]
    if peer == "dicomsdl" and (why := dicomsdl_crashes(path)):
        pytest.skip(f"dicomsdl fails on {inp.name} in a subprocess: {why}")
    want = _pydicom(path)
    try:
        got = run(path)
    except Exception as e:  # a peer that cannot read this file is reported, not timed
        pytest.skip(f"{peer} cannot decode {inp.name}: {e}")
    if peer.startswith("dicodec"):
        assert got.dtype == want.dtype.newbyteorder("<") and got.shape == want.shape
        assert np.array_equal(got, want)
    elif got.shape != want.shape or not np.array_equal(got, want):
        benchmark.extra_info["note"] = "output differs from pydicom (layout or values)"
    del got
    benchmark.pedantic(run, args=(path,), rounds=15, warmup_rounds=1, iterations=1)
    if benchmark.stats is not None:
        st = benchmark.stats.stats
        RESULTS.setdefault(inp.name, {})[peer] = (st.min, st.median)
