"""The ``dicodec`` command. Each subcommand is a module in this package that
defines ``add_parser(subparsers)``; its parser sets ``func`` to a callable
taking the parsed arguments and returning the exit status."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence


def _subcommands() -> list[str]:
    """Every module of this package is a subcommand (alphabetical)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def build_parser() -> argparse.ArgumentParser:
    from dicodec import __version__

    parser = argparse.ArgumentParser(prog="dicodec", description="Fast DICOM pixel-data engine.")
    parser.add_argument("--version", action="version", version=f"dicodec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _subcommands():
        importlib.import_module(f"dicodec.cli.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    return int(args.func(args) or 0)
