"""Type stubs of the compiled extension (checked by mypy.stubtest in `make test`)."""

__version__: str

def get_max_alloc() -> int: ...
def set_max_alloc(nbytes: int) -> None: ...

# ---- reader ----
from typing import Any  # noqa: E402

import numpy  # noqa: E402

def _read_pixels_file(
    path: str,
    frames: list[int] | None = None,
    single: bool = False,
    threads: int | None = None,
    out: numpy.ndarray | None = None,
) -> tuple[numpy.ndarray, list[str]]: ...
def _read_pixels_buffer(
    data: numpy.ndarray,
    frames: list[int] | None = None,
    single: bool = False,
    threads: int | None = None,
    out: numpy.ndarray | None = None,
) -> tuple[numpy.ndarray, list[str]]: ...
def _read_pixels_parts(
    syntax_uid: str,
    attrs: dict[str, Any],
    element: str,
    vr: str | None,
    value: numpy.ndarray,
    frames: list[int] | None = None,
    single: bool = False,
    threads: int | None = None,
    out: numpy.ndarray | None = None,
) -> tuple[numpy.ndarray, list[str]]: ...
def _frame_info_file(path: str) -> dict[str, Any]: ...
def _frame_info_buffer(data: numpy.ndarray) -> dict[str, Any]: ...
def _frame_info_files(
    paths: list[str], threads: int | None = None
) -> list[dict[str, Any] | BaseException]: ...
def _frame_info_parts(
    syntax_uid: str,
    attrs: dict[str, Any],
    element: str,
    vr: str | None,
    value: numpy.ndarray,
) -> dict[str, Any]: ...
def _transfer_syntax_name(uid: str) -> str | None: ...

# ---- end reader ----

# ---- rle ----
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

def rle_decode_into(
    data: npt.NDArray[np.uint8],
    out: npt.NDArray[np.uint8],
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    strict: bool = False,
    lsb_first: bool = False,
) -> list[str]: ...
def rle_encode_frame(
    data: npt.NDArray[np.uint8],
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    pixel_representation: int = 0,
) -> bytes: ...
def rle_check(data: npt.NDArray[np.uint8]) -> bool: ...

# ---- end rle ----

# ---- jpeg ----
def jpegll_info(data: npt.NDArray[np.uint8], full: bool = True) -> dict[str, Any]: ...
def jpegll_decode_into(
    data: npt.NDArray[np.uint8],
    out: npt.NDArray[np.uint8],
    *,
    cornell: bool | None = None,
    legacy_predictors: bool = False,
    parallel: bool = True,
) -> list[str]: ...
def jpegll_decode_frame(
    data: npt.NDArray[np.uint8],
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

# ---- library codecs (J2K, JPEG XL, deflated frames) ----
def _j2k_info(data: npt.NDArray[np.uint8]) -> dict[str, Any]: ...
def _j2k_decode_into(
    data: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8], threads: int = 1
) -> list[str]: ...
def _jxl_info(data: npt.NDArray[np.uint8]) -> dict[str, Any]: ...
def _jxl_decode_into(
    data: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8], threads: int = 1
) -> list[str]: ...
def _deflate_frame_decode_into(data: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8]) -> None: ...
def _deflate_frame_encode(data: npt.NDArray[np.uint8], level: int = ...) -> bytes: ...

# ---- end library codecs ----

# ---- scan ----
from typing import final as _final  # noqa: E402

def scan_column_types(tags: list[int], vrs: list[str], vms: list[str]) -> list[str]: ...
def scan_decode_text(vr: str, value: bytes, charset: bytes | None = None) -> str | None: ...

@_final
class Walker:
    def __new__(cls, recursive: bool = True) -> Walker: ...
    def add(self, paths: list[str], check: bool = True) -> None: ...
    def pending_sources(self) -> int: ...
    def is_done(self) -> bool: ...

@_final
class Scanner:
    def __new__(
        cls,
        tags: list[int],
        vrs: list[str],
        vms: list[str],
        threads: int | None = None,
        read_size: int = 4096,
    ) -> Scanner: ...
    @property
    def column_types(self) -> list[str]: ...
    @property
    def threads(self) -> int: ...
    def scan_next(self, walker: Walker, max_files: int) -> dict[str, object] | None: ...

# ---- end scan ----
