"""The result of a batch run and the ``index.parquet`` it leaves in OUT."""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BatchReport", "write_index", "INDEX_NAME"]

INDEX_NAME = "index.parquet"


@dataclass
class BatchReport:
    """What :func:`dicodec.batch.decode` did.

    ``files`` counts every input found; ``decoded`` those decoded in this run,
    ``resumed`` those an earlier run had finished (skipped now), ``failed``
    and ``skipped`` (not DICOM images) cover both. Bytes and throughput are
    for this run's decoding: ``bytes_in`` the input files read, ``bytes_out``
    the decoded arrays written."""

    out: str
    format: str
    files: int = 0
    decoded: int = 0
    resumed: int = 0
    failed: int = 0
    skipped: int = 0
    series: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    index_path: str = ""
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        """No input failed and the run was not interrupted."""
        return self.failed == 0 and not self.interrupted

    @property
    def files_per_s(self) -> float:
        return self.decoded / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        """Decoded megabytes (10^6 bytes) written per second."""
        return self.bytes_out / self.seconds / 1e6 if self.seconds > 0 else 0.0

    def table(self) -> str:
        """A human-readable summary table."""

        def reasons(d: dict[str, int]) -> str:
            return (
                ", ".join(f"{k}: {v}" for k, v in sorted(d.items(), key=lambda kv: -kv[1])) or "-"
            )

        verb = "transcoded" if self.format == "dicom" else "decoded"
        rows = [
            ("files", f"{self.files}"),
            (f"  {verb}", f"{self.decoded}"),
            ("  resumed (done before)", f"{self.resumed}"),
            ("  failed", f"{self.failed}"),
            ("  skipped (see reasons)", f"{self.skipped}"),
            ("series", f"{self.series}"),
            ("bytes in", _human(self.bytes_in)),
            ("bytes out", _human(self.bytes_out)),
            ("time", f"{self.seconds:.2f} s"),
            (
                "throughput (whole run)",
                f"{self.files_per_s:.1f} files/s, {self.mb_per_s:.1f} MB/s {verb} "
                "(the time includes listing, headers and planning; the progress line's "
                "rate counts decoding only)",
            ),
            ("failures by reason", reasons(self.failures)),
            ("skipped by reason", reasons(self.skipped_reasons)),
            ("output", f"{self.out} ({self.format})"),
            ("index", self.index_path),
        ]
        if self.interrupted:
            rows.append(("status", "INTERRUPTED - run the same command again to resume"))
        w = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


def _human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    return f"{n}"  # pragma: no cover


def count_reasons(rows: Iterable[dict[str, Any]], status: str) -> dict[str, int]:
    return dict(Counter(r["reason"] or "unknown" for r in rows if r["status"] == status))


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("path", pa.string()),
            ("source_kind", pa.string()),
            ("size", pa.int64()),
            ("patient_id", pa.string()),
            ("study_uid", pa.string()),
            ("series_uid", pa.string()),
            ("sop_uid", pa.string()),
            ("modality", pa.string()),
            ("transfer_syntax", pa.string()),
            ("instance_number", pa.int64()),
            ("shape", pa.list_(pa.int64())),
            ("dtype", pa.string()),
            ("output", pa.string()),
            ("frame_start", pa.int64()),
            ("frame_count", pa.int64()),
            ("status", pa.string()),
            ("reason", pa.string()),
            ("error", pa.string()),
            ("bytes_out", pa.int64()),
            ("seconds", pa.float64()),
            ("warnings", pa.string()),
        ]
    )


#: Index rows written to the Parquet file at a time (one row group each).
INDEX_BATCH = 1024


def write_index(out: Path, rows: Iterable[dict[str, Any]]) -> Path:
    """Writes ``OUT/index.parquet`` atomically (temporary name, then rename).
    ``rows`` is consumed :data:`INDEX_BATCH` at a time (a run over millions
    of inputs streams them from disk)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema()
    path = out / INDEX_NAME
    tmp = out / f".{INDEX_NAME}.{os.getpid()}.partial"
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            it = iter(rows)
            while batch := list(itertools.islice(it, INDEX_BATCH)):
                cols = {name: [r.get(name) for r in batch] for name in schema.names}
                writer.write_table(pa.table(cols, schema=schema))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # nothing half-written is left behind
        raise
    return path
