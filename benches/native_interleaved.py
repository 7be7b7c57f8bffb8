"""Whole-file native decode, peers interleaved round by round (best of N):
robust on a shared, noisy machine where pytest-benchmark's one-peer-after-
another runs drift. Same inputs and peers as bench_native.py.

    .venv/bin/python benches/native_interleaved.py            # all inputs, 15 rounds
    .venv/bin/python benches/native_interleaved.py -n 25 ct16_le seg1_le
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from pydicom.pixels import pixel_array

import dicodec
from native_inputs import BY_NAME, INPUTS, dicomsdl_read_all

PEERS = {
    "dicodec t1": lambda p: dicodec.read_pixels(p, threads=1),
    "dicodec": lambda p: dicodec.read_pixels(p),
    "pydicom": pixel_array,
    "dicomsdl": dicomsdl_read_all,
}
#: Not a decoder: allocate an array of the output's shape and dtype and write
#: every byte once (``np.full``). No decoder can beat it; a ratio near 1 means
#: the decode is bound by writing fresh output memory, not by unpacking.
FLOOR = "write floor"


def dicomsdl_ok(path: Path) -> bool:
    """dicomsdl segfaults on multi-frame 1-bit data: try it in a subprocess."""
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        f"from native_inputs import dicomsdl_read_all; dicomsdl_read_all({str(path)!r})"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", default=[i.name for i in INPUTS])
    ap.add_argument("-n", "--rounds", type=int, default=15)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    print(f"best of {args.rounds} rounds, ms (ratio to dicodec threads=1)")
    print(f"{'file':12}" + "".join(f"{p:>22}" for p in [*PEERS, FLOOR]))
    for name in args.inputs:
        path = BY_NAME[name].path()
        want = pixel_array(path)
        peers = {k: f for k, f in PEERS.items() if k != "dicomsdl" or dicomsdl_ok(path)}
        peers[FLOOR] = lambda _p, s=want.shape, d=want.dtype: np.full(s, 1, d)
        for k in ("dicodec t1", "dicodec"):
            got = peers[k](path)
            assert got.shape == want.shape and np.array_equal(got, want), (name, k)
            del got
        best = dict.fromkeys(peers, float("inf"))
        for _ in range(args.rounds):
            for k, f in peers.items():
                t = time.perf_counter()
                a = f(path)
                best[k] = min(best[k], time.perf_counter() - t)
                del a
        base = best["dicodec t1"]
        cells = [
            f"{best[k] * 1e3:9.2f} ({best[k] / base:5.2f}x)" if k in best else f"{'-':>20}"
            for k in [*PEERS, FLOOR]
        ]
        print(f"{name:12}" + "".join(f"{c:>22}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
