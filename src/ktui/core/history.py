"""One run as its events tell it: state, progress, the latest numbers and every curve.

:class:`RunHistory` is fed events in order (:meth:`RunHistory.apply`) and is what every
reader of a run reads: the training view's progress line and charts, the CLI's reporters and
a past run replayed from its logs. So "which epoch is this", "how long has it trained (pauses
left out)", "what are W and b" and "is this a W-and-b model" are answered once, here, from
the facts the trainer put in the events. Pure Python: no TensorFlow, no Textual.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ktui.core.events import (
    EpochDone,
    Evaluating,
    Event,
    LayerWeights,
    LrChanged,
    Paused,
    Resumed,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
    XlaPicked,
)
from ktui.core.insight_history import InsightHistory

#: Step-loss points kept; beyond this, neighbouring points are averaged in pairs.
MAX_STEP_POINTS = 2000


def finite(xs: Sequence[float], ys: Sequence[float | None]) -> tuple[list[float], list[float]]:
    """Only the points plotext can draw (a NaN or a null from a log would break the figure)."""
    out_x, out_y = [], []
    for x, y in zip(xs, ys, strict=False):
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) \
                and math.isfinite(x) and math.isfinite(y):
            out_x.append(float(x))
            out_y.append(float(y))
    return out_x, out_y


def downsample(xs: list[float], ys: list[float], limit: int
               ) -> tuple[list[float], list[float]]:
    """At most ``limit`` points, each the mean of a run of neighbours (keeps the trend)."""
    n = len(xs)
    if n <= limit:
        return xs, ys
    size = n / limit
    out_x, out_y = [], []
    for i in range(limit):
        lo, hi = int(i * size), max(int((i + 1) * size), int(i * size) + 1)
        out_x.append(xs[hi - 1])
        out_y.append(sum(ys[lo:hi]) / (hi - lo))
    return out_x, out_y


def step_position(event: StepDone) -> float:
    """A step's x on the epoch axis: 0.5 is half-way through the first epoch."""
    return event.global_step / max(event.steps_per_epoch, 1)


@dataclass
class RunHistory:
    """Everything known about one run, derived from its events only.

    Times are monotonic seconds: :meth:`apply` reads ``clock`` (injected: a test or a
    screenshot passes a fixed one) unless given ``now``. Time spent paused is kept apart so
    elapsed time, ETA and rates count training only.
    """

    state: str = "idle"
    epochs_done: int = 0
    epochs: int = 0
    step: int = 0
    steps_per_epoch: int = 0
    global_step: int = 0
    #: The global step the run started from (a resumed run's earlier steps took no time here).
    start_step: int = 0
    loss: float | None = None
    step_loss: float | None = None
    val_loss: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    val_metrics: dict[str, float] = field(default_factory=dict)
    steps_per_s: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    paused_since: float | None = None
    paused_total: float = 0.0
    #: Test-set size from RunStarted (None: not known, e.g. a past run without its stream).
    test_samples: int | None = None
    #: Where the run is recorded, as its starter shows it; "" when it is not.
    run_dir: str = ""
    #: The facts the trainer decided from the model and the data (see RunStarted).
    started: RunStarted | None = None
    wb_model: bool = False
    metric_names: tuple[str, ...] = ()
    true_weights: tuple[float, ...] = ()
    true_bias: float | None = None
    #: The epoch axis of the per-epoch curves (one x per EpochDone) and those curves.
    epoch_x: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss_points: list[tuple[float, float]] = field(default_factory=list)
    train_metrics: dict[str, list[float]] = field(default_factory=dict)
    val_metric_points: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    #: label -> value per epoch: W and b (``W``, ``W1``.., ``b``) or each layer's kernel std.
    weights: dict[str, list[float]] = field(default_factory=dict)
    #: The learning rate at the end of each epoch (epoch x, lr), and the latest one known
    #: (an epoch's, or a change since: the user's keys, a plateau).
    lr_points: list[tuple[float, float]] = field(default_factory=list)
    lr: float | None = None
    #: Whether the step runs compiled with XLA now (the setting, or what ``auto`` picked).
    xla: bool = False
    #: Why the run ended early by a rule (early stopping, a target, a time budget).
    reason: str = ""
    #: The same for the weights before the first step, at ``initial_x`` (empty: not sent).
    initial_weights: dict[str, float] = field(default_factory=dict)
    initial_x: float | None = None
    #: The step loss on the epoch axis, at most :data:`MAX_STEP_POINTS` points.
    step_x: list[float] = field(default_factory=list)
    step_y: list[float] = field(default_factory=list)
    #: How many steps and epochs were applied (a reader redraws when these move).
    steps_seen: int = 0
    epochs_seen: int = 0
    #: The test-set score of a finished run, and the run's last event.
    test: dict[str, float] = field(default_factory=dict)
    result: RunFinished | RunFailed | None = None
    #: What the insight pages draw: predictions, confusion, gradient norms, histograms.
    insight: InsightHistory = field(default_factory=InsightHistory)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    # ---- events --------------------------------------------------------------------------
    def apply(self, event: Event, now: float | None = None) -> None:
        """Take one event into account (events come in the order the trainer sent them)."""
        now = self.clock() if now is None else now
        self.insight.apply(event)
        if isinstance(event, StepDone):
            self._step(event)
        elif isinstance(event, RunStarted):
            self._start(event, now)
        elif isinstance(event, EpochDone):
            self._epoch(event)
        elif isinstance(event, LrChanged):
            self.lr = event.lr
        elif isinstance(event, XlaPicked):
            self.xla = event.xla
        elif isinstance(event, Paused):
            self.pause(now)
            self.state = "paused"
        elif isinstance(event, Resumed):
            self.resume(now)
            self.state = "running"
        elif isinstance(event, Evaluating):
            self.state = "evaluating"
        elif isinstance(event, (RunFinished, RunFailed)):
            self.result = event
            self.end(now)
            if isinstance(event, RunFinished):
                self.state, self.test = event.status, dict(event.test)
                self.reason = event.reason
            else:
                self.state = "failed"

    def _start(self, ev: RunStarted, now: float) -> None:
        self.started = ev
        self.epochs, self.epochs_done = ev.epochs, ev.start_epoch
        self.steps_per_epoch = ev.steps_per_epoch
        self.global_step = self.start_step = ev.start_epoch * ev.steps_per_epoch
        self.test_samples = ev.test_samples
        self.started_at = now
        self.state = "running"
        self.wb_model = bool(ev.wb_model)
        self.xla = ev.xla == "on"
        self.metric_names = tuple(ev.metric_names)
        self.true_weights, self.true_bias = tuple(ev.true_weights), ev.true_bias
        if ev.initial_weights:
            self.initial_weights = self.weight_values(ev.initial_weights)
            self.initial_x = float(ev.start_epoch)

    def _step(self, ev: StepDone) -> None:
        self.step, self.steps_per_epoch, self.global_step = (ev.step, ev.steps_per_epoch,
                                                             ev.global_step)
        self.step_loss, self.steps_per_s = ev.loss, ev.steps_per_s
        if self.state == "starting":
            self.state = "running"
        self.step_x.append(step_position(ev))
        self.step_y.append(ev.loss)
        if len(self.step_x) > MAX_STEP_POINTS:
            self.step_x, self.step_y = downsample(self.step_x, self.step_y,
                                                  MAX_STEP_POINTS // 2)
        self.steps_seen += 1

    def _epoch(self, ev: EpochDone) -> None:
        self.epochs_done += 1
        self.loss, self.val_loss = ev.loss, ev.val_loss
        self.metrics, self.val_metrics = dict(ev.metrics), dict(ev.val_metrics)
        self.global_step = max(self.global_step, self.epochs_done * self.steps_per_epoch)
        self.step = self.steps_per_epoch
        x = float(self.epochs_done)
        self.epoch_x.append(x)
        self.train_loss.append(ev.loss)
        if ev.val_loss is not None:
            self.val_loss_points.append((x, ev.val_loss))
        for name, value in ev.metrics.items():
            self.train_metrics.setdefault(name, []).append(value)
        for name, value in ev.val_metrics.items():
            self.val_metric_points.setdefault(name, []).append((x, value))
        for label, value in self.weight_values(ev.weights).items():
            self.weights.setdefault(label, []).append(value)
        if ev.lr is not None:
            self.lr = ev.lr
            self.lr_points.append((x, ev.lr))
        self.epochs_seen += 1

    @property
    def failure(self) -> RunFailed | None:
        """How the run failed, when it did."""
        return self.result if isinstance(self.result, RunFailed) else None

    # ---- weights -------------------------------------------------------------------------
    def weight_values(self, weights: Sequence[LayerWeights]) -> dict[str, float]:
        """label -> value of one set of weights: W (``W1``, ``W2``.. for several) and b of a
        W-and-b model; else the kernel std of each layer."""
        layers = [w for w in weights if w.kernel is not None]
        out: dict[str, float] = {}
        if self.wb_model and layers:
            kernel, bias = layers[0].kernel, layers[0].bias
            values = kernel.values if kernel else ()
            for i, w in enumerate(values):
                out["W" if len(values) == 1 else f"W{i + 1}"] = w
            if bias is not None and bias.values:
                out["b"] = bias.values[0]
        elif not self.wb_model:
            for lw in layers:
                assert lw.kernel is not None
                out[lw.layer] = lw.kernel.std
        return out

    def weight_labels(self) -> list[str]:
        """The weight curves, in order (the initial point's first)."""
        return list(dict.fromkeys([*self.initial_weights, *self.weights]))

    def weight_curve(self, label: str) -> tuple[list[float], list[float]]:
        """One weight's points, from the initial weights (when sent) to the latest epoch."""
        ys = self.weights.get(label, [])
        xs = self.epoch_x[-len(ys):] if ys else []
        if label in self.initial_weights and self.initial_x is not None:
            xs, ys = [self.initial_x, *xs], [self.initial_weights[label], *ys]
        return list(xs), list(ys)

    def true_values(self) -> dict[str, float]:
        """label -> true value of a W-and-b model's weights (the data's W and b, when the
        dataset has them); empty otherwise."""
        if not self.wb_model:
            return {}
        n = len(self.true_weights)
        truth = {("W" if n == 1 else f"W{i + 1}"): w for i, w in enumerate(self.true_weights)}
        if self.true_bias is not None:
            truth["b"] = self.true_bias
        return {k: v for k, v in truth.items() if math.isfinite(v)}

    # ---- time ----------------------------------------------------------------------------
    @property
    def fraction(self) -> float:
        """How much of the run is done, 0 to 1, by steps."""
        total = self.epochs * self.steps_per_epoch
        if total <= 0:
            return 0.0
        done = max(self.global_step, self.epochs_done * self.steps_per_epoch)
        return min(max(done / total, 0.0), 1.0)

    def pause(self, now: float) -> None:
        if self.paused_since is None:
            self.paused_since = now

    def resume(self, now: float) -> None:
        if self.paused_since is not None:
            self.paused_total += max(now - self.paused_since, 0.0)
            self.paused_since = None

    def end(self, now: float) -> None:
        self.resume(now)
        self.ended_at = now

    def elapsed(self, now: float) -> float | None:
        """Seconds of training so far: wall time since the start, less the pauses."""
        if self.started_at is None:
            return None
        now = self.ended_at if self.ended_at is not None else now
        paused = self.paused_total
        if self.paused_since is not None:
            paused += max(now - self.paused_since, 0.0)
        return max(now - self.started_at - paused, 0.0)

    def eta(self, now: float) -> float | None:
        """Seconds left at the pace of this session's steps (a resumed run's earlier steps
        took no time here); None when there is nothing to go on or nothing running."""
        elapsed = self.elapsed(now)
        total = self.epochs * self.steps_per_epoch
        done = max(self.global_step, self.epochs_done * self.steps_per_epoch)
        ran = done - self.start_step
        if self.state != "running" or not elapsed or ran <= 0 or total <= 0 or done >= total:
            return None
        return (total - done) * elapsed / ran
