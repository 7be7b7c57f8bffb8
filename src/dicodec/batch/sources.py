"""Source enumeration: files, folders (walked recursively) and ``.zip`` /
``.tar`` / ``.tar.gz`` archives, read member by member without extracting to
disk.

Every input becomes an :class:`Item`. :func:`iter_payloads` then yields, per
item, what the decoder reads: the path of a plain file (dicodec maps it
itself) or the bytes of an archive member. Zip and plain tar members are read
by random access; compressed tars are streamed once, in archive order.
"""

from __future__ import annotations

import os
import tarfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from dicodec.batch.safepath import safe_relpath, unique_outputs

__all__ = ["Item", "enumerate_sources", "iter_payloads", "read_payload", "is_archive"]

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

    @property
    def streamed(self) -> bool:
        """A member of a compressed tar: readable only in archive order."""
        return self.kind == "tar-stream"


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


def _member_item(path: Path, rel: str, kind: str, name: str, size: int, key: str) -> Item:
    return Item(
        path=f"{path}{MEMBER_SEP}{name}",
        rel=f"{rel}/{name}",
        kind=kind,
        size=size,
        key=key,
        archive=str(path),
        member=name,
    )


def _drop_duplicates(items: list[Item], skips: list[Skip]) -> list[Item]:
    """Members whose name occurs more than once in their archive are
    ambiguous (read by name, either could be meant): none of them is
    decoded, each name is recorded once as skipped."""
    counts: dict[str | None, int] = {}
    for it in items:
        counts[it.member] = counts.get(it.member, 0) + 1
    reported: set[str | None] = set()
    kept = []
    for it in items:
        if counts[it.member] == 1:
            kept.append(it)
        elif it.member not in reported:
            reported.add(it.member)
            skips.append(
                (it, "duplicate_member", f"{counts[it.member]} members named {it.member!r}")
            )
    return kept


def _zip_items(path: Path, rel: str, skips: list[Skip]) -> list[Item]:
    st = path.stat()
    items = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
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
            )
            if info.create_system == 3 and (info.external_attr >> 16) & _S_IFMT == _S_IFLNK:
                skips.append((it, "link_member", "a symbolic link member (not followed)"))
                continue
            items.append(it)
    return _drop_duplicates(items, skips)


def _tar_items(path: Path, rel: str, kind: str, skips: list[Skip]) -> list[Item]:
    st = path.stat()
    items = []
    with tarfile.open(path, "r:") if kind == "tar" else tarfile.open(path, "r|*") as tf:
        for info in tf:
            if info.isdir():
                continue
            name = info.name
            it = _member_item(
                path,
                rel,
                kind,
                name,
                info.size,
                f"{path}|{st.st_mtime_ns}|{name}|{info.size}|{info.mtime}",
            )
            if info.issym() or info.islnk():
                what = "symbolic" if info.issym() else "hard"
                skips.append(
                    (it, "link_member", f"a {what} link member to {info.linkname!r} (not followed)")
                )
                continue
            if not info.isfile():
                skips.append((it, "not_regular_member", "not a regular file (device, FIFO...)"))
                continue
            items.append(it)
    return _drop_duplicates(items, skips)


def _archive_items(path: Path, rel: str, skips: list[Skip]) -> list[Item]:
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


def enumerate_sources(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    exclude: Sequence[str | os.PathLike[str]] = (),
    on_error: list[tuple[str, BaseException]] | None = None,
    on_skip: list[Skip] | None = None,
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
    once the writer's ``suffix`` is appended.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    excluded = {Path(e).resolve() for e in exclude}
    items: list[Item] = []
    skips: list[Skip] = [] if on_skip is None else on_skip
    seen_names: dict[str, int] = {}

    def add_path(path: Path, rel: str) -> None:
        try:
            items.extend(
                _archive_items(path, rel, skips) if is_archive(path) else [_file_item(path, rel)]
            )
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as e:
            if on_error is None:
                raise
            on_error.append((str(path), e))

    for src in sources:
        path = Path(os.fspath(src)).absolute()
        # The mirrored tree starts at the source's own name, made unique.
        name = path.name or "root"
        n = seen_names.get(name, 0)
        seen_names[name] = n + 1
        rel = name if n == 0 else f"{name}~{n}"
        if path.is_dir():
            for f, r in _walk(path, rel, excluded):
                add_path(f, r)
        elif path.exists():
            add_path(path, rel)
        else:
            err = FileNotFoundError(2, "No such file or directory", str(path))
            if on_error is None:
                raise err
            on_error.append((str(path), err))
    safe = unique_outputs([safe_relpath([it.rel]) for it in items], suffix)
    return [it if it.rel == r else replace(it, rel=r) for it, r in zip(items, safe, strict=True)]


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
    if item.kind == "file":
        return item.path
    if (too_big := member_too_big(item)) is not None:
        raise too_big
    assert item.archive is not None and item.member is not None
    if item.kind == "zip":
        with zipfile.ZipFile(item.archive) as zf:
            return zf.read(item.member)
    with tarfile.open(item.archive, "r:" if item.kind == "tar" else "r:*") as tf:
        f = tf.extractfile(item.member)
        if f is None:
            raise OSError(f"not a regular file in the archive: {item.member}")
        return f.read()


def _stream_tar(
    archive: str, wanted: dict[str, Item]
) -> Iterator[tuple[Item, bytes | BaseException]]:
    with tarfile.open(archive, "r|*") as tf:
        for info in tf:
            item = wanted.pop(info.name, None)
            if item is None:
                continue
            if (too_big := member_too_big(item)) is not None:
                yield item, too_big
                continue
            try:
                f = tf.extractfile(info)
                if f is None:
                    raise OSError(f"not a regular file in the archive: {info.name}")
                yield item, f.read()
            except (OSError, tarfile.TarError, EOFError) as e:
                yield item, e
    for item in wanted.values():
        yield item, OSError(f"member vanished from the archive: {item.member}")


def iter_payloads(items: Iterable[Item]) -> Iterator[tuple[Item, str | bytes | BaseException]]:
    """``(item, payload)`` for every item: the payload is a path, member bytes,
    or the exception that reading raised. Order follows ``items``, except that
    members of a compressed tar come out in archive order, all at the point of
    the first of them (one decompression pass per archive). Archives stay open
    while their members are read."""
    items = list(items)
    streams: dict[str, dict[str, Item]] = {}
    for it in items:
        if it.streamed:
            assert it.archive is not None and it.member is not None
            streams.setdefault(it.archive, {})[it.member] = it
    zips: dict[str, zipfile.ZipFile] = {}
    tars: dict[str, tarfile.TarFile] = {}
    try:
        for it in items:
            if it.kind == "file":
                yield it, it.path
            elif it.streamed:
                assert it.archive is not None
                wanted = streams.pop(it.archive, None)
                if wanted is not None:
                    try:
                        yield from _stream_tar(it.archive, wanted)
                    except (OSError, tarfile.TarError, EOFError) as e:
                        for rest in wanted.values():
                            yield rest, e
            elif (too_big := member_too_big(it)) is not None:
                yield it, too_big
            else:
                assert it.archive is not None and it.member is not None
                try:
                    if it.kind == "zip":
                        zf = zips.get(it.archive)
                        if zf is None:
                            zf = zips[it.archive] = zipfile.ZipFile(it.archive)
                        yield it, zf.read(it.member)
                    else:
                        tf = tars.get(it.archive)
                        if tf is None:
                            tf = tars[it.archive] = tarfile.open(it.archive, "r:")
                        f = tf.extractfile(it.member)
                        if f is None:
                            raise OSError(f"not a regular file in the archive: {it.member}")
                        yield it, f.read()
                except (OSError, KeyError, zipfile.BadZipFile, tarfile.TarError, EOFError) as e:
                    yield it, e
    finally:
        for z in zips.values():
            z.close()
        for t in tars.values():
            t.close()
