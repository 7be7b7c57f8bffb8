"""Prints the requirements of a pyproject extra (extras of dicodec expanded),
one per line, so `make` can install test dependencies without building the
package twice."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

meta = tomllib.loads(Path(__file__).resolve().parents[1].joinpath("pyproject.toml").read_text())
project = meta["project"]
extras: dict[str, list[str]] = project.get("optional-dependencies", {})


def expand(name: str, seen: set[str]) -> list[str]:
    out: list[str] = []
    for req in extras[name]:
        m = re.fullmatch(r"dicodec\[([^\]]+)\]", req.strip())
        if m:
            for sub in m.group(1).split(","):
                if sub not in seen:
                    seen.add(sub)
                    out += expand(sub.strip(), seen)
        else:
            out.append(req)
    return out


wanted = sys.argv[1:] or ["dev"]
reqs = list(project.get("dependencies", []))
for extra in wanted:
    reqs += expand(extra, {extra})
print("\n".join(dict.fromkeys(reqs)))
