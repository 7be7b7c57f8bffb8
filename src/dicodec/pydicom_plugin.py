"""pydicom 3 plugin: makes pydicom decode (and encode) with dicodec.

One line speeds up existing code::

    import dicodec.pydicom_plugin
    dicodec.pydicom_plugin.register()          # prefer=True: dicodec is tried first
    arr = ds.pixel_array                       # now decoded by dicodec

With ``register(prefer=False)`` dicodec is added after pydicom's own plugins and
is used only when asked for: ``ds.pixel_array_options(decoding_plugin="dicodec")``
or ``pixel_array(path, decoding_plugin="dicodec")``.

This module is itself the plugin module pydicom imports: it defines
``DECODER_DEPENDENCIES``, ``ENCODER_DEPENDENCIES``, ``is_available(uid)``,
``_decode_frame(src, runner)`` and ``_encode_frame(src, runner)``. Each codec
module (``dicodec.rle``, ``dicodec.jpegll``) provides the per-frame functions
``_pydicom_decode_frame`` / ``_pydicom_encode_frame``; this module only routes
by transfer syntax.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dicodec import uids

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.pixels.decoders.base import DecodeRunner
    from pydicom.pixels.encoders.base import EncodeRunner

__all__ = ["register", "unregister", "LABEL", "is_available"]

#: The label under which the plugin is registered with pydicom.
LABEL = "dicodec"

# Transfer syntax UID -> module providing `_pydicom_decode_frame(src, runner)`.
_DECODER_MODULES: dict[str, str] = {
    uids.RLE_LOSSLESS: "dicodec.rle",
    uids.JPEG_LOSSLESS: "dicodec.jpegll",
    uids.JPEG_LOSSLESS_SV1: "dicodec.jpegll",
}
# Transfer syntax UID -> module providing `_pydicom_encode_frame(src, runner)`.
_ENCODER_MODULES: dict[str, str] = {
    uids.RLE_LOSSLESS: "dicodec.rle",
}

_DEPENDENCY = ("dicodec",)
DECODER_DEPENDENCIES: dict[str, tuple[str, ...]] = {uid: _DEPENDENCY for uid in _DECODER_MODULES}
ENCODER_DEPENDENCIES: dict[str, tuple[str, ...]] = {uid: _DEPENDENCY for uid in _ENCODER_MODULES}


def _frame_function(table: dict[str, str], uid: str, name: str) -> Any:
    module_name = table.get(str(uid))
    if module_name is None:
        return None
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, name, None)


def is_available(uid: str) -> bool:
    """True if dicodec can decode or encode ``uid`` (pydicom plugin contract)."""
    return (
        _frame_function(_DECODER_MODULES, uid, "_pydicom_decode_frame") is not None
        or _frame_function(_ENCODER_MODULES, uid, "_pydicom_encode_frame") is not None
    )


def _decode_frame(src: bytes, runner: DecodeRunner) -> bytes | bytearray:
    """Decodes one frame for pydicom: little-endian, colour-by-pixel bytes of
    exactly the frame length."""
    func = _frame_function(_DECODER_MODULES, runner.transfer_syntax, "_pydicom_decode_frame")
    if func is None:
        raise ValueError(f"dicodec cannot decode {runner.transfer_syntax.name}")
    return func(src, runner)


def _encode_frame(src: bytes, runner: EncodeRunner) -> bytes | bytearray:
    """Encodes one frame for pydicom."""
    func = _frame_function(_ENCODER_MODULES, runner.transfer_syntax, "_pydicom_encode_frame")
    if func is None:
        raise ValueError(f"dicodec cannot encode {runner.transfer_syntax.name}")
    return func(src, runner)


def _coders() -> list[tuple[Any, str]]:
    """(pydicom Decoder/Encoder instance, function name) for every syntax dicodec serves."""
    from pydicom.pixels.decoders.base import get_decoder
    from pydicom.pixels.encoders.base import get_encoder

    out: list[tuple[Any, str]] = []
    for uid in _DECODER_MODULES:
        if _frame_function(_DECODER_MODULES, uid, "_pydicom_decode_frame") is not None:
            out.append((get_decoder(uid), "_decode_frame"))
    for uid in _ENCODER_MODULES:
        if _frame_function(_ENCODER_MODULES, uid, "_pydicom_encode_frame") is not None:
            out.append((get_encoder(uid), "_encode_frame"))
    return out


def register(prefer: bool = True) -> None:
    """Adds dicodec to pydicom's decoders (and encoders) for every transfer
    syntax it supports.

    ``prefer=True`` puts dicodec first, so plain ``ds.pixel_array`` and
    ``ds.compress(...)`` use it; ``prefer=False`` puts it last, so it is used
    only when named (``decoding_plugin="dicodec"``) or when the others fail.
    Calling it again is harmless (it only re-orders).
    """
    for coder, func_name in _coders():
        if LABEL not in coder._available and LABEL not in coder._unavailable:
            coder.add_plugin(LABEL, (__name__, func_name))
        # pydicom tries plugins in the order of this dict.
        available: dict[str, Any] = coder._available
        if LABEL not in available:  # pydicom judged it unavailable
            continue
        func = available.pop(LABEL)
        items = list(available.items())
        available.clear()
        if prefer:
            available[LABEL] = func
            available.update(items)
        else:
            available.update(items)
            available[LABEL] = func


def unregister() -> None:
    """Removes the dicodec plugin from pydicom again."""
    for coder, _ in _coders():
        if LABEL in coder._available or LABEL in coder._unavailable:
            coder.remove_plugin(LABEL)
