"""``make bench-readme``: benchmark the standard set and rewrite README.md's
results block (between ``<!-- bench:start -->`` and ``<!-- bench:end -->``)
with the tables, the command, the machine and the date.

    python -m dicodec.bench.readme [README.md] [--repeat N] [--threads N] [--small]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from dicodec.bench.runner import Report

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"

__all__ = ["render", "replace_block", "main", "START", "END"]


def render(report: Report, command: str) -> str:
    """The Markdown that goes between the markers."""
    from dicodec.bench.report import format_markdown

    m, s = report.machine, report.settings
    libs = ", ".join(f"{k} {v}" for k, v in report.versions.items())
    wrong = [r for r in report.results if r.agrees is False]
    if wrong:
        agreement = "**Disagreements:** " + "; ".join(f"{r.peer} on {r.desc.name}" for r in wrong)
    else:
        agreement = "Every result shown is bit-identical to the array the file was made from."
    failed = [r for r in report.results if r.status in ("error", "crashed", "timeout")]
    lines = [
        f"Produced by `make bench-readme` (`{command}` on the standard set) on "
        f"{report.created[:10]} "
        f"({report.created} UTC): {m.get('cpu')}, {m.get('cpus_usable')} usable CPUs, "
        f"{m.get('platform')}, Python {m.get('python')}; threads={s['threads']}, best of "
        f"{s['repeat']} after {s['warmup']} warm-up.",
        "",
        f"Versions: {libs}.",
        "",
        "Cells: decoded MB/s from memory (speed relative to dicodec); `not yet`: this dicodec "
        "build cannot decode the file. " + agreement,
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
    lines.append(format_markdown(report).rstrip())
    return "\n".join(lines)


def replace_block(text: str, block: str) -> str:
    """``text`` with the part between the markers replaced by ``block``."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no {START} ... {END} block")
    return pattern.sub(lambda _: f"{START}\n{block}\n{END}", text, count=1)


def main(argv: list[str] | None = None) -> int:
    from dicodec.bench import benchset
    from dicodec.bench.peers import select_peers
    from dicodec.bench.runner import run

    parser = argparse.ArgumentParser(prog="python -m dicodec.bench.readme")
    parser.add_argument("readme", nargs="?", default="README.md")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--small", action="store_true", help="the tiny set (a dry run)")
    parser.add_argument("--json", default=".benchmarks/bench-readme.json")
    args = parser.parse_args(argv)

    readme = Path(args.readme)
    text = readme.read_text(encoding="utf-8")
    replace_block(text, "")  # fail early when the markers are missing
    variant = "small" if args.small else "standard"
    bench_set = benchset.build(variant, progress=lambda m: print(m, file=sys.stderr))

    def progress(msg: str) -> None:
        print(f"  {msg}", file=sys.stderr, flush=True)

    command = f"dicodec bench --repeat {args.repeat} --threads {args.threads}"
    if args.small:
        command += " --small"
    report = run(
        bench_set.descs(),
        select_peers(None),
        threads=args.threads,
        repeat=args.repeat,
        progress=progress,
        command=command.split(),
    )
    report.notes += bench_set.notes
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        report.write_json(args.json)
    readme.write_text(replace_block(text, render(report, command)), encoding="utf-8")
    print(f"updated {readme} ({len(report.results)} measurements)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
