"""``build()``: the set from the cache, or generated into it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from dicodec.bench.benchset import codecs
from dicodec.bench.benchset.encoders import (
    encode_gdcm,
    encode_rle,
    encode_turbo,
    native_bytes,
    new_dataset,
    save,
    verify,
)
from dicodec.bench.benchset.sources import (
    Source,
    cache_root,
    default_corpus,
    dist_version,
    find_sources,
    load_frames,
    sha256_file,
)
from dicodec.bench.benchset.spec import (
    ENCODINGS,
    EXPLICIT_LE,
    GENERATOR_VERSION,
    LOSSY,
    VARIANTS,
    BenchFile,
    BenchSet,
)
from dicodec.bench.files import describe
from dicodec.bench.normalise import normalise, sha256_of


def _fingerprint(variant: str, sources: list[Source]) -> str:
    h = hashlib.sha256()
    h.update(f"v{GENERATOR_VERSION}/{variant}".encode())
    for src in sources:
        for p in src.paths:
            h.update(sha256_file(p).encode())
    for dist in ("pydicom", "numpy", "pylibjpeg-rle", "python-gdcm", "imagecodecs"):
        h.update(f"{dist}={dist_version(dist)}".encode())
    import zlib

    h.update(f"zlib={zlib.ZLIB_RUNTIME_VERSION}".encode())
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
    sources = find_sources(variant, corpus)
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
                d: dist_version(d)
                for d in ("pydicom", "pylibjpeg-rle", "python-gdcm", "imagecodecs")
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
    sources: list[Source],
    variant: str,
    work: Path,
    progress: Callable[[str], None] | None,
) -> tuple[list[BenchFile], list[str]]:
    import importlib.util

    from dicodec.bench.files import register_newer_syntaxes

    register_newer_syntaxes()
    have = {m: importlib.util.find_spec(m) is not None for m in ("gdcm", "imagecodecs")}
    files: list[BenchFile] = []
    notes: list[str] = []
    for src in sources:
        spec = src.spec
        if src.note:
            notes.append(src.note)
        elif src.origin == "pydicom" and variant == "standard":
            notes.append(f"{spec.key}: shared corpus absent, using pydicom's {src.paths[0].name}")
        arr, attrs = load_frames(src, variant)
        names = [p.name for p in src.paths]
        native = work / f"{spec.key}-native.dcm"
        ds = new_dataset(arr, attrs, spec, f"{spec.key}/native", EXPLICIT_LE)
        save(ds, native, native_bytes(arr, attrs["BitsAllocated"]), attrs["BitsAllocated"])
        ref = sha256_of(normalise(arr, describe(native)))
        for encoding in spec.encodings:
            ts, _ = ENCODINGS[encoding]
            path = work / f"{spec.key}-{encoding}.dcm"
            if progress:
                progress(f"bench set: {path.name}")
            changed: dict[str, str] = {}
            try:
                if encoding == "native":
                    encoder = "none"
                else:
                    if encoding == "rle":
                        frames, encoder = encode_rle(native)
                    elif encoding == "jpll-gdcm":
                        if not have["gdcm"]:
                            notes.append(f"{path.name} skipped: pip install python-gdcm")
                            continue
                        frames, encoder = encode_gdcm(native, work)
                    else:
                        if not have["imagecodecs"] and encoding != "deflate-zlib":
                            notes.append(f"{path.name} skipped: pip install imagecodecs")
                            continue
                        if encoding in codecs.ENCODERS:
                            frames, encoder, changed = codecs.encode(encoding, arr, attrs)
                        else:
                            frames, encoder = encode_turbo(
                                arr, attrs, 7 if encoding == "jpll-p7-turbo" else 1
                            )
                    if len(frames) != arr.shape[0]:
                        raise RuntimeError(f"{len(frames)} frames encoded, {arr.shape[0]} wanted")
                    enc = new_dataset(arr, {**attrs, **changed}, spec, f"{spec.key}/{encoding}", ts)
                    enc.ImageComments = f"dicodec bench set: {spec.title}, encoded by {encoder}"
                    save(enc, path, frames, attrs["BitsAllocated"])
                verified = verify(
                    path,
                    ref,
                    lossy=encoding in LOSSY,
                    frame_decoder=codecs.library_decoder(encoding),
                )
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
                    ref_sha256="" if encoding in LOSSY else ref,
                    verified_by=verified,
                )
            )
    return files, notes
