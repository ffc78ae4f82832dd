"""A run's life as events: started, each step and epoch, pauses, the learning rate, the end.

Frozen dataclasses of plain Python numbers, never tensors, so the UI thread, the CLI and log
writers read them without touching TensorFlow. The insight views' events are in
:mod:`ktui.core.events.insight`; both are read back by :mod:`ktui.core.events.codec`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ktui.core.events.insight import Confusion, Predictions, SampleSet


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
    #: The step's compiler as the run starts: ``on`` (XLA), ``off``, or ``auto`` (measured in
    #: the run; :class:`XlaPicked` says what it picked). Older logs: ``off``.
    xla: Literal["auto", "on", "off"] = "off"
    #: What the user's layers warned before training (their checks' warnings, failed checks
    #: trained anyway, Keras' ``UserWarning`` from their code), each ``layer 1 (Linear):
    #: ...``: the run's log keeps them, stderr never gets them raw.
    warnings: tuple[str, ...] = ()
    #: The run's folder, where a recorded run keeps its files ("" when not recorded): put
    #: in by the recording (:class:`ktui.core.runs.recorder.Recording`), not the trainer.
    run_dir: str = ""
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
class XlaPicked:
    """``jit_compile = "auto"`` picked the step's compiler after timing the run's own steps
    (:mod:`ktui.core.training.xla_pick`): ``xla`` is what the rest of the run (its
    evaluations included) uses, from ``epoch``/``step`` on, and ``reason`` says why. The
    median milliseconds of a step without and with XLA and XLA's compilation in seconds are
    None where not measured. ``tried``: whether XLA was compiled (or failed to compile: a
    model with an op XLA lacks); False on a run too short to try it."""

    xla: bool
    reason: str
    epoch: int
    step: int
    tried: bool = True
    plain_ms: float | None = None
    xla_ms: float | None = None
    compile_s: float | None = None
    event: Literal["xla_picked"] = "xla_picked"


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


Event = (RunStarted | StepDone | EpochDone | LrChanged | XlaPicked | SampleSet | Predictions
         | Confusion | Paused | Resumed | Evaluating | RunFinished | RunFailed)
