"""``dicodec export --montage``: one contact sheet per series.

Every input is rendered as ``dicodec export`` renders it (:func:`dicodec.render`),
its frames kept in memory with its series (SeriesInstanceUID; an input without
one is a series of its own) and its place in the series (the stack order of
``dicodec decode``: InstanceNumber, then the position along the slice normal,
then the path). When every input is rendered, each series' frames, in stack
order, become one near-square grid (:func:`dicodec.export.montage`) written to
``OUT/<SeriesInstanceUID>.png`` (``nouid.<hash>.png`` without a usable UID).
Frames of different sizes are placed top-left in tiles of the largest size;
greyscale frames of a series that also has colour frames are repeated on three
channels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Rendered", "render_for_series", "series_sheets", "finish_montage"]


@dataclass
class Rendered:
    """One input's rendered frames and where they go."""

    series: str
    order: tuple[Any, ...]
    frames: np.ndarray  # (frames, rows, columns[, channels])
    keys: list[str] = field(default_factory=list)


def render_for_series(
    item: Any, payload: str | bytes, window: Any, frames: Any, bits: int
) -> Rendered:
    """Renders ``payload``'s frames selected by ``frames`` (as ``--frames``)
    and finds its series and stack position."""
    from dicodec.batch.headers import header_from_dataset
    from dicodec.batch.plan import _hashed, _normal, resolve_frames, stack_key
    from dicodec.batch.safepath import safe_node_name
    from dicodec.display import _header, render

    h = header_from_dataset(_header(payload))
    sel = resolve_frames(frames, h.frames)
    if sel is not None and not sel:
        raise IndexError(f"--frames selects none of the {h.frames} frames")
    img = render(payload, sel, window=window, output="uint8" if bits == 8 else "uint16")
    multi = sel is not None or h.frames > 1
    stack = img if multi else img[None]
    series = safe_node_name(h.series_uid) or _hashed(item)
    order = stack_key(h, _normal(h.image_orientation), item.path)
    return Rendered(series, order, stack, [item.key])


def _tiles(frames: list[np.ndarray]) -> np.ndarray:
    """One (frames, rows, columns[, 3]) array from stacks of any sizes."""
    colour = any(f.ndim == 4 for f in frames)
    rows = max(f.shape[1] for f in frames)
    cols = max(f.shape[2] for f in frames)
    dtype = np.result_type(*[f.dtype for f in frames])
    n = sum(f.shape[0] for f in frames)
    out = np.zeros((n, rows, cols) + ((3,) if colour else ()), dtype=dtype)
    i = 0
    for f in frames:
        if colour and f.ndim == 3:
            f = np.repeat(f[..., None], 3, axis=-1)
        f = f[..., :3] if colour else f
        out[i : i + f.shape[0], : f.shape[1], : f.shape[2]] = f
        i += f.shape[0]
    return out


def series_sheets(rendered: list[Rendered], out: Path) -> dict[str, tuple[Path, int]]:
    """Writes one contact sheet per series; returns, per series, its PNG and
    its size in bytes."""
    from dicodec import _native
    from dicodec.export import _write, montage

    by_series: dict[str, list[Rendered]] = {}
    for r in rendered:
        by_series.setdefault(r.series, []).append(r)
    written: dict[str, tuple[Path, int]] = {}
    for series, parts in by_series.items():
        parts.sort(key=lambda r: r.order)
        sheet = np.ascontiguousarray(montage(_tiles([p.frames for p in parts])))
        ch = sheet.shape[2] if sheet.ndim == 3 else 1
        data = _native._pl_png(sheet[None], 1, sheet.shape[0], sheet.shape[1], ch)[0]
        path = out / f"{series}.png"
        _write(path, data)
        written[series] = (path, len(data))
    return written


def finish_montage(
    rendered: list[Rendered],
    rows: dict[str, dict[str, Any]],
    done: dict[str, dict[str, Any]],
    items: list[Any],
    out: Path,
    render_args: tuple[Any, Any, int],
) -> list[tuple[str, dict[str, Any]]]:
    """Writes the sheets of the series rendered in this run. Inputs of those
    series that an earlier run finished are rendered again (their frames are
    not kept between runs). Returns the (input key, row) pairs to journal."""
    from dicodec.batch.sources import read_payload

    touched = {r.series for r in rendered}
    by_key = {it.key: it for it in items}
    for key, old in done.items():
        if old.get("series_uid") in touched and key in by_key:
            item = by_key[key]
            rendered.append(render_for_series(item, read_payload(item), *render_args))
    written = series_sheets(rendered, out)
    journal: list[tuple[str, dict[str, Any]]] = []
    for series, (path, nbytes) in written.items():
        keys = [k for r in rendered if r.series == series for k in r.keys]
        for i, key in enumerate(keys):
            row = rows.get(key)
            if row is None:
                continue  # an earlier run's row: its output is the same sheet
            row.update(output=str(path.relative_to(out)), bytes_out=nbytes if i == 0 else 0)
            journal.append((key, row))
    return journal
