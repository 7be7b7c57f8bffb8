"""Ctrl-C during a batch is acted on only between whole chunks of results
(tests/test_batch_resume.py checks the end-to-end effect on the index)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from dicodec.batch.interrupt import DeferredInterrupt


@pytest.fixture(autouse=True)
def default_sigint():
    """Python's own SIGINT handler, whatever this process inherited (a
    shell running the suite in the background starts it with SIGINT
    ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _sigint_self() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    # The handler runs in the main thread at the next bytecode boundary.
    for _ in range(100):
        time.sleep(0.001)


def test_first_sigint_is_deferred_to_check():
    with pytest.raises(KeyboardInterrupt):
        with DeferredInterrupt() as intr:
            _sigint_self()
            assert intr.pending  # noted, not raised
            reached = True
            intr.check()
    assert reached
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_second_sigint_raises_at_once():
    with DeferredInterrupt() as intr:
        _sigint_self()
        with pytest.raises(KeyboardInterrupt):
            _sigint_self()
        intr.pending = False


def test_pending_interrupt_raised_on_exit():
    with pytest.raises(KeyboardInterrupt):
        with DeferredInterrupt():
            _sigint_self()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_inactive_outside_main_thread():
    seen: list[object] = []

    def body() -> None:
        with DeferredInterrupt() as intr:
            seen.append(signal.getsignal(signal.SIGINT))
            intr.check()

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert seen == [signal.default_int_handler]


def test_custom_handler_is_kept():
    calls: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda s, f: calls.append(s))
    try:
        with DeferredInterrupt() as intr:
            _sigint_self()
            assert not intr.pending
        assert calls == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)
