"""Output names that stay inside OUT.

Every path dicodec writes below OUT (the ``.npy`` mirror of the inputs, Zarr
node names, temporary files next to them) is built from components that went
through :func:`safe_component`, so a hostile archive member name, a source
named ``..`` or a SeriesInstanceUID like ``../../x`` cannot place a file
outside OUT or over dicodec's own state (``OUT/.dicodec``, ``OUT/index.parquet``).

The rules (documented in the README's Reliability section):

* a member name is split at ``/`` and ``\\``; empty and ``.`` components are
  dropped; ``..`` becomes ``__``;
* NUL and other control characters become ``_``; so do ``:`` (drive letters,
  NTFS streams), ``<>"|?*``; trailing dots and spaces are dropped;
* Windows device names (``CON``, ``NUL``, ``COM1``...) get a ``_`` prefix;
* a component over :data:`MAX_COMPONENT` UTF-8 bytes is cut and gets a hash
  of the full name, so two long names stay distinct;
* a first component naming dicodec's state (``.dicodec``, ``index.parquet``)
  gets a ``_`` prefix;
* outputs whose names differ only in case (or where one output's name is
  another one's folder) are made unique with ``~1``, ``~2``... (see
  :func:`unique_outputs`), so a case-insensitive file system keeps them apart.

:func:`inside` checks a finished relative path once more before writing.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable

__all__ = [
    "safe_component",
    "safe_relpath",
    "safe_node_name",
    "unique_outputs",
    "inside",
    "UnsafePathError",
    "MAX_COMPONENT",
]

#: Longest component (UTF-8 bytes) kept as is; NAME_MAX is 255 and the
#: writers append ``.npy`` and a temporary suffix of about 30 bytes.
MAX_COMPONENT = 180
#: Longest relative output path (UTF-8 bytes) kept as is (PATH_MAX is 4096).
MAX_PATH = 1024

_BAD_CHARS = re.compile(r'[\x00-\x1f\x7f:<>"|?*]')
_WINDOWS_DEVICES = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?")
_RESERVED_TOP = {".dicodec", "index.parquet"}
_NODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,127}")


class UnsafePathError(ValueError):
    """A relative output path that would leave OUT (a bug: names are
    sanitised before they get here)."""


def _digest(s: str) -> str:
    return hashlib.sha1(s.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _cut(name: str, limit: int) -> str:
    """``name`` cut to at most ``limit`` UTF-8 bytes (on a character boundary)."""
    raw = name.encode("utf-8", "surrogatepass")
    if len(raw) <= limit:
        return name
    return raw[:limit].decode("utf-8", "ignore")


def safe_component(name: str) -> str:
    """One path component that names a plain entry inside its folder."""
    orig = name
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    name = _BAD_CHARS.sub("_", name).rstrip(". ")
    if name in ("", ".", ".."):
        name = "__" if orig.strip() == ".." else "_"
    if _WINDOWS_DEVICES.fullmatch(name):
        name = "_" + name
    if len(name.encode("utf-8")) > MAX_COMPONENT:
        name = f"{_cut(name, MAX_COMPONENT - 13)}~{_digest(orig)}"
    return name


def safe_relpath(parts: Iterable[str]) -> str:
    """A relative POSIX path from raw name parts (each may hold ``/`` or
    ``\\``): the source's own name, then the member's or file's path."""
    comps: list[str] = []
    for part in parts:
        for raw in re.split(r"[/\\]+", part):
            if raw in ("", "."):
                continue
            comps.append(safe_component(raw))
    if not comps:
        comps = ["_"]
    if comps[0].lower() in _RESERVED_TOP:
        comps[0] = "_" + comps[0]
    rel = "/".join(comps)
    if len(rel.encode("utf-8")) > MAX_PATH:
        # Too deep: keep the source's name and the file's name, hash the rest.
        rel = f"{comps[0]}/deep~{_digest(rel)}/{comps[-1]}"
    return rel


def safe_node_name(name: str | None) -> str | None:
    """``name`` when it is usable as a Zarr node name as is (a UID-like
    string: letters, digits, ``.``, ``_``, ``-``; starting with a letter or
    digit; at most 128 characters), else ``None`` (the caller names the node
    from a hash)."""
    if name and _NODE.fullmatch(name) and name.lower() not in _RESERVED_TOP:
        return name
    return None


def unique_outputs(rels: list[str], suffix: str = "") -> list[str]:
    """``rels`` (sanitised relative paths; the outputs are ``rel + suffix``)
    made unique ignoring case: a later output that equals an earlier one, or
    equals a folder of another output, gets ``~1``, ``~2``... before the
    suffix. The first of equal names keeps its name."""
    folders: set[str] = set()
    for rel in rels:
        parts = rel.casefold().split("/")
        for i in range(1, len(parts)):
            folders.add("/".join(parts[:i]))
    taken: set[str] = set()
    out: list[str] = []
    for rel in rels:
        cand, n = rel, 0
        while (cand + suffix).casefold() in taken or (cand + suffix).casefold() in folders:
            n += 1
            cand = f"{rel}~{n}"
        taken.add((cand + suffix).casefold())
        out.append(cand)
    return out


def inside(root: str, rel: str) -> str:
    """``root/rel``, after checking that ``rel`` is relative, has no ``..``
    or empty component, and that no existing folder on the way is a symbolic
    link (so the file lands below ``root``). Raises :class:`UnsafePathError`."""
    if not rel or rel.startswith(("/", "\\")) or "\x00" in rel or re.match(r"[A-Za-z]:", rel):
        raise UnsafePathError(f"output path {rel!r} is not relative")
    parts = rel.split("/")
    if any(p in ("", ".", "..") or "\\" in p for p in parts):
        raise UnsafePathError(f"output path {rel!r} leaves the output folder")
    here = root
    for p in parts[:-1]:
        here = os.path.join(here, p)
        if os.path.islink(here):
            raise UnsafePathError(f"output folder {here!r} is a symbolic link")
    return os.path.join(root, *parts)
