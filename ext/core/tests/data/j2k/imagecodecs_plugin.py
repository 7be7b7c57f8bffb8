"""A pydicom 3 decoding plugin that decodes JPEG 2000 / HTJ2K with imagecodecs
(OpenJPEG 2.5.4, OpenJPH), used only to compute reference arrays for the
fixtures (make_fixtures.py). Its glue is pydicom's own pylibjpeg plugin's:
the decoded samples come back in a container chosen by the codestream
precision, and YBR_RCT / YBR_ICT are relabelled RGB; pydicom then applies its
J2K sign correction itself."""

import imagecodecs
from pydicom import uid
from pydicom.pixels.common import PhotometricInterpretation as PI

DECODER_DEPENDENCIES = {u: ("imagecodecs",) for u in uid.JPEG2000TransferSyntaxes}


def is_available(u):
    return u in uid.JPEG2000TransferSyntaxes


def _decode_frame(src, runner):
    arr = imagecodecs.jpeg2k_decode(bytes(src))
    if runner.photometric_interpretation in (PI.YBR_ICT, PI.YBR_RCT):
        runner.set_option("photometric_interpretation", PI.RGB)
    precision = runner.get_option("j2k_precision", runner.bits_stored)
    if 0 < precision <= 8:
        runner.set_option("bits_allocated", 8)
    elif 8 < precision <= 16:
        runner.set_option("bits_allocated", 16)
    elif 16 < precision <= 32:
        runner.set_option("bits_allocated", 32)
    return arr.tobytes()
