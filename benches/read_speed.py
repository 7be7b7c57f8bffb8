"""Before/after check of ``read_pixels`` and ``frame_info`` speed on the
largest corpus file of each decoded syntax (one thread, from bytes, best of
15), as JSON; run it with two builds' interpreters in turn and compare:

    .venv/bin/python benches/read_speed.py > after.json
    /path/to/old/.venv/bin/python benches/read_speed.py > before.json
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import dicodec

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"
SYNTAXES = {  # label: transfer syntax UID (written out: this script also runs on older builds)
    "native 16-bit (Explicit VR LE)": "1.2.840.10008.1.2.1",
    "RLE Lossless": "1.2.840.10008.1.2.5",
    "JPEG Lossless SV1": "1.2.840.10008.1.2.4.70",
    "JPEG Lossless (.57)": "1.2.840.10008.1.2.4.57",
    "Explicit VR Big Endian": "1.2.840.10008.1.2.2",
}


def _best(f, n: int = 15) -> float:
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    with open(CORPUS / "MANIFEST.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["ref_sha256"]]
    out = {}
    for label, uid in SYNTAXES.items():
        cands = [r for r in rows if r["transfer_syntax_uid"] == uid]
        if uid.endswith(".1.2.1"):
            cands = [r for r in cands if r["bits_allocated"] == "16"]
        if not cands:
            continue
        row = max(cands, key=lambda r: int(r["size"] or 0))
        data = (CORPUS / row["file"]).read_bytes()
        arr = dicodec.read_pixels(data, threads=1)
        out[label] = {
            "file": row["file"],
            "bytes_out": arr.nbytes,
            "read_pixels_s": _best(lambda d=data: dicodec.read_pixels(d, threads=1)),
            "frame_info_s": _best(lambda d=data: dicodec.frame_info(d)),
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
