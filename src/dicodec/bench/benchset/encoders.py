"""Writing the files: the DICOM data sets, the third-party encoders (pydicom
with pylibjpeg-rle, GDCM, libjpeg-turbo via imagecodecs) and the check of
every written file with pydicom."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dicodec.bench.benchset.sources import dist_version
from dicodec.bench.benchset.spec import ImageSpec
from dicodec.bench.files import describe
from dicodec.bench.normalise import normalise, sha256_of


def make_uid(*parts: str) -> str:
    """A deterministic UID under the 2.25 (UUID-derived) root."""
    digest = hashlib.sha256("/".join(("dicodec-bench", *parts)).encode()).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def new_dataset(arr: np.ndarray, attrs: dict[str, Any], spec: ImageSpec, key: str, ts: str) -> Any:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = attrs["SOPClassUID"]
    ds.file_meta.MediaStorageSOPInstanceUID = UID(make_uid(key))
    ds.file_meta.TransferSyntaxUID = UID(ts)
    ds.SOPClassUID = attrs["SOPClassUID"]
    ds.SOPInstanceUID = make_uid(key)
    ds.StudyInstanceUID = make_uid("study")
    ds.SeriesInstanceUID = make_uid("series", spec.key)
    ds.PatientID = "DICODEC-BENCH"
    ds.PatientName = "Bench^Set"
    ds.Modality = attrs["Modality"]
    ds.ImageComments = f"dicodec bench set: {spec.title}"
    ds.SamplesPerPixel = attrs["SamplesPerPixel"]
    ds.PhotometricInterpretation = attrs["PhotometricInterpretation"]
    if attrs["SamplesPerPixel"] > 1:
        ds.PlanarConfiguration = 0
    ds.NumberOfFrames = int(arr.shape[0])
    ds.Rows = int(arr.shape[1])
    ds.Columns = int(arr.shape[2])
    ds.BitsAllocated = attrs["BitsAllocated"]
    ds.BitsStored = attrs["BitsStored"]
    ds.HighBit = attrs["BitsStored"] - 1
    ds.PixelRepresentation = attrs["PixelRepresentation"]
    return ds


def native_bytes(arr: np.ndarray, bits_allocated: int) -> bytes:
    if bits_allocated == 1:
        from pydicom.pixels import pack_bits

        return pack_bits(arr.reshape(-1), pad=True)
    data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
    return data + b"\0" * (len(data) % 2)


def save(ds: Any, path: Path, pixel: bytes | list[bytes], bits_allocated: int) -> None:
    from pydicom.encaps import encapsulate

    if isinstance(pixel, list):
        ds.PixelData = encapsulate(pixel, has_bot=True)
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
    else:
        ds.PixelData = pixel
        ds["PixelData"].VR = "OW" if bits_allocated > 8 else "OB"
    ds.save_as(path, enforce_file_format=True)


def unsigned_frames(arr: np.ndarray, bits_stored: int) -> np.ndarray:
    """The stored bit patterns (unsigned, Bits Stored wide), as JPEG holds them."""
    u = arr.view(arr.dtype.str.replace("i", "u"))
    return u & np.array((1 << bits_stored) - 1, dtype=u.dtype)


def encode_rle(native: Path) -> tuple[list[bytes], str]:
    import pydicom
    from pydicom.pixels.encoders import RLELosslessEncoder

    ds = pydicom.dcmread(native)
    plugins = RLELosslessEncoder.available_plugins
    plugin = "pylibjpeg" if "pylibjpeg" in plugins else "pydicom"
    encoder = (
        f"pylibjpeg-rle {dist_version('pylibjpeg-rle')} via pydicom"
        if plugin == "pylibjpeg"
        else f"pydicom {dist_version('pydicom')} NumPy RLE encoder"
    )
    return list(RLELosslessEncoder.iter_encode(ds, encoding_plugin=plugin)), encoder


def encode_gdcm(native: Path, work: Path) -> tuple[list[bytes], str]:
    import gdcm
    import pydicom
    from pydicom.encaps import generate_frames

    reader = gdcm.ImageReader()
    reader.SetFileName(str(native))
    if not reader.Read():
        raise RuntimeError(f"GDCM could not read {native.name}")
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEGLosslessProcess14_1))
    change.SetInput(reader.GetImage())
    if not change.Change():
        raise RuntimeError("GDCM could not encode JPEG Lossless")
    out = work / (native.stem + ".gdcm.dcm")
    writer = gdcm.ImageWriter()
    writer.SetFileName(str(out))
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    if not writer.Write():
        raise RuntimeError("GDCM could not write its JPEG Lossless file")
    ds = pydicom.dcmread(out)
    nframes = int(ds.get("NumberOfFrames", 1) or 1)
    frames = list(generate_frames(ds.PixelData, number_of_frames=nframes))
    out.unlink()
    return frames, f"GDCM {dist_version('python-gdcm')}"


def encode_turbo(arr: np.ndarray, attrs: dict[str, Any], predictor: int) -> tuple[list[bytes], str]:
    import imagecodecs

    bits = attrs["BitsStored"]
    data = unsigned_frames(arr, bits)
    kwargs: dict[str, Any] = {"lossless": True, "predictor": predictor, "bitspersample": bits}
    if attrs["SamplesPerPixel"] == 3:
        kwargs.update(colorspace="RGB", outcolorspace="RGB")
    frames = [bytes(imagecodecs.jpeg8_encode(f, **kwargs)) for f in data]
    from dicodec.bench.peers import imagecodecs_libraries

    turbo = imagecodecs_libraries().get("libjpeg_turbo", "?")
    return frames, f"libjpeg-turbo {turbo} (imagecodecs)"


def verify(
    path: Path,
    ref: str,
    *,
    lossy: bool = False,
    frame_decoder: Callable[[bytes], np.ndarray] | None = None,
) -> str:
    """Decodes ``path`` with pydicom (or, for a syntax pydicom cannot decode,
    with ``frame_decoder`` per frame, a third-party library); returns what
    matched ``ref``, '' when no decoder is available; raises on a mismatch.
    A ``lossy`` file must decode close to the reference array instead (PSNR
    at least 25 dB), its values are the encoder's."""
    from pydicom.pixels import pixel_array
    from pydicom.pixels.decoders.base import get_decoder

    desc = describe(path)
    if frame_decoder is not None:
        from dicodec.bench.files import read_frames
        from dicodec.bench.peers.base import stack_frames

        arr = stack_frames(read_frames(desc), frame_decoder)
        if arr.dtype == np.uint8 and desc.dtype.itemsize > 1:  # bytes (deflate)
            arr = arr.reshape(len(arr), -1).view(desc.dtype)
        if sha256_of(normalise(arr, desc)) != ref:
            raise RuntimeError(f"{path.name}: the library decodes a different array")
        return "library"
    decoder = get_decoder(desc.transfer_syntax)
    plugins = [p for p in decoder.available_plugins if p != "dicodec"] or [""]
    if not decoder.is_available and plugins == [""] and not desc.is_native:
        return ""
    # pylibjpeg first: GDCM refuses 12-bit DCT JPEG and converts YBR_FULL_422
    # JPEG to RGB even with raw=True.
    plugins.sort(key=lambda p: p != "pylibjpeg")
    problems = []
    for plugin in plugins:
        try:
            got_arr = normalise(pixel_array(path, raw=True, decoding_plugin=plugin), desc)
        except Exception as exc:  # the next plugin may decode it
            problems.append(f"{plugin}: {exc}")
            continue
        if lossy:
            return (
                f"pydicom/{plugin}" if _close_enough(got_arr, path, desc) else _fail(path, plugin)
            )
        if sha256_of(got_arr) != ref:
            _fail(path, plugin)
        return f"pydicom/{plugin or 'native'}"
    raise RuntimeError(f"{path.name}: no pydicom plugin decodes it: {'; '.join(problems)}")


def _fail(path: Path, plugin: str) -> str:
    raise RuntimeError(f"{path.name}: pydicom ({plugin or 'native'}) decodes a different array")


def _close_enough(got: np.ndarray, path: Path, desc: Any) -> bool:
    """A lossy file against its native sibling (same folder, ``-native``)."""
    from pydicom.pixels import pixel_array

    native = path.with_name(path.name.split("-", 1)[0] + "-native.dcm")
    want = pixel_array(native, raw=True).astype(np.float64)
    g = got.astype(np.float64)
    if desc.photometric == "YBR_FULL_422":
        from pydicom.pixels import convert_color_space

        g = convert_color_space(got, "YBR_FULL", "RGB").astype(np.float64)
    mse = float(np.mean((g.reshape(want.shape) - want) ** 2))
    peak = float(2**desc.bits_stored - 1)
    return mse == 0 or 10 * np.log10(peak * peak / mse) >= 25
