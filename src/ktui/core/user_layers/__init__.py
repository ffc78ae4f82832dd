"""Your own layers: a Python file of ``keras.layers.Layer`` classes, named by an explicit flag.

``ktui --layers my_layers.py`` (``ktui train --layers F``, repeatable; ``KTUI_LAYERS``, a path
list) imports the file (:mod:`.loading`: the only place a user's code is imported, and only
for a path the user named) and offers every layer class in it beside ktui's own kinds
(:mod:`.registry`): the form comes from each class's ``__init__`` (:mod:`.params`), its shapes
are worked out by TensorFlow off the UI thread (:mod:`.shapes`), and what an author needs
checked runs before training (:mod:`.checks`). A spec that uses one records the file's path
and sha256 (``[[layer_files]]``); reading it without the file loaded, or with another
content, stops and says which file to pass. An exception in the user's code is theirs, said
with their lines (:mod:`.errors`).

Importing this package imports neither TensorFlow nor any user code.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ktui.core.user_layers.errors import LayerFileError, UserFailure, user_failure
from ktui.core.user_layers.in_use import (
    RUN_FOLDER,
    RecordCheck,
    copy_into,
    file_records,
    files_used,
    generation,
    layer_class,
    read_records,
    register,
    registered,
    user_kind,
)
from ktui.core.user_layers.kinds import LayerFile, ShapePending, UserKind
from ktui.core.user_layers.shapes import resolve_shapes, uses_user_layers
from ktui.core.user_layers.shapes import version as shapes_version

#: The environment variable naming layer files, as a path list (``:`` between on POSIX).
ENV = "KTUI_LAYERS"


def env_paths() -> list[str]:
    """The paths in ``$KTUI_LAYERS`` (empty entries left out)."""
    return [p for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()]


def load_files(paths: Iterable[str | os.PathLike[str]]) -> list[LayerFile]:
    """Import each file (once, however often it is named); every problem of every file in
    one :class:`LayerFileError`."""
    from ktui.core.user_layers.loading import load_file

    files: list[LayerFile] = []
    seen: set[Path] = set()
    problems: list[str] = []
    for path in paths:
        try:
            loaded = load_file(path)
        except LayerFileError as err:
            problems += err.problems
            continue
        if loaded.path not in seen:
            seen.add(loaded.path)
            files.append(loaded)
    if problems:
        raise LayerFileError(problems)
    return files


def use_files(paths: Iterable[str | os.PathLike[str]]) -> list[LayerFile]:
    """Import the files and offer their layers (``--layers``); LayerFileError changes
    nothing."""
    register(load_files(paths))
    return list(registered())  # as offered: each kind with the name specs give it


def reload() -> list[LayerFile]:
    """Import the registered files again (the user edited them; ``r``) and offer the new
    classes. On any problem the earlier classes stay and LayerFileError says why."""
    return use_files([f.path for f in registered()])


def reload_changed() -> bool:
    """Import the registered files again when one of them changed on disk since it was
    imported (the user edited it after a failed run, then ``r``); whether it did. On a
    problem the earlier classes stay and :class:`LayerFileError` says why."""
    import hashlib

    def changed(f: LayerFile) -> bool:
        try:
            return hashlib.sha256(f.path.read_bytes()).hexdigest() != f.sha256
        except OSError:
            return True  # gone or unreadable: reloading says which and why

    if not any(changed(f) for f in registered()):
        return False
    reload()
    return True


def failure_of(err: BaseException) -> UserFailure | None:
    """``err`` as the user's own failure (a frame in a registered file), or None."""
    files = {str(f.path): f.class_lines for f in registered()}
    return user_failure(err, files) if files else None


def state_token() -> tuple[int, int]:
    """Changes whenever the offered kinds or a worked-out shape change (views redraw)."""
    return generation(), shapes_version()


__all__ = [
    "ENV", "RUN_FOLDER", "LayerFile", "LayerFileError", "RecordCheck", "ShapePending",
    "UserFailure", "UserKind", "copy_into", "env_paths", "failure_of", "file_records",
    "files_used", "generation", "layer_class", "load_files", "read_records", "register",
    "registered", "reload", "reload_changed", "resolve_shapes", "state_token", "use_files",
    "user_kind",
    "uses_user_layers",
]
