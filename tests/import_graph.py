"""The project's import graph, read from the source with `ast` (nothing is imported or run).

Run it to see the layout: `.venv/bin/python tests/import_graph.py` prints the module count,
the largest modules, the imports that cross from one concern to another, the import cycles
and the imports placed below a module's code. tests/test_layout.py holds the rules to it.
"""

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accessions", "archive")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    files = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            files[module_name(path)] = path
    return files


def imported_modules(tree: ast.AST, known: set[str]) -> set[str]:
    """The project modules a module imports, at any depth of its code (lazy imports too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from package import module` imports the module as well as the package.
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            # `import a.b.c` runs a, a.b and a.b.c; the deepest known one is the edge.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def late_imports(tree: ast.Module) -> list[int]:
    """Lines of module-level imports that come after the module's first other statement."""
    lines, code_started = [], False
    for index, node in enumerate(tree.body):
        is_docstring = (
            index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        )
        if isinstance(node, ast.Import | ast.ImportFrom):
            if code_started:
                lines.append(node.lineno)
        elif not is_docstring:
            code_started = True
    return lines


def import_graph() -> tuple[dict[str, set[str]], dict[str, ast.Module]]:
    files = source_files()
    trees = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in files.items()}
    known = set(files)
    graph = {}
    for name, tree in trees.items():
        # A package's parents run before it; that is not an edge worth drawing.
        graph[name] = {m for m in imported_modules(tree, known) if m != name}
    return graph, trees


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index, lowlink, on_stack, stack, groups = {}, {}, set(), [], []
    counter = 0

    def visit(node):
        nonlocal counter
        index[node] = lowlink[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                lowlink[node] = min(lowlink[node], lowlink[target])
            elif target in on_stack:
                lowlink[node] = min(lowlink[node], index[target])
        if lowlink[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def concern(module: str) -> str:
    """`accessions.scans.ingest` belongs to `scans`; top-level modules to themselves."""
    parts = module.split(".")
    return parts[1] if parts[0] == "accessions" and len(parts) > 2 else module


def concern_edges(graph: dict[str, set[str]]) -> dict[tuple[str, str], set[str]]:
    """Imports from one concern package into another, with the modules that make them."""
    edges = defaultdict(set)
    for source, targets in graph.items():
        for target in targets:
            if concern(source) != concern(target):
                edges[concern(source), concern(target)].add(f"{source} -> {target}")
    return edges


def main() -> None:
    graph, trees = import_graph()
    files = source_files()
    sizes = sorted(
        (
            (len(path.read_text(encoding="utf-8").splitlines()), name)
            for name, path in files.items()
        ),
        reverse=True,
    )
    print(f"modules: {len(files)} (of which migrations: {sum('migrations' in n for n in files)})")
    print("largest:", ", ".join(f"{name} ({lines})" for lines, name in sizes[:5]))
    found = cycles(graph)
    print(f"import cycles: {len(found)}")
    for group in found:
        print("  " + " <-> ".join(group))
    late = {name: late_imports(tree) for name, tree in trees.items()}
    late = {name: lines for name, lines in late.items() if lines}
    print(f"modules with imports below their code: {len(late)}")
    for name, lines in sorted(late.items()):
        print(f"  {name}: lines {', '.join(map(str, lines))}")
    print("imports between concerns:")
    for (source, target), examples in sorted(concern_edges(graph).items()):
        if source.startswith("accessions.") or target.startswith("accessions."):
            continue  # the wiring modules (accessions.models, .urls, .admin) import every concern
        print(f"  {source} -> {target} ({len(examples)})")


if __name__ == "__main__":
    main()
