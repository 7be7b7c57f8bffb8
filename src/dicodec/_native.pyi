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
from typing import Any as _Any
from os import PathLike as _PathLike

class Walker:
    def __init__(self, recursive: bool = True) -> None: ...
    def add(self, paths: list[str | _PathLike[str]]) -> None: ...
    def pending_sources(self) -> int: ...
    def is_done(self) -> bool: ...

class Scanner:
    def __init__(
        self,
        tags: list[int],
        vrs: list[str],
        vms: list[str],
        threads: int | None = None,
        read_size: int = 16384,
    ) -> None: ...
    @property
    def column_types(self) -> list[str]: ...
    @property
    def threads(self) -> int: ...
    def scan_next(self, walker: Walker, max_files: int) -> dict[str, _Any] | None: ...

# ---- end scan ----
