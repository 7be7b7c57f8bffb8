"""The unit of work: decode one input with dicodec and write it. Runs in the
local thread pool and on Dask workers alike; returns the input's index row."""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

from dicodec.batch.failures import InputChangedError, check_unchanged
from dicodec.batch.faults import OUTPUT_ERROR, OutputError
from dicodec.batch.headers import Header, HeaderFailure
from dicodec.batch.plan import Slot, Task
from dicodec.batch.sources import Item, item_to_dict, read_payload
from dicodec.batch.writers import LayoutMismatch, Writer, make_writer
from dicodec.errors import (
    DicodecError,
    DicodecWarning,
    LimitExceededError,
    MalformedError,
    UnsupportedError,
)
from dicodec.transcode import VerifyError

__all__ = ["decode_task", "classify", "base_row", "run_batch"]


_local = threading.local()


@contextlib.contextmanager
def capture_warnings() -> Iterator[None]:
    """While active, a :class:`dicodec.DicodecWarning` raised in a thread that
    is decoding a task goes into that task's index row (``warnings``) instead
    of stderr. Process-wide (``warnings`` state is), so the engine enters it
    once around a whole run."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", DicodecWarning)
        shown = warnings.showwarning

        def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            sink = getattr(_local, "sink", None)
            if sink is not None and issubclass(category, DicodecWarning):
                sink.append(str(message))
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        yield


#: Failure reason per exception type (first match wins).
_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (OutputError, OUTPUT_ERROR),
    (VerifyError, "verify_failed"),
    (InputChangedError, "input_changed"),
    (UnsupportedError, "unsupported"),
    (MalformedError, "malformed"),
    (LimitExceededError, "limit_exceeded"),
    (DicodecError, "decode_error"),
    (LayoutMismatch, "layout_mismatch"),
    (MemoryError, "out_of_memory"),
    (OSError, "unreadable"),
)


def classify(exc: BaseException) -> str:
    """The failure reason recorded for an exception."""
    return next((reason for t, reason in _REASONS if isinstance(exc, t)), "error")


def base_row(item: Item, header: Header | None) -> dict[str, Any]:
    """The index columns known before decoding."""
    h = header or Header()
    return {
        "path": item.path,
        "source_kind": item.kind,
        "size": item.size,
        "patient_id": h.patient_id,
        "study_uid": h.study_uid,
        "series_uid": h.series_uid,
        "sop_uid": h.sop_uid,
        "modality": h.modality,
        "transfer_syntax": h.transfer_syntax,
        "instance_number": h.instance_number,
        "shape": None,
        "dtype": None,
        "output": None,
        "frame_start": None,
        "frame_count": None,
        "status": "pending",
        "reason": None,
        "error": None,
        "bytes_out": 0,
        "seconds": 0.0,
        "warnings": None,
    }


def failure_row(item: Item, failure: HeaderFailure) -> dict[str, Any]:
    row = base_row(item, failure.header)
    row.update(status=failure.status, reason=failure.reason, error=failure.error)
    return row


def decode_task(
    task: Task, payload: str | bytes | BaseException, writer: Writer, threads: int | None
) -> dict[str, Any]:
    """Decodes ``task`` from ``payload`` (a path or member bytes; an exception
    if reading it failed) into its slot. Never raises for a bad input: the
    outcome is in the returned row's ``status``/``reason``/``error``."""
    row = base_row(task.item, task.header)
    slot = task.slot
    row.update(output=slot.array, frame_start=slot.start if writer.fmt == "zarr" else None)
    t0 = time.perf_counter()
    sink: list[str] = []
    _local.sink = sink
    try:
        if isinstance(payload, BaseException):
            raise payload
        item = task.item
        # A file is read by path: it must still be what the run listed (and
        # read the header of), before and after its output is made.
        same_file = isinstance(payload, str) and item.kind == "file" and "|" in item.key

        def unchanged() -> None:
            check_unchanged(item.path, item.size, item.key)

        if same_file:
            unchanged()
        row["bytes_out"] = writer.produce(
            slot, payload, threads, row, task.header, unchanged if same_file else None
        )
        row.update(status="done", frame_count=slot.count)
    except Exception as e:  # noqa: BLE001 - every failure is recorded, the batch goes on
        row.update(status="failed", reason=classify(e), error=f"{type(e).__name__}: {e}")
    finally:
        _local.sink = None
    row["seconds"] = time.perf_counter() - t0
    row["warnings"] = "; ".join(sink) or None
    return row


def run_batch(
    config: tuple[str, str, str],
    tasks: list[dict[str, Any]],
    payloads: list[bytes | None],
    threads: int | None,
) -> list[dict[str, Any]]:
    """A Dask task: decodes a batch of inputs of one series on a worker.
    ``tasks`` are plain dicts (see :func:`task_to_dict`); a payload is the
    member bytes shipped by the client (compressed tars) or ``None`` to read
    the input here (files, zip and tar members on a shared file system)."""
    fmt, out, compression = config
    writer = _worker_writer(fmt, out, compression)
    rows = []
    with capture_warnings():
        for d, shipped in zip(tasks, payloads, strict=True):
            rows.append(_run_one(task_from_dict(d), shipped, writer, threads))
    return rows


def _run_one(
    task: Task, shipped: bytes | None, writer: Writer, threads: int | None
) -> dict[str, Any]:
    payload: str | bytes | BaseException
    if shipped is not None:
        payload = shipped
    else:
        try:
            payload = read_payload(task.item)
        except Exception as e:  # noqa: BLE001
            payload = e
    return decode_task(task, payload, writer, threads)


_WRITERS: dict[tuple[str, str, str], Writer] = {}


def _worker_writer(fmt: str, out: str, compression: str) -> Writer:
    """One writer per worker process and output (keeps open arrays cached)."""
    key = (fmt, out, compression)
    w = _WRITERS.get(key)
    if w is None:
        w = _WRITERS[key] = make_writer(fmt, out, compression)
    return w


def task_to_dict(task: Task) -> dict[str, Any]:
    """``task`` as plain values (for Dask and the run's scratch database);
    what ``dataclasses.asdict`` gives, without its deep copies (this runs
    once per input)."""
    slot = task.slot
    return {
        "item": item_to_dict(task.item),
        "header": task.header.to_dict(),
        "slot": {
            "array": slot.array,
            "start": slot.start,
            "count": slot.count,
            "frames": None if slot.frames is None else list(slot.frames),
            "frame_shape": list(slot.frame_shape),
            "dtype": slot.dtype,
            "generation": slot.generation,
        },
        "series": task.series,
        "seq": task.seq,
    }


def task_from_dict(d: dict[str, Any]) -> Task:
    slot = dict(d["slot"])
    slot["frame_shape"] = tuple(slot["frame_shape"])
    return Task(
        Item(**d["item"]),
        Header.from_dict(d["header"]),
        Slot(**slot),
        d["series"],
        d.get("seq", -1),
    )
