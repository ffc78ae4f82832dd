"""Every layer kind ktui offers, described once: parameters, defaults, ranges, help, shapes.

The TUI builds its forms from this table, the validator checks values against it, presets
use its names, and :mod:`ktui.core.layers` implements each kind. Parameters are
:class:`~ktui.core.schema.Field` s, the one type system of every spec field; activation and
initializer choices come from :mod:`ktui.core.choices`. It is pure Python: the shape and
parameter-count inference here lets the UI show a live ``model.summary()`` and explain an
impossible stack without waiting for TensorFlow. A unit test checks every kind's inference
against the real Keras layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ktui.core.choices import ACTIVATIONS, INITIALIZERS
from ktui.core.schema import MAX_SEED, Field, check_values, is_finite, parse_table
from ktui.core.text import brief

Shape = tuple[int, ...]  # without the batch dimension

#: The Lambda layer's fixed menu: element-wise operations, never user code.
LAMBDA_OPS = (
    "exp", "square", "sqrt", "abs", "negative", "tanh", "relu", "sigmoid", "softplus", "log1p",
)
#: Kinds whose layer takes a ``seed`` (initial weights or dropout masks), derived from the
#: run seed and the layer's position so runs are reproducible.
SEEDED_KINDS = frozenset({"Dense", "Linear", "Dropout", "Conv2D"})


class StackError(ValueError):
    """A layer cannot take the shape its predecessor gives it.

    ``index`` is the 0-based position of that layer (None when unknown) and ``rows`` the
    layers before it that did work, so a summary can show the stack up to the broken layer.
    """

    def __init__(self, message: str, index: int | None = None,
                 rows: Sequence[InferredLayer] = ()) -> None:
        super().__init__(message)
        self.index = index
        self.rows = tuple(rows)


InferFn = Callable[[Shape, dict[str, Any]], tuple[Shape, int]]


@dataclass(frozen=True)
class LayerKind:
    """A layer the form can add: its name in specs, what it does, and its parameters."""

    name: str
    help: str
    params: tuple[Field, ...]
    infer: InferFn = field(repr=False)
    #: The seed tutorial it comes from, shown in the form's help.
    origin: str = ""

    def param(self, name: str) -> Field:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve(self, params: dict[str, Any]) -> dict[str, Any]:
        """The defaults overlaid with the given parameters: the one place they are merged."""
        return {**self.defaults(), **params}

    def arguments(self, params: dict[str, Any]) -> dict[str, Any]:
        """The keyword arguments the layer's class is built with (a user's layer reads its
        text parameters here: :class:`ktui.core.user_layers.UserKind`)."""
        return self.resolve(params)

    def output(self, shape: Shape, params: dict[str, Any]) -> tuple[Shape, int]:
        """The output shape and parameter count for ``shape`` with the given parameters
        (defaults filled in); :class:`StackError` when the layer cannot take ``shape``."""
        return self.infer(shape, self.resolve(params))


# ---- shape inference -------------------------------------------------------------------------

def _need_rank(kind: str, shape: Shape, rank: int, hint: str = "") -> None:
    if len(shape) != rank:
        msg = f"needs input of shape {_rank_words(rank)}, got {format_shape(shape)}"
        raise StackError(msg + (f"; {hint}" if hint else ""))


def _rank_words(rank: int) -> str:
    return {1: "(batch, features)", 3: "(batch, height, width, channels)"}.get(rank, f"rank {rank}")


def format_shape(shape: Sequence[int | None]) -> str:
    """``(None, 28, 28)`` style, as ``model.summary()`` prints it."""
    inner = ", ".join("None" if d is None else str(d) for d in (None, *shape))
    return f"({inner})"


def _dense(kind: str) -> InferFn:
    def infer(shape: Shape, p: dict[str, Any]) -> tuple[Shape, int]:
        if len(shape) < 1:
            raise StackError("needs at least one feature dimension")
        units = int(p["units"])
        params = shape[-1] * units + (units if p.get("use_bias", True) else 0)
        return (*shape[:-1], units), params

    return infer


def _same(shape: Shape, p: dict[str, Any]) -> tuple[Shape, int]:
    return shape, 0


def _flatten(shape: Shape, p: dict[str, Any]) -> tuple[Shape, int]:
    return (math.prod(shape),), 0


def _reshape(shape: Shape, p: dict[str, Any]) -> tuple[Shape, int]:
    target = tuple(int(d) for d in p["target_shape"])
    if math.prod(target) != math.prod(shape):
        raise StackError(
            f"Reshape to {list(target)} needs {math.prod(target)} values per sample, but its "
            f"input {format_shape(shape)} has {math.prod(shape)}"
        )
    return target, 0


def _batchnorm(shape: Shape, p: dict[str, Any]) -> tuple[Shape, int]:
    return shape, 4 * shape[-1]  # gamma, beta (trainable) + moving mean, moving variance


def _spatial_out(size: int, window: int, stride: int, padding: str) -> int:
    if padding == "same":
        return math.ceil(size / stride)
    return (size - window) // stride + 1


def _conv2d(shape: Shape, p: dict[str, Any]) -> tuple[Shape, int]:
    _need_rank("Conv2D", shape, 3, "add a Reshape to [28, 28, 1] before it for images")
    kh, kw = p["kernel_size"]
    sh, sw = p["strides"]
    h = _spatial_out(shape[0], kh, sh, p["padding"])
    w = _spatial_out(shape[1], kw, sw, p["padding"])
    if h < 1 or w < 1:
        raise StackError(
            f"kernel {kh}x{kw} does not fit its input {format_shape(shape)} "
            "with padding 'valid'"
        )
    filters = int(p["filters"])
    params = kh * kw * shape[2] * filters + (filters if p.get("use_bias", True) else 0)
    return (h, w, filters), params


def _maxpool(shape: Shape, p: dict[str, Any]) -> tuple[Shape, int]:
    _need_rank("MaxPooling2D", shape, 3, "it pools images: put it after a Conv2D")
    ph, pw = p["pool_size"]
    sh, sw = p["strides"] or p["pool_size"]
    h = _spatial_out(shape[0], ph, sh, p["padding"])
    w = _spatial_out(shape[1], pw, sw, p["padding"])
    if h < 1 or w < 1:
        raise StackError(
            f"pool {ph}x{pw} is larger than its input {format_shape(shape)}"
        )
    return (h, w, shape[2]), 0


# ---- the catalog -----------------------------------------------------------------------------

_UNITS = Field("units", "int", 32, "Number of output units (neurons).", min=1, max=100_000)
_ACT = Field("activation", "choice", "linear", "Applied after the affine map.",
             registry=ACTIVATIONS)
_USE_BIAS = Field("use_bias", "bool", True, "Add a learned bias vector.")


def _init_params(prefix: str, default: str) -> tuple[Field, Field]:
    return (
        Field(f"{prefix}_initializer", "choice", default,
              f"How the {prefix} starts. 'uniform' is U(-0.05, 0.05) as in Keras; "
              "'constant' uses the value below.", registry=INITIALIZERS),
        Field(f"{prefix}_value", "float", 0.0,
              f"The {prefix}'s starting value when its initializer is 'constant'.",
              min=-1e6, max=1e6),
    )


LAYER_KINDS: dict[str, LayerKind] = {
    k.name: k
    for k in (
        LayerKind(
            "Dense",
            "Fully connected: activation(x @ kernel + bias).",
            (_UNITS, _ACT, *_init_params("kernel", "glorot_uniform"),
             *_init_params("bias", "zeros"), _USE_BIAS),
            _dense("Dense"),
            origin="tutorial 001 DenseLayer; tutorial 003 Dense",
        ),
        LayerKind(
            "Linear",
            "x @ w + b with both drawn from a small normal distribution (tutorial 002).",
            (Field("units", "int", 32, "Number of output units.", min=1, max=100_000),),
            _dense("Linear"),
            origin="tutorial 002 Linear",
        ),
        LayerKind(
            "Dropout",
            "Zeroes a fraction of inputs while training; does nothing at evaluation.",
            (Field("rate", "float", 0.5, "Fraction of inputs dropped while training.",
                   min=0.0, max=1.0, max_inclusive=False),
             Field("seed", "int", 0, "Seed of the dropout mask (0 = from the run seed).",
                   min=0, max=MAX_SEED, interval=True)),
            _same,
            origin="tutorial 002 CustomDropout",
        ),
        LayerKind(
            "Lambda",
            "An element-wise operation picked from a fixed menu (no code is evaluated).",
            (Field("op", "choice", "exp", "The operation applied to every value.",
                   choices=LAMBDA_OPS),),
            _same,
            origin="tutorial 002 Lambda(tf.exp)",
        ),
        LayerKind("Flatten", "Flattens each sample to one dimension.", (), _flatten),
        LayerKind(
            "Reshape",
            "Gives each sample a new shape with the same number of values.",
            (Field("target_shape", "shape", [784], "The new shape, without the batch."),),
            _reshape,
            origin="tutorial 001 Reshape(784)",
        ),
        LayerKind("Activation", "Applies an activation function.",
                  (Field("activation", "choice", "relu", "The function applied.",
                         registry=ACTIVATIONS),),
                  _same, origin="tutorial 004 ReLU"),
        LayerKind(
            "BatchNormalization",
            "Normalises each feature by batch statistics (training) or moving averages.",
            (Field("momentum", "float", 0.99, "Momentum of the moving averages.",
                   min=0.0, max=1.0, max_inclusive=False),
             Field("epsilon", "float", 1e-3, "Added to the variance to avoid dividing by 0.",
                   min=0.0, min_inclusive=False, max=1.0)),
            _batchnorm,
        ),
        LayerKind(
            "Conv2D",
            "2-D convolution over (height, width, channels) images.",
            (Field("filters", "int", 32, "Number of output channels.", min=1, max=4096),
             Field("kernel_size", "int_pair", [3, 3], "Window height and width."),
             Field("strides", "int_pair", [1, 1], "Step of the window."),
             Field("padding", "choice", "valid", "'same' keeps height and width.",
                   choices=("valid", "same")),
             _ACT, _USE_BIAS),
            _conv2d,
        ),
        LayerKind(
            "Rescaling",
            "x * scale + offset: a regression output in the target's units (ktui train "
            "--data ends its default model so, from the target's standard deviation and mean).",
            (Field("scale", "float", 1.0, "Multiplies every value.", min=-1e9, max=1e9),
             Field("offset", "float", 0.0, "Added to every value after scaling.",
                   min=-1e12, max=1e12)),
            _same,
        ),
        LayerKind(
            "MaxPooling2D",
            "Keeps the largest value of each window.",
            (Field("pool_size", "int_pair", [2, 2], "Window height and width."),
             Field("strides", "int_pair", [2, 2], "Step of the window."),
             Field("padding", "choice", "valid", "'same' pads the edges.",
                   choices=("valid", "same"))),
            _maxpool,
        ),
    )
}


@dataclass(frozen=True)
class InferredLayer:
    kind: str
    output_shape: Shape
    params: int


def layer_label(index: int, kind: Any) -> str:
    """How users see a layer everywhere: 1-based with its kind, ``layer 2 (Dense)``."""
    return f"layer {index + 1} ({kind})" if isinstance(kind, str) else f"layer {index + 1}"


def infer_stack(input_shape: Shape, layers: Sequence[tuple[str, dict[str, Any]]]
                ) -> list[InferredLayer]:
    """Walk the stack from ``input_shape``; raise :class:`StackError` naming the bad layer.

    ``layers`` are ``(kind, params)`` pairs whose params already passed validation. The walk
    is a loop (no recursion), so any number of layers is safe here.
    """
    shape = tuple(input_shape)
    rows: list[InferredLayer] = []
    for i, (kind, params) in enumerate(layers):
        try:
            shape, count = LAYER_KINDS[kind].output(shape, params)
        except StackError as err:
            # The same class (a user layer's ShapePending stays one), now naming the layer.
            raise type(err)(f"{layer_label(i, kind)}: {err}", index=i, rows=rows) from None
        rows.append(InferredLayer(kind, shape, count))
    return rows


# ---- one layer's problems ------------------------------------------------------------------

def kind_problem(index: int, kind: Any) -> str | None:
    """Why a layer's ``kind`` names no layer of the catalog, or None."""
    kinds = ", ".join(LAYER_KINDS)
    if kind is None:
        return f"layer {index + 1}: needs a kind (one of {kinds})"
    if not isinstance(kind, str):
        return f"layer {index + 1}: kind must be a layer name (one of {kinds}), got {brief(kind)}"
    if kind not in LAYER_KINDS:
        return (f"layer {index + 1}: unknown kind {brief(kind)} (one of {kinds}; a layer class "
                "of your own: pass its file with --layers FILE)")
    return None


def param_problems(label: str, kind: LayerKind, params: dict[str, Any],
                   types_only: bool = False) -> list[str]:
    """Unknown parameters, then wrong types, then values out of range or not offered:
    ``layer 2 (Dense): units must be ...``. ``types_only`` (reading a file) leaves out the
    values out of range, but not what a layer has always refused on reading: a name that is
    not on its menu (its choices) and a number that is not finite."""
    names = [p.name for p in kind.params]
    expected = f"expected {', '.join(sorted(names))}" if names else "it has none"

    def unknown(key: str) -> str:
        return f"{label}: unknown parameter {brief(key)} ({expected})"

    def at(name: str) -> str:
        return f"{label}: {name} "

    errors: list[str] = [f"{label}: {p.name} is required (its __init__ has no default)"
                         for p in kind.params if p.required and p.name not in params]
    if types_only:
        parse_table(kind.params, params, errors, at=at, unknown=unknown, coerce=False)
        return errors + [at(p.name) + problem for p in kind.params if p.name in params
                         and _refused_on_reading(p, params[p.name])
                         and (problem := p.check(params[p.name]))]
    errors += [unknown(key) for key in params if key not in names]
    return errors + check_values(kind.params, params, at)[0]


def _refused_on_reading(param: Field, value: Any) -> bool:
    if param.type_problem(value):
        return False  # reported as a wrong type already
    return param.type == "choice" or (param.type == "float" and not is_finite(value))


def layer_problems(index: int, kind: Any, params: Any) -> list[str]:
    """Problems with one layer's kind and parameters, each as ``layer 2 (Dense): units must
    be ...`` (1-based, with the kind: the numbering users see everywhere)."""
    problem = kind_problem(index, kind)
    if problem:
        return [problem]
    label = layer_label(index, kind)
    if not isinstance(params, dict):
        return [f"{label}: parameters must be a table, got {brief(params)}"]
    return param_problems(label, LAYER_KINDS[kind], params)
