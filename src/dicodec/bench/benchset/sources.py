"""Where the set comes from: the cache and corpus locations, and the real
images read (and cropped, and repeated to the frame count) with pydicom."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from dicodec.bench.benchset.spec import IMAGES, VARIANTS, ImageSpec


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
    candidates.append(Path(__file__).resolve().parents[4].parent / "shared" / "corpus" / "dev")
    candidates.append(Path.cwd().parent / "shared" / "corpus" / "dev")
    for c in candidates:
        if (c / "MANIFEST.csv").is_file() or (c.is_dir() and any(c.glob("*.dcm"))):
            return c
    return None


def bundled_file(name: str) -> Path:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)
    if path is None:
        raise FileNotFoundError(f"pydicom's bundled test file {name} is missing")
    return Path(str(path))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dist_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


@dataclass
class Source:
    spec: ImageSpec
    paths: list[Path]
    origin: str  # corpus | pydicom
    note: str = ""


def find_sources(variant: str, corpus: Path | None) -> list[Source]:
    _, _, use_corpus = VARIANTS[variant]
    out = []
    for spec in IMAGES.values():
        paths = [corpus / n for n in spec.corpus] if (use_corpus and corpus) else []
        if paths and all(p.is_file() for p in paths):
            out.append(Source(spec, paths, "corpus"))
        else:
            note = spec.bundled_note if variant == "standard" else ""
            out.append(Source(spec, [bundled_file(n) for n in spec.bundled], "pydicom", note))
    return out


def load_frames(src: Source, variant: str) -> tuple[np.ndarray, dict[str, Any]]:
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
    attrs: dict[str, Any] = {
        "BitsAllocated": int(first.BitsAllocated),
        "BitsStored": int(first.BitsStored),
        "PixelRepresentation": int(first.PixelRepresentation),
        "PhotometricInterpretation": str(first.PhotometricInterpretation),
        "SamplesPerPixel": int(first.SamplesPerPixel),
        "Modality": str(first.get("Modality", "OT")),
        "SOPClassUID": spec_sop_class(src, first),
    }
    if src.spec.reduce_to_bits:
        keep = src.spec.reduce_to_bits
        shift = max(attrs["BitsStored"] - keep, 0)
        stack = (stack.astype(np.int64) >> shift).astype(np.uint8)
        attrs.update(BitsAllocated=8, BitsStored=keep, PixelRepresentation=0, Modality="OT")
        attrs["SOPClassUID"] = src.spec.sop_class
    return stack, attrs


def spec_sop_class(src: Source, first: Any) -> str:
    """The image's SOP class, or the source's own when a substitute stands in
    (GDCM refuses e.g. a signed CR)."""
    if src.origin == "pydicom" and src.spec.bundled_note:
        return str(first.SOPClassUID)
    return src.spec.sop_class
