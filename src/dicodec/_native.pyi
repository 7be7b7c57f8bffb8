"""Type stubs of the compiled extension (checked by mypy.stubtest in `make test`)."""

__version__: str

def get_max_alloc() -> int: ...
def set_max_alloc(nbytes: int) -> None: ...

# ---- reader ----

# ---- end reader ----

# ---- rle ----

# ---- end rle ----

# ---- jpeg ----
from typing import Any as _Any  # noqa: E402

from typing_extensions import Buffer as _Buffer  # noqa: E402

def _jpegll_info(data: _Buffer) -> dict[str, _Any]: ...
def _jpegll_decode(
    data: _Buffer,
    out: _Any | None = None,
    *,
    cornell: bool | None = None,
    legacy_predictors: bool = False,
    parallel: bool = True,
) -> tuple[_Any, list[str]]: ...
def _jpegll_decode_frame(
    data: _Buffer,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    bits_stored: int,
    pixel_representation: int,
    *,
    cornell: bool | None = None,
    legacy_predictors: bool = False,
    parallel: bool = True,
) -> tuple[bytearray, list[str]]: ...

# ---- end jpeg ----

# ---- scan ----

# ---- end scan ----
