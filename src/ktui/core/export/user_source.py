"""Your layer files (``--layers``) copied into the exported script, so it runs anywhere.

The text is the file exactly as ktui imported it (its sha256 is the one the run's spec
records; the run keeps the same copy in ``RUN/layers/``), less its ``from __future__``
imports, which may only open a file (the script has its own). It is the user's own code, in
the script because they named the file with ``--layers``: a spec alone can never put code
here, since exporting a run of user layers needs the file loaded and its hash matching the
spec's record. The path and hash reach the script only as literals. A name the file defines
at its top level that the rest of the script also defines would silently replace one of
them, so the export is refused naming it.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from ktui.core import user_layers
from ktui.core.export.literals import ExportError, literal


def _without_future(source: str) -> str:
    """``source`` with its ``from __future__ import ...`` statements blanked out (line
    numbers kept)."""
    lines = source.splitlines()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            for n in range(node.lineno - 1, (node.end_lineno or node.lineno)):
                lines[n] = ""
    return "\n".join(lines).strip("\n") + "\n"


def _bindings(source: str) -> dict[str, tuple[str, ...]]:
    """Top-level names a module binds, each with what it binds (an import's module, or
    ``def``/``assign`` for its own objects)."""
    found: dict[str, tuple[str, ...]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                found[name] = ("import", alias.name if alias.asname else name)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                found[alias.asname or alias.name] = ("from", node.module or "", alias.name)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[node.name] = ("def", str(node.lineno))
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        found[sub.id] = ("assign", str(node.lineno))
    return found


def clashes(user_code: str, script: str) -> list[str]:
    """Names bound at the top level of both, other than the same import."""
    mine, theirs = _bindings(user_code), _bindings(script)
    return sorted(name for name, what in mine.items() if name in theirs and (
        what[0] not in ("import", "from") or theirs[name] != what))


def layer_files_source(spec_layers: Sequence[object]) -> tuple[str, str]:
    """The ``LAYER_FILES`` constant (path and sha256 of each file, as literals) and the files'
    code, for the layers used; ("", "") when none is a user's."""
    files = user_layers.files_used(spec_layers)
    if not files:
        return "", ""
    table = [[str(f.path), f.sha256] for f in files]
    constant = (f"LAYER_FILES = {literal(table, 'layer_files')}  "
                "# your layer files (--layers): path, sha256\n")
    code = "\n\n".join(_without_future(f.source) for f in files)
    return constant, code


def check_clashes(user_code: str, rest: str) -> None:
    """Refuse a layer file whose top-level names the script also uses."""
    names = clashes(user_code, rest)
    if names:
        shown = ", ".join(names[:8])
        raise ExportError(f"layer_files: your layer file defines {shown}, which the exported "
                          "script also defines; rename them in your file (or make them "
                          "private to a class) and export again")


__all__ = ["check_clashes", "clashes", "layer_files_source"]
