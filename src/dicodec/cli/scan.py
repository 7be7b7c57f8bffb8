"""``dicodec scan``: index DICOM files into Parquet or CSV.

    dicodec scan /data/archive --tags PatientID,StudyInstanceUID,Modality -o index.parquet

One row per file: ``path``, one column per tag, ``transfer_syntax`` and
``error``. Shows a progress bar (files/s, errors) when stderr is a terminal
and ends with a one-line summary.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

DEFAULT_TAGS = (
    "PatientID,PatientName,StudyInstanceUID,SeriesInstanceUID,SOPInstanceUID,"
    "Modality,StudyDate,Rows,Columns,NumberOfFrames"
)


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "scan",
        help="index the tags of many DICOM files into Parquet or CSV",
        description=__doc__.replace("``", ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument(
        "--tags",
        default=DEFAULT_TAGS,
        help="comma-separated keywords or gggg,eeee / (gggg,eeee) tags "
        "(tags given as gggg,eeee need parentheses or a 0x prefix: (0010,0020) / 0x00100020)"
        f" [default: {DEFAULT_TAGS}]",
    )
    p.add_argument(
        "-o",
        "--output",
        help="output file: .parquet or .csv (default: CSV on standard output)",
    )
    p.add_argument("--threads", type=int, default=None, help="scan threads (default: all cores)")
    p.add_argument("--no-recursive", action="store_true", help="do not descend into subfolders")
    p.add_argument(
        "--fail-fast",
        action="store_true",
        help="stop at the first file that cannot be scanned (exit status 1)",
    )
    p.add_argument("--batch-size", type=int, default=4096, help="files per batch [4096]")
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="exit 0 when no file is found (default: a warning and exit status 1)",
    )
    bar = p.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress", action="store_true", help="progress bar even when stderr is not a terminal"
    )
    bar.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def split_tags(text: str) -> list[str]:
    """Splits ``--tags``: commas separate tags, except inside ``(gggg,eeee)``."""
    out: list[str] = []
    depth = 0
    cur = ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return [t for t in out if t]


def _csv_ready(batch: Any) -> Any:
    """CSV cannot hold lists or bytes: lists become ``\\``-joined strings,
    bytes become hex."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    fields = []
    for field, col in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_list(field.type):
            strings = pc.cast(col, pa.list_(pa.string()))
            col = pc.binary_join(strings, "\\")
        elif pa.types.is_binary(field.type):
            col = pa.array([None if v is None else v.hex() for v in col.to_pylist()], pa.string())
        cols.append(col)
        fields.append(pa.field(field.name, col.type))
    return pa.RecordBatch.from_arrays(cols, schema=pa.schema(fields))


class _Writer:
    def __init__(self, output: str | None) -> None:
        self.output = output
        self.kind = "csv"
        if output and output.lower().endswith((".parquet", ".pq")):
            self.kind = "parquet"
        elif output and not output.lower().endswith(".csv"):
            raise ValueError(f"output must end in .parquet or .csv: {output}")
        self._w: Any = None
        self._sink: IO[bytes] | None = None

    def write(self, batch: Any) -> None:
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        if self.kind == "parquet":
            if self._w is None:
                self._w = pq.ParquetWriter(self.output, batch.schema)
            self._w.write_batch(batch)
            return
        batch = _csv_ready(batch)
        if self._w is None:
            if self.output:
                self._w = pacsv.CSVWriter(self.output, batch.schema)
            else:
                self._sink = sys.stdout.buffer
                self._w = pacsv.CSVWriter(self._sink, batch.schema)
        self._w.write_batch(batch)

    def close(self, schema: Any) -> None:
        import pyarrow as pa

        if self._w is None:  # no file at all: still write the header/schema
            self.write(pa.RecordBatch.from_pylist([], schema=schema))
        self._w.close()
        if self._sink is not None:
            self._sink.flush()


def _progress(enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(unit=" files", unit_scale=True, dynamic_ncols=True, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from dicodec._settings import check_threads
    from dicodec.cli._common import CliError, check_inputs, check_output_file, require
    from dicodec.errors import DicodecError, SettingsError

    require("dicodec scan", ["pyarrow"], "scan")
    from dicodec.scan import scan_batches, scan_schema

    check_inputs(args.paths)
    if args.output:
        check_output_file(args.output)
    try:
        check_threads(args.threads, "--threads")
    except SettingsError as e:
        raise CliError(str(e)) from None
    tags = split_tags(args.tags)
    try:
        schema = scan_schema(tags)
        options: dict[str, Any] = {
            "batch_size": args.batch_size,
            "threads": args.threads,
            "recursive": not args.no_recursive,
            "errors": "raise" if args.fail_fast else "record",
        }
        # .zip/.tar/.tar.gz named here are read member by member, as decode does.
        from dicodec.batch.sources import is_archive
        from dicodec.cli._scan_archives import scan_archive_batches

        archives = [p for p in args.paths if is_archive(p) and os.path.isfile(p)]
        plain = [p for p in args.paths if p not in archives]
        batches: Iterator[Any] = itertools.chain(
            scan_batches(plain, tags, **options) if plain else iter(()),
            scan_archive_batches(archives, tags, **options),
        )
        writer = _Writer(args.output)
    except (ValueError, TypeError) as exc:
        print(f"dicodec scan: {exc}", file=sys.stderr)
        return 2
    bar = _progress(args.progress or (not args.no_progress and sys.stderr.isatty()))
    files = errors = 0
    t0 = time.perf_counter()
    status = 0
    try:
        for batch in batches:
            writer.write(batch)
            n = batch.num_rows
            files += n
            errors += n - batch.column("error").null_count
            if bar is not None:
                bar.update(n)
                bar.set_postfix(errors=errors, refresh=False)
    except DicodecError as exc:
        print(f"dicodec scan: stopped at the first error (--fail-fast): {exc}", file=sys.stderr)
        status = 1
    finally:
        if bar is not None:
            bar.close()
        writer.close(schema)
    dt = time.perf_counter() - t0
    rate = files / dt if dt > 0 else 0.0
    where = args.output or "standard output"
    done = " written before the error" if status else ""
    print(
        f"dicodec scan: {_plural(files, 'file')}{done}, {_plural(errors, 'error')}, "
        f"{dt:.2f} s ({rate:,.0f} files/s) -> {where}",
        file=sys.stderr,
    )
    if status == 0 and files == 0 and not args.allow_empty:
        print(
            f"dicodec scan: warning: no files found in {' '.join(args.paths)} "
            "(--allow-empty to accept)",
            file=sys.stderr,
        )
        return 1
    return status


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
