"""Base of the typed header results of the raw-stream ``*_info`` functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ImageInfo:
    """Geometry shared by the header results (JPEG-LS, JPEG Lossless): what the
    matching ``*_decode`` function returns is ``np.empty(shape, dtype)``."""

    #: Sample precision in bits.
    precision: int
    #: Lines.
    rows: int
    #: Samples per line.
    columns: int
    #: Number of components.
    components: int

    @property
    def dtype(self) -> np.dtype[Any]:
        """dtype the decoder returns: uint8 for precision <= 8, else uint16."""
        return np.dtype(np.uint8 if self.precision <= 8 else np.uint16)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape the decoder returns: (rows, columns[, components])."""
        if self.components == 1:
            return (self.rows, self.columns)
        return (self.rows, self.columns, self.components)
