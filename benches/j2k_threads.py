"""Whole multi-frame JPEG 2000 / HTJ2K files of the standard benchmark set:
``dicodec.read_pixels(bytes, threads=2)`` and ``threads=1`` against one-thread
peers decoding frame by frame, interleaved rounds, best of N; wall-clock and
process CPU time (more robust on a loaded machine), each as MB/s of output and
as a ratio to the fastest peer.

    python benches/j2k_threads.py [--files ct16-htj2k-openjph,...] [--rounds 9]
        [--peers imagecodecs.htj2k]

Also the multi-frame DCT JPEG files of ``benches/dct_multiframe.py``
(``--files ct12-jpeg12-turbo,xa8-jpeg8-turbo --peers imagecodecs.jpeg8``).

``DICODEC_J2K_PORTABLE=1`` in the environment measures the portable OpenJPEG
copy instead of the x86-64-v3 one. Peers that start threads of their own
(GDCM) are not held to one CPU here: leave them out.
"""

from __future__ import annotations

import argparse
import gc
import time
import warnings
from pathlib import Path

import dct_multiframe
import dicodec
from dicodec import _native
from dicodec.bench import benchset
from dicodec.bench.files import describe
from dicodec.bench.peers import get_peer_class

FILES = "ct16-htj2k-openjph,us_rgb-htj2k-openjph,mr12-htj2k-openjph,cr15-htj2k-openjph"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", default=FILES)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--peers", default="imagecodecs.htj2k")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    descs = {d.name.split(".")[0]: d for d in benchset.build("standard").descs()}
    # The multi-frame DCT JPEG files (ct12-jpeg12-turbo, xa8-jpeg8-turbo).
    if any(n in dct_multiframe.SOURCES for n in a.files.split(",")):
        descs.update({k: describe(p) for k, p in dct_multiframe.build().items()})
    print(f"OpenJPEG copy: {_native._j2k_build()}")
    for name in a.files.split(","):
        d = descs[name]
        data = Path(d.path).read_bytes()
        runs = []
        for p in a.peers.split(","):
            peer = get_peer_class(p)(threads=1)
            if peer.supports(d):
                runs.append((p, peer, peer.prepare(d)))
        best: dict[str, tuple[float, float]] = {}

        def keep(k: str, wall: float, cpu: float, best: dict = best) -> None:
            w, c = best.get(k, (1e9, 1e9))
            best[k] = (min(w, wall), min(c, cpu))

        for _ in range(a.rounds):
            for th in (2, 1):
                gc.collect()
                c0, t0 = time.process_time(), time.perf_counter()
                dicodec.read_pixels(data, threads=th)
                keep(f"dicodec threads={th}", time.perf_counter() - t0, time.process_time() - c0)
            for p, peer, prep in runs:
                gc.collect()
                c0, t0 = time.process_time(), time.perf_counter()
                peer.decode(prep, d)
                keep(p, time.perf_counter() - t0, time.process_time() - c0)
        mb = d.output_bytes / 1e6
        ref_w = max(mb / best[p][0] for p, _, _ in runs)
        ref_c = max(mb / best[p][1] for p, _, _ in runs)
        for k, (w, c) in best.items():
            print(
                f"{name:24s} {k:22s} wall {mb / w:7.1f} MB/s ({mb / w / ref_w:.2f}x)"
                f"  cpu {mb / c:7.1f} MB/s ({mb / c / ref_c:.2f}x)"
            )


if __name__ == "__main__":
    main()
