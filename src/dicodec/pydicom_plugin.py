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
by transfer syntax (``_DECODERS``/``_ENCODERS``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dicodec import _native, _pydicom_decode, j2kenc, jpegll, jpegls, rle, uids

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.pixels.decoders.base import DecodeRunner
    from pydicom.pixels.encoders.base import EncodeRunner

__all__ = ["register", "unregister", "LABEL", "is_available"]

#: The label under which the plugin is registered with pydicom.
LABEL = "dicodec"

_Frame = Callable[[bytes, Any], bytes | bytearray | memoryview]

# Transfer syntax UID -> the per-frame function: every encapsulated syntax
# of the codec registry through the generic path (``_native.decode_frame_into``),
# except where a codec module has its own (options such as ``jpegll_cornell``,
# RLE's colour-by-plane buffers). Syntaxes pydicom has no decoder for (JPEG XL,
# deflated frames, progressive JPEG in pydicom 3.0) are skipped by ``register``.
_DECODERS: dict[str, _Frame] = {
    c.transfer_syntax_uid: _pydicom_decode._pydicom_decode_frame
    for c in _native.codecs()
    if c.encapsulated and c.can_decode
}
_DECODERS.update(
    {
        uids.RLE_LOSSLESS: rle._pydicom_decode_frame,
        uids.JPEG_LOSSLESS: jpegll._pydicom_decode_frame,
        uids.JPEG_LOSSLESS_SV1: jpegll._pydicom_decode_frame,
    }
)
_ENCODERS: dict[str, _Frame] = {
    uids.RLE_LOSSLESS: rle._pydicom_encode_frame,
    uids.JPEG_LS_LOSSLESS: jpegls._pydicom_encode_frame,
    uids.JPEG_LS_NEAR_LOSSLESS: jpegls._pydicom_encode_frame,
    uids.JPEG_2000_LOSSLESS: j2kenc._pydicom_encode_frame,
}

_DEPENDENCY = ("dicodec",)
DECODER_DEPENDENCIES: dict[str, tuple[str, ...]] = {uid: _DEPENDENCY for uid in _DECODERS}
ENCODER_DEPENDENCIES: dict[str, tuple[str, ...]] = {uid: _DEPENDENCY for uid in _ENCODERS}


def is_available(uid: str) -> bool:
    """True if dicodec can decode or encode ``uid`` (pydicom plugin contract)."""
    return str(uid) in _DECODERS or str(uid) in _ENCODERS


def _decode_frame(src: bytes, runner: DecodeRunner) -> bytes | bytearray | memoryview:
    """Decodes one frame for pydicom: little-endian, colour-by-pixel bytes of
    exactly the frame length."""
    func = _DECODERS.get(str(runner.transfer_syntax))
    if func is None:
        raise ValueError(f"dicodec cannot decode {runner.transfer_syntax.name}")
    return func(src, runner)


def _encode_frame(src: bytes, runner: EncodeRunner) -> bytes | bytearray | memoryview:
    """Encodes one frame for pydicom."""
    func = _ENCODERS.get(str(runner.transfer_syntax))
    if func is None:
        raise ValueError(f"dicodec cannot encode {runner.transfer_syntax.name}")
    return func(src, runner)


def _coders() -> list[tuple[Any, str]]:
    """(pydicom Decoder/Encoder instance, function name) for every syntax dicodec serves."""
    from pydicom.pixels.decoders.base import get_decoder
    from pydicom.pixels.encoders.base import get_encoder

    out: list[tuple[Any, str]] = []
    for uid in _DECODERS:
        try:
            out.append((get_decoder(uid), "_decode_frame"))
        except NotImplementedError:  # no decoder slot in this pydicom version
            continue
    out += [(get_encoder(uid), "_encode_frame") for uid in _ENCODERS]
    return out


def register(prefer: bool = True) -> None:
    """Adds dicodec to pydicom's decoders (and encoders) for every transfer
    syntax it supports.

    ``prefer=True`` puts dicodec first, so plain ``ds.pixel_array`` and
    ``ds.compress(...)`` use it; ``prefer=False`` puts it last, so it is used
    only when named (``decoding_plugin="dicodec"``) or when the others fail.
    Calling it again is harmless (it only re-orders).

    It also replaces pydicom's YCbCr -> RGB processing step (``as_rgb``, run
    with ``raw=False``) by dicodec's, for every decoder: same results to the
    bit, in Rust (see ``dicodec._pydicom_decode``).
    """
    _pydicom_decode.install_processor()
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
    """Removes the dicodec plugin (and its colour processing step) from pydicom again."""
    _pydicom_decode.uninstall_processor()
    for coder, _ in _coders():
        if LABEL in coder._available or LABEL in coder._unavailable:
            coder.remove_plugin(LABEL)
