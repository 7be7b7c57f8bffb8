"""Exceptions for inputs that :func:`dicodec.iter_decode` could not decode:
the right :class:`dicodec.DicodecError` subclass for a header verdict, and
the input's path attached (``.path`` and in the message)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from dicodec.errors import DicodecError, MalformedError, NoPixelDataError, NotDicomError

if TYPE_CHECKING:  # pragma: no cover
    from dicodec.batch.headers import HeaderFailure

__all__ = ["header_error", "with_path", "InputReadError", "InputChangedError", "check_unchanged"]

E = TypeVar("E", bound=BaseException)


class InputReadError(DicodecError, OSError):
    """An input could not be read (also an ``OSError``)."""


class InputChangedError(DicodecError):
    """An input file changed (size or modification time) after the run listed
    it: its header and its pixels could come from different contents, so it
    is not decoded (index reason ``input_changed``); the next run of the same
    command decodes the new content."""


def check_unchanged(path: str, size: int, key: str) -> None:
    """Raises :class:`InputChangedError` unless the file at ``path`` still has
    the size and modification time its item ``key`` recorded (``OSError`` if
    it is gone)."""
    import os

    st = os.stat(path)
    if f"{path}|{st.st_size}|{st.st_mtime_ns}" != key:
        raise InputChangedError(
            f"{path}: the file changed during the run (size {size} -> {st.st_size} "
            "bytes, or its modification time); not decoded, run the same command "
            "again to decode its new content"
        )


def header_error(h: HeaderFailure) -> Exception:
    """The exception for a header verdict (``reason``: ``unreadable``,
    ``not_dicom``, ``no_pixel_data``, ``malformed``...)."""
    msg = h.error or h.reason
    if h.reason == "unreadable":
        return InputReadError(msg)
    if h.reason == "not_dicom":
        return NotDicomError(
            msg if msg.startswith("not a DICOM file") else f"not a DICOM file: {msg}", 0
        )
    if h.reason == "no_pixel_data":
        return NoPixelDataError(msg if msg.startswith("no pixel data") else f"no pixel data: {msg}")
    return MalformedError(msg)


def with_path(err: E, path: str) -> E:
    """Sets ``err.path`` and puts the path in front of the message (once)."""
    try:
        err.path = path  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - exceptions with __slots__
        return err
    if isinstance(err, OSError) and not isinstance(err, DicodecError):
        if err.filename is None:
            err.filename = path
        return err
    if err.args and isinstance(err.args[0], str) and not err.args[0].startswith(path):
        err.args = (f"{path}: {err.args[0]}", *err.args[1:])
    return err
