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
