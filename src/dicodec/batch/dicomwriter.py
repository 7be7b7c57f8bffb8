"""The writer of ``dicodec transcode``: one DICOM Part 10 file per input in
a tree mirroring the sources (see :func:`dicodec.batch.transcode`), each
written under a temporary name in its final folder, then renamed."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dicodec.batch.faults import OutputError
from dicodec.batch.plan import Slot
from dicodec.batch.safepath import inside
from dicodec.batch.writers import NpyWriter, _atomic_write

if TYPE_CHECKING:  # pragma: no cover
    from dicodec.batch.headers import Header

__all__ = ["DicomWriter", "transcode_options", "write_parts"]

#: Buffers per ``writev`` call (below every system's IOV_MAX).
_IOV = 512


def write_parts(f: Any, parts: list[Any]) -> None:
    """Writes the buffers ``parts`` one after the other to the binary file
    ``f``: with ``os.writev`` (a few system calls for a whole file, short
    writes continued) where there is one, else ``f.writelines``."""
    if not hasattr(os, "writev"):  # pragma: no cover - Windows
        f.writelines(parts)
        return
    f.flush()
    fd = f.fileno()
    views = [v for v in (memoryview(p).cast("B") for p in parts) if v.nbytes]
    i = 0
    while i < len(views):
        n = os.writev(fd, views[i : i + _IOV])
        if n <= 0:
            raise OSError(f"writev wrote {n} bytes")
        while n > 0:
            size = views[i].nbytes
            if n < size:
                views[i] = views[i][n:]
                break
            n -= size
            i += 1


def transcode_options(
    syntax: str, *, allow_lossy: bool, verify: bool, options: dict[str, Any]
) -> str:
    """The writer argument (one string, so it travels to Dask workers as
    the other writers' compression does)."""
    return json.dumps(
        {"syntax": syntax, "allow_lossy": allow_lossy, "verify": verify, "options": options},
        sort_keys=True,
    )


class DicomWriter(NpyWriter):
    """Transcodes each input with :func:`dicodec.transcode.transcode_file`
    and writes the file at ``OUT/<rel>`` (the mirrored, sanitised path)."""

    fmt = "dicom"

    def __init__(self, out: str | os.PathLike[str], compression: str) -> None:
        super().__init__(out, compression)
        opts = json.loads(compression)
        self.syntax: str = opts["syntax"]
        self.allow_lossy: bool = opts["allow_lossy"]
        self.verify: bool = opts["verify"]
        self.options: dict[str, Any] = opts["options"]

    def produce(
        self,
        slot: Slot,
        payload: str | bytes,
        threads: int | None,
        row: dict[str, Any],
        header: Header | None = None,
        before_write: Callable[[], None] | None = None,
    ) -> int:
        from dicodec.transcode import transcode_parts

        # The output as buffers written one after the other: the encoded
        # frames are written from the encoder's buffers, never joined.
        res, parts = transcode_parts(
            payload,
            self.syntax,
            allow_lossy=self.allow_lossy,
            verify=self.verify,
            threads=threads,
            reuse_buffer=True,  # the parts are written below, before the next input
            **self.options,
        )
        # Journalled (not in the index): a rerun with verify=True redoes the
        # outputs an earlier run wrote without verifying them.
        row.update(shape=list(res.shape), dtype=res.dtype, verified=self.verify)
        if res.max_error is not None:
            import warnings

            from dicodec.errors import DicodecWarning

            warnings.warn(
                f"lossy: largest difference from the source {res.max_error}",
                DicodecWarning,
                stacklevel=2,
            )
        if before_write is not None:
            before_write()
        try:
            _atomic_write(
                inside(self._out, slot.array), None, write=lambda f: write_parts(f, parts)
            )
        except OSError as e:  # the output's fault, not the input's
            raise OutputError(e, slot.array) from e
        return sum(memoryview(p).nbytes for p in parts)
