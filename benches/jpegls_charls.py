"""JPEG-LS decode speed: CharLS (imagecodecs) on streams it encoded from corpus images.

    python benches/jpegls_charls.py make /tmp/jlsbench   # writes NAME_nearN.jls
    python benches/jpegls_charls.py time /tmp/jlsbench   # CharLS decode/encode MB/s per stream
    cargo run --release --manifest-path ext/Cargo.toml -p dicodec-core \
        --example jls_bench /tmp/jlsbench                 # dicodec MB/s per stream
One thread, frames from memory, best of several runs, MB/s of decoded output;
times are CPU time of the process (the shared machine is loaded: wall time varies 2x).

Same process, interleaved with CharLS through its C API (the preferred comparison):
    python benches/jpegls_charls.py raw /tmp/jlsraw      # NAME_WxHxC_BITS.raw
    CHARLS_LIB=$(python -c "import imagecodecs, glob, os; print(glob.glob(os.path.join(
        os.path.dirname(imagecodecs.__file__), '..', 'imagecodecs.libs', 'libcharls*'))[0])") \
    cargo run --release --manifest-path ext/Cargo.toml -p dicodec-core \
        --example jls_vs_charls /tmp/jlsraw 15            # every NEAR / interleave mode
"""

import sys
import time
from pathlib import Path

import imagecodecs
import numpy as np
import pydicom

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"
IMAGES = {
    "ct16": "wg04__REF_CT1_UNC.dcm",
    "mr12": "pydicomdata__MR2_UNCI.dcm",
    "cr15": "pydicomdata__RG1_UNCI.dcm",
    "rgb8": "pydicomdata__US1_UNCR.dcm",
}


def make(out: Path, corpus: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, f in IMAGES.items():
        a = pydicom.dcmread(corpus / f).pixel_array
        if a.dtype.kind == "i":
            a = a.view(a.dtype.str.replace("i", "u"))
        a = np.ascontiguousarray(a)
        for near in (0, 2):
            (out / f"{name}_near{near}.jls").write_bytes(imagecodecs.jpegls_encode(a, level=near))


def raw(out: Path, corpus: Path) -> None:
    """Writes the images as NAME_WxHxC_BITS.raw for examples/jls_vs_charls.rs."""
    out.mkdir(parents=True, exist_ok=True)
    for name, f in IMAGES.items():
        ds = pydicom.dcmread(corpus / f)
        a = ds.pixel_array
        if a.dtype.kind == "i":
            a = a.view(a.dtype.str.replace("i", "u"))
        a = np.ascontiguousarray(a)
        h, w = a.shape[:2]
        nc = 1 if a.ndim == 2 else a.shape[2]
        bits = max(int(ds.BitsStored), int(a.max()).bit_length())
        a.astype("<u2" if a.dtype.itemsize == 2 else "u1").tofile(
            out / f"{name}_{w}x{h}x{nc}_{bits}.raw"
        )
        if name == "mr12":
            # The bench set's mr8: the 12-bit MR's top 8 bits (8-bit grey).
            (a.astype(np.int64) >> max(int(ds.BitsStored) - 8, 0)).astype("u1").tofile(
                out / f"mr8_{w}x{h}x{nc}_8.raw"
            )


def timeit(out: Path) -> None:
    for f in sorted(out.glob("*.jls")):
        b = f.read_bytes()
        a = imagecodecs.jpegls_decode(b)
        best = 1e9
        t_end = time.perf_counter() + 1.5
        while time.perf_counter() < t_end:
            t = time.process_time()
            imagecodecs.jpegls_decode(b)
            best = min(best, time.process_time() - t)
        near = int(f.stem.split("near")[1])
        best_enc = 1e9
        t_end = time.perf_counter() + 1.5
        while time.perf_counter() < t_end:
            t = time.process_time()
            imagecodecs.jpegls_encode(a, level=near)
            best_enc = min(best_enc, time.process_time() - t)
        print(
            f"{f.name:16} CharLS decode {a.nbytes / best / 1e6:7.1f} MB/s  "
            f"encode {a.nbytes / best_enc / 1e6:7.1f} MB/s"
        )


if __name__ == "__main__":
    cmd, out = sys.argv[1], Path(sys.argv[2])
    corpus = Path(sys.argv[3]) if len(sys.argv) > 3 else CORPUS
    if cmd == "make":
        make(out, corpus)
    elif cmd == "raw":
        raw(out, corpus)
    else:
        timeit(out)
