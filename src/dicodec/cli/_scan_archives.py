"""``dicodec scan`` on ``.zip``/``.tar``/``.tar.gz`` archives named on the
command line, as ``dicodec decode`` reads them: the members are written to a
temporary folder (one archive at a time), scanned there, and reported with
the paths ``decode`` uses (``archive.zip::member``)."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from typing import Any

__all__ = ["scan_archive_batches"]


def scan_archive_batches(archives: list[str], tags: list[str], **options: Any) -> Iterator[Any]:
    """Record batches (as :func:`dicodec.scan_batches` yields) of the members
    of ``archives``; ``options`` are passed to ``scan_batches``. Members are
    written out and scanned ``batch_size`` at a time (and removed after), so
    neither memory nor the temporary folder grows with the archive."""
    import pyarrow as pa

    from dicodec.batch.sources import iter_payloads, iter_sources
    from dicodec.scan import scan_batches

    per_chunk = max(1, int(options.get("batch_size", 4096)))
    for archive in archives:
        with tempfile.TemporaryDirectory(prefix="dicodec-scan-") as tmp:
            members = iter_payloads(iter_sources([archive]))
            i = 0
            while True:
                names: dict[str, str] = {}
                start = i
                for item, payload in itertools.islice(members, per_chunk):
                    i += 1
                    if isinstance(payload, BaseException | str):
                        continue  # unreadable member: nothing to scan
                    path = os.path.join(tmp, f"{i:012d}")
                    with open(path, "wb") as f:
                        f.write(payload)
                    names[path] = item.path
                if i == start:  # every member listed
                    break
                if not names:
                    continue
                try:
                    for batch in scan_batches(sorted(names), tags, **options):
                        col = batch.schema.get_field_index("path")
                        paths = [names.get(p, p) for p in batch.column(col).to_pylist()]
                        yield batch.set_column(col, "path", pa.array(paths, pa.string()))
                finally:
                    for path in names:
                        os.unlink(path)
