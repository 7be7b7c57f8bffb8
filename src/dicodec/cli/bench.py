"""``dicodec bench``: how fast dicodec and every installed peer decode your
files, and whether they all agree bit for bit."""

from __future__ import annotations

import argparse
import sys
from typing import Any

DESCRIPTION = """\
Decodes every file with dicodec and with every installed peer (pydicom and its
plugins, pylibjpeg, GDCM, imagecodecs, dicomsdl), each in a worker process,
and prints per transfer syntax: decoded MB/s and megapixels/s from memory
(best of --repeat after a warm-up), speed relative to dicodec, whether the
result is bit-identical to the others', and MB/s for the whole file read from
disk. Without PATH it benchmarks the standard set: real images encoded by
third-party encoders, generated once into the user cache directory."""


def add_parser(subparsers: Any) -> None:
    from dicodec.bench.peers import FAMILIES

    p = subparsers.add_parser(
        "bench",
        help="compare decoders on your files (speed and bit-exact agreement)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="DICOM files or directories")
    p.add_argument(
        "--codecs",
        default=None,
        help=f"comma-separated libraries or peer names (default: all; {','.join(FAMILIES)})",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for decoders that can use several (dicodec); 0 = all usable CPUs; default 1",
    )
    from dicodec.cli._common import positive_int

    p.add_argument(
        "--repeat", type=positive_int, default=5, help="timed runs per measurement (best kept)"
    )
    p.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    p.add_argument(
        "--min-time",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="repeat each in-memory decode (up to 200 runs) until the runs add up to this",
    )
    p.add_argument(
        "--timeout", type=float, default=300.0, help="seconds per peer and file (default 300)"
    )
    p.add_argument("--json", metavar="FILE", help="write all results, machine and versions")
    p.add_argument("--plot", metavar="FILE.png", help="write a bar chart (needs matplotlib)")
    p.add_argument("--markdown", metavar="FILE", help="write compact Markdown tables")
    p.add_argument(
        "--small", action="store_true", help="use the tiny standard set (seconds; for tests)"
    )
    p.add_argument("--rebuild-set", action="store_true", help="regenerate the standard set")
    p.add_argument(
        "--no-whole-file", action="store_true", help="skip the whole-file (read from disk) timing"
    )
    p.add_argument(
        "--peer",
        action="append",
        default=[],
        metavar="MODULE:CLASS",
        help="add a peer adapter (a dicodec.bench.peers.Peer subclass)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when any result disagrees with the reference",
    )
    p.add_argument(
        "--encode",
        action="store_true",
        help="compare encoders instead (speed and compressed size, on the set's native images)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=main)


def _progress(quiet: bool) -> Any:
    if quiet:
        return None

    def show(msg: str) -> None:
        print(f"  {msg}", file=sys.stderr, flush=True)

    return show


def main(args: argparse.Namespace) -> int:
    try:
        import pydicom  # noqa: F401
    except ImportError:
        print("dicodec bench needs pydicom: pip install pydicom", file=sys.stderr)
        return 2
    from dicodec.bench import benchset
    from dicodec.bench.files import describe, find_dicom_files
    from dicodec.bench.machine import usable_cpus
    from dicodec.bench.peers import get_peer_class, select_peers
    from dicodec.bench.report import format_markdown, format_table, plot
    from dicodec.bench.runner import run

    try:
        extra = [get_peer_class(ref) for ref in args.peer]
        codecs = args.codecs.split(",") if args.codecs else None
        peers = select_peers(codecs, extra)
    except (ImportError, AttributeError, KeyError, TypeError, ValueError) as exc:
        print(f"dicodec bench: {exc}", file=sys.stderr)
        return 2
    progress = _progress(args.quiet)
    if args.encode:
        return _encode(args, progress)
    notes: list[str] = []
    if args.paths:
        files = []
        for path in find_dicom_files(args.paths):
            try:
                files.append(describe(path))
            except Exception as exc:
                notes.append(f"{path}: skipped ({type(exc).__name__}: {exc})")
    else:
        variant = "small" if args.small else "standard"
        if progress:
            progress(f"standard set ({variant}) in {benchset.cache_root()}")
        bench_set = benchset.build(variant, rebuild=args.rebuild_set, progress=progress)
        files = bench_set.descs()
        notes += bench_set.notes
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if not files:
        print("dicodec bench: no DICOM image files to benchmark", file=sys.stderr)
        return 2
    report = run(
        files,
        peers,
        threads=args.threads if args.threads > 0 else usable_cpus(),
        repeat=max(args.repeat, 1),
        warmup=max(args.warmup, 1),
        timeout=args.timeout,
        whole_file=not args.no_whole_file,
        min_time=max(args.min_time, 0.0),
        progress=progress,
        command=["dicodec", "bench", *sys.argv[2:]] if sys.argv[1:2] == ["bench"] else [],
    )
    report.notes += notes
    sys.stdout.write(format_table(report))
    if args.json:
        report.write_json(args.json)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(format_markdown(report))
    if args.plot:
        try:
            plot(report, args.plot)
        except RuntimeError as exc:
            print(f"dicodec bench: {exc}", file=sys.stderr)
            return 2
    if args.check and any(r.agrees is False for r in report.results):
        print("dicodec bench: some results disagree (see 'agrees')", file=sys.stderr)
        return 1
    return 0


def _encode(args: argparse.Namespace, progress: Any) -> int:
    """``dicodec bench --encode``: encoders on the native images (of PATH or
    the standard set)."""
    import json

    from dicodec.bench import benchset
    from dicodec.bench.encode import (
        format_encode_markdown,
        format_encode_table,
        load_images,
        run_encode,
    )
    from dicodec.bench.files import find_dicom_files

    if args.paths:
        pairs = [(p.stem, str(p)) for p in find_dicom_files(args.paths)]
    else:
        variant = "small" if args.small else "standard"
        bench_set = benchset.build(variant, rebuild=args.rebuild_set, progress=progress)
        pairs = [(f.image, f.path) for f in bench_set.select(encoding="native")]
    images = load_images(pairs)
    if not images:
        print("dicodec bench --encode: no native 8/16-bit images", file=sys.stderr)
        return 2
    report = run_encode(images, repeat=max(args.repeat, 1), progress=progress)
    sys.stdout.write(format_encode_table(report))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report.to_json(), f, indent=1)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(format_encode_markdown(report))
    return 0
