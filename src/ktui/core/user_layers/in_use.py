"""The layer files in use, their kinds in the catalog, and how specs record them.

:func:`register` puts the kinds of the given files into
:data:`ktui.core.catalog.LAYER_KINDS` (replacing any earlier user kinds), so the form, the
validator, the builder and the exporter offer them beside ktui's own. A spec that uses one
records its file in ``[[layer_files]]`` (path, sha256, classes); reading such a spec checks
the record against what is registered, never importing anything itself (:class:`RecordCheck`).
Pure Python: registering mutates tables, loading (:mod:`.loading`) is what runs code.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ktui.core.catalog import LAYER_KINDS
from ktui.core.text import brief, clean
from ktui.core.user_layers.errors import LayerFileError
from ktui.core.user_layers.kinds import LayerFile, UserKind

_lock = threading.Lock()
_files: list[LayerFile] = []
_generation = [0]
_SHA = re.compile(r"[0-9a-f]{64}")
#: Where a run keeps a copy of each layer file it used.
RUN_FOLDER = "layers"


def registered() -> tuple[LayerFile, ...]:
    """The layer files whose kinds are offered now, in the order they were given."""
    return tuple(_files)


def generation() -> int:
    """Grows with every :func:`register` (a view of the kinds redraws when it changes)."""
    return _generation[0]


def register(files: Sequence[LayerFile]) -> None:
    """Offer exactly the kinds of ``files`` (earlier user kinds are withdrawn). Each class is
    a kind as ``STEM.Class`` (``my_layers.Linear``), and as plain ``Class`` when no other kind
    (ktui's own or another file's) has that name; ktui's own kinds keep their names. Raises
    :class:`LayerFileError` and changes nothing when two files of the same stem define the
    same class."""
    builtin = {k for k, v in LAYER_KINDS.items() if not isinstance(v, UserKind)}
    counts: dict[str, int] = {}
    for f in files:
        for kind in f.kinds:
            counts[kind.class_name] = counts.get(kind.class_name, 0) + 1
    seen: dict[str, LayerFile] = {}
    problems = []
    named: list[LayerFile] = []
    for f in files:
        kinds = []
        for kind in f.kinds:
            other = seen.setdefault(kind.qualified, f)
            if other is not f:
                problems.append(f"{clean(str(f.path))}, line {kind.line}: class "
                                f"{kind.class_name} is also defined in {clean(str(other.path))}"
                                f", a file of the same name; rename one of the files")
            plain = kind.class_name not in builtin and counts[kind.class_name] == 1
            kinds.append(replace(kind, name=kind.class_name if plain else kind.qualified))
        named.append(replace(f, kinds=tuple(kinds)))
    if problems:
        raise LayerFileError(problems)
    with _lock:
        for name in [k for k, v in LAYER_KINDS.items() if isinstance(v, UserKind)]:
            del LAYER_KINDS[name]
        for f in named:
            for kind in f.kinds:
                for name in sorted(kind.names, key=lambda n: n != kind.name):
                    LAYER_KINDS[name] = kind
        _files[:] = named
        _generation[0] += 1


def offered(kind_name: str) -> bool:
    """Whether ``kind_name`` is how the form lists its kind (a user kind's other name, its
    ``STEM.Class``, is a spec's alias, not a second entry)."""
    kind = LAYER_KINDS.get(kind_name)
    return kind is not None and kind.name == kind_name


def user_kind(name: Any) -> UserKind | None:
    kind = LAYER_KINDS.get(name) if isinstance(name, str) else None
    return kind if isinstance(kind, UserKind) else None


def layer_class(name: str) -> Any:
    """The user's class for kind ``name`` (KeyError when it is not a user kind)."""
    kind = user_kind(name)
    if kind is None:
        raise KeyError(name)
    return kind.cls


def file_of(kind: UserKind) -> LayerFile | None:
    return next((f for f in _files if any(k.qualified == kind.qualified and
                                          k.sha256 == kind.sha256 for k in f.kinds)), None)


def files_used(layers: Iterable[Any]) -> list[LayerFile]:
    """The registered files whose kinds ``layers`` use, in registration order."""
    kinds = {getattr(layer, "kind", None) for layer in layers}
    return [f for f in _files if any(k.names & kinds for k in f.kinds)]


def file_records(layers: Sequence[Any]) -> list[dict[str, Any]]:
    """``[[layer_files]]`` for a spec: each file used, its sha256 and the kinds used (as
    the spec names them)."""
    names = list(dict.fromkeys(getattr(layer, "kind", None) for layer in layers))
    return [{"path": str(f.path), "sha256": f.sha256,
             "classes": [n for n in names if any(n in k.names for k in f.kinds)]}
            for f in files_used(layers)]


# ---- reading a spec's records -----------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    """One ``[[layer_files]]`` entry as a spec holds it."""

    path: str
    sha256: str
    classes: tuple[str, ...]


def read_records(raw: Any, errors: list[str]) -> list[Record]:
    """The spec's ``layer_files`` (a list of tables: path, sha256, classes); each entry that
    is not one is a problem in ``errors``."""
    if not isinstance(raw, list):
        errors.append(f"layer_files: must be a list of tables ([[layer_files]] with path, "
                      f"sha256, classes), got {brief(raw)}")
        return []
    records = []
    for i, item in enumerate(raw):
        where = f"layer_files: entry {i + 1}"
        if not isinstance(item, dict):
            errors.append(f"{where}: must be a table with path, sha256, classes, got "
                          f"{brief(item)}")
            continue
        unknown = [k for k in item if k not in ("path", "sha256", "classes")]
        path, sha, classes = item.get("path"), item.get("sha256", ""), item.get("classes", [])
        if unknown:
            errors.append(f"{where}: unknown key {brief(unknown[0])} (expected path, sha256, "
                          "classes)")
        elif not isinstance(path, str) or not path.strip():
            errors.append(f"{where}: path must be the layer file's path, got {brief(path)}")
        elif not isinstance(sha, str) or (sha and not _SHA.fullmatch(sha)):
            errors.append(f"{where}: sha256 must be 64 hex digits, got {brief(sha)}")
        elif not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            errors.append(f"{where}: classes must be a list of class names, got "
                          f"{brief(classes)}")
        else:
            records.append(Record(path, sha, tuple(classes)))
    return records


class RecordCheck:
    """Layers of a spec read against its ``[[layer_files]]`` and the registered kinds.

    A layer is *foreign* when its kind is recorded as a class of a layer file and that file
    is not loaded (or is loaded with another content): reading the spec then stops with one
    line per file saying which file to pass, unless ``lenient`` (listing past runs), where the
    layer is kept as it is, unchecked.
    """

    def __init__(self, records: Sequence[Record], lenient: bool = False) -> None:
        self.records = list(records)
        self.lenient = lenient
        #: Recorded file -> the layers (index, kind) it should give; and, when the loaded
        #: file has another content, that file and its hash.
        self._missing: dict[str, list[tuple[int, str]]] = {}
        self._changed: dict[str, tuple[Record, UserKind, list[tuple[int, str]]]] = {}

    def foreign(self, index: int, kind: Any) -> bool:
        """Whether layer ``index`` of ``kind`` comes from a file that is not usable now."""
        if not isinstance(kind, str):
            return False
        listed = [r for r in self.records if kind in r.classes]
        mine = user_kind(kind)
        if mine is not None:
            if not listed or any(r.sha256 in ("", mine.sha256) for r in listed):
                return False
            record = listed[0]
            self._changed.setdefault(record.path, (record, mine, []))[2].append((index, kind))
            return True
        if kind in LAYER_KINDS or not listed:
            return False
        self._missing.setdefault(listed[0].path, []).append((index, kind))
        return True

    def problems(self) -> list[str]:
        """One line per file to pass; none when lenient."""
        if self.lenient:
            return []
        lines = [f"{_layers_words(layers)}: from {clean(path)}, which ktui imports only when "
                 f"you name it: pass --layers {clean(path)}"
                 for path, layers in self._missing.items()]
        for path, (record, mine, layers) in self._changed.items():
            now = "" if mine.path == path else f" in {clean(mine.path)}"
            lines.append(
                f"{_layers_words(layers)}: {clean(path)} has changed since this spec was saved "
                f"(sha256 {record.sha256[:12]}… then, {mine.sha256[:12]}… now{now}); pass "
                f"--layers with the file as it was (a run keeps a copy in its {RUN_FOLDER}/ "
                "folder), or delete the spec's [[layer_files]] entry to use it as it is now")
        return lines


def _layers_words(layers: list[tuple[int, str]]) -> str:
    """``layer 2 (MyDense)``, ``layers 1, 3 (Centered, MyDense)``."""
    numbers = ", ".join(str(i + 1) for i, _ in layers)
    kinds = ", ".join(dict.fromkeys(k for _, k in layers))
    return f"layer{'s' * (len(layers) > 1)} {numbers} ({kinds})"


# ---- runs -------------------------------------------------------------------------------------

def copy_into(run_path: Path, layers: Sequence[Any]) -> list[Path]:
    """Keep a copy of every layer file ``layers`` use in ``RUN/layers/`` (the exact text that
    was imported); returns the copies' paths. OSError when the disk refuses."""
    from ktui.core.files import atomic_write

    used = files_used(layers)
    if not used:
        return []
    folder = run_path / RUN_FOLDER
    folder.mkdir(exist_ok=True)
    written: list[Path] = []
    for f in used:
        target = folder / f.name
        n = 1
        while target in written:
            n += 1
            target = folder / f"{f.path.stem}-{n}{f.path.suffix}"
        atomic_write(target, f.source)
        written.append(target)
    return written


__all__ = ["RUN_FOLDER", "Record", "RecordCheck", "copy_into", "file_of", "file_records",
           "files_used", "generation", "layer_class", "offered", "read_records", "register",
           "registered", "user_kind"]
