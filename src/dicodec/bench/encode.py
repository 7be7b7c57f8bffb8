"""``dicodec bench --encode``: encoders compared on speed and compressed size.

Every encoder (``encode_peers.ENCODERS``) encodes every frame of each native
image of the benchmark set, one thread, from memory; the time is the best of
``repeat`` runs after one warm-up (the median is kept too) and MB/s counts the
*input* bytes. Before its time counts, each output frame is decoded by an
independent decoder (``encode_peers.CHECKERS``) and compared with the input:
an encoder whose output does not hold the input is reported as ``wrong`` and
not timed. The gzip size of each native file (level 6) is the size reference.
"""

from __future__ import annotations

import gc
import gzip
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import numpy as np

from dicodec.bench.encode_peers import (
    CHECKERS,
    CODECS,
    ENCODERS,
    EncoderSpec,
    Image,
    same_values,
)

__all__ = [
    "EncodeResult",
    "EncodeReport",
    "load_images",
    "run_encode",
    "format_encode_table",
    "format_encode_markdown",
]


@dataclass
class EncodeResult:
    encoder: str
    codec: str
    engine: str
    image: str
    is_dicodec: bool
    status: str  # ok | wrong | error | crashed | timeout | unsupported | missing
    message: str = ""
    times: list[float] = field(default_factory=list)
    #: CPU time of the encoding process per timed run (``time.process_time``).
    cpu_times: list[float] = field(default_factory=list)
    size: int = 0
    input_bytes: int = 0

    @property
    def best(self) -> float | None:
        return min(self.times) if self.status == "ok" and self.times else None

    @property
    def mb_per_s(self) -> float | None:
        b = self.best
        return self.input_bytes / b / 1e6 if b else None

    @property
    def cpu_mb_per_s(self) -> float | None:
        """Input MB/s per second of CPU time (best run): steadier than
        ``mb_per_s`` on a loaded machine."""
        b = min(self.cpu_times) if self.status == "ok" and self.cpu_times else None
        return self.input_bytes / b / 1e6 if b else None

    @property
    def ratio(self) -> float | None:
        return self.input_bytes / self.size if self.size and self.status == "ok" else None

    def to_json(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder,
            "codec": self.codec,
            "engine": self.engine,
            "image": self.image,
            "status": self.status,
            "message": self.message,
            "best_s": self.best,
            "median_s": median(self.times) if self.times else None,
            "times_s": self.times,
            "mb_per_s": self.mb_per_s,
            "cpu_times_s": self.cpu_times,
            "cpu_mb_per_s": self.cpu_mb_per_s,
            "compressed_bytes": self.size,
            "input_bytes": self.input_bytes,
            "compression_ratio": self.ratio,
        }


@dataclass
class EncodeReport:
    images: list[Image]
    results: list[EncodeResult]
    #: image -> (gzip size of the native file, native file size, seconds)
    gzip: dict[str, tuple[int, int, float]]
    repeat: int

    def to_json(self) -> dict[str, Any]:
        return {
            "repeat": self.repeat,
            "images": [
                {"key": i.key, "path": i.path, "shape": list(i.frames.shape), "bytes": i.nbytes}
                for i in self.images
            ],
            "gzip": {k: {"size": g, "file_size": f, "s": s} for k, (g, f, s) in self.gzip.items()},
            "results": [r.to_json() for r in self.results],
        }


def load_images(paths: Sequence[tuple[str, str]]) -> list[Image]:
    """(key, native file) pairs read with pydicom (frames, attributes)."""
    import pydicom
    from pydicom.pixels import pixel_array

    out = []
    for key, path in paths:
        ds = pydicom.dcmread(path)
        if int(ds.BitsAllocated) not in (8, 16):
            continue
        a = pixel_array(ds, raw=True)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        if frames == 1:
            a = a[np.newaxis]
        out.append(
            Image(
                key=key,
                path=str(path),
                frames=np.ascontiguousarray(a),
                bits_allocated=int(ds.BitsAllocated),
                bits_stored=int(ds.BitsStored),
                signed=bool(int(ds.PixelRepresentation)),
                photometric=str(ds.PhotometricInterpretation),
            )
        )
    return out


def _timed(
    fn: Callable[[], list[bytes]], repeat: int
) -> tuple[list[bytes], list[float], list[float]]:
    result = fn()  # the warm-up; its output is the one checked
    times, cpu = [], []
    for _ in range(max(repeat, 1)):
        gc.collect()
        gc.disable()
        try:
            c0 = time.process_time()
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        finally:
            gc.enable()
    return result, times, cpu


def _check(spec: EncoderSpec, img: Image, encoded: list[bytes]) -> str:
    """'' when every frame decodes back to the input, else what is wrong."""
    if len(encoded) != len(img.frames):
        return f"{len(encoded)} frames out, {len(img.frames)} in"
    name, make = CHECKERS[spec.codec]
    decode = make(img)
    for i, (b, frame) in enumerate(zip(encoded, img.frames, strict=True)):
        try:
            got = decode(bytes(b))
        except Exception as exc:
            return f"{name} cannot decode frame {i}: {type(exc).__name__}: {exc}"
        if not same_values(np.asarray(got), frame, img, spec.codec):
            return f"frame {i} decodes (with {name}) to other values"
    return ""


def _measure(spec: EncoderSpec, img: Image, repeat: int) -> EncodeResult:
    res = EncodeResult(
        spec.name, spec.codec, spec.engine, img.key, spec.is_dicodec, "ok", input_bytes=img.nbytes
    )
    missing = spec.missing()
    if missing:
        res.status, res.message = "missing", missing
        return res
    if not spec.supports(img):
        res.status, res.message = "unsupported", "not applicable"
        return res
    try:
        if spec.encode_all is not None:
            encode_all = spec.encode_all
            state = spec.prepare(img) if spec.prepare is not None else img
            encoded, times, cpu = _timed(lambda: encode_all(state), repeat)
        else:
            assert spec.make is not None
            enc = spec.make(img)
            encoded, times, cpu = _timed(lambda: [bytes(enc(f)) for f in img.frames], repeat)
    except Exception as exc:
        res.status, res.message = "error", f"{type(exc).__name__}: {exc}"[:300]
        return res
    wrong = _check(spec, img, encoded)
    res.size = sum(len(b) + len(b) % 2 for b in encoded)  # fragments are even
    if wrong:
        res.status, res.message = "wrong", wrong
        return res
    res.times, res.cpu_times = times, cpu
    return res


def _measure_isolated(spec: EncoderSpec, img: Image, repeat: int, timeout: float) -> EncodeResult:
    """``_measure`` in a forked child, so an encoder that crashes (GDCM may
    abort) or hangs costs only its own measurement."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, spec, img, repeat), daemon=True)
    proc.start()
    child.close()
    try:
        if parent.poll(timeout):
            try:
                res: EncodeResult = parent.recv()
                return res
            except EOFError:
                pass
        status, msg = "timeout", f"no result after {timeout:g} s"
        if proc.is_alive():
            proc.kill()
        else:
            status, msg = "crashed", f"encoder process died (exit code {proc.exitcode})"
        return EncodeResult(
            spec.name,
            spec.codec,
            spec.engine,
            img.key,
            spec.is_dicodec,
            status,
            msg,
            input_bytes=img.nbytes,
        )
    finally:
        proc.join(5)
        parent.close()


def _child(conn: Any, spec: EncoderSpec, img: Image, repeat: int) -> None:
    conn.send(_measure(spec, img, repeat))
    conn.close()


def run_encode(
    images: Sequence[Image],
    *,
    encoders: Sequence[EncoderSpec] = ENCODERS,
    codecs: Sequence[str] | None = None,
    repeat: int = 3,
    progress: Callable[[str], None] | None = None,
    isolate: bool = True,
    timeout: float = 300.0,
) -> EncodeReport:
    """Measures every encoder (of ``codecs``, default all) on every image,
    each measurement in a forked process unless ``isolate`` is false."""
    results = []
    for spec in encoders:
        if codecs is not None and spec.codec not in codecs:
            continue
        for img in images:
            if progress:
                progress(f"encode {CODECS[spec.codec]:<24} {spec.name:<20} {img.key}")
            if isolate and spec.missing() is None:
                results.append(_measure_isolated(spec, img, repeat, timeout))
            else:
                results.append(_measure(spec, img, repeat))
    gz = {}
    for img in images:
        with open(img.path, "rb") as f:
            data = f.read()
        t0 = time.perf_counter()
        size = len(gzip.compress(data, 6, mtime=0))
        gz[img.key] = (size, len(data), time.perf_counter() - t0)
    return EncodeReport(list(images), results, gz, repeat)


def _fastest_peer(rs: Sequence[EncodeResult]) -> EncodeResult | None:
    """The other encoder with the most input MB/s of CPU time."""
    peers = [r for r in rs if not r.is_dicodec and r.cpu_mb_per_s]
    return max(peers, key=lambda r: r.cpu_mb_per_s or 0.0) if peers else None


def _cell(r: EncodeResult, fastest: EncodeResult | None) -> str:
    if r.status in ("missing", "unsupported"):
        return "not yet" if r.is_dicodec and r.message.startswith("not yet") else ""
    if r.status != "ok":
        return r.status
    cell = f"{r.mb_per_s or 0.0:.0f} MB/s, {r.ratio:.2f}:1"
    if r.is_dicodec and fastest is not None and fastest.cpu_mb_per_s and r.cpu_mb_per_s:
        cell += f" (CPU {r.cpu_mb_per_s / fastest.cpu_mb_per_s:.2f}x)"
    return cell


def format_encode_markdown(report: EncodeReport, *, title_level: int = 4) -> str:
    """Per codec, an encoder × image table: input MB/s, compression ratio
    and, for dicodec, its speed relative to the fastest other encoder, by
    CPU time; then the gzip reference."""
    keys = [i.key for i in report.images]
    out: list[str] = []
    for codec, title in CODECS.items():
        rs = [r for r in report.results if r.codec == codec]
        names = list(dict.fromkeys(r.encoder for r in rs if r.status not in ("missing",)))
        names += [r.encoder for r in rs if r.is_dicodec and r.status == "missing"][:1]
        if not names:
            continue
        out += [f"{'#' * title_level} Encode: {title}", ""]
        out.append("| encoder | " + " | ".join(keys) + " |")
        out.append("|---|" + "---:|" * len(keys))
        for name in dict.fromkeys(names):
            cells = []
            for k in keys:
                here = [r for r in rs if r.image == k]
                r = next((x for x in here if x.encoder == name), None)
                cells.append("" if r is None else _cell(r, _fastest_peer(here)))
            label = f"**{name}**" if name == "dicodec" else name
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out.append("")
    out += [f"{'#' * title_level} Size reference: gzip -6 of the native file", ""]
    out.append("| image | native file | gzip | ratio |")
    out.append("|---|---:|---:|---:|")
    for k, (g, f, _) in report.gzip.items():
        out.append(f"| {k} | {f / 1e6:.2f} MB | {g / 1e6:.2f} MB | {f / g:.2f}:1 |")
    out.append("")
    return "\n".join(out)


def format_encode_table(report: EncodeReport) -> str:
    """The terminal report of an encode run."""
    lines = []
    for codec, title in CODECS.items():
        rs = [r for r in report.results if r.codec == codec]
        if not rs:
            continue
        lines += ["", f"== encode: {title} =="]
        for img in report.images:
            here = [r for r in rs if r.image == img.key]
            fastest = _fastest_peer(here)
            lines.append(f"{img.key}  [{img.frames.shape}, {img.nbytes / 1e6:.2f} MB in]")
            for r in here:
                if r.status == "ok":
                    rel = ""
                    if r.is_dicodec and fastest and fastest.cpu_mb_per_s and r.cpu_mb_per_s:
                        x = r.cpu_mb_per_s / fastest.cpu_mb_per_s
                        rel = f"  {x:.2f}x {fastest.encoder} (CPU time)"
                    lines.append(
                        f"  {r.encoder:<22}{r.mb_per_s or 0:>9.1f} MB/s {r.size:>11} B"
                        f"  {r.ratio or 0:>6.2f}:1{rel}"
                    )
                elif r.status != "unsupported":
                    lines.append(f"  {r.encoder:<22}{r.status}: {r.message}")
    lines.append("")
    for k, (g, f, s) in report.gzip.items():
        lines.append(f"gzip -6 of {k} native file: {f} -> {g} B ({f / g:.2f}:1, {s * 1e3:.0f} ms)")
    lines.append(
        f"MB/s of input, one thread, best of {report.repeat} after a warm-up; every output "
        "checked by an independent decoder before its time counts."
    )
    return "\n".join(lines).lstrip("\n") + "\n"
