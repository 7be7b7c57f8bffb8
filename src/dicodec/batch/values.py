"""``dicodec decode --values stored|modality|rgb``: which values the batch
writes, and the dtype and frame shape they need (planned from the headers,
before anything is decoded, so every series array can be created first).

* ``stored``: what :func:`dicodec.read_pixels` returns (pydicom's
  ``raw=True``), the default.
* ``modality``: the Modality LUT applied (Rescale Slope/Intercept: Hounsfield
  units for CT; or the Modality LUT Sequence), single-sample images only, as
  pydicom's ``apply_modality_lut`` computes it. The dtype is the smallest one
  that holds every value the stored range can give: an integer type when the
  slope and intercept are integers (``int16`` for most CT), ``float32``
  otherwise (pydicom's ``float64`` values rounded to ``float32``), ``uint8`` /
  ``uint16`` for a LUT (by its descriptor's bits). Without a rescale or LUT
  the values are the stored ones. Per-frame rescales of enhanced multi-frame
  files are applied; when their values do not fit the type planned from the
  top-level attributes, the input fails with that reason (nothing is
  written rounded or wrapped).
* ``rgb``: YBR_FULL / YBR_FULL_422 → RGB (``uint8``, as pydicom's
  ``convert_color_space``) and PALETTE COLOR → RGB (``apply_color_lut``:
  ``uint8`` for 8-bit palettes, else ``uint16``); other images as stored.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dicodec.batch.headers import Header
from dicodec.errors import DicodecError

__all__ = ["VALUES", "check_values", "plan_values", "convert_values", "read_lut_bits"]

#: The accepted ``values=``.
VALUES = ("stored", "modality", "rgb")

_YBR = ("YBR_FULL", "YBR_FULL_422")
_INTS = ("uint8", "int8", "uint16", "int16", "uint32", "int32", "int64")


def check_values(values: str) -> str:
    """``values`` if valid, else a ``ValueError`` naming the choices."""
    if values not in VALUES:
        raise ValueError(f"unknown values {values!r} ({', '.join(VALUES)})")
    return values


def _stored_range(h: Header) -> tuple[int, int]:
    bits = h.bits_stored or h.bits_allocated or 16
    if h.pixel_representation == 1:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def _smallest_int(lo: float, hi: float) -> str:
    for name in _INTS:
        info = np.iinfo(name)
        if info.min <= lo and hi <= info.max:
            return name
    return "float64"


def _modality_dtype(h: Header) -> str:
    stored = h.dtype()
    if h.samples != 1 or np.dtype(stored).kind == "f":
        return stored
    if h.modality_lut_bits:
        return "uint8" if h.modality_lut_bits <= 8 else "uint16"
    if h.rescale_slope is None and h.rescale_intercept is None:
        return stored
    slope = 1.0 if h.rescale_slope is None else h.rescale_slope
    icpt = 0.0 if h.rescale_intercept is None else h.rescale_intercept
    lo_s, hi_s = _stored_range(h)
    ends = (lo_s * slope + icpt, hi_s * slope + icpt)
    if float(slope).is_integer() and float(icpt).is_integer():
        return _smallest_int(min(ends), max(ends))
    return "float32"


def read_lut_bits(h: Header, path: str) -> None:
    """Fills ``h.modality_lut_bits`` for a header that came from
    :func:`dicodec.scan` (it reads top-level values only, so it cannot see the
    Modality LUT Sequence): the first item's LUT Descriptor, read with
    pydicom (header only). Needed only for ``values="modality"``."""
    if h.modality_lut_bits is not None:
        return
    import pydicom

    from dicodec.batch.headers import lut_bits

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["ModalityLUTSequence"])
        seq = ds.get("ModalityLUTSequence")
        h.modality_lut_bits = lut_bits(seq[0].get("LUTDescriptor")) if seq else None
    except Exception:  # noqa: BLE001 - unreadable here: decoding will say why
        return


def plan_values(h: Header, values: str) -> None:
    """Records ``values`` in the header and makes its planned dtype and frame
    shape those of the converted values (see the module docstring)."""
    h.values = values
    if values == "modality":
        h.out_dtype = _modality_dtype(h)
    elif values == "rgb" and (h.photometric or "").upper() == "PALETTE COLOR":
        rows, cols = h.frame_shape()[:2]
        h.out_frame_shape = [rows, cols, 3]
        h.out_dtype = "uint8" if h.palette_bits == 8 else "uint16"


def _fit(arr: np.ndarray, dtype: str, values: str) -> np.ndarray:
    """``arr`` as ``dtype``, refusing a cast that would change a value."""
    if arr.dtype == np.dtype(dtype):
        return arr
    out = arr.astype(dtype)
    if np.dtype(dtype).kind == "f":
        ok = bool(np.allclose(out, arr, rtol=1e-6, atol=0, equal_nan=True))
    else:
        ok = bool(np.array_equal(out, arr))
    if not ok:
        lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
        raise DicodecError(
            f"--values {values}: the values ({lo:g} to {hi:g}, {arr.dtype}) do not fit the "
            f"{dtype} planned from the file's top-level attributes (per-frame rescales?)"
        )
    return out


def convert_values(arr: np.ndarray, source: Any, frames: Any, h: Header) -> np.ndarray:
    """The stored values ``arr`` of ``source`` (frames ``frames``) as
    ``h.values`` asks, in the planned dtype."""
    values = h.values
    if values == "stored":
        return arr
    if values == "modality":
        from dicodec.display import _post_process

        arr = _post_process(arr, source, frames, False, True, False)
    elif values == "rgb":
        pi = (h.photometric or "").upper()
        if pi in _YBR and arr.dtype == np.uint8 and arr.shape[-1:] == (3,):
            from dicodec.pipeline import convert_color_space

            arr = convert_color_space(arr, "YBR_FULL", "RGB", per_frame=arr.ndim == 4)
        elif pi == "PALETTE COLOR":
            from dicodec.display import _header
            from dicodec.pipeline import apply_color_lut

            arr = apply_color_lut(arr, _header(source))
    return _fit(arr, h.dtype(), values)
