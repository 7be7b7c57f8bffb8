"""Type stubs of the compiled extension (checked by mypy.stubtest in `make test`)."""

__version__: str

def get_max_alloc() -> int: ...
def set_max_alloc(nbytes: int) -> None: ...

# ---- reader ----

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

# ---- end jpeg ----

# ---- scan ----

# ---- end scan ----
