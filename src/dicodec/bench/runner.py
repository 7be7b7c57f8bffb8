"""Runs every (peer, file) measurement in worker processes, then decides
agreement and throughput.

One worker process per peer handles that peer's files one after another
(JSON lines over pipes, see ``_worker.py``), with a timeout per file. A peer
that crashes (segfault, ``abort()``) or hangs costs only that measurement: the
worker is replaced and the run goes on.

Agreement is bit-exact, on the sha256 of each result in the normalised layout
(``normalise.py``): against the file's known reference when there is one
(benchmark-set files record the hash of the array they were encoded from),
otherwise against the consensus of the *independent* peers — results are
grouped by hash and each group counts the distinct libraries (engines) in it,
so pydicom's pylibjpeg plugin and pylibjpeg called directly count once, and
dicodec's own paths never vote.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import IO, Any

from dicodec.bench.agreement import decide_agreement, ratios
from dicodec.bench.files import FileDesc
from dicodec.bench.machine import machine_info, versions
from dicodec.bench.peers import NOT_APPLICABLE, Peer, peer_ref
from dicodec.bench.peers.base import JPEG_DCT

#: Lossy syntaxes whose decoders may legitimately differ by ±1 (T.81's
#: IDCT accuracy): their results are compared closer when hashes differ.
LOSSY_DCT = JPEG_DCT

__all__ = ["PathResult", "Result", "PeerInfo", "Report", "run", "SCHEMA"]

SCHEMA = "dicodec-bench/1"


@dataclass
class PathResult:
    """One timed path (codec-only or whole-file) of one peer on one file."""

    status: str  # ok | unsupported | error | skipped | crashed | timeout
    message: str = ""
    times: list[float] = field(default_factory=list)
    #: CPU time of the worker process per timed run (``time.process_time``).
    cpu_times: list[float] = field(default_factory=list)
    sha256: str | None = None
    shape: list[int] | None = None
    dtype: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.times)

    @property
    def best(self) -> float | None:
        return min(self.times) if self.ok else None

    @property
    def median(self) -> float | None:
        return median(self.times) if self.ok else None

    @property
    def best_cpu(self) -> float | None:
        return min(self.cpu_times) if self.ok and self.cpu_times else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.message:
            out["message"] = self.message
        if self.ok:
            out.update(
                best_s=self.best,
                median_s=self.median,
                times_s=self.times,
                best_cpu_s=self.best_cpu,
                cpu_times_s=self.cpu_times,
                sha256=self.sha256,
                shape=self.shape,
                dtype=self.dtype,
            )
        return out

    @classmethod
    def from_reply(cls, data: dict[str, Any]) -> PathResult:
        return cls(
            status=str(data.get("status", "error")),
            message=str(data.get("message", "")),
            times=[float(t) for t in data.get("times", [])],
            cpu_times=[float(t) for t in data.get("cpu_times", [])],
            sha256=data.get("sha256"),
            shape=data.get("shape"),
            dtype=data.get("dtype"),
        )


@dataclass
class Result:
    """One peer on one file."""

    desc: FileDesc
    peer: str
    engine: str
    is_dicodec: bool
    codec: PathResult
    whole: PathResult
    agrees: bool | None = None
    #: What ``agrees`` was decided against: reference | peers | single | split | none
    basis: str = "none"
    ratio: float | None = None
    note: str = ""
    #: Where the worker saved the normalised result (lossy files only).
    saved: str = ""
    #: Largest difference from the consensus, when compared closer.
    max_diff: int | None = None
    #: Counts toward the consensus (``Peer.votes``; never for dicodec).
    votes: bool = True

    @property
    def status(self) -> str:
        """ok when a path gave a result; otherwise the most telling failure."""
        paths = (self.codec, self.whole)
        if any(p.ok for p in paths):
            return "ok"
        for status in ("crashed", "timeout", "error"):
            if any(p.status == status for p in paths):
                return status
        return "unsupported"

    @property
    def message(self) -> str:
        for p in (self.codec, self.whole):
            if p.status in ("crashed", "timeout", "error"):
                return p.message
        return self.codec.message or self.whole.message

    @property
    def sha256(self) -> str | None:
        return self.codec.sha256 if self.codec.ok else self.whole.sha256

    def _rate(self, amount: int, path: PathResult) -> float | None:
        best = path.best
        return amount / best / 1e6 if best else None

    @property
    def mb_per_s(self) -> float | None:
        """Decoded MB/s (10^6 bytes of output a second), codec path, best of N."""
        return self._rate(self.desc.output_bytes, self.codec)

    @property
    def cpu_mb_per_s(self) -> float | None:
        """Decoded MB/s per second of the worker's CPU time (best run): for a
        one-thread decoder on a loaded machine, steadier than ``mb_per_s``."""
        best = self.codec.best_cpu
        return self.desc.output_bytes / best / 1e6 if best else None

    @property
    def mpx_per_s(self) -> float | None:
        return self._rate(self.desc.pixels, self.codec)

    @property
    def file_mb_per_s(self) -> float | None:
        return self._rate(self.desc.output_bytes, self.whole)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.desc.path,
            "name": self.desc.name,
            "transfer_syntax": self.desc.transfer_syntax,
            "peer": self.peer,
            "engine": self.engine,
            "status": self.status,
            "message": self.message,
            "codec": self.codec.to_json(),
            "whole_file": self.whole.to_json(),
            "mb_per_s": self.mb_per_s,
            "cpu_mb_per_s": self.cpu_mb_per_s,
            "mpx_per_s": self.mpx_per_s,
            "file_mb_per_s": self.file_mb_per_s,
            "ratio_to_dicodec": self.ratio,
            "sha256": self.sha256,
            "agrees": self.agrees,
            "agreement_basis": self.basis,
            "max_diff_from_consensus": self.max_diff,
            "note": self.note,
        }


@dataclass
class PeerInfo:
    name: str
    available: bool
    pip: str
    describes: str
    missing_module: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    is_dicodec: bool = False
    uses_threads: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": "available" if self.available else "missing",
            "missing_module": self.missing_module,
            "install": self.pip,
            "describes": self.describes,
            "versions": self.versions,
            "is_dicodec": self.is_dicodec,
            "uses_threads": self.uses_threads,
        }


@dataclass
class Report:
    files: list[FileDesc]
    peers: list[PeerInfo]
    results: list[Result]
    settings: dict[str, Any]
    machine: dict[str, Any]
    versions: dict[str, str]
    created: str
    command: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def groups(self) -> list[tuple[str, list[FileDesc]]]:
        """Files grouped by transfer syntax, in order of first appearance."""
        order: dict[str, list[FileDesc]] = {}
        for d in self.files:
            order.setdefault(d.transfer_syntax, []).append(d)
        return list(order.items())

    def results_for(self, desc: FileDesc) -> list[Result]:
        return [r for r in self.results if r.desc.path == desc.path]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "created": self.created,
            "command": self.command,
            "machine": self.machine,
            "settings": self.settings,
            "versions": self.versions,
            "peers": [p.to_json() for p in self.peers],
            "files": [d.to_json() for d in self.files],
            "results": [r.to_json() for r in self.results],
            "notes": self.notes,
        }

    def write_json(self, path: str | os.PathLike[str]) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, indent=1)
            f.write("\n")


# ------------------------------------------------------------------ workers


def _worker_env() -> dict[str, str]:
    """The worker imports what this process can: same interpreter, same
    ``sys.path`` (so peers defined in test modules or plug-ins resolve)."""
    env = dict(os.environ)
    paths = [p for p in sys.path if p]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


class _Worker:
    """A worker process for one peer."""

    def __init__(self) -> None:
        self.stderr: IO[bytes] = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dicodec.bench._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=_worker_env(),
        )
        self._buf = b""

    def request(self, req: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Sends ``req``; returns the reply, or a crashed/timeout reply."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write((json.dumps(req) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            return self._died()
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self.kill()
                    msg = f"no result after {timeout:g} s (killed)"
                    return {"codec": {"status": "timeout", "message": msg}}
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return self._died()
                self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def _died(self) -> dict[str, Any]:
        rc = self.proc.wait()
        if rc < 0:
            try:
                how = f"killed by {signal.Signals(-rc).name}"
            except ValueError:
                how = f"killed by signal {-rc}"
        else:
            how = f"exited with status {rc}"
        tail = self.stderr_tail()
        msg = f"worker process {how}" + (f": {tail}" if tail else "")
        return {"codec": {"status": "crashed", "message": msg}}

    def stderr_tail(self, limit: int = 300) -> str:
        try:
            self.stderr.seek(0)
            lines = [ln.strip() for ln in self.stderr.read().decode(errors="replace").splitlines()]
        except OSError:
            return ""
        lines = [ln for ln in lines if ln and "Warning" not in ln]
        return " | ".join(lines[-3:])[-limit:]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self.stderr.close()


# ------------------------------------------------------------------ the run


def _peer_info(cls: type[Peer]) -> PeerInfo:
    missing = cls.missing()
    return PeerInfo(
        name=cls.name,
        available=missing is None,
        pip=cls.pip,
        describes=cls.describes,
        missing_module=missing,
        versions=cls.versions() if missing is None else {},
        is_dicodec=cls.is_dicodec,
        uses_threads=cls.uses_threads,
    )


def _supports(peer: Peer, desc: FileDesc) -> tuple[bool, bool]:
    try:
        return bool(peer.supports(desc)), bool(peer.supports_file(desc))
    except Exception:
        return True, True  # let the worker report what goes wrong


def run(
    files: Sequence[FileDesc],
    peers: Sequence[type[Peer]],
    *,
    threads: int = 1,
    repeat: int = 5,
    warmup: int = 1,
    timeout: float = 300.0,
    whole_file: bool = True,
    progress: Callable[[str], None] | None = None,
    command: Sequence[str] = (),
    min_time: float = 0.0,
) -> Report:
    """Measures every peer on every file it supports; see the module docstring.
    ``min_time``: the codec path repeats (beyond ``repeat``, up to 200 runs)
    until its timed runs add up to this many seconds."""
    infos = [_peer_info(cls) for cls in peers]
    results: list[Result] = []
    save_dir = tempfile.TemporaryDirectory(prefix="dicodec-bench-")
    try:
        _run_peers(
            files,
            peers,
            infos,
            results,
            save_dir.name,
            threads,
            repeat,
            warmup,
            timeout,
            whole_file,
            progress,
            min_time,
        )
        decide_agreement(files, results)
    finally:
        save_dir.cleanup()
    ratios(files, results)
    from datetime import datetime, timezone

    return Report(
        files=list(files),
        peers=infos,
        results=results,
        settings={
            "threads": threads,
            "repeat": repeat,
            "warmup": warmup,
            "timeout_s": timeout,
            "whole_file": whole_file,
            "min_time_s": min_time,
            "timer": "time.perf_counter, garbage collector paused",
            "metric": "best of repeat (median also recorded); MB = 10^6 bytes of decoded output",
        },
        machine=machine_info(),
        versions=versions([cls for cls, i in zip(peers, infos, strict=True) if i.available]),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        command=list(command),
        notes=_pinned_note(files, peers, infos, threads),
    )


def _pinned_note(
    files: Sequence[FileDesc],
    peers: Sequence[type[Peer]],
    infos: list[PeerInfo],
    threads: int,
) -> list[str]:
    """A note naming the peers whose one-thread runs were held to one CPU."""
    if threads != 1:
        return []
    names = [
        cls.name
        for cls, info in zip(peers, infos, strict=True)
        if info.available and any(d.transfer_syntax in cls.own_threads for d in files)
    ]
    if not names:
        return []
    return [
        f"{', '.join(names)} decode some syntaxes on threads of their own whatever they are "
        "asked (GDCM and dicodec's pydicom plugin give OpenJPEG a thread per CPU for a JPEG "
        "2000 frame): for those files their worker runs on one CPU, so that their one-thread "
        "times are what one core gives."
    ]


def _run_peers(
    files: Sequence[FileDesc],
    peers: Sequence[type[Peer]],
    infos: list[PeerInfo],
    results: list[Result],
    save_dir: str,
    threads: int,
    repeat: int,
    warmup: int,
    timeout: float,
    whole_file: bool,
    progress: Callable[[str], None] | None,
    min_time: float,
) -> None:
    for cls, info in zip(peers, infos, strict=True):
        if not info.available:
            continue
        peer = cls(threads=threads)
        todo = []
        for desc in files:
            codec_ok, file_ok = _supports(peer, desc)
            if codec_ok or (file_ok and whole_file):
                todo.append(desc)
            else:
                no = PathResult("unsupported", NOT_APPLICABLE)
                results.append(Result(desc, cls.name, cls.name, cls.is_dicodec, no, no))
        worker: _Worker | None = None
        try:
            for desc in todo:
                if progress:
                    progress(f"{cls.name:<22} {desc.name}")
                if worker is None:
                    worker = _Worker()
                saved = ""
                if not desc.ref_sha256 and desc.transfer_syntax in LOSSY_DCT:
                    saved = os.path.join(save_dir, f"{len(results)}.npy")
                req = {
                    "min_time": min_time,
                    "save_to": saved or None,
                    "peer": peer_ref(cls),
                    "threads": threads,
                    "repeat": repeat,
                    "warmup": warmup,
                    "whole_file": whole_file,
                    "desc": desc.to_json(),
                }
                reply = worker.request(req, timeout)
                codec = PathResult.from_reply(reply.get("codec", {}))
                if "file" in reply:
                    whole = PathResult.from_reply(reply["file"])
                else:  # crashed or timed out mid-way
                    whole = PathResult("skipped", "not measured: the worker died")
                if codec.status in ("crashed", "timeout"):
                    worker.close()
                    worker = None
                try:
                    engine = peer.engine(desc)
                except Exception:
                    engine = cls.name
                res = Result(desc, cls.name, engine, cls.is_dicodec, codec, whole)
                res.saved = saved if saved and os.path.exists(saved) else ""
                res.votes = cls.votes and not cls.is_dicodec
                results.append(res)
        finally:
            if worker is not None:
                worker.close()
