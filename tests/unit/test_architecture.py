"""The house rules of the source tree, checked on its import graph (read with ``ast``, nothing
imported): one room per concept stays that way only while something fails when it does not.

* no circle of imports (function-level imports count: they hide a dependency, they do not
  remove it), except type-only ones under ``TYPE_CHECKING``;
* the layers point one way: ``core`` imports neither ``ui`` nor ``cli``, ``ui`` not ``cli``;
* no module over 400 lines, no module-level ``__getattr__`` (names must be importable where
  they live);
* Textual's private names only in the one documented shim (:mod:`ktui.ui.safety`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
MAX_LINES = 400
#: The one file allowed to touch a private Textual name (README: Architecture, the shim).
SHIM = SRC / "ktui" / "ui" / "safety.py"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _owner(name: str) -> str | None:
    """The module of ours that ``name`` (a module or ``module.attribute``) lives in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def _imports(module: str, path: Path) -> set[str]:
    """The modules of ours that ``module`` imports at run time, anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(o for a in child.names if (o := _owner(a.name)))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - child.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                for alias in child.names:
                    owner = _owner(f"{base}.{alias.name}") or _owner(base)
                    if owner:
                        found.add(owner)
            visit(child)

    visit(tree)
    found.discard(module)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
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
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def test_the_graph_is_read() -> None:
    # The checks below mean something only if the reader sees the real edges.
    assert "ktui.core.spec.model" in GRAPH["ktui.core.spec.toml"]
    assert "ktui.core.events.codec" in GRAPH["ktui.core.events"]
    assert "ktui.core.training.loop" in GRAPH["ktui.core.session"]  # a function-level import


def test_no_import_circles() -> None:
    assert _cycles(GRAPH) == []


def test_a_circle_would_be_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def _layer(module: str) -> int:
    if module.startswith("ktui.core"):
        return 0
    if module.startswith("ktui.ui"):
        return 1
    return 2  # ktui.cli, ktui.__main__, the package itself


@pytest.mark.parametrize("layer", ["ktui.core", "ktui.ui"])
def test_layers_import_downward_only(layer: str) -> None:
    upward = sorted(f"{module} -> {target}" for module, targets in GRAPH.items()
                    if module.startswith(layer) for target in targets
                    if _layer(target) > _layer(module) and target != "ktui")
    assert upward == []


def test_no_module_is_over_400_lines() -> None:
    long = {m: n for m, p in MODULES.items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_no_module_level_getattr() -> None:
    hidden = [m for m, p in MODULES.items()
              if any(isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
                     for node in ast.parse(p.read_text(encoding="utf-8")).body)]
    assert hidden == []


#: ``something._private`` on a Textual object, or an import of a private Textual name.
_PRIVATE = re.compile(r"from textual[\w.]* import [^\n]*\b_[a-z]\w*|"
                      r"\b(?:MessagePump|App|Widget|Screen)\._[a-z]\w*")


def test_private_textual_names_only_in_the_shim() -> None:
    used = sorted(str(p.relative_to(SRC)) for p in MODULES.values()
                  if p != SHIM and _PRIVATE.search(p.read_text(encoding="utf-8")))
    assert used == []
    assert "_dispatch_message" not in "".join(
        p.read_text(encoding="utf-8") for p in MODULES.values() if p != SHIM)
