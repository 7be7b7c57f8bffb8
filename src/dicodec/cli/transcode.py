"""``dicodec transcode SOURCE... -o OUT --to SYNTAX``: re-encode the pixel
data of every DICOM image below the sources into one transfer syntax,
keeping every other element, as a mirrored tree of Part 10 files."""

from __future__ import annotations

import argparse
import textwrap

_EPILOG = """\
SYNTAX: a transfer syntax UID, a pydicom keyword (JPEGLSLossless...) or one of
  native             Explicit VR Little Endian (decompress)
  rle                RLE Lossless
  jpeg-lossless      JPEG Lossless SV1 (.70), the most widely read lossless JPEG
  jpeg-lossless-p14  JPEG Lossless process 14 (.57)
  jpeg-ls            JPEG-LS Lossless
  deflate            Deflated Image Frame Compression
  (and every other syntax this build has an encoder for: --list-syntaxes)

examples:
  dicodec transcode study/ -o study_jls --to jpeg-ls
  dicodec transcode archive.zip more/ -o out --to jpeg-lossless --verify
  dicodec transcode compressed/ -o native --to native --threads 8
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from dicodec.cli._batch import add_batch_options

    p = subparsers.add_parser(
        "transcode",
        help="re-encode files, folders and archives to another transfer syntax (DICOM out)",
        description=textwrap.fill(
            "Transcode every DICOM image below SOURCE... (files, folders, .zip/.tar/.tar.gz "
            "members) to the transfer syntax --to and write it as a Part 10 file at "
            "OUT/<source name>/<path below it>. Every data element but Pixel Data, the "
            "Transfer Syntax UID, group lengths and the Image Pixel attributes the syntax "
            "requires is kept as it is. Lossless targets only unless --allow-lossy. "
            "OUT/index.parquet lists every input with its status; re-running the same "
            "command resumes. Exit status: 0 done, 1 an input failed (or nothing was "
            "found, or the output disk filled), 2 a usage error (bad SYNTAX, OUT busy or "
            "holding another output), 130 interrupted.",
            width=79,
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="file, folder or archive")
    p.add_argument("-o", "--out", metavar="OUT", help="output folder")
    p.add_argument("--to", metavar="SYNTAX", help="target transfer syntax (see below)")
    p.add_argument("--allow-lossy", action="store_true", help="accept a lossy target syntax")
    p.add_argument(
        "--verify",
        action="store_true",
        help="decode every output and compare it with the source before keeping it "
        "(a rerun with --verify redoes outputs written without it)",
    )
    p.add_argument(
        "--predictor",
        type=int,
        default=None,
        choices=range(1, 8),
        metavar="1-7",
        help="JPEG Lossless (.57) predictor (default 1)",
    )
    p.add_argument(
        "--list-syntaxes",
        action="store_true",
        help="list the transfer syntaxes this build encodes, then exit",
    )
    add_batch_options(p, "transcoded")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dicodec.cli._batch import run_batch
    from dicodec.cli._common import CliError, require

    require("dicodec transcode", ["pydicom", "pyarrow"], "batch")
    if args.list_syntaxes:
        _list()
        return 0
    missing = [
        n for n, v in (("SOURCE", args.sources), ("-o OUT", args.out), ("--to", args.to)) if not v
    ]
    if missing:
        raise CliError(f"missing {', '.join(missing)} (see --help)")
    from dicodec.batch import transcode
    from dicodec.errors import DicodecError
    from dicodec.transcode import check_target, resolve_syntax

    try:
        uid = resolve_syntax(args.to)
        check_target(uid, args.allow_lossy)
    except DicodecError as e:
        raise CliError(f"--to {args.to}: {e}") from None
    from dicodec import uids

    if args.predictor is not None and uid != uids.JPEG_LOSSLESS:
        raise CliError("--predictor applies to --to jpeg-lossless-p14 (JPEG Lossless .57) only")
    options = {} if args.predictor is None else {"predictor": args.predictor}
    return run_batch(
        "transcode",
        args,
        lambda client: transcode(
            args.sources,
            args.out,
            to=uid,
            allow_lossy=args.allow_lossy,
            verify=args.verify,
            threads=args.threads,
            client=client,
            overwrite=args.overwrite,
            retry_failed=args.retry_failed,
            progress=args.progress,
            **options,
        ),
    )


def _list() -> None:
    from dicodec.compress import encodable_syntaxes, is_lossy
    from dicodec.transcode import syntax_name

    for uid in sorted(encodable_syntaxes(), key=lambda u: [int(x) for x in u.split(".")]):
        kind = "lossy" if is_lossy(uid) else "lossless"
        print(f"{uid:<26} {kind:<9} {syntax_name(uid)}")
