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
            "input with its status. Re-running the same command resumes. Exit status: 0 "
            "done, 1 an input failed (or nothing was found), 2 a usage error (missing "
            "SOURCE, bad option, OUT not a folder), 130 interrupted."
        ),
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="file, folder or archive")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="output folder / Zarr store")
    p.add_argument(
        "--format",
        choices=("zarr", "npy"),
        default="zarr",
        help="zarr: one Zarr v3 store, an array per series (default); npy: one .npy per input",
    )
    p.add_argument(
        "--values",
        choices=("stored", "modality", "rgb"),
        default="stored",
        help="stored: the stored values (default); modality: the Modality LUT applied "
        "(Hounsfield units for CT) in the smallest dtype that holds them; rgb: YCbCr and "
        "palette colour images as RGB",
    )
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
        "--dask-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for the --dask scheduler (default: 10)",
    )
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="exit 0 when no input is found (default: a warning and exit status 1)",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "lines", "none"),
        default="auto",
        help="progress display (auto: a bar on a terminal, plain lines otherwise)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dicodec._frames import parse_frames
    from dicodec._settings import check_threads
    from dicodec.cli._common import (
        EXIT_FAILED,
        CliError,
        check_inputs,
        check_output_dir,
        require,
    )
    from dicodec.errors import FrameSelectionError, SettingsError

    modules = ["pydicom", "pyarrow"] + (["zarr"] if args.format == "zarr" else [])
    require("dicodec decode", modules, "batch")
    try:
        parse_frames(args.frames)
    except FrameSelectionError as e:
        raise CliError(f"--frames: {e}") from None
    try:
        check_threads(args.threads, "--threads")
    except SettingsError as e:
        raise CliError(str(e)) from None
    check_inputs(args.sources)
    check_output_dir(args.out)
    client = _connect(args.dask, args.dask_timeout) if args.dask else None
    from dicodec.batch import decode
    from dicodec.batch.faults import OutputError, stop_message
    from dicodec.batch.lock import OutputBusyError

    try:
        report = decode(
            args.sources,
            args.out,
            threads=args.threads,
            format=args.format,
            frames=args.frames,
            client=client,
            overwrite=args.overwrite,
            retry_failed=args.retry_failed,
            compression=args.compression,
            progress=args.progress,
            values=args.values,
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
    finally:
        if client is not None:
            client.close()
    print(report.table())
    if report.files == 0 and not args.allow_empty:
        print(
            f"dicodec decode: warning: no inputs found in {' '.join(args.sources)} "
            "(--allow-empty to accept)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0 if report.ok else EXIT_FAILED


def _connect(address: str, timeout: float):  # noqa: ANN202 - dask is optional
    """A ``dask.distributed.Client`` for ``address``, or one clear line."""
    from dicodec.cli._common import CliError, require

    require("dicodec decode --dask", ["distributed"], "dask")
    from distributed import Client

    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as e:
        raise CliError(
            f"--dask {address}: cannot reach the scheduler within {timeout:g} s ({e})"
        ) from None
