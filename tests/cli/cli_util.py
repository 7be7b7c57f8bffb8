"""Running the real ``dicodec`` console script: plainly, with tqdm blocked
(a ``sitecustomize`` installing a meta path finder, as on a machine without
it), or on a pseudo-terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "dicodec"

BLOCK_TQDM = """
import sys
from importlib.abc import MetaPathFinder


class _NoTqdm(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "tqdm" or name.startswith("tqdm."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoTqdm())
"""


def dicodec_cmd() -> list[str]:
    """The console script installed with the package (``-m dicodec`` when the
    environment has none, e.g. an in-place checkout)."""
    return [str(BIN)] if BIN.is_file() else [sys.executable, "-m", "dicodec"]


def env_for(tmp_path: Path, *, block_tqdm: bool = False, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DICODEC_MAX_ALLOC", None)
    if block_tqdm:
        site = tmp_path / "no_tqdm_site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(BLOCK_TQDM)
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    env.update(extra)
    return env


def run(
    args: list[str], tmp_path: Path, *, timeout: float = 120, **kw
) -> subprocess.CompletedProcess:
    env = env_for(tmp_path, **kw)
    return subprocess.run(
        [*dicodec_cmd(), *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def run_pty(args: list[str], tmp_path: Path, *, timeout: float = 180, **kw) -> tuple[int, str]:
    """Runs the command with stdout and stderr on a pseudo-terminal; returns
    the exit status and everything it printed."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    _set_size(slave)
    env = env_for(tmp_path, **kw)
    env["COLUMNS"] = "120"
    proc = subprocess.Popen(
        [*dicodec_cmd(), *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    rc = proc.wait(timeout=timeout)
    return rc, b"".join(chunks).decode(errors="replace")


def _set_size(fd: int, rows: int = 40, columns: int = 120) -> None:
    """A new pty is 0 x 0; give it the size of an ordinary terminal."""
    try:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    except (ImportError, OSError):  # pragma: no cover - not a POSIX terminal
        pass


def no_traceback(text: str) -> bool:
    return "Traceback" not in text
