"""The batch engine: enumerate, read headers, plan, decode (local thread pool
or Dask), write, journal, index."""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
import uuid
from collections import Counter, deque
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
from dicodec.batch.plan import FrameSpec, SeriesKeys, SeriesPlan, Task, plan_group, resolve_frames
from dicodec.batch.progress import ProgressArg, make_progress
from dicodec.batch.report import BatchReport, write_index
from dicodec.batch.sources import Item, iter_sources
from dicodec.batch.spool import Spool, dumps
from dicodec.batch.threads import default_threads
from dicodec.batch.values import check_values, plan_values, read_lut_bits
from dicodec.batch.work import base_row, capture_warnings, failure_row, task_from_dict, task_to_dict
from dicodec.batch.writers import _atomic_write, clear_output, make_writer

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
        try:
            prev = json.loads(state.read_text()).get("format")
        except (ValueError, AttributeError):
            raise ValueError(
                f"{state} is damaged, so the format of the output in {out} is unknown; "
                "use overwrite=True (--overwrite) to start over"
            ) from None
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
    running.touch()  # first: a resumed run then drops a killed write's temporary file
    # Renamed into place: a run killed while writing it leaves the old file.
    _atomic_write(str(state), json.dumps({"format": fmt, "version": 1}).encode())


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
    left.

    Memory stays flat in the number of inputs: what is known per input (the
    listing, headers, tasks, index rows, the journal's records) is kept in
    the run's scratch database (:mod:`dicodec.batch.spool`) and read back a
    page at a time; only one series is planned at a time."""
    t0 = time.perf_counter()
    out_path = Path(os.fspath(out)).absolute()
    nthreads = check_threads(threads) or default_threads()
    _prepare_out(out_path, job.state, overwrite, job.command)
    writer = make_writer(job.fmt, out_path, job.writer_arg)
    spool = Spool(out_path / STATE_DIR)
    try:
        journal = Journal(out_path, spool)
        run = Run(out_path, job.fmt, writer, journal, spool)
        say = _announcer(progress, job.command)
        _read_inputs(run, sources, job, nthreads, say)
        journal.open()
        try:
            _plan_outputs(run, job.frames, retry_failed)
            _decode_and_write(run, client, nthreads, progress, say, t0)
        finally:
            journal.close()
    finally:
        spool.close()
    return run.report


class _Recorder:
    """Appends what the listing reports (sources that cannot be read,
    skipped members) to the index rows on disk, in the order reported."""

    def __init__(self, spool: Spool, row: Callable[[Any], dict[str, Any]]) -> None:
        self.spool = spool
        self.row = row

    def append(self, value: Any) -> None:
        self.spool.put_row(None, self.row(value))


def _source_error_row(value: tuple[str, BaseException]) -> dict[str, Any]:
    path, err = value
    item = Item(path=path, rel=Path(path).name, kind="file", size=0, key=path)
    return failure_row(item, HeaderFailure("failed", "unreadable", f"{type(err).__name__}: {err}"))


def _skip_row(value: tuple[Item, str, str]) -> dict[str, Any]:
    item, reason, message = value
    return failure_row(item, HeaderFailure("skipped", reason, message))


def _read_inputs(
    run: Run,
    sources: Source | Iterable[Source],
    job: Job,
    nthreads: int,
    say: Callable[[str], None],
) -> None:
    """Phase 1: lists the inputs and reads their headers into the run's
    scratch database: a failure row for every source or header that cannot
    be used, an entry (series, header) for every decodable input."""
    spool = run.spool
    frames = job.frames
    source_errors = _Recorder(spool, _source_error_row)
    member_skips = _Recorder(spool, _skip_row)
    for item in iter_sources(
        sources, exclude=[run.out], on_error=source_errors, on_skip=member_skips
    ):
        spool.add_input(item)
    spool.unique_rels(job.suffix)
    say(f"{spool.inputs} inputs found; reading headers")

    listed: deque[int] = deque()  # seq of the items read_headers is reading

    def items() -> Iterator[Item]:
        for seq, item in spool.iter_inputs():
            listed.append(seq)
            yield item

    keys = SeriesKeys()
    for item, h in read_headers(items(), threads=nthreads):
        seq = listed.popleft()  # read_headers keeps the order it is given
        if isinstance(h, HeaderFailure):
            spool.put_row(seq, failure_row(item, h))
            continue
        if resolve_frames(frames, h.frames) == []:
            spool.put_row(
                seq,
                failure_row(
                    item,
                    HeaderFailure(
                        "skipped", "no_selected_frames", f"frames {frames!r} not in {h.frames}", h
                    ),
                ),
            )
            continue
        if job.values == "modality" and item.kind == "file":
            read_lut_bits(h, item.path)  # the scanner's headers lack the LUT Sequence
        plan_values(h, job.values)
        dup = dumps([h.series_uid or "", h.sop_uid]) if job.dedupe and h.sop_uid else None
        spool.add_entry(seq, keys.key(item, h), dup, h.to_dict())
    if job.dedupe:
        # Same SOP Instance UID, same pixels: only the rare repeated UIDs are read.
        for group in spool.repeated():
            entries = [(item, Header.from_dict(h)) for _, item, h in group]
            seq_of = {id(item): seq for seq, item, _ in group}
            _, duplicates = drop_duplicates(entries)
            for item, dup_failure in duplicates:
                spool.drop_entry(seq_of[id(item)])
                spool.put_row(seq_of[id(item)], failure_row(item, dup_failure))


def _plan_outputs(run: Run, frames: FrameSpec, retry_failed: bool) -> int:
    """Phase 2: plans the series one at a time, creates their outputs (or
    finds those an earlier run created) and records the tasks still to do
    (returns how many); inputs an earlier run finished keep their journalled
    row."""
    spool = run.spool
    todo = 0
    for key in spool.series_keys():
        group = spool.series_entries(key)
        plan = plan_group(
            key,
            [(item, Header.from_dict(h)) for _, item, h in group],
            fmt=run.fmt,
            frames=frames,
            seqs=[seq for seq, _, _ in group],
        )
        del group
        run.report.series += 1
        gen = _series_generation(run, plan)
        left = 0
        for pos, t in enumerate(plan.tasks):
            t.slot.generation = gen
            row = _finished_row(run, t, retry_failed)
            if row is not None:
                spool.put_row(t.seq, row)
                spool.add_slot(t.seq, key, pos, None)
                run.report.resumed += 1
            else:
                spool.add_slot(t.seq, key, pos, task_to_dict(t))
                left += 1
        run.track_series(key, gen, plan.stacked, left)
        todo += left
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


class _SpooledTodo:
    """The tasks left, read from the run's scratch database (a :class:`Todo`)."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self.total = spool.count_todo()

    def in_order(self) -> Iterator[Task]:
        return (task_from_dict(d) for d in self.spool.iter_todo())

    def by_series(self) -> Iterator[Task]:
        return (task_from_dict(d) for d in self.spool.iter_todo_by_series())


def _decode_and_write(
    run: Run,
    client: Any,
    nthreads: int,
    progress: ProgressArg,
    say: Callable[[str], None],
    t0: float,
) -> None:
    """Phase 3: decodes and writes what is left (local pool or Dask), then
    writes the index, also when interrupted."""
    report = run.report
    todo = _SpooledTodo(run.spool)
    total = todo.total + report.resumed
    failed_early = run.spool.count_rows("failed")
    verb = "transcode" if run.fmt == "dicom" else "decode"
    say(
        f"{report.series} series; {todo.total} inputs to {verb}, {report.resumed} done before, "
        f"{failed_early} not decodable (see the index)"
    )
    run.progress = make_progress(progress, total, report.resumed, failed=failed_early, verb=verb)
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
        _finish(run, time.perf_counter() - t0)
        if clean:
            run.journal.compact()
            (run.out / STATE_DIR / "running").unlink(missing_ok=True)


def _finish(run: Run, seconds: float) -> None:
    """Writes the index (streamed from the scratch database: rows that are
    not a listed input first, then the inputs in listing order) and counts
    the report's totals on the way."""
    report = run.report
    report.files = report.failed = report.skipped = 0
    failures: Counter[str] = Counter()
    skipped: Counter[str] = Counter()

    def rows() -> Iterator[dict[str, Any]]:
        for item, row in run.spool.index_rows():
            if row is None:
                assert item is not None
                row = base_row(item, None)  # not reached: interrupted
            report.files += 1
            if row["status"] == "failed":
                report.failed += 1
                failures[row["reason"] or "unknown"] += 1
            elif row["status"] == "skipped":
                report.skipped += 1
                skipped[row["reason"] or "unknown"] += 1
            yield row

    report.index_path = str(write_index(run.out, rows()))
    report.failures = dict(failures)
    report.skipped_reasons = dict(skipped)
    report.seconds = seconds


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
    # The listing is read lazily; a look at its first inputs says whether
    # there are enough to give each thread whole inputs.
    listing = iter_sources(sources)
    first = list(itertools.islice(listing, nthreads))
    items = itertools.chain(first, listing)
    inner = 1 if len(first) >= nthreads else None

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
