"""Your layer files in a sweep (``ktui sweep --layers FILE``).

The study keeps each layer file the base spec uses, by path and sha256
(:attr:`SweepConfig.layers`), so a worker that joins from another process or another box is
refused in one line when it was not given the same file (same content; the path may differ
from box to box), instead of failing every trial with the spec's longer complaint. Workers and
isolated trials get the files this process loaded, as ``--layers`` arguments.
Pure Python: no TensorFlow, no user code imported here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ktui.core.sweep.study import SweepConfig
from ktui.core.text import clean


@dataclass(frozen=True)
class NamedFile:
    """A layer file named on the command line, by its bytes (not imported)."""

    path: Path
    sha256: str


def files_named(paths: Iterable[str]) -> list[NamedFile]:
    """The named files' paths and sha256, read but not imported: a wrong file is refused
    before any of its code runs (one that cannot be read is left to the import to say)."""
    out = []
    for p in paths:
        try:
            path = Path(p).expanduser().resolve()
            out.append(NamedFile(path, hashlib.sha256(path.read_bytes()).hexdigest()))
        except OSError:
            continue
    return out


def layer_records(spec_data: dict[str, Any]) -> list[dict[str, str]]:
    """The base spec's ``[[layer_files]]`` as the study keeps them: path and sha256."""
    records = spec_data.get("layer_files") or []
    return [{"path": str(r["path"]), "sha256": str(r.get("sha256", ""))}
            for r in records if isinstance(r, dict) and "path" in r]


def layer_problem(config: SweepConfig, study: str, loaded: Sequence[Any]) -> str | None:
    """Why this process cannot run the study's trials with the layer files it ``loaded``
    (:class:`~ktui.core.user_layers.LayerFile` s: ``path``, ``sha256``); None when it can."""
    have = {f.sha256 for f in loaded}
    for record in config.layers:
        path, sha = clean(record.get("path", "")), record.get("sha256", "")
        if not sha or sha in have:
            continue
        if not loaded:
            return (f"study {clean(study)} trains your layers from {path}: pass --layers "
                    f"{path} (the file as it was, sha256 {sha[:12]}…)")
        same = next((f for f in loaded if str(f.path) == record.get("path")), None)
        if same is not None:
            return (f"--layers {path}: it has changed since study {clean(study)} started "
                    f"(sha256 {sha[:12]}… then, {same.sha256[:12]}… now); pass the file as "
                    "it was (each trial's run keeps a copy in its layers/ folder)")
        given = ", ".join(clean(str(f.path)) for f in loaded)
        return (f"--layers {given}: not the layer file study {clean(study)} started with "
                f"({path}, sha256 {sha[:12]}…); pass that file")
    return None


def layer_args(loaded: Sequence[Any]) -> list[str]:
    """``--layers PATH`` for each loaded file (what a worker or a trial's process needs)."""
    out: list[str] = []
    for f in loaded:
        out += ["--layers", str(f.path)]
    return out
