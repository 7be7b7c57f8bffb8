"""``dicodec bench``: dicodec beside every installed peer, on your files.

Programmatic use::

    from dicodec.bench import build, run, select_peers, format_table

    files = [f.desc() for f in build("standard").files]   # or describe(path)
    report = run(files, select_peers(["dicodec", "pydicom"]), repeat=5)
    print(format_table(report))
    report.write_json("bench.json")

Modules: ``peers`` (one adapter class per decoder and path), ``benchset`` (the
standard benchmark set), ``runner`` (worker processes, agreement, ratios),
``report`` (table, Markdown, chart), ``files`` and ``normalise`` (what a file
holds and the one layout results are compared in).
"""

from __future__ import annotations

from dicodec.bench.benchset import BenchFile, BenchSet, build
from dicodec.bench.files import FileDesc, describe
from dicodec.bench.peers import FAMILIES, PEERS, Peer, select_peers
from dicodec.bench.report import format_markdown, format_table, plot
from dicodec.bench.runner import Report, Result, run

__all__ = [
    "BenchFile",
    "BenchSet",
    "build",
    "FileDesc",
    "describe",
    "FAMILIES",
    "PEERS",
    "Peer",
    "select_peers",
    "format_markdown",
    "format_table",
    "plot",
    "Report",
    "Result",
    "run",
]
