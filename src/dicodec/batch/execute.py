"""Where the decoding of :func:`dicodec.batch.decode` runs: the state of one
call (``Run``: rows, journal, series left to finalise) and the two executors,
the embedded thread pool (``run_local``) and Dask (``run_dask``)."""

from __future__ import annotations

import math
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from dicodec.batch.interrupt import DeferredInterrupt
from dicodec.batch.journal import Journal
from dicodec.batch.plan import SeriesPlan, Task
from dicodec.batch.report import BatchReport
from dicodec.batch.sources import iter_payloads
from dicodec.batch.work import base_row, decode_task, run_batch, task_to_dict
from dicodec.batch.writers import Writer

__all__ = ["Run", "dask_batches", "run_dask", "run_local"]


class Run:
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


def run_local(run: Run, todo: list[Task], threads: int) -> None:
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


def dask_batches(todo: list[Task], nthreads: int) -> list[list[Task]]:
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


def run_dask(run: Run, todo: list[Task], client: Any) -> None:
    from distributed import Client, as_completed

    own = False
    if isinstance(client, str):
        client = Client(client)
        own = True
    try:
        nthreads = max(1, sum(client.nthreads().values()))
        inner = 1 if len(todo) >= nthreads else None
        batches = dask_batches(todo, nthreads)
        streamed_payloads = iter_payloads([t.item for b in batches for t in b if t.item.streamed])
        shipped: dict[str, str | bytes | BaseException] = {}

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
