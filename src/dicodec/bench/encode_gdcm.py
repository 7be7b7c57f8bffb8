"""GDCM as an encoder: ``gdcm.ImageChangeTransferSyntax`` on the native file's
``gdcm.Image`` (read once, untimed), one fragment per frame out.

(An image built in memory through the Python bindings crashes GDCM 3.2 in
``ImageChangeTransferSyntax``; the image of an ``ImageReader`` does not.)"""

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


def gdcm_encode(reader: Any, ts_name: str) -> list[bytes]:
    """Every frame of the reader's image encoded by GDCM to transfer syntax
    ``ts_name`` (a ``gdcm.TransferSyntax`` constant's name)."""
    import gdcm

    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(getattr(gdcm.TransferSyntax, ts_name)))
    change.SetInput(reader.GetImage())
    if not change.Change():
        raise RuntimeError(f"GDCM could not encode {ts_name}")
    fragments = change.GetOutput().GetDataElement().GetSequenceOfFragments()
    if fragments is None:
        raise RuntimeError(f"GDCM gave no fragments for {ts_name}")
    return [
        _fragment_bytes(fragments.GetFragment(i)) for i in range(fragments.GetNumberOfFragments())
    ]
