"""Batch decoding of large archives into Zarr or NumPy files.

>>> import dicodec.batch
>>> report = dicodec.batch.decode(["scans/", "more.zip"], "out.zarr", threads=8)
>>> print(report.table())

and, to feed a training loop without writing anything::

    for path, array, meta in dicodec.iter_decode("scans/", prefetch=32):
        ...

See :func:`decode` and :func:`iter_decode`; the Zarr layout and stack order
are described in :mod:`dicodec.batch.plan`.
"""

from __future__ import annotations

from dicodec.batch.core import decode, default_threads, iter_decode
from dicodec.batch.plan import resolve_frames
from dicodec.batch.report import INDEX_NAME, BatchReport
from dicodec.batch.sources import Item, enumerate_sources
from dicodec.batch.transcode import transcode

__all__ = [
    "decode",
    "transcode",
    "iter_decode",
    "BatchReport",
    "INDEX_NAME",
    "Item",
    "enumerate_sources",
    "resolve_frames",
    "default_threads",
]
