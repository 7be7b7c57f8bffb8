"""``dicodec info FILE... [--json]``: what :func:`dicodec.frame_info` says
about each file, human-readable or as JSON."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from dicodec.errors import DicodecError
from dicodec.reader import FrameInfo, frame_info


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "info",
        help="describe the pixel data of DICOM files",
        description="Transfer syntax, geometry, dtype, frames and frame byte ranges of each file "
        "(nothing is decoded).",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="DICOM files")
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per file")
    p.add_argument(
        "--ranges", action="store_true", help="list every frame's byte ranges (text output)"
    )
    p.set_defaults(func=run)


def _as_json(path: str, info: FrameInfo) -> dict[str, Any]:
    d = dataclasses.asdict(info)
    d["dtype"] = str(info.dtype) if info.dtype is not None else None
    d["shape"] = list(info.shape) if info.shape is not None else None
    d["path"] = path
    return d


def _describe(path: str, i: FrameInfo, ranges: bool) -> str:
    def n(v: object) -> str:
        return "-" if v is None else str(v)

    signed = {0: "unsigned", 1: "signed"}.get(
        -1 if i.pixel_representation is None else i.pixel_representation, ""
    )
    length = "undefined length" if i.pixel_data_length is None else f"{i.pixel_data_length} bytes"
    storage = (
        f"encapsulated, {i.fragments} fragment(s), Basic Offset Table "
        f"{len(i.basic_offset_table)} entr{'y' if len(i.basic_offset_table) == 1 else 'ies'}"
        + (", Extended Offset Table" if i.extended_offset_table else "")
        if i.encapsulated
        else "native"
    )
    lines = [
        path,
        f"  transfer syntax : {i.transfer_syntax}"
        + (" (inferred)" if i.transfer_syntax_inferred else "")
        + (" (deflated)" if i.deflated else ""),
        f"  image           : {n(i.rows)} x {n(i.columns)}, {n(i.samples_per_pixel)} sample(s), "
        f"{i.frames} frame(s), {n(i.photometric_interpretation)}",
        f"  bits            : allocated {n(i.bits_allocated)}, stored {n(i.bits_stored)}, "
        f"high bit {n(i.high_bit)} {signed}".rstrip(),
        f"  array           : {n(i.dtype)} {n(i.shape)}",
        f"  pixel data      : {i.pixel_element} {n(i.pixel_vr)} at byte {i.pixel_data_offset}, "
        f"{length}, {storage}",
        "  decodable       : " + ("yes" if i.decodable else f"no ({i.unsupported_reason})"),
    ]
    if i.frame_ranges:
        first = ", ".join(f"{o}+{ln}" for o, ln in i.frame_ranges[0])
        lines.append(f"  frame 0 bytes   : {first}")
    if ranges:
        for k, f in enumerate(i.frame_ranges):
            lines.append(f"    frame {k}: " + ", ".join(f"{o}+{ln}" for o, ln in f))
    if i.problem and i.problem != i.unsupported_reason:
        lines.append(f"  problem         : {i.problem}")
    for w in i.warnings:
        lines.append(f"  warning         : {w}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    status = 0
    out: list[dict[str, Any]] = []
    for path in args.files:
        try:
            info = frame_info(path)
        except (DicodecError, OSError) as exc:
            status = 1
            if args.json:
                out.append({"path": path, "error": str(exc), "error_type": type(exc).__name__})
            else:
                print(f"{path}\n  error           : {exc}", file=sys.stderr)
            continue
        if args.json:
            out.append(_as_json(path, info))
        else:
            print(_describe(path, info, args.ranges))
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        print()
    return status
