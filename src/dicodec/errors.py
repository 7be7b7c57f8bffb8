"""Exceptions raised by dicodec.

Every error from the Rust core is one of these; they are all ``ValueError``
subclasses so existing ``except ValueError`` code keeps working.
"""

from __future__ import annotations

__all__ = [
    "DicodecError",
    "MalformedError",
    "UnsupportedError",
    "LimitExceededError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "DicodecWarning",
]


class DicodecError(ValueError):
    """Base class of every dicodec error."""


class MalformedError(DicodecError):
    """The input breaks the standard; ``offset`` is the byte offset where the
    problem was found (into the file, or into the codec stream for the
    ``*_decode`` functions)."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


class UnsupportedError(DicodecError):
    """Valid input using a feature (transfer syntax, JPEG process, bit depth…)
    that dicodec does not implement."""


class LimitExceededError(DicodecError):
    """Decoding would allocate more than the configured limit
    (see :func:`dicodec.set_max_alloc`)."""


class InvalidArgumentError(DicodecError):
    """The caller's mistake, not the input's: an ``out=`` array of the wrong
    shape or layout, an argument out of range... (also a ``ValueError``)."""


class InvalidArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument of the wrong type or dtype (an ``InvalidArgumentError``
    that is also a ``TypeError``)."""


class DicodecWarning(UserWarning):
    """Something odd that dicodec tolerated (a clipped fragment, excess
    padding, a missing JPEG EOI...); the message says what and where."""


# ---- newcomer (issue 17): caller mistakes and clearer verdicts ----
__all__ += [
    "NotDicomError",
    "NoPixelDataError",
    "FrameIndexError",
    "FrameSelectionError",
    "SettingsError",
]


class NotDicomError(MalformedError):
    """The input is not DICOM at all (no "DICM" marker and no DICOM element at
    the start: a text, ZIP, gzip or JSON file...); the message says why."""


class NoPixelDataError(DicodecError):
    """A valid dataset without pixel data (an RT Plan, a structured report...)."""


class FrameIndexError(DicodecError, IndexError):
    """A frame index is out of range (also an ``IndexError``)."""


class FrameSelectionError(DicodecError, TypeError):
    """``frames=`` is not a valid selection (also a ``TypeError``; every
    :class:`DicodecError` is a ``ValueError``)."""


class SettingsError(DicodecError):
    """A setting (``DICODEC_MAX_ALLOC``, ``set_max_alloc``, ``threads``...) has
    a value dicodec refuses."""


class MissingAttributeError(DicodecError, AttributeError):
    """A ``pydicom.Dataset`` lacks what decoding needs (``file_meta`` with the
    Transfer Syntax UID); also an ``AttributeError``."""


__all__ += ["MissingAttributeError"]


class OutputArrayError(InvalidArgumentError):
    """``out=`` is not a C-contiguous, writeable array of the right dtype and
    shape (an :class:`InvalidArgumentError`, so also a ``ValueError``)."""


class OutputArrayTypeError(OutputArrayError, InvalidArgumentTypeError):
    """``out=`` of the wrong dtype: an :class:`OutputArrayError` that is also
    an :class:`InvalidArgumentTypeError` (so a ``TypeError`` too)."""


__all__ += ["OutputArrayError", "OutputArrayTypeError"]
