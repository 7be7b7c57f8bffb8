"""Type stubs of the compiled extension (checked by mypy.stubtest in `make test`)."""

from typing import Any, final

import numpy
import numpy as np
import numpy.typing as npt

__version__: str

def get_max_alloc() -> int: ...
def set_max_alloc(nbytes: int) -> None: ...

# ---- codec registry ----

@final
class CodecInfo:
    @property
    def transfer_syntax_uid(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def encapsulated(self) -> bool: ...
    @property
    def lossy(self) -> bool: ...
    @property
    def feature(self) -> str: ...
    @property
    def can_decode(self) -> bool: ...
    @property
    def can_encode(self) -> bool: ...

def codecs() -> list[CodecInfo]: ...
def decode_frame_into(
    transfer_syntax_uid: str,
    data: npt.NDArray[np.uint8],
    out: npt.NDArray[np.uint8],
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    bits_stored: int,
    pixel_representation: int,
    photometric_interpretation: str,
    *,
    threads: int | None = None,
    strict: bool = False,
) -> list[str]: ...
def decode_frames_into(
    transfer_syntax_uid: str,
    data: list[npt.NDArray[np.uint8]],
    out: list[npt.NDArray[np.uint8]],
    geometry: tuple[int, int, int, int, int, int, str],
    *,
    threads: int | None = None,
) -> list[list[str] | None]: ...

# ---- reader ----

@final
class FrameInfo:
    @property
    def transfer_syntax_uid(self) -> str: ...
    @property
    def transfer_syntax_name(self) -> str: ...
    @property
    def transfer_syntax_inferred(self) -> bool: ...
    @property
    def transfer_syntax(self) -> str: ...
    @property
    def decodable(self) -> bool: ...
    @property
    def unsupported_reason(self) -> str | None: ...
    @property
    def has_preamble(self) -> bool: ...
    @property
    def has_file_meta(self) -> bool: ...
    @property
    def deflated(self) -> bool: ...
    @property
    def rows(self) -> int | None: ...
    @property
    def columns(self) -> int | None: ...
    @property
    def number_of_frames(self) -> int | None: ...
    @property
    def frames(self) -> int: ...
    @property
    def samples_per_pixel(self) -> int | None: ...
    @property
    def bits_allocated(self) -> int | None: ...
    @property
    def bits_stored(self) -> int | None: ...
    @property
    def high_bit(self) -> int | None: ...
    @property
    def pixel_representation(self) -> int | None: ...
    @property
    def planar_configuration(self) -> int | None: ...
    @property
    def photometric_interpretation(self) -> str | None: ...
    @property
    def dtype(self) -> numpy.dtype[Any] | None: ...
    @property
    def shape(self) -> tuple[int, ...] | None: ...
    @property
    def pixel_element(self) -> str: ...
    @property
    def pixel_vr(self) -> str | None: ...
    @property
    def pixel_data_offset(self) -> int: ...
    @property
    def pixel_data_length(self) -> int | None: ...
    @property
    def encapsulated(self) -> bool: ...
    @property
    def basic_offset_table(self) -> list[int]: ...
    @property
    def extended_offset_table(self) -> bool: ...
    @property
    def fragments(self) -> int: ...
    @property
    def frame_ranges(self) -> list[list[tuple[int, int]]]: ...
    @property
    def problem(self) -> str | None: ...
    @property
    def warnings(self) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...

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
def _frame_info_file(path: str) -> FrameInfo: ...
def _frame_info_buffer(data: numpy.ndarray) -> FrameInfo: ...
def _frame_info_files(
    paths: list[str], threads: int | None = None
) -> list[FrameInfo | Exception]: ...
def _frame_info_parts(
    syntax_uid: str,
    attrs: dict[str, Any],
    element: str,
    vr: str | None,
    value: numpy.ndarray,
) -> FrameInfo: ...
def _transfer_syntax_name(uid: str) -> str | None: ...

# ---- encode (registry) ----

# ---- rle ----

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

# ---- jpeg ----
def jpeg_info(data: npt.NDArray[np.uint8]) -> dict[str, Any]: ...
def jpeg_decode_into(
    data: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8], *, colour: str = "keep"
) -> list[str]: ...
def jpegll_info(data: npt.NDArray[np.uint8], full: bool = True) -> dict[str, Any]: ...
def jpegll_decode_into(
    data: npt.NDArray[np.uint8],
    out: npt.NDArray[np.uint8],
    *,
    cornell: bool | None = None,
    legacy_predictors: bool = False,
    parallel: bool = True,
) -> list[str]: ...
def jpegll_encode_frame(
    data: npt.NDArray[np.uint8],
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    bits_stored: int,
    pixel_representation: int,
    *,
    predictor: int = 1,
    restart_interval: int = 0,
    optimise: bool = True,
) -> bytes: ...
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
def jpegls_info(data: npt.NDArray[np.uint8], full: bool = True) -> dict[str, Any]: ...
def jpegls_decode_into(
    data: npt.NDArray[np.uint8],
    out: npt.NDArray[np.uint8],
    *,
    legacy_thresholds: bool | None = None,
) -> list[str]: ...
def jpegls_encode_samples(
    samples: npt.NDArray[np.uint16],
    rows: int,
    columns: int,
    components: int,
    precision: int,
    *,
    near: int = 0,
    interleave: int = 2,
    restart_interval: int = 0,
) -> bytes: ...
def _j2k_info(data: npt.NDArray[np.uint8]) -> dict[str, Any]: ...
def _j2k_build() -> str: ...
def _j2k_decode_into(
    data: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8], threads: int = 1
) -> list[str]: ...
def _jxl_info(data: npt.NDArray[np.uint8]) -> dict[str, Any]: ...
def _jxl_decode_into(
    data: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8], threads: int = 1
) -> list[str]: ...
def _deflate_frame_decode_into(data: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8]) -> None: ...
def _deflate_frame_encode(data: npt.NDArray[np.uint8], level: int = ...) -> bytes: ...

# ---- encoding through the registry ----

def _encode_frames(
    syntax: str,
    data: npt.NDArray[np.uint8],
    frames: int,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    bits_stored: int,
    pixel_representation: int,
    photometric_interpretation: str,
    *,
    codec: str = "default",
    threads: int | None = None,
    predictor: int = 1,
    restart_interval: int = 0,
    optimise: bool = True,
    near: int = 0,
    interleave: int | None = None,
    levels: int | None = None,
    code_block: tuple[int, int] | None = None,
    level: int = 6,
    arrays: bool = False,
) -> list[Any]: ...

# ---- scan ----

def scan_column_types(tags: list[int], vrs: list[str], vms: list[str]) -> list[str]: ...
def scan_decode_text(vr: str, value: bytes, charset: bytes | None = None) -> str | None: ...

@final
class Walker:
    def __new__(cls, recursive: bool = True) -> Walker: ...
    def add(self, paths: list[str], check: bool = True) -> None: ...
    def pending_sources(self) -> int: ...
    def is_done(self) -> bool: ...

@final
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

def _pl_lut(
    arr: numpy.ndarray,
    out: numpy.ndarray,
    descriptor: tuple[int, int, int],
    data: numpy.ndarray,
    wrap_bits: int | None = None,
) -> None: ...
def _pl_palette(
    arr: numpy.ndarray,
    out: numpy.ndarray,
    descriptor: tuple[int, int, int],
    luts: list[numpy.ndarray],
    wrap_bits: int | None = None,
) -> None: ...
def _pl_segmented(data: numpy.ndarray, eight_bit: bool, little_endian: bool) -> numpy.ndarray: ...
def _pl_rescale(
    arr: numpy.ndarray,
    out: numpy.ndarray,
    frame_len: int,
    slopes: list[float],
    intercepts: list[float],
) -> None: ...
def _pl_window(
    arr: numpy.ndarray,
    out: numpy.ndarray,
    center: float,
    width: float,
    function: str,
    y_min: float,
    y_max: float,
) -> None: ...
def _pl_color(arr: numpy.ndarray, out: numpy.ndarray | None, kind: str) -> None: ...
def _pl_render(
    arr: numpy.ndarray,
    out: numpy.ndarray,
    frame_len: int,
    modality: tuple[Any, ...] | None,
    voi: tuple[Any, ...],
    invert: bool,
) -> None: ...
def _pl_min_max(arr: numpy.ndarray) -> tuple[float, float] | None: ...
def _pl_png(
    arr: numpy.ndarray, frames: int, height: int, width: int, channels: int
) -> list[bytes]: ...
