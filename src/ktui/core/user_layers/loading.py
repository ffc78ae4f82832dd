"""Importing a user's layer file, named by an explicit ``--layers FILE``, into layer kinds.

Only this module imports a user's code, and only when called with a path the user named
(``ktui --layers F``, ``ktui train --layers F``, ``KTUI_LAYERS``, or ``r`` to reload it):
a spec never brings code in by itself. The file is read once; its bytes are hashed (what a
spec records) and are exactly what is imported, through Python's own import system, under a
new module name each time (so a reload gets fresh classes). It is parsed first, so a file
with a syntax error runs nothing.

Every ``keras.layers.Layer`` subclass defined in it (not imported into it; a name starting
with ``_`` is private) becomes a kind named by its class: its parameters from ``__init__``
(:mod:`.params`), its help from its docstring. Each is registered with Keras (package
``ktui_user``, unless the file registers it itself), so a model using it saves and loads with
``safe_mode=True``. Every problem is one line naming the file, the class and the line.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.abc
import importlib.util
import inspect
import itertools
import os
import stat
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from ktui.core.text import clean, identifier
from ktui.core.user_layers.errors import (
    LayerFileError,
    keras2_hint,
    keras_message,
    user_frames,
)
from ktui.core.user_layers.kinds import LayerFile, UserKind
from ktui.core.user_layers.params import init_fields, takes_kwargs, takes_name
from ktui.core.user_layers.shapes import make_infer

#: A layer file larger than this is not a layer file.
MAX_BYTES = 4 * 1024 * 1024
_counter = itertools.count(1)


class _BytesLoader(importlib.abc.SourceLoader):
    """Imports exactly the bytes that were hashed (no second read, no bytecode cache)."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path, self.data = path, data

    def get_filename(self, fullname: str) -> str:
        return self.path

    def get_data(self, path: str) -> bytes:
        return self.data


def _read(path: str | os.PathLike[str]) -> tuple[Path, bytes, str]:
    shown = clean(str(path))
    try:
        resolved = Path(path).expanduser().resolve(strict=True)
        info = resolved.stat()
    except (OSError, RuntimeError, ValueError):
        raise LayerFileError([f"{shown}: no such file; --layers names a Python file that "
                              "defines keras.layers.Layer classes"]) from None
    if stat.S_ISDIR(info.st_mode) or not stat.S_ISREG(info.st_mode):
        raise LayerFileError([f"{shown}: not a file; --layers names a .py file"])
    if resolved.suffix != ".py":
        raise LayerFileError([f"{shown}: not a .py file; --layers names a Python file"])
    if info.st_size > MAX_BYTES:
        raise LayerFileError([f"{shown}: too large for a layer file (over "
                              f"{MAX_BYTES // 2**20} MiB)"])
    try:
        data = resolved.read_bytes()
    except OSError as err:
        raise LayerFileError([f"{shown}: cannot read ({err.strerror or err})"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise LayerFileError([f"{shown}, line {line}: not UTF-8 text; save the file as UTF-8"]
                             ) from None
    return resolved, data, text


def _class_lines(tree: ast.Module) -> dict[str, tuple[int, int]]:
    return {node.name: (node.lineno, node.end_lineno or node.lineno)
            for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}


def _import(resolved: Path, data: bytes, shown: str, name: str) -> ModuleType:
    """Run the file as module ``name``; its problems as LayerFileError with the line."""
    loader = _BytesLoader(str(resolved), data)
    spec = importlib.util.spec_from_loader(name, loader, origin=str(resolved))
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    folder = str(resolved.parent)
    added = folder not in sys.path
    if added:  # its own helper modules import as when it runs as a script
        sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except SyntaxError as err:
        sys.modules.pop(name, None)
        raise LayerFileError([f"{shown}, line {err.lineno}: syntax error: {err.msg}"]) from None
    except Exception as err:  # noqa: BLE001 - the user's code: any exception is theirs
        sys.modules.pop(name, None)
        frames = user_frames(err, [str(resolved)])
        where = f"{shown}, line {frames[-1].lineno}" if frames else shown
        what = f"{type(err).__name__}: {keras_message(err)}"
        hint = keras2_hint(err)
        if hint:
            raise LayerFileError([f"{where}: {what}{hint}"]) from None
        if isinstance(err, ImportError):
            raise LayerFileError([f"{where}: {what}; install the module or fix the import, "
                                  "then load the file again"]) from None
        raise LayerFileError([f"{where}: importing the file raised {what}"]) from None
    finally:
        if added:
            try:
                sys.path.remove(folder)
            except ValueError:
                pass
    return module


def _layer_classes(module: ModuleType, keras: Any) -> list[type]:
    found: dict[str, type] = {}
    for obj in vars(module).values():
        if (isinstance(obj, type) and obj.__module__ == module.__name__
                and issubclass(obj, keras.layers.Layer) and not issubclass(obj, keras.Model)
                and not obj.__name__.startswith("_")):
            found.setdefault(obj.__name__, obj)
    return list(found.values())


def _help(cls: type) -> str:
    """The docstring's first paragraph, on one line (the class's own, not Layer's)."""
    doc = cls.__dict__.get("__doc__") or ""
    first = inspect.cleandoc(doc).split("\n\n", 1)[0] if doc else ""
    return " ".join(first.split())


def _kind(cls: type, resolved: Path, sha: str, lines: dict[str, tuple[int, int]],
          not_offered: list[str]) -> UserKind | None:
    """The kind of ``cls``, or None with why in ``not_offered`` (it blocks nothing: only a
    spec that uses a class can be refused because of it)."""
    name = cls.__name__
    line, end = lines.get(name, (0, 0))
    init_line = cls.__init__.__code__.co_firstlineno if "__init__" in cls.__dict__ else line
    help_text = _help(cls)
    try:
        fields, texts, _ = init_fields(cls, cls.__dict__.get("__doc__") or "")
        named, kwargs = takes_name(cls), takes_kwargs(cls)
    except (TypeError, ValueError) as err:  # a signature inspect cannot read
        not_offered.append(f"{name} (line {init_line}): its __init__ cannot be read ({err})")
        return None
    return UserKind(name, help_text or f"{name}, your layer from {resolved.name}.", fields,
                    make_infer(name, sha), origin=f"{resolved.name}, line {line}", cls=cls,
                    path=str(resolved), sha256=sha, line=line, end_line=end,
                    text_params=texts, class_name=name, takes_name=named,
                    takes_kwargs=kwargs)


def _register_with_keras(keras: Any, classes: list[type]) -> None:
    """Register each class for Keras' serialization under its plain class name, unless the
    file does it itself, so ``load_model(path, custom_objects={"Name": Name})`` loads a
    run's model.keras the Keras way (a reload's new class replaces the old one)."""
    objects = keras.saving.get_custom_objects()
    for cls in classes:
        if keras.saving.get_registered_name(cls) == cls.__name__:
            objects[cls.__name__] = cls


def load_file(path: str | os.PathLike[str]) -> LayerFile:
    """Import the layer file at ``path`` (TensorFlow first) and make its classes kinds; it is
    not offered until :func:`ktui.core.user_layers.register` takes it. Raises
    :class:`LayerFileError` with every problem, one line each."""
    shown = clean(str(path))
    resolved, data, text = _read(path)
    try:
        tree = ast.parse(text, filename=str(resolved))
    except SyntaxError as err:  # nothing of it ran
        raise LayerFileError([f"{shown}, line {err.lineno}: syntax error: {err.msg}"]) from None
    except (ValueError, RecursionError) as err:
        raise LayerFileError([f"{shown}: cannot be parsed ({err})"]) from None
    sha = hashlib.sha256(data).hexdigest()
    from ktui.core.tfenv import import_tf

    import_tf()  # quietly, before the file's own `import keras`
    import keras

    module_name = f"ktui_user_{identifier(resolved.stem, 'layers')}_{next(_counter)}"
    module = _import(resolved, data, shown, module_name)
    lines = _class_lines(tree)
    classes = sorted(_layer_classes(module, keras), key=lambda c: lines.get(c.__name__, (0,))[0])
    if not classes:
        others = [f"{n} (line {first})" for n, (first, _) in lines.items()]
        found = f" ({', '.join(others)} {'is' if len(others) == 1 else 'are'} not one)" \
            if others else ""
        raise LayerFileError([f"{shown}: defines no keras.layers.Layer subclass{found}; a layer "
                              "is class Name(keras.layers.Layer) with __init__, build, call "
                              "and get_config"])
    not_offered: list[str] = []
    kinds = [k for cls in classes if (k := _kind(cls, resolved, sha, lines, not_offered))]
    if not kinds:
        raise LayerFileError([f"{shown}: no layer class can be offered: {why}"
                              for why in not_offered])
    _register_with_keras(keras, classes)
    return LayerFile(resolved, sha, text, module_name, tuple(kinds), tuple(not_offered))


__all__ = ["load_file"]
