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

(``seg1`` is native only). Every file records ``ref_sha256``, the sha256 of
the array it was made from in the normalised layout (``normalise.py``), and is
checked once after writing by decoding it with pydicom.

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
    VARIANTS,
    BenchFile,
    BenchSet,
    ImageSpec,
)

__all__ = [
    "IMAGES",
    "ENCODINGS",
    "VARIANTS",
    "GENERATOR_VERSION",
    "BenchFile",
    "BenchSet",
    "ImageSpec",
    "build",
    "cache_root",
    "default_corpus",
]
