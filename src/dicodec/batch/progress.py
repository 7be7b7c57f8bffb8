"""Progress display: a tqdm bar on a terminal (files, MB/s decoded, ETA,
failures so far), plain periodic lines otherwise, or nothing."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, Any

__all__ = ["Progress", "make_progress", "ProgressArg"]

ProgressArg = bool | str | Callable[[dict[str, Any]], None] | None


class Progress:
    """Counts what is done; subclasses show it."""

    def __init__(self, total: int, initial: int = 0, failed: int = 0) -> None:
        #: What the plain lines say is done ("decode", "transcode").
        self.verb = "decode"
        self.total = total
        self.done = initial
        self.failed = failed
        self.bytes_out = 0
        self.t0 = time.perf_counter()
        self._base = initial
        self.failed_before = failed  # not decodable (headers), counted before decoding

    def snapshot(self) -> dict[str, Any]:
        dt = max(time.perf_counter() - self.t0, 1e-9)
        rate = (self.done - self._base) / dt
        left = self.total - self.done
        return {
            "done": self.done,
            "total": self.total,
            "failed": self.failed,
            "bytes_out": self.bytes_out,
            "seconds": dt,
            "files_per_s": rate,
            "mb_per_s": self.bytes_out / dt / 1e6,
            "eta_s": left / rate if rate > 0 else None,
        }

    def update(self, *, failed: bool, bytes_out: int) -> None:
        self.done += 1
        self.failed += bool(failed)
        self.bytes_out += bytes_out
        self.show()

    def show(self) -> None:  # pragma: no cover - overridden
        pass

    def close(self) -> None:
        pass


class _Callback(Progress):
    def __init__(
        self, total: int, initial: int, failed: int, fn: Callable[[dict[str, Any]], None]
    ) -> None:
        super().__init__(total, initial, failed)
        self.fn = fn

    def show(self) -> None:
        self.fn(self.snapshot())


class _Bar(Progress):
    def __init__(self, total: int, initial: int, failed: int, stream: IO[str]) -> None:
        super().__init__(total, initial, failed)
        from tqdm import tqdm

        self.bar = tqdm(total=total, initial=initial, unit="file", file=stream, dynamic_ncols=True)
        self._last = 0.0

    def show(self) -> None:
        now = time.perf_counter()
        self.bar.update(self.done - self.bar.n)
        if now - self._last > 0.2 or self.done == self.total:
            s = self.snapshot()
            self.bar.set_postfix_str(
                f"{s['mb_per_s']:.1f} MB/s, failed {self.failed}", refresh=False
            )
            self._last = now

    def close(self) -> None:
        self.show()
        self.bar.close()


def _fmt_eta(s: float | None) -> str:
    if s is None:
        return "?"
    s = int(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class _Lines(Progress):
    def __init__(
        self, total: int, initial: int, failed: int, stream: IO[str], every: float
    ) -> None:
        super().__init__(total, initial, failed)
        self.stream = stream
        self.every = every
        self._next = time.perf_counter() + every

    def line(self) -> str:
        s = self.snapshot()
        pct = 100.0 * s["done"] / s["total"] if s["total"] else 100.0
        failed = s["failed"] - self.failed_before
        before = f" (+{self.failed_before} not decodable)" if self.failed_before else ""
        return (
            f"{self.verb}: {s['done']}/{s['total']} files ({pct:.1f}%), "
            f"{s['files_per_s']:.1f} files/s {self.verb[:-1]}ing, {s['mb_per_s']:.1f} MB/s, "
            f"ETA {_fmt_eta(s['eta_s'])}, "
            f"failed {failed}{before}"
        )

    def show(self) -> None:
        now = time.perf_counter()
        if now >= self._next:
            self._next = now + self.every
            print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        print(self.line(), file=self.stream, flush=True)


def have_tqdm() -> bool:
    """Whether tqdm can be imported (it is optional: ``pip install 'dicodec[batch]'``)."""
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def make_progress(
    arg: ProgressArg,
    total: int,
    initial: int = 0,
    stream: IO[str] | None = None,
    every: float = 5.0,
    failed: int = 0,
    verb: str = "decode",
) -> Progress:
    """``arg``: ``False``/``None``/``"none"`` — silent; ``True``/``"auto"`` —
    a bar on a terminal, periodic lines otherwise; ``"bar"`` (plain lines
    when tqdm is not installed); ``"lines"``; or
    a callable receiving a dict of counters after each input. ``initial`` and
    ``failed`` count what was done (failed) before the first update;
    ``verb`` names the work in the plain lines ("decode", "transcode")."""
    prog = _make_progress(arg, total, initial, stream, every, failed)
    prog.verb = verb
    return prog


def _make_progress(
    arg: ProgressArg,
    total: int,
    initial: int,
    stream: IO[str] | None,
    every: float,
    failed: int,
) -> Progress:
    stream = stream or sys.stderr
    if callable(arg):
        return _Callback(total, initial, failed, arg)
    if arg in (None, False, "none"):
        return Progress(total, initial, failed)
    if arg in (True, "auto"):
        arg = "bar" if getattr(stream, "isatty", lambda: False)() else "lines"
    if arg == "bar" and not have_tqdm():
        arg = "lines"  # tqdm is optional (the batch extra): plain lines without it
    if arg == "bar":
        return _Bar(total, initial, failed, stream)
    if arg == "lines":
        return _Lines(total, initial, failed, stream, every)
    raise ValueError(f"unknown progress {arg!r} (auto, bar, lines, none, or a callable)")
