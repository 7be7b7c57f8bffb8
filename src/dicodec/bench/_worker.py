"""Worker process: ``python -m dicodec.bench._worker``.

Reads one JSON request a line on stdin, measures one (peer, file) pair and
writes one JSON reply a line to the original stdout. Everything else a library
prints goes to stderr (fd 1 is pointed at fd 2), so it cannot corrupt the
protocol. A peer that crashes takes only this process down; the parent
reports it and starts a fresh worker for the next file.

Request: ``{"peer": ref, "threads": int, "repeat": int, "warmup": int,
"desc": FileDesc.to_json(), "whole_file": bool, "save_to": path or null,
"min_time": seconds}``.
Reply: ``{"codec": path_result, "file": path_result}`` where a path result is
``{"status": "ok", "times": [s...], "sha256": str, "shape": [...],
"dtype": str}`` or ``{"status": "unsupported"|"error"|"skipped", "message": str}``.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dicodec.bench.files import FileDesc
from dicodec.bench.normalise import normalise, sha256_of
from dicodec.bench.peers import NOT_APPLICABLE, Peer, UnsupportedByPeer, get_peer_class

__all__ = ["measure", "main"]

_MAX_MESSAGE = 400


#: Most timed runs of one measurement when ``min_time`` asks for more.
MAX_REPEAT = 200


def _timed(
    fn: Callable[[], Any], repeat: int, warmup: int, min_time: float = 0.0
) -> tuple[Any, list[float], list[float]]:
    """Calls ``fn`` ``warmup`` times (keeping the first result), then
    ``repeat`` timed times with the garbage collector paused — more (up to
    ``MAX_REPEAT``) until the timed runs add up to ``min_time`` seconds, so
    that the best of a fast decoder is not one unlucky slice of a busy CPU.
    Returns the first result, the wall-clock times and the CPU times of this
    process (``time.process_time``: on a loaded machine, the CPU time of a
    one-thread decoder is what it costs, the wall-clock time includes
    waiting for a core)."""
    result = fn()
    for _ in range(max(warmup, 1) - 1):
        fn()
    times: list[float] = []
    cpu: list[float] = []
    gc_was_enabled = gc.isenabled()
    try:
        while len(times) < max(repeat, 1) or (sum(times) < min_time and len(times) < MAX_REPEAT):
            gc.collect()
            gc.disable()
            c0 = time.process_time()
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            if gc_was_enabled:
                gc.enable()
    finally:
        if gc_was_enabled:
            gc.enable()
    return result, times, cpu


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, UnsupportedByPeer):
        return {"status": "unsupported", "message": str(exc)[:_MAX_MESSAGE]}
    text = f"{type(exc).__name__}: {exc}"
    return {"status": "error", "message": text[:_MAX_MESSAGE]}


def _path(
    peer: Peer,
    desc: FileDesc,
    fn: Callable[[], Any],
    repeat: int,
    warmup: int,
    save_to: str | None = None,
    min_time: float = 0.0,
) -> dict[str, Any]:
    try:
        result, times, cpu = _timed(fn, repeat, warmup, min_time)
        arr = normalise(result, desc, planar=peer.planar, packed_bits=peer.packed_bits)
        if save_to:
            import numpy as np

            np.save(save_to, arr)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        if os.environ.get("DICODEC_BENCH_DEBUG"):
            traceback.print_exc()
        return _error(exc)
    return {
        "status": "ok",
        "times": times,
        "cpu_times": cpu,
        "sha256": sha256_of(arr),
        "shape": list(arr.shape),
        "dtype": arr.dtype.str,
    }


@contextmanager
def one_cpu(active: bool) -> Iterator[None]:
    """With ``active``, runs the block on one CPU (the lowest this process may
    use; threads created inside inherit it), then restores the CPU set. For
    peers that start threads of their own (``Peer.own_threads``): their
    one-thread times then cost what one core gives. A no-op where the OS has
    no ``sched_setaffinity``."""
    if not active or not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def measure(
    peer: Peer,
    desc: FileDesc,
    *,
    repeat: int,
    warmup: int,
    whole_file: bool,
    save_to: str | None = None,
    min_time: float = 0.0,
) -> dict:
    """Measures both paths of ``peer`` on ``desc`` (in this process); with
    ``save_to``, the normalised result of the codec path (else of the
    whole-file path) is saved there (``.npy``) for a closer comparison. A
    one-thread measurement of a peer that starts threads of its own for
    ``desc`` runs on one CPU (``one_cpu``)."""
    with one_cpu(peer.threads == 1 and desc.transfer_syntax in peer.own_threads):
        return _measure(peer, desc, repeat, warmup, whole_file, save_to, min_time)


def _measure(
    peer: Peer,
    desc: FileDesc,
    repeat: int,
    warmup: int,
    whole_file: bool,
    save_to: str | None,
    min_time: float,
) -> dict:
    out: dict[str, Any] = {}
    if peer.supports(desc):
        try:
            prepared = peer.prepare(desc)
        except Exception as exc:
            out["codec"] = _error(exc)
        else:
            out["codec"] = _path(
                peer, desc, lambda: peer.decode(prepared, desc), repeat, warmup, save_to, min_time
            )
            if out["codec"]["status"] == "ok":
                save_to = None
            del prepared
    else:
        out["codec"] = {"status": "unsupported", "message": NOT_APPLICABLE}
    if not whole_file:
        out["file"] = {"status": "skipped", "message": "whole-file timing off"}
    elif peer.supports_file(desc):
        out["file"] = _path(peer, desc, lambda: peer.decode_file(desc), repeat, warmup, save_to)
    else:
        out["file"] = {"status": "unsupported", "message": NOT_APPLICABLE}
    return out


def main() -> int:
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    peers: dict[tuple[str, int], Peer] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        key = (req["peer"], int(req.get("threads", 1)))
        try:
            if key not in peers:
                peers[key] = get_peer_class(key[0])(threads=key[1])
            reply = measure(
                peers[key],
                FileDesc.from_json(req["desc"]),
                repeat=int(req.get("repeat", 5)),
                warmup=int(req.get("warmup", 1)),
                whole_file=bool(req.get("whole_file", True)),
                save_to=req.get("save_to"),
                min_time=float(req.get("min_time", 0.0)),
            )
        except Exception as exc:
            err = _error(exc)
            reply = {"codec": err, "file": err}
        proto.write(json.dumps(reply) + "\n")
        proto.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
