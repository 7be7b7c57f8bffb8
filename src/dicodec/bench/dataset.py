"""The standard benchmark set: real images, encoded by third-party encoders.

``build()`` makes (once, then from the cache) a reproducible set of DICOM
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

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from dicodec import uids
from dicodec.bench.files import FileDesc, describe
from dicodec.bench.normalise import normalise, sha256_of

__all__ = [
    "IMAGES",
    "ENCODINGS",
    "VARIANTS",
    "BenchFile",
    "BenchSet",
    "build",
    "cache_root",
    "default_corpus",
]

#: Bump when the generated files would change.
GENERATOR_VERSION = 1

EXPLICIT_LE = uids.EXPLICIT_VR_LITTLE_ENDIAN
RLE_TS = uids.RLE_LOSSLESS
JPLL_TS = uids.JPEG_LOSSLESS
JPLL_SV1_TS = uids.JPEG_LOSSLESS_SV1


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
    encodings: tuple[str, ...] = ("native", "rle", "jpll-gdcm", "jpll-turbo", "jpll-p7-turbo")


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
        ),
        ImageSpec(
            "mr12",
            "12-bit MR",
            ("pydicomdata__MR2_UNCI.dcm",),
            ("examples_overlay.dcm",),
            1,
            "1.2.840.10008.5.1.4.1.1.4",  # MR Image Storage
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
        ),
        ImageSpec(
            "us_rgb",
            "8-bit RGB ultrasound",
            ("dicomparser__encapsulated_multi-frame_IM00001.implicit_little_endian.dcm",),
            ("examples_rgb_color.dcm",),
            8,
            "1.2.840.10008.5.1.4.1.1.3.1",  # Ultrasound Multi-frame Image Storage
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
}

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


# ------------------------------------------------------------------ locations


def cache_root() -> Path:
    """``$DICODEC_BENCH_CACHE`` or the user cache dir's ``dicodec/bench-set``."""
    env = os.environ.get("DICODEC_BENCH_CACHE")
    if env:
        return Path(env)
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("dicodec")) / "bench-set"
    except ImportError:
        return Path.home() / ".cache" / "dicodec" / "bench-set"


def default_corpus() -> Path | None:
    """``$DICODEC_CORPUS``, else ``../shared/corpus/dev`` next to the source
    checkout or the current directory, when it exists."""
    candidates = []
    if os.environ.get("DICODEC_CORPUS"):
        candidates.append(Path(os.environ["DICODEC_CORPUS"]))
    candidates.append(Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "dev")
    candidates.append(Path.cwd().parent / "shared" / "corpus" / "dev")
    for c in candidates:
        if (c / "MANIFEST.csv").is_file() or (c.is_dir() and any(c.glob("*.dcm"))):
            return c
    return None


def _bundled(name: str) -> Path:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)
    if path is None:
        raise FileNotFoundError(f"pydicom's bundled test file {name} is missing")
    return Path(str(path))


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


# ------------------------------------------------------------------ sources


@dataclass
class _Source:
    spec: ImageSpec
    paths: list[Path]
    origin: str  # corpus | pydicom
    note: str = ""


def _sources(variant: str, corpus: Path | None) -> list[_Source]:
    _, _, use_corpus = VARIANTS[variant]
    out = []
    for spec in IMAGES.values():
        paths = [corpus / n for n in spec.corpus] if (use_corpus and corpus) else []
        if paths and all(p.is_file() for p in paths):
            out.append(_Source(spec, paths, "corpus"))
        else:
            note = spec.bundled_note if variant == "standard" else ""
            out.append(_Source(spec, [_bundled(n) for n in spec.bundled], "pydicom", note))
    return out


def _load(src: _Source, variant: str) -> tuple[np.ndarray, dict[str, Any]]:
    """The source frames stacked (frames, rows, cols[, samples]) and the
    pixel attributes of the first file."""
    import pydicom
    from pydicom.pixels import pixel_array

    max_side, frames_override, _ = VARIANTS[variant]
    arrays = []
    first = None
    for p in src.paths:
        ds = pydicom.dcmread(p)
        if first is None:
            first = ds
        a = pixel_array(ds, raw=True)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        samples = int(ds.SamplesPerPixel)
        if frames == 1:
            a = a[np.newaxis]
        if samples == 1 and a.ndim == 4:  # pragma: no cover - defensive
            a = a[..., 0]
        arrays.append(a)
    assert first is not None
    stack = np.concatenate(arrays)
    if max_side:
        r0 = max(0, (stack.shape[1] - max_side) // 2)
        c0 = max(0, (stack.shape[2] - max_side) // 2)
        stack = stack[:, r0 : r0 + max_side, c0 : c0 + max_side]
    want = frames_override or src.spec.frames
    stack = np.ascontiguousarray(stack[[i % len(stack) for i in range(want)]])
    attrs = {
        "BitsAllocated": int(first.BitsAllocated),
        "BitsStored": int(first.BitsStored),
        "PixelRepresentation": int(first.PixelRepresentation),
        "PhotometricInterpretation": str(first.PhotometricInterpretation),
        "SamplesPerPixel": int(first.SamplesPerPixel),
        "Modality": str(first.get("Modality", "OT")),
        "SOPClassUID": spec_sop_class(src, first),
    }
    return stack, attrs


def spec_sop_class(src: _Source, first: Any) -> str:
    """The image's SOP class, or the source's own when a substitute stands in
    (GDCM refuses e.g. a signed CR)."""
    if src.origin == "pydicom" and src.spec.bundled_note:
        return str(first.SOPClassUID)
    return src.spec.sop_class


# ------------------------------------------------------------------ writing


def _uid(*parts: str) -> str:
    """A deterministic UID under the 2.25 (UUID-derived) root."""
    digest = hashlib.sha256("/".join(("dicodec-bench", *parts)).encode()).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def _dataset(arr: np.ndarray, attrs: dict[str, Any], spec: ImageSpec, key: str, ts: str) -> Any:
    from pydicom.dataset import Dataset, FileMetaDataset

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = attrs["SOPClassUID"]
    ds.file_meta.MediaStorageSOPInstanceUID = _uid(key)
    ds.file_meta.TransferSyntaxUID = ts
    ds.SOPClassUID = attrs["SOPClassUID"]
    ds.SOPInstanceUID = _uid(key)
    ds.StudyInstanceUID = _uid("study")
    ds.SeriesInstanceUID = _uid("series", spec.key)
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


def _native_bytes(arr: np.ndarray, bits_allocated: int) -> bytes:
    if bits_allocated == 1:
        from pydicom.pixels import pack_bits

        return pack_bits(arr.reshape(-1), pad=True)
    data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
    return data + b"\0" * (len(data) % 2)


def _save(ds: Any, path: Path, pixel: bytes | list[bytes], bits_allocated: int) -> None:
    from pydicom.encaps import encapsulate

    if isinstance(pixel, list):
        ds.PixelData = encapsulate(pixel, has_bot=True)
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
    else:
        ds.PixelData = pixel
        ds["PixelData"].VR = "OW" if bits_allocated > 8 else "OB"
    ds.save_as(path, enforce_file_format=True)


def _unsigned_frames(arr: np.ndarray, bits_stored: int) -> np.ndarray:
    """The stored bit patterns (unsigned, Bits Stored wide), as JPEG holds them."""
    u = arr.view(arr.dtype.str.replace("i", "u"))
    return u & np.array((1 << bits_stored) - 1, dtype=u.dtype)


def _encode_rle(native: Path) -> tuple[list[bytes], str]:
    import pydicom
    from pydicom.pixels.encoders import RLELosslessEncoder

    ds = pydicom.dcmread(native)
    plugins = RLELosslessEncoder.available_plugins
    plugin = "pylibjpeg" if "pylibjpeg" in plugins else "pydicom"
    encoder = (
        f"pylibjpeg-rle {_version('pylibjpeg-rle')} via pydicom"
        if plugin == "pylibjpeg"
        else f"pydicom {_version('pydicom')} NumPy RLE encoder"
    )
    return list(RLELosslessEncoder.iter_encode(ds, encoding_plugin=plugin)), encoder


def _encode_gdcm(native: Path, work: Path) -> tuple[list[bytes], str]:
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
    return frames, f"GDCM {_version('python-gdcm')}"


def _encode_turbo(
    arr: np.ndarray, attrs: dict[str, Any], predictor: int
) -> tuple[list[bytes], str]:
    import imagecodecs

    bits = attrs["BitsStored"]
    data = _unsigned_frames(arr, bits)
    kwargs: dict[str, Any] = {"lossless": True, "predictor": predictor, "bitspersample": bits}
    if attrs["SamplesPerPixel"] == 3:
        kwargs.update(colorspace="RGB", outcolorspace="RGB")
    frames = [bytes(imagecodecs.jpeg8_encode(f, **kwargs)) for f in data]
    from dicodec.bench.peers import imagecodecs_libraries

    turbo = imagecodecs_libraries().get("libjpeg_turbo", "?")
    return frames, f"libjpeg-turbo {turbo} (imagecodecs)"


def _verify(path: Path, ref: str) -> str:
    """Decodes ``path`` with pydicom; returns the plugin that matched ``ref``,
    '' when no pydicom decoder is available; raises on a mismatch."""
    from pydicom.pixels import pixel_array
    from pydicom.pixels.decoders.base import get_decoder

    desc = describe(path)
    decoder = get_decoder(desc.transfer_syntax)
    plugins = [p for p in decoder.available_plugins if p != "dicodec"] or [""]
    if not decoder.is_available and plugins == [""] and not desc.is_native:
        return ""
    plugin = plugins[0]
    got = sha256_of(normalise(pixel_array(path, raw=True, decoding_plugin=plugin), desc))
    if got != ref:
        raise RuntimeError(f"{path.name}: pydicom ({plugin or 'native'}) decodes a different array")
    return f"pydicom/{plugin or 'native'}"


# ------------------------------------------------------------------ build


def _fingerprint(variant: str, sources: list[_Source]) -> str:
    h = hashlib.sha256()
    h.update(f"v{GENERATOR_VERSION}/{variant}".encode())
    for src in sources:
        for p in src.paths:
            h.update(_sha256_file(p).encode())
    for dist in ("pydicom", "numpy", "pylibjpeg-rle", "python-gdcm", "imagecodecs"):
        h.update(f"{dist}={_version(dist)}".encode())
    return h.hexdigest()[:16]


def _load_manifest(root: Path) -> BenchSet | None:
    manifest = root / "manifest.json"
    if not manifest.is_file():
        return None
    data = json.loads(manifest.read_text())
    files = [BenchFile(**{**f, "path": str(root / f["path"])}) for f in data["files"]]
    if not all(Path(f.path).is_file() for f in files):
        return None
    return BenchSet(root, data["variant"], files, data.get("notes", []), data.get("corpus"))


def build(
    variant: str = "standard",
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    corpus_dir: str | os.PathLike[str] | None = None,
    rebuild: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BenchSet:
    """The benchmark set (built on first use, then read from the cache)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    corpus = Path(corpus_dir) if corpus_dir is not None else default_corpus()
    sources = _sources(variant, corpus)
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    target = root / f"{variant}-{_fingerprint(variant, sources)}"
    if not rebuild:
        cached = _load_manifest(target)
        if cached is not None:
            return cached
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{variant}-", dir=root))
    try:
        files, notes = _generate(sources, variant, work, progress)
        manifest = {
            "generator_version": GENERATOR_VERSION,
            "variant": variant,
            "corpus": str(corpus) if corpus else None,
            "notes": notes,
            "encoders": {
                d: _version(d) for d in ("pydicom", "pylibjpeg-rle", "python-gdcm", "imagecodecs")
            },
            "files": [{**asdict(f), "path": Path(f.path).name} for f in files],
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        if target.exists():
            shutil.rmtree(target)
        try:
            work.rename(target)
        except OSError:  # another process won the race: use its copy
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    result = _load_manifest(target)
    if result is None:  # pragma: no cover - only if the cache was removed meanwhile
        raise RuntimeError(f"benchmark set at {target} is incomplete")
    return result


def _generate(
    sources: list[_Source],
    variant: str,
    work: Path,
    progress: Callable[[str], None] | None,
) -> tuple[list[BenchFile], list[str]]:
    import importlib.util

    have = {m: importlib.util.find_spec(m) is not None for m in ("gdcm", "imagecodecs")}
    files: list[BenchFile] = []
    notes: list[str] = []
    for src in sources:
        spec = src.spec
        if src.note:
            notes.append(src.note)
        elif src.origin == "pydicom" and variant == "standard":
            notes.append(f"{spec.key}: shared corpus absent, using pydicom's {src.paths[0].name}")
        arr, attrs = _load(src, variant)
        names = [p.name for p in src.paths]
        native = work / f"{spec.key}-native.dcm"
        ds = _dataset(arr, attrs, spec, f"{spec.key}/native", EXPLICIT_LE)
        _save(ds, native, _native_bytes(arr, attrs["BitsAllocated"]), attrs["BitsAllocated"])
        ref = sha256_of(normalise(arr, describe(native)))
        for encoding in spec.encodings:
            ts, _ = ENCODINGS[encoding]
            path = work / f"{spec.key}-{encoding}.dcm"
            if progress:
                progress(f"bench set: {path.name}")
            try:
                if encoding == "native":
                    encoder = "none"
                else:
                    if encoding == "rle":
                        frames, encoder = _encode_rle(native)
                    elif encoding == "jpll-gdcm":
                        if not have["gdcm"]:
                            notes.append(f"{path.name} skipped: pip install python-gdcm")
                            continue
                        frames, encoder = _encode_gdcm(native, work)
                    else:
                        if not have["imagecodecs"]:
                            notes.append(f"{path.name} skipped: pip install imagecodecs")
                            continue
                        frames, encoder = _encode_turbo(
                            arr, attrs, 7 if encoding == "jpll-p7-turbo" else 1
                        )
                    if len(frames) != arr.shape[0]:
                        raise RuntimeError(f"{len(frames)} frames encoded, {arr.shape[0]} wanted")
                    enc = _dataset(arr, attrs, spec, f"{spec.key}/{encoding}", ts)
                    enc.ImageComments = f"dicodec bench set: {spec.title}, encoded by {encoder}"
                    _save(enc, path, frames, attrs["BitsAllocated"])
                verified = _verify(path, ref)
            except Exception as exc:
                notes.append(f"{path.name} left out: {type(exc).__name__}: {exc}")
                if path.exists() and encoding != "native":
                    path.unlink()
                continue
            files.append(
                BenchFile(
                    path=str(path),
                    image=spec.key,
                    encoding=encoding,
                    transfer_syntax=ts,
                    encoder=encoder,
                    sources=[f"{src.origin}:{n}" for n in names],
                    ref_sha256=ref,
                    verified_by=verified,
                )
            )
    return files, notes
