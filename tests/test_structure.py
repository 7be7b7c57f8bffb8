"""Structure checks on the source tree (issue 10): no import cycle among the
Python modules, transfer-syntax UIDs written out only in the UID modules, no
source file over 600 lines outside the tests."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "dicodec"
EXT = REPO / "ext"

# ---------------------------------------------------------------- helpers


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _rust_files() -> list[Path]:
    """Rust sources under ``ext/`` (build output excluded)."""
    return sorted(p for p in EXT.rglob("*.rs") if "target" not in p.relative_to(EXT).parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_time_nodes(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run when the module is imported: module level, including
    ``if``/``try``/``with`` blocks and class bodies, but not function bodies
    nor ``if TYPE_CHECKING:`` blocks."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        yield node
        if isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _import_time_nodes(node.body)
            yield from _import_time_nodes(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _import_time_nodes(block)
            for handler in node.handlers:
                yield from _import_time_nodes(handler.body)
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from _import_time_nodes(node.body)


def import_graph() -> dict[str, set[str]]:
    """module -> modules of the package it imports at import time."""
    files = {_module_name(p): p for p in _python_files()}
    # Extension modules (``_native``) are known by their stubs.
    known = set(files) | {_module_name(p) for p in PACKAGE.rglob("*.pyi")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        tree = ast.parse(path.read_text(), str(path))
        for node in _import_time_nodes(tree.body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    if not is_package:
                        anchor = anchor[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # ``from pkg import submodule`` depends on the submodule; a
                # name that is not a module depends on ``pkg`` itself.
                subs = [f"{base}.{alias.name}" for alias in node.names]
                targets = [s if s in known else base for s in subs]
            else:
                continue
            edges.update(t for t in targets if t in files and t != name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


# ---------------------------------------------------------------- import cycles


def test_no_import_cycle_among_python_modules():
    graph = import_graph()
    assert "dicodec.batch.core" in graph and graph["dicodec"], "the scan found no modules"
    assert cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# ---------------------------------------------------------------- UID literals

#: A transfer syntax UID written out (``1.2.840.10008.1.2`` and below).
TS_UID = re.compile(r"1\.2\.840\.10008\.1\.2(?![0-9])")
#: The Python UID module.
PY_UID_MODULE = PACKAGE / "uids.py"
#: Where the Rust UID module may live (the first that exists counts).
RUST_UID_MODULES = [
    EXT / "core" / "src" / "uids.rs",
    EXT / "core" / "src" / "uid.rs",
    EXT / "core" / "src" / "parser" / "uids.rs",
    EXT / "core" / "src" / "parser" / "syntax.rs",
]


def _uid_literals(path: Path, text: str) -> list[str]:
    return [
        f"{path.relative_to(REPO)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
        for m in TS_UID.finditer(text)
    ]


def test_uid_pattern():
    assert TS_UID.search('x = "1.2.840.10008.1.2.4.70"')
    assert TS_UID.search("'1.2.840.10008.1.2'")
    assert not TS_UID.search("1.2.840.10008.1.20.1")  # Storage Commitment, not a syntax
    assert not TS_UID.search("1.2.840.10008.5.1.4.1.1.2")


def test_no_transfer_syntax_uid_literal_outside_the_python_uid_module():
    assert TS_UID.search(PY_UID_MODULE.read_text()), "the UID module lost its UIDs"
    found = [
        hit
        for path in _python_files()
        if path != PY_UID_MODULE
        for hit in _uid_literals(path, path.read_text())
    ]
    assert found == []


def _without_test_modules(text: str) -> str:
    """A Rust source up to its first ``#[cfg(test)]`` item (inline test
    modules close a file by convention)."""
    return text.split("#[cfg(test)]", 1)[0]


@pytest.mark.skip(reason="Rust UID module lands with the arch-rust branch")
def test_no_transfer_syntax_uid_literal_outside_the_rust_uid_module():
    module = next((p for p in RUST_UID_MODULES if p.is_file()), None)
    assert module is not None, f"no Rust UID module among {RUST_UID_MODULES}"
    found = []
    for path in _rust_files():
        rel = path.relative_to(EXT).parts
        if path == module or "tests" in rel or path.name in ("tests.rs", "test.rs"):
            continue
        found += _uid_literals(path, _without_test_modules(path.read_text()))
    assert found == []


# ---------------------------------------------------------------- file sizes

MAX_LINES = 600


def _long_files(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        n = path.read_text().count("\n")
        if n > MAX_LINES:
            out.append(f"{path.relative_to(REPO)}: {n} lines")
    return out


def test_no_python_source_file_over_600_lines():
    assert _long_files(_python_files()) == []


@pytest.mark.skip(reason="the Rust splits land with the arch-rust branch")
def test_no_rust_source_file_over_600_lines():
    """Rust sources outside tests (``tests/`` folders and ``tests.rs``
    modules are test code)."""
    paths = [
        p
        for p in _rust_files()
        if "tests" not in p.relative_to(EXT).parts and p.name not in ("tests.rs", "test.rs")
    ]
    assert _long_files(paths) == []
