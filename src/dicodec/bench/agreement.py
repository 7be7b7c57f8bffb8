"""Which results agree, and the speed ratios to dicodec (after a run of
:mod:`dicodec.bench.runner`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dicodec.bench.files import FileDesc
from dicodec.bench.peers.base import JPEG_DCT

if TYPE_CHECKING:
    from dicodec.bench.runner import Result

#: Peers whose time is the 1.00× of the "vs dicodec" column, first available.
DICODEC_REFERENCE = ("dicodec", "dicodec.frames", "dicodec.pydicom")


def decide_agreement(files: Sequence[FileDesc], results: list[Result]) -> None:
    by_file: dict[str, list[Result]] = {}
    for r in results:
        by_file.setdefault(r.desc.path, []).append(r)
    for desc in files:
        rs = [r for r in by_file.get(desc.path, []) if r.sha256]
        for r in rs:
            if r.codec.ok and r.whole.ok and r.codec.sha256 != r.whole.sha256:
                r.note = "whole-file result differs from the in-memory result"
        if desc.ref_sha256:
            for r in rs:
                r.agrees = r.sha256 == desc.ref_sha256 and not r.note
                r.basis = "reference"
            continue
        votes: dict[str, set[str]] = {}
        for r in rs:
            if r.votes and not r.is_dicodec:
                votes.setdefault(r.sha256 or "", set()).add(r.engine)
        if not votes:
            continue
        ranked = sorted(votes.items(), key=lambda kv: len(kv[1]), reverse=True)
        if len(ranked) > 1 and len(ranked[0][1]) == len(ranked[1][1]):
            for r in rs:
                r.basis = "split"
            continue
        consensus, engines = ranked[0]
        for r in rs:
            if len(engines) == 1 and r.engine in engines and r.votes:
                # The only independent voter: it agrees if anyone else matches.
                others = [o for o in rs if o is not r and o.engine != r.engine]
                r.basis = "single"
                r.agrees = True if any(o.sha256 == r.sha256 for o in others) else None
            else:
                r.basis = "peers" if len(engines) > 1 else "single"
                r.agrees = r.sha256 == consensus and not r.note
        if desc.transfer_syntax in JPEG_DCT:
            _within_one(desc, rs)


def ratios(files: Sequence[FileDesc], results: list[Result]) -> None:
    for desc in files:
        rs = [r for r in results if r.desc.path == desc.path]
        ref = None
        for name in DICODEC_REFERENCE:
            ref = next((r for r in rs if r.peer == name and r.codec.ok), None)
            if ref is not None:
                break
        if ref is None or not ref.codec.best:
            continue
        for r in rs:
            if r.codec.best:
                r.ratio = ref.codec.best / r.codec.best


def _within_one(desc: FileDesc, rs: list[Result]) -> None:
    """Lossy DCT results that differ from the consensus by at most 1 agree
    (noted); the others stay wrong, with their largest difference."""
    import numpy as np

    ref = next((r for r in rs if r.agrees and r.saved and r.votes), None)
    if ref is None:
        return
    want = np.load(ref.saved).astype(np.int64)
    for r in rs:
        if r.agrees is not False or not r.saved or r.note:
            continue
        got = np.load(r.saved).astype(np.int64)
        if got.shape != want.shape:
            continue
        r.max_diff = int(np.abs(got - want).max())
        if r.max_diff <= 1:
            r.agrees = True
            r.note = f"within ±1 of the consensus ({ref.engine})"
