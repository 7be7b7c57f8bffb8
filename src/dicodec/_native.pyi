"""Type stubs of the compiled extension (checked by mypy.stubtest in `make test`)."""

__version__: str

def get_max_alloc() -> int: ...
def set_max_alloc(nbytes: int) -> None: ...

# ---- reader ----

# ---- end reader ----

# ---- rle ----

# ---- end rle ----

# ---- jpeg ----

# ---- end jpeg ----

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
