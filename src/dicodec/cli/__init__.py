"""The ``dicodec`` command. Each subcommand is a module in this package that
defines ``add_parser(subparsers)``; its parser sets ``func`` to a callable
taking the parsed arguments and returning the exit status."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Subcommand modules, in the order shown by --help.
SUBCOMMANDS: list[str] = []


def build_parser() -> argparse.ArgumentParser:
    from dicodec import __version__

    parser = argparse.ArgumentParser(prog="dicodec", description="Fast DICOM pixel-data engine.")
    parser.add_argument("--version", action="version", version=f"dicodec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"dicodec.cli.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    return int(args.func(args) or 0)
