"""From stored values to what people look at: the pixel pipeline.

Drop-in replacements of ``pydicom.pixels.processing`` —
:func:`apply_modality_lut`, :func:`apply_voi_lut` (and its parts
:func:`apply_voi`, :func:`apply_windowing`), :func:`apply_color_lut` and
:func:`convert_color_space` — with the same arguments and results (integers
equal, floats equal up to the last bits of ``exp`` for SIGMOID). The
attributes are read from the ``pydicom.Dataset`` here; the numeric work runs
in Rust (``dicodec_core::pipeline``) on all cores, without the GIL.

:func:`dicodec.render` (in :mod:`dicodec.display`) goes from a file to
display-ready ``uint8``/``uint16`` images in one call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dicodec import _native

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

__all__ = [
    "apply_modality_lut",
    "apply_voi_lut",
    "apply_voi",
    "apply_windowing",
    "apply_color_lut",
    "convert_color_space",
]

_NATIVE_DTYPES = frozenset(
    np.dtype(t) for t in ("u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8")
)


def _prep(arr: np.ndarray) -> np.ndarray | None:
    """A C-contiguous, native-endian view/copy of ``arr`` the Rust kernels take,
    or ``None`` for dtypes they do not handle."""
    a = np.asarray(arr)
    if a.dtype == np.bool_:
        a = a.view(np.uint8)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if a.dtype not in _NATIVE_DTYPES:
        return None
    return np.ascontiguousarray(a)


def _little_endian(ds: Dataset) -> bool:
    if hasattr(ds, "file_meta"):
        little = ds.file_meta._tsyntax_encoding[1]
    else:
        little = ds.original_encoding[1]
    if little is None:
        raise AttributeError(
            "Unable to determine the endianness of the dataset, please set "
            "an appropriate Transfer Syntax UID in "
            f"'{type(ds).__name__}.file_meta'"
        )
    return bool(little)


def _lut_words(ds: Dataset, item: Any, nr_entries: int) -> np.ndarray:
    """The LUT Data of a Modality/VOI LUT item as ``uint16`` (US or OW; OW
    in the dataset's byte order). Its length is checked against the
    descriptor in Rust."""
    from pydicom.valuerep import VR

    if item["LUTData"].VR == VR.OW:
        data = bytes(item.LUTData)
        n = min(len(data) // 2, nr_entries)
        return np.frombuffer(data, dtype="<u2" if _little_endian(ds) else ">u2", count=n).astype(
            np.uint16
        )
    return np.asarray(item.LUTData, dtype=np.uint16).reshape(-1)


def _check_bits(bits: Any) -> int:
    """LUT entry bits must be 1 to 16 (``MalformedError`` otherwise)."""
    from dicodec.errors import MalformedError

    if not isinstance(bits, (int, np.integer)) or not 1 <= int(bits) <= 16:
        raise MalformedError(
            f"malformed LUT Descriptor at byte offset 0: {bits} bits per entry (1 to 16 allowed)",
            0,
        )
    return int(bits)


def _pydicom_fallback(name: str) -> Any:
    from pydicom.pixels import processing

    return getattr(processing, name)


# ---- Modality LUT ----------------------------------------------------------


def apply_modality_lut(arr: np.ndarray, ds: Dataset) -> np.ndarray:
    """Applies the Modality LUT Sequence or Rescale Slope/Intercept of ``ds``.

    Same as ``pydicom.pixels.processing.apply_modality_lut``: ``uint8`` /
    ``uint16`` (by the third LUT Descriptor value) for a Modality LUT
    Sequence, ``float64`` for a rescale, ``arr`` itself when neither is
    present. Only the top-level attributes are used (as pydicom does); see
    :func:`render` and ``read_pixels(modality_lut=True)`` for per-frame values.
    """
    a = _prep(arr)
    if a is None:
        return _pydicom_fallback("apply_modality_lut")(arr, ds)
    if ds.get("ModalityLUTSequence"):
        item = ds.ModalityLUTSequence[0]
        desc = item.LUTDescriptor
        nr_entries = desc[0] or 2**16
        first_map = desc[1]
        nominal_depth = _check_bits(desc[2])
        # pydicom takes uint{bits}: 8 and 16 (others fail there); 1-16 here.
        dtype = np.dtype(np.uint8 if nominal_depth <= 8 else np.uint16)
        data = _lut_words(ds, item, nr_entries)
        if not np.issubdtype(a.dtype, np.integer):
            return _pydicom_fallback("apply_modality_lut")(arr, ds)
        out = np.empty(a.shape, dtype=dtype)
        _native._pl_lut(a, out, (int(desc[0]), int(first_map), int(nominal_depth)), data, None)
        return out
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        out = np.empty(a.shape, dtype=np.float64)
        _native._pl_rescale(
            a, out, max(a.size, 1), [float(ds.RescaleSlope)], [float(ds.RescaleIntercept)]
        )
        return out
    return arr


# ---- VOI LUT ---------------------------------------------------------------


def apply_voi_lut(
    arr: np.ndarray, ds: Dataset, index: int = 0, prefer_lut: bool = True
) -> np.ndarray:
    """Applies the VOI LUT Sequence or the window of ``ds`` (as
    ``pydicom.pixels.processing.apply_voi_lut``): ``uint8``/``uint16`` for a
    VOI LUT, ``float64`` for a window, ``arr`` itself when neither is present.
    ``index`` picks one of several views, ``prefer_lut`` the LUT over the
    window when both are present."""
    valid_voi = False
    if ds.get("VOILUTSequence"):
        first = ds.VOILUTSequence[0]
        valid_voi = None not in [first.get("LUTDescriptor", None), first.get("LUTData", None)]
    valid_windowing = None not in [ds.get("WindowCenter", None), ds.get("WindowWidth", None)]
    if valid_voi and valid_windowing:
        if prefer_lut:
            return apply_voi(arr, ds, index)
        return apply_windowing(arr, ds, index)
    if valid_voi:
        return apply_voi(arr, ds, index)
    if valid_windowing:
        return apply_windowing(arr, ds, index)
    return arr


def apply_voi(arr: np.ndarray, ds: Dataset, index: int = 0) -> np.ndarray:
    """Applies the VOI LUT Sequence item ``index`` of ``ds`` (as
    ``pydicom.pixels.processing.apply_voi``)."""
    if not ds.get("VOILUTSequence"):
        return arr
    a = _prep(arr)
    if a is None:
        return _pydicom_fallback("apply_voi")(arr, ds, index)
    if not np.issubdtype(a.dtype, np.integer):
        from pydicom.misc import warn_and_log

        warn_and_log("Applying a VOI LUT on a float input array may give incorrect results")
    item = ds.VOILUTSequence[index]
    desc = item.LUTDescriptor
    nr_entries = desc[0] or 2**16
    first_map = desc[1]
    nominal_depth = _check_bits(desc[2])
    dtype: np.dtype[Any]
    if nominal_depth in range(10, 17):
        dtype, bits = np.dtype(np.uint16), 16
    elif nominal_depth == 8:
        dtype, bits = np.dtype(np.uint8), 8
    else:
        raise NotImplementedError(f"'{nominal_depth}' bits per LUT entry is not supported")
    data = _lut_words(ds, item, nr_entries)
    out = np.empty(a.shape, dtype=dtype)
    _native._pl_lut(a, out, (int(desc[0]), int(first_map), int(nominal_depth)), data, bits)
    return out


def _output_range(ds: Dataset) -> tuple[float, float]:
    """``y_min``, ``y_max`` of pydicom's ``apply_windowing``."""
    y_min: float
    y_max: float
    bits_stored = int(ds.BitsStored)
    if ds.get("ModalityLUTSequence"):
        y_min = 0
        y_max = 2 ** ds.ModalityLUTSequence[0].LUTDescriptor[2] - 1
    elif ds.PixelRepresentation == 0:
        y_min = 0
        y_max = 2**bits_stored - 1
    else:
        y_min = -(2 ** (bits_stored - 1))
        y_max = 2 ** (bits_stored - 1) - 1
    slope = ds.get("RescaleSlope", None)
    intercept = ds.get("RescaleIntercept", None)
    if slope is not None and intercept is not None:
        y_min = y_min * ds.RescaleSlope + ds.RescaleIntercept
        y_max = y_max * ds.RescaleSlope + ds.RescaleIntercept
    return float(y_min), float(y_max)


def _check_width(function: str, width: float) -> None:
    if function == "LINEAR":
        if width < 1:
            raise ValueError(
                "The (0028,1051) Window Width must be greater than or "
                "equal to 1 for a 'LINEAR' windowing operation"
            )
    elif function == "LINEAR_EXACT":
        if width <= 0:
            raise ValueError(
                "The (0028,1051) Window Width must be greater than 0 "
                "for a 'LINEAR_EXACT' windowing operation"
            )
    elif function == "SIGMOID":
        if width <= 0:
            raise ValueError(
                "The (0028,1051) Window Width must be greater than 0 "
                "for a 'SIGMOID' windowing operation"
            )
    else:
        raise ValueError(f"Unsupported (0028,1056) VOI LUT Function value '{function}'")


def apply_windowing(arr: np.ndarray, ds: Dataset, index: int = 0) -> np.ndarray:
    """Applies Window Center/Width ``index`` of ``ds`` with its VOI LUT
    Function (LINEAR, LINEAR_EXACT, SIGMOID), as
    ``pydicom.pixels.processing.apply_windowing``: ``float64`` in the output
    range of the stored (or rescaled) values."""
    if "WindowWidth" not in ds and "WindowCenter" not in ds:
        return arr
    if ds.PhotometricInterpretation not in ["MONOCHROME1", "MONOCHROME2"]:
        raise ValueError(
            "When performing a windowing operation only 'MONOCHROME1' and "
            "'MONOCHROME2' are allowed for (0028,0004) Photometric "
            "Interpretation"
        )
    function = str(getattr(ds, "VOILUTFunction", "LINEAR")).upper()
    elem = ds["WindowCenter"]
    center = elem.value[index] if elem.VM > 1 else elem.value
    elem = ds["WindowWidth"]
    width = elem.value[index] if elem.VM > 1 else elem.value
    y_min, y_max = _output_range(ds)
    _check_width(function, width)
    a = _prep(arr)
    if a is None:
        return _pydicom_fallback("apply_windowing")(arr, ds, index)
    out = np.empty(a.shape, dtype=np.float64)
    _native._pl_window(a, out, float(center), float(width), function, y_min, y_max)
    return out


# ---- Palette colour LUTs ---------------------------------------------------

_PALETTE_FILES = {
    "1.2.840.10008.1.5.1": "hotiron.dcm",
    "1.2.840.10008.1.5.2": "pet.dcm",
    "1.2.840.10008.1.5.3": "hotmetalblue.dcm",
    "1.2.840.10008.1.5.4": "pet20step.dcm",
    "1.2.840.10008.1.5.5": "spring.dcm",
    "1.2.840.10008.1.5.6": "summer.dcm",
    "1.2.840.10008.1.5.7": "fall.dcm",
    "1.2.840.10008.1.5.8": "winter.dcm",
}
# As pydicom maps them (FALL and WINTER swapped there too, for identical results).
_PALETTE_NAMES = {
    "HOT_IRON": "1.2.840.10008.1.5.1",
    "PET": "1.2.840.10008.1.5.2",
    "HOT_METAL_BLUE": "1.2.840.10008.1.5.3",
    "PET_20_STEP": "1.2.840.10008.1.5.4",
    "SPRING": "1.2.840.10008.1.5.5",
    "SUMMER": "1.2.840.10008.1.5.6",
    "FALL": "1.2.840.10008.1.5.8",
    "WINTER": "1.2.840.10008.1.5.7",
}


def _palette_dataset(palette: str) -> Dataset:
    from pydicom import dcmread
    from pydicom.data import get_palette_files
    from pydicom.uid import UID

    if not UID(palette).is_valid:
        try:
            palette = _PALETTE_NAMES[palette]
        except KeyError:
            raise ValueError(f"Unknown palette '{palette}'") from None
    try:
        fname = _PALETTE_FILES[palette]
    except KeyError:
        raise ValueError(f"Unknown palette '{palette}'") from None
    return dcmread(get_palette_files(fname)[0])


def _palette_luts(ds: Dataset) -> tuple[tuple[int, int, int], list[np.ndarray], np.dtype]:
    """Descriptor (entries as stored, first map, bits), the LUTs as
    ``uint16`` and the output dtype, read as pydicom's ``apply_color_lut``."""
    if getattr(ds, "PixelPresentation", None) in ["MIXED", "COLOR"]:
        raise ValueError(
            "Use of this function with the Supplemental Palette Color Lookup "
            "Table Module is not currently supported"
        )
    if "RedPaletteColorLookupTableDescriptor" not in ds:
        raise ValueError("No suitable Palette Color Lookup Table Module found")
    lut_desc = ds.RedPaletteColorLookupTableDescriptor
    nr_entries = lut_desc[0] or 2**16
    first_map = lut_desc[1]
    nominal_depth = _check_bits(lut_desc[2])
    dtype = np.dtype(f"uint{nominal_depth:.0f}")
    luts: list[np.ndarray] = []
    if "RedPaletteColorLookupTableData" in ds:
        r_lut = ds.RedPaletteColorLookupTableData
        g_lut = ds.GreenPaletteColorLookupTableData
        b_lut = ds.BluePaletteColorLookupTableData
        a_lut = getattr(ds, "AlphaPaletteColorLookupTableData", None)
        actual_depth = len(r_lut) / nr_entries * 8
        if actual_depth not in [8, 16]:
            from dicodec.errors import MalformedError

            raise MalformedError(
                f"The bit depth of the LUT data '{actual_depth:.1f}' is invalid (only 8 or 16 "
                f"bits per entry allowed): {len(r_lut)} bytes for {nr_entries} entries",
                0,
            )
        dtype = np.dtype(f"uint{actual_depth:.0f}")
        luts.extend(
            np.frombuffer(b, dtype=dtype).astype(np.uint16)
            for b in (r_lut, g_lut, b_lut, a_lut)
            if b
        )
    elif "SegmentedRedPaletteColorLookupTableData" in ds:
        r_lut = ds.SegmentedRedPaletteColorLookupTableData
        g_lut = ds.SegmentedGreenPaletteColorLookupTableData
        b_lut = ds.SegmentedBluePaletteColorLookupTableData
        a_lut = getattr(ds, "SegmentedAlphaPaletteColorLookupTableData", None)
        little = _little_endian(ds)
        byte_depth = nominal_depth // 8
        actual_depth = nominal_depth
        for seg in (r_lut, g_lut, b_lut, a_lut):
            if seg:
                n = len(seg) // byte_depth
                if byte_depth == 1:
                    words = np.frombuffer(seg, dtype=np.uint8, count=n).astype(np.uint16)
                else:
                    words = np.frombuffer(seg, dtype="<u2" if little else ">u2", count=n).astype(
                        np.uint16
                    )
                expanded = _native._pl_segmented(words, byte_depth == 1, little)
                if dtype.itemsize == 1 and expanded.size and expanded.max() > 255:
                    raise OverflowError("segmented LUT values do not fit 8-bit entries")
                luts.append(expanded)
    else:
        raise ValueError("No suitable Palette Color Lookup Table Module found")
    if actual_depth not in [8, 16]:
        raise ValueError(
            f"The bit depth of the LUT data '{actual_depth:.1f}' "
            "is invalid (only 8 or 16 bits per entry allowed)"
        )
    lengths = [len(x) for x in luts]
    if not all(n == lengths[0] for n in lengths[1:]):
        raise ValueError("LUT data must be the same length")
    return (int(lut_desc[0]), int(first_map), int(actual_depth)), luts, dtype


def apply_color_lut(
    arr: np.ndarray, ds: Dataset | None = None, palette: str | None = None
) -> np.ndarray:
    """Applies the palette colour LUTs of ``ds`` (normal or segmented, 8- or
    16-bit entries, optional alpha), or the well-known ``palette``, as
    ``pydicom.pixels.processing.apply_color_lut``: RGB(A) ``uint8`` or
    ``uint16`` with a last axis of 3 (4 with alpha)."""
    if not ds and not palette:
        raise ValueError("Either 'ds' or 'palette' is required")
    if palette:
        ds = _palette_dataset(str(palette))
    assert ds is not None
    desc, luts, dtype = _palette_luts(ds)
    a = _prep(arr)
    if a is None:
        return _pydicom_fallback("apply_color_lut")(arr, ds)
    out = np.empty(a.shape + (len(luts),), dtype=dtype)
    _native._pl_palette(a, out, desc, luts, 8 * dtype.itemsize)
    return out


# ---- Colour spaces ---------------------------------------------------------

_YBR = ("YBR_FULL", "YBR_FULL_422")
_TO_RGB = {
    "YBR_FULL": "YBR_FULL",
    "YBR_FULL_422": "YBR_FULL",
    "YBR_ICT": "YBR_ICT",
    "YBR_RCT": "YBR_RCT",
}


def convert_color_space(
    arr: np.ndarray, current: str, desired: str, per_frame: bool = False
) -> np.ndarray:
    """Converts ``arr`` (``uint8``, shape (rows, columns, 3) or (frames, rows,
    columns, 3)) between RGB, YBR_FULL and YBR_FULL_422, as
    ``pydicom.pixels.processing.convert_color_space`` (same results to the
    bit). With ``per_frame`` a 4-D ``arr`` is converted in place and
    returned. Beyond pydicom, YBR_ICT and YBR_RCT → RGB are accepted too
    (``uint8`` or ``uint16``, chroma offset by half the range)."""
    ict_rct = current in ("YBR_ICT", "YBR_RCT") and desired == "RGB"
    if arr.dtype != np.dtype("u1") and not (ict_rct and arr.dtype == np.dtype("u2")):
        raise ValueError(
            f"Invalid ndarray.dtype '{arr.dtype}' for color space conversion, "
            "must be 'uint8' or an equivalent"
        )
    if current in _YBR and desired in _YBR or current == desired == "RGB":
        return arr
    if current in _TO_RGB and desired == "RGB":
        kind = _TO_RGB[current]
    elif current == "RGB" and desired in _YBR:
        kind = "RGB_TO_YBR_FULL"
    else:
        raise NotImplementedError(f"Conversion from {current} to {desired} is not supported.")
    if arr.ndim < 1 or arr.shape[-1] != 3:
        raise ValueError(f"Colour conversion needs 3 samples per pixel, got shape {arr.shape}")
    a = _prep(arr)
    assert a is not None
    if len(arr.shape) == 4 and per_frame:
        if kind == "YBR_FULL" and a is arr and arr.flags.writeable:
            _native._pl_color(arr, None, kind)
        else:
            out = np.empty(a.shape, a.dtype)
            _native._pl_color(a, out, kind)
            arr[...] = out
        return arr
    out = np.empty(a.shape, a.dtype)
    _native._pl_color(a, out, kind)
    return out
