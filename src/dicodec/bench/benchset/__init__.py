"""The standard benchmark set: real images, encoded by third-party encoders.

``build()`` (module ``make``) makes (once, then from the cache) a reproducible set of DICOM
files from real images — pydicom's bundled test files and, where present, the
project's public corpus (``../shared/corpus/dev``) — with no pixel written by
dicodec's own encoders:

========  ====================================  ===================================
image     from the corpus (preferred)           pydicom's bundled test data
========  ====================================  ===================================
ct16      3 consecutive 512² CT slices (dcmqi)   ``CT_small.dcm`` (128² CT)
mr12      ``MR2_UNCI`` 1024² 12-bit MR            ``examples_overlay.dcm`` 12-bit MR
cr15      ``RG1_UNCI`` 1955×1841 15-bit CR        none is a CR: ``CT_small.dcm`` stands in
us_rgb    8-frame 240×320 RGB ultrasound         ``examples_rgb_color.dcm`` (1 frame)
seg1      7-frame 512² 1-bit SEG (dcmqi)          ``liver_1frame.dcm`` 512² 1-bit SEG
========  ====================================  ===================================

Multi-frame images repeat their real frames in order up to the set's frame
count (``ct16``: 24 frames in the standard set). Each image is written as

* ``native`` — Explicit VR Little Endian, the values as they are;
* ``rle`` — RLE Lossless encoded by pylibjpeg-rle (pydicom's own NumPy RLE
  encoder when pylibjpeg-rle is absent) through pydicom's encoder API;
* ``jpll-gdcm`` — JPEG Lossless SV1 (.70) encoded by GDCM;
* ``jpll-turbo`` — JPEG Lossless SV1 (.70) encoded by libjpeg-turbo
  (``imagecodecs.jpeg8_encode(lossless=True, predictor=1)``);
* ``jpll-p7-turbo`` — JPEG Lossless process 14 (.57), predictor 7, libjpeg-turbo;

and, for the other codecs, by their reference encoders (``codecs.py``):

* ``jls-charls`` / ``jls-near2-charls`` — JPEG-LS (.80) / NEAR=2 (.81), CharLS;
* ``jpeg8-turbo`` (``mr8``, 8-bit grey), ``jpeg8-422-turbo`` (``us_rgb``,
  YBR_FULL_422) — JPEG baseline (.50), libjpeg-turbo q90;
* ``jpeg12-turbo`` (``mr12``) — JPEG extended 12-bit (.51), libjpeg-turbo q90;
* ``j2k-openjpeg`` / ``j2k-lossy-openjpeg`` — JPEG 2000 (.90 / .91), OpenJPEG;
* ``htj2k-openjph`` — HTJ2K lossless (.201), OpenJPH;
* ``jxl-libjxl`` — JPEG XL lossless (.110), libjxl;
* ``deflate-zlib`` — Deflated Image Frame Compression, zlib raw deflate.

(``seg1`` is native only; ``mr8`` is ``mr12``'s top 8 bits.) Every lossless
file records ``ref_sha256``, the sha256 of the array it was made from in the
normalised layout (``normalise.py``), and is checked once after writing by
decoding it with pydicom (with the library itself for JPEG XL and deflated
frames, which pydicom 3.0 cannot decode); lossy files (``LOSSY``) have no
reference hash: they are checked to decode close to the source (PSNR ≥ 25
dB) and the benchmark compares the peers with each other.

The ``small`` variant (for tests) uses only pydicom's bundled files, cropped to
at most 64×64, two frames each: it is the same on every machine.

Files are cached in the user cache directory (``platformdirs``; override with
``DICODEC_BENCH_CACHE``), in a folder keyed by the variant, the sources and
the encoder versions; ``build(rebuild=True)`` makes them again.
"""

from __future__ import annotations

from dicodec.bench.benchset.make import build
from dicodec.bench.benchset.sources import cache_root, default_corpus
from dicodec.bench.benchset.spec import (
    ENCODINGS,
    GENERATOR_VERSION,
    IMAGES,
    LOSSY,
    VARIANTS,
    BenchFile,
    BenchSet,
    ImageSpec,
)

__all__ = [
    "IMAGES",
    "ENCODINGS",
    "LOSSY",
    "VARIANTS",
    "GENERATOR_VERSION",
    "BenchFile",
    "BenchSet",
    "ImageSpec",
    "build",
    "cache_root",
    "default_corpus",
]
