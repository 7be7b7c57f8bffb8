"""Shared fixtures: the shared corpus (skipped with a reason when absent) and
pydicom's bundled test files."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(
    os.environ.get("DICODEC_CORPUS") or REPO.parent / "shared" / "corpus" / "dev"
).resolve()
MANIFEST = CORPUS / "MANIFEST.csv"


def corpus_rows() -> list[dict[str, str]]:
    """MANIFEST rows of the shared corpus, or [] when it is absent."""
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(newline="") as f:
        return list(csv.DictReader(f))


def corpus_params(pred) -> list:
    """pytest params (one per MANIFEST row matching ``pred``), or one skipped
    param saying why when the corpus is absent."""
    rows = corpus_rows()
    if not rows:
        return [
            pytest.param(None, marks=pytest.mark.skip(reason=f"shared corpus absent: {MANIFEST}"))
        ]
    return [pytest.param(r, id=r["file"]) for r in rows if pred(r)]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not MANIFEST.is_file():
        pytest.skip(f"shared corpus absent: {MANIFEST}")
    return CORPUS
