"""No import circles between VIVIM's modules, counting imports inside functions and TYPE_CHECKING blocks.

A circle hides which module is the foundation of which, and a lazy import that closes one is a
circle all the same (it only fails later, at run time). The layers contract in pyproject.toml
(`lint-imports`) says which packages may import which; this test says no module reaches itself.
"""

from __future__ import annotations

import grimp


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm, iterative: groups of modules that import one another (size > 1)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph("vivim", cache_dir=None)
    assert "vivim.retrieval.search" in graph.modules  # the graph is the real package's
    assert strongly_connected(graph) == []


def test_the_circle_finder_finds_a_circle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")
    assert strongly_connected(graph) == [["a.x", "a.y"]]


def test_the_modules_the_migrations_import_load_on_their_own() -> None:
    """Importing `vivim.store.<x>` first runs `vivim/store/__init__.py`, which loads the migrations, which
    import these modules: a module-level import of the store in one of them is a circle grimp cannot see
    (package initialisation), and it fails only when that module is the first one a process imports."""
    import subprocess
    import sys

    graph = grimp.build_graph("vivim")
    modules = sorted(m for m in graph.find_modules_directly_imported_by("vivim.store.migrations"))
    assert "vivim.retrieval.vectors" in modules
    failed = {}
    for module in modules:
        run = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
        if run.returncode:
            failed[module] = run.stderr.strip().splitlines()[-1]
    assert failed == {}
