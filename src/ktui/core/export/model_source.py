"""The exported script's ``build_model()``: the spec's layer stack in one of the three styles
of the seeds (Sequential, functional, subclassed).

Layer kinds and parameter names become code, so they must be the catalog's; every parameter
value is written by :func:`~ktui.core.export.literals.literal`. Layer names and seeds follow
:mod:`ktui.core.build`, so the script's model is the run's, weight for weight.

ktui's kinds that are Keras' own layers with named initializers (Dense, Conv2D, Flatten,
Reshape, Activation, MaxPooling2D, Rescaling: same weights, same operations) are written as
Keras' layer (:data:`KERAS_TWINS`; ``tests/unit/test_export_twins.py`` checks each against
ktui's class); the tutorials' own classes (Linear, Dropout, Lambda, BatchNormalization) are
copied from :mod:`ktui.core.layers`, only those the model uses.
"""

from __future__ import annotations

from typing import NamedTuple

from ktui.core import choices, user_layers
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
#: The width the script's lines are wrapped at.
WIDTH = 92


class Twin(NamedTuple):
    """How a catalog kind is written as Keras' own layer."""

    #: The parameters passed as they are.
    params: tuple[str, ...]
    #: Keras argument -> (the parameter naming the initializer, or ``=name`` for a fixed one;
    #: the parameter holding a constant's value, or None; the sub-seed layers.py gives it).
    initializers: dict[str, tuple[str, str | None, int]]
    #: Values left out because they are Keras' defaults: numbers, flags and registry names
    #: only (text the user may have written, such as an activation, is always written out,
    #: so the script's code never depends on it).
    defaults: dict[str, object]


#: Kinds written as Keras' own layer: ktui's class computes exactly what Keras' does, with
#: the same weights (``tests/unit/test_export_twins.py``).
KERAS_TWINS: dict[str, Twin] = {
    "Dense": Twin(("units", "activation", "use_bias"),
                  {"kernel_initializer": ("kernel_initializer", "kernel_value", 1),
                   "bias_initializer": ("bias_initializer", "bias_value", 2)},
                  {"use_bias": True, "bias_initializer": "zeros"}),
    "Conv2D": Twin(("filters", "kernel_size", "strides", "padding", "activation", "use_bias"),
                   {"kernel_initializer": ("=glorot_uniform", None, 1)},
                   {"strides": [1, 1], "use_bias": True}),
    "Flatten": Twin((), {}, {}),
    "Reshape": Twin(("target_shape",), {}, {}),
    "Activation": Twin(("activation",), {}, {}),
    "MaxPooling2D": Twin(("pool_size", "strides", "padding"), {}, {}),
    "Rescaling": Twin(("scale", "offset"), {}, {"offset": 0.0}),
}


def initializer_source(name: object, value: object, seed: int | None, where: str) -> str:
    """``keras.initializers.Constant(value=5.0)``: a registry initializer as the Keras object
    ktui's ``make_initializer`` builds (the name must be the registry's: it picks a class)."""
    if not isinstance(name, str) or name not in choices.INITIALIZERS:
        raise ExportError(f"{where}: must be one of {', '.join(choices.INITIALIZERS)}; "
                          f"got {shown(name)}")
    try:
        config = choices.initializer_config(name, value, seed)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise ExportError(f"{where}: {err}") from None
    args = ", ".join(f"{k}={literal(v, where)}" for k, v in config["config"].items())
    return f"keras.initializers.{config['class_name']}({args})"


def _twin_args(twin: Twin, params: dict, where: str) -> list[str]:
    """The Keras layer's arguments (``params`` already checked as literals)."""
    args = [f"{k}={literal(params[k], f'{where}.{k}')}" for k in twin.params
            if k not in twin.defaults or params[k] != twin.defaults[k]
            or type(params[k]) is not type(twin.defaults[k])]  # text is never left out
    seed = params.get("seed")
    for arg, (named, value_param, sub) in twin.initializers.items():
        name = named[1:] if named.startswith("=") else params[named]
        if twin.defaults.get(arg) == name:  # Keras' own default (zeros): nothing to say
            continue
        field = value_param if name == "constant" and value_param else named
        args.append(f"{arg}=" + initializer_source(
            name, params[value_param] if value_param else 0.0,
            None if seed is None else seed * 7 + sub, f"{where}.{field}"))  # layers._sub_seed
    return args


def layer_call(layer: LayerSpec, index: int, seed: int) -> tuple[str, list[str]]:
    """(``keras.layers.Dense``, ``["units=10", ..., "name='dense_1'"]``): the kind and
    parameter names must be the catalog's (they become code); every value is a literal."""
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
    args = [f"{k}={literal(v, f'{where}.{k}')}" for k, v in params.items()]
    name = f"name={layer_name(layer.kind, index)!r}"  # 1-based, as users see
    mine = user_layers.user_kind(layer.kind)
    if mine is not None:  # your class, from its file's module; name= only where it takes one
        cls = f"{module_name(mine.path)}.{mine.class_name}"
        return cls, [*args, name] if mine.takes_name else args
    if layer.kind in KERAS_TWINS:
        return (f"keras.layers.{layer.kind}",
                [*_twin_args(KERAS_TWINS[layer.kind], params, where), name])
    return _CLASS_NAMES.get(layer.kind, layer.kind), [*args, name]


def wrapped(before: str, func: str, args: list[str], after: str) -> str:
    """``before + func(args) + after``, its arguments wrapped under the parenthesis when the
    line would pass :data:`WIDTH` columns."""
    lines, line = [], f"{before}{func}("
    indent = " " * len(line)
    for i, arg in enumerate(args):
        piece = arg + (", " if i < len(args) - 1 else ")" + after)
        if len(line) + len(piece.rstrip()) > WIDTH and line.strip() != f"{before}{func}(".strip():
            lines.append(line.rstrip())
            line = indent
        line += piece
    if not args:
        line += ")" + after
    return "\n".join([*lines, line]) + "\n"


def model_source(spec: ExperimentSpec, style: str) -> str:
    """``build_model()`` for ``style`` (one of ``spec.MODEL_STYLES``, checked by the caller)."""
    seed = spec.train.seed
    if type(seed) is not int:
        raise ExportError("train.seed: must be an integer")
    calls = [layer_call(lay, i, seed) for i, lay in enumerate(spec.layers)]
    shape = literal(tuple(spec.input_shape()), "dataset.n_features")
    name = literal(identifier(spec.name, fallback="model"), "name")  # as build.model_name
    listed = "".join(wrapped(_INDENT, func, args, ",") for func, args in calls)
    if style == "sequential":
        return (f"def build_model():\n    return keras.Sequential([\n"
                f"{_INDENT}keras.Input(shape={shape}),\n{listed}    ], name={name})\n")
    if style == "functional":
        body = "".join(wrapped("    x = ", func, args, "(x)") for func, args in calls)
        return (f"def build_model():\n    inputs = keras.Input(shape={shape})\n    x = inputs\n"
                f"{body}    return keras.Model(inputs, x, name={name})\n")
    return _subclassed(calls, shape, name)


def _subclassed(calls: list[tuple[str, list[str]]], shape: str, name: str) -> str:
    """A ``keras.Model`` subclass holding the layers in a list and chaining them in call()."""
    listed = "".join(wrapped(" " * 12, func, args, ",") for func, args in calls)
    return ('''class StackModel(keras.Model):
    """A keras.Model subclass holding its layers and chaining them in call()."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stack = [
''' + listed + f'''        ]

    def call(self, inputs, training=None):
        x = inputs
        for layer in self.stack:
            x = layer(x, training=training)
        return x


def build_model():
    model = StackModel(name={name})
    model(keras.ops.zeros((1, *{shape})))
    return model
''')
