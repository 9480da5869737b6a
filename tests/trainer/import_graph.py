"""The import graph of the ``trainer`` package, read from the source (nothing is imported).

Every ``import`` / ``from ... import`` statement is an edge, wherever it sits: at module level or inside a
function. Imports inside functions are what let a package hide a circle (Python resolves them late), so they
are counted as edges here just like top-level ones. ``python tests/trainer/import_graph.py`` prints the
circles (strongly connected components) and every function-level import.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "trainer"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Import:
    """One import statement that names a trainer module."""

    importer: str  # dotted module doing the import, e.g. "trainer.graph"
    target: str  # dotted trainer module imported, e.g. "trainer.session"
    line: int
    in_function: bool


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (``__init__`` names the package)."""
    out = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module a dotted name refers to: itself, or its longest prefix that is a module."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    """``from ..x import y`` inside ``module`` -> the absolute dotted name of ``..x``."""
    if level == 0:
        return name or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports(root: Path = ROOT) -> list[Import]:
    """Every import of one trainer module by another, top-level and inside functions."""
    modules = module_files(root)
    found = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        for node, in_function in _walk(tree, False):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(module, is_package, node.level, node.module)
                # `from trainer import graph` imports the submodule trainer.graph when there is one.
                targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
                targets = [t if t in modules else base for t in targets]
            for name in targets:
                target = _resolve(name, modules)
                if target is not None and target != module:
                    found.append(Import(module, target, node.lineno, in_function))
    return found


def _walk(node: ast.AST, in_function: bool):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function
        inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from _walk(child, inner)


def _package_inits(importer: str, target: str) -> list[str]:
    """The ``__init__`` modules that importing ``target`` from ``importer`` runs first: those of the
    sub-packages above ``target`` that ``importer`` is not itself inside (its own packages are already being
    initialized). The root is left out: ``trainer/__init__`` is the public facade, the top of the layers."""
    parts = target.split(".")
    return [
        pkg
        for pkg in (".".join(parts[:i]) for i in range(2, len(parts)))
        if pkg != importer and not importer.startswith(pkg + ".")
    ]


def graph(edges: list[Import], with_packages: bool = False) -> dict[str, set[str]]:
    """Adjacency sets. ``with_packages`` adds the implicit edge from a module to the sub-packages above
    what it imports (whose ``__init__`` runs first)."""
    adj: dict[str, set[str]] = {m: set() for m in module_files()}
    for imp in edges:
        adj[imp.importer].add(imp.target)
        if with_packages:
            adj[imp.importer].update(_package_inits(imp.importer, imp.target))
    return adj


def cycles(adj: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(adj[v]):
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
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(adj)))
    for v in sorted(adj):
        if v not in index:
            visit(v)
    return sorted(out, key=len, reverse=True)


def main() -> None:
    edges = imports()
    late = [e for e in edges if e.in_function]
    for label, adj in (("modules", graph(edges)), ("modules + sub-package inits", graph(edges, True))):
        found = cycles(adj)
        print(f"circles ({label}): {len(found)}, sizes {[len(c) for c in found]}")
        for comp in found:
            print("  " + " ".join(comp))
    print(f"imports of trainer modules: {len(edges)}, inside functions: {len(late)}")
    for e in late:
        print(f"  {e.importer}:{e.line} -> {e.target}")


if __name__ == "__main__":
    main()
