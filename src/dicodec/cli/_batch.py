"""What ``dicodec decode`` and ``dicodec transcode`` share: the batch
options (threads, resumption, Dask, progress), connecting to Dask, and
running the engine with one-line errors and truthful exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["add_batch_options", "connect", "run_batch"]


def add_batch_options(p: argparse.ArgumentParser, verb: str) -> None:
    """--threads, --overwrite, --retry-failed, --dask, --dask-timeout,
    --allow-empty, --progress (``verb``: what is done to an input)."""
    p.add_argument(
        "--threads", type=int, default=None, help=f"inputs {verb} at once (default: CPUs)"
    )
    p.add_argument("--overwrite", action="store_true", help="delete OUT's previous output first")
    p.add_argument(
        "--retry-failed", action="store_true", help="on resume, retry inputs that failed before"
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="distribute over an existing dask.distributed cluster (e.g. tcp://HOST:8786)",
    )
    p.add_argument(
        "--dask-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for the --dask scheduler (default: 10)",
    )
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="exit 0 when no input is found (default: a warning and exit status 1)",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "lines", "none"),
        default="auto",
        help="progress display (auto: a bar on a terminal, plain lines otherwise)",
    )


def connect(address: str, timeout: float, command: str) -> Any:
    """A ``dask.distributed.Client`` for ``address``, or one clear line."""
    from dicodec.cli._common import CliError, require

    require(f"dicodec {command} --dask", ["distributed"], "dask")
    from distributed import Client

    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as e:
        raise CliError(
            f"--dask {address}: cannot reach the scheduler within {timeout:g} s ({e})"
        ) from None


def run_batch(command: str, args: argparse.Namespace, call: Callable[[Any], Any]) -> int:
    """Runs ``call(client)`` (the engine; returns a ``BatchReport``) after
    checking the sources and OUT; prints the summary; maps interruptions,
    usage errors, a busy OUT and output faults to exit codes."""
    from dicodec._settings import check_threads
    from dicodec.cli._common import EXIT_FAILED, CliError, check_inputs, check_output_dir
    from dicodec.errors import SettingsError

    try:
        check_threads(args.threads, "--threads")
    except SettingsError as e:
        raise CliError(str(e)) from None
    check_inputs(args.sources)
    check_output_dir(args.out)
    client = connect(args.dask, args.dask_timeout, command) if args.dask else None
    from dicodec.batch.faults import OutputError, stop_message
    from dicodec.batch.lock import OutputBusyError

    try:
        report = call(client)
    except KeyboardInterrupt:
        print(
            f"\ndicodec {command}: interrupted; finished work is saved - run the same command "
            "again to resume.",
            file=sys.stderr,
        )
        return 130
    except (FileExistsError, ValueError, ImportError, OutputBusyError) as e:
        print(f"dicodec {command}: {e}", file=sys.stderr)
        return 2
    except (OutputError, OSError) as e:  # writing OUT failed (disk full...)
        print(f"dicodec {command}: {stop_message(e)}", file=sys.stderr)
        return 1
    finally:
        if client is not None:
            client.close()
    print(report.table())
    if report.files == 0 and not args.allow_empty:
        print(
            f"dicodec {command}: warning: no inputs found in {' '.join(args.sources)} "
            "(--allow-empty to accept)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0 if report.ok else EXIT_FAILED
