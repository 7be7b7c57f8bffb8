"""Display-ready images: :func:`render` (a file to ``uint8``/``uint16`` images
in one call) and the ``as_rgb`` / ``modality_lut`` / ``voi_lut`` steps of
:func:`dicodec.read_pixels`. The numeric work runs in Rust
(``dicodec_core::pipeline::window::render``); the pydicom-compatible functions
are in :mod:`dicodec.pipeline`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dicodec import _native
from dicodec.pipeline import (
    _YBR,
    _lut_words,
    _prep,
    apply_color_lut,
    apply_modality_lut,
    apply_voi_lut,
    convert_color_space,
)

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

__all__ = ["render"]


# ---- Rendering -------------------------------------------------------------


def _item0(seq: Any, keyword: str) -> Any:
    if seq:
        inner = seq[0].get(keyword, None)
        if inner:
            return inner[0]
    return None


def _frame_groups(ds: Dataset, nframes: int, keyword: str) -> list[Any] | None:
    """Per frame, the first item of functional group ``keyword`` (per-frame
    value, else the shared one), or ``None`` when no frame has it."""
    shared = _item0(ds.get("SharedFunctionalGroupsSequence", None), keyword)
    per_frame = ds.get("PerFrameFunctionalGroupsSequence", None) or []
    items = []
    for i in range(nframes):
        item = None
        if i < len(per_frame):
            seq = per_frame[i].get(keyword, None)
            item = seq[0] if seq else None
        items.append(item if item is not None else shared)
    if all(x is None for x in items):
        return None
    return items


def _modality_step(ds: Dataset, frames: list[int], nframes: int) -> Any:
    """``None``, ``("rescale", slopes, intercepts)`` or ``("lut", desc, data)``."""
    if ds.get("ModalityLUTSequence"):
        item = ds.ModalityLUTSequence[0]
        desc = item.LUTDescriptor
        data = _lut_words(ds, item, desc[0] or 2**16)
        return ("lut", (int(desc[0]), int(desc[1]), int(desc[2])), data)
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        return ("rescale", [float(ds.RescaleSlope)], [float(ds.RescaleIntercept)])
    groups = _frame_groups(ds, nframes, "PixelValueTransformationSequence")
    if groups is None:
        return None
    slopes, intercepts = [], []
    for i in frames:
        g = groups[i]
        slopes.append(float(g.get("RescaleSlope", 1.0) or 1.0) if g is not None else 1.0)
        intercepts.append(float(g.get("RescaleIntercept", 0.0) or 0.0) if g is not None else 0.0)
    return ("rescale", slopes, intercepts)


def _file_window(ds: Dataset) -> tuple[float, float, str] | None:
    def first(v: Any) -> Any:
        return v[0] if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue" else v

    if ds.get("WindowCenter", None) is not None and ds.get("WindowWidth", None) is not None:
        func = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").upper()
        return float(first(ds.WindowCenter)), float(first(ds.WindowWidth)), func
    groups = _frame_groups(ds, 1, "FrameVOILUTSequence")
    if groups and groups[0] is not None:
        g = groups[0]
        if g.get("WindowCenter", None) is not None and g.get("WindowWidth", None) is not None:
            func = str(g.get("VOILUTFunction", "LINEAR") or "LINEAR").upper()
            return float(first(g.WindowCenter)), float(first(g.WindowWidth)), func
    return None


def _header(source: Any) -> Dataset:
    """The dataset of ``source`` without its pixel data (``source`` itself
    for a ``pydicom.Dataset``)."""
    import os
    from io import BytesIO

    from pydicom import dcmread
    from pydicom.dataset import Dataset

    if isinstance(source, Dataset):
        return source
    if isinstance(source, (str, os.PathLike)):
        return dcmread(os.fspath(source), stop_before_pixels=True, force=True)
    return dcmread(BytesIO(memoryview(source).tobytes()), stop_before_pixels=True, force=True)


def _frame_list(frames: int | Sequence[int] | None, nframes: int) -> list[int]:
    if frames is None:
        return list(range(nframes))
    if isinstance(frames, (int, np.integer)):
        frames = [int(frames)]
    return [int(i) % nframes if -nframes <= int(i) < nframes else int(i) for i in frames]


def _nframes(ds: Dataset) -> int:
    try:
        return max(int(ds.get("NumberOfFrames", 1) or 1), 1)
    except (TypeError, ValueError):
        return 1


def _display_window(stored: np.ndarray, ds: Dataset, modality: Any, window: Any) -> tuple[Any, ...]:
    """The VOI step of :func:`render`: ``("window", c, w, function)`` or
    ``("lut", desc, data)``."""
    if isinstance(window, tuple) or isinstance(window, list):
        c, w = window
        return ("window", float(c), float(w), "LINEAR")
    if window not in (None, "file", "auto"):
        raise ValueError(f"window must be None, 'file', 'auto' or (center, width), not {window!r}")
    if window in (None, "file"):
        if ds.get("VOILUTSequence"):
            item = ds.VOILUTSequence[0]
            desc = item.LUTDescriptor
            data = _lut_words(ds, item, desc[0] or 2**16)
            return ("lut", (int(desc[0]), int(desc[1]), int(desc[2])), data)
        fw = _file_window(ds)
        if fw is not None:
            return ("window", *fw)
        if window == "file":
            raise ValueError("the dataset has no window (Window Center/Width) nor VOI LUT")
    # auto: the range of the values after the modality step
    mm = _native._pl_min_max(stored)
    if mm is None:
        return ("window", 0.0, 1.0, "LINEAR_EXACT")
    lo, hi = mm
    if modality is not None and modality[0] == "rescale":
        ends = [v * s + b for v in (lo, hi) for s in modality[1] for b in modality[2]]
        lo, hi = min(ends), max(ends)
    elif modality is not None:  # LUT: its whole output range
        lo, hi = float(modality[2].min()), float(modality[2].max())
    width = hi - lo
    if width <= 0:
        return ("window", lo, 1.0, "LINEAR_EXACT")
    return ("window", (lo + hi) / 2, width, "LINEAR_EXACT")


def render(
    source: Any,
    frames: int | Sequence[int] | None = None,
    *,
    window: None | str | tuple[float, float] = None,
    output: str = "uint8",
    threads: int | None = None,
) -> np.ndarray:
    """Display-ready images of ``source`` (path, buffer or ``pydicom.Dataset``).

    Greyscale: stored values → Modality LUT (Rescale Slope/Intercept, per
    frame for enhanced multi-frame files, or Modality LUT Sequence) → VOI →
    ``0..255`` (``output="uint8"``) or ``0..65535`` (``"uint16"``), rounded,
    MONOCHROME1 inverted so that white is high. ``window``: ``None`` (the
    file's VOI LUT or window, else ``"auto"``), ``"file"`` (the file's, an
    error when it has none), ``"auto"`` (the range of the values) or
    ``(center, width)`` (LINEAR). Colour: YCbCr → RGB, palettes applied;
    ``uint16`` output scales 8-bit colour by 257.

    The shape is that of :func:`dicodec.read_pixels` (with a last axis of 3
    for colour).
    """
    from dicodec.reader import read_pixels

    if output not in ("uint8", "uint16"):
        raise ValueError(f"output must be 'uint8' or 'uint16', not {output!r}")
    dtype = np.dtype(output)
    ds = _header(source)
    stored = read_pixels(source, frames, threads=threads)
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    if photometric == "PALETTE COLOR":
        rgb = apply_color_lut(stored, ds)
        return _scale_colour(rgb, dtype)
    if stored.ndim >= 3 and stored.shape[-1] in (3, 4) and int(ds.get("SamplesPerPixel", 1)) > 1:
        if photometric in _YBR and stored.dtype == np.uint8:
            stored = convert_color_space(stored, "YBR_FULL", "RGB", per_frame=stored.ndim == 4)
        return _scale_colour(stored, dtype)
    nframes = _nframes(ds)
    flist = _frame_list(frames, nframes)
    modality = _modality_step(ds, flist, nframes)
    voi = _display_window(stored, ds, modality, window)
    out = np.empty(stored.shape, dtype=dtype)
    a = _prep(stored)
    if a is None:
        raise TypeError(f"cannot render {stored.dtype} values")
    rows_cols = int(np.prod(stored.shape[-2:])) if stored.ndim >= 2 else max(stored.size, 1)
    if modality is not None and modality[0] == "rescale" and len(modality[1]) == 1:
        rows_cols = max(a.size, 1)
    _native._pl_render(a, out, rows_cols, modality, voi, photometric == "MONOCHROME1")
    return out


def _scale_colour(arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if arr.dtype == dtype:
        return arr
    if dtype == np.uint16 and arr.dtype == np.uint8:
        return arr.astype(np.uint16) * np.uint16(257)
    if dtype == np.uint8 and arr.dtype == np.uint16:
        return ((arr.astype(np.uint32) + 128) // 257).astype(np.uint8)
    # other depths: scale the full range of the samples
    maxv = float(np.iinfo(arr.dtype).max) if np.issubdtype(arr.dtype, np.integer) else 1.0
    scaled = np.clip(np.floor(arr.astype(np.float64) / maxv * np.iinfo(dtype).max + 0.5), 0, None)
    return scaled.astype(dtype)


def _post_process(
    arr: np.ndarray,
    source: Any,
    frames: Any,
    as_rgb: bool,
    modality_lut: bool,
    voi_lut: bool,
) -> np.ndarray:
    """The ``as_rgb``, ``modality_lut`` and ``voi_lut`` steps of
    :func:`dicodec.read_pixels`, in that order, on its stored values."""
    ds = _header(source)
    photometric = str(ds.get("PhotometricInterpretation", "")).strip().upper()
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if as_rgb and photometric in _YBR and arr.dtype == np.uint8 and arr.shape[-1:] == (3,):
        arr = convert_color_space(arr, "YBR_FULL", "RGB", per_frame=True)
    if samples != 1:
        return arr
    if modality_lut:
        nframes = _nframes(ds)
        step = _modality_step(ds, _frame_list(frames, nframes), nframes)
        if step is not None and step[0] == "rescale" and "RescaleSlope" not in ds:
            a = _prep(arr)
            assert a is not None
            out = np.empty(arr.shape, dtype=np.float64)
            per_frame = len(step[1]) > 1
            frame_len = int(np.prod(arr.shape[-2:])) if per_frame else max(arr.size, 1)
            _native._pl_rescale(a, out, frame_len, step[1], step[2])
            arr = out
        else:
            arr = apply_modality_lut(arr, ds)
    if voi_lut:
        arr = apply_voi_lut(arr, ds)
    return arr
