"""The exported script's ``build_model()``: the spec's layer stack in one of the three styles
of the seeds (Sequential, functional, subclassed).

Layer kinds and parameter names become code, so they must be the catalog's; every parameter
value is written by :func:`~ktui.core.export.literals.literal`. Layer names and seeds follow
:mod:`ktui.core.build`, so the script's model is the run's, weight for weight.
"""

from __future__ import annotations

import textwrap

from ktui.core import user_layers
from ktui.core.catalog import LAYER_KINDS, SEEDED_KINDS
from ktui.core.export.literals import ExportError, literal, shown
from ktui.core.export.user_source import module_name
from ktui.core.spec import ExperimentSpec, LayerSpec
from ktui.core.text import identifier


def layer_name(kind: str, index: int) -> str:
    """As :func:`ktui.core.build.layer_name` (which imports Keras; this must not)."""
    return f"{kind.rsplit('.', 1)[-1].lower()}_{index + 1}"

#: Catalog kind -> class name in layers.py, where they differ.
_CLASS_NAMES = {"Lambda": "MenuLambda"}
_INDENT = " " * 8


def layer_call(layer: LayerSpec, index: int, seed: int) -> str:
    """``Dense(units=10, ..., name='dense_1')``: the kind and parameter names must be the
    catalog's (they become code); every value is a literal."""
    kind = LAYER_KINDS.get(layer.kind) if isinstance(layer.kind, str) else None
    if kind is None:
        raise ExportError(f"layer {index + 1}: unknown kind {shown(layer.kind)}; "
                          f"use one of {', '.join(LAYER_KINDS)}")
    where = f"layer {index + 1} ({layer.kind})"
    known = {p.name for p in kind.params}
    params = kind.arguments(layer.params)  # a user layer's text parameters read as values
    for key in params:
        if key not in known:
            raise ExportError(f"{where}: unknown parameter {shown(key)}")
    if layer.kind in SEEDED_KINDS:
        own = params.get("seed", 0)
        params["seed"] = own if own else seed * 1009 + index * 31 + 1  # as ktui's build.py
    args = "".join(f"{k}={literal(v, f'{where}.{k}')}, " for k, v in params.items())
    name = layer_name(layer.kind, index)  # 1-based, as users see
    mine = user_layers.user_kind(layer.kind)
    if mine is not None:  # your class, from its file's module; name= only where it takes one
        cls = f"{module_name(mine.path)}.{mine.class_name}"
        if not mine.takes_name:
            return f"{cls}({args.removesuffix(', ')})"
    else:
        cls = _CLASS_NAMES.get(layer.kind, layer.kind)
    return f"{cls}({args}name={name!r})"


def model_source(spec: ExperimentSpec, style: str) -> str:
    """``build_model()`` for ``style`` (one of ``spec.MODEL_STYLES``, checked by the caller)."""
    seed = spec.train.seed
    if type(seed) is not int:
        raise ExportError("train.seed: must be an integer")
    calls = [layer_call(lay, i, seed) for i, lay in enumerate(spec.layers)]
    shape = literal(tuple(spec.input_shape()), "dataset.n_features")
    name = literal(identifier(spec.name, fallback="model"), "name")  # as build.model_name
    listed = "".join(f"{_INDENT}{c},\n" for c in calls)
    if style == "sequential":
        return (f"def build_model():\n    return keras.Sequential([\n"
                f"{_INDENT}keras.Input(shape={shape}),\n{listed}    ], name={name})\n")
    if style == "functional":
        body = "".join(f"    x = {c}(x)\n" for c in calls)
        return (f"def build_model():\n    inputs = keras.Input(shape={shape})\n    x = inputs\n"
                f"{body}    return keras.Model(inputs, x, name={name})\n")
    return _subclassed(listed, shape, name)


def _subclassed(listed: str, shape: str, name: str) -> str:
    """A ``keras.Model`` subclass holding the layers in a list and chaining them in call()."""
    return textwrap.dedent(f'''
        class StackModel(keras.Model):
            """A keras.Model subclass holding its layers and chaining them in call()."""

            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.stack = [
        {listed}        ]

            def call(self, inputs, training=None):
                x = inputs
                for layer in self.stack:
                    x = layer(x, training=training)
                return x


        def build_model():
            model = StackModel(name={name})
            model(keras.ops.zeros((1, *{shape})))
            return model
        ''').lstrip()
