"""Output faults: failures to write OUT (disk full, file too large, quota,
read-only file system) are not the input's fault.

An :class:`OutputError` marks such a failure. The input's index row gets the
reason ``output_error`` (never ``unreadable``), the run stops after recording
what finished (the next input would most likely fail the same way), and a
rerun of the same command retries these inputs without ``--retry-failed``.
"""

from __future__ import annotations

__all__ = ["OutputError", "OUTPUT_ERROR", "stop_message"]

#: The failure reason of an input whose output could not be written.
OUTPUT_ERROR = "output_error"


class OutputError(OSError):
    """Writing to the output folder failed (``ENOSPC``, ``EFBIG``, ``EDQUOT``,
    ``EROFS``...). ``errno`` and ``strerror`` are those of the cause."""

    def __init__(self, cause: OSError, what: str = "") -> None:
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.cause = cause
        self.what = what

    def __str__(self) -> str:
        where = f" ({self.what})" if self.what else ""
        return f"cannot write the output{where}: {self.cause}"


def stop_message(err: BaseException) -> str:
    """What the CLI prints when a run stopped on an output error."""
    return (
        f"{err}\nThe run stopped: inputs finished so far are kept and recorded. "
        "Free space (or fix the output folder) and run the same command again to "
        "resume; inputs that failed to be written are retried."
    )
