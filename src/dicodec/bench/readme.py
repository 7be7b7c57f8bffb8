"""``make bench-readme``: benchmark the standard set and rewrite README.md's
results block (between ``<!-- bench:start -->`` and ``<!-- bench:end -->``)
with the tables, the command, the machine and the date.

Three runs, one after another: every peer on every file with one thread;
dicodec alone on the multi-frame files with two threads (frames in
parallel; the peers decode one frame at a time, so their one-thread times
stand); and the encoders (``dicodec bench --encode``).

    python -m dicodec.bench.readme [README.md] [--repeat N] [--min-time S] [--small] [--no-encode]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from dicodec.bench.runner import Report, Result

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"

__all__ = ["render", "replace_block", "main", "START", "END", "summary_rows", "threads_rows"]

#: dicodec's one-thread path per file, first that gave a result: the codec
#: function per frame, else read_pixels with one thread.
ONE_THREAD_PATHS = ("dicodec.frames", "dicodec")


def _fastest_peer(rs: list[Result], cpu: bool = False) -> Result | None:
    ok = [r for r in rs if not r.is_dicodec and r.mb_per_s and r.agrees is not False]
    if cpu:
        ok = [r for r in ok if r.cpu_mb_per_s]
        return max(ok, key=lambda r: r.cpu_mb_per_s or 0.0) if ok else None
    return max(ok, key=lambda r: r.mb_per_s or 0.0) if ok else None


def summary_rows(
    report: Report,
) -> list[tuple[str, str, str, float, str, float, float, float | None, str]]:
    """(syntax, file, dicodec path, its MB/s, fastest peer, its MB/s, ratio,
    CPU-time ratio, fastest peer by CPU time) for every compressed file where
    both sides have a correct result."""
    rows = []
    for _ts, descs in report.groups():
        for d in descs:
            if d.is_native:
                continue
            rs = report.results_for(d)
            mine = None
            for name in ONE_THREAD_PATHS:
                mine = next(
                    (r for r in rs if r.peer == name and r.mb_per_s and r.agrees is not False),
                    None,
                )
                if mine is not None:
                    break
            peer = _fastest_peer(rs)
            if mine is None or peer is None or not mine.mb_per_s or not peer.mb_per_s:
                continue
            by_cpu = _fastest_peer(rs, cpu=True)
            cpu_ratio = None
            if by_cpu is not None and by_cpu.cpu_mb_per_s and mine.cpu_mb_per_s:
                cpu_ratio = mine.cpu_mb_per_s / by_cpu.cpu_mb_per_s
            rows.append(
                (
                    d.ts_name,
                    os.path.splitext(d.name)[0],
                    mine.peer,
                    mine.mb_per_s,
                    peer.peer,
                    peer.mb_per_s,
                    mine.mb_per_s / peer.mb_per_s,
                    cpu_ratio,
                    by_cpu.peer if by_cpu is not None else "",
                )
            )
    return rows


def threads_rows(one: Report, two: Report) -> list[tuple[str, str, float, str, float, float]]:
    """(syntax, file, dicodec MB/s on two threads, fastest peer, its one-thread
    MB/s, ratio) for the multi-frame files."""
    rows = []
    for d in two.files:
        mine = next((r for r in two.results_for(d) if r.peer == "dicodec" and r.mb_per_s), None)
        base = next((x for x in one.files if x.path == d.path), None)
        if mine is None or base is None or mine.agrees is False:
            continue
        peer = _fastest_peer(one.results_for(base))
        if peer is None or not peer.mb_per_s or not mine.mb_per_s:
            continue
        rows.append(
            (
                d.ts_name,
                os.path.splitext(d.name)[0],
                mine.mb_per_s,
                peer.peer,
                peer.mb_per_s,
                mine.mb_per_s / peer.mb_per_s,
            )
        )
    return rows


def _summary_md(report: Report, two: Report | None) -> list[str]:
    lines = [
        "#### Summary: dicodec against the fastest other decoder",
        "",
        "One thread, frames from memory (dicodec: its codec function per frame, "
        "`dicodec.frames`, or `read_pixels` with one thread where no such function exists). "
        "Only results that agree with the reference count.",
        "",
        "`ratio`: wall-clock MB/s over the fastest peer's; `CPU ratio`: the same by CPU "
        "time of the decoding process, against the peer fastest by CPU time (named when "
        "another) — on a loaded machine the steadier of the two.",
        "",
        "| syntax | file | dicodec MB/s | fastest peer | peer MB/s | ratio | CPU ratio |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for ts, name, path, mine, peer, theirs, ratio, cpu, cpu_peer in summary_rows(report):
        label = "" if path == "dicodec.frames" else f" ({path})"
        cpu_cell = "-" if cpu is None else f"**{cpu:.2f}x**"
        if cpu is not None and cpu_peer != peer:
            cpu_cell += f" ({cpu_peer})"
        lines.append(
            f"| {ts} | {name} | {mine:.0f}{label} | {peer} | {theirs:.0f} | {ratio:.2f}x "
            f"| {cpu_cell} |"
        )
    lines.append("")
    if two is not None:
        lines += [
            "#### Whole multi-frame files, two threads",
            "",
            "dicodec: `read_pixels(bytes, threads=2)`, frames in parallel; peers: one frame at "
            "a time (their one-thread times above). On a shared, loaded two-core machine the "
            "second thread is often not free, and small frames (see the notes on the images "
            "used) leave little to share: treat this table as a lower bound.",
            "",
            "| syntax | file | dicodec MB/s (2 threads) | fastest peer | peer MB/s | ratio |",
            "|---|---|---:|---|---:|---:|",
        ]
        for ts, name, mine, peer, theirs, ratio in threads_rows(report, two):
            lines.append(
                f"| {ts} | {name} | {mine:.0f} | {peer} | {theirs:.0f} | **{ratio:.2f}x** |"
            )
        lines.append("")
    return lines


def render(
    report: Report,
    command: str,
    *,
    two: Report | None = None,
    encode_md: str = "",
    load: str = "",
) -> str:
    """The Markdown that goes between the markers."""
    from dicodec.bench.report import format_markdown

    m, s = report.machine, report.settings
    libs = ", ".join(f"{k} {v}" for k, v in report.versions.items())
    wrong = [r for r in report.results if r.agrees is False]
    if wrong:
        agreement = (
            "**Wrong output (not timed, marked ✗):** "
            + "; ".join(f"{r.peer} on {r.desc.name}" for r in wrong)
            + "."
        )
    else:
        agreement = "Every result shown agrees with the reference."
    failed = [r for r in report.results if r.status in ("error", "crashed", "timeout")]
    lines = [
        f"Produced by `make bench-readme` (`{command}` on the standard set) on "
        f"{report.created[:10]} "
        f"({report.created} UTC): {m.get('cpu')}, {m.get('cpus_usable')} usable CPUs, "
        f"{m.get('platform')}, Python {m.get('python')}; threads={s['threads']}, best of "
        f"{s['repeat']} after {s['warmup']} warm-up, more runs until they add up to "
        f"{s.get('min_time_s', 0):g} s (medians in the JSON).",
        "",
        "The machine is shared with other jobs and was loaded while this ran"
        + (f" (load average {load})" if load else "")
        + ": absolute numbers are noisy, ratios measured in the same run are the "
        "meaningful part.",
        "",
        f"Versions: {libs}.",
        "",
        "Cells: decoded MB/s from memory (speed relative to dicodec); `not yet`: this dicodec "
        "build cannot decode the file. Lossless files are checked against the array they "
        "were made from; lossy ones (JPEG, JPEG-LS NEAR=2, J2K irreversible) against the "
        "consensus of the independent decoders. " + agreement,
        "",
    ]
    if failed:
        lines += [
            "Failures: "
            + "; ".join(f"{r.peer} on {r.desc.name}: {r.status}" for r in failed)
            + ".",
            "",
        ]
    missing = [p for p in report.peers if not p.available]
    if missing:
        lines += ["Not installed: " + ", ".join(f"{p.name} (`{p.pip}`)" for p in missing), ""]
    for note in report.notes:
        lines += [f"Note: {note}", ""]
    lines += _summary_md(report, two)
    if encode_md:
        lines += [encode_md.rstrip(), ""]
    lines += ["#### Decode, every peer, one thread", ""]
    lines.append(format_markdown(report, title_level=5).rstrip())
    return "\n".join(lines)


def replace_block(text: str, block: str) -> str:
    """``text`` with the part between the markers replaced by ``block``."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no {START} ... {END} block")
    return pattern.sub(lambda _: f"{START}\n{block}\n{END}", text, count=1)


def main(argv: list[str] | None = None) -> int:
    from dicodec.bench import benchset
    from dicodec.bench.peers import PEERS, select_peers
    from dicodec.bench.runner import run

    parser = argparse.ArgumentParser(prog="python -m dicodec.bench.readme")
    parser.add_argument("readme", nargs="?", default="README.md")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--min-time", type=float, default=0.2, help="seconds of timed runs per decode, at least"
    )
    parser.add_argument("--small", action="store_true", help="the tiny set (a dry run)")
    parser.add_argument("--no-encode", action="store_true", help="skip the encoder table")
    parser.add_argument(
        "--skip", default="", help="comma-separated peers left out (a shorter run; said so)"
    )
    parser.add_argument("--json", default=".benchmarks/bench-readme.json")
    args = parser.parse_args(argv)

    readme = Path(args.readme)
    text = readme.read_text(encoding="utf-8")
    replace_block(text, "")  # fail early when the markers are missing
    variant = "small" if args.small else "standard"
    bench_set = benchset.build(variant, progress=lambda m: print(m, file=sys.stderr))

    def progress(msg: str) -> None:
        print(f"  {msg}", file=sys.stderr, flush=True)

    load = ""
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on Linux/macOS
        pass
    command = (
        f"dicodec bench --repeat {args.repeat} --min-time {args.min_time:g} --threads 1 "
        "--no-whole-file"
    )
    if args.small:
        command += " --small"
    skipped = set(args.skip.split(",")) if args.skip else set()
    peers = [p for p in select_peers(None) if p.name not in skipped]
    if skipped:
        command += f" --codecs {','.join(p.name for p in peers)}"
    report = run(
        bench_set.descs(),
        peers,
        threads=1,
        repeat=args.repeat,
        min_time=args.min_time,
        whole_file=False,
        progress=progress,
        command=command.split(),
    )
    report.notes += bench_set.notes
    if skipped:
        report.notes.append(
            f"Reduced run: {', '.join(sorted(skipped))} left out (they wrap the same "
            "libraries as the direct peers) to keep the run short on the shared machine."
        )
    multi = [d for d in bench_set.descs() if d.frames > 1 and not d.is_native]
    two = run(
        multi,
        [PEERS["dicodec"]],
        threads=2,
        repeat=args.repeat,
        min_time=args.min_time,
        whole_file=False,
        progress=progress,
    )
    encode_md = ""
    if not args.no_encode:
        from dicodec.bench.encode import format_encode_markdown, load_images, run_encode

        pairs = [(f.image, f.path) for f in bench_set.select(encoding="native")]
        enc = run_encode(load_images(pairs), repeat=max(args.repeat // 2, 3), progress=progress)
        encode_md = (
            "#### Encoders (`dicodec bench --encode`)\n\n"
            "One thread, frames from memory; MB/s of input (wall clock), compression ratio, and "
            "for dicodec its speed relative to the fastest other encoder by CPU time. Every "
            "output is decoded by an "
            "independent decoder and compared with the input before its time counts. GDCM's "
            "times include reading the native file (it encodes the image it read in place).\n\n"
            + format_encode_markdown(enc, title_level=5)
        )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        report.write_json(args.json)
        two.write_json(Path(args.json).with_suffix(".threads2.json"))
        if encode_md:
            import json

            Path(args.json).with_suffix(".encode.json").write_text(
                json.dumps(enc.to_json(), indent=1) + "\n", encoding="utf-8"
            )
    block = render(report, command, two=two, encode_md=encode_md, load=load)
    readme.write_text(replace_block(text, block), encoding="utf-8")
    print(f"updated {readme} ({len(report.results)} measurements)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
