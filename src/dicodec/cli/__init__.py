"""The ``dicodec`` command. Each subcommand is a module in this package that
defines ``add_parser(subparsers)``; its parser sets ``func`` to a callable
taking the parsed arguments and returning the exit status.

Exit codes and one-line errors: see :mod:`dicodec.cli._common`."""

from __future__ import annotations

import argparse
import errno
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
    parser.set_defaults(_subparsers=sub.choices)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from dicodec.cli._common import (
        EXIT_BROKEN_PIPE,
        EXIT_FAILED,
        EXIT_INTERRUPTED,
        CliError,
        silence_stdout,
    )
    from dicodec.errors import DicodecError

    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # an unknown option: the subcommand's usage, not the top level's
        sub = args._subparsers.get(getattr(args, "command", None) or "", parser)
        sub.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    prog = f"dicodec {args.command}"
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except CliError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return e.status
    except BrokenPipeError:
        silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except DicodecError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as e:  # a file the user named: one line, no traceback
        if e.errno == errno.EPIPE or "Broken pipe" in str(e):  # pyarrow's wrapped EPIPE
            silence_stdout()
            return EXIT_BROKEN_PIPE
        print(f"{prog}: {e}", file=sys.stderr)
        return EXIT_FAILED
