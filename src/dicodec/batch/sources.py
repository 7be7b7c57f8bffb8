"""Source enumeration: files, folders (walked recursively) and ``.zip`` /
``.tar`` / ``.tar.gz`` archives, read member by member without extracting to
disk.

Every input becomes an :class:`Item`. :func:`iter_payloads` then yields, per
item, what the decoder reads: the path of a plain file (dicodec maps it
itself) or the bytes of an archive member. Zip and plain tar members are read
by random access; compressed tars are streamed once, in archive order.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tarfile
import zipfile
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from dicodec.batch.safepath import safe_relpath, unique_outputs

__all__ = [
    "Item",
    "Readers",
    "enumerate_sources",
    "is_archive",
    "iter_payloads",
    "item_to_dict",
    "iter_sources",
    "read_payload",
]

T_contra = TypeVar("T_contra", contravariant=True)

#: Separator between an archive's path and a member's name in display paths.
MEMBER_SEP = "::"

_ZIP_SUFFIXES = (".zip",)
_TAR_SUFFIXES = (".tar",)
_STREAM_TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


@dataclass(frozen=True)
class Item:
    """One input: a file, or a member of an archive.

    ``path`` is what the index and errors show: the absolute file path, or
    ``ARCHIVE::MEMBER``. ``rel`` is the path the npy writer mirrors (the
    source's own name, then the path below it). ``key`` changes whenever the
    input may have changed (size, modification time, CRC), so a resumed run
    redoes an input that was replaced.
    """

    path: str
    rel: str
    kind: str  # "file" | "zip" | "tar" | "tar-stream"
    size: int
    key: str
    archive: str | None = None
    member: str | None = None
    #: Where an archive member's data is, so that reading it needs no listing
    #: of the whole archive: ``"zip:OFFSET:METHOD:CSIZE:SIZE:CRC:FLAGS"`` (its
    #: central directory record) or ``"tar:OFFSET"`` (a plain tar's data
    #: offset); ``None``: found by name.
    loc: str | None = None

    @property
    def streamed(self) -> bool:
        """A member of a compressed tar: readable only in archive order."""
        return self.kind == "tar-stream"


_ITEM_FIELDS = tuple(f.name for f in fields(Item))


def item_to_dict(item: Item) -> dict[str, Any]:
    """``dataclasses.asdict(item)`` (its fields are plain values), faster."""
    return {f: getattr(item, f) for f in _ITEM_FIELDS}


def is_archive(path: str | os.PathLike[str]) -> bool:
    name = os.fspath(path).lower()
    return name.endswith(_ZIP_SUFFIXES + _TAR_SUFFIXES + _STREAM_TAR_SUFFIXES)


def _file_item(path: Path, rel: str) -> Item:
    st = path.stat()
    p = str(path)
    return Item(
        path=p, rel=rel, kind="file", size=st.st_size, key=f"{p}|{st.st_size}|{st.st_mtime_ns}"
    )


#: ``(item, reason, message)`` of an archive member that is not decoded.
Skip = tuple["Item", str, str]

_S_IFMT = 0o170000
_S_IFLNK = 0o120000


def _member_item(
    path: Path, rel: str, kind: str, name: str, size: int, key: str, loc: str | None = None
) -> Item:
    return Item(
        path=f"{path}{MEMBER_SEP}{name}",
        rel=f"{rel}/{name}",
        kind=kind,
        size=size,
        key=key,
        archive=str(path),
        member=name,
        loc=loc,
    )


def _name_hash(name: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
        "little",
        signed=True,
    )


def _repeated(names: Callable[[], Iterator[str]]) -> dict[str, int]:
    """The names that ``names()`` yields more than once, with their counts.
    A first pass keeps 8 bytes per name (a hash), a second one counts only
    the names whose hash repeats: the listing of an archive of a million
    members is not held."""
    hashes = array("q", (_name_hash(n) for n in names()))
    if len(hashes) < 2:
        return {}
    import numpy as np

    h = np.sort(np.frombuffer(hashes, dtype=np.int64))
    twice = set(h[1:][h[1:] == h[:-1]].tolist())
    del hashes, h
    if not twice:
        return {}
    counts: dict[str, int] = {}
    for n in names():
        if _name_hash(n) in twice:
            counts[n] = counts.get(n, 0) + 1
    return {n: c for n, c in counts.items() if c > 1}


def _without_duplicates(
    entries: Callable[[], Iterator[tuple[Item, str | None]]], skips: Sink[Skip]
) -> Iterator[Item]:
    """The items of ``entries()`` (``(item, None)``, or ``(item, why)`` for a
    member skipped for ``why``), with members whose name occurs more than
    once in their archive left out: they are ambiguous (read by name, either
    could be meant), none of them is decoded, each name is recorded once as
    skipped. ``entries`` is called twice or three times (no list is kept)."""
    repeated = _repeated(lambda: (it.member or "" for it, why in entries() if why is None))
    reported: set[str] = set()
    for it, why in entries():
        if why is not None:
            reason, message = why.split("|", 1)
            skips.append((it, reason, message))
            continue
        n = repeated.get(it.member or "")
        if n is None:
            yield it
        elif it.member not in reported:
            reported.add(it.member or "")
            skips.append((it, "duplicate_member", f"{n} members named {it.member!r}"))


class _Zip(zipfile.ZipFile):
    """A zip whose central directory is not loaded into memory (``ZipFile``
    keeps about 600 bytes per member): members are listed from it one at a
    time (:meth:`entries`) and read from their records (:meth:`read_at`)."""

    def _RealGetContents(self) -> None:  # noqa: N802 - zipfile's name
        fp = self.fp
        assert fp is not None
        endrec = zipfile._EndRecData(fp)  # type: ignore[attr-defined]
        if not endrec:
            raise zipfile.BadZipFile("File is not a zip file")
        size_cd, offset_cd = endrec[zipfile._ECD_SIZE], endrec[zipfile._ECD_OFFSET]  # type: ignore[attr-defined]
        concat = endrec[zipfile._ECD_LOCATION] - size_cd - offset_cd  # type: ignore[attr-defined]
        if endrec[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
            concat -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore[attr-defined]
        self.start_dir = offset_cd + concat
        self._cd = (self.start_dir, size_cd, concat)

    def entries(self) -> Iterator[zipfile.ZipInfo]:
        """The central directory's records, one at a time (as ``ZipFile``
        decodes them, zip64 extras included)."""
        start, size_cd, concat = self._cd
        assert self.filename is not None
        with open(self.filename, "rb") as fp:
            fp.seek(start)
            total = 0
            while total < size_cd:
                raw = fp.read(_CD_SIZE)
                if len(raw) != _CD_SIZE:
                    raise zipfile.BadZipFile("Truncated central directory")
                cd = struct.unpack(_CD_STRUCT, raw)
                if cd[0] != _CD_MAGIC:
                    raise zipfile.BadZipFile("Bad magic number for central directory")
                name_raw = fp.read(cd[12])
                flags = cd[5]
                name = name_raw.decode("utf-8" if flags & 0x800 else "cp437")
                x = zipfile.ZipInfo(name)
                x.extra = fp.read(cd[13])
                x.comment = fp.read(cd[14])
                (
                    x.create_version,
                    x.create_system,
                    x.extract_version,
                    x.reserved,
                    x.flag_bits,
                    x.compress_type,
                ) = cd[1:7]
                x.CRC, x.compress_size, x.file_size = cd[9:12]
                x.volume, x.internal_attr, x.external_attr = cd[15:18]
                x.header_offset = cd[18]
                # zip64 sizes and offset:
                x._decodeExtra()  # type: ignore[attr-defined]
                x.header_offset += concat
                total += _CD_SIZE + cd[12] + cd[13] + cd[14]
                yield x

    def read_at(self, name: str, loc: str) -> bytes:
        """The bytes of member ``name`` whose record :func:`zip_loc` gave ``loc``."""
        _, offset, method, csize, size, crc, flags = loc.split(":")
        x = zipfile.ZipInfo(name)
        x.header_offset, x.compress_type = int(offset), int(method)
        x.compress_size, x.file_size = int(csize), int(size)
        x.CRC, x.flag_bits = int(crc), int(flags)
        with self.open(x) as f:
            return f.read()


_CD_STRUCT = "<4s4B4HL2L5H2L"
_CD_SIZE = struct.calcsize(_CD_STRUCT)
_CD_MAGIC = b"PK\001\002"


def zip_loc(x: zipfile.ZipInfo) -> str:
    return (
        f"zip:{x.header_offset}:{x.compress_type}:{x.compress_size}:{x.file_size}:"
        f"{x.CRC}:{x.flag_bits}"
    )


def _zip_items(path: Path, rel: str, skips: Sink[Skip]) -> Iterator[Item]:
    st = path.stat()
    zf = _Zip(path)  # reads the end record now: a broken zip fails here

    def entries() -> Iterator[tuple[Item, str | None]]:
        for info in zf.entries():
            if info.is_dir():
                continue
            name = info.filename
            it = _member_item(
                path,
                rel,
                "zip",
                name,
                info.file_size,
                f"{path}|{st.st_mtime_ns}|{name}|{info.file_size}|{info.CRC}",
                zip_loc(info),
            )
            link = info.create_system == 3 and (info.external_attr >> 16) & _S_IFMT == _S_IFLNK
            yield it, ("link_member|a symbolic link member (not followed)" if link else None)

    with zf:
        yield from _without_duplicates(entries, skips)


def _tar_items(path: Path, rel: str, kind: str, skips: Sink[Skip]) -> Iterator[Item]:
    st = path.stat()

    def entries() -> Iterator[tuple[Item, str | None]]:
        with tarfile.open(path, "r:") if kind == "tar" else tarfile.open(path, "r|*") as tf:
            while (info := tf.next()) is not None:
                tf.members.clear()  # type: ignore[attr-defined]  # tarfile keeps every member read
                if info.isdir():
                    continue
                name = info.name
                plain = kind == "tar" and info.isreg() and not info.issparse()
                it = _member_item(
                    path,
                    rel,
                    kind,
                    name,
                    info.size,
                    f"{path}|{st.st_mtime_ns}|{name}|{info.size}|{info.mtime}",
                    f"tar:{info.offset_data}" if plain else None,
                )
                if info.issym() or info.islnk():
                    what = "symbolic" if info.issym() else "hard"
                    why = f"link_member|a {what} link member to {info.linkname!r} (not followed)"
                    yield it, why
                elif not info.isfile():
                    yield it, "not_regular_member|not a regular file (device, FIFO...)"
                else:
                    yield it, None

    yield from _without_duplicates(entries, skips)


def _archive_items(path: Path, rel: str, skips: Sink[Skip]) -> Iterator[Item]:
    name = path.name.lower()
    if name.endswith(_ZIP_SUFFIXES):
        return _zip_items(path, rel, skips)
    if name.endswith(_TAR_SUFFIXES):
        return _tar_items(path, rel, "tar", skips)
    return _tar_items(path, rel, "tar-stream", skips)


def _walk(root: Path, rel: str, exclude: set[Path]) -> Iterator[tuple[Path, str]]:
    """Files below ``root`` in sorted order (symlinked folders are not
    followed, so link loops cannot trap the walk)."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if (here / d).resolve() not in exclude)
        sub = here.relative_to(root).as_posix()
        for f in sorted(filenames):
            yield here / f, f"{rel}/{f}" if sub == "." else f"{rel}/{sub}/{f}"


class Sink(Protocol[T_contra]):
    """Where :func:`iter_sources` reports errors and skipped members: a list,
    or anything with ``append`` (the batch engine writes them to disk)."""

    def append(self, value: T_contra, /) -> None: ...


def iter_sources(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    exclude: Sequence[str | os.PathLike[str]] = (),
    on_error: Sink[tuple[str, BaseException]] | None = None,
    on_skip: Sink[Skip] | None = None,
) -> Iterator[Item]:
    """Every input below ``sources``, in a deterministic order, one at a time
    (what :func:`enumerate_sources` lists; each ``rel`` sanitised but not yet
    made unique: see :func:`dicodec.batch.safepath.unique_outputs`). Only
    one archive's listing is held at a time."""
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    excluded = {Path(e).resolve() for e in exclude}
    skips: Sink[Skip] = [] if on_skip is None else on_skip
    seen_names: dict[str, int] = {}

    def add_path(path: Path, rel: str) -> Iterator[Item]:
        try:
            if not is_archive(path):
                yield _file_item(path, rel)
                return
            # The archive is listed once before any member is yielded (for
            # duplicate names), so one that breaks is an error with no member.
            yield from _archive_items(path, rel, skips)
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as e:
            if on_error is None:
                raise
            on_error.append((str(path), e))

    def safe(items: Iterator[Item]) -> Iterator[Item]:
        for it in items:
            r = safe_relpath([it.rel])
            yield it if r == it.rel else replace(it, rel=r)

    for src in sources:
        path = Path(os.fspath(src)).absolute()
        # The mirrored tree starts at the source's own name, made unique.
        name = path.name or "root"
        n = seen_names.get(name, 0)
        seen_names[name] = n + 1
        rel = name if n == 0 else f"{name}~{n}"
        if path.is_dir():
            for f, r in _walk(path, rel, excluded):
                yield from safe(add_path(f, r))
        elif path.exists():
            yield from safe(add_path(path, rel))
        else:
            err = FileNotFoundError(2, "No such file or directory", str(path))
            if on_error is None:
                raise err
            on_error.append((str(path), err))


def enumerate_sources(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    exclude: Sequence[str | os.PathLike[str]] = (),
    on_error: Sink[tuple[str, BaseException]] | None = None,
    on_skip: Sink[Skip] | None = None,
    suffix: str = ".npy",
) -> list[Item]:
    """Every input below ``sources``, in a deterministic order.

    Folders are walked recursively; archives (also those found in folders) are
    listed member by member. Folders in ``exclude`` (e.g. the output) are not
    entered. A source that cannot be read is appended to ``on_error`` as
    ``(path, exception)`` when given, else the exception propagates.

    Archive members that are links, not regular files, or whose name occurs
    twice are left out and appended to ``on_skip`` as ``(item, reason,
    message)``. Every item's ``rel`` is sanitised (see
    :mod:`dicodec.batch.safepath`): relative, inside, unique ignoring case
    once the writer's ``suffix`` is appended. (The batch engine, which must
    not hold a list of millions of items, uses :func:`iter_sources` and makes
    names unique on disk.)
    """
    items = list(iter_sources(sources, exclude=exclude, on_error=on_error, on_skip=on_skip))
    unique = unique_outputs([it.rel for it in items], suffix)
    return [it if it.rel == r else replace(it, rel=r) for it, r in zip(items, unique, strict=True)]


def member_too_big(item: Item) -> BaseException | None:
    """A :class:`dicodec.LimitExceededError` when an archive member's declared
    size is over the allocation limit (:func:`dicodec.set_max_alloc`): it is
    not read at all. (zipfile stops inflating at the declared size, so a
    member cannot inflate past it.)"""
    if item.kind == "file":
        return None
    from dicodec import get_max_alloc
    from dicodec.errors import LimitExceededError

    limit = get_max_alloc()
    if item.size > limit:
        return LimitExceededError(
            f"archive member of {item.size} bytes (declared size) is over the allocation "
            f"limit of {limit} bytes (dicodec.set_max_alloc); not read"
        )
    return None


def read_payload(item: Item) -> str | bytes:
    """What the decoder reads for one item: the path of a file, or the bytes of
    an archive member (random access; compressed tars are decompressed from
    the start, so prefer :func:`iter_payloads` for many of those)."""
    readers = Readers()
    try:
        got = readers.read(item)
    finally:
        readers.close()
    if isinstance(got, BaseException):
        raise got
    return got


#: Archives kept open at once by :class:`Readers` (zip and plain tar each).
OPEN_ARCHIVES = 4


class Readers:
    """Reads the payloads of items one after the other, keeping a few
    archives open (at most :data:`OPEN_ARCHIVES` zips and plain tars, the
    least recently used closed first) and one compressed tar stream, which
    moves forward to each member asked for (reopened from the start only
    when a member is asked for out of archive order)."""

    def __init__(self) -> None:
        self._zips: OrderedDict[str, _Zip] = OrderedDict()
        self._tars: OrderedDict[str, Any] = OrderedDict()  # plain tars' raw files
        self._stream: tuple[str, tarfile.TarFile] | None = None

    def read(self, it: Item) -> str | bytes | BaseException:
        """The path of a file, the bytes of a member, or the exception reading raised."""
        if it.kind == "file":
            return it.path
        if (too_big := member_too_big(it)) is not None:
            return too_big
        assert it.archive is not None and it.member is not None
        try:
            if it.streamed:
                return self._from_stream(it)
            if it.kind == "zip":
                if it.loc is None:  # an item listed elsewhere: found by name
                    with zipfile.ZipFile(it.archive) as z:
                        return z.read(it.member)
                return self._open(self._zips, it.archive, _Zip).read_at(it.member, it.loc)
            if it.loc is not None:  # a plain tar's regular member: its bytes as they are
                f = self._open(self._tars, it.archive, lambda a: open(a, "rb"))
                f.seek(int(it.loc.split(":")[1]))
                data = f.read(it.size)
                if len(data) != it.size:
                    raise EOFError(f"{it.archive} ends inside member {it.member}")
                return data
            with tarfile.open(it.archive, "r:") as tf:
                f = tf.extractfile(it.member)
                if f is None:
                    raise OSError(f"not a regular file in the archive: {it.member}")
                return f.read()
        except Exception as e:  # noqa: BLE001 - recorded as this input's failure
            return e

    @staticmethod
    def _open(cache: OrderedDict[str, Any], archive: str, opener: Callable[[str], Any]) -> Any:
        a = cache.get(archive)
        if a is not None:
            cache.move_to_end(archive)
            return a
        a = cache[archive] = opener(archive)
        while len(cache) > OPEN_ARCHIVES:
            cache.popitem(last=False)[1].close()
        return a

    def _from_stream(self, it: Item) -> bytes:
        assert it.archive is not None and it.member is not None
        for fresh in (False, True):
            if fresh or self._stream is None or self._stream[0] != it.archive:
                self._close_stream()
                self._stream = (it.archive, tarfile.open(it.archive, "r|*"))
                fresh = True
            tf = self._stream[1]
            while (info := tf.next()) is not None:
                tf.members.clear()  # type: ignore[attr-defined]  # tarfile keeps every member read
                if info.name == it.member:
                    f = tf.extractfile(info)
                    if f is None:
                        raise OSError(f"not a regular file in the archive: {info.name}")
                    return f.read()
            if fresh:
                break
        self._close_stream()
        raise OSError(f"member vanished from the archive: {it.member}")

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream[1].close()
            self._stream = None

    def close(self) -> None:
        for a in [*self._zips.values(), *self._tars.values()]:
            a.close()
        self._zips.clear()
        self._tars.clear()
        self._close_stream()


def iter_payloads(items: Iterable[Item]) -> Iterator[tuple[Item, str | bytes | BaseException]]:
    """``(item, payload)`` for every item, in the order of ``items`` (taken
    one at a time): the payload is a path, member bytes, or the exception
    that reading raised. A few archives stay open while their members are
    read (see :class:`Readers`); members of a compressed tar are read in one
    pass when they come in archive order (as listed)."""
    readers = Readers()
    try:
        for it in items:
            yield it, readers.read(it)
    finally:
        readers.close()
