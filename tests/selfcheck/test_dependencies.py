"""Every import is a declared dependency: the product's (app, ingest, retrieval, model) in [project.dependencies],
the tests' and benchmarks' in those plus the `dev` extra. An import that only works because another package happens
to pull its distribution in breaks the day that package stops doing so (model/served.py imported httpx, which only
the `dev` extra named). Optional imports — inside `try: … except ImportError` — are exempt."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL = {"app", "ingest", "retrieval", "model", "bench", "tests", "tools"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(*extras: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return {_canonical(re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0]) for r in reqs}


def _optional_lines(tree: ast.AST) -> set[int]:
    """Lines inside `try:` bodies whose handlers catch ImportError (or ModuleNotFoundError)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            names = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
            if any("ImportError" in n or "ModuleNotFoundError" in n or n == "Exception" for n in names):
                for stmt in node.body:
                    lines.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    return lines


def _imports(folders: list[str]) -> dict[str, set[str]]:
    """top-level module → files importing it (stdlib, local and optional imports left out)."""
    local = set(LOCAL)
    for folder in folders:  # modules of the test tree imported by plain name (conftest, fakeserver, …)
        local |= {p.stem for p in (ROOT / folder).rglob("*.py")}
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            optional = _optional_lines(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    mods = [node.module]
                else:
                    continue
                if node.lineno in optional:
                    continue
                for mod in mods:
                    top = mod.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in local:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _undeclared(folders: list[str], declared: set[str]) -> list[str]:
    dists = metadata.packages_distributions()
    bad = []
    for top, files in sorted(_imports(folders).items()):
        owners = {_canonical(d) for d in dists.get(top, [])}
        if not owners & declared:
            bad.append(f"{top} (distribution {sorted(owners) or 'unknown'}) in {sorted(files)[:3]}")
    return bad


def test_the_product_imports_only_its_runtime_dependencies():
    assert _undeclared(["app", "ingest", "retrieval", "model"], _declared()) == []


def test_tests_and_benchmarks_import_only_declared_dependencies():
    assert _undeclared(["tests", "bench", "tools"], _declared("dev")) == []
