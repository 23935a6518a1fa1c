"""The house's rules that import-linter's contracts (pyproject.toml, `make lint`) cannot say.

- No module imports another that imports it back, directly or around a circle (layers alone allow circles
  inside one wing); grimp, which import-linter is built on, reads every import, inside functions too.
- Imports inside functions stay rare in app/ (under 5 per 1,000 lines) and each says why it is there
  (a heavy or optional module: torch, pdfium, streamlit outside the UI…), on its line or the line above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

grimp = pytest.importorskip("grimp")  # installed with import-linter (the dev extra)

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "ingest", "retrieval", "model")


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.find_modules_directly_imported_by(w)))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_no_module_imports_another_that_imports_it_back():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert not _cycles(graph), "import circles:\n" + "\n".join(" ↔ ".join(c) for c in _cycles(graph))


def test_the_cycle_finder_sees_a_circle():
    class Planted:
        modules = {"a", "b", "c", "d"}
        edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

        def find_modules_directly_imported_by(self, m):
            return self.edges.get(m, set())

    assert _cycles(Planted()) == [["a", "b", "c"]]


def _imports_in_functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def walk(node, inside):
        for child in ast.iter_child_nodes(node):
            if inside and isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child
            yield from walk(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    return list(walk(tree, False))


def test_imports_inside_functions_are_rare_and_say_why():
    lines = found = 0
    silent = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        text = path.read_text(encoding="utf-8").splitlines()
        lines += len(text)
        for node in _imports_in_functions(path):
            found += 1
            here, above = text[node.lineno - 1], text[node.lineno - 2].strip()
            if "#" not in here and not above.startswith("#"):
                silent.append(f"{path.relative_to(ROOT)}:{node.lineno}: {here.strip()}")
    assert found * 1000 / lines < 5, f"{found} imports inside functions in {lines} lines of app/"
    assert not silent, "imports inside functions without a reason:\n" + "\n".join(silent)
