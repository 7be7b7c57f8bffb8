"""JPEG 2000 Lossless (OpenJPEG, reversible 5/3) encoding of one frame for
pydicom's ``JPEG2000LosslessEncoder`` (the ``dicodec`` encoding plugin).

The colour transform follows DICOM and pydicom: applied when *Photometric
Interpretation* is YBR_RCT (the samples given are RGB), not for RGB. Whole
datasets are better compressed with :func:`dicodec.compress` (frames in
parallel, YBR_RCT chosen for RGB).

Example::

    >>> import dicodec.pydicom_plugin
    >>> dicodec.pydicom_plugin.register()
    >>> ds.compress(pydicom.uid.JPEG2000Lossless, encoding_plugin="dicodec")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dicodec import _native, uids
from dicodec._buffers import _byte_view

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.pixels.encoders.base import EncodeRunner

__all__: list[str] = []


def _pydicom_encode_frame(src: bytes, runner: EncodeRunner) -> bytes:
    """Encodes one frame for pydicom.

    pydicom hands encoders samples sized for *Bits Stored* (1, 2 or 4 bytes;
    at most 24 bits with 4,
    little-endian, colour-by-pixel unless the native data is colour-by-plane);
    only the *Bits Stored* low bits count (sign-extended when *Pixel
    Representation* is 1)."""
    if runner.get_option("byteorder", "<") == ">":
        raise ValueError("dicodec encodes little-endian input only (byteorder '<')")
    if runner.get_option("j2k_cr") or runner.get_option("j2k_psnr"):
        raise ValueError(
            "A lossy configuration option is being used with a transfer syntax of "
            "'JPEG 2000 Lossless' - did you mean to use 'JPEG 2000' instead?"
        )
    rows, columns, samples = runner.rows, runner.columns, runner.samples_per_pixel
    bits_stored, signed = runner.bits_stored, int(runner.pixel_representation)
    if not 1 <= bits_stored <= 24:  # pylibjpeg-openjpeg's message, which pydicom's tests expect
        raise ValueError(
            f"Invalid 'bits_stored' value '{bits_stored}', must be in the range [1, 24]"
        )
    data = _byte_view(src)
    n = rows * columns * samples
    width = data.size // n if n else 0
    if width not in (1, 2, 4) or data.size != n * width:
        raise ValueError(
            f"dicodec's JPEG 2000 encoder takes 1, 2 or 4 bytes per sample (Bits Stored "
            f"{bits_stored}), not {data.size} bytes for {n} samples"
        )
    if samples > 1 and runner.planar_configuration == 1 and not runner.is_array:
        planes = data.reshape(samples, rows * columns, width)
        data = np.ascontiguousarray(planes.transpose(1, 0, 2)).reshape(-1)
    values = data.view(f"<u{width}").astype(np.int64)
    values &= (1 << bits_stored) - 1
    if signed:
        values -= (values >> (bits_stored - 1)) << bits_stored
    frame = np.ascontiguousarray(values.astype(f"<{'i' if signed else 'u'}{width}"))
    (stream,) = _native._encode_frames(
        uids.JPEG_2000_LOSSLESS,
        frame.view(np.uint8),
        1,
        rows,
        columns,
        samples,
        8 * width,
        bits_stored,
        signed,
        str(runner.photometric_interpretation),
        codec="default",
        threads=1,
    )
    return stream
