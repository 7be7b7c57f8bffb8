"""``dicodec demo``: the main job on sample data. Builds a small archive
folder from pydicom's bundled test files (plain files in a folder tree, a
``.zip`` and a ``.tar.gz``), decodes it into a Zarr store with
:func:`dicodec.batch.decode`, and prints every input (shape, dtype and time,
or why it was not decoded), the summary and the series found."""

from __future__ import annotations

import argparse
import shutil
import tarfile
import zipfile
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo",
        help="build a sample archive from pydicom's test files and decode it into Zarr",
        description=(
            "Builds DIR/samples (a folder tree, a .zip and a .tar.gz of pydicom's bundled test "
            "files), decodes it into DIR/demo.zarr with `dicodec decode` and prints the "
            "summary. Inputs whose transfer syntax dicodec does not decode, and files without "
            "pixel data, are in the summary and DIR/demo.zarr/index.parquet with their reasons."
        ),
    )
    p.add_argument("--dir", default="demo-out", help="working folder (default: ./demo-out)")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=run)


def build_samples(dest: Path) -> Path:
    """Copies pydicom's bundled test files into ``dest``: a third as plain
    files in a folder tree, a third in ``archive.zip``, a third in
    ``archive.tar.gz``. Returns ``dest``."""
    import pydicom.data

    src = Path(str(pydicom.data.get_testdata_file("CT_small.dcm"))).parent
    files = sorted(src.glob("*.dcm"))
    if dest.exists():
        shutil.rmtree(dest)
    folder = dest / "folder"
    folder.mkdir(parents=True)
    with (
        zipfile.ZipFile(dest / "archive.zip", "w", zipfile.ZIP_DEFLATED) as zf,
        tarfile.open(dest / "archive.tar.gz", "w:gz") as tf,
    ):
        for i, f in enumerate(files):
            sub = f"{f.stem.split('_')[0].lower()}/{f.name}"
            if i % 3 == 0:
                (folder / sub).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, folder / sub)
            elif i % 3 == 1:
                zf.write(f, sub)
            else:
                tf.add(f, sub)
    return dest


def run(args: argparse.Namespace) -> int:
    from dicodec.batch import decode

    work = Path(args.dir)
    samples = build_samples(work / "samples")
    print(f"sample archive: {samples} (folder/, archive.zip, archive.tar.gz)")
    report = decode(
        [samples], work / "demo.zarr", threads=args.threads, overwrite=True, progress="auto"
    )
    _print_inputs(Path(report.index_path), samples)
    print()
    print(report.table())
    _print_series(Path(report.out))
    return 0


def _print_inputs(index: Path, samples: Path) -> None:
    import pyarrow.parquet as pq

    print(f"\n{'input':<52} {'shape':<18} {'dtype':<8} {'ms':>7}")
    for r in pq.read_table(index).to_pylist():
        name = r["path"].replace(str(samples) + "/", "")
        if r["status"] == "done":
            shape = str(tuple(r["shape"]))
            print(f"{name[-52:]:<52} {shape:<18} {r['dtype']:<8} {r['seconds'] * 1e3:7.2f}")
        else:
            print(f"{name[-52:]:<52} {r['status']}: {r['reason']}")


def _print_series(store: Path, limit: int = 12) -> None:
    import warnings

    import zarr

    root = zarr.open_group(str(store), mode="r")
    lines = []
    with warnings.catch_warnings():  # zarr names index.parquet and .dicodec/ as foreign
        warnings.simplefilter("ignore")
        names = sorted(root.group_keys()) + sorted(root.array_keys())
    for name in names:
        node = root[name]
        attrs = node.attrs
        if isinstance(node, zarr.Array):
            desc = f"{node.shape} {node.dtype}"
        else:
            arrays = attrs.get("arrays", [])
            count = len(arrays) if isinstance(arrays, list) else 0
            desc = f"{count} arrays ({attrs.get('unstacked_reason')})"
        modality = attrs.get("Modality")
        lines.append(f"  {name[:48]:<48} {str(modality):<6} {desc}")
    print(f"\nseries in {store} ({len(lines)}):")
    for line in lines[:limit]:
        print(line)
    if len(lines) > limit:
        print(f"  ... and {len(lines) - limit} more (see index.parquet)")
