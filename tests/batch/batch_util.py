"""Helpers of the batch tests: synthetic DICOM files written with pydicom, and
checks of a batch output against references."""

from __future__ import annotations

import csv
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

CORPUS = (Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "dev").resolve()


def write_instance(
    path: Path,
    *,
    series_uid: str,
    sop_uid: str | None = None,
    instance_number: int | None = None,
    position: tuple[float, float, float] | None = None,
    orientation: tuple[float, ...] | None = (1, 0, 0, 0, 1, 0),
    pixels: np.ndarray,
    spacing: tuple[float, float] = (0.5, 0.5),
    modality: str = "CT",
    slope: float | None = 1.0,
    intercept: float | None = -1024.0,
    transfer_syntax: str = "1.2.840.10008.1.2.1",
) -> Path:
    """Writes one single- or multi-frame image (``pixels``: (rows, cols) or
    (frames, rows, cols), uint8/uint16/int16) as a DICOM Part 10 file."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, SecondaryCaptureImageStorage, generate_uid

    sop_uid = sop_uid or generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = UID(transfer_syntax)
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = series_uid + ".0"
    ds.SeriesInstanceUID = series_uid
    ds.PatientID = "BATCH-TEST"
    ds.Modality = modality
    if instance_number is not None:
        ds.InstanceNumber = instance_number
    if position is not None:
        ds.ImagePositionPatient = [f"{v:.6g}" for v in position]
    if orientation is not None:
        ds.ImageOrientationPatient = [f"{v:.6g}" for v in orientation]
    ds.PixelSpacing = [f"{v:g}" for v in spacing]
    ds.SliceThickness = "1.5"
    if slope is not None:
        ds.RescaleSlope = f"{slope:g}"
    if intercept is not None:
        ds.RescaleIntercept = f"{intercept:g}"
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    frames = pixels if pixels.ndim == 3 else pixels[None]
    ds.Rows, ds.Columns = frames.shape[1:]
    if pixels.ndim == 3:
        ds.NumberOfFrames = frames.shape[0]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = frames.dtype.itemsize * 8
    ds.BitsStored = ds.BitsAllocated
    ds.HighBit = ds.BitsAllocated - 1
    ds.PixelRepresentation = 1 if frames.dtype.kind == "i" else 0
    big = transfer_syntax == "1.2.840.10008.1.2.2"
    data = frames.astype(frames.dtype.newbyteorder(">" if big else "<")).tobytes()
    ds.PixelData = data + b"\0" * (len(data) % 2)
    ds["PixelData"].VR = "OW" if ds.BitsAllocated > 8 else "OB"
    path.parent.mkdir(parents=True, exist_ok=True)
    if transfer_syntax == "1.2.840.10008.1.2.5":
        from pydicom.uid import RLELossless

        ds.compress(RLELossless, encoding_plugin="pydicom")
    ds.save_as(path, enforce_file_format=True)
    return path


def manifest() -> dict[str, dict[str, str]]:
    with (CORPUS / "MANIFEST.csv").open(newline="") as f:
        return {r["file"]: r for r in csv.DictReader(f)}


def sha(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def index_rows(out: Path) -> list[dict[str, Any]]:
    return pq.read_table(out / "index.parquet").to_pylist()


def read_output(out: Path, row: dict[str, Any]) -> np.ndarray:
    """The decoded array of one index row, shaped as dicodec.read_pixels (and
    pydicom) return it."""
    if row["output"].endswith(".npy"):
        return np.load(out / row["output"])
    import zarr

    arr = zarr.open_array(str(out), path=row["output"], mode="r")
    start, count = row["frame_start"], row["frame_count"]
    return arr[start : start + count].reshape(row["shape"])


def member_name(path: str) -> str:
    """The corpus file name of an index path (a file or an archive member)."""
    return path.split("::")[-1].rsplit("/", 1)[-1]


def make_archives(files: Iterable[Path], dest: Path) -> list[Path]:
    """A .zip, a .tar and a .tar.gz, each holding a third of ``files`` (in a
    sub-folder, to check member paths)."""
    files = list(files)
    dest.mkdir(parents=True, exist_ok=True)
    z, t, g = dest / "part.zip", dest / "part.tar", dest / "part.tar.gz"
    with (
        zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf,
        tarfile.open(t, "w") as tf,
        tarfile.open(g, "w:gz") as gf,
    ):
        for i, f in enumerate(files):
            arc = f"sub/{f.name}"
            if i % 3 == 0:
                zf.write(f, arc)
            else:
                (tf if i % 3 == 1 else gf).add(f, arc)
    return [z, t, g]


def copy_files(files: Iterable[Path], dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files:
        shutil.copyfile(f, dest / f.name)
        out.append(dest / f.name)
    return out


ROOT = Path(__file__).resolve().parents[2]

#: A ``python -c`` script: the CLI with ``module.attr`` wrapped so that each
#: call first prints MARKER (the run holds OUT's lock by then) and sleeps 1.5 s.
_SLOW_RUN = """
import importlib, sys, time
module = importlib.import_module(sys.argv[1])
real = getattr(module, sys.argv[2])
def slow(*a, **k):
    print("MARKER", flush=True)
    time.sleep(1.5)
    return real(*a, **k)
setattr(module, sys.argv[2], slow)
from dicodec.cli import main
sys.exit(main(sys.argv[3:]))
"""


def cli_env() -> dict[str, str]:
    """The environment of a CLI child process: this checkout's ``src`` first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


def run_cli(
    command: str, args: list[str], fsize: int | None = None, **kw: Any
) -> subprocess.CompletedProcess:
    """``dicodec COMMAND ARGS --progress none`` in a child process; with
    ``fsize``, a write past that many bytes fails with EFBIG (as a full disk
    gives ENOSPC) instead of killing the process."""

    def limit() -> None:
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "dicodec", command, *args, "--progress", "none"],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        env=cli_env(),
        timeout=300,
        **kw,
    )


@contextmanager
def slow_run(args: list[str], patch: str, marker: str) -> Iterator[subprocess.Popen[str]]:
    """A CLI run (``args`` = command and its arguments) whose ``patch``
    (``"module:attr"``) sleeps 1.5 s per call, yielded once it printed
    ``marker`` (it holds OUT's lock then); killed on the way out if still
    running."""
    module, _, attr = patch.partition(":")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _SLOW_RUN.replace("MARKER", marker),
            module,
            attr,
            *args,
            "--progress",
            "none",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == marker
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
