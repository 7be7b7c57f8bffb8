"""The encoders ``dicodec bench --encode`` compares, one small record each:
dicodec's (RLE, JPEG Lossless, JPEG-LS and JPEG 2000 when this build has them,
Deflated Image Frames) and third-party ones (libjpeg-turbo, liblj92, CharLS,
pyjpegls, OpenJPEG, pylibjpeg-openjpeg, OpenJPH, pylibjpeg-rle, GDCM, zlib,
libdeflate).

Every encoder's output is decoded by an independent decoder (``CHECKERS``)
and compared with the input before its time counts."""

from __future__ import annotations

import importlib.util
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Image", "EncoderSpec", "ENCODERS", "CHECKERS", "CODECS", "stored_bits"]

#: codec key -> table title
CODECS = {
    "jpll": "JPEG Lossless SV1",
    "jls": "JPEG-LS lossless",
    "j2k": "JPEG 2000 lossless",
    "htj2k": "HTJ2K lossless",
    "rle": "RLE Lossless",
    "deflate": "Deflated Image Frames (level 6)",
}


@dataclass
class Image:
    """One native image of the set: frames (F, R, C[, S]) and its attributes."""

    key: str
    path: str
    frames: np.ndarray
    bits_allocated: int
    bits_stored: int
    signed: bool
    photometric: str

    @property
    def samples(self) -> int:
        return 3 if self.frames.ndim == 4 else 1

    @property
    def nbytes(self) -> int:
        return int(self.frames.nbytes)


def stored_bits(a: np.ndarray, bits: int) -> np.ndarray:
    """The stored bit patterns (unsigned, ``bits`` wide), as JPEG codecs hold them."""
    u = a.view(a.dtype.str.replace("i", "u"))
    return u & np.array((1 << bits) - 1, dtype=u.dtype)


FrameEncoder = Callable[[np.ndarray], "bytes | bytearray"]


@dataclass
class EncoderSpec:
    """One encoder: ``make(image)`` returns a per-frame encoder, or
    ``encode_all(prepare(image))`` encodes every frame in one call (GDCM)."""

    name: str
    codec: str
    engine: str
    modules: tuple[str, ...]
    make: Callable[[Image], FrameEncoder] | None = None
    #: Untimed set-up of ``encode_all`` (e.g. GDCM reading the native file).
    prepare: Callable[[Image], Any] | None = None
    encode_all: Callable[[Any], list[bytes]] | None = None
    is_dicodec: bool = False
    #: dicodec attribute needed (a codec another branch adds), if any.
    needs_attr: str = ""

    def missing(self) -> str | None:
        for mod in self.modules:
            if importlib.util.find_spec(mod) is None:
                return f"{mod} not installed"
        if self.needs_attr:
            import dicodec

            if not hasattr(dicodec, self.needs_attr):
                return f"not yet (no dicodec.{self.needs_attr} in this build)"
        return None

    def supports(self, img: Image) -> bool:
        if self.codec in ("jpll", "jls") and img.bits_stored > 16:
            return False
        return not (self.engine == "liblj92" and img.samples > 1)


# ------------------------------------------------------------------ dicodec


def _dicodec_jpll(img: Image) -> FrameEncoder:
    from dicodec import jpegll_encode

    return lambda f: jpegll_encode(f, predictor=1, bits_stored=img.bits_stored)


def _dicodec_rle(img: Image) -> FrameEncoder:
    from dicodec import rle_encode

    return lambda f: rle_encode(f, bits_allocated=img.bits_allocated)


def _dicodec_jls(img: Image) -> FrameEncoder:
    import dicodec

    enc = dicodec.jpegls_encode
    return lambda f: enc(f, bits_stored=img.bits_stored)


def _dicodec_j2k(img: Image) -> FrameEncoder:
    import dicodec

    enc = dicodec.j2k_encode
    return lambda f: enc(f)


def _dicodec_deflate(img: Image) -> FrameEncoder:
    from dicodec import deflate_frame_encode

    return lambda f: deflate_frame_encode(f.tobytes(), 6)


# ------------------------------------------------------------------ others


def _turbo_jpll(img: Image) -> FrameEncoder:
    from imagecodecs import jpeg8_encode

    kw: dict[str, Any] = {"lossless": True, "predictor": 1, "bitspersample": img.bits_stored}
    if img.samples == 3:
        kw.update(colorspace="RGB", outcolorspace="RGB")
    return lambda f: jpeg8_encode(stored_bits(f, img.bits_stored), **kw)


def _lj92(img: Image) -> FrameEncoder:
    from imagecodecs import ljpeg_encode

    return lambda f: ljpeg_encode(stored_bits(f, img.bits_stored), bitspersample=img.bits_stored)


def _charls(img: Image) -> FrameEncoder:
    from imagecodecs import jpegls_encode

    return lambda f: jpegls_encode(stored_bits(f, img.bits_stored))


def _pyjpegls(img: Image) -> FrameEncoder:
    from jpeg_ls import encode_array

    return lambda f: bytes(encode_array(stored_bits(f, img.bits_stored)))


def _openjpeg(img: Image) -> FrameEncoder:
    from imagecodecs import jpeg2k_encode

    return lambda f: jpeg2k_encode(f, level=0, codecformat="J2K", reversible=True, numthreads=1)


def _pylibjpeg_openjpeg(img: Image) -> FrameEncoder:
    from openjpeg import encode

    pi = 1 if img.samples == 3 else 0  # 1: sRGB (with the colour transform)
    return lambda f: encode(f, bits_stored=img.bits_stored, photometric_interpretation=pi)


def _openjph(img: Image) -> FrameEncoder:
    from imagecodecs import htj2k_encode

    return lambda f: htj2k_encode(f, reversible=True)


def _pylibjpeg_rle(img: Image) -> FrameEncoder:
    from rle.utils import encode_pixel_data

    kw = dict(
        rows=img.frames.shape[1],
        columns=img.frames.shape[2],
        samples_per_pixel=img.samples,
        bits_allocated=img.bits_allocated,
        byteorder="<",
    )
    return lambda f: encode_pixel_data(f.tobytes(), **kw)


def _zlib(img: Image) -> FrameEncoder:
    def enc(f: np.ndarray) -> bytes:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return c.compress(f.tobytes()) + c.flush()

    return enc


def _libdeflate(img: Image) -> FrameEncoder:
    from imagecodecs import deflate_encode

    return lambda f: deflate_encode(f.tobytes(), level=6, raw=True)


def _gdcm(ts_name: str) -> dict[str, Any]:
    from dicodec.bench.encode_gdcm import gdcm_encode

    return {"encode_all": lambda img: gdcm_encode(img, ts_name)}


def _spec(name: str, codec: str, engine: str, modules: tuple[str, ...], **kw: Any) -> EncoderSpec:
    return EncoderSpec(name, codec, engine, modules, **kw)


#: Every encoder, dicodec's first per codec.
ENCODERS: list[EncoderSpec] = [
    _spec("dicodec", "jpll", "dicodec", ("dicodec",), make=_dicodec_jpll, is_dicodec=True),
    _spec("imagecodecs.jpeg8", "jpll", "libjpeg-turbo", ("imagecodecs",), make=_turbo_jpll),
    _spec("imagecodecs.ljpeg", "jpll", "liblj92", ("imagecodecs",), make=_lj92),
    _spec("gdcm", "jpll", "gdcm", ("gdcm",), **_gdcm("JPEGLosslessProcess14_1")),
    _spec(
        "dicodec",
        "jls",
        "dicodec",
        ("dicodec",),
        make=_dicodec_jls,
        is_dicodec=True,
        needs_attr="jpegls_encode",
    ),
    _spec("imagecodecs.jpegls", "jls", "charls", ("imagecodecs",), make=_charls),
    _spec("pyjpegls", "jls", "charls", ("jpeg_ls",), make=_pyjpegls),
    _spec("gdcm", "jls", "gdcm", ("gdcm",), **_gdcm("JPEGLSLossless")),
    _spec(
        "dicodec",
        "j2k",
        "dicodec",
        ("dicodec",),
        make=_dicodec_j2k,
        is_dicodec=True,
        needs_attr="j2k_encode",
    ),
    _spec("imagecodecs.jpeg2k", "j2k", "openjpeg", ("imagecodecs",), make=_openjpeg),
    _spec("pylibjpeg.openjpeg", "j2k", "openjpeg", ("openjpeg",), make=_pylibjpeg_openjpeg),
    _spec("gdcm", "j2k", "gdcm", ("gdcm",), **_gdcm("JPEG2000Lossless")),
    _spec("imagecodecs.htj2k", "htj2k", "openjph", ("imagecodecs",), make=_openjph),
    _spec("dicodec", "rle", "dicodec", ("dicodec",), make=_dicodec_rle, is_dicodec=True),
    _spec("pylibjpeg.rle", "rle", "pylibjpeg-rle", ("rle",), make=_pylibjpeg_rle),
    _spec("gdcm", "rle", "gdcm", ("gdcm",), **_gdcm("RLELossless")),
    _spec("dicodec", "deflate", "dicodec", ("dicodec",), make=_dicodec_deflate, is_dicodec=True),
    _spec("imagecodecs.deflate", "deflate", "libdeflate", ("imagecodecs",), make=_libdeflate),
    _spec("zlib", "deflate", "zlib", ("zlib",), make=_zlib),
]


# ------------------------------------------------------------------ checks


def _check_jpeg(img: Image) -> Callable[[bytes], np.ndarray]:
    from imagecodecs import jpeg8_decode

    if img.samples == 3:
        return lambda b: jpeg8_decode(b, colorspace="RGB", outcolorspace="RGB")
    return jpeg8_decode


def _check_jls(img: Image) -> Callable[[bytes], np.ndarray]:
    from imagecodecs import jpegls_decode

    return jpegls_decode


def _check_j2k(img: Image) -> Callable[[bytes], np.ndarray]:
    from imagecodecs import jpeg2k_decode

    return jpeg2k_decode


def _check_rle(img: Image) -> Callable[[bytes], np.ndarray]:
    from imagecodecs import dicomrle_decode

    dt = np.dtype(f">u{img.bits_allocated // 8}")

    def dec(b: bytes) -> np.ndarray:
        a = np.frombuffer(dicomrle_decode(b, dt), dt)
        if img.samples == 3:  # colour-by-plane
            a = a.reshape(3, *img.frames.shape[1:3]).transpose(1, 2, 0)
        return a

    return dec


def _check_deflate(img: Image) -> Callable[[bytes], np.ndarray]:
    return lambda b: np.frombuffer(zlib.decompress(bytes(b), -15), np.uint8)


#: codec -> independent decoder of one encoded frame (what it is checked with).
CHECKERS: dict[str, tuple[str, Callable[[Image], Callable[[bytes], np.ndarray]]]] = {
    "jpll": ("libjpeg-turbo", _check_jpeg),
    "jls": ("CharLS", _check_jls),
    "j2k": ("OpenJPEG", _check_j2k),
    "htj2k": ("OpenJPEG", _check_j2k),
    "rle": ("imagecodecs RLE", _check_rle),
    "deflate": ("zlib", _check_deflate),
}


def same_values(decoded: np.ndarray, frame: np.ndarray, img: Image, codec: str) -> bool:
    """Whether a checker's result holds the frame's values (compared as the
    stored bit patterns, whatever dtype and sign the decoder chose)."""
    if codec == "deflate":
        return decoded.tobytes() == frame.tobytes()
    d = np.asarray(decoded)
    if d.size != frame.size:
        return False
    mask = (1 << img.bits_stored) - 1
    want = frame.astype(np.int64).reshape(-1) & mask
    got = d.astype(np.int64).reshape(-1) & mask
    return bool(np.array_equal(want, got))
