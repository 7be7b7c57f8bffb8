"""Writes the JPEG 2000 / HTJ2K test fixtures of dicodec-core (run with a Python
that has numpy, imagecodecs and pydicom 3 + python-gdcm; the outputs are committed):

* ``<name>.j2k`` / ``.jp2``: streams encoded by imagecodecs (OpenJPEG 2.5.4
  ``jpeg2k_encode``, OpenJPH ``htj2k_encode``) over bit depths 1-16, signed,
  1/3 components, tiles, resolution levels, lossless and lossy.
* ``streams.csv``: per stream, the dtype, shape and sha256 of the reference
  decodes: OpenJPEG (``jpeg2k_decode``), OpenJPH (``htj2k_decode``, HT
  streams) and, for lossless streams, the original array.
* ``dicom.csv``: streams wrapped in a DICOM data set with attributes that
  disagree with the codestream (signedness, precision, YBR_RCT/ICT...), and
  the sha256 of ``pydicom.pixels.pixel_array(ds, raw=True)`` with the gdcm
  plugin and with the imagecodecs plugin (imagecodecs_plugin.py).
* ``corpus.csv``: for corpus files with no ref_sha256 in MANIFEST.csv, the
  pydicom + imagecodecs-plugin array (sha256) when it decodes.

Usage: python make_fixtures.py [CORPUS_DIR]
"""

import csv
import hashlib
import sys
from pathlib import Path

import imagecodecs as ic
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels import pixel_array
from pydicom.pixels.decoders.base import (
    HTJ2KDecoder,
    HTJ2KLosslessDecoder,
    HTJ2KLosslessRPCLDecoder,
    JPEG2000Decoder,
    JPEG2000LosslessDecoder,
)
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
for d in (
    JPEG2000LosslessDecoder,
    JPEG2000Decoder,
    HTJ2KLosslessDecoder,
    HTJ2KLosslessRPCLDecoder,
    HTJ2KDecoder,
):
    d.add_plugin("imagecodecs", ("imagecodecs_plugin", "_decode_frame"))


def sha(a):
    a = np.ascontiguousarray(a)
    return hashlib.sha256(a.astype(a.dtype.newbyteorder("<")).tobytes()).hexdigest()


def image(h, w, c, bits, signed, seed):
    """Smooth gradients plus noise, covering the whole range of `bits`."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    planes = []
    for k in range(c):
        base = (x * (k + 1) * 7 + y * 5 + (x * y) // 3) % (1 << bits)
        noise = rng.integers(0, 1 << min(bits, 4), size=(h, w))
        planes.append((base + noise) % (1 << bits))
    a = np.stack(planes, axis=-1) if c > 1 else planes[0]
    a[0, 0] = (1 << bits) - 1  # the extremes
    if a.size > 1:
        a.flat[1] = 0
    if signed:
        a = a - (1 << (bits - 1))
    dt = {(8, False): np.uint8, (8, True): np.int8, (16, False): np.uint16, (16, True): np.int16}
    return a.astype(dt[(8 if bits <= 8 else 16, signed)])


STREAMS = []  # (name, bytes, lossless, original, is_ht)


def j2k(name, a, bits, ht=False, lossless=True, ext="j2k", **kw):
    if ht:
        s = ic.htj2k_encode(a, reversible=lossless, level=None if lossless else 60, **kw)
    else:
        if not lossless:
            kw.setdefault("level", 40)
        s = ic.jpeg2k_encode(
            a,
            bitspersample=bits,
            reversible=lossless,
            codecformat="jp2" if ext == "jp2" else "j2k",
            **kw,
        )
    STREAMS.append((f"{name}.{ext}", bytes(s), lossless, a, ht))
    return bytes(s)


def pillow_tiles(name, a, tile, resolutions):
    """imagecodecs does not write tiles: Pillow (OpenJPEG) does."""
    import io

    from PIL import Image

    im = Image.fromarray(a)
    buf = io.BytesIO()
    im.save(buf, "JPEG2000", tile_size=tile, num_resolutions=resolutions, no_jp2=True)
    STREAMS.append((f"{name}.j2k", buf.getvalue(), True, a, False))


def streams():
    for bits in (1, 2, 5, 8, 10, 12, 14, 16):
        for signed in (False, True):
            if bits == 1 and signed:
                continue
            for c in (1, 3):
                a = image(29, 37, c, bits, signed, bits * 10 + c)
                tag = f"{'s' if signed else 'u'}{bits}_c{c}"
                j2k(f"j2k_{tag}", a, bits)
                if bits in (8, 12, 16):
                    j2k(f"ht_{tag}", a, bits, ht=True)
    big = image(96, 80, 3, 8, False, 7)
    pillow_tiles("j2k_u8_c3_tiles", big, (32, 32), 3)
    j2k("j2k_u8_c3_nomct", big, 8, mct=False)
    j2k("j2k_u8_c3_lossy", big, 8, lossless=False)
    j2k("j2k_u8_c3", big, 8, ext="jp2")
    g = image(96, 80, 1, 16, False, 9)
    j2k("j2k_u16_c1_res6", g, 16, resolutions=6)
    pillow_tiles("j2k_u8_c1_tiles", image(96, 80, 1, 8, False, 9), (48, 64), 4)
    j2k("j2k_u16_c1_lossy", g, 16, lossless=False)
    j2k("j2k_i16_c1_lossy", image(64, 64, 1, 12, True, 3), 12, lossless=False)
    j2k("ht_u16_c1_tiles", g, 16, ht=True, tile=(32, 32), resolutions=3)
    j2k("ht_u8_c3_tiles", big, 8, ht=True, tile=(64, 48))
    j2k("ht_u8_c3_lossy", big, 8, ht=True, lossless=False)
    j2k("ht_u16_c1_lossy", g, 16, ht=True, lossless=False)

    rows = []
    for name, s, lossless, a, ht in STREAMS:
        (HERE / name).write_bytes(s)
        ref = ic.jpeg2k_decode(s)
        row = {
            "name": name,
            "dtype": ref.dtype.str,
            "shape": "x".join(map(str, ref.shape)),
            "lossless": int(lossless),
            "sha_openjpeg": sha(ref),
            "sha_openjph": "",
            "sha_original": "",
        }
        if ht:
            row["sha_openjph"] = sha(ic.htj2k_decode(s))
        if lossless:
            assert np.array_equal(ref, a), name
            row["sha_original"] = sha(a.astype(ref.dtype))
        rows.append(row)
    with open(HERE / "streams.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(len(rows), "streams")


def dataset(stream, ts, rows, cols, spp, ba, bs, pr, pi):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ts
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, spp
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = ba, bs, bs - 1
    ds.PixelRepresentation, ds.PhotometricInterpretation = pr, pi
    if spp > 1:
        ds.PlanarConfiguration = 0
    ds.PixelData = encapsulate([stream])
    ds["PixelData"].VR = "OB"
    return ds


def dicoms():
    L, LY, HT = "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201"
    cases = [
        # name, image, stream bits, ht, lossless, ts, ba, bs, pr, pi, extra encoder args
        ("s12_pr0", image(20, 24, 1, 12, True, 1), 12, False, True, L, 16, 12, 0, "MONOCHROME2", {}),
        ("u13_pr1", image(20, 24, 1, 13, False, 2), 13, False, True, L, 16, 13, 1, "MONOCHROME2", {}),
        ("s16_pr0", image(20, 24, 1, 16, True, 3), 16, False, True, L, 16, 16, 0, "MONOCHROME1", {}),
        ("u8_ba16_pr1", image(20, 24, 1, 8, False, 4), 8, False, True, L, 16, 8, 1, "MONOCHROME2", {}),
        ("u8_ba16_pr0", image(20, 24, 1, 8, False, 5), 8, False, True, L, 16, 8, 0, "MONOCHROME2", {}),
        ("u12_bs16", image(20, 24, 1, 12, False, 6), 12, False, True, L, 16, 16, 0, "MONOCHROME2", {}),
        ("s12_bs10_pr1", image(20, 24, 1, 12, True, 7), 12, False, True, L, 16, 10, 1, "MONOCHROME2", {}),
        ("u8_rgb_pr1", image(20, 24, 3, 8, False, 8), 8, False, True, L, 8, 8, 1, "RGB", {"mct": False}),
        ("u8_rct", image(20, 24, 3, 8, False, 9), 8, False, True, L, 8, 8, 0, "YBR_RCT", {}),
        ("u8_ict", image(20, 24, 3, 8, False, 10), 8, False, False, LY, 8, 8, 0, "YBR_ICT", {}),
        ("s12_pr0_ht", image(20, 24, 1, 12, True, 11), 12, True, True, HT, 16, 12, 0, "MONOCHROME2", {}),
        ("u12_pr1_ht", image(20, 24, 1, 12, False, 12), 12, True, True, HT, 16, 12, 1, "MONOCHROME2", {}),
    ]
    rows = []
    for name, a, bits, ht, lossless, ts, ba, bs, pr, pi, kw in cases:
        s = j2k(f"dcm_{name}", a, bits, ht=ht, lossless=lossless, **kw)
        (HERE / f"dcm_{name}.j2k").write_bytes(s)
        spp = 3 if a.ndim == 3 else 1
        ds = dataset(s, ts, a.shape[0], a.shape[1], spp, ba, bs, pr, pi)
        row = {"name": f"dcm_{name}.j2k", "ts": ts, "rows": a.shape[0], "columns": a.shape[1],
               "spp": spp, "ba": ba, "bs": bs, "pr": pr, "pi": pi}
        for plugin in ("gdcm", "imagecodecs"):
            try:
                arr = pixel_array(ds, raw=True, decoding_plugin=plugin)
                row[f"sha_{plugin}"] = sha(arr)
                row["dtype"] = arr.dtype.str
            except Exception as e:  # noqa: BLE001 - recorded, not hidden
                row[f"sha_{plugin}"] = f"fail:{type(e).__name__}"
        rows.append(row)
    with open(HERE / "dicom.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(len(rows), "dicom cases")


def corpus(root):
    rows = []
    with open(root / "MANIFEST.csv") as f:
        for r in csv.DictReader(f):
            ts = r["transfer_syntax_uid"]
            if not ts.startswith("1.2.840.10008.1.2.4.") or ts.rsplit(".", 1)[1] not in (
                "90", "91", "201", "202", "203"):
                continue
            ds = pydicom.dcmread(root / r["file"])
            try:
                arr = pixel_array(ds, raw=True, decoding_plugin="imagecodecs")
                got = sha(arr)
            except Exception as e:  # noqa: BLE001
                got = f"fail:{type(e).__name__}: {e}"[:120]
            rows.append({"file": r["file"], "ref_sha256": r["ref_sha256"], "sha_imagecodecs": got})
    for p in sorted((root / "jpeg").glob("*.j2k")):
        s = p.read_bytes()
        ref = ic.jpeg2k_decode(s)
        rows.append({"file": f"jpeg/{p.name}", "ref_sha256": "",
                     "sha_imagecodecs": f"{sha(ref)} {ref.dtype.str} {'x'.join(map(str, ref.shape))}"})
    with open(HERE / "corpus.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    for r in rows:
        agree = "" if not r["ref_sha256"] else r["ref_sha256"] == r["sha_imagecodecs"]
        print(r["file"], agree, r["sha_imagecodecs"][:60])


if __name__ == "__main__":
    streams()
    STREAMS.clear()
    dicoms()
    if len(sys.argv) > 1:
        corpus(Path(sys.argv[1]))
