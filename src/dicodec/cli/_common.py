"""What every subcommand shares: one-line errors instead of tracebacks for
the user's mistakes, conventional exit codes, checks of inputs and outputs,
and the optional dependencies each feature needs.

Exit codes: 0 success; 1 the work ran but something failed (an input that
could not be decoded, nothing found without ``--allow-empty``); 2 a usage
error (bad option, missing input, unwritable output, missing optional
dependency); 130 interrupted (Ctrl-C); 141 the reader of standard output
went away (``dicodec info *.dcm | head -1``), as if killed by SIGPIPE.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "CliError",
    "EXIT_FAILED",
    "EXIT_USAGE",
    "EXIT_INTERRUPTED",
    "EXIT_BROKEN_PIPE",
    "require",
    "check_inputs",
    "check_output_file",
    "check_output_dir",
    "silence_stdout",
    "positive_int",
]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

#: The pip extra that provides each optional module.
EXTRAS = {
    "pyarrow": "scan",
    "pydicom": "pydicom",
    "zarr": "batch",
    "tqdm": "batch",
    "dask": "dask",
    "distributed": "dask",
    "matplotlib": "plot",
    "platformdirs": "bench",
}


class CliError(Exception):
    """A mistake of the user's (or of the environment) that the command
    reports as one line on standard error, exiting with ``status``."""

    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status


def require(what: str, modules: Iterable[str], extra: str) -> None:
    """Refuses with a clear line when an optional dependency is missing:
    ``dicodec demo needs pyarrow, zarr: pip install 'dicodec[batch]'``."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise CliError(f"{what} needs {', '.join(missing)}: pip install 'dicodec[{extra}]'")


def check_inputs(paths: Iterable[str], *, option: str = "") -> None:
    """Every input must exist: a missing one is a usage error naming it."""
    for p in paths:
        if not os.path.lexists(p):
            raise CliError(f"{option}{p}: no such file or folder")


def check_output_file(path: str, option: str = "-o") -> None:
    """The folder of an output file must exist and the path must not be a folder."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise CliError(f"{option} {path}: is a folder, expected a file name")
    if not parent.is_dir():
        raise CliError(f"{option} {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise CliError(f"{option} {path}: the folder {parent} is not writable")


def check_output_dir(path: str, option: str = "-o") -> None:
    """An output folder may exist (as a folder) or be created in an existing folder."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise CliError(f"{option} {path}: exists and is not a folder")
    if not p.exists() and not p.absolute().parent.is_dir():
        raise CliError(f"{option} {path}: the folder {p.absolute().parent} does not exist")


def positive_int(text: str) -> int:
    """argparse ``type=`` for counts that must be at least 1."""
    import argparse

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


def silence_stdout() -> None:
    """After a broken pipe: point standard output at /dev/null so that the
    interpreter's final flush does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # pragma: no cover - stdout already gone
        pass
