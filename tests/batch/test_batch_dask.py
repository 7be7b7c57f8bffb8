"""The Dask path on a real LocalCluster with 2 worker processes produces the
same store and index as the local thread pool, and resumes the same way."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import zarr
from batch_util import CORPUS, index_rows, write_instance

import dicodec.batch

distributed = pytest.importorskip("distributed")


def _inputs(root: Path) -> list[Path]:
    """Three series (stacked, multi-frame, not stackable), a corrupt file, a
    .tar.gz (its member bytes are shipped to the workers) and a few corpus
    files when the corpus is present."""
    src = root / "in"
    for s in range(3):
        uid = f"1.2.826.0.1.3680043.10.997.{s + 1}"
        for k in range(12):
            shape = (10, 10) if s == 2 and k % 2 == 0 else (16, 12)
            pix = np.full(shape, 100 * s + k, dtype=np.int16)
            if s == 1:
                pix = np.stack([pix, pix + 1])  # 2 frames
            write_instance(
                src / f"s{s}" / f"{k:02d}.dcm",
                series_uid=uid,
                instance_number=12 - k,
                position=(0.0, 0.0, float(k)),
                pixels=pix,
            )
    good = (src / "s0" / "00.dcm").read_bytes()
    (src / "s0" / "corrupt.dcm").write_bytes(good[: len(good) - 100])  # pixel data cut short
    packed = root / "packed"
    for k in range(5):
        write_instance(
            packed / f"p{k}.dcm",
            series_uid="1.2.826.0.1.3680043.10.997.9",
            instance_number=k,
            pixels=np.full((8, 8), k, dtype=np.uint8),
        )
    with tarfile.open(root / "packed.tar.gz", "w:gz") as tf:
        tf.add(packed, "packed")
    shutil.rmtree(packed)
    sources = [src, root / "packed.tar.gz"]
    if (CORPUS / "MANIFEST.csv").is_file():
        corpus = root / "corpus"
        corpus.mkdir()
        for name in (
            "pydicom__CT_small.dcm",
            "pydicom__MR_small.dcm",
            "pydicom__MR_small_bigendian.dcm",
            "pydicom__SC_rgb_rle.dcm",
            "pydicom__JPEG2000.dcm",
        ):
            if (CORPUS / name).is_file():
                shutil.copyfile(CORPUS / name, corpus / name)
        sources.append(corpus)
    return sources


def _store(out: Path) -> dict[str, tuple]:
    """Every array of a store: path -> (shape, dtype, data, attrs w/o run ids)."""
    root = zarr.open_group(str(out), mode="r")
    found = {}
    for path, node in root.members(max_depth=None):
        attrs = {k: v for k, v in node.attrs.items() if k != "dicodec_generation"}
        if isinstance(node, zarr.Array):
            found[path] = (node.shape, str(node.dtype), node[:], attrs)
        else:
            found[path] = ("group", attrs)
    return found


def _rows(out: Path) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in index_rows(out)]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_dask_local_cluster_matches_local_pool(tmp_path):
    from distributed import Client, LocalCluster

    sources = _inputs(tmp_path)
    local = dicodec.batch.decode(sources, tmp_path / "local.zarr", threads=2)
    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        dist = dicodec.batch.decode(sources, tmp_path / "dask.zarr", client=client)
        # Both worker processes took part.
        assert len(client.scheduler_info()["workers"]) == 2
        # Resuming through a scheduler address: nothing left to do.
        again = dicodec.batch.decode(
            sources, tmp_path / "dask.zarr", client=cluster.scheduler_address
        )
        # The CLI's --dask ADDRESS.
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "dicodec",
                "decode",
                *map(str, sources),
                "-o",
                str(tmp_path / "cli.zarr"),
                "--dask",
                cluster.scheduler_address,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert again.decoded == 0 and again.resumed >= dist.decoded
    for field in ("files", "decoded", "failed", "skipped", "series", "bytes_out", "failures"):
        assert getattr(dist, field) == getattr(local, field), field
    assert local.decoded >= 41 and local.failures.get("malformed") == 1
    assert _rows(tmp_path / "dask.zarr") == _rows(tmp_path / "local.zarr")
    assert cli.returncode == 1, cli.stderr  # the corrupt input failed
    assert "failures by reason" in cli.stdout
    assert _rows(tmp_path / "cli.zarr") == _rows(tmp_path / "local.zarr")
    a, b = _store(tmp_path / "local.zarr"), _store(tmp_path / "dask.zarr")
    assert a.keys() == b.keys() and len(a) >= 5
    for path in a:
        if a[path][0] == "group":
            assert a[path] == b[path], path
            continue
        shape, dtype, data, attrs = a[path]
        assert (shape, dtype) == b[path][:2], path
        np.testing.assert_array_equal(data, b[path][2], err_msg=path)
        assert attrs == b[path][3], path
