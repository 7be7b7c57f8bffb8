"""``dicodec decode SOURCE... -o OUT``: decode archives of DICOM files into a
Zarr v3 store (one array per series) or one ``.npy`` per input, with progress,
an index, resumption and optional Dask distribution."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from dicodec.cli._batch import add_batch_options

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
        "--frames",
        default=None,
        metavar="SPEC",
        help='decode only these frames of each input, e.g. "0" or "0,2,5:8,-1"',
    )
    p.add_argument(
        "--compression",
        choices=("lz4", "zstd", "none"),
        default="lz4",
        help="Zarr chunk compression (default: Blosc LZ4 with byte shuffle)",
    )
    add_batch_options(p, "decoded")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dicodec._frames import parse_frames
    from dicodec.cli._batch import run_batch
    from dicodec.cli._common import CliError, require
    from dicodec.errors import FrameSelectionError

    modules = ["pydicom", "pyarrow"] + (["zarr"] if args.format == "zarr" else [])
    require("dicodec decode", modules, "batch")
    try:
        parse_frames(args.frames)
    except FrameSelectionError as e:
        raise CliError(f"--frames: {e}") from None
    from dicodec.batch import decode

    return run_batch(
        "decode",
        args,
        lambda client: decode(
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
        ),
    )
