"""A user layer's output shape and parameter count, worked out by TensorFlow and kept.

ktui's own kinds infer their shapes in pure Python; a user's class can only say its shape by
being built (its ``build``, then ``call`` or ``compute_output_shape`` on a symbolic input),
which runs TensorFlow and the user's code. So a :class:`~.kinds.UserKind`'s ``infer`` only
reads this module's table, keyed by (kind, file hash, input shape, parameters), and raises
:class:`~.kinds.ShapePending` for what is not worked out yet; :func:`resolve_shapes` fills it
for a whole stack. The TUI calls it on a worker thread (never the UI thread: it is the user's
code), the CLI and the trainer before they validate. A layer that cannot be built for its
input is kept as its failure, said with the line in the user's file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ktui.core.catalog import LAYER_KINDS, Shape, StackError, format_shape, layer_problems
from ktui.core.user_layers import verdicts
from ktui.core.user_layers.caught import caught
from ktui.core.user_layers.errors import keras_message, user_failure
from ktui.core.user_layers.kinds import ShapePending, UserKind

#: Entries kept at most (a long editing session's shapes; cleared when full).
MAX_ENTRIES = 2000


@dataclass(frozen=True)
class Failed:
    """Why a user layer cannot be built for an input: one line, and the user's traceback."""

    message: str
    traceback: str = ""


_lock = threading.Lock()
_table: dict[tuple[Any, ...], tuple[Shape, int] | Failed] = {}
#: What Python warned while each entry was worked out (the checks say it).
_caught: dict[tuple[Any, ...], tuple[str, ...]] = {}
_version = [0]


def version() -> int:
    """Grows whenever an entry is added or a check's verdict changes (a view showing shapes
    and problems redraws when it changes)."""
    return _version[0] + verdicts.version()


def frozen(params: dict[str, Any]) -> str:
    """Parameters as a key: the same values always give the same text."""
    return json.dumps(params, sort_keys=True, default=repr)


def key(kind: UserKind, shape: Shape, resolved: dict[str, Any]) -> tuple[Any, ...]:
    return (kind.class_name or kind.name, kind.sha256, tuple(shape), frozen(resolved))


def store(k: tuple[Any, ...], value: tuple[Shape, int] | Failed) -> None:
    with _lock:
        if len(_table) >= MAX_ENTRIES:
            _table.clear()
            _caught.clear()
        _table[k] = value
        _version[0] += 1


def entry(kind: UserKind, shape: Shape, params: dict[str, Any]
          ) -> tuple[Shape, int] | Failed | None:
    """What is known about ``kind`` with ``params`` for ``shape`` (None: nothing yet)."""
    return _table.get(key(kind, shape, kind.resolve(params)))


class CheckRefused(StackError):
    """The layer works out (``found``: its output shape and parameter count) but a check of
    it failed and was not accepted: the run refuses it, the form still shows its shape."""

    def __init__(self, message: str, found: tuple[Shape, int] = ((), 0),
                 index: int | None = None, rows: Sequence[Any] = ()) -> None:
        super().__init__(message, index, rows)  # infer_stack re-raises it naming the layer
        self.found = found


def make_infer(name: str, sha256: str):
    """The ``infer`` of a user kind: the worked-out shape, its failure, or ShapePending."""

    def infer(shape: Shape, resolved: dict[str, Any]) -> tuple[Shape, int]:
        k = (name, sha256, tuple(shape), frozen(resolved))
        found = _table.get(k)
        if found is None:
            raise ShapePending(f"working out its output shape for {format_shape(shape)} "
                               f"(TensorFlow builds {name})…")
        if isinstance(found, Failed):
            raise StackError(found.message)
        refused = verdicts.refusal(k)  # a failed check: not ready to train until accepted
        if refused is not None:
            raise CheckRefused(f"{refused} ({verdicts.ANYWAY})", found)
        return found

    return infer


def probe(kind: UserKind, shape: Shape, params: dict[str, Any]) -> tuple[Shape, int] | Failed:
    """Build ``kind`` for ``shape`` and apply it to a symbolic input (TensorFlow and the
    user's code run here: call it off the UI thread). Never raises."""
    from ktui.core.tfenv import import_tf

    import_tf()
    import keras

    try:
        layer = kind.cls(**kind.arguments(params))
        out = layer(keras.Input(shape=tuple(shape)))
    except Exception as err:  # noqa: BLE001 - the user's code: any exception is theirs
        why = failed(err, kind, f"cannot take input {format_shape(shape)}")
        if _unpacks(err):
            user = user_failure(err, {kind.path: {kind.class_name: (kind.line, kind.end_line)}})
            line = user.line if user is not None else kind.line
            return Failed(f"{kind.class_name or kind.name}.call unpacks its input as several "
                          f"tensors; a layer in a stack gets one tensor ({kind.file_name}, "
                          f"line {line})", why.traceback)
        return why
    if isinstance(out, (list, tuple, dict)):
        line = return_line(kind)
        return Failed(f"{kind.class_name or kind.name}.call returns {len(out)} tensors; a "
                      f"layer in a stack returns one ({kind.file_name}, line {line})")
    dims = tuple(out.shape[1:])
    if any(d is None for d in dims):
        return Failed(f"its output shape {format_shape(dims)} has dimensions Keras cannot "
                      f"know before the data comes; ktui stacks need them fixed "
                      f"({kind.file_name}, line {kind.line})")
    try:
        count = int(layer.count_params())
    except Exception as err:  # noqa: BLE001
        return failed(err, kind, "cannot count its weights")
    return tuple(int(d) for d in dims), count


def _unpacks(err: BaseException) -> bool:
    """Whether ``err`` is Keras or TensorFlow refusing to iterate over one symbolic tensor
    (``z_mean, z_log_var = inputs``)."""
    text = str(err)
    return any(words in text for words in (
        "Iterating over a symbolic", "iterating over `tf.Tensor`", "Eager execution",
        "not iterable", "cannot unpack"))


def return_line(kind: UserKind) -> int:
    """The line of ``call``'s ``return`` that returns several values (a tuple, a list, a
    dict) in ``kind``'s class, else its last ``return``, else the class's line."""
    import ast

    from ktui.core.user_layers.in_use import file_of

    layer_file = file_of(kind)
    try:
        tree = ast.parse(layer_file.source) if layer_file is not None else None
    except (SyntaxError, ValueError):
        tree = None
    name = kind.class_name or kind.name
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.ClassDef) and node.name == name and node.lineno == kind.line:
            calls = [f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "call"]
            returns = [r for f in calls for r in ast.walk(f) if isinstance(r, ast.Return)]
            several = [r for r in returns
                       if isinstance(r.value, (ast.Tuple, ast.List, ast.Dict))]
            if several or returns:
                return (several or returns[-1:])[0].lineno
    return kind.line


def failed(err: BaseException, kind: UserKind, doing: str) -> Failed:
    """An exception while building or checking ``kind``: the user's line when it came from
    their code, else the class's line and what ktui was doing."""
    user = user_failure(err, {kind.path: {kind.class_name or kind.name:
                                          (kind.line, kind.end_line)}})
    if user is not None:
        return Failed(user.message, user.traceback)
    return Failed(f"{kind.name} {doing}: {type(err).__name__}: {keras_message(err)} "
                  f"({kind.file_name}, line {kind.line})")


def ensure(kind: UserKind, shape: Shape, params: dict[str, Any]) -> tuple[Shape, int] | Failed:
    """The entry for ``kind`` at ``shape``, worked out now when it is not known yet."""
    k = key(kind, shape, kind.resolve(params))
    found = _table.get(k)
    if found is None:
        from ktui.core.tfenv import import_tf

        import_tf()  # before the catch: TensorFlow's own import warnings are not the user's
        said: list[str] = []
        with caught(said):
            found = probe(kind, shape, params)
        _caught[k] = tuple(said)
        store(k, found)
    return found


def caught_of(k: tuple[Any, ...]) -> tuple[str, ...]:
    """What Python warned while the entry ``k`` was worked out."""
    return _caught.get(k, ())


def stack_inputs(spec: Any) -> list[tuple[int, UserKind, Shape, dict[str, Any]]]:
    """Each user layer of ``spec`` with the input shape it gets, working out (with
    TensorFlow) every user layer on the way; stops at the first layer that cannot work (its
    problem is validation's to report). Never raises."""
    found: list[tuple[int, UserKind, Shape, dict[str, Any]]] = []
    try:
        shape = tuple(spec.input_shape())
        layers = list(spec.layers)
    except Exception:  # noqa: BLE001 - a spec mid-edit: validation says what is wrong
        return found
    for i, layer in enumerate(layers):
        kind = LAYER_KINDS.get(layer.kind) if isinstance(layer.kind, str) else None
        if kind is None or layer_problems(i, layer.kind, layer.params):
            break
        if isinstance(kind, UserKind):
            found.append((i, kind, shape, dict(layer.params)))
            if isinstance(ensure(kind, shape, layer.params), Failed):
                break
        try:
            shape, _ = kind.output(shape, layer.params)
        except Exception:  # noqa: BLE001 - StackError or an odd value: validation's to say
            break
    return found


def resolve_shapes(spec: Any) -> None:
    """Work out every user layer's shape in ``spec`` (a no-op, without TensorFlow, when it
    has none)."""
    if uses_user_layers(spec):
        stack_inputs(spec)


def uses_user_layers(spec: Any) -> bool:
    layers = getattr(spec, "layers", None)
    return isinstance(layers, list) and any(
        isinstance(LAYER_KINDS.get(lay.kind) if isinstance(getattr(lay, "kind", None), str)
                   else None, UserKind) for lay in layers)


__all__ = ["Failed", "caught_of", "ensure", "entry", "failed", "make_infer", "probe",
           "resolve_shapes", "return_line", "stack_inputs", "uses_user_layers", "version"]
