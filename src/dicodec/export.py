"""``dicodec export``: display-ready PNG files from files, folders and archives.

Inputs are found, read and tracked with the machinery of ``dicodec decode``
(:mod:`dicodec.batch`): the same sources (files, folders, ``.zip``/``.tar``
archives), progress display, failure index (``OUT/index.parquet``) and
completion journal, so that re-running the same command resumes. Each input
is rendered with :func:`dicodec.render` (Modality LUT, VOI LUT or window,
MONOCHROME1 inversion, YCbCr → RGB, palettes) and encoded in Rust (``png``
crate with ``fdeflate``), frames in parallel.

Output names mirror the inputs: ``OUT/<rel>.png`` for a single frame,
``OUT/<rel>.<frame>.png`` (frame numbers from 0, 4
digits) for each frame of a multi-frame input; with ``montage=True`` one
contact sheet per series, ``OUT/<SeriesInstanceUID>.png``.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from dicodec import _native

__all__ = ["export", "montage", "encode_png"]

Window = None | str | tuple[float, float]


def encode_png(img: np.ndarray) -> bytes:
    """PNG bytes of one ``uint8``/``uint16`` image (rows, columns[, 1-4 channels])."""
    a = np.ascontiguousarray(img)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3:
        raise ValueError(f"an image needs 2 or 3 dimensions, got shape {img.shape}")
    return _native._pl_png(a, 1, a.shape[0], a.shape[1], a.shape[2])[0]


def montage(frames: np.ndarray, columns: int | None = None) -> np.ndarray:
    """A contact sheet of ``frames`` (frames, rows, columns[, channels]): a
    near-square grid, left to right then top to bottom, black where empty."""
    n = frames.shape[0]
    cols = columns or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    h, w = frames.shape[1:3]
    sheet = np.zeros((rows * h, cols * w) + frames.shape[3:], dtype=frames.dtype)
    for i in range(n):
        r, c = divmod(i, cols)
        sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = frames[i]
    return sheet


def _signature(window: Window, frames: Any, bits: int, montage_: bool) -> str:
    return json.dumps(
        {"f": "png", "w": window, "fr": frames, "b": bits, "m": "series" if montage_ else False},
        sort_keys=True,
    )


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _stem(rel: str) -> str:
    rel = rel.replace("::", "/")
    return rel[:-4] if rel.lower().endswith(".dcm") else rel


def _export_one(
    item: Any,
    payload: str | bytes | BaseException,
    out: Path,
    window: Window,
    frames: Any,
    bits: int,
    montage_: bool,
) -> dict[str, Any]:
    from dicodec.batch.plan import resolve_frames
    from dicodec.batch.work import base_row, classify
    from dicodec.display import render
    from dicodec.reader import frame_info

    row = base_row(item, None)
    t0 = time.perf_counter()
    try:
        if isinstance(payload, BaseException):
            raise payload
        if montage_:  # one sheet per series, written when all are rendered
            from dicodec.export_series import render_for_series

            r = render_for_series(item, payload, window, frames, bits)
            row.update(
                shape=list(r.frames.shape),
                dtype=str(r.frames.dtype),
                frame_count=r.frames.shape[0],
                series_uid=r.series,
                status="done",
                _rendered=r,
            )
            row["seconds"] = time.perf_counter() - t0
            return row
        info = frame_info(payload)
        nframes = info.frames
        sel = resolve_frames(frames, nframes)
        if sel is not None and not sel:
            raise IndexError(f"--frames selects none of the {nframes} frames")
        img = render(payload, sel, window=window, output="uint8" if bits == 8 else "uint16")
        multi = nframes > 1 or sel is not None and len(sel) > 1
        stack = img if (sel is not None or nframes > 1) else img[None]
        numbers = sel if sel is not None else list(range(nframes))
        stack = np.ascontiguousarray(stack)
        h, w = stack.shape[1:3]
        ch = stack.shape[3] if stack.ndim == 4 else 1
        pngs = _native._pl_png(stack, stack.shape[0], h, w, ch)
        stem = _stem(item.rel)
        if not multi:
            paths = [out / f"{stem}.png"]
        else:
            paths = [out / f"{stem}.{i:04d}.png" for i in numbers]
        for p, data in zip(paths, pngs, strict=True):
            _write(p, data)
        row.update(
            shape=list(img.shape),
            dtype=str(img.dtype),
            output=str(paths[0].relative_to(out)),
            frame_count=len(numbers),
            status="done",
            bytes_out=sum(len(d) for d in pngs),
        )
    except Exception as e:  # noqa: BLE001 - every failure is recorded, the batch goes on
        row.update(status="failed", reason=classify(e), error=f"{type(e).__name__}: {e}")
    row["seconds"] = time.perf_counter() - t0
    return row


def export(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    format: str = "png",
    window: Window = None,
    frames: int | Sequence[int] | str | None = None,
    bits: int = 8,
    montage: bool = False,
    threads: int | None = None,
    progress: Any = "auto",
    retry_failed: bool = False,
) -> Any:
    """Renders every DICOM image below ``sources`` into PNG files under ``out``
    (see the module docstring for names). ``window`` as :func:`dicodec.render`;
    ``frames`` as ``dicodec decode --frames``; ``bits`` 8 or 16; ``montage``:
    one contact sheet per series (``OUT/<SeriesInstanceUID>.png``, see
    :mod:`dicodec.export_series`) instead of one PNG per frame. Returns a
    :class:`dicodec.batch.BatchReport`; ``out/index.parquet`` lists every
    input (needs pyarrow, else ``out/index.jsonl``)."""
    from dicodec.batch.core import default_threads
    from dicodec.batch.journal import Journal
    from dicodec.batch.progress import make_progress
    from dicodec.batch.report import BatchReport, count_reasons
    from dicodec.batch.sources import enumerate_sources, iter_payloads
    from dicodec.batch.work import base_row, classify

    if format != "png":
        raise ValueError(f"unknown export format {format!r} (png)")
    if bits not in (8, 16):
        raise ValueError("bits must be 8 or 16")
    out_p = Path(out)
    out_p.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    errors: list[tuple[str, BaseException]] = []
    items = enumerate_sources(sources, exclude=[out_p], on_error=errors)
    journal = Journal(out_p)
    sig = _signature(
        window if not isinstance(window, list) else tuple(window), frames, bits, montage
    )
    keys = {it.key for it in items}
    done: dict[str, dict[str, Any]] = {}
    for key, rec in journal.tasks.items():
        if key in keys and rec.sig == sig:
            if rec.row["status"] == "done" or not retry_failed:
                done[key] = rec.row
    todo = [it for it in items if it.key not in done]
    prog = make_progress(
        progress,
        len(items),
        initial=len(items) - len(todo),
        failed=sum(r["status"] == "failed" for r in done.values()),
    )
    rows: dict[str, dict[str, Any]] = {}
    rendered: list[Any] = []
    nthreads = threads or default_threads()
    bytes_in = 0
    try:
        with ThreadPoolExecutor(nthreads) as pool:
            pending: set[Future[dict[str, Any]]] = set()
            owner: dict[Future[dict[str, Any]], Any] = {}

            def collect(block: int) -> None:
                nonlocal pending
                while len(pending) > block:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for f in finished:
                        it = owner.pop(f)
                        row = f.result()
                        rows[it.key] = row
                        r = row.pop("_rendered", None)
                        if r is None:
                            journal.tasks_done([(it.key, sig, row)])
                        else:  # journalled once its series' sheet is written
                            rendered.append(r)
                        prog.update(failed=row["status"] == "failed", bytes_out=row["bytes_out"])

            for it, payload in iter_payloads(todo):
                bytes_in += it.size
                f = pool.submit(_export_one, it, payload, out_p, window, frames, bits, montage)
                owner[f] = it
                pending.add(f)
                collect(2 * nthreads)
            collect(0)
        if montage and rendered:
            from dicodec.export_series import finish_montage

            pairs = finish_montage(rendered, rows, done, items, out_p, (window, frames, bits))
            journal.tasks_done([(key, sig, row) for key, row in pairs])
    finally:
        prog.close()
        journal.close()
    all_rows = [
        rows.get(it.key) or done[it.key] for it in items if it.key in rows or it.key in done
    ]
    for path, e in errors:
        r = base_row(SimpleNamespace(path=path, kind="file", size=0), None)  # type: ignore[arg-type]
        r.update(status="failed", reason=classify(e), error=f"{type(e).__name__}: {e}")
        all_rows.append(r)
    try:
        from dicodec.batch.report import write_index

        index = str(write_index(out_p, all_rows))
    except ImportError:
        index = str(out_p / "index.jsonl")
        with open(index, "w") as fh:
            for r in all_rows:
                fh.write(json.dumps(r, default=str) + "\n")
    new = list(rows.values())
    return BatchReport(
        out=str(out_p),
        format="png",
        files=len(items) + len(errors),
        decoded=sum(r["status"] == "done" for r in new),
        resumed=len(done),
        failed=sum(r["status"] == "failed" for r in all_rows),
        bytes_in=bytes_in,
        bytes_out=sum(r["bytes_out"] or 0 for r in new),
        seconds=time.perf_counter() - t0,
        failures=count_reasons(all_rows, "failed"),
        index_path=index,
    )
