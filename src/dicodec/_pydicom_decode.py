"""The generic half of the pydicom plugin (``dicodec.pydicom_plugin``).

* :func:`_pydicom_decode_frame`: one frame of any encapsulated transfer
  syntax dicodec decodes, through the codec registry
  (``_native.decode_frame_into``), for pydicom's ``DecodeRunner``.
* :func:`_process_color_space`: pydicom's colour processing step
  (``pydicom.pixels.decoders.base.PROCESSORS``) with the YCbCr → RGB
  conversion done in Rust (the core pixel pipeline, equal to the bit to
  pydicom's ``convert_color_space``), for every codec.

Why the colour conversion is a processing step and not part of the frame
decoder: pydicom runs ``DecodeRunner.process`` only when ``raw=False``, and
nothing tells a decoding plugin whether it will (``as_rgb`` is ``True`` by
default in the runner's options even with ``raw=True``). Converting in the
decoder would give RGB to ``raw=True`` callers (and to ``as_buffer``), whose
contract is the stored YCbCr. The processing step sees exactly the calls
that ask for RGB, and pydicom reports the photometric interpretation it
sets (``RGB``) as it does for its own conversion.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from dicodec import _native, _pydicom_batch
from dicodec._buffers import _byte_view
from dicodec.errors import DicodecWarning

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.pixels.decoders.base import DecodeRunner

__all__: list[str] = []

_YBR_TO_RGB = ("YBR_FULL", "YBR_FULL_422")
# JPEG 2000 colour transforms: the codec (OpenJPEG) applies the inverse
# transform, so the frame is RGB, as pydicom's own J2K plugins report it.
_J2K_TRANSFORMED = ("YBR_ICT", "YBR_RCT")


def _pydicom_decode_frame(src: bytes, runner: DecodeRunner) -> bytearray:
    """Decodes one frame of ``runner.transfer_syntax`` for pydicom: exactly the
    frame length of the runner's *Bits Allocated*, little-endian,
    colour-by-pixel (the runner is told planar configuration 0), as pydicom
    returns it with ``raw=True`` (see ``ARCHITECTURE.md``: every core codec
    follows that contract).

    J2K / JPEG-LS: the container is the codestream precision's (8, 16 or 32
    bits) and the runner is told, as pydicom's
    pylibjpeg, pyjpegls and GDCM plugins do (pydicom widens the frame into
    its array; ``as_buffer`` reports it). YBR_ICT / YBR_RCT frames come out RGB and the runner is
    told so, as pydicom's pylibjpeg and Pillow plugins do.

    From the second frame of a runner on, the next frames are decoded
    together on all cores (``dicodec._pydicom_batch``)."""
    if runner.get_option("pixel_keyword", "PixelData") != "PixelData":
        raise ValueError("dicodec decodes encapsulated Pixel Data only")
    rows, columns = runner.rows, runner.columns
    samples, bits = runner.samples_per_pixel, runner.bits_allocated
    bits_stored = runner.bits_stored
    pi = str(runner.photometric_interpretation)
    container = _container(runner)
    if container and container != bits:
        # As pydicom's J2K / JPEG-LS plugins: the frame's container follows
        # the codestream precision (pydicom converts it into its array, as
        # NumPy assigns: widened, or wrapped when narrower).
        bits, bits_stored = container, min(bits_stored, container)
        runner.set_option("bits_allocated", container)
    nbytes = rows * columns * samples * ((bits + 7) // 8)
    geometry = (rows, columns, samples, bits, bits_stored, runner.pixel_representation, pi)
    uid = str(runner.transfer_syntax)
    out = _pydicom_batch.take(src, runner, (uid, geometry), nbytes)
    if out is None:
        out = bytearray(nbytes)
        view = np.frombuffer(out, dtype=np.uint8)
        for m in _native.decode_frame_into(uid, _byte_view(src), view, *geometry):
            warnings.warn(m, DicodecWarning, stacklevel=3)
    if samples > 1:
        if runner.get_option("planar_configuration", 0) != 0:
            runner.set_option("planar_configuration", 0)
        if pi in _J2K_TRANSFORMED and _is_j2k(runner):
            runner.set_option("photometric_interpretation", "RGB")
    return out


def _container(runner: DecodeRunner) -> int:
    """Bits of the container pydicom's plugins return a J2K / JPEG-LS frame
    in (8, 16 or 32, from the codestream precision pydicom parsed into the
    runner's options), or 0 for other syntaxes (no change)."""
    precision = runner.get_option("j2k_precision", None)
    if precision is None:
        precision = runner.get_option("jls_precision", None)
    if not precision or precision < 1 or precision > 32:
        return 0
    return 8 if precision <= 8 else 16 if precision <= 16 else 32


def _is_j2k(runner: DecodeRunner) -> bool:
    from pydicom.uid import JPEG2000TransferSyntaxes

    return runner.transfer_syntax in JPEG2000TransferSyntaxes


#: pydicom's own processing step, restored by :func:`uninstall_processor`.
_ORIGINAL: list[Callable[..., Any]] = []


def _process_color_space(
    arr: np.ndarray, runner: DecodeRunner, changes: dict[str, str | int]
) -> np.ndarray:
    """pydicom's ``_process_color_space`` with YBR_FULL / YBR_FULL_422 → RGB
    converted in Rust: in place when ``arr`` is pydicom's own new array, else
    into a new array, as pydicom's conversion returns one.
    Every other case (``force_ybr``,
    non-``uint8`` data, which pydicom refuses) goes to pydicom's function."""
    original = _ORIGINAL[0]
    force_ybr = runner.get_option("force_ybr", False)
    force_rgb = runner.get_option("force_rgb", False)
    to_rgb = (
        str(runner.photometric_interpretation) in _YBR_TO_RGB and runner.get_option("as_rgb", False)
    ) or force_rgb
    if force_ybr or not to_rgb or arr.dtype != np.uint8 or runner.samples_per_pixel != 3:
        return original(arr, runner, changes)
    changes["photometric_interpretation"] = "RGB"
    if _owned(arr):
        # pydicom's own new array (a decoded compressed data set): in place,
        # which spares a new array as large (measured 10-11 ms instead of
        # 18 ms for 60 frames of 480x640, 2-vCPU EPYC, its page faults).
        _native._pl_color(arr, None, "YBR_FULL")
        return arr
    src = np.ascontiguousarray(arr)
    out = np.empty(src.shape, np.uint8)
    _native._pl_color(src, out, "YBR_FULL")
    return out


def _owned(arr: np.ndarray) -> bool:
    """True if ``arr`` is writeable, C-contiguous and views (through
    NumPy arrays only) memory NumPy allocated: no one else's buffer (a
    ``view_only`` array of a data set's Pixel Data, a plugin's frame)."""
    if not (arr.flags.writeable and arr.flags.c_contiguous):
        return False
    root = arr
    while isinstance(root.base, np.ndarray):
        root = root.base
    return root.base is None and bool(root.flags.owndata)


def install_processor() -> None:
    """Puts :func:`_process_color_space` in place of pydicom's in
    ``pydicom.pixels.decoders.base.PROCESSORS`` (idempotent)."""
    from pydicom.pixels.decoders import base

    for i, func in enumerate(base.PROCESSORS):
        if func is _process_color_space:
            return
        if getattr(func, "__name__", "") == "_process_color_space":
            _ORIGINAL[:] = [func]
            base.PROCESSORS[i] = _process_color_space
            return


def uninstall_processor() -> None:
    """Gives pydicom its own colour processing step back."""
    from pydicom.pixels.decoders import base

    if not _ORIGINAL:
        return
    for i, func in enumerate(base.PROCESSORS):
        if func is _process_color_space:
            base.PROCESSORS[i] = _ORIGINAL[0]
