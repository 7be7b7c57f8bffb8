"""Where the decoding of :func:`dicodec.batch.decode` runs: the state of one
call (``Run``: rows, journal, series left to finalise) and the two executors,
the embedded thread pool (``run_local``) and Dask (``run_dask``)."""

from __future__ import annotations

import contextlib
import itertools
import math
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

from dicodec.batch.faults import OUTPUT_ERROR, OutputError
from dicodec.batch.interrupt import DeferredInterrupt
from dicodec.batch.journal import Journal
from dicodec.batch.plan import SeriesPlan, Task
from dicodec.batch.report import BatchReport
from dicodec.batch.sources import Item, Readers, iter_payloads
from dicodec.batch.spool import Spool
from dicodec.batch.work import base_row, decode_task, run_batch, task_to_dict
from dicodec.batch.writers import Writer

__all__ = ["Run", "TaskList", "Todo", "dask_batches", "pack_batches", "run_dask", "run_local"]


class Todo(Protocol):
    """The tasks a run has left: how many, in listing order, and grouped by
    series (the inputs of one series consecutive; Dask's units)."""

    total: int

    def in_order(self) -> Iterator[Task]: ...

    def by_series(self) -> Iterator[Task]: ...


class TaskList:
    """A :class:`Todo` from a list of tasks (tests, small runs)."""

    def __init__(self, tasks: list[Task]) -> None:
        self.tasks = tasks
        self.total = len(tasks)

    def in_order(self) -> Iterator[Task]:
        return iter(self.tasks)

    def by_series(self) -> Iterator[Task]:
        groups: dict[str, list[Task]] = {}
        for t in self.tasks:
            groups.setdefault(t.series, []).append(t)
        return (t for g in groups.values() for t in g)


class Run:
    """State of one :func:`decode` call. What is per input lives in the
    run's scratch database (``spool``); what is here is per series at most
    (Zarr: inputs left and array generation, to finalise each series)."""

    def __init__(self, out: Path, fmt: str, writer: Writer, journal: Journal, spool: Spool) -> None:
        self.out = out
        self.fmt = fmt
        self.writer = writer
        self.journal = journal
        self.spool = spool
        #: Zarr: series key -> inputs not finished yet, and the generation of
        #: its array (finalised when the count reaches 0).
        self.remaining: dict[str, int] = {}
        self.generations: dict[str, tuple[str, bool]] = {}
        self.report = BatchReport(out=str(out), format=fmt)
        self.progress: Any = None
        #: Where series are finalised (attribute writes): the local pool, so
        #: the coordinating thread keeps feeding decoders; inline otherwise.
        self.pool: ThreadPoolExecutor | None = None
        self.finalizing: deque[Future] = deque()

    def track_series(self, key: str, generation: str, stacked: bool, left: int) -> None:
        """Zarr: series ``key`` has ``left`` inputs to decode; finalised now
        when none."""
        if self.fmt != "zarr":
            return
        self.generations[key] = (generation, stacked)
        self.remaining[key] = left
        if left == 0:
            self.finalize_series(key)

    def finalize_series(self, key: str) -> None:
        """Records which inputs of the series hold data (read here, in the
        coordinating thread; written in the pool when there is one)."""
        if self.fmt != "zarr":
            return
        gen, stacked = self.generations.pop(key)
        self.remaining.pop(key, None)
        decoded = [s == "done" for s in self.spool.series_statuses(key)]
        sig = f"{gen}|{''.join('1' if d else '0' for d in decoded)}"
        if self.journal.series.get(key) == sig:
            return
        plan = SeriesPlan(key, stacked, [])
        if self.pool is not None:
            while self.finalizing and self.finalizing[0].done():
                self.finalizing.popleft().result()
            self.finalizing.append(self.pool.submit(self._finalize, plan, decoded, sig))
        else:
            self._finalize(plan, decoded, sig)

    def _finalize(self, plan: SeriesPlan, decoded: list[bool], sig: str) -> None:
        self.writer.finalize(plan, decoded)
        self.journal.series_done(plan.key, sig)

    def on_rows(self, tasks: list[Task], rows: list[dict[str, Any]]) -> None:
        """Records finished inputs: one journal write for all of them."""
        self.journal.tasks_done(
            [(t.item.key, t.signature(), row) for t, row in zip(tasks, rows, strict=True)]
        )
        self.spool.put_rows([(t.seq, row) for t, row in zip(tasks, rows, strict=True)])
        for task, row in zip(tasks, rows, strict=True):
            if row["status"] == "done":
                self.report.decoded += 1
                self.report.bytes_in += task.item.size
                self.report.bytes_out += row["bytes_out"]
            self.progress.update(failed=row["status"] == "failed", bytes_out=row["bytes_out"])
            if task.series in self.remaining:
                self.remaining[task.series] -= 1
                if self.remaining[task.series] == 0:
                    self.finalize_series(task.series)
        stop = next((r for r in rows if r["reason"] == OUTPUT_ERROR), None)
        if stop is not None:
            # The next input would fail the same way: stop (what finished is recorded).
            raise OutputError(OSError(stop["error"]), stop["output"] or "")


#: A chunk of the local pool holds at most this many bytes of archive members.
_CHUNK_BYTES = 64 << 20


def _decode_chunk(
    chunk: list[tuple[Task, str | bytes | BaseException]], writer: Writer, inner: int | None
) -> list[dict[str, Any]]:
    return [decode_task(task, payload, writer, inner) for task, payload in chunk]


def run_local(run: Run, todo: Todo, threads: int) -> None:
    """The embedded pool: ``threads`` threads decode chunks of inputs (a few
    dozen at most, so the coordinating thread's per-future overhead is
    amortised) while this thread reads archive members, journals results and
    keeps at most ``2 * threads`` chunks in flight. The tasks are taken from
    ``todo`` one at a time."""
    inner = 1 if todo.total >= threads else None
    size = max(1, min(32, todo.total // (8 * threads)))
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

    taken: deque[Task] = deque()  # the task whose item iter_payloads is reading

    def items() -> Iterator[Item]:
        for t in todo.in_order():
            taken.append(t)
            yield t.item

    try:
        with intr:
            for item, payload in iter_payloads(items()):
                task = taken.popleft()
                assert task.item is item
                intr.check()
                chunk.append((task, payload))
                if isinstance(payload, bytes):
                    chunk_bytes += len(payload)
                if len(chunk) >= size or chunk_bytes >= _CHUNK_BYTES:
                    submit()
            if chunk:
                submit()
            drain(0)
            while run.finalizing:
                run.finalizing.popleft().result()
    except (KeyboardInterrupt, OutputError):
        # Let what is running finish (it is recorded), drop what has not started.
        for f in list(pending):
            if f.cancel():
                del pending[f]
        for f, tasks in list(pending.items()):
            with contextlib.suppress(OutputError):
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
    tl = TaskList(todo)
    return list(pack_batches(tl.by_series(), tl.in_order(), _unit_size(len(todo), nthreads)))


def _unit_size(total: int, nthreads: int) -> int:
    return max(1, min(64, math.ceil(total / max(1, 4 * nthreads))))


def pack_batches(
    by_series: Iterable[Task], in_order: Iterable[Task], size: int
) -> Iterator[list[Task]]:
    """:func:`dask_batches` one unit at a time: ``by_series`` gives the
    tasks with the inputs of a series consecutive (those of compressed tars
    are left out here), ``in_order`` in listing order (only the compressed
    tars' are taken from it, in units at the end)."""
    current: list[Task] = []
    for _, group in itertools.groupby(
        (t for t in by_series if not t.item.streamed), key=lambda t: t.series
    ):
        first = True
        while part := list(itertools.islice(group, size)):
            if first and current and len(current) + len(part) > size:
                yield current
                current = []
            first = False
            if len(part) == size:
                yield part
            else:
                current.extend(part)
    if current:
        yield current
    streamed: list[Task] = []
    for t in in_order:
        if t.item.streamed:
            streamed.append(t)
            if len(streamed) == size:
                yield streamed
                streamed = []
    if streamed:
        yield streamed


def run_dask(run: Run, todo: Todo, client: Any) -> None:
    from distributed import Client, as_completed

    own = False
    if isinstance(client, str):
        client = Client(client)
        own = True
    readers = Readers()  # compressed tars: streamed here, in archive order
    try:
        nthreads = max(1, sum(client.nthreads().values()))
        inner = 1 if todo.total >= nthreads else None
        batches = pack_batches(todo.by_series(), todo.in_order(), _unit_size(todo.total, nthreads))

        def payloads_for(batch: list[Task]) -> list[Any]:
            out: list[Any] = []
            for t in batch:
                if not t.item.streamed:
                    out.append(None)
                    continue
                data = readers.read(t.item)
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
        readers.close()
        if own:
            client.close()
