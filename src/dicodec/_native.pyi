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

# ---- end scan ----
