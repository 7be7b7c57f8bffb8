"""Buffer views shared by the per-codec ``*_decode`` functions (RLE, JPEG Lossless)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _byte_view(data: Any) -> np.ndarray:
    """A 1-D uint8 view of any buffer (zero-copy when contiguous)."""
    if isinstance(data, np.ndarray):
        if not data.flags.c_contiguous:
            data = np.ascontiguousarray(data)
        return data.reshape(-1).view(np.uint8)
    return np.frombuffer(data, dtype=np.uint8)


def _out_view(out: Any, nbytes: int) -> np.ndarray:
    """A writable 1-D uint8 view of ``out``, checked to hold ``nbytes``."""
    if isinstance(out, np.ndarray):
        if not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError("out must be a writeable C-contiguous array")
        if out.dtype.byteorder == ">":
            raise ValueError("out must not be big-endian (decoded samples are little-endian)")
        view = out.reshape(-1).view(np.uint8)
    else:
        view = np.frombuffer(out, dtype=np.uint8)
        if not view.flags.writeable:
            raise ValueError("out must be writeable")
    if view.nbytes != nbytes:
        raise ValueError(f"out has {view.nbytes} bytes, the frame needs {nbytes}")
    return view
