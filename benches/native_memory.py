"""Peak memory of a whole-file native decode above an idle interpreter.

Each decoder runs in a fresh subprocess that first imports everything
(numpy, pydicom, dicodec, dicomsdl) and decodes a small file once, then
resets the kernel's peak-RSS mark (``/proc/self/clear_refs``), decodes the
file once and reports
``VmHWM - VmRSS(before)``: every resident page counts, file-backed mmap
pages included. Printed as MiB and as a multiple of the output array.

    .venv/bin/python benches/native_memory.py            # largest bench input
    .venv/bin/python benches/native_memory.py ct16_le seg1_le /path/to/file.dcm

Goal (issue 2): dicodec <= 1.1x the output array (pydicom needs about 2x).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from native_inputs import BY_NAME, INPUTS

CHILD = r"""
import json, sys, warnings
import numpy as np
import pydicom
from pydicom.pixels import pixel_array
import dicodec
sys.path.insert(0, {benches!r})
from native_inputs import dicomsdl_read_all

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)

path, how = sys.argv[1], sys.argv[2]
run = {{
    "dicodec threads=1": lambda: dicodec.read_pixels(path, threads=1),
    "dicodec": lambda: dicodec.read_pixels(path),
    "pydicom": lambda: pixel_array(path),
    "dicomsdl": lambda: dicomsdl_read_all(path),
}}[how]
warnings.simplefilter("ignore")
# Warm up on a small file: code pages and allocator state of a used interpreter.
from pydicom.data import get_testdata_file
path_, path = path, get_testdata_file("CT_small.dcm")
run()
path = path_
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    reset = True
except OSError:
    reset = False
before = status("VmRSS")
peak_before = status("VmHWM")
arr = run()
peak = status("VmHWM")
print(json.dumps({{"peak_above_idle": peak - before, "out": arr.nbytes, "reset": reset,
                  "hwm_before": peak_before - before}}))
"""

METHODS = ["dicodec threads=1", "dicodec", "pydicom", "dicomsdl"]


def measure(path: Path, how: str) -> dict | None:
    code = CHILD.format(benches=str(Path(__file__).resolve().parent))
    p = subprocess.run(
        [sys.executable, "-c", code, str(path), how], capture_output=True, text=True, check=False
    )
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]
        return {"error": last}
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    if argv:
        paths = [BY_NAME[a].path() if a in BY_NAME else Path(a) for a in argv]
    else:
        paths = [max((i.path() for i in INPUTS), key=lambda p: p.stat().st_size)]
    for path in paths:
        mib = path.stat().st_size / (1 << 20)
        print(f"{path.name} ({mib:.1f} MiB file)")
        for how in METHODS:
            r = measure(path, how)
            if r is None or "error" in r:
                print(f"  {how:18} failed: {r and r['error']}")
                continue
            ratio = r["peak_above_idle"] / r["out"]
            note = "" if r["reset"] else "  (peak not reset: includes import peak)"
            print(
                f"  {how:18} peak above idle {r['peak_above_idle'] / (1 << 20):8.1f} MiB"
                f"  output {r['out'] / (1 << 20):8.1f} MiB  = {ratio:4.2f}x output{note}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
