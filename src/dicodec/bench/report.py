"""Presenting a benchmark ``Report``: terminal table, Markdown, PNG chart."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from typing import Any

from dicodec.bench.files import FileDesc
from dicodec.bench.peers import NOT_APPLICABLE
from dicodec.bench.runner import Report, Result

__all__ = ["format_table", "format_markdown", "caption", "plot", "COLUMNS"]

#: Column headers of the terminal table (after the codec name).
COLUMNS = ("MB/s", "Mpx/s", "vs dicodec", "agrees", "file MB/s")


def _num(x: float | None, width: int = 9) -> str:
    if x is None:
        return f"{'-':>{width}}"
    if x >= 100:
        return f"{x:>{width}.0f}"
    return f"{x:>{width}.1f}" if x >= 10 else f"{x:>{width}.2f}"


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def _agrees(r: Result) -> str:
    if r.agrees is True:
        return "yes"
    if r.agrees is False:
        return "NO"
    return "split" if r.basis == "split" else "n/a"


def _order(rs: Sequence[Result]) -> list[Result]:
    """dicodec first, then the others fastest first, failures last; peers
    that do not apply to the file are left out (dicodec's are shown when it
    said why, e.g. a codec not built yet)."""
    shown = [
        r for r in rs if r.status != "unsupported" or (r.is_dicodec and r.message != NOT_APPLICABLE)
    ]

    def key(r: Result) -> tuple[int, int, float]:
        speed = r.mb_per_s or r.file_mb_per_s or 0.0
        return (0 if r.is_dicodec else 1, 0 if r.status == "ok" else 1, -speed)

    return sorted(shown, key=key)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def caption(report: Report) -> str:
    m = report.machine
    s = report.settings
    libs = ", ".join(f"{k} {v}" for k, v in report.versions.items())
    return (
        f"{m.get('cpu', '?')} ({m.get('cpus_usable', '?')} usable CPUs), "
        f"Python {m.get('python', '?')}, {m.get('platform', '?')}; "
        f"threads={s.get('threads')}, best of {s.get('repeat')} after "
        f"{s.get('warmup')} warm-up; {libs}"
    )


def format_table(report: Report) -> str:
    """The terminal report: one table per transfer syntax, then notes."""
    name_w = max([len("codec")] + [len(r.peer) for r in report.results]) + 2
    header = f"  {'codec':<{name_w}}" + "".join(
        f"{c:>{11 if c != 'agrees' else 8}}" for c in COLUMNS
    )
    lines: list[str] = []
    for ts, descs in report.groups():
        lines.append("")
        lines.append(f"== {descs[0].ts_name} ({ts}): {len(descs)} file(s) ==")
        for desc in descs:
            lines.append(
                f"{desc.name}  [{desc.summary()}, {_mb(desc.output_bytes)} decoded"
                f" from {_mb(desc.size)}]"
            )
            rows = _order(report.results_for(desc))
            if not rows:
                lines.append("  (no installed peer supports this file)")
                continue
            lines.append(header)
            for r in rows:
                if r.status != "ok":
                    msg = r.message
                    if msg.lower().startswith(f"{r.status}:"):
                        msg = msg[len(r.status) + 1 :].lstrip()
                    lines.append(f"  {r.peer:<{name_w}}{r.status}: {msg}")
                    continue
                lines.append(
                    f"  {r.peer:<{name_w}}"
                    f"{_num(r.mb_per_s, 11)}{_num(r.mpx_per_s, 11)}"
                    f"{_ratio(r.ratio):>11}{_agrees(r):>8}{_num(r.file_mb_per_s, 11)}"
                    + (f"  ({r.note})" if r.note else "")
                )
    missing = [p for p in report.peers if not p.available]
    lines.append("")
    s = report.settings
    lines.append(
        f"Codec MB/s and Mpx/s: decoding from memory (file already read), best of "
        f"{s['repeat']} after {s['warmup']} warm-up; file MB/s: whole file from disk "
        f"(page cache warm). vs dicodec: speed relative to dicodec (0.50x = half as fast). "
        f"agrees: bit-exact with the reference array or the other peers' consensus."
    )
    lines.append(f"Threads: {s['threads']}.  Machine: {caption(report)}")
    if missing:
        lines.append("Not installed (add them to compare):")
        for p in missing:
            lines.append(f"  {p.name:<22} {p.pip}")
    for note in report.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines).lstrip("\n") + "\n"


def _short(desc: FileDesc) -> str:
    return os.path.splitext(desc.name)[0]


def format_markdown(report: Report, *, title_level: int = 4) -> str:
    """Compact Markdown: per transfer syntax, a codec × file table of codec
    MB/s with the ratio to dicodec; "not yet" marks a dicodec path that says
    it cannot decode the file (yet); a result that
    disagrees shows "wrong ✗" instead of a speed; ≈ marks a lossy result
    within ±1 of the others' consensus (decoders of lossy JPEG may differ so)."""
    out: list[str] = []
    hashes = "#" * title_level
    for _ts, descs in report.groups():
        peers: list[str] = []
        for d in descs:
            for r in _order(report.results_for(d)):
                if r.peer not in peers:
                    peers.append(r.peer)
        if not peers:
            continue
        out.append(f"{hashes} {descs[0].ts_name}")
        out.append("")
        out.append("| codec | " + " | ".join(_short(d) for d in descs) + " |")
        out.append("|---|" + "---:|" * len(descs))
        for name in peers:
            cells = []
            for d in descs:
                found = next((x for x in report.results_for(d) if x.peer == name), None)
                if found is None:
                    cells.append("")
                    continue
                r = found
                if r.status == "unsupported" and r.message == NOT_APPLICABLE:
                    cells.append("")
                elif r.status == "unsupported":
                    cells.append("not yet")
                elif r.status != "ok":
                    cells.append(r.status)
                elif r.agrees is False:
                    # A wrong result is reported, not timed.
                    off = f" (max diff {r.max_diff})" if r.max_diff is not None else ""
                    cells.append(f"wrong ✗{off}")
                elif r.mb_per_s is None:
                    cells.append(f"file {_num(r.file_mb_per_s, 0).strip()}")
                else:
                    cell = _num(r.mb_per_s, 0).strip()
                    if r.ratio is not None:
                        cell += f" ({_ratio(r.ratio)})"
                    if r.note.startswith("within"):
                        cell += " ≈"
                    cells.append(cell)
            label = f"**{name}**" if name == "dicodec" else name
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def plot(report: Report, path: str | os.PathLike[str]) -> None:
    """PNG bar chart: codec MB/s per file, one panel per transfer syntax,
    log scale, dicodec highlighted, machine and versions in the caption.
    Needs matplotlib (``pip install dicodec[plot]``)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise RuntimeError("--plot needs matplotlib: pip install 'dicodec[plot]'") from exc

    groups = [
        (ts, descs)
        for ts, descs in report.groups()
        if any(r.mb_per_s for d in descs for r in report.results_for(d))
    ]
    if not groups:
        raise RuntimeError("nothing to plot: no peer produced a timing")
    timed = {r.peer for r in report.results if r.mb_per_s}
    peers = [p.name for p in report.peers if p.name in timed]
    muted = [
        "#1f77b4", "#aec7e8", "#2ca02c", "#98df8a", "#9467bd", "#c5b0d5",
        "#8c564b", "#c49c94", "#7f7f7f", "#c7c7c7", "#17becf", "#9edae5", "#bcbd22",
    ]  # fmt: skip
    others = [p for p in peers if not p.startswith("dicodec")]
    colours = {p: muted[i % len(muted)] for i, p in enumerate(others)}
    dicodec_colours = ["#d62728", "#ff7f0e", "#ffbb78"]
    for i, p in enumerate(x for x in peers if x.startswith("dicodec")):
        colours[p] = dicodec_colours[min(i, 2)]

    fig, axes = plt.subplots(len(groups), 1, figsize=(12, 3.2 * len(groups) + 1.2), squeeze=False)
    for ax, (ts, descs) in zip(axes[:, 0], groups, strict=True):
        here = [
            p
            for p in peers
            if any(r.peer == p and r.mb_per_s for d in descs for r in report.results_for(d))
        ]
        width = 0.8 / max(len(here), 1)
        for j, name in enumerate(here):
            xs, ys = [], []
            for i, d in enumerate(descs):
                r = next((x for x in report.results_for(d) if x.peer == name), None)
                if r is not None and r.mb_per_s:
                    xs.append(i - 0.4 + (j + 0.5) * width)
                    ys.append(r.mb_per_s)
            is_main = name == "dicodec"
            ax.bar(
                xs,
                ys,
                width,
                label=name,
                color=colours[name],
                edgecolor="black" if is_main else "none",
                linewidth=1.2 if is_main else 0,
                zorder=3,
            )
        ax.set_yscale("log")
        ax.set_xticks(range(len(descs)))
        ax.set_xticklabels([_short(d) for d in descs], fontsize=8)
        ax.set_ylabel("decoded MB/s (log)")
        ax.set_title(f"{descs[0].ts_name} ({ts})", fontsize=10)
        ax.grid(axis="y", which="both", alpha=0.3, zorder=0)
    seen: dict[str, Any] = {}
    for ax in axes[:, 0]:
        h, lab = ax.get_legend_handles_labels()
        seen.update({k: v for k, v in zip(lab, h, strict=True) if k not in seen})
    order = [p for p in peers if p in seen]
    fig.legend([seen[p] for p in order], order, loc="upper right", fontsize=8)
    fig.suptitle("dicodec bench: decode throughput from memory (higher is better)", x=0.35)
    fig.text(0.01, 0.005, "\n".join(textwrap.wrap(caption(report), 160)), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.05, 0.84, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
