"""The experiment: dataset + layer stack + training settings, as dataclasses and TOML.

``parse_spec`` turns TOML data into an :class:`ExperimentSpec`, collecting *every* problem
(unknown keys included) as ``path: message`` strings; ``validate`` checks values, the layer
stack's shapes and whether the loss and metrics fit the dataset. Both are pure Python so the
TUI can flag a field as the user types, and both survive any input: whatever a file or a
form holds, the answer is a list of problems (or :class:`SpecError`), never a TypeError.
Layers are numbered from 1 with their kind, ``layer 2 (Dense): ...``, as the UI lists them.
"""

from __future__ import annotations

import copy
import math
import os
import stat
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import tomli_w

from ktui.core.catalog import (
    LAYER_KINDS,
    MAX_SEED,
    InferredLayer,
    StackError,
    format_shape,
    infer_stack,
    layer_label,
)
from ktui.core.text import brief

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


# ---- limits --------------------------------------------------------------------------------------

#: Longest experiment name: it names the run directory and the Keras model.
MAX_NAME = 100
MAX_DESCRIPTION = 10_000
#: More layers than any model here needs. Keras' graph code (``map_graph``) recurses once per
#: layer: 1 000 layers already end in RecursionError; 500 build, train and save in every style.
MAX_LAYERS = 500
#: Weights of float32 beyond this (8 GB, before the optimizer's slots) do not fit a
#: workstation; refused with the count instead of an out-of-memory error from TensorFlow.
MAX_PARAMS = 2_000_000_000
#: The linear generator's x is n × n_features float64 values (plus validation and test sets).
MAX_LINEAR_VALUES = 100_000_000
#: A spec file larger than this is not a spec (explicit x/y points included).
MAX_SPEC_BYTES = 16 * 1024 * 1024


# ---- types, shared by parsing and validation -------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_float(value: int | float) -> float:
    """``float(value)``, with an integer too large for a float as infinity (not an error)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


#: What the items of each list field must be (checked by parsing and validation alike).
_LIST_ITEMS = {"metrics": "a string (a metric name)", "w": "a number", "y": "a number",
               "x": "a list of numbers"}


def _item_ok(key: str, item: Any) -> bool:
    if key == "metrics":
        return isinstance(item, str)
    if key == "x":
        return isinstance(item, list) and all(map(_is_number, item))
    return _is_number(item)


def _type_problems(path: str, value: Any, default: Any) -> list[str]:
    """Why ``value`` does not have the type of the field's default (for lists: of its items)."""
    key = path.rsplit(".", 1)[-1]
    if isinstance(default, bool):
        ok, want = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        ok, want = _is_int(value), "an integer"
    elif isinstance(default, float):
        ok, want = _is_number(value), "a number"
    elif isinstance(default, str):
        ok, want = isinstance(value, str), "a string"
    elif isinstance(default, list):
        ok, want = isinstance(value, list), "a list"
        if key == "w":
            want = "a number or a list of numbers"
        if ok and key in _LIST_ITEMS:
            for i, item in enumerate(value):
                if not _item_ok(key, item):
                    where = path if key == "w" else f"{path}[{i}]"
                    what = want if key == "w" else _LIST_ITEMS[key]
                    return [f"{where}: must be {what}, got {brief(item)}"]
    else:
        return []
    return [] if ok else [f"{path}: must be {want}, got {brief(value)}"]


_DEFAULTS: dict[type, Any] = {}


def _default(cls: type, key: str) -> Any:
    if cls not in _DEFAULTS:
        _DEFAULTS[cls] = cls()
    return getattr(_DEFAULTS[cls], key)


# ---- TOML in and out ---------------------------------------------------------------------------

_TOP_KEYS = ("ktui_spec", "name", "description", "dataset", "layers", "train")
_SKIP_ROW = "layer:"  # marks a [[layers]] entry already reported (its kind is unusable)


@dataclass
class _Parsed:
    """A spec built from TOML data as far as it goes, every problem found on the way, and
    the checks that validation must skip because they would only echo those problems (a
    stack check with a broken layer, a loss-fits-the-dataset check with no dataset)."""

    spec: ExperimentSpec
    errors: list[str]
    skip: set[str]


def _fill(cls: type, data: dict[str, Any], path: str, errors: list[str]) -> Any:
    """Build dataclass ``cls`` from ``data``: unknown keys and wrong types become errors.

    A value of the wrong type is still stored, so validation (which checks types itself, in
    the same words) can skip what depends on it instead of judging a default."""
    known = [f.name for f in fields(cls)]
    instance = cls()
    for key, value in data.items():
        if key not in known:
            options = ", ".join(k for k in known if k != "kind")
            errors.append(f"{path}.{key}: unknown key (expected one of: {options})")
            continue
        if key == "kind":
            continue
        default = getattr(instance, key)
        problems = _type_problems(f"{path}.{key}", value, default)
        errors.extend(problems)
        if not problems and isinstance(default, float):
            value = _as_float(value)
        setattr(instance, key, value)
    return instance


def _version_problem(data: dict[str, Any]) -> str | None:
    version = data.get("ktui_spec", SPEC_VERSION)
    if not _is_int(version) or version < 1:
        return (f"ktui_spec: must be the format version, an integer ({SPEC_VERSION}), "
                f"got {brief(version)}")
    if version > SPEC_VERSION:
        return (f"ktui_spec: this file is spec version {version}; this ktui reads version "
                f"{SPEC_VERSION} and older. Upgrade ktui to use it.")
    return None


def _parse_dataset(raw: Any, errors: list[str], skip: set[str]) -> DatasetSpec:
    if not isinstance(raw, dict):
        errors.append(f"dataset: must be a table ([dataset] with a kind), got {brief(raw)}")
        skip.update(("fit", "stack"))
        return LinearData()
    kind = raw.get("kind", "linear")
    if kind == "fashion_mnist":
        return _fill(FashionData, raw, "dataset", errors)
    if kind != "linear":
        errors.append(f"dataset.kind: must be 'linear' or 'fashion_mnist', got {brief(kind)}")
        skip.update(("fit", "stack"))
        return LinearData()
    d = dict(raw)
    if _is_number(d.get("w")):  # one W for every feature
        d["w"] = [d["w"]]
    if isinstance(d.get("w"), list):
        d["w"] = [_as_float(v) if _is_number(v) else v for v in d["w"]]
    return _fill(LinearData, d, "dataset", errors)


def _parse_layers(raw: Any, errors: list[str], skip: set[str]) -> list[LayerSpec]:
    if not isinstance(raw, list):
        errors.append(f"layers: must be a list of tables ([[layers]]), got {brief(raw)}")
        skip.update(("stack", "layers"))
        return []
    if len(raw) > MAX_LAYERS:  # one line, not a problem per layer of a runaway file
        errors.append(f"layers: at most {MAX_LAYERS} layers, got {len(raw)}")
        skip.update(("stack", "layers"))
        return []
    layers = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.append(f"layer {i + 1}: must be a table ([[layers]] with a kind), "
                          f"got {brief(item)}")
        else:
            problem = _kind_problem(i, item.get("kind"))
            if problem is None:
                layer = LayerSpec(item["kind"], {k: v for k, v in item.items() if k != "kind"})
                problems = _layer_problems(i, layer, types_only=True)
                errors.extend(problems)
                if problems:
                    skip.add("stack")
                layers.append(layer)
                continue
            errors.append(problem)
        # Keep the numbering of the layers after it; validation skips this placeholder.
        skip.update(("stack", f"{_SKIP_ROW}{i}"))
        layers.append(LayerSpec("", {}))
    return layers


def _parse(data: dict[str, Any]) -> _Parsed:
    errors: list[str] = []
    skip: set[str] = set()
    spec = ExperimentSpec()
    for key in data:
        if key not in _TOP_KEYS:
            errors.append(f"{key}: unknown key (expected name, description, dataset, layers, "
                          "train)")
    for key in ("name", "description"):
        if key in data:
            errors.extend(_type_problems(key, data[key], ""))
            setattr(spec, key, data[key])
    spec.dataset = _parse_dataset(data.get("dataset", {}), errors, skip)
    spec.layers = _parse_layers(data.get("layers", []), errors, skip)
    train = data.get("train", {})
    if isinstance(train, dict):
        spec.train = _fill(TrainSpec, train, "train", errors)
    else:
        errors.append(f"train: must be a table ([train]), got {brief(train)}")
        skip.add("fit")
    return _Parsed(spec, errors, skip)


def parse_spec(data: dict[str, Any]) -> ExperimentSpec:
    """TOML-shaped data -> spec.

    Raises :class:`SpecError` when the data has the wrong structure or types (unknown keys,
    a list where a name belongs, a layer without a kind): those cannot even be shown in the
    form. The error then lists *every* problem at once, the values out of range included
    (what :func:`validate` finds in the parts that could be read). A spec whose problems are
    only values out of range is returned; :func:`validate` lists them.
    """
    version = _version_problem(data)
    if version:  # a newer format may mean other things by the same keys: say only this
        raise SpecError([version])
    parsed = _parse(data)
    if parsed.errors:
        seen = set(parsed.errors)
        more = [e for e in _validate(parsed.spec, parsed.skip) if e not in seen]
        raise SpecError(sorted(parsed.errors + more, key=_section))
    return parsed.spec


def _section(error: str) -> int:
    """Where a problem's field sits in the file (top keys, dataset, layers, train), so the
    combined list reads in file order; the sort is stable within a section."""
    for rank, prefix in enumerate(("dataset", "layer", "train")):
        if error.startswith(prefix):
            return rank + 1
    return 0


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


def loads(text: str, source: str = "") -> ExperimentSpec:
    """Parse TOML text (``source``, a file name, prefixes problems with the text itself)."""
    prefix = f"{source}: " if source else ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError([f"{prefix}not valid TOML: {err}"]) from None
    except RecursionError:
        raise SpecError([f"{prefix}not valid TOML: arrays or tables nested too deeply"]) from None
    return parse_spec(data)


def read_text(path: str | Path) -> str:
    """A spec file's text, or :class:`SpecError` saying, with the path, why it is not one:
    missing, unreadable, a directory or a device, too large, not UTF-8, binary."""
    try:
        info = os.stat(path)
    except OSError as err:
        raise SpecError([f"{path}: cannot read ({err.strerror or err})"]) from None
    except ValueError:  # a NUL byte in the name
        raise SpecError([f"{path}: not a valid file name"]) from None
    if stat.S_ISDIR(info.st_mode):
        raise SpecError([f"{path}: is a directory; give the spec's .toml file"])
    if not stat.S_ISREG(info.st_mode):
        raise SpecError([f"{path}: not a regular file; give the spec's .toml file"])
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_SPEC_BYTES + 1)
    except OSError as err:
        raise SpecError([f"{path}: cannot read ({err.strerror or err})"]) from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError([f"{path}: too large for a spec file (over "
                         f"{MAX_SPEC_BYTES // 2**20} MiB)"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise SpecError([f"{path}: not UTF-8 text: byte 0x{raw[err.start]:02x} at position "
                         f"{err.start} (line {line}); save the spec as UTF-8"]) from None
    if "\x00" in text:
        raise SpecError([f"{path}: not a text file (it contains NUL bytes at position "
                         f"{text.index(chr(0))}); a spec is a UTF-8 TOML file"])
    return text.removeprefix("\ufeff")  # a byte-order mark some Windows editors write


def load(path: str | Path) -> ExperimentSpec:
    """Read a spec file. Any problem, with the file or in it, is a :class:`SpecError`
    (never another exception: listing runs reads every run's spec with this)."""
    return loads(read_text(path), source=str(path))


def save(spec: ExperimentSpec, path: str | Path) -> None:
    Path(path).write_text(dumps(spec), encoding="utf-8")


# ---- validation --------------------------------------------------------------------------------

def _int_problem(path: str, value: Any, low: int, high: int) -> str | None:
    """``value`` must be an integer in [low, high]; the message says so in words."""
    if not _is_int(value):
        return f"{path}: must be an integer, got {brief(value)}"
    if low <= value <= high:
        return None
    if low == 1:
        words = f"a positive integer <= {high}"
    elif low == 0:
        words = f"a non-negative integer <= {high}"
    else:
        words = f"an integer in [{low}, {high}]"
    return f"{path}: must be {words}, got {value}"


def _seed_problem(path: str, value: Any) -> str | None:
    problem = _int_problem(path, value, 0, MAX_SEED)
    return problem and problem + " (2**32 - 1 is the largest seed Keras takes)"


def _finite(value: Any) -> bool:
    return _is_number(value) and math.isfinite(_as_float(value))


def _typed(cls: type, obj: Any, path: str, errors: list[str]) -> set[str]:
    """Type-check every field of dataclass instance ``obj``; return the names that are wrong
    (their value checks are skipped: the type problem is the one to fix)."""
    bad = set()
    for f in fields(cls):
        if f.name == "kind":
            continue
        problems = _type_problems(f"{path}.{f.name}", getattr(obj, f.name), _default(cls, f.name))
        if problems:
            errors.extend(problems)
            bad.add(f.name)
    return bad


def _check_top(spec: ExperimentSpec, errors: list[str]) -> None:
    for key, limit in (("name", MAX_NAME), ("description", MAX_DESCRIPTION)):
        value = getattr(spec, key)
        if not isinstance(value, str):
            errors.append(f"{key}: must be a string, got {brief(value)}")
        elif len(value) > limit:
            errors.append(f"{key}: must be at most {limit} characters, got {len(value)}")
    if isinstance(spec.name, str) and not spec.name.strip():
        errors.append("name: must not be empty (it names the run)")


def _check_dataset(spec: ExperimentSpec, errors: list[str]) -> None:
    d = spec.dataset
    if isinstance(d, LinearData):
        _check_linear(d, errors)
    elif isinstance(d, FashionData):
        bad = _typed(FashionData, d, "dataset", errors)
        if "samples" not in bad:
            e = _int_problem("dataset.samples", d.samples, 0, FASHION_TRAIN_SIZE)
            if e:
                errors.append(e + " (0 = all)")
        if "data_dir" not in bad and "\x00" in d.data_dir:
            errors.append("dataset.data_dir: must not contain NUL characters")
    else:
        errors.append(f"dataset: must be a linear or fashion_mnist dataset, got {brief(d)}")


def _check_linear(d: LinearData, errors: list[str]) -> None:
    bad = _typed(LinearData, d, "dataset", errors)
    ok = {k for k in ("n", "n_features") if k not in bad}
    for key, high in (("n", 10_000_000), ("n_features", 10_000)):
        if key in ok:
            e = _int_problem(f"dataset.{key}", getattr(d, key), 1, high)
            if e:
                errors.append(e)
                ok.discard(key)
    if ok == {"n", "n_features"} and d.n * d.n_features > MAX_LINEAR_VALUES:
        errors.append(f"dataset.n: n × n_features = {d.n * d.n_features:,} values is too many "
                      f"(at most {MAX_LINEAR_VALUES:,}); lower n or n_features")
    if "noise" not in bad and not (_finite(d.noise) and d.noise >= 0):
        errors.append(f"dataset.noise: must be >= 0 and finite, got {d.noise}")
    if "b" not in bad and not _finite(d.b):
        errors.append(f"dataset.b: must be a finite number, got {d.b}")
    if "seed" not in bad:
        e = _seed_problem("dataset.seed", d.seed)
        if e:
            errors.append(e)
    if "w" not in bad:
        if not d.w or not all(map(_finite, d.w)):
            errors.append(f"dataset.w: must be a finite number or a list of them, "
                          f"got {brief(d.w)}")
        elif "n_features" in ok and len(d.w) not in (1, d.n_features):
            errors.append(f"dataset.w: has {len(d.w)} values but n_features is "
                          f"{d.n_features}; give one W or one per feature")
    if not bad & {"x", "y"} and (d.x or d.y):
        _check_points(d, errors, n_features=d.n_features if "n_features" in ok else None)


def _check_points(d: LinearData, errors: list[str], n_features: int | None) -> None:
    if len(d.x) != len(d.y):
        errors.append(f"dataset.y: has {len(d.y)} targets for {len(d.x)} rows of x")
    for i, row in enumerate(d.x):
        if (n_features is not None and len(row) != n_features) or not all(map(_finite, row)):
            errors.append(f"dataset.x[{i}]: must be a list of {d.n_features} finite numbers "
                          f"(n_features), got {brief(row)}")
            break
    if not all(map(_finite, d.y)):
        errors.append(f"dataset.y: must be a list of finite numbers, got {brief(d.y)}")


def _check_train(spec: ExperimentSpec, errors: list[str], fit: bool) -> None:
    """The [train] table; ``fit`` says whether to check the loss and metrics against the
    dataset (not when the dataset itself could not be read)."""
    t = spec.train
    if not isinstance(t, TrainSpec):
        errors.append(f"train: must be a table of training settings, got {brief(t)}")
        return
    bad = _typed(TrainSpec, t, "train", errors)
    task = spec.task
    if "loss" not in bad:
        if t.loss not in LOSSES:
            errors.append(f"train.loss: must be one of {', '.join(LOSSES)}; got {brief(t.loss)}")
        elif fit and task not in LOSSES[t.loss][0]:
            fits = [name for name, (tasks, _) in LOSSES.items() if task in tasks]
            errors.append(f"train.loss: {t.loss} does not fit {task} ({_dataset_words(spec)}); "
                          f"use one of {', '.join(fits)}")
    for key, table in (("optimizer", OPTIMIZERS), ("model_style", MODEL_STYLES),
                       ("device", DEVICES)):
        value = getattr(t, key)
        if key not in bad and value not in table:
            errors.append(f"train.{key}: must be one of {', '.join(table)}; got {brief(value)}")
    if "learning_rate" not in bad and not (_finite(t.learning_rate)
                                           and 0 < t.learning_rate <= 10):
        errors.append(f"train.learning_rate: must be in (0, 10], got {t.learning_rate}")
    for key in ("momentum", "validation_split"):
        value = getattr(t, key)
        if key not in bad and not (_finite(value) and 0 <= value < 1):
            errors.append(f"train.{key}: must be in [0, 1), got {value}")
    if "metrics" not in bad:
        _check_metrics(spec, errors, fit)
    for key, low, high in (("epochs", 1, 100_000), ("batch_size", 0, 1_000_000),
                           ("log_every", 1, 1_000_000)):
        e = None if key in bad else _int_problem(f"train.{key}", getattr(t, key), low, high)
        if e:
            errors.append(e + (" (0 = the whole training set)" if key == "batch_size" else ""))
    e = None if "seed" in bad else _seed_problem("train.seed", t.seed)
    if e:
        errors.append(e)


def _check_metrics(spec: ExperimentSpec, errors: list[str], fit: bool) -> None:
    metrics, task = spec.train.metrics, spec.task
    for i, name in enumerate(metrics):
        if name not in METRICS:
            errors.append(f"train.metrics[{i}]: must be one of {', '.join(METRICS)}; "
                          f"got {brief(name)}")
        elif fit and task not in METRICS[name][0]:
            fits = [m for m, (tasks, _) in METRICS.items() if task in tasks]
            errors.append(f"train.metrics[{i}]: {name} does not fit {task} "
                          f"({_dataset_words(spec)}); use {', '.join(fits)}")
    if len(set(metrics)) != len(metrics):
        errors.append("train.metrics: lists a metric twice")


def _dataset_words(spec: ExperimentSpec) -> str:
    return "Fashion-MNIST labels" if spec.task == "classification" else "the linear dataset"


def _kind_problem(index: int, kind: Any) -> str | None:
    kinds = ", ".join(LAYER_KINDS)
    if kind is None:
        return f"layer {index + 1}: needs a kind (one of {kinds})"
    if not isinstance(kind, str):
        return f"layer {index + 1}: kind must be a layer name (one of {kinds}), got {brief(kind)}"
    if kind not in LAYER_KINDS:
        return f"layer {index + 1}: unknown kind {brief(kind)} (one of {kinds})"
    return None


def _layer_problems(index: int, layer: Any, types_only: bool = False) -> list[str]:
    if not isinstance(layer, LayerSpec):
        return [f"layer {index + 1}: must be a layer, got {brief(layer)}"]
    problem = _kind_problem(index, layer.kind)
    if problem:
        return [problem]
    label = layer_label(index, layer.kind)
    if not isinstance(layer.params, dict):
        return [f"{label}: parameters must be a table, got {brief(layer.params)}"]
    kind = LAYER_KINDS[layer.kind]
    names = [p.name for p in kind.params]
    errors = []
    for key in layer.params:
        if key not in names:
            expected = f"expected {', '.join(sorted(names))}" if names else "it has none"
            errors.append(f"{label}: unknown parameter {brief(key)} ({expected})")
    for p in kind.params:
        if p.name in layer.params:
            value = layer.params[p.name]
            problem = p.type_problem(value) if types_only else p.check(value)
            if problem:
                errors.append(f"{label}: {p.name} {problem}")
    return errors


def layer_errors(index: int, layer: LayerSpec) -> list[str]:
    """Problems with one layer's parameters, each as ``layer 2 (Dense): units must be ...``
    (1-based, with the kind: the numbering users see everywhere)."""
    return _layer_problems(index, layer)


def validate(spec: ExperimentSpec) -> list[str]:
    """Every problem with the spec, each starting with its field path; [] when it can run.

    Never raises, whatever the fields hold (a form mid-edit can hold None, a TOML file a
    list where a name belongs): a wrong type is reported like any other problem."""
    return _validate(spec, set())


def _validate(spec: ExperimentSpec, skip: set[str]) -> list[str]:
    errors: list[str] = []
    _check_top(spec, errors)
    _check_dataset(spec, errors)
    _check_layers(spec, errors, skip)
    _check_train(spec, errors, fit="fit" not in skip)
    return errors


def _check_layers(spec: ExperimentSpec, errors: list[str], skip: set[str]) -> None:
    layers = spec.layers
    if "layers" in skip:  # not even a list in the file: reported already
        return
    if not isinstance(layers, list):
        errors.append(f"layers: must be a list of layers, got {brief(layers)}")
        return
    if not layers:
        errors.append("layers: the model needs at least one layer")
        return
    if len(layers) > MAX_LAYERS:
        errors.append(f"layers: at most {MAX_LAYERS} layers, got {len(layers)}")
        return
    problems = [e for i, layer in enumerate(layers) if f"{_SKIP_ROW}{i}" not in skip
                for e in layer_errors(i, layer)]
    errors.extend(problems)
    if problems or "stack" in skip or not isinstance(spec.dataset,
                                                             (LinearData, FashionData)):
        return
    if isinstance(spec.dataset, LinearData) and not (
            _is_int(spec.dataset.n_features) and 1 <= spec.dataset.n_features <= 10_000):
        return  # the input shape is unknown; its own problem is reported
    try:
        rows = stack_problem(spec)
    except StackError as err:
        errors.append(str(err))
        return
    total = sum(r.params for r in rows)
    if total > MAX_PARAMS:
        errors.append(f"layers: the model has {total:,} parameters ({total * 4 / 1e9:,.1f} GB "
                      f"of float32 weights, more with the optimizer's state); ktui trains "
                      f"models of up to {MAX_PARAMS:,}: use fewer units or filters")


def stack_problem(spec: ExperimentSpec) -> list[InferredLayer]:
    """Raise :class:`StackError` when the stack cannot map the dataset's input to its target;
    else return the inferred layers (shapes and parameter counts)."""
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
            f"{layer_label(last, spec.layers[last].kind)}: the model outputs "
            f"{format_shape(out)} but {_dataset_words(spec)} "
            f"{'need' if spec.task == 'classification' else 'needs'} {format_shape(want)}; {hint}",
            index=last, rows=rows[:-1],
        )
    return rows


def check(spec: ExperimentSpec) -> ExperimentSpec:
    """Return ``spec`` if valid, else raise :class:`SpecError` with every problem."""
    errors = validate(spec)
    if errors:
        raise SpecError(errors)
    return spec
