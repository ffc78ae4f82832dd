"""What the trainer tells the world: frozen dataclasses of plain Python numbers.

Events never hold tensors, so the UI thread, the CLI and log writers can read them without
touching TensorFlow. ``to_dict`` gives the JSON shape documented in the README (``--jsonl``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal


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
    event: Literal["run_started"] = "run_started"


@dataclass(frozen=True)
class StepDone:
    epoch: int
    step: int
    steps_per_epoch: int
    global_step: int
    loss: float
    steps_per_s: float
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
    event: Literal["epoch_done"] = "epoch_done"


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


Event = (RunStarted | StepDone | EpochDone | Paused | Resumed | Evaluating | RunFinished
         | RunFailed)


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
