"""The batch engine: enumerate, read headers, plan, decode (local thread pool
or Dask), write, journal, index."""

from __future__ import annotations

import itertools
import json
import math
import os
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from dicodec._frames import parse_frames, pick_frames
from dicodec._settings import check_threads
from dicodec.batch.duplicates import drop_duplicates
from dicodec.batch.failures import header_error, with_path
from dicodec.batch.headers import Header, HeaderFailure, iter_headers, read_headers
from dicodec.batch.interrupt import DeferredInterrupt
from dicodec.batch.journal import STATE_DIR, Journal
from dicodec.batch.plan import FrameSpec, SeriesPlan, Task, plan_series, resolve_frames
from dicodec.batch.progress import ProgressArg, make_progress
from dicodec.batch.report import BatchReport, count_reasons, write_index
from dicodec.batch.sources import Item, enumerate_sources, iter_payloads
from dicodec.batch.work import (
    base_row,
    capture_warnings,
    decode_task,
    failure_row,
    run_batch,
    task_to_dict,
)
from dicodec.batch.writers import Writer, clear_output, make_writer

__all__ = ["decode", "iter_decode", "default_threads", "Source"]

Source = str | os.PathLike[str]


def default_threads() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _prepare_out(out: Path, fmt: str, overwrite: bool) -> None:
    state = out / STATE_DIR / "state.json"
    if overwrite:
        clear_output(out, STATE_DIR)
    elif out.exists() and any(out.iterdir()):
        if not state.is_file():
            raise FileExistsError(
                f"{out} is not empty and was not written by dicodec decode "
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


def _announcer(progress: ProgressArg) -> Callable[[str], None]:
    """Prints phase messages to stderr when a bar or lines are shown."""
    if progress in (True, "auto", "bar", "lines"):
        return lambda msg: print(f"dicodec decode: {msg}", file=sys.stderr, flush=True)
    return lambda msg: None


class _Run:
    """State of one :func:`decode` call."""

    def __init__(self, out: Path, fmt: str, writer: Writer, journal: Journal) -> None:
        self.out = out
        self.fmt = fmt
        self.writer = writer
        self.journal = journal
        self.rows: dict[str, dict[str, Any]] = {}
        self.remaining: dict[str, int] = {}
        self.plans: dict[str, SeriesPlan] = {}
        self.report = BatchReport(out=str(out), format=fmt)
        self.progress: Any = None
        #: Where series are finalised (attribute writes): the local pool, so
        #: the coordinating thread keeps feeding decoders; inline otherwise.
        self.pool: ThreadPoolExecutor | None = None
        self.finalizing: list[Future] = []

    def finalize_series(self, plan: SeriesPlan) -> None:
        if self.fmt != "zarr":
            return
        decoded = [self.rows[t.item.path]["status"] == "done" for t in plan.tasks]
        sig = f"{plan.tasks[0].slot.generation}|{''.join('1' if d else '0' for d in decoded)}"
        if self.journal.series.get(plan.key) == sig:
            return
        self.writer.finalize(plan, decoded)
        self.journal.series_done(plan.key, sig)

    def on_rows(self, tasks: list[Task], rows: list[dict[str, Any]]) -> None:
        """Records finished inputs: one journal write for all of them."""
        self.journal.tasks_done(
            [(t.item.key, t.signature(), row) for t, row in zip(tasks, rows, strict=True)]
        )
        for task, row in zip(tasks, rows, strict=True):
            self.rows[task.item.path] = row
            if row["status"] == "done":
                self.report.decoded += 1
                self.report.bytes_in += task.item.size
                self.report.bytes_out += row["bytes_out"]
            self.progress.update(failed=row["status"] == "failed", bytes_out=row["bytes_out"])
            self.remaining[task.series] -= 1
            if self.remaining[task.series] == 0:
                plan = self.plans[task.series]
                if self.pool is not None:
                    self.finalizing.append(self.pool.submit(self.finalize_series, plan))
                else:
                    self.finalize_series(plan)


#: A chunk of the local pool holds at most this many bytes of archive members.
_CHUNK_BYTES = 64 << 20


def _decode_chunk(
    chunk: list[tuple[Task, str | bytes | BaseException]], writer: Writer, inner: int | None
) -> list[dict[str, Any]]:
    return [decode_task(task, payload, writer, inner) for task, payload in chunk]


def _run_local(run: _Run, todo: list[Task], threads: int) -> None:
    """The embedded pool: ``threads`` threads decode chunks of inputs (a few
    dozen at most, so the coordinating thread's per-future overhead is
    amortised) while this thread reads archive members, journals results and
    keeps at most ``2 * threads`` chunks in flight."""
    by_key = {t.item.key: t for t in todo}
    inner = 1 if len(todo) >= threads else None
    size = max(1, min(32, len(todo) // (8 * threads)))
    pending: dict[Future, list[Task]] = {}

    intr = DeferredInterrupt()

    def drain(block_until: int) -> None:
        while len(pending) > block_until:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for f in done:
                run.on_rows(pending.pop(f), f.result())
            intr.check()  # a Ctrl-C is acted on only here, between whole chunks

    ex = ThreadPoolExecutor(threads, thread_name_prefix="dicodec-decode")
    run.pool = ex
    chunk: list[tuple[Task, str | bytes | BaseException]] = []
    chunk_bytes = 0  # archive member bytes held by the chunk being filled

    def submit() -> None:
        nonlocal chunk_bytes
        chunk_bytes = 0
        drain(2 * threads - 1)
        pending[ex.submit(_decode_chunk, list(chunk), run.writer, inner)] = [t for t, _ in chunk]
        chunk.clear()

    try:
        with intr:
            for item, payload in iter_payloads([t.item for t in todo]):
                intr.check()
                chunk.append((by_key[item.key], payload))
                if isinstance(payload, bytes):
                    chunk_bytes += len(payload)
                if len(chunk) >= size or chunk_bytes >= _CHUNK_BYTES:
                    submit()
            if chunk:
                submit()
            drain(0)
            for f in run.finalizing:
                f.result()
    except KeyboardInterrupt:
        # Let what is running finish (it is recorded), drop what has not started.
        for f in list(pending):
            if f.cancel():
                del pending[f]
        for f, tasks in list(pending.items()):
            run.on_rows(tasks, f.result())
        raise
    finally:
        run.pool = None
        ex.shutdown(wait=True, cancel_futures=True)


def _dask_batches(todo: list[Task], nthreads: int) -> list[list[Task]]:
    """Work units for Dask, by series: the inputs of a series go together;
    small series are packed into one unit and large ones split, so that every
    worker thread gets several units of similar size. Members of compressed
    tars go in archive order (the client streams their bytes to the workers)."""
    streamed = [t for t in todo if t.item.streamed]
    size = max(1, min(64, math.ceil(len(todo) / max(1, 4 * nthreads))))
    by_series: dict[str, list[Task]] = {}
    for t in todo:
        if not t.item.streamed:
            by_series.setdefault(t.series, []).append(t)
    batches: list[list[Task]] = []
    current: list[Task] = []
    for tasks in by_series.values():
        if current and len(current) + len(tasks) > size:
            batches.append(current)
            current = []
        for i in range(0, len(tasks), size):
            part = tasks[i : i + size]
            if len(part) == size:
                batches.append(part)
            else:
                current.extend(part)
    if current:
        batches.append(current)
    batches.extend(streamed[i : i + size] for i in range(0, len(streamed), size))
    return batches


def _run_dask(run: _Run, todo: list[Task], client: Any) -> None:
    from distributed import Client, as_completed

    own = False
    if isinstance(client, str):
        client = Client(client)
        own = True
    try:
        nthreads = max(1, sum(client.nthreads().values()))
        inner = 1 if len(todo) >= nthreads else None
        batches = _dask_batches(todo, nthreads)
        streamed_payloads = iter_payloads([t.item for b in batches for t in b if t.item.streamed])
        shipped: dict[str, bytes | BaseException] = {}

        def payloads_for(batch: list[Task]) -> list[Any]:
            out: list[Any] = []
            for t in batch:
                if not t.item.streamed:
                    out.append(None)
                    continue
                while t.item.key not in shipped:
                    item, data = next(streamed_payloads)
                    shipped[item.key] = data
                data = shipped.pop(t.item.key)
                out.append(data if isinstance(data, bytes) else None)
            return out

        config = run.writer.config()
        futures: dict[Any, list[Task]] = {}
        queue = iter(batches)
        ac = as_completed()

        def submit_next() -> bool:
            batch = next(queue, None)
            if batch is None:
                return False
            fut = client.submit(
                run_batch,
                config,
                [task_to_dict(t) for t in batch],
                payloads_for(batch),
                inner,
                pure=False,
            )
            futures[fut] = batch
            ac.add(fut)
            return True

        for _ in range(4 * nthreads):
            if not submit_next():
                break
        try:
            with DeferredInterrupt() as intr:
                for fut in ac:
                    batch = futures.pop(fut)
                    try:
                        rows = fut.result()
                    except Exception as e:  # noqa: BLE001 - a lost worker fails its batch only
                        rows = []
                        for t in batch:
                            row = base_row(t.item, t.header)
                            row.update(
                                status="failed",
                                reason="worker_error",
                                error=f"{type(e).__name__}: {e}",
                            )
                            rows.append(row)
                    run.on_rows(batch, rows)
                    intr.check()  # acted on between whole batches only
                    submit_next()
        except KeyboardInterrupt:
            for fut in list(futures):
                fut.cancel()
            raise
    finally:
        if own:
            client.close()


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
    ``progress``: ``None``/``False`` (silent), ``"auto"`` (a bar on a
    terminal, lines otherwise), ``"bar"``, ``"lines"``, or a callable
    receiving counters after each input.

    When interrupted (``KeyboardInterrupt``), what finished is journalled and
    the index is written before the exception propagates.
    """
    t0 = time.perf_counter()
    if format not in ("zarr", "npy"):
        raise ValueError(f"unknown format {format!r} (zarr, npy)")
    out_path = Path(os.fspath(out)).absolute()
    _prepare_out(out_path, format, overwrite)
    writer = make_writer(format, out_path, compression)
    journal = Journal(out_path)
    run = _Run(out_path, format, writer, journal)
    report = run.report
    parse_frames(frames)  # refuses a bad selection before any work
    nthreads = check_threads(threads) or default_threads()

    # 1. Inputs and headers.
    source_errors: list[tuple[str, BaseException]] = []
    items = enumerate_sources(sources, exclude=[out_path], on_error=source_errors)
    say = _announcer(progress)
    say(f"{len(items)} inputs found; reading headers")
    for path, err in source_errors:
        item = Item(path=path, rel=Path(path).name, kind="file", size=0, key=path)
        run.rows[path] = failure_row(
            item, HeaderFailure("failed", "unreadable", f"{type(err).__name__}: {err}")
        )
    order = [it.path for it in items]
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

    entries, duplicates = drop_duplicates(entries)  # same SOP Instance UID, same pixels
    for item, dup in duplicates:
        run.rows[item.path] = failure_row(item, dup)

    # 2. Plan, create outputs, find what an earlier run finished.
    plans = plan_series(entries, fmt=format, frames=frames)
    report.series = len(plans)
    todo: list[Task] = []
    journal.open()
    try:
        for plan in plans:
            run.plans[plan.key] = plan
            gen = ""
            if format == "zarr":
                sig = plan.signature()
                rec = journal.arrays.get(plan.key)
                if rec is not None and rec["sig"] == sig:
                    gen = rec["gen"]
                else:
                    gen = uuid.uuid4().hex
                    writer.create(plan, gen)
                    journal.array_done(plan.key, sig, gen)
            else:
                writer.create(plan, gen)
            left = 0
            for t in plan.tasks:
                t.slot.generation = gen
                rec = journal.tasks.get(t.item.key)
                row = rec["row"] if rec is not None and rec["sig"] == t.signature() else None
                if row is not None and (
                    (row["status"] == "done" and writer.output_exists(t.slot))
                    or (row["status"] == "failed" and not retry_failed)
                ):
                    run.rows[t.item.path] = row
                    report.resumed += 1
                else:
                    todo.append(t)
                    left += 1
            run.remaining[plan.key] = left
            if left == 0:
                run.finalize_series(plan)

        # 3. Decode and write.
        total = len(todo) + report.resumed
        failed_early = sum(r["status"] == "failed" for r in run.rows.values())
        say(
            f"{len(plans)} series; {len(todo)} inputs to decode, {report.resumed} done before, "
            f"{failed_early} not decodable (see the index)"
        )
        run.progress = make_progress(progress, total, report.resumed, failed=failed_early)
        rank = {p: i for i, p in enumerate(order)}
        todo.sort(key=lambda t: rank[t.item.path])
        clean = False  # nothing left half-written: no temporary files to sweep next time
        try:
            if client is not None:
                _run_dask(run, todo, client)
            else:
                with capture_warnings():
                    _run_local(run, todo, nthreads)
            clean = True
        except KeyboardInterrupt:
            report.interrupted = True
            clean = client is None  # the local pool waited for what was running
            raise
        finally:
            run.progress.close()
            _finish(run, items, order, time.perf_counter() - t0)
            if clean:
                journal.compact()
                (out_path / STATE_DIR / "running").unlink(missing_ok=True)
    finally:
        journal.close()
    return report


def _finish(run: _Run, items: list[Item], order: list[str], seconds: float) -> None:
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
