"""``dicodec export SOURCE... -o OUT --format png``: display-ready PNG files
(one per frame, or one contact sheet per series) with the window of the file,
an automatic one or a given one, and the progress, index and resumption of
``dicodec decode``."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export",
        help="render files, folders and archives to PNG (windowed, RGB, palettes applied)",
        description=(
            "Render every DICOM image below SOURCE... to PNG files under OUT: Modality LUT, "
            "VOI LUT or window, MONOCHROME1 inversion, YCbCr -> RGB and palettes applied. "
            "OUT/index.parquet lists every input with its status; re-running resumes; the "
            "exit status is 1 when an input failed."
        ),
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="file, folder or archive")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="output folder")
    p.add_argument("--format", choices=("png",), default="png")
    p.add_argument(
        "--window",
        default=None,
        metavar="C,W|file|auto",
        help="window center,width; 'file' (the file's); 'auto' (the value range); "
        "default: the file's, else auto",
    )
    p.add_argument("--frames", default=None, metavar="SPEC", help='e.g. "0" or "0,2,5:8,-1"')
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="bits per sample")
    p.add_argument("--montage", action="store_true", help="one contact sheet per series")
    p.add_argument("--threads", type=int, default=None, help="inputs at once (default: CPUs)")
    p.add_argument("--retry-failed", action="store_true", help="on resume, retry failed inputs")
    p.add_argument("--progress", choices=("auto", "bar", "lines", "none"), default="auto")
    p.set_defaults(func=run)


def parse_window(text: str | None) -> None | str | tuple[float, float]:
    if text is None or text in ("file", "auto"):
        return text
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"--window must be C,W, 'file' or 'auto', not {text!r}")
    return float(parts[0]), float(parts[1])


def run(args: argparse.Namespace) -> int:
    from dicodec.batch.plan import resolve_frames
    from dicodec.export import export

    try:
        window = parse_window(args.window)
        if args.frames is not None:
            resolve_frames(args.frames, 1)
    except ValueError as e:
        print(f"dicodec export: {e}", file=sys.stderr)
        return 2
    if args.threads is not None and args.threads < 1:
        print("dicodec export: --threads must be >= 1", file=sys.stderr)
        return 2
    try:
        report = export(
            args.sources,
            args.out,
            format=args.format,
            window=window,
            frames=args.frames,
            bits=args.bits,
            montage=args.montage,
            threads=args.threads,
            progress=args.progress,
            retry_failed=args.retry_failed,
        )
    except KeyboardInterrupt:
        print("dicodec export: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130
    print(report.table())
    return 0 if report.ok else 1
