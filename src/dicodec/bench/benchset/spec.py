"""What the benchmark set holds: the images, the encodings, the variants,
and the ``BenchFile``/``BenchSet`` records of a built set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dicodec import uids
from dicodec.bench.files import FileDesc, describe

GENERATOR_VERSION = 2

EXPLICIT_LE = uids.EXPLICIT_VR_LITTLE_ENDIAN
RLE_TS = uids.RLE_LOSSLESS
JPLL_TS = uids.JPEG_LOSSLESS
JPLL_SV1_TS = uids.JPEG_LOSSLESS_SV1

#: The encodings of the first set, kept for every image that has them.
LOSSLESS_V1 = ("native", "rle", "jpll-gdcm", "jpll-turbo", "jpll-p7-turbo")
#: Lossless encodings by the other codecs' reference encoders.
LOSSLESS_OTHERS = ("jls-charls", "j2k-openjpeg", "htj2k-openjph", "jxl-libjxl", "deflate-zlib")


@dataclass(frozen=True)
class ImageSpec:
    key: str
    title: str
    #: Corpus files stacked as frames, in order.
    corpus: tuple[str, ...]
    #: pydicom bundled test files used when the corpus is absent (and always
    #: for the ``small`` variant).
    bundled: tuple[str, ...]
    #: Frames in the standard set (real frames repeated in order).
    frames: int
    #: SOP Class UID of the written files.
    sop_class: str
    #: Said when the bundled fallback is not the kind of image wanted.
    bundled_note: str = ""
    encodings: tuple[str, ...] = LOSSLESS_V1 + LOSSLESS_OTHERS
    #: Bits kept (the most significant ones) when the image is a reduced-
    #: precision copy of its source (``mr8``); 0 keeps the source's values.
    reduce_to_bits: int = 0


IMAGES: dict[str, ImageSpec] = {
    s.key: s
    for s in (
        ImageSpec(
            "ct16",
            "multi-frame 16-bit CT",
            (
                "dcmqi__segmentations_ct-3slice_01.dcm",
                "dcmqi__segmentations_ct-3slice_02.dcm",
                "dcmqi__segmentations_ct-3slice_03.dcm",
            ),
            ("CT_small.dcm",),
            24,
            "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT Image Storage
            encodings=LOSSLESS_V1 + LOSSLESS_OTHERS + ("jls-near2-charls", "j2k-lossy-openjpeg"),
        ),
        ImageSpec(
            "mr12",
            "12-bit MR",
            ("pydicomdata__MR2_UNCI.dcm",),
            ("examples_overlay.dcm",),
            1,
            "1.2.840.10008.5.1.4.1.1.4",  # MR Image Storage
            encodings=LOSSLESS_V1 + LOSSLESS_OTHERS + ("jls-near2-charls", "jpeg12-turbo"),
        ),
        ImageSpec(
            "mr8",
            "8-bit grey (the 12-bit MR's top 8 bits)",
            ("pydicomdata__MR2_UNCI.dcm",),
            ("examples_overlay.dcm",),
            1,
            "1.2.840.10008.5.1.4.1.1.7",  # Secondary Capture Image Storage
            encodings=("native", "jpeg8-turbo", "jls-charls"),
            reduce_to_bits=8,
        ),
        ImageSpec(
            "cr15",
            "15-bit CR",
            ("pydicomdata__RG1_UNCI.dcm",),
            ("CT_small.dcm",),
            1,
            "1.2.840.10008.5.1.4.1.1.1",  # Computed Radiography Image Storage
            bundled_note=(
                "pydicom's bundled test data has no real CR: cr15 uses CT_small.dcm "
                "(16-bit CT, the highest-precision real image there) instead"
            ),
            encodings=LOSSLESS_V1 + LOSSLESS_OTHERS + ("jls-near2-charls",),
        ),
        ImageSpec(
            "us_rgb",
            "8-bit RGB ultrasound",
            ("dicomparser__encapsulated_multi-frame_IM00001.implicit_little_endian.dcm",),
            ("examples_rgb_color.dcm",),
            8,
            "1.2.840.10008.5.1.4.1.1.3.1",  # Ultrasound Multi-frame Image Storage
            encodings=LOSSLESS_V1 + LOSSLESS_OTHERS + ("jpeg8-422-turbo",),
        ),
        ImageSpec(
            "seg1",
            "1-bit segmentation",
            ("dcmqi__segmentations_partial_overlaps.dcm",),
            ("liver_1frame.dcm",),
            7,
            "1.2.840.10008.5.1.4.1.1.66.4",  # Segmentation Storage
            encodings=("native",),
        ),
    )
}

#: encoding -> (transfer syntax, encoder description)
ENCODINGS: dict[str, tuple[str, str]] = {
    "native": (EXPLICIT_LE, "none (Explicit VR Little Endian)"),
    "rle": (RLE_TS, "pylibjpeg-rle via pydicom"),
    "jpll-gdcm": (JPLL_SV1_TS, "GDCM (ImageChangeTransferSyntax)"),
    "jpll-turbo": (JPLL_SV1_TS, "libjpeg-turbo (imagecodecs.jpeg8_encode, predictor 1)"),
    "jpll-p7-turbo": (JPLL_TS, "libjpeg-turbo (imagecodecs.jpeg8_encode, predictor 7)"),
    "jls-charls": (uids.JPEG_LS_LOSSLESS, "CharLS (imagecodecs.jpegls_encode)"),
    "jls-near2-charls": (uids.JPEG_LS_NEAR_LOSSLESS, "CharLS, NEAR=2 (imagecodecs.jpegls_encode)"),
    "jpeg8-turbo": (uids.JPEG_BASELINE_8BIT, "libjpeg-turbo q90 (imagecodecs.jpeg8_encode)"),
    "jpeg8-422-turbo": (
        uids.JPEG_BASELINE_8BIT,
        "libjpeg-turbo q90, YCbCr 4:2:2 (imagecodecs.jpeg8_encode)",
    ),
    "jpeg12-turbo": (uids.JPEG_EXTENDED_12BIT, "libjpeg-turbo q90, 12-bit (imagecodecs)"),
    "j2k-openjpeg": (uids.JPEG_2000_LOSSLESS, "OpenJPEG reversible (imagecodecs.jpeg2k_encode)"),
    "j2k-lossy-openjpeg": (uids.JPEG_2000, "OpenJPEG irreversible (imagecodecs.jpeg2k_encode)"),
    "htj2k-openjph": (uids.HTJ2K_LOSSLESS, "OpenJPH reversible (imagecodecs.htj2k_encode)"),
    "jxl-libjxl": (uids.JPEG_XL_LOSSLESS, "libjxl lossless (imagecodecs.jpegxl_encode)"),
    "deflate-zlib": (uids.DEFLATED_IMAGE_FRAME_COMPRESSION, "zlib raw deflate, level 6"),
}

#: Encodings that change the values: their files have no reference hash
#: (peers are checked against each other instead).
LOSSY = frozenset(
    {"jls-near2-charls", "jpeg8-turbo", "jpeg8-422-turbo", "jpeg12-turbo", "j2k-lossy-openjpeg"}
)

#: variant -> (max rows/cols or 0, frames override or 0, use the corpus)
VARIANTS: dict[str, tuple[int, int, bool]] = {
    "standard": (0, 0, True),
    "small": (64, 2, False),
}


@dataclass
class BenchFile:
    """One file of the set."""

    path: str
    image: str
    encoding: str
    transfer_syntax: str
    encoder: str
    sources: list[str]
    ref_sha256: str
    verified_by: str = ""

    @property
    def name(self) -> str:
        return Path(self.path).name

    def desc(self) -> FileDesc:
        """The file's description, with the reference hash attached."""
        return describe(self.path, ref_sha256=self.ref_sha256)


@dataclass
class BenchSet:
    root: Path
    variant: str
    files: list[BenchFile]
    notes: list[str] = field(default_factory=list)
    corpus: str | None = None

    def select(
        self,
        image: str | None = None,
        encoding: str | None = None,
        transfer_syntax: str | Sequence[str] | None = None,
    ) -> list[BenchFile]:
        """Files matching every given criterion."""
        if isinstance(transfer_syntax, str):
            transfer_syntax = (transfer_syntax,)
        return [
            f
            for f in self.files
            if (image is None or f.image == image)
            and (encoding is None or f.encoding == encoding)
            and (transfer_syntax is None or f.transfer_syntax in transfer_syntax)
        ]

    def file(self, image: str, encoding: str) -> BenchFile:
        """The file for (image, encoding); ``KeyError`` when the set lacks it
        (e.g. its encoder is not installed)."""
        for f in self.files:
            if f.image == image and f.encoding == encoding:
                return f
        raise KeyError(f"no {image}/{encoding} in the {self.variant} set at {self.root}")

    def descs(self) -> list[FileDesc]:
        return [f.desc() for f in self.files]
