"""Encoders of the other codecs' files in the benchmark set — all third-party
(CharLS, libjpeg-turbo, OpenJPEG, OpenJPH, libjxl through imagecodecs; zlib),
never dicodec — and the third-party decoders that check a file when pydicom
has no decoder for its syntax.

``encode(encoding, arr, attrs)`` returns the frames, the encoder's name and
the attributes the encoding changes (Photometric Interpretation for YCbCr and
J2K colour transforms)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from dicodec.bench.benchset.encoders import unsigned_frames

__all__ = ["encode", "j2k_uses_mct", "library_decoder", "ENCODERS"]

#: JPEG quality of the lossy DCT files.
JPEG_QUALITY = 90
#: Deflate level of the Deflated Image Frame files.
DEFLATE_LEVEL = 6


def _libs() -> dict[str, str]:
    from dicodec.bench.peers import imagecodecs_libraries

    return imagecodecs_libraries()


def j2k_uses_mct(codestream: bytes) -> bool:
    """Whether a J2K codestream's COD marker asks for the multiple component
    transform (then DICOM's Photometric Interpretation is YBR_RCT/YBR_ICT)."""
    pos = codestream.find(b"\xff\x52")
    return pos >= 0 and len(codestream) > pos + 8 and codestream[pos + 8] != 0


def _jpegls(arr: np.ndarray, attrs: dict[str, Any], near: int) -> tuple[list[bytes], str]:
    import imagecodecs

    data = unsigned_frames(arr, attrs["BitsStored"])
    if attrs["BitsAllocated"] > 8 and attrs["BitsStored"] <= 8:  # pragma: no cover
        data = data.astype(np.uint8)
    frames = [bytes(imagecodecs.jpegls_encode(f, level=near or None)) for f in data]
    return frames, f"CharLS {_libs().get('charls', '?')} (imagecodecs, NEAR={near})"


def _jpeg(arr: np.ndarray, attrs: dict[str, Any], colour: bool) -> tuple[list[bytes], str]:
    import imagecodecs

    kwargs: dict[str, Any] = {"level": JPEG_QUALITY}
    if attrs["BitsStored"] > 8:
        kwargs["bitspersample"] = attrs["BitsStored"]
    if colour:
        kwargs.update(subsampling="422", colorspace="RGB", outcolorspace="YCbCr")
    data = unsigned_frames(arr, attrs["BitsStored"])
    frames = [bytes(imagecodecs.jpeg8_encode(f, **kwargs)) for f in data]
    turbo = _libs().get("libjpeg_turbo", "?")
    return frames, f"libjpeg-turbo {turbo} q{JPEG_QUALITY} (imagecodecs)"


def _j2k(arr: np.ndarray, attrs: dict[str, Any], lossy: bool) -> tuple[list[bytes], str]:
    import imagecodecs

    # PSNR target of the lossy files: about 6 dB a bit, less 14.
    level = 6 * attrs["BitsStored"] - 14 if lossy else 0
    frames = [
        bytes(imagecodecs.jpeg2k_encode(f, level=level, codecformat="J2K", reversible=not lossy))
        for f in arr
    ]
    what = f"PSNR {level} dB" if lossy else "reversible"
    return frames, f"OpenJPEG {_libs().get('openjpeg', '?')} {what} (imagecodecs)"


def _htj2k(arr: np.ndarray, attrs: dict[str, Any]) -> tuple[list[bytes], str]:
    import imagecodecs

    frames = [bytes(imagecodecs.htj2k_encode(f, reversible=True)) for f in arr]
    return frames, f"OpenJPH {_libs().get('openjph', '?')} reversible (imagecodecs)"


def _jxl(arr: np.ndarray, attrs: dict[str, Any]) -> tuple[list[bytes], str]:
    import imagecodecs

    data = unsigned_frames(arr, attrs["BitsAllocated"])
    bits = attrs["BitsStored"] if attrs["PixelRepresentation"] == 0 else attrs["BitsAllocated"]
    frames = [
        bytes(
            imagecodecs.jpegxl_encode(
                f, lossless=True, bitspersample=bits, usecontainer=False, numthreads=1
            )
        )
        for f in data
    ]
    return frames, f"libjxl {_libs().get('libjxl', '?')} lossless (imagecodecs)"


def _deflate(arr: np.ndarray, attrs: dict[str, Any]) -> tuple[list[bytes], str]:
    frames = []
    for f in arr:
        c = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
        data = c.compress(f.astype(f.dtype.newbyteorder("<"), copy=False).tobytes()) + c.flush()
        frames.append(data + b"\0" * (len(data) % 2))
    return frames, f"zlib {zlib.ZLIB_RUNTIME_VERSION} raw deflate, level {DEFLATE_LEVEL}"


Encoder = Callable[[np.ndarray, dict[str, Any]], tuple[list[bytes], str]]

#: encoding -> encoder (third-party only).
ENCODERS: dict[str, Encoder] = {
    "jls-charls": lambda a, at: _jpegls(a, at, 0),
    "jls-near2-charls": lambda a, at: _jpegls(a, at, 2),
    "jpeg8-turbo": lambda a, at: _jpeg(a, at, False),
    "jpeg8-422-turbo": lambda a, at: _jpeg(a, at, True),
    "jpeg12-turbo": lambda a, at: _jpeg(a, at, False),
    "j2k-openjpeg": lambda a, at: _j2k(a, at, False),
    "j2k-lossy-openjpeg": lambda a, at: _j2k(a, at, True),
    "htj2k-openjph": _htj2k,
    "jxl-libjxl": _jxl,
    "deflate-zlib": _deflate,
}


def encode(
    encoding: str, arr: np.ndarray, attrs: dict[str, Any]
) -> tuple[list[bytes], str, dict[str, Any]]:
    """Frames, encoder description and changed attributes for ``encoding``."""
    frames, encoder = ENCODERS[encoding](arr, attrs)
    changed: dict[str, Any] = {}
    if encoding == "jpeg8-422-turbo":
        changed["PhotometricInterpretation"] = "YBR_FULL_422"
    elif "j2k" in encoding and attrs["SamplesPerPixel"] == 3 and j2k_uses_mct(frames[0]):
        changed["PhotometricInterpretation"] = (
            "YBR_ICT" if encoding == "j2k-lossy-openjpeg" else "YBR_RCT"
        )
    return frames, encoder, changed


def library_decoder(encoding: str) -> Callable[[bytes], np.ndarray] | None:
    """A third-party decoder of one frame, for syntaxes pydicom cannot decode
    (JPEG XL, Deflated Image Frames) — the file check uses it."""
    if encoding == "jxl-libjxl":
        import imagecodecs

        return lambda b: np.asarray(imagecodecs.jpegxl_decode(b))
    if encoding == "deflate-zlib":
        return lambda b: np.frombuffer(zlib.decompress(b, -15), np.uint8)
    return None
