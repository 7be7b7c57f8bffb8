"""GDCM as an encoder: ``gdcm.ImageChangeTransferSyntax`` on the native file's
``gdcm.Image``, one fragment per frame out.

The timed call reads the native file too (from the page cache): GDCM encodes
the reader's image in place, so a second change of the same image is a no-op,
and an image built in memory through the Python bindings crashes GDCM 3.2 in
``ImageChangeTransferSyntax``. GDCM's times are therefore a little
pessimistic (a read of the native file each)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from dicodec.bench.encode_peers import Image

__all__ = ["gdcm_read", "gdcm_encode"]


def _fragment_bytes(fragment: Any) -> bytes:
    bv = fragment.GetByteValue()
    data = bv.GetBuffer()
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
    return raw[: int(str(bv.GetLength()))]


def gdcm_read(img: Image) -> Any:
    """The ``gdcm.ImageReader`` of the image's native file (keep it alive
    while its image is used)."""
    import gdcm

    reader = gdcm.ImageReader()
    reader.SetFileName(img.path)
    if not reader.Read():
        raise RuntimeError(f"GDCM could not read {img.path}")
    return reader


def gdcm_encode(img: Image, ts_name: str) -> list[bytes]:
    """Every frame of ``img`` (read from its native file) encoded by GDCM to
    transfer syntax ``ts_name`` (a ``gdcm.TransferSyntax`` constant's name)."""
    import gdcm

    reader = gdcm_read(img)
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(getattr(gdcm.TransferSyntax, ts_name)))
    change.SetInput(reader.GetImage())
    if not change.Change():
        raise RuntimeError(f"GDCM could not encode {ts_name}")
    fragments = change.GetOutput().GetDataElement().GetSequenceOfFragments()
    if fragments is None:
        raise RuntimeError(f"GDCM gave no fragments for {ts_name}")
    n = fragments.GetNumberOfFragments()
    return [_fragment_bytes(fragments.GetFragment(i)) for i in range(n)]
