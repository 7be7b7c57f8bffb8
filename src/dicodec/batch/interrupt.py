"""Ctrl-C that lands between two safe points.

Python raises ``KeyboardInterrupt`` in the main thread at whatever bytecode it
is running, which could be half way through recording a chunk of results
(journalled but not yet in the index). While a batch runs, the first SIGINT
only sets a flag; the coordinating loop raises ``KeyboardInterrupt`` itself at
the next point where its bookkeeping is consistent. A second SIGINT raises at
once, for a user who does not want to wait.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType


class DeferredInterrupt:
    """Context manager; :meth:`check` raises a deferred ``KeyboardInterrupt``.

    Only acts in the main thread and when SIGINT has Python's default handler
    (an application that installed its own keeps it)."""

    def __init__(self) -> None:
        self.pending = False
        self._previous: object = None
        self._installed = False

    def __enter__(self) -> DeferredInterrupt:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.pending:
            raise KeyboardInterrupt
        self.pending = True

    def check(self) -> None:
        """Raises ``KeyboardInterrupt`` if SIGINT arrived since the last check."""
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]
            self._installed = False
        if self.pending and exc_type is None:
            self.pending = False
            raise KeyboardInterrupt
