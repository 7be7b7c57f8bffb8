"""The interim ``dicodec demo`` (src/dicodec/cli/demo.py from the reader
branch: decodes pydicom's bundled test files). When the batch job's demo
replaces that module, this file goes with it."""

from __future__ import annotations

import warnings

import pytest

from dicodec.cli import main

pytest.importorskip("pydicom")


def test_cli_demo(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["demo", "--threads", "1"]) == 0
    text = capsys.readouterr().out
    assert "CT_small.dcm" in text and "(128, 128)" in text and "int16" in text
    assert "decoded in" in text
