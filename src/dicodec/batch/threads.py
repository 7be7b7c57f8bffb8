"""How many threads the batch functions use by default."""

from __future__ import annotations

import os

__all__ = ["default_threads"]


def default_threads() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
