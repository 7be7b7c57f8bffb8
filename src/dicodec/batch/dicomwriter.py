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

__all__ = ["DicomWriter", "transcode_options"]


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
            _atomic_write(inside(self._out, slot.array), None, write=lambda f: f.writelines(parts))
        except OSError as e:  # the output's fault, not the input's
            raise OutputError(e, slot.array) from e
        return sum(memoryview(p).nbytes for p in parts)
