"""``dicodec.batch.transcode`` over real files of the shared corpus: each
file to every lossless target and back to native; pixels checked against the
MANIFEST's ref_sha256 (pydicom/GDCM's decoding of the source) through
pydicom's own plugins where it has one and through dicodec; every element
but the transcoded ones compared with pydicom."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from batch_util import index_rows
from transcode_util import NoPeerDecoder, pydicom_pixels, same_elements

import dicodec
import dicodec.batch
from conftest import CORPUS, corpus_rows
from dicodec.compress import encodable_syntaxes, is_lossy

pytestmark = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.csv").is_file(), reason=f"shared corpus absent: {CORPUS}"
)

TARGETS = sorted(u for u in encodable_syntaxes() if not is_lossy(u))
PER_GROUP = 3
MAX_SIZE = 1_000_000


def _sha(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


@pytest.fixture(scope="module")
def picks() -> dict[str, dict[str, str]]:
    """Up to PER_GROUP files per transfer syntax group (small ones, with a
    reference that dicodec reproduces: lossy sources whose reference comes
    from another IDCT are not the transcoder's business)."""
    chosen: dict[str, dict[str, str]] = {}
    per: dict[str, int] = {}
    for m in sorted(corpus_rows(), key=lambda m: m["file"]):
        if m["kind"] != "dicom" or not m["ref_sha256"] or int(m["size"]) > MAX_SIZE:
            continue
        if per.get(m["ts_group"], 0) >= PER_GROUP:
            continue
        try:
            if _sha(dicodec.read_pixels(CORPUS / m["file"])) != m["ref_sha256"]:
                continue
        except dicodec.DicodecError:
            continue
        per[m["ts_group"]] = per.get(m["ts_group"], 0) + 1
        chosen[str(CORPUS / m["file"])] = m
    assert len(chosen) > 20
    return chosen


@pytest.mark.parametrize("target", TARGETS)
def test_corpus_to_target_and_back(target: str, picks, tmp_path: Path) -> None:
    out = tmp_path / "out"
    dicodec.batch.transcode(list(picks), out, to=target, verify=True, threads=2)
    rows = index_rows(out)
    assert {r["path"] for r in rows} == set(picks)
    done = []
    for r in rows:
        m = picks[r["path"]]
        if r["status"] != "done":
            # Only data the target cannot hold (e.g. 32-bit samples, 1-bit).
            assert r["reason"] == "unsupported" and r["error"], r
            continue
        data = (out / r["output"]).read_bytes()
        assert dicodec.frame_info(data).transfer_syntax_uid == target
        assert _sha(dicodec.read_pixels(data)) == m["ref_sha256"], m["file"]
        try:
            peer = pydicom_pixels(data)
            ref_shape = dicodec.read_pixels(data).shape
            assert _sha(peer.reshape(ref_shape)) == m["ref_sha256"], m["file"]
        except NoPeerDecoder:
            pass
        diffs = same_elements(Path(r["path"]).read_bytes(), data)
        assert diffs == [], (m["file"], diffs[:5])
        done.append(r)
    assert len(done) >= 0.7 * len(picks), [r["error"] for r in rows if r["status"] != "done"]
    # Back to native from the transcoded tree: the reference pixels again.
    back = tmp_path / "back"
    report = dicodec.batch.transcode([out / r["output"] for r in done], back, to="native")
    assert report.ok, report.table()
    by_path = {r["path"]: r for r in index_rows(back)}
    for r in done:
        m = picks[r["path"]]
        b = by_path[str(out / r["output"])]
        data = (back / b["output"]).read_bytes()
        assert (
            _sha(pydicom_pixels(data).reshape(dicodec.read_pixels(data).shape)) == m["ref_sha256"]
        ), m["file"]
