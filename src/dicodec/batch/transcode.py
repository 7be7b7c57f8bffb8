"""``dicodec.batch.transcode``: every DICOM input below the sources,
re-encoded to one transfer syntax, written as a mirrored tree of Part 10
files. The engine (listing, headers, journal, resumption, lock, failure
index, output faults, Dask) is :func:`dicodec.batch.core.run_job`, shared
with :func:`dicodec.batch.decode`; what happens to one file is
:func:`dicodec.transcode.transcode_file`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from dicodec.batch.core import Job, Source, run_job
from dicodec.batch.dicomwriter import transcode_options
from dicodec.batch.lock import locked_out
from dicodec.batch.progress import ProgressArg
from dicodec.batch.report import BatchReport
from dicodec.transcode import check_target, resolve_syntax

__all__ = ["transcode"]


@locked_out
def transcode(
    sources: Source | Iterable[Source],
    out: Source,
    *,
    to: str,
    allow_lossy: bool = False,
    verify: bool = False,
    threads: int | None = None,
    client: Any = None,
    overwrite: bool = False,
    retry_failed: bool = False,
    progress: ProgressArg = None,
    **options: Any,
) -> BatchReport:
    """Transcodes every DICOM image below ``sources`` (files, folders,
    ``.zip``/``.tar``/``.tar.gz`` archives, as :func:`dicodec.batch.decode`
    reads them) to transfer syntax ``to`` and writes each as a Part 10 file
    at ``out/<source name>/<path below it>`` (names sanitised as the decode
    mirror's are; nothing is written outside ``out``).

    ``to``: a UID, a pydicom keyword or an alias (``"native"`` = Explicit VR
    Little Endian, ``"rle"``, ``"jpeg-lossless"`` (SV1, ``.70``),
    ``"jpeg-lossless-p14"`` (``.57``), ``"jpeg-ls"``, ``"deflate"``...; see
    :func:`dicodec.transcode.resolve_syntax`): any syntax dicodec encodes
    (:func:`dicodec.compress.encodable_syntaxes`). Lossy targets need
    ``allow_lossy=True``. Every element but Pixel Data, the Transfer Syntax
    UID, group lengths, the Extended Offset Table and the Image Pixel
    attributes the syntax requires (Planar Configuration, YBR_FULL_422 ->
    YBR_FULL) is kept (see :mod:`dicodec.transcode`). ``verify``: each
    output is decoded and compared with the source's pixels before it is
    kept (a mismatch fails the input with reason ``verify_failed``); a
    resumed run with ``verify=True`` redoes (and verifies) the outputs an
    earlier run wrote without it.
    ``options`` go to the encoder (JPEG Lossless: ``predictor``,
    ``restart_interval``, ``optimise``).

    Inputs without pixel data are skipped (reason in the index); inputs that
    fail are recorded and the batch goes on; a full output disk stops the
    run (reason ``output_error``, retried by the next run). Outputs are
    written atomically and journalled: calling again resumes. ``threads``,
    ``client`` (Dask), ``overwrite``, ``retry_failed`` and ``progress`` mean
    what they mean for :func:`dicodec.batch.decode`; ``out/index.parquet``
    lists every input.
    """
    uid = resolve_syntax(to)
    check_target(uid, allow_lossy)
    arg = transcode_options(uid, allow_lossy=allow_lossy, verify=verify, options=options)
    # What OUT holds: another target or other encoder options need --overwrite.
    state = f"dicom:{uid}" + (f" {json.dumps(options, sort_keys=True)}" if options else "")
    job = Job("transcode", "dicom", state, arg, dedupe=False, suffix="")
    return run_job(
        job,
        sources,
        out,
        threads=threads,
        client=client,
        overwrite=overwrite,
        retry_failed=retry_failed,
        progress=progress,
    )
