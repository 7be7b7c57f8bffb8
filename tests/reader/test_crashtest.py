"""Every malformed input in tests/data/crashtest/ (written by
make_crashtest.py there) gives a DicodecError, never a crash or another
exception, through every entry point."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import dicodec
from dicodec import DicodecError

CRASHTEST = Path(__file__).resolve().parents[1] / "data" / "crashtest"
FILES = sorted(CRASHTEST.glob("*.bin"))


def test_folder_is_populated():
    assert len(FILES) >= 30
    assert all(f.stat().st_size < 4096 for f in FILES)


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_read_pixels_raises_dicodec_error(path: Path):
    data = path.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dicodec.DicodecWarning)
        for source in (path, data, np.frombuffer(data, np.uint8)):
            for threads in (1, None):
                with pytest.raises(DicodecError) as exc:
                    dicodec.read_pixels(source, threads=threads)
                assert str(exc.value)


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_frame_info_never_crashes(path: Path):
    try:
        info = dicodec.frame_info(path)
    except DicodecError as exc:
        assert str(exc)
        return
    # Parsed: then it must say why it cannot be decoded, or decoding fails.
    assert isinstance(info, dicodec.FrameInfo)
    assert (not info.decodable) or info.fragments > 0 or info.problem is None


def test_malformed_errors_carry_offsets():
    with pytest.raises(dicodec.MalformedError) as exc:
        dicodec.read_pixels(CRASHTEST / "fragment_bad_item_tag.bin")
    data = (CRASHTEST / "fragment_bad_item_tag.bin").read_bytes()
    assert data[exc.value.offset : exc.value.offset + 4] == b"\x34\x12\x78\x56"
    with pytest.raises(dicodec.LimitExceededError):
        dicodec.read_pixels(CRASHTEST / "absurd_size_native.bin")
    with pytest.raises(dicodec.LimitExceededError):
        dicodec.read_pixels(CRASHTEST / "absurd_size_encapsulated.bin")
    with pytest.raises(dicodec.MalformedError, match="truncated"):
        dicodec.read_pixels(CRASHTEST / "truncated_in_element_header.bin")
