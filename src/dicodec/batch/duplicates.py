"""Duplicate instances in a batch: the same SOP Instance UID twice in a
series (a second copy of a file in a ``.zip``, one image in several
encodings...).

Equal pixels: the first input (in listing order) is kept, every other copy
is recorded as ``skipped: duplicate`` naming the one kept. Different pixels
(a lossy copy, a different image with a reused UID): all are kept, and the
series is not stacked (see :func:`dicodec.batch.plan.plan_series`, whose
``unstacked_reason`` names the UID). Only inputs whose UID repeats are
decoded here, to compare them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from dicodec.batch.headers import Header, HeaderFailure
    from dicodec.batch.sources import Item

__all__ = ["drop_duplicates", "repeated_uid"]


def repeated_uid(headers: list[Header]) -> tuple[str, int] | None:
    """The first SOP Instance UID that appears more than once, and how often."""
    seen: dict[str, int] = defaultdict(int)
    for h in headers:
        if h.sop_uid:
            seen[h.sop_uid] += 1
    for uid, n in seen.items():
        if n > 1:
            return uid, n
    return None


def drop_duplicates(
    entries: list[tuple[Item, Header]],
) -> tuple[list[tuple[Item, Header]], list[tuple[Item, HeaderFailure]]]:
    """Splits ``entries`` into those to decode and the duplicates to record
    as skipped (same series, same SOP Instance UID, equal pixels)."""
    import numpy as np

    from dicodec import read_pixels
    from dicodec.batch.headers import HeaderFailure
    from dicodec.batch.sources import read_payload

    groups: dict[tuple[str, str], list[tuple[Item, Header]]] = defaultdict(list)
    for item, h in entries:
        if h.sop_uid:
            groups[(h.series_uid or "", h.sop_uid)].append((item, h))
    dropped: dict[str, HeaderFailure] = {}
    for (_, uid), members in groups.items():
        if len(members) < 2:
            continue
        kept: list[tuple[Item, np.ndarray]] = []
        for item, h in members:
            try:
                arr = read_pixels(read_payload(item))
            except Exception:  # noqa: BLE001 - decoding proper records the failure
                continue
            same = next(
                (
                    k
                    for k, ref in kept
                    if ref.dtype == arr.dtype
                    and ref.shape == arr.shape
                    and np.array_equal(ref, arr)
                ),
                None,
            )
            if same is None:
                kept.append((item, arr))
            else:
                dropped[item.path] = HeaderFailure(
                    "skipped",
                    "duplicate",
                    f"duplicate of {same.path} (same SOP Instance UID {uid}, same pixels)",
                    h,
                )
    failures = [(item, dropped[item.path]) for item, _ in entries if item.path in dropped]
    return [e for e in entries if e[0].path not in dropped], failures
