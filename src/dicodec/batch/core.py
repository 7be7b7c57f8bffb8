"""The batch engine: enumerate, read headers, plan, decode (local thread pool
or Dask), write, journal, index."""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dicodec._frames import parse_frames, pick_frames
from dicodec._settings import check_threads
from dicodec.batch.duplicates import drop_duplicates
from dicodec.batch.execute import Run, run_dask, run_local
from dicodec.batch.failures import header_error, with_path
from dicodec.batch.faults import OUTPUT_ERROR
from dicodec.batch.headers import Header, HeaderFailure, iter_headers, read_headers
from dicodec.batch.journal import STATE_DIR, Journal
from dicodec.batch.lock import locked_out
from dicodec.batch.plan import FrameSpec, SeriesPlan, Task, plan_series, resolve_frames
from dicodec.batch.progress import ProgressArg, make_progress
from dicodec.batch.report import BatchReport, count_reasons, write_index
from dicodec.batch.sources import Item, enumerate_sources
from dicodec.batch.threads import default_threads
from dicodec.batch.values import check_values, plan_values, read_lut_bits
from dicodec.batch.work import base_row, capture_warnings, failure_row
from dicodec.batch.writers import clear_output, make_writer

__all__ = ["decode", "iter_decode", "default_threads", "Source", "Job", "run_job"]

Source = str | os.PathLike[str]


def _prepare_out(out: Path, fmt: str, overwrite: bool, command: str = "decode") -> None:
    state = out / STATE_DIR / "state.json"
    if overwrite:
        clear_output(out, STATE_DIR)
    elif out.exists() and any(p.name != STATE_DIR for p in out.iterdir()):  # lock only
        if not state.is_file():
            raise FileExistsError(
                f"{out} is not empty and was not written by dicodec {command} "
                "(choose another OUT, or empty it)"
            )
        prev = json.loads(state.read_text()).get("format")
        if prev != fmt:
            raise ValueError(
                f"{out} holds a {prev} output; use overwrite=True (--overwrite) to start over "
                f"as {fmt}"
            )
    (out / STATE_DIR).mkdir(parents=True, exist_ok=True)
    running = out / STATE_DIR / "running"
    if running.exists():
        # The last run was killed: drop the temporary files it was writing
        # (never renamed, so never journalled).
        for dirpath, _, files in os.walk(out):
            for f in files:
                if f.endswith(".partial"):
                    os.unlink(os.path.join(dirpath, f))
    state.write_text(json.dumps({"format": fmt, "version": 1}))
    running.touch()


def _announcer(progress: ProgressArg, command: str = "decode") -> Callable[[str], None]:
    """Prints phase messages to stderr when a bar or lines are shown."""
    if progress in (True, "auto", "bar", "lines"):
        return lambda msg: print(f"dicodec {command}: {msg}", file=sys.stderr, flush=True)
    return lambda msg: None


@locked_out
def decode(
    sources: Source | Iterable[Source],
    out: Source,
    *,
    threads: int | None = None,
    format: str = "zarr",
    frames: FrameSpec = None,
    client: Any = None,
    overwrite: bool = False,
    retry_failed: bool = False,
    compression: str = "lz4",
    progress: ProgressArg = None,
    values: str = "stored",
) -> BatchReport:
    """Decodes every DICOM input below ``sources`` into ``out``.

    ``sources``: files, folders (walked recursively) and ``.zip``/``.tar``/
    ``.tar.gz`` archives (read member by member, never extracted to disk).
    ``format="zarr"``: ``out`` becomes a Zarr v3 store with one array per series
    (see :mod:`dicodec.batch.plan` for the layout and stack order);
    ``format="npy"``: one ``.npy`` per input, mirroring the source tree.
    ``out/index.parquet`` gets one row per input (path, UIDs, transfer syntax,
    shape, dtype, output, status, reason, error).

    A failing input is recorded and the batch goes on. Outputs are written
    atomically and journalled, so calling again with the same arguments after
    an interruption resumes: inputs already done (or failed) are skipped
    (``retry_failed=True`` retries failures; ``overwrite=True`` starts over).

    ``threads``: inputs decoded at once (default: the CPUs available).
    ``client``: a ``dask.distributed.Client`` or scheduler address: the work is
    spread over its workers by series, each writing into ``out`` (which must be
    on a file system every worker sees). ``frames``: decode only these frames
    of every input (int, list, slice or ``"0,2,5:8"``: see :mod:`dicodec._frames`;
    indices past an input's end are left out). ``compression`` (Zarr): ``"lz4"``
    (Blosc LZ4 with byte shuffle, the default), ``"zstd"`` or ``"none"``.
    ``values``: ``"stored"`` (the default: :func:`dicodec.read_pixels`'s
    values), ``"modality"`` (Hounsfield units for CT: the Modality LUT, in the
    smallest dtype that holds the values) or ``"rgb"`` (YCbCr and palettes →
    RGB): see :mod:`dicodec.batch.values`.
    ``progress``: ``None``/``False`` (silent), ``"auto"`` (a bar on a
    terminal, lines otherwise), ``"bar"``, ``"lines"``, or a callable
    receiving counters after each input.

    When interrupted (``KeyboardInterrupt``), what finished is journalled and
    the index is written before the exception propagates.
    """
    if format not in ("zarr", "npy"):
        raise ValueError(f"unknown format {format!r} (zarr, npy)")
    parse_frames(frames)  # refuses a bad selection before any work
    check_values(values)
    job = Job("decode", format, format, compression, frames=frames, values=values)
    return run_job(
        job,
        sources,
        out,
        threads=threads,
        client=client,
        overwrite=overwrite,
        retry_failed=retry_failed,
        progress=progress,
    )


@dataclass(frozen=True)
class Job:
    """What a batch run makes of every input (shared by ``dicodec decode``
    and ``dicodec transcode``): ``fmt`` names the writer (see
    :func:`dicodec.batch.writers.make_writer`, which gets ``writer_arg``),
    ``state`` what ``OUT/.dicodec/state.json`` records (a rerun with another
    ``state`` is refused), ``suffix`` what the writer appends to mirrored
    output paths; ``dedupe`` drops repeated SOP Instance UIDs with equal
    pixels."""

    command: str
    fmt: str
    state: str
    writer_arg: str
    frames: FrameSpec = None
    dedupe: bool = True
    suffix: str = ".npy"
    #: Which values the writer stores (``--values``; see
    #: :mod:`dicodec.batch.values`).
    values: str = "stored"


def run_job(
    job: Job,
    sources: Source | Iterable[Source],
    out: Source,
    *,
    threads: int | None = None,
    client: Any = None,
    overwrite: bool = False,
    retry_failed: bool = False,
    progress: ProgressArg = None,
) -> BatchReport:
    """The batch engine (the caller holds the lock of ``out``): lists and
    reads the inputs, plans, runs the writer's work on every input (local
    pool or Dask), journals, writes the index; resumes what an earlier run
    left."""
    t0 = time.perf_counter()
    out_path = Path(os.fspath(out)).absolute()
    nthreads = check_threads(threads) or default_threads()
    _prepare_out(out_path, job.state, overwrite, job.command)
    writer = make_writer(job.fmt, out_path, job.writer_arg)
    journal = Journal(out_path)
    run = Run(out_path, job.fmt, writer, journal)
    say = _announcer(progress, job.command)

    inputs = _read_inputs(run, sources, job, nthreads, say)
    for item, h in inputs.entries:
        if job.values == "modality" and item.kind == "file":
            read_lut_bits(h, item.path)  # the scanner's headers lack the LUT Sequence
        plan_values(h, job.values)
    journal.open()
    try:
        todo = _plan_outputs(run, inputs, job.frames, retry_failed)
        _decode_and_write(run, inputs, todo, client, nthreads, progress, say, t0)
    finally:
        journal.close()
    return run.report


@dataclass
class _Inputs:
    """What phase 1 found: every input in listing order, and those whose
    headers make them decodable (the others already have their index row)."""

    items: list[Item]
    order: list[str]
    entries: list[tuple[Item, Header]]


def _read_inputs(
    run: Run,
    sources: Source | Iterable[Source],
    job: Job,
    nthreads: int,
    say: Callable[[str], None],
) -> _Inputs:
    """Phase 1: lists the inputs and reads their headers; records a failure
    row for every source or header that cannot be used."""
    frames = job.frames
    source_errors: list[tuple[str, BaseException]] = []
    member_skips: list[tuple[Item, str, str]] = []
    items = enumerate_sources(
        sources,
        exclude=[run.out],
        on_error=source_errors,
        on_skip=member_skips,
        suffix=job.suffix,
    )
    say(f"{len(items)} inputs found; reading headers")
    for path, err in source_errors:
        item = Item(path=path, rel=Path(path).name, kind="file", size=0, key=path)
        run.rows[path] = failure_row(
            item, HeaderFailure("failed", "unreadable", f"{type(err).__name__}: {err}")
        )
    for item, reason, message in member_skips:
        run.rows[item.path] = failure_row(item, HeaderFailure("skipped", reason, message))
    entries: list[tuple[Item, Header]] = []
    for item, h in read_headers(items, threads=nthreads):
        if isinstance(h, HeaderFailure):
            run.rows[item.path] = failure_row(item, h)
            continue
        if resolve_frames(frames, h.frames) == []:
            run.rows[item.path] = failure_row(
                item,
                HeaderFailure(
                    "skipped", "no_selected_frames", f"frames {frames!r} not in {h.frames}", h
                ),
            )
        else:
            entries.append((item, h))
    if job.dedupe:
        entries, duplicates = drop_duplicates(entries)  # same SOP Instance UID, same pixels
        for item, dup in duplicates:
            run.rows[item.path] = failure_row(item, dup)
    return _Inputs(items, [it.path for it in items], entries)


def _plan_outputs(run: Run, inputs: _Inputs, frames: FrameSpec, retry_failed: bool) -> list[Task]:
    """Phase 2: plans the series, creates their outputs (or finds those an
    earlier run created) and returns the tasks still to do; inputs an earlier
    run finished keep their journalled row."""
    plans = plan_series(inputs.entries, fmt=run.fmt, frames=frames)
    run.report.series = len(plans)
    todo: list[Task] = []
    for plan in plans:
        run.plans[plan.key] = plan
        gen = _series_generation(run, plan)
        left = 0
        for t in plan.tasks:
            t.slot.generation = gen
            row = _finished_row(run, t, retry_failed)
            if row is not None:
                run.rows[t.item.path] = row
                run.report.resumed += 1
            else:
                todo.append(t)
                left += 1
        run.remaining[plan.key] = left
        if left == 0:
            run.finalize_series(plan)
    return todo


def _series_generation(run: Run, plan: SeriesPlan) -> str:
    """Creates the series' output unless the journal says an earlier run
    created it for the same plan; returns its generation ('' for npy)."""
    if run.fmt != "zarr":
        run.writer.create(plan, "")
        return ""
    sig = plan.signature()
    rec = run.journal.arrays.get(plan.key)
    if rec is not None and rec.sig == sig:
        return rec.gen
    gen = uuid.uuid4().hex
    run.writer.create(plan, gen)
    run.journal.array_done(plan.key, sig, gen)
    return gen


def _finished_row(run: Run, task: Task, retry_failed: bool) -> dict[str, Any] | None:
    """The index row an earlier run journalled for ``task``, if it still
    holds: done with its output on disk, or failed (unless retrying)."""
    rec = run.journal.tasks.get(task.item.key)
    if rec is None or rec.sig != task.signature():
        return None
    row = rec.row
    if getattr(run.writer, "verify", False) and row["status"] == "done" and not row.get("verified"):
        return None  # written without verification (transcode): redone, verified
    if row["status"] == "done" and run.writer.output_exists(task.slot):
        return row
    if row["status"] == "failed" and not retry_failed and row["reason"] != OUTPUT_ERROR:
        return row  # output errors are not the input's fault: retried
    return None


def _decode_and_write(
    run: Run,
    inputs: _Inputs,
    todo: list[Task],
    client: Any,
    nthreads: int,
    progress: ProgressArg,
    say: Callable[[str], None],
    t0: float,
) -> None:
    """Phase 3: decodes and writes what is left (local pool or Dask), then
    writes the index, also when interrupted."""
    report = run.report
    total = len(todo) + report.resumed
    failed_early = sum(r["status"] == "failed" for r in run.rows.values())
    say(
        f"{report.series} series; {len(todo)} inputs to decode, {report.resumed} done before, "
        f"{failed_early} not decodable (see the index)"
    )
    verb = "transcode" if run.fmt == "dicom" else "decode"
    run.progress = make_progress(progress, total, report.resumed, failed=failed_early, verb=verb)
    rank = {p: i for i, p in enumerate(inputs.order)}
    todo.sort(key=lambda t: rank[t.item.path])
    clean = False  # nothing left half-written: no temporary files to sweep next time
    try:
        if client is not None:
            run_dask(run, todo, client)
        else:
            with capture_warnings():
                run_local(run, todo, nthreads)
        clean = True
    except KeyboardInterrupt:
        report.interrupted = True
        clean = client is None  # the local pool waited for what was running
        raise
    finally:
        run.progress.close()
        _finish(run, inputs.items, inputs.order, time.perf_counter() - t0)
        if clean:
            run.journal.compact()
            (run.out / STATE_DIR / "running").unlink(missing_ok=True)


def _finish(run: Run, items: list[Item], order: list[str], seconds: float) -> None:
    rows = []
    by_path = {it.path: it for it in items}
    for path in list(run.rows) + [p for p in order if p not in run.rows]:
        row = run.rows.get(path)
        if row is None:
            row = base_row(by_path[path], None)  # not reached: interrupted
        rows.append(row)
    # Source-level errors first, then inputs in enumeration order.
    rank = {p: i for i, p in enumerate(order)}
    rows.sort(key=lambda r: rank.get(r["path"], -1))
    report = run.report
    report.files = len(rows)
    report.failed = sum(r["status"] == "failed" for r in rows)
    report.skipped = sum(r["status"] == "skipped" for r in rows)
    report.failures = count_reasons(rows, "failed")
    report.skipped_reasons = count_reasons(rows, "skipped")
    report.seconds = seconds
    report.index_path = str(write_index(run.out, rows))


def iter_decode(
    sources: Source | Iterable[Source],
    *,
    threads: int | None = None,
    prefetch: int | None = None,
    frames: FrameSpec = None,
    errors: str = "raise",
) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """Yields ``(path, array, meta)`` for every input below ``sources`` (files,
    folders, archives — as :func:`decode`), in listing order, while up to
    ``prefetch`` inputs (default ``4 * threads``) are read and decoded ahead on
    ``threads`` threads (dicodec releases the GIL, so they run in parallel).

    ``meta`` holds the header values (UIDs, transfer syntax, geometry, rescale
    and window values...). ``frames`` means what it means for
    :func:`dicodec.read_pixels` (an int: that frame, no frame axis; a sequence,
    slice or ``"0,2,5:8"``: those frames), indices past an input's end left out.
    ``errors="raise"`` raises the first decoding error (with ``.path``, also
    in its message); ``"skip"`` leaves failing inputs out; ``"yield"`` yields
    them as
    ``(path, None, meta)`` with ``meta["error"]`` set.

    Closing the generator (or breaking out of the loop) stops the workers."""
    if errors not in ("raise", "skip", "yield"):
        raise ValueError(f"errors must be 'raise', 'skip' or 'yield', not {errors!r}")
    selection = parse_frames(frames)  # refuses a bad selection before any work
    nthreads = check_threads(threads) or default_threads()
    depth = max(1, prefetch if prefetch is not None else 4 * nthreads)
    items = enumerate_sources(sources)
    inner = 1 if len(items) >= nthreads else None

    def work(
        item: Item, payload: str | bytes | BaseException, h: Header | HeaderFailure
    ) -> tuple[Any, dict[str, Any]]:
        from dicodec import read_pixels

        meta: dict[str, Any] = {"path": item.path}
        if isinstance(payload, BaseException):
            return payload, meta
        if isinstance(h, HeaderFailure):
            meta.update(h.header.to_dict() if h.header else {})
            if h.status == "skipped":
                meta["skipped"] = h.reason
            return header_error(h), meta
        meta.update(h.to_dict())
        try:
            return read_pixels(
                payload, frames=pick_frames(selection, h.frames), threads=inner
            ), meta
        except Exception as e:  # noqa: BLE001
            return e, meta

    # Inputs go to the pool in small groups (one future per group keeps this
    # thread's bookkeeping small next to the decoding); results come back in order.
    group = max(1, min(16, depth // (2 * nthreads)))

    def work_group(batch: list[tuple]) -> list[tuple[Any, dict[str, Any]]]:
        return [work(*args) for args in batch]

    ex = ThreadPoolExecutor(nthreads, thread_name_prefix="dicodec-iter")
    queue: deque[tuple[list[Item], Future]] = deque()
    queued = 0
    # Headers: plain files by dicodec.scan in chunks (parallel, in Rust),
    # archive members by pydicom; decoding runs ahead on the pool.
    source = iter_headers(items, layout=False, chunk=max(256, depth), threads=nthreads)
    try:
        exhausted = False
        while True:
            while not exhausted and queued < depth:
                batch = list(itertools.islice(source, group))
                if not batch:
                    exhausted = True
                    break
                queue.append(([b[0] for b in batch], ex.submit(work_group, batch)))
                queued += len(batch)
            if not queue:
                return
            batch_items, fut = queue.popleft()
            queued -= len(batch_items)
            for item, (result, meta) in zip(batch_items, fut.result(), strict=True):
                if isinstance(result, BaseException):
                    meta["error"] = f"{type(result).__name__}: {result}"
                    if errors == "skip" or ("skipped" in meta and errors == "raise"):
                        continue
                    if errors == "raise":
                        raise with_path(result, item.path)
                    yield item.path, None, meta
                    continue
                yield item.path, result, meta
    finally:
        for _, f in queue:
            f.cancel()
        ex.shutdown(wait=True, cancel_futures=True)
