"""What a custom-layer author needs checked before training, run by TensorFlow.

For one user layer at its place in the stack (its parameters, the input shape it gets), on
:data:`BATCH` rows of the real training data as the layer gets them (:mod:`.batch`; random
input, said so, only when no data can be loaded):

- **round trip**: ``from_config(get_config())`` builds an equal layer (the same config, the
  same output with the weights copied); a parameter missing from ``get_config`` is named;
- **serialization**: a model holding it saves as ``model.keras`` and loads back with
  ``safe_mode=True`` (the class registered, as for a run's model), computing the same output;
- **gradients**: one step (``sum(output * r)`` for a random ``r``) gives every trainable
  weight a gradient; a weight with none (``call`` never uses it) or an all-zero one is named
  with the line that makes it;
- the trainable and non-trainable weights (tensors and values), the output's dtype and shape;
- what Python warned while the layer was built and first called (Keras' ``UserWarning``):
  caught (:mod:`.caught`), said as the checks' warnings, never raw on stderr.

The form shows them; the trainer runs them first (:func:`before_training`) and refuses a layer
that fails one, with the user's line, until the user trains it anyway (:mod:`.verdicts`).
Results are kept per (kind, file hash, input, params, batch).
"""

from __future__ import annotations

import ast
import inspect
import json
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ktui.core.catalog import Shape, format_shape, layer_label
from ktui.core.user_layers import shapes, verdicts
from ktui.core.user_layers.batch import BATCH, CheckBatch, batch_for, random_batch
from ktui.core.user_layers.caught import caught
from ktui.core.user_layers.errors import UserFailure
from ktui.core.user_layers.in_use import file_of
from ktui.core.user_layers.kinds import UserKind
from ktui.core.user_layers.verdicts import refuse_on_failed_checks

_results: dict[tuple[Any, ...], Report] = {}


@dataclass(frozen=True)
class Check:
    """One check: its short name, whether it passed, and one line saying what was found."""

    name: str
    ok: bool
    text: str
    traceback: str = ""
    #: A problem that does not stop training (said, never refused).
    warning: bool = False


@dataclass(frozen=True)
class Report:
    """Every check of one layer, and its weights and output."""

    checks: tuple[Check, ...]
    trainable: tuple[int, int] = (0, 0)  # tensors, values
    non_trainable: tuple[int, int] = (0, 0)
    dtype: str = ""
    output_shape: tuple[int | None, ...] = ()
    #: What the checks ran on: ``8 rows of the training data`` or ``random input ...``.
    source: str = ""

    @property
    def failure(self) -> Check | None:
        return next((c for c in self.checks if not c.ok and not c.warning), None)

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.warning)

    def weights_text(self) -> str:
        """``2 trainable weights (40 values) · 1 non-trainable (4 values)``."""
        (t, tv), (n, nv) = self.trainable, self.non_trainable
        return (f"{t} trainable weight{_s(t)} ({tv:,} value{_s(tv)}) · "
                f"{n} non-trainable ({nv:,} value{_s(nv)})")

    def output_text(self) -> str:
        """``output float32 (None, 4)``; "" when the layer was not built."""
        if not self.dtype:
            return ""
        return f"output {self.dtype} {format_shape(self.output_shape[1:])}"


def _s(count: int) -> str:
    """The plural ending for ``count`` things."""
    return "" if count == 1 else "s"


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=repr) == json.dumps(b, sort_keys=True,
                                                                      default=repr)


def innermost(err: BaseException) -> str:
    """Keras' whole reason: the innermost exception of ``err``'s chain, in full (``Linear.
    __init__() got an unexpected keyword argument 'trainable'``)."""
    inner: BaseException = err
    while (inner.__cause__ or inner.__context__) is not None:
        inner = inner.__cause__ or inner.__context__  # type: ignore[assignment]
    return f"{type(inner).__name__}: {' '.join(str(inner).split())}"


def _no_kwargs(kind: UserKind, check: Check, err: BaseException | None) -> Check:
    """A failed round trip of a class without ``**kwargs``: a warning with Keras' reason
    (Keras passes ``name``, ``trainable``, ``dtype`` to ``__init__``); training goes on."""
    if check.ok or kind.takes_kwargs:
        return check
    reason = innermost(err) if err is not None else check.text
    return Check(check.name, False, f"{kind.class_name}.__init__ takes no **kwargs, so "
                 f"model.keras saves but cannot load it back ({reason}); training goes on and "
                 "keeps its checkpoints (the weights): load those into a model you build in "
                 f"code ({kind.file_name}, line {kind.line})", check.traceback, warning=True)


def _attribute_lines(kind: UserKind) -> dict[str, int]:
    """Lines of ``self.NAME = ...`` and of ``add_weight(name="NAME")`` in the class."""
    found: dict[str, int] = {}
    layer_file = file_of(kind)
    if layer_file is None:
        return found
    try:
        tree = ast.parse(layer_file.source)
    except (SyntaxError, ValueError):
        return found
    for node in ast.walk(tree):
        if not kind.line <= getattr(node, "lineno", 0) <= kind.end_line:
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id == "self":
                    found.setdefault(target.attr, node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "add_weight":
            for kw in node.keywords:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                    found.setdefault(str(kw.value.value), node.lineno)
    return found


def _weight_words(layer: Any, weight: Any, kind: UserKind, lines: dict[str, int]) -> str:
    """``weight 'unused' (self.unused, shape (4,); my_layers.py, line 14)``."""
    attr = next((a for a, v in vars(layer).items() if v is weight), None)
    line = lines.get(weight.name) or (lines.get(attr) if attr else None) or kind.line
    held = f"self.{attr}, " if attr else ""
    return (f"weight {weight.name!r} ({held}shape {tuple(weight.shape)}; {kind.file_name}, "
            f"line {line})")


def _round_trip(kind: UserKind, layer: Any, args: dict[str, Any], x: Any, y: Any) -> Check:
    import numpy as np

    name = "get_config round trip"
    try:
        config = layer.get_config()
    except Exception as err:  # noqa: BLE001 - the user's code
        why = shapes.failed(err, kind, "get_config failed")
        return Check(name, False, why.message, why.traceback)
    defaults = {n: p.default for n, p in
                inspect.signature(kind.cls.__init__).parameters.items()}
    missing = [n for n, v in args.items() if n not in config and not _same(v, defaults.get(n))]
    hint = (f"; get_config must return every __init__ argument (missing: "
            f"{', '.join(missing)})") if missing else ""
    try:
        clone = type(layer).from_config(config)
        clone(x, training=False)
        clone.set_weights(layer.get_weights())
        y2 = np.asarray(clone(x, training=False))
    except Exception as err:  # noqa: BLE001
        why = shapes.failed(err, kind, "from_config(get_config()) failed")
        return _no_kwargs(kind, Check(name, False, why.message + hint, why.traceback), err)
    if missing:
        return Check(name, False, f"from_config(get_config()) builds {kind.name} with the "
                                  f"defaults{hint} ({kind.file_name}, line {kind.line})")
    if not _same(clone.get_config(), config):
        return Check(name, False, f"from_config(get_config()) builds a layer whose get_config "
                                  f"differs ({kind.file_name}, line {kind.line})")
    if y2.shape != np.shape(y) or not np.allclose(y2, y, atol=1e-5, equal_nan=True):
        return Check(name, False, f"from_config(get_config()) computes another output with "
                                  f"the same weights ({kind.file_name}, line {kind.line})")
    return Check(name, True, "from_config(get_config()) builds an equal layer")


def _saving(kind: UserKind, layer: Any, shape: Shape, x: Any, y: Any) -> Check:
    import keras
    import numpy as np

    name = "model.keras"
    try:
        with tempfile.TemporaryDirectory(prefix="ktui-check-") as tmp:
            path = Path(tmp) / "check.keras"
            keras.Sequential([keras.Input(shape=tuple(shape)), layer]).save(path)
            loaded = keras.saving.load_model(path, safe_mode=True)
            y3 = np.asarray(loaded(x, training=False))
    except Exception as err:  # noqa: BLE001
        why = shapes.failed(err, kind, "cannot be saved")
        return _no_kwargs(kind, Check(name, False, "model.keras does not save and load back "
                                      "(safe_mode=True): " + why.message, why.traceback), err)
    if y3.shape != np.shape(y) or not np.allclose(y3, y, atol=1e-5, equal_nan=True):
        return Check(name, False, f"model.keras loads back computing another output "
                                  f"({kind.file_name}, line {kind.line})")
    return Check(name, True, "saves and loads as model.keras (safe_mode=True)")


def _gradients(kind: UserKind, layer: Any, x: Any, y: Any, seed: int) -> Check:
    import numpy as np
    import tensorflow as tf

    name = "gradients"
    weights = list(layer.trainable_weights)
    if not weights:
        return Check(name, True, "no trainable weights: nothing for a gradient to reach")
    if not np.issubdtype(np.asarray(y).dtype, np.floating):
        return Check(name, True, f"output is {np.asarray(y).dtype}: no gradient to check")
    r = tf.constant(np.random.default_rng(seed + 1).standard_normal(np.shape(y)), tf.float32)
    try:
        with tf.GradientTape() as tape:
            out = layer(x, training=True)
            loss = tf.reduce_sum(tf.cast(out, tf.float32) * r)
        grads = tape.gradient(loss, weights)
    except Exception as err:  # noqa: BLE001
        why = shapes.failed(err, kind, "has no gradient")
        return Check(name, False, why.message, why.traceback)
    lines = _attribute_lines(kind)
    for weight, grad in zip(weights, grads, strict=True):
        if isinstance(grad, tf.IndexedSlices):  # an embedding's lookup: rows of a gradient
            grad = tf.convert_to_tensor(grad)
        if grad is None:
            return Check(name, False, f"{_weight_words(layer, weight, kind, lines)} gets no "
                                      "gradient: call() never uses it")
        if not np.any(np.asarray(grad)):
            return Check(name, False, f"{_weight_words(layer, weight, kind, lines)} gets an "
                                      "all-zero gradient on this batch")
    names = ", ".join(w.name for w in weights)
    return Check(name, True, f"every trainable weight gets a gradient ({names})")


def _size(weights: list[Any]) -> tuple[int, int]:
    import numpy as np

    return len(weights), int(sum(np.prod(w.shape) for w in weights))


def run_checks(kind: UserKind, shape: Shape, params: dict[str, Any], seed: int = 0,
               batch: CheckBatch | None = None) -> Report:
    """Every check of ``kind`` with ``params`` for input ``shape``, on ``batch`` (random input
    when None: :func:`checks_for` gives the data's rows). TensorFlow and the user's code run
    here: off the UI thread. Kept, so asking again is free; the verdict is recorded for the
    validator (:mod:`.verdicts`). Never raises."""
    batch = batch or random_batch(shape, seed)
    k = shapes.key(kind, shape, kind.resolve(params))
    if (*k, batch.token) not in _results:
        _results[(*k, batch.token)] = _run(kind, shape, params, seed, batch, k)
    report = _results[(*k, batch.token)]
    failure = report.failure
    verdicts.record(k, failure.text if failure is not None else None)
    return report


def _run(kind: UserKind, shape: Shape, params: dict[str, Any], seed: int, batch: CheckBatch,
         k: tuple[Any, ...]) -> Report:
    from ktui.core.tfenv import import_tf

    import_tf()
    import numpy as np

    x = batch.x
    args = kind.arguments(params)
    said: list[str] = list(shapes.caught_of(k))  # what building it symbolically warned
    try:
        with caught(said):  # Keras' UserWarnings about the user's layer: the checks say them
            layer = kind.cls(**args)
            y = np.asarray(layer(x, training=False))
            again = np.asarray(layer(x, training=False))
    except Exception as err:  # noqa: BLE001 - the user's code
        failed = shapes.failed(err, kind, f"cannot take input {format_shape(shape)}")
        return Report((_on(batch, Check("build", False, failed.message, failed.traceback)),
                       *_said(said)), source=batch.source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the checks' own models: nothing of the user's
        if again.shape == y.shape and np.allclose(again, y, atol=1e-6, equal_nan=True):
            checks = (_round_trip(kind, layer, args, x, y), _saving(kind, layer, shape, x, y))
        else:  # a sampling layer (the VAE's Sampling): outputs cannot be compared
            checks = (Check("deterministic", False, f"{kind.class_name} is not "
                            "deterministic with training=False (two calls on one batch "
                            "differ), so its saved copies' outputs were not compared "
                            f"({kind.file_name}, line {kind.line})", warning=True),)
        checks += (_gradients(kind, layer, x, y, seed),)
    return Report(tuple(_on(batch, c) for c in (*checks, *_said(said))),
                  _size(layer.trainable_weights), _size(layer.non_trainable_weights),
                  str(y.dtype), (None, *y.shape[1:]), batch.source)


def _on(batch: CheckBatch, check: Check) -> Check:
    """A failed check on random input says so (the real data might pass)."""
    if check.ok or check.warning or not batch.random:
        return check
    return Check(check.name, False, f"{check.text} [on random input: {batch.why_random}]",
                 check.traceback)


def _said(said: list[str]) -> tuple[Check, ...]:
    """Each caught warning as a check's warning."""
    return tuple(Check("warning", False, text, warning=True) for text in said)


def checks_for(spec: Any, index: int, kind: UserKind, shape: Shape, params: dict[str, Any],
               data_dir: str | None = None) -> Report:
    """The checks of the user layer at ``index`` of ``spec`` on rows of its training data."""
    return run_checks(kind, shape, params, batch=batch_for(spec, index, shape, data_dir))


def before_training(spec: Any, problems: Callable[[Any], list[str]],
                    data_dir: str | None = None) -> UserFailure | None:
    """The first problem of ``spec``'s user layers: a layer that cannot be built for its
    input, or a failed check that refuses (not trained anyway), as ``layer 2 (MyDense):
    ...`` with the user's traceback; None when all pass or the spec has no user layer (then
    without TensorFlow). Problems of the rest of the spec are left to validation
    (``problems``, the validator, passed in: it imports the spec, which imports this
    package); the checks run only on a valid spec, on rows of its data (``data_dir``: the
    run's --data-dir)."""
    if not shapes.uses_user_layers(spec):
        return None
    found = shapes.stack_inputs(spec)
    for index, kind, shape, params in found:
        got = shapes.entry(kind, shape, params)
        if isinstance(got, shapes.Failed):  # cannot be built: the user's traceback with it
            return UserFailure(f"{layer_label(index, kind.name)}: {got.message}", got.traceback)
    if [p for p in problems(spec) if verdicts.ANYWAY not in p]:
        return None
    for index, kind, shape, params in found:
        failure = checks_for(spec, index, kind, shape, params, data_dir).failure
        if failure is not None and verdicts.refusing(shapes.key(kind, shape,
                                                                kind.resolve(params))):
            return UserFailure(f"{layer_label(index, kind.name)}: {failure.text} "
                               f"({verdicts.ANYWAY})", failure.traceback)
    return None


def warnings_of(spec: Any, data_dir: str | None = None) -> list[str]:
    """Each warning of ``spec``'s user layers' checks (and each failed check trained
    anyway), as ``layer 1 (Linear): ...``."""
    lines = []
    for index, kind, shape, params in shapes.stack_inputs(spec):
        if isinstance(shapes.entry(kind, shape, params), shapes.Failed):
            break
        report = checks_for(spec, index, kind, shape, params, data_dir)
        refused = verdicts.refusing(shapes.key(kind, shape, kind.resolve(params)))
        failed = [] if refused or report.failure is None else [report.failure]
        said = dict.fromkeys(c.text for c in (*report.warnings, *failed))
        lines += [f"{layer_label(index, kind.name)}: {text}" for text in said]
    return lines


__all__ = ["BATCH", "Check", "Report", "before_training", "checks_for", "innermost",
           "refuse_on_failed_checks", "run_checks", "warnings_of"]
