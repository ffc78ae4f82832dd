"""Every layer kind ktui offers, described once: parameters, defaults, ranges, help, shapes.

The TUI builds its forms from this table, ``spec.validate`` checks values against it, presets
use its names, and :mod:`ktui.core.layers` implements each kind. It is pure Python: the
shape and parameter-count inference here lets the UI show a live ``model.summary()`` and
explain an impossible stack without waiting for TensorFlow. A unit test checks every kind's
inference against the real Keras layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ktui.core.text import brief

ParamType = Literal["int", "float", "bool", "choice", "shape", "int_pair"]
Shape = tuple[int, ...]  # without the batch dimension

ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "softmax", "selu", "elu", "gelu", "swish")
INITIALIZERS = ("glorot_uniform", "uniform", "random_normal", "zeros", "ones", "constant")
#: The Lambda layer's fixed menu: element-wise operations, never user code.
LAMBDA_OPS = (
    "exp", "square", "sqrt", "abs", "negative", "tanh", "relu", "sigmoid", "softplus", "log1p",
)


#: Kinds whose layer takes a ``seed`` (initial weights or dropout masks), derived from the
#: run seed and the layer's position so runs are reproducible.
SEEDED_KINDS = frozenset({"Dense", "Linear", "Dropout", "Conv2D"})
#: The largest seed Keras takes (``keras.utils.set_random_seed``: 0 to 2**32 - 1).
MAX_SEED = 2**32 - 1
#: Bounds of a ``shape``/``int_pair`` value: what any real stack needs, far below what would
#: overflow TensorFlow's int64 shapes or hang the shape arithmetic.
MAX_RANK = 8
MAX_DIM = 1_000_000


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


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a layer kind, with what the form and the validator need."""

    name: str
    type: ParamType
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    #: Whether ``min``/``max`` themselves are allowed.
    min_inclusive: bool = True
    max_inclusive: bool = True
    choices: tuple[str, ...] = ()

    def check(self, value: Any) -> str | None:
        """Return why ``value`` is not acceptable, or None when it is."""
        return self.type_problem(value) or self._check_range(value)

    def type_problem(self, value: Any) -> str | None:
        """Why ``value`` has the wrong type or shape for this parameter (a list where a name
        is expected, a string where a number is), or None. Values of the right type can
        still be out of range: :meth:`check` says that too."""
        if self.type == "bool":
            return None if isinstance(value, bool) else f"must be true or false, got {brief(value)}"
        if self.type == "choice":
            if isinstance(value, str) and value in self.choices:
                return None
            return f"must be one of {', '.join(self.choices)}; got {brief(value)}"
        if self.type in ("shape", "int_pair"):
            return self._shape_problem(value)
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"must be an integer, got {brief(value)}"
        elif self.type == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"must be a number, got {brief(value)}"
            if not math.isfinite(value):
                return f"must be a finite number, got {brief(value)}"
        return None

    def _shape_problem(self, value: Any) -> str | None:
        if not isinstance(value, (list, tuple)) or not value:
            return f"must be a list of positive integers, got {brief(value)}"
        if self.type == "int_pair" and len(value) != 2:
            return f"must be two positive integers [h, w], got {brief(list(value))}"
        if len(value) > MAX_RANK:
            return f"must have at most {MAX_RANK} dimensions, got {len(value)}"
        if not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_DIM
                   for v in value):
            return (f"must be a list of positive integers <= {MAX_DIM:,}, "
                    f"got {brief(list(value))}")
        return None

    def _check_range(self, value: Any) -> str | None:
        if self.type not in ("int", "float"):
            return None
        low_ok = self.min is None or (value >= self.min if self.min_inclusive else value > self.min)
        high_ok = self.max is None or (
            value <= self.max if self.max_inclusive else value < self.max
        )
        if low_ok and high_ok:
            return None
        return f"must be {self.range_text()}, got {brief(value)}"

    def range_text(self) -> str:
        """The allowed range in words, e.g. ``a positive integer`` or ``in [0, 1)``."""
        if self.type == "int" and self.min == 1:
            return "a positive integer" + (f" <= {_num(self.max)}" if self.max else "")
        if self.min is not None and self.max is not None:
            left = "[" if self.min_inclusive else "("
            right = "]" if self.max_inclusive else ")"
            return f"in {left}{_num(self.min)}, {_num(self.max)}{right}"
        if self.min is not None:
            return f"{'>=' if self.min_inclusive else '>'} {_num(self.min)}"
        if self.max is not None:
            return f"{'<=' if self.max_inclusive else '<'} {_num(self.max)}"
        return "any value"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


InferFn = Callable[[Shape, dict[str, Any]], tuple[Shape, int]]


@dataclass(frozen=True)
class LayerKind:
    """A layer the form can add: its name in specs, what it does, and its parameters."""

    name: str
    help: str
    params: tuple[ParamSpec, ...]
    infer: InferFn = field(repr=False)
    #: The seed tutorial it comes from, shown in the form's help.
    origin: str = ""

    def param(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


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

_UNITS = ParamSpec("units", "int", 32, "Number of output units (neurons).", min=1, max=100_000)
_ACT = ParamSpec("activation", "choice", "linear", "Applied after the affine map.",
                 choices=ACTIVATIONS)
_USE_BIAS = ParamSpec("use_bias", "bool", True, "Add a learned bias vector.")


def _init_params(prefix: str, default: str) -> tuple[ParamSpec, ParamSpec]:
    return (
        ParamSpec(f"{prefix}_initializer", "choice", default,
                  f"How the {prefix} starts. 'uniform' is U(-0.05, 0.05) as in Keras; "
                  "'constant' uses the value below.", choices=INITIALIZERS),
        ParamSpec(f"{prefix}_value", "float", 0.0,
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
            origin="seed 001 DenseLayer; seed 003 Dense",
        ),
        LayerKind(
            "Linear",
            "x @ w + b with both drawn from a small normal distribution (seed 002).",
            (ParamSpec("units", "int", 32, "Number of output units.", min=1, max=100_000),),
            _dense("Linear"),
            origin="seed 002 Linear",
        ),
        LayerKind(
            "Dropout",
            "Zeroes a fraction of inputs while training; does nothing at evaluation.",
            (ParamSpec("rate", "float", 0.5, "Fraction of inputs dropped while training.",
                       min=0.0, max=1.0, max_inclusive=False),
             ParamSpec("seed", "int", 0, "Seed of the dropout mask (0 = from the run seed).",
                       min=0, max=MAX_SEED)),
            _same,
            origin="seed 002 CustomDropout",
        ),
        LayerKind(
            "Lambda",
            "An element-wise operation picked from a fixed menu (no code is evaluated).",
            (ParamSpec("op", "choice", "exp", "The operation applied to every value.",
                       choices=LAMBDA_OPS),),
            _same,
            origin="seed 002 Lambda(tf.exp)",
        ),
        LayerKind("Flatten", "Flattens each sample to one dimension.", (), _flatten),
        LayerKind(
            "Reshape",
            "Gives each sample a new shape with the same number of values.",
            (ParamSpec("target_shape", "shape", [784], "The new shape, without the batch."),),
            _reshape,
            origin="seed 001 Reshape(784)",
        ),
        LayerKind("Activation", "Applies an activation function.",
                  (ParamSpec("activation", "choice", "relu", "The function applied.",
                             choices=ACTIVATIONS),),
                  _same, origin="seed 004 ReLU"),
        LayerKind(
            "BatchNormalization",
            "Normalises each feature by batch statistics (training) or moving averages.",
            (ParamSpec("momentum", "float", 0.99, "Momentum of the moving averages.",
                       min=0.0, max=1.0, max_inclusive=False),
             ParamSpec("epsilon", "float", 1e-3, "Added to the variance to avoid dividing by 0.",
                       min=0.0, min_inclusive=False, max=1.0)),
            _batchnorm,
        ),
        LayerKind(
            "Conv2D",
            "2-D convolution over (height, width, channels) images.",
            (ParamSpec("filters", "int", 32, "Number of output channels.", min=1, max=4096),
             ParamSpec("kernel_size", "int_pair", [3, 3], "Window height and width."),
             ParamSpec("strides", "int_pair", [1, 1], "Step of the window."),
             ParamSpec("padding", "choice", "valid", "'same' keeps height and width.",
                       choices=("valid", "same")),
             _ACT, _USE_BIAS),
            _conv2d,
        ),
        LayerKind(
            "MaxPooling2D",
            "Keeps the largest value of each window.",
            (ParamSpec("pool_size", "int_pair", [2, 2], "Window height and width."),
             ParamSpec("strides", "int_pair", [2, 2], "Step of the window."),
             ParamSpec("padding", "choice", "valid", "'same' pads the edges.",
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
        spec = LAYER_KINDS[kind]
        merged = {**spec.defaults(), **params}
        try:
            shape, count = spec.infer(shape, merged)
        except StackError as err:
            raise StackError(f"{layer_label(i, kind)}: {err}", index=i, rows=rows) from None
        rows.append(InferredLayer(kind, shape, count))
    return rows
