"""Tree-shaking the exported script: it holds only what its own code names.

Every piece the script may hold (a layer class, a helper, a table, a metric, a stop rule) is
one top-level definition with a name. A piece's needs are not listed by hand: they are the
names its source reads (``ast``), so a helper comes along exactly when something that is in
the script calls it, and a change to ktui's copied code carries its own dependencies. The
script's fixed parts (the data loader, ``build_model()``, the training loop) are the roots.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping


def names_read(source: str) -> set[str]:
    """Every plain name ``source`` mentions (``Dense`` in ``Dense(...)``, ``keras`` in
    ``keras.layers``), annotations included: what it may need from the script around it."""
    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}


def top_level(text: str) -> dict[str, str]:
    """A module's top-level functions, classes and single-name assignments, by name, as
    source in the module's order (decorators dropped: the script registers nothing)."""
    segment = _Segments(text)
    found: dict[str, str] = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            found[node.name] = segment(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                found[targets[0].id] = segment(node)
    return found


class _Segments:
    """``ast.get_source_segment`` for many nodes of one text: the text is split into lines
    once (``get_source_segment`` splits the whole text at every call, so a module's
    definitions cost its length times their number: 15-25 s for a large module)."""

    def __init__(self, text: str) -> None:
        self._lines = [line.encode() for line in text.splitlines(keepends=True)]

    def __call__(self, node: ast.stmt) -> str:
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        end = node.end_col_offset if node.end_col_offset is not None else len(self._lines[last])
        if first == last:  # column offsets count UTF-8 bytes
            return self._lines[first][node.col_offset:end].decode()
        parts = [self._lines[first][node.col_offset:], *self._lines[first + 1:last],
                 self._lines[last][:end]]
        return b"".join(parts).decode()


def needed(roots: Iterable[str], library: Mapping[str, str]) -> set[str]:
    """The names of ``library`` (name -> source) that ``roots`` need, directly or through
    each other."""
    wanted = [name for name in roots if name in library]
    found: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in found:
            continue
        found.add(name)
        wanted.extend(n for n in names_read(library[name]) if n in library and n not in found)
    return found


__all__ = ["names_read", "needed", "top_level"]
