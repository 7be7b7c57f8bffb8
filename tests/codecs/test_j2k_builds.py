"""The two compiled copies of OpenJPEG (x86-64-v3 and portable, chosen at run
time; ``DICODEC_J2K_PORTABLE=1`` forces the portable one) give the same samples:
every J2K/HTJ2K fixture (lossless and lossy, 1-16 bits, tiles, JP2) and every
J2K/HTJ2K corpus file decoded in this process and in a child process forced to
the portable build, compared bit for bit (the fixtures' and files' own
references are checked in test_libcodecs.py and the Rust tests)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MANIFEST, corpus_rows

DATA = Path(__file__).resolve().parents[2] / "ext" / "core" / "tests" / "data" / "j2k"
J2K_SYNTAXES = {f"1.2.840.10008.1.2.4.{n}" for n in ("90", "91", "201", "202", "203")}

# Prints the build in use and the SHA-256 of every input's decoded samples
# (or the error's class name).
_CHILD = r"""
import hashlib, json, sys
import numpy as np
import dicodec
from dicodec import _native
out = {"build": _native._j2k_build()}
for p in sys.argv[1:]:
    data = open(p, "rb").read()
    try:
        a = dicodec.read_pixels(data) if p.endswith(".dcm") else dicodec.j2k_decode(data)
        out[p] = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest() + " " + a.dtype.str
    except Exception as e:
        out[p] = type(e).__name__
print(json.dumps(out))
"""


def _inputs() -> list[str]:
    files = sorted(str(p) for p in DATA.iterdir() if p.suffix in (".j2k", ".jp2"))
    rows = corpus_rows()
    if rows:
        files += [
            str(MANIFEST.parent / r["file"])
            for r in rows
            if r["transfer_syntax_uid"] in J2K_SYNTAXES
        ]
    return files


def _decode(files: list[str], portable: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DICODEC_J2K_PORTABLE", None)
    if portable:
        env["DICODEC_J2K_PORTABLE"] = "1"
    r = subprocess.run(
        [sys.executable, "-c", _CHILD, *files],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(r.stdout)


def _has_x86_64_v3() -> bool:
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0].split()
    except (OSError, IndexError):
        return False
    return {"avx2", "bmi1", "bmi2", "fma", "f16c", "abm", "movbe"} <= set(flags)


def test_both_openjpeg_builds_decode_the_same_samples():
    files = _inputs()
    assert len(files) >= 60
    fast, portable = _decode(files, False), _decode(files, True)
    assert portable.pop("build") == "portable"
    build = fast.pop("build")
    if sys.platform == "linux" and _has_x86_64_v3():
        assert build == "x86-64-v3"
    else:
        assert build in ("x86-64-v3", "portable")
    assert fast == portable
    decoded = [v for v in fast.values() if " " in v]
    # Every fixture decodes; only the corpus's two broken files may not.
    assert len(decoded) >= len(files) - 2
    if corpus_rows():
        assert any(p.endswith(".dcm") for p in fast)


def test_the_portable_variable_is_read_once(monkeypatch):
    from dicodec import _native

    before = _native._j2k_build()
    monkeypatch.setenv("DICODEC_J2K_PORTABLE", "0" if before == "portable" else "1")
    assert _native._j2k_build() == before


@pytest.mark.skipif(not _has_x86_64_v3(), reason="this CPU cannot run the x86-64-v3 build")
def test_this_process_uses_the_fast_build():
    from dicodec import _native

    if os.environ.get("DICODEC_J2K_PORTABLE") == "1":
        pytest.skip("DICODEC_J2K_PORTABLE=1 is set")
    assert _native._j2k_build() == "x86-64-v3"
