"""``dicodec scan`` on ``.zip``/``.tar``/``.tar.gz`` archives named on the
command line, as ``dicodec decode`` reads them: the members are written to a
temporary folder (one archive at a time), scanned there, and reported with
the paths ``decode`` uses (``archive.zip::member``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any

__all__ = ["scan_archive_batches"]


def scan_archive_batches(archives: list[str], tags: list[str], **options: Any) -> Iterator[Any]:
    """Record batches (as :func:`dicodec.scan_batches` yields) of the members
    of ``archives``; ``options`` are passed to ``scan_batches``."""
    import pyarrow as pa

    from dicodec.batch.sources import enumerate_sources, iter_payloads
    from dicodec.scan import scan_batches

    for archive in archives:
        items = enumerate_sources([archive])
        with tempfile.TemporaryDirectory(prefix="dicodec-scan-") as tmp:
            names: dict[str, str] = {}
            for i, (item, payload) in enumerate(iter_payloads(items)):
                path = os.path.join(tmp, f"{i:08d}")
                if isinstance(payload, BaseException | str):
                    continue  # unreadable member: nothing to scan
                with open(path, "wb") as f:
                    f.write(payload)
                names[path] = item.path
            if not names:
                continue
            for batch in scan_batches(sorted(names), tags, **options):
                col = batch.schema.get_field_index("path")
                paths = [names.get(p, p) for p in batch.column(col).to_pylist()]
                yield batch.set_column(col, "path", pa.array(paths, pa.string()))
