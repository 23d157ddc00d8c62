#!/usr/bin/env python3
"""The dependency graph of ``bansou_sync``, read from its imports, and the layer drawing
of ``docs/architecture.md``.

Every ``import`` and ``from … import`` counts, at module level and inside functions (a
function-level import is still a dependency, only a later one); imports under
``if TYPE_CHECKING:`` do not (they never run). ``tests/unit/test_architecture.py`` uses
the same functions to check the arrows and that the document is current.

    scripts/import_graph.py            # rewrite docs/architecture.md
    scripts/import_graph.py --check    # exit 1 when docs/architecture.md is stale
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "bansou_sync"
DOC = ROOT / "docs" / "architecture.md"

# (layer, what it is), in the order the document lists them
LAYERS: tuple[tuple[str, str], ...] = (
    (
        "core",
        "the programme's rules and the plan of a cycle: pure functions over plain data —"
        " no I/O, no clock, no logging (`bansou_sync/core/`).",
    ),
    (
        "ports",
        "the small Protocols between the app and the outside world, and the plain types"
        " that cross them (`bansou_sync/ports.py`).",
    ),
    (
        "errors",
        "the one exception tree, drawn in its docstring (`bansou_sync/errors.py`).",
    ),
    (
        "crashpoints",
        "deterministic crash and pause points for the tests, used by the app and the sheet"
        " adapters alike (`bansou_sync/crashpoints.py`).",
    ),
    (
        "app",
        "the orchestration: a cycle reads through the ports, asks the core, records, sends"
        " and writes; it knows no library and no configuration file (`bansou_sync/app/`).",
    ),
    (
        "adapters",
        "one per backend: Forms, Sheets, Gmail, SMTP, the CSV and folder backends, the"
        " SQLite ledger; library errors are translated here (`bansou_sync/adapters/`).",
    ),
    (
        "setup_tools",
        "what the IT helper runs once at set-up (doctor, init-sheet, inspect-form,"
        " google-selftest); beside the CLI, so it may use adapters and configuration"
        " (`bansou_sync/setup_tools/`).",
    ),
    (
        "shell",
        "the command line (`cli*.py`), the configuration (`config*.py`), the composition"
        " root (`bootstrap.py`), the scheduled service (`service.py`) and logging: the"
        " only layer that knows every other one.",
    ),
    (
        "emulator",
        "a local stand-in for the Google APIs, for tests and trials; it imports nothing of"
        " the product (`bansou_sync/emulator/`).",
    ),
)
SINGLE_MODULE_LAYERS = {"ports", "errors", "crashpoints"}


@dataclass
class Module:
    name: str
    path: Path
    lines: int
    imports: set[str] = field(default_factory=set)  # modules of bansou_sync it imports
    external: set[str] = field(default_factory=set)  # top-level names of other packages


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: anywhere, but not under TYPE_CHECKING."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _absolute(node: ast.ImportFrom, name: str, is_package: bool) -> str:
    """The module ``from …`` names, relative imports resolved against ``name``."""
    if not node.level:
        return node.module or ""
    base = name.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def read_modules(src: Path) -> dict[str, Module]:
    """Every module of the package under ``src`` with what it imports."""
    paths = sorted((src / PACKAGE).rglob("*.py"))
    modules = {
        module_name(p, src): Module(module_name(p, src), p, len(p.read_text("utf-8").splitlines()))
        for p in paths
    }
    for module in modules.values():
        is_package = module.path.name == "__init__.py"
        tree = ast.parse(module.path.read_text("utf-8"), str(module.path))
        for node in _import_nodes(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                origin = _absolute(node, module.name, is_package)
                # ``from pkg import sub`` imports the submodule when there is one
                targets = [
                    f"{origin}.{a.name}" if f"{origin}.{a.name}" in modules else origin
                    for a in node.names
                ]
            for target in targets:
                if target == PACKAGE or target.startswith(PACKAGE + "."):
                    found = _known(target, modules)
                    if found and found != module.name:
                        module.imports.add(found)
                elif target:
                    module.external.add(target.split(".")[0])
    return modules


def _known(target: str, modules: Mapping[str, Module]) -> str | None:
    parts = target.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def layer_of(name: str) -> str:
    parts = name.split(".")
    if len(parts) == 1:
        return "shell"  # the package itself (its version)
    head = parts[1]
    if head in ("core", "app", "adapters", "setup_tools", "emulator"):
        return head
    if head in SINGLE_MODULE_LAYERS:
        return head
    return "shell"  # cli*, bootstrap, service, config*, logging_setup


def layer_edges(modules: Mapping[str, Module]) -> dict[tuple[str, str], int]:
    """(from layer, to layer) → how many module imports make that arrow."""
    edges: dict[tuple[str, str], int] = {}
    for module in modules.values():
        for target in module.imports:
            pair = (layer_of(module.name), layer_of(target))
            if pair[0] != pair[1]:
                edges[pair] = edges.get(pair, 0) + 1
    return edges


def cycles(modules: Mapping[str, Module]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm):
    each is a set of modules that import each other, directly or through others."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(modules[start].imports)))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(modules[child].imports))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for name in sorted(modules):
        if name not in index:
            visit(name)
    return sorted(found)


def render(modules: Mapping[str, Module]) -> str:
    """docs/architecture.md: the layers, their arrows (module imports per arrow), and a
    sentence for each layer."""
    edges = layer_edges(modules)
    counts: dict[str, int] = {}
    for name in modules:
        counts[layer_of(name)] = counts.get(layer_of(name), 0) + 1
    lines = [
        "# Architecture: which layer imports which",
        "",
        "<!-- generated by scripts/import_graph.py from the imports; do not edit by hand."
        " tests/unit/test_architecture.py fails when it is stale. -->",
        "",
        "An arrow `A --> B` means modules of A import modules of B (the number: how many"
        " such imports). Imports inside functions count; imports under `TYPE_CHECKING` do"
        " not. The rules the test enforces: core imports only core (and errors); app"
        " imports core, ports, errors and crashpoints; adapters import ports, core,"
        " errors and crashpoints; the emulator imports nothing of the product; no two"
        " modules import each other, directly or in a ring; `sqlite3` only in adapters; no"
        " module over 400 lines outside the emulator.",
        "",
        "```mermaid",
        "flowchart TD",
    ]
    for layer, _ in LAYERS:
        n = counts.get(layer, 0)
        lines.append(f"    {layer}[{layer} · {n} module{'' if n == 1 else 's'}]")
    for (source, target), n in sorted(edges.items()):
        lines.append(f"    {source} -->|{n}| {target}")
    lines += ["```", "", "## The layers", ""]
    for layer, sentence in LAYERS:
        lines.append(f"- **{layer}** — {sentence}")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the doc is current")
    args = parser.parse_args(argv)
    text = render(read_modules(ROOT))
    if args.check:
        current = DOC.read_text("utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC.relative_to(ROOT)} is stale: run scripts/import_graph.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, "utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
