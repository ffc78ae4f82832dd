"""The experiment: dataset + layer stack + training settings, as dataclasses and TOML.

``parse_spec`` turns TOML data into an :class:`ExperimentSpec`, collecting *every* problem
(unknown keys included) as ``path: message`` strings; ``validate`` checks values, the layer
stack's shapes and whether the loss and metrics fit the dataset. Both are pure Python so the
TUI can flag a field as the user types.
"""

from __future__ import annotations

import copy
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import tomli_w

from ktui.core.catalog import LAYER_KINDS, StackError, format_shape, infer_stack

SPEC_VERSION = 1
Task = Literal["regression", "classification"]

FASHION_SHAPE = (28, 28)
FASHION_CLASSES = 10
FASHION_TRAIN_SIZE = 60_000

#: Loss name -> (tasks it fits, one-line help).
LOSSES: dict[str, tuple[tuple[Task, ...], str]] = {
    "mse": (("regression",), "mean squared error"),
    "mae": (("regression",), "mean absolute error"),
    "huber": (("regression",), "Huber loss, delta 1 (seed 002's huber_fn)"),
    "sparse_categorical_crossentropy": (
        ("classification",), "cross-entropy of integer labels against logits (seed 001)"),
    "kl_divergence": (("classification",), "KL(one-hot labels || softmax of logits)"),
    "cosine_similarity": (
        ("classification",), "negative cosine similarity of one-hot labels and softmax"),
}
#: Metric name -> (tasks it fits, one-line help).
METRICS: dict[str, tuple[tuple[Task, ...], str]] = {
    "accuracy": (("classification",), "fraction of argmax predictions equal to the label"),
    "auc": (("classification",), "ROC AUC of one-hot labels vs softmax (micro-averaged)"),
    "precision": (("classification",), "precision of softmax > 0.5 (micro-averaged)"),
    "recall": (("classification",), "recall of softmax > 0.5 (micro-averaged)"),
    "mae": (("regression",), "mean absolute error"),
    "mse": (("regression",), "mean squared error"),
    "rmse": (("regression",), "root mean squared error"),
}
OPTIMIZERS: dict[str, str] = {
    "sgd": "plain or momentum gradient descent",
    "rmsprop": "RMSprop (momentum applies)",
    "adam": "Adam",
}
MODEL_STYLES = ("sequential", "functional", "subclassed")
DEVICES = ("auto", "cpu", "gpu")


class SpecError(ValueError):
    """A spec that cannot be used; ``errors`` holds every ``path: message``."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class LinearData:
    """y = x·W + b + noise, with x ~ N(0, 1); the seed's defaults (W=3, b=2, n=1000, noise 1)."""

    kind: Literal["linear"] = "linear"
    w: list[float] = field(default_factory=lambda: [3.0])
    b: float = 2.0
    noise: float = 1.0
    n: int = 1000
    n_features: int = 1
    seed: int = 0
    #: Explicit training points (rows of ``n_features`` values) and targets, as in seed 003's
    #: ``X``/``y``; when given, they replace the generated training set (W, b, noise, n unused)
    #: and there is no validation or test set.
    x: list[list[float]] = field(default_factory=list)
    y: list[float] = field(default_factory=list)

    def weights(self) -> list[float]:
        """W with one entry per feature (a single W is repeated)."""
        return self.w * self.n_features if len(self.w) == 1 else list(self.w)


@dataclass
class FashionData:
    """The real Fashion-MNIST: 60 000 training and 10 000 test images of 28×28."""

    kind: Literal["fashion_mnist"] = "fashion_mnist"
    #: Training images to use (0 = all 60 000), taken before the validation split.
    samples: int = 0
    #: Where the four .gz files are; empty = the standard places (see data.py).
    data_dir: str = ""
    #: Standardise with the training set's mean and std (as the seed's StandardScaler).
    standardize: bool = True


DatasetSpec = LinearData | FashionData


@dataclass
class LayerSpec:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> dict[str, Any]:
        """Catalog defaults overlaid with the given parameters."""
        return {**LAYER_KINDS[self.kind].defaults(), **self.params}


@dataclass
class TrainSpec:
    loss: str = "mse"
    optimizer: str = "sgd"
    learning_rate: float = 0.01
    momentum: float = 0.0
    metrics: list[str] = field(default_factory=lambda: ["mae"])
    epochs: int = 10
    #: Samples per step; 0 = the whole training set in one batch (seed 000's gradient descent).
    batch_size: int = 32
    #: Fashion-MNIST: fraction of the training images held out. Linear: the size of the
    #: (separately drawn) validation and test sets, relative to ``n``.
    validation_split: float = 0.1
    seed: int = 42
    shuffle: bool = True
    model_style: str = "sequential"
    #: Emit a step event every this many steps (each one costs a device-to-host copy).
    log_every: int = 10
    device: str = "auto"
    #: Compile the step with XLA (opt-in: it helps some models and slows others).
    jit_compile: bool = False


@dataclass
class ExperimentSpec:
    name: str = "experiment"
    description: str = ""
    dataset: DatasetSpec = field(default_factory=LinearData)
    layers: list[LayerSpec] = field(default_factory=list)
    train: TrainSpec = field(default_factory=TrainSpec)

    @property
    def task(self) -> Task:
        return "classification" if isinstance(self.dataset, FashionData) else "regression"

    def input_shape(self) -> tuple[int, ...]:
        if isinstance(self.dataset, FashionData):
            return FASHION_SHAPE
        return (self.dataset.n_features,)

    def output_shape(self) -> tuple[int, ...]:
        return (FASHION_CLASSES,) if self.task == "classification" else (1,)

    def copy(self) -> ExperimentSpec:
        return copy.deepcopy(self)


# ---- TOML in and out ---------------------------------------------------------------------------

def _field_names(cls: type) -> dict[str, Any]:
    return {f.name: f for f in fields(cls)}


def _check_type(path: str, value: Any, default: Any) -> str | None:
    """Type-check ``value`` against the type of the field's default."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        want = "true or false"
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        want = "an integer"
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        want = "a number"
    elif isinstance(default, str):
        ok = isinstance(value, str)
        want = "a string"
    elif isinstance(default, list):
        ok = isinstance(value, list)
        want = "a list"
    else:
        return None
    return None if ok else f"{path}: must be {want}, got {value!r}"


def _fill(cls: type, data: dict[str, Any], path: str, errors: list[str]) -> Any:
    """Build dataclass ``cls`` from ``data``: unknown keys and wrong types become errors."""
    known = _field_names(cls)
    instance = cls()
    for key, value in data.items():
        if key not in known:
            options = ", ".join(k for k in known if k != "kind")
            errors.append(f"{path}.{key}: unknown key (expected one of: {options})")
            continue
        if key == "kind":
            continue
        err = _check_type(f"{path}.{key}", value, getattr(instance, key))
        if err:
            errors.append(err)
            continue
        if isinstance(getattr(instance, key), float) and not isinstance(value, bool):
            value = float(value)
        setattr(instance, key, value)
    return instance


def parse_spec(data: dict[str, Any]) -> ExperimentSpec:
    """TOML-shaped data -> spec. Raises :class:`SpecError` listing every structural problem."""
    errors: list[str] = []
    version = data.get("ktui_spec", SPEC_VERSION)
    if not isinstance(version, int) or version > SPEC_VERSION:
        raise SpecError([
            f"ktui_spec: this file is spec version {version!r}; this ktui reads version "
            f"{SPEC_VERSION} and older. Upgrade ktui to use it."
        ])
    spec = ExperimentSpec()
    for key in data:
        if key not in ("ktui_spec", "name", "description", "dataset", "layers", "train"):
            errors.append(f"{key}: unknown key (expected name, description, dataset, layers, "
                          "train)")
    for key in ("name", "description"):
        if key in data:
            if isinstance(data[key], str):
                setattr(spec, key, data[key])
            else:
                errors.append(f"{key}: must be a string, got {data[key]!r}")

    dataset = data.get("dataset", {})
    if not isinstance(dataset, dict):
        errors.append("dataset: must be a table")
    else:
        kind = dataset.get("kind", "linear")
        if kind == "linear":
            d = dict(dataset)
            if isinstance(d.get("w"), (int, float)) and not isinstance(d.get("w"), bool):
                d["w"] = [float(d["w"])]
            spec.dataset = _fill(LinearData, d, "dataset", errors)
            spec.dataset.w = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                              else v for v in spec.dataset.w]
        elif kind == "fashion_mnist":
            spec.dataset = _fill(FashionData, dataset, "dataset", errors)
        else:
            errors.append(f"dataset.kind: must be 'linear' or 'fashion_mnist', got {kind!r}")

    layers = data.get("layers", [])
    if not isinstance(layers, list):
        errors.append("layers: must be a list of tables ([[layers]])")
        layers = []
    for i, raw in enumerate(layers):
        path = f"layers[{i}]"
        if not isinstance(raw, dict) or "kind" not in raw:
            errors.append(f"{path}: needs a 'kind' (one of {', '.join(LAYER_KINDS)})")
            continue
        kind = raw["kind"]
        if kind not in LAYER_KINDS:
            errors.append(f"{path}.kind: unknown layer {kind!r} (one of {', '.join(LAYER_KINDS)})")
            continue
        names = {p.name for p in LAYER_KINDS[kind].params}
        params = {}
        for key, value in raw.items():
            if key == "kind":
                continue
            if key not in names:
                expected = ", ".join(sorted(names)) or "no parameters"
                errors.append(f"{path}.{key}: unknown parameter of {kind} (expected {expected})")
                continue
            params[key] = value
        spec.layers.append(LayerSpec(kind, params))

    train = data.get("train", {})
    if not isinstance(train, dict):
        errors.append("train: must be a table")
    else:
        spec.train = _fill(TrainSpec, train, "train", errors)
    if errors:
        raise SpecError(errors)
    return spec


def spec_to_dict(spec: ExperimentSpec) -> dict[str, Any]:
    """The spec as TOML-ready data; layer parameters are written in full (defaults included)
    so a saved spec means the same thing even if a later ktui changes a default."""
    dataset = {f.name: getattr(spec.dataset, f.name) for f in fields(spec.dataset)}
    return {
        "ktui_spec": SPEC_VERSION,
        "name": spec.name,
        "description": spec.description,
        "dataset": dataset,
        "layers": [{"kind": layer.kind, **layer.resolved()} for layer in spec.layers],
        "train": {f.name: getattr(spec.train, f.name) for f in fields(spec.train)},
    }


def dumps(spec: ExperimentSpec) -> str:
    return tomli_w.dumps(spec_to_dict(spec))


def loads(text: str) -> ExperimentSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError([f"not valid TOML: {err}"]) from None
    return parse_spec(data)


def load(path: str | Path) -> ExperimentSpec:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise SpecError([f"{path}: cannot read ({err.strerror or err})"]) from None
    return loads(text)


def save(spec: ExperimentSpec, path: str | Path) -> None:
    Path(path).write_text(dumps(spec), encoding="utf-8")


# ---- validation --------------------------------------------------------------------------------

def _positive_int(path: str, value: int, *, maximum: int | None = None,
                  allow_zero: bool = False) -> str | None:
    low = 0 if allow_zero else 1
    if value < low or (maximum is not None and value > maximum):
        bound = f" and <= {maximum}" if maximum is not None else ""
        word = "a non-negative integer" if allow_zero else "a positive integer"
        return f"{path}: must be {word}{bound}, got {value}"
    return None


def _check_dataset(spec: ExperimentSpec, errors: list[str]) -> None:
    d = spec.dataset
    if isinstance(d, LinearData):
        for e in (
            _positive_int("dataset.n", d.n, maximum=10_000_000),
            _positive_int("dataset.n_features", d.n_features, maximum=10_000),
            None if d.noise >= 0 and math.isfinite(d.noise)
            else f"dataset.noise: must be >= 0, got {d.noise}",
            None if math.isfinite(d.b) else f"dataset.b: must be finite, got {d.b}",
            None if d.seed >= 0 else f"dataset.seed: must be >= 0, got {d.seed}",
        ):
            if e:
                errors.append(e)
        if not d.w or not all(isinstance(v, float) and math.isfinite(v) for v in d.w):
            errors.append(f"dataset.w: must be a number or a list of numbers, got {d.w!r}")
        elif len(d.w) not in (1, d.n_features):
            errors.append(f"dataset.w: has {len(d.w)} values but n_features is "
                          f"{d.n_features}; give one W or one per feature")
        if d.x or d.y:
            _check_points(d, errors)
    else:
        e = _positive_int("dataset.samples", d.samples, maximum=FASHION_TRAIN_SIZE,
                          allow_zero=True)
        if e:
            errors.append(e + " (0 = all)")


def _check_points(d: LinearData, errors: list[str]) -> None:
    def finite(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    if len(d.x) != len(d.y):
        errors.append(f"dataset.y: has {len(d.y)} targets for {len(d.x)} rows of x")
    for i, row in enumerate(d.x):
        if not isinstance(row, list) or len(row) != d.n_features or not all(map(finite, row)):
            errors.append(f"dataset.x[{i}]: must be a list of {d.n_features} numbers "
                          f"(n_features), got {row!r}")
            break
    if not all(map(finite, d.y)):
        errors.append(f"dataset.y: must be a list of numbers, got {d.y!r}")


def _check_train(spec: ExperimentSpec, errors: list[str]) -> None:
    t = spec.train
    task = spec.task
    if t.loss not in LOSSES:
        errors.append(f"train.loss: must be one of {', '.join(LOSSES)}; got {t.loss!r}")
    elif task not in LOSSES[t.loss][0]:
        fits = [name for name, (tasks, _) in LOSSES.items() if task in tasks]
        errors.append(f"train.loss: {t.loss} does not fit {task} ({_dataset_words(spec)}); "
                      f"use one of {', '.join(fits)}")
    if t.optimizer not in OPTIMIZERS:
        errors.append(f"train.optimizer: must be one of {', '.join(OPTIMIZERS)}; "
                      f"got {t.optimizer!r}")
    if not (0 < t.learning_rate <= 10) or not math.isfinite(t.learning_rate):
        errors.append(f"train.learning_rate: must be in (0, 10], got {t.learning_rate}")
    if not 0 <= t.momentum < 1:
        errors.append(f"train.momentum: must be in [0, 1), got {t.momentum}")
    for i, name in enumerate(t.metrics):
        if name not in METRICS:
            errors.append(f"train.metrics[{i}]: must be one of {', '.join(METRICS)}; "
                          f"got {name!r}")
        elif task not in METRICS[name][0]:
            fits = [m for m, (tasks, _) in METRICS.items() if task in tasks]
            errors.append(f"train.metrics[{i}]: {name} does not fit {task} "
                          f"({_dataset_words(spec)}); use {', '.join(fits)}")
    if len(set(t.metrics)) != len(t.metrics):
        errors.append("train.metrics: lists a metric twice")
    for e in (
        _positive_int("train.epochs", t.epochs, maximum=100_000),
        _positive_int("train.batch_size", t.batch_size, maximum=1_000_000, allow_zero=True),
        _positive_int("train.log_every", t.log_every, maximum=1_000_000),
    ):
        if e:
            errors.append(e)
    if not 0 <= t.validation_split < 1:
        errors.append(f"train.validation_split: must be in [0, 1), got {t.validation_split}")
    if t.seed < 0:
        errors.append(f"train.seed: must be >= 0, got {t.seed}")
    if t.model_style not in MODEL_STYLES:
        errors.append(f"train.model_style: must be one of {', '.join(MODEL_STYLES)}; "
                      f"got {t.model_style!r}")
    if t.device not in DEVICES:
        errors.append(f"train.device: must be one of {', '.join(DEVICES)}; got {t.device!r}")


def _dataset_words(spec: ExperimentSpec) -> str:
    return "Fashion-MNIST labels" if spec.task == "classification" else "the linear dataset"


def layer_errors(index: int, layer: LayerSpec) -> list[str]:
    """Problems with one layer's parameters, each as ``layers[i].param: message``."""
    kind = LAYER_KINDS.get(layer.kind)
    if kind is None:
        return [f"layers[{index}].kind: unknown layer {layer.kind!r}"]
    errors = []
    names = {p.name for p in kind.params}
    for key in layer.params:
        if key not in names:
            errors.append(f"layers[{index}].{key}: unknown parameter of {layer.kind}")
    for p in kind.params:
        if p.name in layer.params:
            problem = p.check(layer.params[p.name])
            if problem:
                errors.append(f"layers[{index}].{p.name}: {problem}")
    return errors


def validate(spec: ExperimentSpec) -> list[str]:
    """Every problem with the spec, each starting with its field path; [] when it can run."""
    errors: list[str] = []
    _check_dataset(spec, errors)
    _check_train(spec, errors)
    if not spec.layers:
        errors.append("layers: the model needs at least one layer")
    layer_problems = [e for i, layer in enumerate(spec.layers) for e in layer_errors(i, layer)]
    errors.extend(layer_problems)
    if spec.layers and not layer_problems:
        try:
            stack_problem(spec)
        except StackError as err:
            errors.append(str(err))
    return errors


def stack_problem(spec: ExperimentSpec) -> None:
    """Raise :class:`StackError` when the stack cannot map the dataset's input to its target."""
    rows = infer_stack(spec.input_shape(), [(lay.kind, lay.params) for lay in spec.layers])
    out = rows[-1].output_shape
    want = spec.output_shape()
    if out != want:
        last = len(rows) - 1
        if spec.task == "classification":
            hint = (f"end with a Dense of {FASHION_CLASSES} units (logits, no softmax) after a "
                    "Flatten or Reshape")
        else:
            hint = "end with a Dense (or Linear) of 1 unit"
        raise StackError(
            f"layers[{last}] ({spec.layers[last].kind}): the model outputs "
            f"{format_shape(out)} but {_dataset_words(spec)} need {format_shape(want)}; {hint}"
        )


def check(spec: ExperimentSpec) -> ExperimentSpec:
    """Return ``spec`` if valid, else raise :class:`SpecError` with every problem."""
    errors = validate(spec)
    if errors:
        raise SpecError(errors)
    return spec
