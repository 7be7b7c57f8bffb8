"""Settings checked in one place: ``threads=`` values and the allocation
limit (``DICODEC_MAX_ALLOC`` / :func:`dicodec.set_max_alloc`).

Sizes are bytes or a number with a unit: ``"1G"``, ``"512MiB"``, ``"1.5GB"``,
``"64k"``. Decimal units (``kB``, ``MB``, ``GB``, ``TB``) are powers of 1000,
binary units (``KiB``, ``MiB``, ``GiB``, ``TiB``) and the single letters
(``K``, ``M``, ``G``, ``T``) powers of 1024. Anything else is refused with
:class:`dicodec.errors.SettingsError`, never silently replaced by the default.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from dicodec import _native
from dicodec.errors import SettingsError

__all__ = [
    "MAX_THREADS",
    "check_threads",
    "parse_size",
    "set_max_alloc",
    "get_max_alloc",
    "apply_environment",
]

#: The largest ``threads=`` accepted (the Rust core refuses more too).
MAX_THREADS = 1024

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1 << 10,
    "m": 1 << 20,
    "g": 1 << 30,
    "t": 1 << 40,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
    "tib": 1 << 40,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*")


def check_threads(threads: Any, what: str = "threads") -> int | None:
    """``None`` or an ``int`` in ``1..MAX_THREADS``; refuses anything else."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not hasattr(threads, "__index__"):
        raise SettingsError(f"{what} must be an integer or None, not {type(threads).__name__}")
    n = int(threads.__index__())
    if n < 1:
        raise SettingsError(f"{what} must be >= 1 (or None for one thread per CPU), not {n}")
    if n > MAX_THREADS:
        raise SettingsError(
            f"{what}={n} is more than the {MAX_THREADS} threads dicodec accepts "
            f"(this machine has {os.cpu_count()} CPUs; leave it unset for one thread per CPU)"
        )
    return n


def parse_size(value: Any, what: str = "size") -> int:
    """Bytes from an ``int`` or a string with an optional unit; must be > 0."""
    if isinstance(value, bool):
        raise SettingsError(f"{what}: expected a size, not {value!r}")
    if isinstance(value, int) or hasattr(value, "__index__") and not isinstance(value, str):
        n = int(value.__index__())
    elif isinstance(value, str):
        m = _SIZE.fullmatch(value)
        unit = m.group(2).lower() if m else None
        if m is None or unit not in _UNITS:
            raise SettingsError(
                f"{what}: {value!r} is not a size (expected bytes or a number with a unit, "
                'e.g. "1073741824", "1G", "512MiB", "1.5GB")'
            )
        n = int(float(m.group(1)) * _UNITS[unit])
    else:
        raise SettingsError(f"{what}: expected a size, not {type(value).__name__}")
    if n <= 0:
        raise SettingsError(f"{what}: the size must be more than 0 bytes, not {value!r}")
    return n


def set_max_alloc(size: int | str | None) -> None:
    """Sets the largest single allocation dicodec makes (one decoded array,
    one inflated dataset...): bytes or a size with a unit (``"4GiB"``);
    ``None`` restores the default (16 GiB). Zero, negative values and
    garbage raise :class:`dicodec.errors.SettingsError`."""
    if size is None:
        _native.set_max_alloc(0)  # the core's "restore the default"
        return
    _native.set_max_alloc(parse_size(size, "max_alloc"))


def get_max_alloc() -> int:
    """The current limit in bytes for one allocation."""
    return int(_native.get_max_alloc())


def apply_environment() -> None:
    """Applies ``DICODEC_MAX_ALLOC`` (sizes with units accepted); a value
    that is not a size raises :class:`SettingsError` (at ``import dicodec``)."""
    raw = os.environ.get("DICODEC_MAX_ALLOC")
    if raw is None or not raw.strip():
        return
    try:
        size = parse_size(raw, "DICODEC_MAX_ALLOC")
    except SettingsError as e:
        if _running_cli():  # the `dicodec` command: one line, no traceback
            sys.stderr.write(f"dicodec: {e}\n")
            raise SystemExit(2) from None
        raise
    _native.set_max_alloc(size)


def _running_cli() -> bool:
    """Whether this process is the ``dicodec`` console script or ``python -m dicodec``."""
    argv0 = sys.argv[0] if sys.argv else ""
    name = os.path.basename(argv0)
    return name in ("dicodec", "dicodec.exe") or argv0.endswith(
        os.path.join("dicodec", "__main__.py")
    )
