"""Transfer syntax UIDs: the one place the Python package writes them out.

Everything else refers to these names (``dicodec.uids.RLE_LOSSLESS``...), so a
new codec adds its UID here.
"""

from __future__ import annotations

__all__ = [
    "IMPLICIT_VR_LITTLE_ENDIAN",
    "EXPLICIT_VR_LITTLE_ENDIAN",
    "DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN",
    "EXPLICIT_VR_BIG_ENDIAN",
    "JPEG_LOSSLESS",
    "JPEG_LOSSLESS_SV1",
    "JPEG_LS_LOSSLESS",
    "JPEG_LS_NEAR_LOSSLESS",
    "RLE_LOSSLESS",
    "JPEG_LS_LOSSLESS",
    "JPEG_LS_NEAR_LOSSLESS",
    "JPEG_2000_LOSSLESS",
    "DEFLATED_IMAGE_FRAME_COMPRESSION",
    "NATIVE_SYNTAXES",
    "native_syntax",
]

#: Implicit VR Little Endian (the DICOM default).
IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
#: Explicit VR Little Endian.
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
#: Deflated Explicit VR Little Endian (the data set is deflated, the pixels native).
DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99"
#: Explicit VR Big Endian (retired).
EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"
#: JPEG Lossless, Non-Hierarchical (Process 14).
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57"
#: JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1).
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
#: JPEG-LS Lossless.
JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
#: JPEG-LS Lossy (Near-Lossless).
JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"
#: RLE Lossless.
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
#: JPEG-LS Lossless Image Compression.
JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
#: JPEG-LS Lossy (Near-Lossless) Image Compression.
JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"
#: JPEG 2000 Image Compression (Lossless Only).
JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
#: Deflated Image Frame Compression.
DEFLATED_IMAGE_FRAME_COMPRESSION = "1.2.840.10008.1.2.8.1"

#: Transfer syntaxes whose pixel data is native (not encapsulated).
NATIVE_SYNTAXES = frozenset(
    {
        IMPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_LITTLE_ENDIAN,
        DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_BIG_ENDIAN,
    }
)


def native_syntax(implicit: bool, little: bool) -> str:
    """The native transfer syntax of a data set encoded as given (e.g.
    pydicom's ``Dataset.original_encoding``)."""
    if implicit:
        return IMPLICIT_VR_LITTLE_ENDIAN
    return EXPLICIT_VR_LITTLE_ENDIAN if little else EXPLICIT_VR_BIG_ENDIAN
