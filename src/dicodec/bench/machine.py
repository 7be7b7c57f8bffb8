"""The machine and library versions a benchmark ran with."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from dicodec.bench.peers import Peer

__all__ = ["cpu_model", "machine_info", "versions", "usable_cpus"]


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform``)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def machine_info() -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cpus_usable": usable_cpus(),
        "cpus_total": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }


def versions(peers: Sequence[type[Peer]] = ()) -> dict[str, str]:
    """Versions of dicodec, NumPy, pydicom and every peer's libraries."""
    out: dict[str, str] = {}
    for dist in ("dicodec", "numpy", "pydicom"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    for cls in peers:
        try:
            out.update({k: v for k, v in cls.versions().items() if v != "?"})
        except Exception:  # pragma: no cover - a version string only
            continue
    return out
