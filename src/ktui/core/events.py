"""What the trainer tells the world: frozen dataclasses of plain Python numbers.

Events never hold tensors, so the UI thread, the CLI and log writers can read them without
touching TensorFlow. This module is also their one codec: :func:`to_dict`/:func:`to_json` give
the JSON shape documented in the README (``--jsonl``, ``events.jsonl``) and :func:`from_dict`
reads it back, tolerant of lines from older versions and of damaged ones.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ktui.core.view_events import Confusion, Predictions, SampleSet


@dataclass(frozen=True)
class LayerSummary:
    """One row of the model summary."""

    name: str
    kind: str
    output_shape: tuple[int | None, ...]
    params: int
    trainable_params: int


@dataclass(frozen=True)
class TensorStats:
    """A weight tensor reduced to a few numbers; ``values`` holds it whole when it is tiny."""

    size: int
    mean: float
    std: float
    norm: float
    min: float
    max: float
    values: tuple[float, ...] = ()
    #: Counts of equal bins over ``[min, max]`` (the weights page's heat strips); () for a
    #: tensor of one value and in older logs.
    histogram: tuple[int, ...] = ()


@dataclass(frozen=True)
class LayerWeights:
    """The kernel and bias of one trainable layer at the end of an epoch."""

    layer: str
    kernel: TensorStats | None
    bias: TensorStats | None


@dataclass(frozen=True)
class RunStarted:
    name: str
    devices: tuple[str, ...]
    layers: tuple[LayerSummary, ...]
    total_params: int
    trainable_params: int
    epochs: int
    start_epoch: int
    steps_per_epoch: int
    batch_size: int
    train_samples: int
    val_samples: int
    test_samples: int
    task: str
    metric_names: tuple[str, ...]
    #: For the synthetic linear dataset: the true W (one per feature) and b.
    true_weights: tuple[float, ...] = ()
    true_bias: float | None = None
    #: The weights before the first step (same shape as ``EpochDone.weights``), so curves of
    #: W and b start at epoch 0 (at ``start_epoch`` for a resumed run).
    initial_weights: tuple[LayerWeights, ...] = ()
    #: Whether the model is one layer ``y = x·W + b`` with at most :data:`WB_MAX_WEIGHTS`
    #: weights, so views show W and b themselves (else statistics per layer). Decided once, by
    #: the trainer, from the model (:func:`wb_model_of`); None: not known (an older log).
    wb_model: bool | None = None
    #: How the step is placed: ``one``, ``mirrored`` or ``multiworker``, over ``replicas``
    #: devices; ``placement`` says it for people (``mirrored × 2: GPU:0, GPU:1``).
    strategy: str = "one"
    replicas: int = 1
    placement: str = ""
    #: Under ``multiworker``: this process's role (``chief (worker 0 of 2 workers)``).
    role: str = ""
    #: The Keras dtype policy (``float32``, ``mixed_float16``, ``mixed_bfloat16``).
    precision: str = "float32"
    event: Literal["run_started"] = "run_started"


@dataclass(frozen=True)
class StepDone:
    epoch: int
    step: int
    steps_per_epoch: int
    global_step: int
    loss: float
    steps_per_s: float
    #: Per trainable layer: the mean global norm of its gradient over the steps since the last
    #: step event (do gradients reach my layer?); {} when not measured (under a strategy
    #: without clipping: the summed gradient is never formed there).
    grad_norms: dict[str, float] = field(default_factory=dict)
    event: Literal["step_done"] = "step_done"


@dataclass(frozen=True)
class EpochDone:
    epoch: int
    epochs: int
    loss: float
    val_loss: float | None
    metrics: dict[str, float]
    val_metrics: dict[str, float]
    weights: tuple[LayerWeights, ...]
    seconds: float
    samples_per_s: float
    #: The learning rate at the end of the epoch, what the next step uses (as Keras'
    #: CSVLogger logs it); None in older logs.
    lr: float | None = None
    event: Literal["epoch_done"] = "epoch_done"


@dataclass(frozen=True)
class LrChanged:
    """The learning rate changed between two steps: by the user (``user``, the TUI's keys
    or field) or by the plateau schedule (``plateau``); ``lr`` is the new rate."""

    epoch: int
    step: int
    lr: float
    previous: float
    source: Literal["user", "plateau"] = "user"
    event: Literal["lr_changed"] = "lr_changed"


@dataclass(frozen=True)
class Paused:
    epoch: int
    step: int
    event: Literal["paused"] = "paused"


@dataclass(frozen=True)
class Resumed:
    epoch: int
    step: int
    event: Literal["resumed"] = "resumed"


@dataclass(frozen=True)
class RunFinished:
    #: ``finished`` (all epochs ran) or ``stopped`` (a stop request).
    status: Literal["finished", "stopped"]
    epochs_done: int
    test: dict[str, float]
    seconds: float
    #: Why a run ended before its last epoch by a rule (early stopping, a target, a time
    #: budget): ``early stop at epoch 14: val_loss did not improve ...``; "" otherwise.
    reason: str = ""
    event: Literal["run_finished"] = "run_finished"


@dataclass(frozen=True)
class RunFailed:
    #: ``nan`` (non-finite loss; weights kept from the last good step), ``data`` (dataset
    #: missing or unreadable), ``spec`` (the experiment cannot be built), ``io`` (the run
    #: directory cannot be written: disk full, read-only, in use; what was written stays
    #: readable), ``resources`` (out of memory) or ``error`` (anything else; ``message`` is
    #: one line, ``details`` holds the exception's text and traceback).
    kind: Literal["nan", "data", "spec", "io", "resources", "error"]
    message: str
    epoch: int = 0
    step: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    event: Literal["run_failed"] = "run_failed"


@dataclass(frozen=True)
class Evaluating:
    """Sent before the final evaluation on ``split`` (which can take seconds for a big test
    set), so a view at 100 % can say what it is waiting for."""

    split: Literal["test"] = "test"
    event: Literal["evaluating"] = "evaluating"


#: A W-and-b model has at most this many weights in W (each drawn as its own curve).
WB_MAX_WEIGHTS = 4


def wb_model_of(weights: Sequence[LayerWeights]) -> bool:
    """Whether ``weights`` (one entry per trainable layer) are those of a W-and-b model: one
    layer with a kernel, of at most :data:`WB_MAX_WEIGHTS` values. The trainer asks this of
    its model's weights; the codec asks it of an old log's, once."""
    layers = [w for w in weights if w.kernel is not None]
    kernel = layers[0].kernel if len(layers) == 1 else None
    return bool(kernel and kernel.values and len(kernel.values) <= WB_MAX_WEIGHTS)


Event = (RunStarted | StepDone | EpochDone | LrChanged | SampleSet | Predictions | Confusion
         | Paused | Resumed | Evaluating | RunFinished | RunFailed)


def to_dict(event: Event) -> dict[str, Any]:
    """The event as JSON-ready data, with ``event`` (its kind) first."""
    data = dataclasses.asdict(event)
    kind = data.pop("event")
    return {"event": kind, **data}


def json_safe(value: Any) -> Any:
    """JSON has no NaN or Infinity: replace them (at any depth) with None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def to_json(event: Event) -> str:
    """One event as a compact JSON line: the ``--jsonl`` and ``events.jsonl`` format."""
    return json.dumps(json_safe(to_dict(event)), separators=(",", ":"))


# ---- reading events back -------------------------------------------------------------------

#: Fields that must be whole numbers for the readers' arithmetic (a string there would fail
#: far from the file it came from): an object with another type is a skipped line.
_INTS = ("epoch", "epochs", "step", "steps_per_epoch", "global_step", "start_epoch",
         "epochs_done", "batch_size", "train_samples", "val_samples", "test_samples",
         "total_params", "trainable_params")
_FAILURE_KINDS = ("nan", "data", "spec", "io", "resources", "error")


def _num(value: Any) -> float:
    """A logged number; ``null`` (how non-finite values are written) becomes NaN."""
    return float(value) if isinstance(value, (int, float)) else math.nan


def _numbers(data: Any) -> dict[str, float]:
    return {str(k): _num(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _stats(data: Any) -> TensorStats | None:
    if not isinstance(data, dict):
        return None
    return TensorStats(size=int(data.get("size", 0)), mean=_num(data.get("mean")),
                       std=_num(data.get("std")), norm=_num(data.get("norm")),
                       min=_num(data.get("min")), max=_num(data.get("max")),
                       values=tuple(_num(v) for v in data.get("values") or ()),
                       histogram=tuple(int(v) for v in data.get("histogram") or ()))


def _weights(data: Any) -> tuple[LayerWeights, ...]:
    """``[{layer, kernel, bias}, ...]`` back as LayerWeights (entries that are not objects
    are skipped; a missing list is no weights)."""
    if not isinstance(data, (list, tuple)):
        return ()
    return tuple(LayerWeights(str(w.get("layer", "")), _stats(w.get("kernel")),
                              _stats(w.get("bias")))
                 for w in data if isinstance(w, dict))


def _fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``data`` that are fields of ``cls``, whole numbers checked."""
    names = {f.name for f in dataclasses.fields(cls)} - {"event"}
    d = {k: v for k, v in data.items() if k in names}
    for name in _INTS:
        if name in d and (not isinstance(d[name], int) or isinstance(d[name], bool)
                          or d[name] < 0):
            raise TypeError(f"{name} must be a whole number, got {d[name]!r}")
    return d


def _run_started(d: dict[str, Any]) -> RunStarted:
    d["devices"] = tuple(d.get("devices") or ())
    d["layers"] = tuple(
        LayerSummary(**{**layer, "output_shape": tuple(layer.get("output_shape") or ())})
        for layer in d.get("layers") or ())
    d["metric_names"] = tuple(d.get("metric_names") or ())
    d["true_weights"] = tuple(_num(w) for w in d.get("true_weights") or ())
    if d.get("true_bias") is not None:
        d["true_bias"] = _num(d["true_bias"])
    d["initial_weights"] = _weights(d.get("initial_weights"))  # absent in older runs
    if not isinstance(d.get("wb_model"), bool):  # older runs: decided here, once
        d["wb_model"] = wb_model_of(d["initial_weights"]) if d["initial_weights"] else None
    return RunStarted(**d)


def _step_done(d: dict[str, Any]) -> StepDone:
    d["loss"], d["steps_per_s"] = _num(d.get("loss")), _num(d.get("steps_per_s"))
    d["grad_norms"] = _numbers(d.get("grad_norms"))
    return StepDone(**d)


def _epoch_done(d: dict[str, Any]) -> EpochDone:
    d["loss"] = _num(d.get("loss"))
    d["val_loss"] = None if d.get("val_loss") is None else _num(d["val_loss"])
    d["metrics"], d["val_metrics"] = _numbers(d.get("metrics")), _numbers(d.get("val_metrics"))
    d["weights"] = _weights(d.get("weights"))
    d["seconds"], d["samples_per_s"] = _num(d.get("seconds")), _num(d.get("samples_per_s"))
    d["lr"] = None if d.get("lr") is None else _num(d["lr"])
    return EpochDone(**d)


def _floats(data: Any) -> tuple[float, ...]:
    return tuple(_num(v) for v in data) if isinstance(data, (list, tuple)) else ()


def _sample_set(d: dict[str, Any]) -> SampleSet:
    d["indices"] = tuple(int(v) for v in d.get("indices", ()))
    d["targets"] = _floats(d.get("targets"))
    d["class_names"] = tuple(str(v) for v in d.get("class_names", ()))
    d["image_shape"] = tuple(int(v) for v in d.get("image_shape", ()))
    d["images"] = tuple(tuple(int(v) for v in row) for row in d.get("images", ()))
    d["features"] = tuple(_floats(row) for row in d.get("features", ()))
    return SampleSet(**d)


def _predictions(d: dict[str, Any]) -> Predictions:
    d["predicted"], d["confidence"] = _floats(d.get("predicted")), _floats(d.get("confidence"))
    return Predictions(**d)


def _confusion(d: dict[str, Any]) -> Confusion:
    d["matrix"] = tuple(tuple(int(v) for v in row) for row in d.get("matrix", ()))
    d["class_names"] = tuple(str(v) for v in d.get("class_names", ()))
    return Confusion(**d)


def _lr_changed(d: dict[str, Any]) -> LrChanged:
    d["lr"], d["previous"] = _num(d.get("lr")), _num(d.get("previous"))
    d["source"] = "plateau" if d.get("source") == "plateau" else "user"
    return LrChanged(**d)


def _run_finished(d: dict[str, Any]) -> RunFinished | None:
    if d.get("status") not in ("finished", "stopped"):
        return None
    d["test"] = _numbers(d.get("test"))
    d["seconds"] = _num(d.get("seconds"))
    d["reason"] = str(d.get("reason", ""))
    return RunFinished(**d)


def _run_failed(d: dict[str, Any]) -> RunFailed:
    kind = d.get("kind", "error")
    d["kind"] = kind if kind in _FAILURE_KINDS else "error"
    d["message"] = str(d.get("message", ""))
    d["details"] = d["details"] if isinstance(d.get("details"), dict) else {}
    return RunFailed(**d)


def _evaluating(d: dict[str, Any]) -> Evaluating | None:
    return Evaluating(**d) if d.get("split", "test") == "test" else None


_DECODERS: dict[str, tuple[type, Any]] = {
    "run_started": (RunStarted, _run_started),
    "step_done": (StepDone, _step_done),
    "epoch_done": (EpochDone, _epoch_done),
    "lr_changed": (LrChanged, _lr_changed),
    "sample_set": (SampleSet, _sample_set),
    "predictions": (Predictions, _predictions),
    "confusion": (Confusion, _confusion),
    "paused": (Paused, lambda d: Paused(**d)),
    "resumed": (Resumed, lambda d: Resumed(**d)),
    "evaluating": (Evaluating, _evaluating),
    "run_finished": (RunFinished, _run_finished),
    "run_failed": (RunFailed, _run_failed),
}


def from_dict(data: Any) -> Event | None:
    """One ``--jsonl`` object back as an event; None for an unknown kind or an object that
    does not fit (a malformed line is skipped by its reader, never fatal). Fields a newer
    version added are ignored; fields an older one lacked take their defaults."""
    if not isinstance(data, dict):
        return None
    decoder = _DECODERS.get(data.get("event"))  # type: ignore[arg-type]
    if decoder is None:
        return None
    cls, decode = decoder
    try:
        return decode(_fields(cls, data))
    except Exception:  # noqa: BLE001 - any malformed object is one skipped line
        return None
