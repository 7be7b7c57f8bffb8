"""``dicodec decode SOURCE... -o OUT``: decode archives of DICOM files into a
Zarr v3 store (one array per series) or one ``.npy`` per input, with progress,
an index, resumption and optional Dask distribution."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "decode",
        help="decode files, folders and .zip/.tar/.tar.gz archives into Zarr or .npy",
        description=(
            "Decode every DICOM input below SOURCE... into OUT: a Zarr v3 store with one array "
            "per series (frames stacked by InstanceNumber, then position along the slice "
            "normal), or one .npy per input (--format npy). OUT/index.parquet lists every "
            "input with its status. Re-running the same command resumes; the exit status "
            "is 1 when an input failed, 130 when interrupted."
        ),
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="file, folder or archive")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="output folder / Zarr store")
    p.add_argument("--format", choices=("zarr", "npy"), default="zarr")
    p.add_argument(
        "--threads", type=int, default=None, help="inputs decoded at once (default: CPUs)"
    )
    p.add_argument(
        "--frames",
        default=None,
        metavar="SPEC",
        help='decode only these frames of each input, e.g. "0" or "0,2,5:8,-1"',
    )
    p.add_argument("--overwrite", action="store_true", help="delete OUT's previous output first")
    p.add_argument(
        "--retry-failed", action="store_true", help="on resume, retry inputs that failed before"
    )
    p.add_argument(
        "--compression",
        choices=("lz4", "zstd", "none"),
        default="lz4",
        help="Zarr chunk compression (default: Blosc LZ4 with byte shuffle)",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="distribute over an existing dask.distributed cluster (e.g. tcp://HOST:8786)",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "lines", "none"),
        default="auto",
        help="progress display (auto: a bar on a terminal, plain lines otherwise)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dicodec.batch import decode
    from dicodec.batch.faults import OutputError, stop_message
    from dicodec.batch.lock import OutputBusyError
    from dicodec.batch.plan import resolve_frames

    if args.frames is not None:
        try:
            resolve_frames(args.frames, 1)
        except ValueError as e:
            print(f"dicodec decode: --frames: {e}", file=sys.stderr)
            return 2
    if args.threads is not None and args.threads < 1:
        print("dicodec decode: --threads must be >= 1", file=sys.stderr)
        return 2
    try:
        report = decode(
            args.sources,
            args.out,
            threads=args.threads,
            format=args.format,
            frames=args.frames,
            client=args.dask,
            overwrite=args.overwrite,
            retry_failed=args.retry_failed,
            compression=args.compression,
            progress=args.progress,
        )
    except KeyboardInterrupt:
        print(
            "\ndicodec decode: interrupted; finished work is saved - run the same command "
            "again to resume.",
            file=sys.stderr,
        )
        return 130
    except (FileExistsError, ValueError, ImportError, OutputBusyError) as e:
        print(f"dicodec decode: {e}", file=sys.stderr)
        return 2
    except (OutputError, OSError) as e:  # writing OUT failed (disk full...)
        print(f"dicodec decode: {stop_message(e)}", file=sys.stderr)
        return 1
    print(report.table())
    return 0 if report.ok else 1
