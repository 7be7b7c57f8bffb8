"""One writer per output folder: ``OUT/.dicodec/lock``.

:func:`decode` holds an exclusive ``fcntl.flock`` on this file for the whole
run. A second run on the same OUT (another process, or another call in this
one) fails at once with :class:`OutputBusyError` instead of writing the same
files and journal. The kernel drops the lock when the process ends, even when
it is killed, so a stale lock file never blocks a resumed run. (On network
file systems ``flock`` may be local to one machine: do not run two Dask
clients on one OUT from different hosts.)
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["OutputBusyError", "hold", "locked_out", "LOCK_NAME"]

LOCK_NAME = "lock"
STATE_DIR = ".dicodec"  # as dicodec.batch.journal.STATE_DIR

F = TypeVar("F", bound=Callable[..., Any])


class OutputBusyError(RuntimeError):
    """Another dicodec run is writing this output folder."""


@contextlib.contextmanager
def hold(out: str | os.PathLike[str]) -> Iterator[Path | None]:
    """Holds the lock of ``out`` (created when missing). An ``out`` that is
    not empty and not dicodec's is left alone (``None``): the run refuses it
    anyway."""
    import fcntl

    out = Path(os.fspath(out)).absolute()
    out.mkdir(parents=True, exist_ok=True)
    state = out / STATE_DIR
    if not state.is_dir() and any(out.iterdir()):
        yield None
        return
    state.mkdir(exist_ok=True)
    path = state / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise OutputBusyError(
                f"{out} is being written by another dicodec run (process {other}); "
                "wait for it to finish, or choose another OUT"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock


def locked_out(fn: F) -> F:
    """Decorates ``fn(sources, out, ...)`` to run holding the lock of ``out``."""

    @functools.wraps(fn)
    def wrapper(sources: Any, out: Any, *args: Any, **kwargs: Any) -> Any:
        with hold(out):
            return fn(sources, out, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
