"""The project's modules import each other without a circle, and `import archive` stays light.

The graph is read from the source with ast, every import counted (module-level, inside functions
and under TYPE_CHECKING alike): a circle that only a lazy import keeps from failing today is one
reordering away from an ImportError, and it makes the two modules one unit to understand.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("archive", "crawler", "wixarchive")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Each module's imports of the project's modules (`from a.b import c` is a.b.c when c is
    a module, else a.b)."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package[:len(package) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                         for a in node.names]
            else:
                continue
            for target in names:
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    targets.add(target)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_in_a_circle() -> None:
    graph = import_graph()
    assert "archive.store" in graph and "archive.search.topk" in graph["archive.store"]
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


# What `import archive.cli` (every command's entry point) must leave to the command that needs
# it: the crawler, server and Redis stacks, and the modules of the commands that use them.
HEAVY = ("scrapy", "twisted", "datasette", "sqlite_utils", "redis", "scrapy_redis",
         "archive.cli.recover", "archive.cli.worker", "archive.cli.distributed",
         "archive.cli.export", "archive.cli.import_files", "archive.recover", "archive.importer",
         "archive.distributed", "archive.export.wacz", "crawler.distributed")


def test_importing_the_api_packages_imports_no_crawler_or_server() -> None:
    code = ("import sys, archive, archive.cli, archive.search, archive.store, crawler, wixarchive; "
            f"print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, check=True)
    assert result.stdout.strip() == ""
